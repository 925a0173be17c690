package httpapi

import (
	"net/http"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
)

// oauthUserInfo is GET and POST /oauth2/userinfo (OpenID Connect Core 5.3): the claims of the
// user of the access token in the Authorization header, limited by its scopes. A missing or
// unusable token is 401 with WWW-Authenticate: Bearer error="invalid_token" (RFC 6750 3.1).
func (s *Server) oauthUserInfo(w http.ResponseWriter, r *http.Request) error {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return gatehouse.Errorf(gatehouse.CodeInvalidToken, "An access token is required: Authorization: Bearer <token>.")
	}
	claims, err := s.OAuth.UserInfo(r.Context(), tok)
	if err != nil {
		switch gatehouse.ErrorCode(err) {
		case gatehouse.CodeInternal, gatehouse.CodeUnavailable, gatehouse.CodeRateLimited, gatehouse.CodeInsufficientPerms:
			return err
		case gatehouse.CodeExpiredToken:
			return gatehouse.Errorf(gatehouse.CodeExpiredToken, "The access token has expired.")
		}
		return gatehouse.Errorf(gatehouse.CodeInvalidToken, "The access token is invalid.")
	}
	WriteJSON(w, http.StatusOK, claims)
	return nil
}
