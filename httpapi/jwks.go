package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// KeySet publishes the token signing keys; *keys.Manager implements it.
type KeySet interface {
	// JWKS returns the published public keys as a JWK Set document (RFC 7517 §5).
	JWKS(ctx context.Context) ([]byte, error)
}

// jwksMaxAge is how long clients may cache the JWKS. Safe because the next key is published a
// whole rotation period before it signs, and the previous one stays published after.
const jwksMaxAge = "public, max-age=300"

// jwks serves GET /.well-known/jwks.json: 404 when the server has no key set.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	if s.Keys == nil {
		WriteError(w, r, gatehouse.ErrNotFound)
		return
	}
	doc, err := s.Keys.JWKS(r.Context())
	if err != nil {
		Logger(r.Context()).Error("loading the signing keys failed", "err", err)
		WriteError(w, r, &gatehouse.Error{Code: gatehouse.CodeUnavailable, Message: "The signing keys are not available.", RetryAfter: 5 * time.Second})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", jwksMaxAge)
	_, _ = w.Write(doc)
}
