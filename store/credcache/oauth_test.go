package credcache_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/credcache"
	"github.com/gatehouse-auth/gatehouse/store/sqlstore"
)

// oauthFixture is a confidential OAuth client of an organization, and a jti that is not denied.
type oauthFixture struct {
	credentials
	client *gatehouse.OAuthClient
	jti    string
}

func mustCreateOAuthFixture(t testing.TB, s gatehouse.Store, name string) oauthFixture {
	t.Helper()
	f := oauthFixture{credentials: mustCreateCredentials(t, s, name)}
	f.client = &gatehouse.OAuthClient{ID: gatehouse.NewID(gatehouse.PrefixOAuthClient, created, nil), OrgID: f.org.ID,
		Name: name + "-app", SecretHash: randomHash(), SecretPrefix: "gh_cs_old", RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{"authorization_code", "client_credentials"}, Scopes: []string{"openid"}, CreatedBy: f.user.ID,
		CreatedAt: created}
	if err := s.CreateOAuthClient(t.Context(), f.client); err != nil {
		t.Fatalf("CreateOAuthClient: %v", err)
	}
	f.jti = "jti-" + hex.EncodeToString(randomHash()[:8])
	return f
}

// oauthFingerprint describes what an OAuth lookup returned, as far as the test cares.
type oauthFingerprint func(ctx context.Context, s lookups, f oauthFixture) string

var (
	lookClient oauthFingerprint = func(ctx context.Context, s lookups, f oauthFixture) string {
		c, err := s.OAuthClientByID(ctx, f.client.ID)
		if err != nil {
			return describe(err)
		}
		return describe(nil, "prefix=", c.SecretPrefix, " hash=", hex.EncodeToString(c.SecretHash[:4]))
	}
	lookDenied oauthFingerprint = func(ctx context.Context, s lookups, f oauthFixture) string {
		denied, err := s.AccessTokenDenied(ctx, f.jti)
		return describe(err, "denied=", denied)
	}
)

// oauthChange is a write that changes what an OAuth lookup returns.
type oauthChange func(ctx context.Context, s gatehouse.Store, f oauthFixture) error

var (
	rotateClientSecret oauthChange = func(ctx context.Context, s gatehouse.Store, f oauthFixture) error {
		return s.RotateOAuthClientSecret(ctx, f.org.ID, f.client.ID, randomHash(), "gh_cs_new", created.Add(time.Hour))
	}
	deleteClient oauthChange = func(ctx context.Context, s gatehouse.Store, f oauthFixture) error {
		return s.DeleteOAuthClient(ctx, f.org.ID, f.client.ID)
	}
	denyJTI oauthChange = func(ctx context.Context, s gatehouse.Store, f oauthFixture) error {
		return s.DenyAccessToken(ctx, f.jti, created.Add(time.Hour))
	}
)

// TestOAuthChangesAreSeenOnTheNextLookup is TestChangesAreSeenOnTheNextLookup for the OAuth
// lookups: a client cached and then changed, a jti cached as not denied and then denied (the
// cached negative answer), a jti cached as denied and then pruned after its expiry.
func TestOAuthChangesAreSeenOnTheNextLookup(t *testing.T) {
	tests := []struct {
		name   string
		look   oauthFingerprint
		setup  oauthChange // through the second store, before the first lookup (nil: none)
		viaOwn bool        // the change goes through the cached store; else through the second store
		change oauthChange
	}{
		{"client secret rotated by another process", lookClient, nil, false, rotateClientSecret},
		{"client secret rotated by this store", lookClient, nil, true, rotateClientSecret},
		{"client deleted by another process", lookClient, nil, false, deleteClient},
		{"client deleted by this store", lookClient, nil, true, deleteClient},
		{"jti denied by another process", lookDenied, nil, false, denyJTI},
		{"jti denied by this store", lookDenied, nil, true, denyJTI},
		{"denied jti pruned after its expiry by another process", lookDenied, denyJTI, false, pruneAfterExpiry},
		{"denied jti pruned after its expiry by this store", lookDenied, denyJTI, true, pruneAfterExpiry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			cached, _, other := twoStores(t, credcache.Options{})
			f := mustCreateOAuthFixture(t, other, "olive")
			if tt.setup != nil {
				if err := tt.setup(ctx, other, f); err != nil {
					t.Fatalf("setup: %v", err)
				}
			}
			before := tt.look(ctx, cached, f)
			if again := tt.look(ctx, cached, f); again != before {
				t.Fatalf("second lookup %q, first %q", again, before)
			}
			if st := cached.Stats(); st.Hits != 1 {
				t.Fatalf("stats after two lookups: %+v, want one hit (else this test proves nothing)", st)
			}
			var writer gatehouse.Store = other
			if tt.viaOwn {
				writer = cached.own
			}
			if err := tt.change(ctx, writer, f); err != nil {
				t.Fatalf("change: %v", err)
			}
			after, truth := tt.look(ctx, cached, f), tt.look(ctx, other, f)
			if after == before || after != truth {
				t.Errorf("after the change the cached store says %q (before: %q), the database %q", after, before, truth)
			}
		})
	}
}

var pruneAfterExpiry oauthChange = func(ctx context.Context, s gatehouse.Store, f oauthFixture) error {
	_, err := s.PruneOAuthGrants(ctx, created.Add(2*time.Hour)) // denyJTI's entry expires at +1h
	return err
}

// blindStores opens a cached store on a fresh SQLite file whose feed is that of ANOTHER file:
// a real feed that never sees this file's commits. It stands for an asynchronous feed
// (PostgreSQL's) whose notification has not arrived yet, so that only the cache's own write
// write count can make a lookup after a write through the cached store exact. other is a second,
// plain store on the cached store's file.
func blindStores(t *testing.T) (cached *cachedStore, other *sqlstore.Store) {
	t.Helper()
	dir := t.TempDir()
	elsewhere, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(dir, "elsewhere.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { elsewhere.Close() })
	feed, err := elsewhere.ChangeFeed(t.Context())
	if err != nil {
		t.Fatalf("ChangeFeed: %v", err)
	}
	path := filepath.Join(dir, "gatehouse.db")
	a, err := sqlstore.OpenSQLite(t.Context(), path)
	if err != nil {
		feed.Close()
		t.Fatalf("Open: %v", err)
	}
	cached = &cachedStore{Cache: credcache.New(a, feed, credcache.Options{}), own: a}
	t.Cleanup(func() {
		if err := cached.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		a.Close()
	})
	other, err = sqlstore.OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatalf("Open the second store: %v", err)
	}
	t.Cleanup(func() { other.Close() })
	return cached, other
}

// TestOwnWritesMoveTheWriteCount: with a feed that does not see the writes, a write through
// the store the cache reads is still seen by its very next lookup (the store's write count),
// while the same write through another store is not (which shows the feed is blind, so the
// write count is what the first half tests).
func TestOwnWritesMoveTheWriteCount(t *testing.T) {
	tests := []struct {
		name   string
		look   oauthFingerprint
		setup  oauthChange
		change oauthChange
	}{
		{"client secret rotated", lookClient, nil, rotateClientSecret},
		{"client deleted", lookClient, nil, deleteClient},
		{"jti denied", lookDenied, nil, denyJTI},
		{"denied jti pruned after its expiry", lookDenied, denyJTI, pruneAfterExpiry},
		{"PAT revoked", func(ctx context.Context, s lookups, f oauthFixture) string {
			return lookPAT(ctx, s, f.credentials)
		}, nil, func(ctx context.Context, s gatehouse.Store, f oauthFixture) error {
			return s.RevokePAT(ctx, f.user.ID, f.pat.ID, created.Add(time.Hour), "test")
		}},
		{"credentials changed", func(ctx context.Context, s lookups, f oauthFixture) string {
			return lookUserChanged(ctx, s, f.credentials)
		}, nil, func(ctx context.Context, s gatehouse.Store, f oauthFixture) error {
			return setCredentialsChanged(ctx, s, f.credentials)
		}},
		{"account claimed", func(ctx context.Context, s lookups, f oauthFixture) string {
			return lookSession(ctx, s, f.credentials)
		}, nil, func(ctx context.Context, s gatehouse.Store, f oauthFixture) error {
			return claimAccount(ctx, s, f.credentials)
		}},
	}
	for _, tt := range tests {
		for _, own := range []bool{true, false} {
			name := tt.name + " by this store"
			if !own {
				name = tt.name + " by another process (not seen: the feed is blind)"
			}
			t.Run(name, func(t *testing.T) {
				ctx := t.Context()
				cached, other := blindStores(t)
				f := mustCreateOAuthFixture(t, other, "blind")
				if tt.setup != nil {
					if err := tt.setup(ctx, other, f); err != nil {
						t.Fatalf("setup: %v", err)
					}
				}
				before := tt.look(ctx, cached, f)
				var writer gatehouse.Store = other
				if own {
					writer = cached.own
				}
				if err := tt.change(ctx, writer, f); err != nil {
					t.Fatalf("change: %v", err)
				}
				after, truth := tt.look(ctx, cached, f), tt.look(ctx, other, f)
				if truth == before {
					t.Fatalf("the change changed nothing: %q", truth)
				}
				switch {
				case own && after != truth:
					t.Errorf("after its own write the cached store says %q (before: %q), the database %q", after, before, truth)
				case !own && after != before:
					t.Errorf("the blind feed saw another process's write: %q (before %q); this test proves nothing", after, before)
				}
			})
		}
	}
}

// TestOAuthFailuresAreNotCached: an unknown client is never remembered, so its creation needs
// no invalidation; the denylist's answers are (both of them).
func TestOAuthFailuresAreNotCached(t *testing.T) {
	ctx := t.Context()
	cached, _, other := twoStores(t, credcache.Options{})
	f := mustCreateOAuthFixture(t, other, "henry")
	for range 2 {
		if _, err := cached.OAuthClientByID(ctx, "cli_unknown"); !errors.Is(err, gatehouse.ErrNotFound) {
			t.Fatalf("unknown client: %v, want ErrNotFound", err)
		}
		if _, err := cached.OAuthClientByID(ctx, gatehouse.BuiltInCLIClientID); !errors.Is(err, gatehouse.ErrNotFound) {
			t.Fatalf("built-in client: %v, want ErrNotFound (it is not stored)", err)
		}
	}
	if st := cached.Stats(); st.Entries != 0 || st.Hits != 0 {
		t.Errorf("stats %+v: a client not found was cached", st)
	}
	for range 2 {
		if got := lookDenied(ctx, cached, f); got != "denied=false" {
			t.Fatalf("jti: %q", got)
		}
	}
	if st := cached.Stats(); st.Entries != 1 || st.Hits != 1 {
		t.Errorf("stats %+v: want the jti's answer cached and served once", st)
	}
}

// TestOAuthClientCopies: what a caller changes in a returned client never reaches the cache.
func TestOAuthClientCopies(t *testing.T) {
	ctx := t.Context()
	cached, _, other := twoStores(t, credcache.Options{})
	f := mustCreateOAuthFixture(t, other, "ivy")
	want := lookClient(ctx, other, f)
	for range 2 { // the first call returns what the store read, the second a cached copy
		c, err := cached.OAuthClientByID(ctx, f.client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.RedirectURIs[0] != "https://app.example/cb" || c.GrantTypes[1] != "client_credentials" || c.Scopes[0] != "openid" {
			t.Fatalf("lookup returned a changed client: %+v", c)
		}
		c.SecretHash[0]++
		c.SecretPrefix = "mallory"
		c.RedirectURIs[0], c.GrantTypes[1], c.Scopes[0] = "https://evil.example/cb", "password", "admin"
	}
	if got := lookClient(ctx, cached, f); got != want {
		t.Errorf("third lookup %q, want %q", got, want)
	}
	if st := cached.Stats(); st.Hits < 2 {
		t.Errorf("stats %+v: want hits (else this test proves nothing)", st)
	}
}

// TestOwnWritesInvalidate: a write of this instance that may change a cached row — a
// revocation, a failed one, a write to a table the store does not know to be outside every cached
// lookup — moves the store's write count and the entry is not served again; a write only to a
// table no lookup reads (an audit event, a mail) keeps the entry (sqlstore/writecount.go).
func TestOwnWritesInvalidate(t *testing.T) {
	writes := []struct {
		name        string
		invalidates bool
		write       func(ctx context.Context, s gatehouse.Store, f oauthFixture) error
	}{
		{"PAT revoked", true, func(ctx context.Context, s gatehouse.Store, f oauthFixture) error {
			return s.RevokePAT(ctx, f.credentials.pat.UserID, f.credentials.pat.ID, created, "test")
		}},
		{"a failed revocation", true, func(ctx context.Context, s gatehouse.Store, f oauthFixture) error {
			if err := s.RevokePAT(ctx, "usr_nobody", "pat_nothing", created, "test"); !errors.Is(err, gatehouse.ErrNotFound) {
				return fmt.Errorf("RevokePAT of nothing: %v, want not found", err)
			}
			return nil
		}},
		{"audit event appended", false, func(ctx context.Context, s gatehouse.Store, f oauthFixture) error {
			return s.AppendAuditEvent(ctx, &gatehouse.AuditEvent{Type: "test.event", CreatedAt: created})
		}},
		{"mail enqueued", false, func(ctx context.Context, s gatehouse.Store, f oauthFixture) error {
			return s.EnqueueMail(ctx, &gatehouse.OutboundMail{Kind: "test", To: "a@example.com", Subject: "s", Text: "t", CreatedAt: created})
		}},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			ctx := t.Context()
			cached, other := blindStores(t)
			f := mustCreateOAuthFixture(t, other, "writer")
			lookPAT(ctx, cached, f.credentials)
			lookPAT(ctx, cached, f.credentials)
			if st := cached.Stats(); st.Hits != 1 {
				t.Fatalf("stats %+v: want one hit before the write (else this test proves nothing)", st)
			}
			before := cached.own.Writes()
			if err := w.write(ctx, cached.own, f); err != nil {
				t.Fatal(err)
			}
			if moved := cached.own.Writes() != before; moved != w.invalidates {
				t.Fatalf("the write moved the store's write count: %v, want %v", moved, w.invalidates)
			}
			lookPAT(ctx, cached, f.credentials)
			want := credcache.Stats{Hits: 2, Misses: 1}
			if w.invalidates {
				want = credcache.Stats{Hits: 1, Misses: 2}
			}
			if st := cached.Stats(); st.Hits != want.Hits || st.Misses != want.Misses {
				t.Errorf("stats %+v after the write: want %d hits, %d misses", st, want.Hits, want.Misses)
			}
		})
	}
}
