package httpapi

import (
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/oauth"
)

// The plumbing the OAuth endpoints under /oauth2 share: form bodies, client authentication and
// the RFC 6749 error answers (WriteOAuthError).

// formContentType is the only body the OAuth endpoints accept (RFC 6749 3.2, RFC 7662 2.1,
// RFC 7009 2.1, RFC 8628 3.1).
const formContentType = "application/x-www-form-urlencoded"

// Client authentication methods (RFC 8414 token_endpoint_auth_methods_supported).
const (
	clientSecretBasic = "client_secret_basic"
	clientSecretPost  = "client_secret_post"
	clientAuthNone    = "none"
)

// oauthHandler is an OAuth endpoint: its error goes out through WriteOAuthError.
type oauthHandler func(w http.ResponseWriter, r *http.Request) error

// serveOAuth wraps h: its error is answered in the RFC 6749 5.2 shape, a 401 with the challenge
// of the scheme the request used (Bearer when it sent a bearer token, else Basic).
func (s *Server) serveOAuth(h oauthHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.noteAuthFailure(err)
			challenge := BasicChallenge
			if scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Bearer") {
				challenge = `Bearer realm="gatehouse"`
			}
			WriteOAuthError(w, r, err, challenge)
		}
	}
}

// oauthForm reads the body of an OAuth request: application/x-www-form-urlencoded only, the
// query string ignored (parameters travel in the body), no parameter repeated (RFC 6749 3.1).
func oauthForm(r *http.Request) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != formContentType {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Content-Type must be %s.", formContentType)
	}
	if err := r.ParseForm(); err != nil {
		return nil, formError(err)
	}
	if name := repeatedParam(r.PostForm); name != "" {
		return nil, repeatedParamError(name)
	}
	return r.PostForm, nil
}

// repeatedParam returns the name of a parameter that occurs more than once in v ("" for none),
// the first in sorted order.
func repeatedParam(v url.Values) string {
	names := make([]string, 0, len(v))
	for k, vals := range v {
		if len(vals) > 1 {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	return names[0]
}

func repeatedParamError(name string) error {
	if len(name) > maxFieldNameLen || !utf8.ValidString(name) || strings.ContainsAny(name, "\r\n") {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A parameter is repeated.")
	}
	return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Parameter %q is repeated.", name)
}

// oauthClientAuth reads how the client of an OAuth request authenticates: HTTP Basic with the
// client ID and secret form-urlencoded inside (RFC 6749 2.3.1, so they are url-decoded here),
// or client_id and client_secret in the form; a client_id alone is a public client. A request
// with both Basic and a client_secret in the form uses two methods: invalid_request; a form
// client_id beside Basic must name the same client. ok is false when the request names no
// client at all. A Bearer or other non-Basic Authorization header is not client
// authentication and is ignored here.
func oauthClientAuth(r *http.Request, form url.Values) (c oauth.ClientAuth, ok bool, err error) {
	if scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Basic") {
		user, pass, found := r.BasicAuth()
		if !found {
			return c, false, gatehouse.Errorf(gatehouse.CodeInvalidClient, "The Basic credentials are malformed.")
		}
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil || id == "" {
			return c, false, gatehouse.Errorf(gatehouse.CodeInvalidClient, "The Basic credentials are malformed.")
		}
		if form.Has("client_secret") {
			return c, false, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Use one client authentication method: HTTP Basic or client_secret in the body, not both.")
		}
		if form.Has("client_id") && form.Get("client_id") != id {
			return c, false, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "client_id in the body does not match the Basic credentials.")
		}
		return oauth.ClientAuth{ClientID: id, Secret: secret, Method: clientSecretBasic}, true, nil
	}
	id, secret := form.Get("client_id"), form.Get("client_secret")
	switch {
	case id == "" && form.Has("client_secret"):
		return c, false, gatehouse.Errorf(gatehouse.CodeInvalidClient, "client_secret without client_id.")
	case id == "":
		return c, false, nil
	case form.Has("client_secret"):
		return oauth.ClientAuth{ClientID: id, Secret: secret, Method: clientSecretPost}, true, nil
	default:
		return oauth.ClientAuth{ClientID: id, Method: clientAuthNone}, true, nil
	}
}

// requireClient is oauthClientAuth for endpoints where the client must identify itself.
func requireClient(r *http.Request, form url.Values) (oauth.ClientAuth, error) {
	c, ok, err := oauthClientAuth(r, form)
	if err != nil {
		return c, err
	}
	if !ok {
		return c, gatehouse.Errorf(gatehouse.CodeInvalidClient, "Client authentication is required.")
	}
	return c, nil
}

// writeOAuthJSON writes a 200 answer of an OAuth endpoint: no-store and, for HTTP/1.0 caches,
// Pragma: no-cache (RFC 6749 5.1).
func writeOAuthJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Pragma", "no-cache")
	WriteJSON(w, http.StatusOK, v)
}
