package httpapi

import (
	"net/http"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/oauth"
)

// oauthIntrospect is POST /oauth2/introspect (RFC 7662). The caller is a client (Basic or
// client_secret in the form) or a bearer credential: an API key with gatehouse:verify or an
// instance administrator's token. The answer is 200 with the provider's document ({"active":
// false} for any unusable token); a caller that fails to authenticate, or may not introspect,
// gets 401 invalid_client.
func (s *Server) oauthIntrospect(w http.ResponseWriter, r *http.Request) error {
	form, err := oauthForm(r)
	if err != nil {
		return err
	}
	var caller oauth.IntrospectionCaller
	if scheme, rest, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		if form.Has("client_id") || form.Has("client_secret") {
			return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Use one way to authenticate: a bearer credential or client credentials, not both.")
		}
		caller.Bearer = strings.TrimSpace(rest)
		if caller.Bearer == "" {
			return gatehouse.Errorf(gatehouse.CodeInvalidClient, "The bearer credential is empty.")
		}
	} else {
		client, err := requireClient(r, form)
		if err != nil {
			return err
		}
		caller.Client = &client
	}
	tok := form.Get("token")
	if tok == "" {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The token parameter is required.")
	}
	doc, err := s.OAuth.Introspect(r.Context(), caller, tok, form.Get("token_type_hint"), s.meta(r))
	if err != nil {
		return introspectionCallerError(err)
	}
	writeOAuthJSON(w, doc)
	return nil
}

// introspectionCallerError turns a failed authentication or authorization of the caller into
// RFC 6749's invalid_client (401); other errors (invalid_request, rate_limited, internal) pass.
func introspectionCallerError(err error) error {
	switch gatehouse.ErrorCode(err) {
	case gatehouse.CodeInvalidToken, gatehouse.CodeExpiredToken, gatehouse.CodeInvalidAPIKey,
		gatehouse.CodeExpiredAPIKey, gatehouse.CodeInvalidCredentials, gatehouse.CodeInsufficientPerms,
		gatehouse.CodeIPNotAllowed, gatehouse.CodeAgentNotVerified, gatehouse.CodeUnauthorizedClient:
		return gatehouse.Errorf(gatehouse.CodeInvalidClient, "The caller may not introspect tokens: a client's credentials, an API key with gatehouse:verify or an administrator's token are required.")
	}
	return err
}
