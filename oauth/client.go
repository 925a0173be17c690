package oauth

import (
	"context"
	"slices"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
)

// ClientAuth is how a client authenticated at the token, device, introspection or revocation
// endpoint.
type ClientAuth struct {
	ClientID string
	Secret   string
	Method   string // "client_secret_basic", "client_secret_post" or "none" (public clients)
}

// Client authentication methods.
const (
	MethodSecretBasic = "client_secret_basic"
	MethodSecretPost  = "client_secret_post"
	MethodNone        = "none"
)

var errInvalidClient = &gatehouse.Error{Code: gatehouse.CodeInvalidClient, Message: "Client authentication failed."}

// authenticateClient checks a client at the token, device and revocation endpoints: a
// confidential client by its secret (constant-time, through auth.OAuthClients.Authenticate), a
// public client by its client_id alone. A confidential client presenting no secret, a public
// client presenting one, and an unknown client all fail alike with invalid_client.
func (p *Provider) authenticateClient(ctx context.Context, ca ClientAuth) (*gatehouse.OAuthClient, error) {
	if ca.ClientID == "" {
		return nil, errInvalidClient
	}
	if ca.Secret != "" || (ca.Method != "" && ca.Method != MethodNone) {
		c, err := p.clients.Authenticate(ctx, ca.ClientID, ca.Secret)
		if err != nil {
			if isDomainError(err) {
				return nil, errInvalidClient
			}
			return nil, err
		}
		return c, nil
	}
	c, err := p.clients.Lookup(ctx, ca.ClientID)
	if err != nil {
		if isDomainError(err) {
			return nil, errInvalidClient
		}
		return nil, err
	}
	if !c.Public {
		return nil, errInvalidClient
	}
	return c, nil
}

// splitScope splits a space-separated scope string (RFC 6749 3.3), dropping duplicates and
// keeping the order.
func splitScope(s string) []string {
	var out []string
	for _, sc := range strings.Fields(s) {
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// maxScopeParam bounds the scope parameter.
const maxScopeParam = 4096

// requestedScopes returns the scopes of a request: the scope parameter, which must be a subset
// of allowed, or all of allowed when the parameter is empty (RFC 6749 3.3: the pre-defined
// default is the client's registered scopes). A scope outside allowed → invalid_scope.
func requestedScopes(param string, allowed []string) ([]string, error) {
	if len(param) > maxScopeParam {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidScope, "The scope parameter is too long.")
	}
	allowed = slices.DeleteFunc(slices.Clone(allowed), gatehouse.IsReservedScope) // grants of the client, never of a token
	scopes := splitScope(param)
	if len(scopes) == 0 {
		return allowed, nil
	}
	for _, sc := range scopes {
		if !scopeAllowed(allowed, sc) {
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidScope, "The scope %q is not allowed for this client.", truncate(sc, 64))
		}
	}
	return scopes, nil
}

// scopeAllowed reports whether sc is one of allowed, or a resource scope a wildcard of allowed
// covers (*:read).
func scopeAllowed(allowed []string, sc string) bool {
	if slices.Contains(allowed, sc) {
		return true
	}
	if isOIDCScope(sc) || gatehouse.IsReservedScope(sc) {
		return false
	}
	return gatehouse.ScopeAllows(allowed, sc)
}

func isOIDCScope(sc string) bool {
	switch sc {
	case auth.ScopeOpenID, auth.ScopeProfile, auth.ScopeEmail, auth.ScopeOfflineAccess:
		return true
	}
	return false
}

func hasGrant(c *gatehouse.OAuthClient, grant string) bool {
	return slices.Contains(c.GrantTypes, grant)
}

// wantsRefresh reports whether a grant of scopes to c comes with a refresh token: the client has
// the refresh_token grant and the user granted offline_access (OIDC Core 11).
func wantsRefresh(c *gatehouse.OAuthClient, scopes []string) bool {
	return hasGrant(c, auth.GrantRefreshToken) && slices.Contains(scopes, auth.ScopeOfflineAccess)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// isPerson reports whether pr is a person (not an agent, not an API key) acting as themself: with
// a session, or with an access token of the built-in CLI client (which acts as the user).
// isAccount reports whether pr acts for a person's enabled account, by any credential (what the
// credential may do there is the authorization layer's decision: package authz).
func isAccount(pr *gatehouse.Principal) bool {
	return pr != nil && pr.User != nil && pr.APIKey == nil && pr.Agent == nil && pr.User.Kind == gatehouse.KindUser && !pr.User.Disabled()
}

func isPerson(pr *gatehouse.Principal) bool {
	if pr == nil || pr.User == nil || pr.APIKey != nil || pr.Agent != nil || pr.User.Kind != gatehouse.KindUser || pr.User.Disabled() {
		return false
	}
	switch {
	case pr.Credential == gatehouse.CredentialSession && pr.Session != nil:
		return true
	case pr.Credential == gatehouse.CredentialAccessToken && pr.Access != nil && pr.Access.ClientID == gatehouse.BuiltInCLIClientID:
		return true
	}
	return false
}
