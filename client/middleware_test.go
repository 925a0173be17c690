package client_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-auth/gatehouse/client"
)

// resourceServer is a protected test server: its handler reports the verified principal.
type resourceServer struct {
	*httptest.Server
	reached atomic.Int64 // how many requests got through to the handler
}

func protect(t *testing.T, c *client.Client, opts ...client.MiddlewareOption) *resourceServer {
	t.Helper()
	rs := &resourceServer{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.reached.Add(1)
		v, ok := client.VerificationFrom(r.Context())
		if !ok {
			http.Error(w, "no verification in the context", http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"kind": v.Kind, "id": v.Principal.ID, "key_id": v.Principal.KeyID, "scopes": v.Scopes})
	})
	rs.Server = httptest.NewServer(c.Middleware(opts...)(h))
	t.Cleanup(rs.Close)
	return rs
}

// answer is one response from a resource server.
type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (rs *resourceServer) get(t *testing.T, credential string, header ...string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, rs.URL, nil)
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, header: res.Header}
	if err := json.Unmarshal(b, &a.body); err != nil {
		t.Fatalf("answer %d is not JSON: %s", res.StatusCode, b)
	}
	return a
}

// wantRefusal fails unless a is the error status with code in Gatehouse's shape.
func wantRefusal(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status || a.body["error"] != code || a.body["error_description"] == "" {
		t.Fatalf("answer %d %v, want %d %s", a.status, a.body, status, code)
	}
	if _, ok := a.body["request_id"]; !ok {
		t.Fatalf("answer %v lacks request_id", a.body)
	}
	if status == http.StatusUnauthorized && !strings.Contains(a.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("401 without the invalid_token challenge: %q", a.header.Get("WWW-Authenticate"))
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		if a.header.Get("Retry-After") == "" {
			t.Fatalf("%d without Retry-After", status)
		}
	}
}

func TestMiddleware(t *testing.T) {
	ctx := context.Background()
	user, us := signedIn(t, "mw")
	pat, err := user.CreateToken(ctx, client.CreateTokenRequest{Name: "reader", ExpiresIn: client.Expires30Days, Scopes: []string{"calls:read"}})
	if err != nil {
		t.Fatal(err)
	}
	reads := protect(t, gh.verifier, client.RequireScopes("calls:read"))
	writes := protect(t, gh.verifier, client.RequireScopes("calls:write"))

	t.Run("no credential", func(t *testing.T) {
		wantRefusal(t, reads.get(t, ""), http.StatusUnauthorized, client.CodeInvalidToken)
	})
	t.Run("garbage credential", func(t *testing.T) {
		wantRefusal(t, reads.get(t, "gth_pat_notarealtoken"), http.StatusUnauthorized, client.CodeInvalidToken)
	})
	t.Run("PAT with the scope passes", func(t *testing.T) {
		a := reads.get(t, pat.Token)
		if a.status != http.StatusOK || a.body["id"] != us.User.ID || a.body["kind"] != "pat" {
			t.Fatalf("answer %d %v", a.status, a.body)
		}
	})
	t.Run("PAT without the scope is forbidden", func(t *testing.T) {
		a := writes.get(t, pat.Token)
		wantRefusal(t, a, http.StatusForbidden, client.CodeInsufficientPerms)
		if !strings.Contains(a.header.Get("WWW-Authenticate"), `scope="calls:write"`) {
			t.Fatalf("403 challenge %q does not name the scope", a.header.Get("WWW-Authenticate"))
		}
	})
	t.Run("revoked PAT fails on the next request", func(t *testing.T) {
		if a := reads.get(t, pat.Token); a.status != http.StatusOK {
			t.Fatalf("before revocation: %d", a.status)
		}
		if err := user.RevokeToken(ctx, pat.ID); err != nil {
			t.Fatal(err)
		}
		wantRefusal(t, reads.get(t, pat.Token), http.StatusUnauthorized, client.CodeInvalidToken)
	})

	key, err := gh.admin.CreateAPIKey(ctx, gh.orgID, client.CreateAPIKeyRequest{
		Name: "office", Scopes: []string{"calls:read"}, Environment: client.EnvironmentLive,
		AllowedCIDRs: []string{"192.0.2.0/24"}, RateLimit: "2/m",
	})
	if err != nil {
		t.Fatal(err)
	}
	behindProxy := protect(t, gh.verifier, client.RequireScopes("calls:read"), client.TrustForwardedFor(netip.MustParsePrefix("127.0.0.0/8")))
	t.Run("API key from outside its CIDRs", func(t *testing.T) {
		wantRefusal(t, reads.get(t, key.Key), http.StatusForbidden, client.CodeIPNotAllowed)
	})
	t.Run("X-Forwarded-For is ignored unless trusted", func(t *testing.T) {
		wantRefusal(t, reads.get(t, key.Key, "X-Forwarded-For", "192.0.2.7"), http.StatusForbidden, client.CodeIPNotAllowed)
	})
	t.Run("X-Forwarded-For from a trusted proxy", func(t *testing.T) {
		// The client-written left entry is not believed: the proxy's (rightmost) one is.
		wantRefusal(t, behindProxy.get(t, key.Key, "X-Forwarded-For", "192.0.2.7, 198.51.100.1"), http.StatusForbidden, client.CodeIPNotAllowed)
		a := behindProxy.get(t, key.Key, "X-Forwarded-For", "198.51.100.1, 192.0.2.7")
		if a.status != http.StatusOK || a.body["key_id"] != key.ID {
			t.Fatalf("answer %d %v", a.status, a.body)
		}
	})
	t.Run("rate-limited API key", func(t *testing.T) {
		// The key allows 2/m; the refusals above and the pass each counted or not, so go on
		// until the limit shows, bounded.
		for range 3 {
			a := behindProxy.get(t, key.Key, "X-Forwarded-For", "192.0.2.7")
			if a.status == http.StatusTooManyRequests {
				wantRefusal(t, a, http.StatusTooManyRequests, client.CodeRateLimited)
				if a.body["retry_after"] == nil {
					t.Fatalf("429 without retry_after: %v", a.body)
				}
				return
			}
			if a.status != http.StatusOK {
				t.Fatalf("answer %d %v", a.status, a.body)
			}
		}
		t.Fatal("a key limited to 2/m was never refused")
	})

	t.Run("Gatehouse down fails closed", func(t *testing.T) {
		var reported atomic.Int64
		down := protect(t, client.New(deadURL(t), client.WithToken("any")), client.OnError(func(*http.Request, error) { reported.Add(1) }))
		wantRefusal(t, down.get(t, "gth_pat_whatever"), http.StatusServiceUnavailable, client.CodeUnavailable)
		if down.reached.Load() != 0 || reported.Load() != 1 {
			t.Fatalf("handler reached %d times, errors reported %d", down.reached.Load(), reported.Load())
		}
	})
	t.Run("a middleware credential without gatehouse:verify fails closed", func(t *testing.T) {
		bad := protect(t, user)
		wantRefusal(t, bad.get(t, pat.Token), http.StatusServiceUnavailable, client.CodeUnavailable)
		if bad.reached.Load() != 0 {
			t.Fatal("the handler was reached")
		}
	})
	t.Run("an administrator may verify", func(t *testing.T) {
		fresh, err := user.CreateToken(ctx, client.CreateTokenRequest{Name: "again", ExpiresIn: client.Expires30Days})
		if err != nil {
			t.Fatal(err)
		}
		a := protect(t, gh.admin).get(t, fresh.Token)
		if a.status != http.StatusOK || a.body["scopes"] != nil {
			t.Fatalf("answer %d %v (an unscoped PAT has null scopes)", a.status, a.body)
		}
	})
	if reads.reached.Load() != 2 || writes.reached.Load() != 0 {
		t.Fatalf("handlers reached %d and %d times, want 2 and 0", reads.reached.Load(), writes.reached.Load())
	}
}
