package auth

import (
	"context"
	"errors"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// AccessTokenVerifier verifies OAuth JWT access tokens: package oauth's AccessTokenVerifier,
// given to New (Options.AccessTokens). Authenticate and Verify hand it every bearer that looks
// like a JWT.
type AccessTokenVerifier interface {
	VerifyAccessToken(ctx context.Context, raw string) (*gatehouse.AccessToken, error)
}

// looksLikeJWT reports whether a bearer has the shape of a compact JWS.
func looksLikeJWT(bearer string) bool { return strings.Count(bearer, ".") == 2 }

// authenticateAccessToken verifies a JWT access token and returns its principal: User is its
// subject (loaded, so that a deleted or disabled user's tokens stop at once), or nil for a
// client_credentials token (subject = client), which only allowClient callers (Verify) accept.
func (s *Sessions) authenticateAccessToken(ctx context.Context, bearer string, allowClient bool) (*gatehouse.Principal, error) {
	if s.accessTokens == nil {
		return nil, errInvalidToken
	}
	at, err := s.accessTokens.VerifyAccessToken(ctx, bearer)
	if err != nil {
		return nil, err
	}
	p := &gatehouse.Principal{Access: at, Credential: gatehouse.CredentialAccessToken}
	if at.Subject == at.ClientID {
		if !allowClient {
			return nil, errInvalidToken
		}
		return p, nil
	}
	u, err := s.store.UserByID(ctx, at.Subject)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled() || u.Kind != gatehouse.KindUser {
		return nil, errInvalidToken
	}
	p.User = u
	return p, nil
}

// thirdPartyApp reports whether p is an OAuth access token of a third-party application (any
// client but the built-in CLI): such a token acts only within the scopes the user granted and
// never manages the user's credentials or account (authz's KindAppToken).
func thirdPartyApp(p *gatehouse.Principal) bool {
	return p != nil && credentialKind(p) == authz.KindAppToken
}

var errThirdPartyApp = gatehouse.Errorf(gatehouse.CodeInsufficientPerms, "An application's access token cannot manage the account or its credentials.")
