package httpapi

import (
	"encoding/json"
	"net/http"
)

// metadataMaxAge is how long clients may cache the discovery document: it changes only with the
// configuration (a restart).
const metadataMaxAge = "public, max-age=300"

// oauthMetadata serves GET /.well-known/openid-configuration (OpenID Connect Discovery 1.0) and
// GET /.well-known/oauth-authorization-server (RFC 8414): the same document, the provider's.
// It is public, so any origin may read it (browser-based clients discover the endpoints too).
func (s *Server) oauthMetadata(w http.ResponseWriter, r *http.Request) {
	b, err := json.Marshal(s.OAuth.Metadata())
	if err != nil {
		WriteError(w, r, err) // a value that cannot be encoded: a bug, logged as internal
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", metadataMaxAge)
	h.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(b, '\n'))
}
