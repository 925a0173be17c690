package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// staticKeySet serves a fixed document or error.
type staticKeySet struct {
	doc []byte
	err error
}

func (k staticKeySet) JWKS(context.Context) ([]byte, error) { return k.doc, k.err }

func TestJWKSEndpoint(t *testing.T) {
	doc := []byte(`{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"sig_a","n":"AQAB","e":"AQAB"}]}`)
	tests := []struct {
		name       string
		keys       KeySet
		wantStatus int
		wantBody   string
		wantCache  string
	}{
		{"no key set", nil, http.StatusNotFound, `"not_found"`, ""},
		{"store down", staticKeySet{err: errors.New("database gone: secret detail")}, http.StatusServiceUnavailable, `"temporarily_unavailable"`, ""},
		{"published keys", staticKeySet{doc: doc}, http.StatusOK, string(doc), "public, max-age=300"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := (&Server{Keys: tt.keys}).Handler()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) || strings.Contains(rec.Body.String(), "secret detail") {
				t.Fatalf("body %s, want it to contain %s", rec.Body, tt.wantBody)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("Content-Type %q", ct)
			}
			if cc := rec.Header().Get("Cache-Control"); tt.wantCache != "" && cc != tt.wantCache {
				t.Fatalf("Cache-Control %q, want %q", cc, tt.wantCache)
			}
		})
	}
}
