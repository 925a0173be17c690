package credcache_test

import (
	"crypto/rand"
	"crypto/sha256"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/credcache"
	"github.com/gatehouse-auth/gatehouse/store/sqlstore"
)

var created = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// lookups are the cached lookups: a *credcache.Cache's, or a store's (the truth).
type lookups = credcache.Lookups

// cachedStore is what app composes, as far as the tests need it: the lookups through the cache,
// the writes through the store the cache reads (own), whose write count the cache keys with.
type cachedStore struct {
	*credcache.Cache
	own *sqlstore.Store
}

// twoStores opens a cached store on a fresh SQLite file and a second, plain store on the same
// file: another process as far as SQLite is concerned (its own connections).
func twoStores(t testing.TB, o credcache.Options) (cached *cachedStore, feed sqlstore.ChangeFeed, other *sqlstore.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	a, err := sqlstore.OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	feed, err = a.ChangeFeed(t.Context())
	if err != nil {
		a.Close()
		t.Fatalf("ChangeFeed: %v", err)
	}
	cached = &cachedStore{Cache: credcache.New(a, feed, o), own: a}
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
	return cached, feed, other
}

func randomHash() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	h := sha256.Sum256(b)
	return h[:]
}

func ptr[T any](v T) *T { return &v }

// credentials is one of each credential, stored.
type credentials struct {
	user    *gatehouse.User
	session *gatehouse.Session
	pat     *gatehouse.PersonalAccessToken
	org     *gatehouse.Org
	key     *gatehouse.APIKey
	agent   *gatehouse.Agent
	agentU  *gatehouse.User
}

// mustCreateCredentials stores a user named name with a session and a PAT, an organization with
// an API key, and a verified agent owned by the user.
func mustCreateCredentials(t testing.TB, s gatehouse.Store, name string) credentials {
	t.Helper()
	ctx := t.Context()
	var c credentials
	c.user = &gatehouse.User{ID: gatehouse.NewID(gatehouse.PrefixUser, created, nil), Kind: gatehouse.KindUser,
		Username: name, Email: name + "@example.com", DisplayName: "The " + name, CreatedAt: created, UpdatedAt: created}
	if err := s.CreateUser(ctx, c.user); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	c.session = &gatehouse.Session{ID: gatehouse.NewID(gatehouse.PrefixSession, created, nil), UserID: c.user.ID,
		TokenHash: randomHash(), CreatedAt: created, ExpiresAt: created.Add(24 * time.Hour), LastSeenAt: created, IP: "192.0.2.1"}
	if err := s.CreateSession(ctx, c.session); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	c.pat = &gatehouse.PersonalAccessToken{ID: gatehouse.NewID(gatehouse.PrefixPAT, created, nil), UserID: c.user.ID,
		Name: "deploy", TokenHash: randomHash(), Scopes: []string{"calls:read"}, CreatedAt: created,
		ExpiresAt: ptr(created.Add(90 * 24 * time.Hour))}
	if err := s.CreatePAT(ctx, c.pat, 0, created); err != nil {
		t.Fatalf("CreatePAT: %v", err)
	}
	c.org = &gatehouse.Org{ID: gatehouse.NewID(gatehouse.PrefixOrg, created, nil), Name: name + "-org", CreatedAt: created}
	if err := s.CreateOrg(ctx, c.org); err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
	c.key = &gatehouse.APIKey{ID: gatehouse.NewID(gatehouse.PrefixAPIKey, created, nil), OrgID: c.org.ID, Name: "backend",
		Environment: gatehouse.EnvironmentLive, TokenHash: randomHash(), Scopes: []string{"calls:read"},
		AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, RateLimit: &gatehouse.Rate{Limit: 10, Period: time.Minute},
		CreatedBy: c.user.ID, CreatedAt: created}
	if err := s.CreateAPIKey(ctx, c.key); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	c.agentU = &gatehouse.User{ID: gatehouse.NewID(gatehouse.PrefixUser, created, nil), Kind: gatehouse.KindAgent,
		Username: name + "-bot", CreatedAt: created, UpdatedAt: created}
	c.agent = &gatehouse.Agent{ID: gatehouse.NewID(gatehouse.PrefixAgent, created, nil), UserID: c.agentU.ID, OwnerID: c.user.ID,
		Name: name + "-bot", TokenHash: randomHash(), CreatedAt: created, UpdatedAt: created}
	if err := s.CreateAgent(ctx, c.agent, c.agentU); err != nil {
		t.Fatalf("CreateAgent: %v", err)
	}
	if err := s.VerifyAgent(ctx, c.agent.ID, c.user.ID, created); err != nil {
		t.Fatalf("VerifyAgent: %v", err)
	}
	return c
}
