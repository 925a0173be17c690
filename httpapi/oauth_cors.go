package httpapi

import "net/http"

// cookielessOAuthEndpoints are the OAuth endpoints a browser-based application (a single-page
// app, a public client with PKCE) calls from its own origin with fetch. They never read the
// session cookie — the caller authenticates in the request itself (client credentials in the
// body or an Authorization header, or a bearer token) — so a cross-site request carries no
// ambient authority to forge with: CrossOrigin lets them through, and they answer CORS requests
// from any origin without credentials (Access-Control-Allow-Origin: *, never with cookies).
var cookielessOAuthEndpoints = []string{
	"/oauth2/token",
	"/oauth2/device_authorization",
	"/oauth2/introspect",
	"/oauth2/revoke",
	"/oauth2/userinfo",
}

// corsOpen answers CORS for a cookieless endpoint: the simple headers on every answer and a
// preflight (OPTIONS) of its own. Browsers never send cookies with Access-Control-Allow-Origin: *.
func corsOpen(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Expose-Headers", "WWW-Authenticate, Retry-After, X-Request-ID")
		if r.Method == http.MethodOptions {
			hd.Set("Access-Control-Allow-Methods", "GET, POST")
			hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, DPoP")
			hd.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h(w, r)
	}
}
