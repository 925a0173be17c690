package credcache_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/credcache"
)

// fingerprint describes what a lookup returned, as far as the test cares.
type fingerprint func(ctx context.Context, s lookups, c credentials) string

func describe(err error, parts ...any) string {
	switch {
	case errors.Is(err, gatehouse.ErrNotFound):
		return "not found"
	case err != nil:
		return "error: " + err.Error()
	}
	return fmt.Sprint(parts...)
}

var (
	lookPAT fingerprint = func(ctx context.Context, s lookups, c credentials) string {
		pat, u, err := s.PATByTokenHash(ctx, c.pat.TokenHash)
		if err != nil {
			return describe(err)
		}
		return describe(nil, "revoked=", pat.RevokedAt != nil, " user=", u.DisplayName)
	}
	lookSession fingerprint = func(ctx context.Context, s lookups, c credentials) string {
		sess, u, err := s.SessionByTokenHash(ctx, c.session.TokenHash)
		if err != nil {
			return describe(err)
		}
		return describe(nil, "revoked=", sess.RevokedAt != nil, " user=", u.DisplayName)
	}
	lookAPIKey fingerprint = func(ctx context.Context, s lookups, c credentials) string {
		k, err := s.APIKeyByTokenHash(ctx, c.key.TokenHash)
		if err != nil {
			return describe(err)
		}
		return describe(nil, "revoked=", k.RevokedAt != nil)
	}
	lookAgentToken fingerprint = func(ctx context.Context, s lookups, c credentials) string {
		a, _, err := s.AgentByTokenHash(ctx, c.agent.TokenHash)
		if err != nil {
			return describe(err)
		}
		return describe(nil, "verified=", a.VerifiedAt != nil)
	}
	lookUser fingerprint = func(ctx context.Context, s lookups, c credentials) string {
		u, err := s.UserByID(ctx, c.user.ID)
		if err != nil {
			return describe(err)
		}
		return describe(nil, "name=", u.DisplayName, " admin=", u.IsAdmin)
	}
	lookAgentByUser fingerprint = func(ctx context.Context, s lookups, c credentials) string {
		a, err := s.AgentByUserID(ctx, c.agentU.ID)
		if err != nil {
			return describe(err)
		}
		return describe(nil, "verified=", a.VerifiedAt != nil, " owner=", a.OwnerID)
	}
)

// Credential changes (claim.go).
var (
	lookUserChanged fingerprint = func(ctx context.Context, s lookups, c credentials) string {
		u, err := s.UserByID(ctx, c.user.ID)
		if err != nil {
			return describe(err)
		}
		return describe(nil, "changed=", u.CredentialsChangedAt, " verified=", u.EmailVerified)
	}
	lookPATUserChanged fingerprint = func(ctx context.Context, s lookups, c credentials) string {
		_, u, err := s.PATByTokenHash(ctx, c.pat.TokenHash)
		if err != nil {
			return describe(err)
		}
		return describe(nil, "changed=", u.CredentialsChangedAt)
	}
	setCredentialsChanged = func(ctx context.Context, s gatehouse.Store, c credentials) error {
		return s.SetCredentialsChangedAt(ctx, c.user.ID, created.Add(time.Hour))
	}
	claimAccount = func(ctx context.Context, s gatehouse.Store, c credentials) error {
		_, err := s.ClaimAccount(ctx, gatehouse.AccountClaim{UserID: c.user.ID, Email: c.user.Email,
			At: created.Add(time.Hour), Reason: "test"})
		return err
	}
)

// TestChangesAreSeenOnTheNextLookup caches a lookup (and checks the second one was a hit), makes
// a change through the cached store itself or through a second store on the same file (another
// process, as far as SQLite knows), and checks that the very next lookup sees the change.
func TestChangesAreSeenOnTheNextLookup(t *testing.T) {
	now := created.Add(time.Hour)
	tests := []struct {
		name   string
		look   fingerprint
		viaOwn bool // through the cached store; else through the second store
		change func(ctx context.Context, s gatehouse.Store, c credentials) error
	}{
		{"PAT revoked by another process", lookPAT, false, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			return s.RevokePAT(ctx, c.user.ID, c.pat.ID, now, "test")
		}},
		{"PAT revoked by this store", lookPAT, true, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			return s.RevokePAT(ctx, c.user.ID, c.pat.ID, now, "test")
		}},
		{"session revoked by this store", lookSession, true, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			return s.RevokeSession(ctx, c.user.ID, c.session.ID, now, "test")
		}},
		{"session revoked by another process", lookSession, false, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			return s.RevokeSession(ctx, c.user.ID, c.session.ID, now, "test")
		}},
		{"all sessions revoked by another process", lookSession, false, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			_, err := s.RevokeUserSessions(ctx, c.user.ID, "", now, "test")
			return err
		}},
		{"API key revoked by another process", lookAPIKey, false, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			return s.RevokeAPIKey(ctx, c.org.ID, c.key.ID, now, "test")
		}},
		{"API key revoked by this store", lookAPIKey, true, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			return s.RevokeAPIKey(ctx, c.org.ID, c.key.ID, now, "test")
		}},
		{"user renamed by another process (PAT)", lookPAT, false, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			_, err := s.UpdateUser(ctx, c.user.ID, gatehouse.UserUpdate{DisplayName: ptr("Renamed"), UpdatedAt: now})
			return err
		}},
		{"user renamed by another process (by ID)", lookUser, false, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			_, err := s.UpdateUser(ctx, c.user.ID, gatehouse.UserUpdate{DisplayName: ptr("Renamed"), UpdatedAt: now})
			return err
		}},
		{"user made admin by this store (by ID)", lookUser, true, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			_, err := s.UpdateUser(ctx, c.user.ID, gatehouse.UserUpdate{IsAdmin: ptr(true), UpdatedAt: now})
			return err
		}},
		{"user deleted by another process (by ID)", lookUser, false, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			return s.DeleteUser(ctx, c.user.ID)
		}},
		{"user deleted by another process (session)", lookSession, false, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			return s.DeleteUser(ctx, c.user.ID)
		}},
		{"agent token rotated by another process", lookAgentToken, false, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			return s.RotateAgentToken(ctx, c.agent.ID, c.user.ID, randomHash(), "p", now)
		}},
		{"agent transferred by this store (old token)", lookAgentToken, true, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			return transferAgent(ctx, s, c, now)
		}},
		{"agent transferred by another process (old token)", lookAgentToken, false, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			return transferAgent(ctx, s, c, now)
		}},
		{"agent deleted by this store", lookAgentByUser, true, func(ctx context.Context, s gatehouse.Store, c credentials) error {
			return s.DeleteAgent(ctx, c.agent.ID, c.user.ID)
		}},
		{"credentials changed by this store (by ID)", lookUserChanged, true, setCredentialsChanged},
		{"credentials changed by another process (by ID)", lookUserChanged, false, setCredentialsChanged},
		{"credentials changed by another process (PAT)", lookPATUserChanged, false, setCredentialsChanged},
		{"account claimed by this store (PAT)", lookPAT, true, claimAccount},
		{"account claimed by another process (agent token)", lookAgentToken, false, claimAccount},
		{"account claimed by this store (by ID)", lookUserChanged, true, claimAccount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			cached, _, other := twoStores(t, credcache.Options{})
			c := mustCreateCredentials(t, other, "alice")
			before := tt.look(ctx, cached, c)
			if again := tt.look(ctx, cached, c); again != before {
				t.Fatalf("second lookup %q, first %q", again, before)
			}
			if st := cached.Stats(); st.Hits != 1 {
				t.Fatalf("stats after two lookups: %+v, want one hit (else this test proves nothing)", st)
			}
			var writer gatehouse.Store = other
			if tt.viaOwn {
				writer = cached.own
			}
			if err := tt.change(ctx, writer, c); err != nil {
				t.Fatalf("change: %v", err)
			}
			after, truth := tt.look(ctx, cached, c), tt.look(ctx, other, c)
			if after == before || after != truth {
				t.Errorf("after the change the cached store says %q (before: %q), the database %q", after, before, truth)
			}
		})
	}
}

// TestBypassWhenTheFeedIsUnavailable: a feed that cannot answer (here: closed) sends every lookup
// to the database, and nothing is cached.
func TestBypassWhenTheFeedIsUnavailable(t *testing.T) {
	ctx := t.Context()
	cached, feed, other := twoStores(t, credcache.Options{})
	c := mustCreateCredentials(t, other, "bob")
	if err := feed.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := feed.Generation(ctx); ok || err == nil {
		t.Fatalf("closed feed: ok %v, err %v; want not ok with an error", ok, err)
	}
	for range 3 {
		if got := lookPAT(ctx, cached, c); got != "revoked=false user=The bob" {
			t.Fatalf("lookup: %q", got)
		}
	}
	if err := other.RevokePAT(ctx, c.user.ID, c.pat.ID, created.Add(time.Hour), "test"); err != nil {
		t.Fatal(err)
	}
	if got := lookPAT(ctx, cached, c); got != "revoked=true user=The bob" {
		t.Errorf("after revocation: %q", got)
	}
	if st := cached.Stats(); st.Hits != 0 || st.Bypasses != 4 || st.Entries != 0 {
		t.Errorf("stats %+v, want 0 hits, 4 bypasses, 0 entries", st)
	}
}

// TestFailuresAreNotCached: not found is never remembered.
func TestFailuresAreNotCached(t *testing.T) {
	ctx := t.Context()
	cached, _, other := twoStores(t, credcache.Options{})
	c := mustCreateCredentials(t, other, "carol")
	for _, look := range []func() error{
		func() error { _, _, err := cached.PATByTokenHash(ctx, randomHash()); return err },
		func() error { _, _, err := cached.SessionByTokenHash(ctx, randomHash()); return err },
		func() error { _, err := cached.APIKeyByTokenHash(ctx, randomHash()); return err },
		func() error { _, _, err := cached.AgentByTokenHash(ctx, randomHash()); return err },
		func() error { _, err := cached.AgentByUserID(ctx, c.user.ID); return err }, // a person, not an agent
	} {
		if err := look(); !errors.Is(err, gatehouse.ErrNotFound) {
			t.Fatalf("lookup of an unknown credential: %v, want ErrNotFound", err)
		}
	}
	if st := cached.Stats(); st.Entries != 0 {
		t.Errorf("stats %+v: failures were cached", st)
	}
}

// TestCallersGetCopies: what a caller changes in a returned row never reaches the cache.
func TestCallersGetCopies(t *testing.T) {
	ctx := t.Context()
	cached, _, other := twoStores(t, credcache.Options{})
	c := mustCreateCredentials(t, other, "dave")
	for range 2 { // the first call returns what the store read, the second a cached copy
		pat, u, err := cached.PATByTokenHash(ctx, c.pat.TokenHash)
		if err != nil {
			t.Fatal(err)
		}
		if pat.RevokedAt != nil || u.DisplayName != "The dave" || pat.Scopes[0] != "calls:read" || pat.TokenHash[0] != c.pat.TokenHash[0] {
			t.Fatalf("lookup returned a changed row: %+v %+v", pat, u)
		}
		pat.RevokedAt, u.DisplayName, pat.Scopes[0] = ptr(created), "Mallory", "admin:all"
		pat.TokenHash[0]++
		*pat.ExpiresAt = created.Add(100 * 365 * 24 * time.Hour)
		k, err := cached.APIKeyByTokenHash(ctx, c.key.TokenHash)
		if err != nil {
			t.Fatal(err)
		}
		if k.RateLimit.Limit != 10 || k.AllowedCIDRs[0].String() != "192.0.2.0/24" {
			t.Fatalf("lookup returned a changed key: %+v", k)
		}
		k.RateLimit.Limit, k.AllowedCIDRs[0] = 0, k.AllowedCIDRs[0].Masked()
		k.AllowedCIDRs = append(k.AllowedCIDRs[:0], k.AllowedCIDRs[0])
		k.Scopes[0] = "admin:all"
		k.RateLimit.Limit = 1 << 30
	}
	if got := lookPAT(ctx, cached, c); got != "revoked=false user=The dave" {
		t.Errorf("third lookup %q", got)
	}
	if st := cached.Stats(); st.Hits < 2 {
		t.Errorf("stats %+v: want hits (else this test proves nothing)", st)
	}
}

// TestBoundedSize: the cache never holds more than MaxEntries.
func TestBoundedSize(t *testing.T) {
	ctx := t.Context()
	cached, _, other := twoStores(t, credcache.Options{MaxEntries: 2})
	c := mustCreateCredentials(t, other, "erin")
	lookPAT(ctx, cached, c)
	lookSession(ctx, cached, c)
	lookAPIKey(ctx, cached, c)
	lookAgentToken(ctx, cached, c)
	if st := cached.Stats(); st.Entries != 2 || st.Misses != 4 {
		t.Errorf("stats %+v, want 2 entries after 4 misses", st)
	}
}

// TestTTL: an entry older than the TTL is not served (a TTL of 1ns: always older).
func TestTTL(t *testing.T) {
	ctx := t.Context()
	cached, _, other := twoStores(t, credcache.Options{TTL: time.Nanosecond})
	c := mustCreateCredentials(t, other, "frank")
	for range 3 {
		lookPAT(ctx, cached, c)
	}
	if st := cached.Stats(); st.Hits != 0 || st.Misses != 3 {
		t.Errorf("stats %+v, want 3 misses", st)
	}
}

// TestConcurrentLookupsAndRevocation: lookups running while another process revokes; once the
// revocation has returned, every lookup that starts sees it.
func TestConcurrentLookupsAndRevocation(t *testing.T) {
	ctx := t.Context()
	cached, _, other := twoStores(t, credcache.Options{})
	c := mustCreateCredentials(t, other, "grace")
	var revoked sync.WaitGroup
	revoked.Add(1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				lookPAT(ctx, cached, c)
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			revoked.Wait()
			for range 50 {
				if got := lookPAT(ctx, cached, c); got != "revoked=true user=The grace" {
					errs <- got
					return
				}
			}
		}()
	}
	for range 20 {
		lookPAT(ctx, cached, c)
	}
	if err := other.RevokePAT(ctx, c.user.ID, c.pat.ID, created.Add(time.Hour), "test"); err != nil {
		t.Fatal(err)
	}
	revoked.Done()
	close(done)
	wg.Wait()
	close(errs)
	for got := range errs {
		t.Errorf("a lookup after the revocation returned %q", got)
	}
}

// BenchmarkCachedPATByTokenHash is the cost of a cached lookup on SQLite (the feed's read of
// the WAL-index header, the table, two copies), in parallel like the server's requests.
// Compare with store/sqlstore's BenchmarkPATByTokenHash/sqlite and BenchmarkChangeFeedGeneration.
func BenchmarkCachedPATByTokenHash(b *testing.B) {
	cached, _, other := twoStores(b, credcache.Options{})
	c := mustCreateCredentials(b, other, "bench")
	ctx := context.Background()
	// One lookup first: parallel first lookups may each miss (the cache has no single-flight).
	if _, _, err := cached.PATByTokenHash(ctx, c.pat.TokenHash); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetParallelism(32) // 32 goroutines per CPU: like the server's 64 connections on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := cached.PATByTokenHash(ctx, c.pat.TokenHash); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if st := cached.Stats(); st.Misses != 1 {
		b.Errorf("stats %+v, want a single miss", st)
	}
}

// transferAgent gives c's agent to a new person, with a new token.
func transferAgent(ctx context.Context, s gatehouse.Store, c credentials, at time.Time) error {
	heir := &gatehouse.User{ID: gatehouse.NewID(gatehouse.PrefixUser, at, nil), Kind: gatehouse.KindUser,
		Username: c.user.Username + "-heir", CreatedAt: at, UpdatedAt: at}
	if err := s.CreateUser(ctx, heir); err != nil {
		return err
	}
	return s.TransferAgent(ctx, c.agent.ID, c.user.ID, heir.ID, randomHash(), "p", at)
}
