package oauth

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
)

// CLIScopes are the scopes of the built-in CLI client's tokens issued for a sign-in that did
// not go through the device flow (CLITokensForSignIn): the profile, the email, a refresh token.
var CLIScopes = []string{auth.ScopeProfile, auth.ScopeEmail, auth.ScopeOfflineAccess}

// CLITokensForSignIn turns a sign-in that has just happened by another factor (a magic link, a
// passkey: g is what that use case answered) into the built-in CLI client's tokens — an access
// token and a single-use refresh token of a new family, as the device flow issues them — for
// APIs that answer sign-ins with tokens (the crewkit profile). The session g started is revoked
// (reason "exchanged"): the caller hands out the tokens, not the session, so no credential is
// left alive that nobody holds. token.issued is audited with the sign-in's method.
func (p *Provider) CLITokensForSignIn(ctx context.Context, g *auth.SessionGrant, method string, meta auth.Meta) (*TokenResponse, error) {
	client, err := p.clients.Lookup(ctx, gatehouse.BuiltInCLIClientID)
	if err != nil {
		return nil, fmt.Errorf("oauth: the built-in CLI client: %w", err)
	}
	resp, jti, familyID, err := p.issueUserTokens(ctx, client, g.User, CLIScopes, g.Session.CreatedAt, "")
	if err != nil {
		return nil, err
	}
	if err := p.store.RevokeSession(ctx, g.User.ID, g.Session.ID, p.now(), "exchanged"); err != nil {
		return nil, fmt.Errorf("oauth: end the exchanged session: %w", err)
	}
	p.audit(ctx, EventTokenIssued, g.User.ID, client.ID, client.OrgID, meta, map[string]any{
		"grant_type": "sign_in", "method": method, "client_id": client.ID, "jti": jti,
		"family_id": familyID, "scopes": strings.Join(CLIScopes, " "), "session_id": g.Session.ID,
	})
	return resp, nil
}
