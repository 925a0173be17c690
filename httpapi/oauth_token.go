package httpapi

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse/oauth"
)

// oauthToken is POST /oauth2/token (RFC 6749 3.2, 4.1.3, 4.4, 6; RFC 8628 3.4): every grant,
// the form of the request and the client's authentication passed to the provider as they came.
// Success is 200 with the token response, no-store; errors are RFC 6749 5.2 (400, or 401
// invalid_client).
func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request) error {
	form, err := oauthForm(r)
	if err != nil {
		return err
	}
	client, _, err := oauthClientAuth(r, form)
	if err != nil {
		return err
	}
	res, err := s.OAuth.Token(r.Context(), oauth.TokenRequest{
		GrantType:    form.Get("grant_type"),
		Code:         form.Get("code"),
		RedirectURI:  form.Get("redirect_uri"),
		CodeVerifier: form.Get("code_verifier"),
		RefreshToken: form.Get("refresh_token"),
		Scope:        form.Get("scope"),
		DeviceCode:   form.Get("device_code"),
		Client:       client,
	}, s.meta(r))
	if err != nil {
		return err
	}
	writeOAuthJSON(w, res)
	return nil
}
