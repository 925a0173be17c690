package credcache_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/requestscope"
	"github.com/gatehouse-auth/gatehouse/store/credcache"
)

// TestRequestScope: within one request (a requestscope.Scope) the feed is asked once, so the
// request is served as of its first lookup; the request's own writes are still seen at once (the
// store's write count), and the next request sees another process's change.
func TestRequestScope(t *testing.T) {
	now := created.Add(time.Hour)
	cases := []struct {
		name        string
		viaOwn      bool
		wantInScope bool // the revocation is seen by the same request's next lookup
	}{
		{"another process revokes during the request", false, false},
		{"the request itself revokes", true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cached, _, other := twoStores(t, credcache.Options{})
			creds := mustCreateCredentials(t, other, "alice")
			req := requestscope.With(t.Context())
			revoked := func(ctx context.Context) bool {
				pat, _, err := cached.PATByTokenHash(ctx, creds.pat.TokenHash)
				if err != nil {
					t.Fatal(err)
				}
				return pat.RevokedAt != nil
			}
			if revoked(req) {
				t.Fatal("revoked before the change")
			}
			var writer gatehouse.Store = other
			if c.viaOwn {
				writer = cached.own
			}
			if err := writer.RevokePAT(t.Context(), creds.user.ID, creds.pat.ID, now, "test"); err != nil {
				t.Fatal(err)
			}
			if got := revoked(req); got != c.wantInScope {
				t.Fatalf("same request sees the revocation: %v, want %v", got, c.wantInScope)
			}
			if !revoked(requestscope.With(t.Context())) {
				t.Fatal("the next request does not see the revocation")
			}
			if !revoked(t.Context()) {
				t.Fatal("a lookup without a request scope does not see the revocation")
			}
		})
	}
}
