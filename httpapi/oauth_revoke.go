package httpapi

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse"
)

// oauthRevoke is POST /oauth2/revoke (RFC 7009): the client authenticates and names a token;
// the answer is 200 with an empty body whether or not the token was known (2.2), 401
// invalid_client when the client's authentication fails.
func (s *Server) oauthRevoke(w http.ResponseWriter, r *http.Request) error {
	form, err := oauthForm(r)
	if err != nil {
		return err
	}
	client, err := requireClient(r, form)
	if err != nil {
		return err
	}
	tok := form.Get("token")
	if tok == "" {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The token parameter is required.")
	}
	if err := s.OAuth.Revoke(r.Context(), client, tok, form.Get("token_type_hint"), s.meta(r)); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	return nil
}
