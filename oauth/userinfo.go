package oauth

import (
	"context"
	"slices"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
)

// UserInfo returns the OIDC claims of the access token's user, limited by its scopes.
//
// The token must be a valid access token of a user (a client_credentials token has none:
// invalid_token) granted the openid scope (else insufficient_permissions, RFC 6750's
// insufficient_scope). A deleted or disabled user → invalid_token. Claims: sub, and per scope
// profile (preferred_username, name, picture, updated_at) and email (email, email_verified).
func (p *Provider) UserInfo(ctx context.Context, accessToken string) (map[string]any, error) {
	at, err := p.VerifyAccessToken(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	if at.Subject == at.ClientID {
		return nil, errInvalidAccessToken
	}
	if !slices.Contains(at.Scopes, auth.ScopeOpenID) {
		return nil, gatehouse.Errorf(gatehouse.CodeInsufficientPerms, "The access token lacks the openid scope.")
	}
	u, err := p.activeUser(ctx, at.Subject)
	if err != nil {
		return nil, err
	}
	out := userClaims(u, at.Scopes)
	out["sub"] = u.ID
	return out, nil
}
