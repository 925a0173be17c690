package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOAuthCORS: the cookieless OAuth endpoints answer preflights and are not refused as
// cross-site (a browser-based app on another origin calls them), while cookie-authenticated
// endpoints still are.
func TestOAuthCORS(t *testing.T) {
	h := oauthServer(t, true)
	t.Run("preflight", func(t *testing.T) {
		for _, path := range cookielessOAuthEndpoints {
			r := httptest.NewRequest(http.MethodOptions, path, nil)
			r.Header.Set("Origin", "https://app.example")
			r.Header.Set("Access-Control-Request-Method", "POST")
			r.Header.Set("Access-Control-Request-Headers", "authorization")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != "*" ||
				!strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
				t.Errorf("OPTIONS %s: %d %v", path, w.Code, w.Header())
			}
			if w.Header().Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("OPTIONS %s allows credentials", path)
			}
		}
	})
	cases := []struct {
		name, path  string
		wantRefused bool
	}{
		{"token endpoint", "/oauth2/token", false},
		{"revocation", "/oauth2/revoke", false},
		{"introspection", "/oauth2/introspect", false},
		{"sign-in (cookie endpoint)", "/v1/auth/login", true},
		{"consent form", "/oauth2/consent", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, c.path, strings.NewReader("grant_type=x"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			r.Header.Set("Origin", "https://app.example")
			r.Header.Set("Cookie", "gatehouse_session=x")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			refused := w.Code == http.StatusForbidden && strings.Contains(w.Body.String(), `"forbidden"`)
			if refused != c.wantRefused {
				t.Fatalf("POST %s cross-site: %d %s; refused %v, want %v", c.path, w.Code, w.Body, refused, c.wantRefused)
			}
			if !c.wantRefused && w.Header().Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("no CORS header on %s", c.path)
			}
		})
	}
}
