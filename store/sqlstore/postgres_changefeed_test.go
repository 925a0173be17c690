package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/credcache"
	"github.com/gatehouse-auth/gatehouse/store/pgtest"
	"github.com/jackc/pgx/v5"
)

var feedCreated = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// cachedInstance is one Gatehouse instance's store as app composes it: its own pool (plain,
// which every write goes through) and its own listener, and the cache of plain's lookups.
type cachedInstance struct {
	*credcache.Cache
	plain *Store
	feed  *postgresFeed
}

// lookups are the cached lookups (a *credcache.Cache's) or a store's (the truth).
type lookups = credcache.Lookups

func openCachedInstance(t *testing.T, url string, minBackoff time.Duration) cachedInstance {
	t.Helper()
	s, err := OpenPostgres(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	f, err := s.postgresFeed(t.Context(), minBackoff)
	if err != nil {
		t.Fatal(err)
	}
	c := credcache.New(s, f, credcache.Options{})
	t.Cleanup(func() { c.Close(); s.Close() })
	if _, ok, _ := f.Generation(t.Context()); !ok {
		t.Fatal("the feed is not listening after ChangeFeed returned")
	}
	return cachedInstance{Cache: c, plain: s, feed: f}
}

func (c cachedInstance) gen(t *testing.T) uint64 {
	t.Helper()
	g, ok, err := c.feed.Generation(t.Context())
	if !ok || err != nil {
		t.Fatalf("Generation: ok %v, err %v", ok, err)
	}
	return g
}

// waitFor polls cond every millisecond until it holds, failing the test after 10 s: a bound on
// a wait for an asynchronous event, not a claim about its speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func feedHash() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	h := sha256.Sum256(b)
	return h[:]
}

type feedCredentials struct {
	user    *gatehouse.User
	session *gatehouse.Session
	pat     *gatehouse.PersonalAccessToken
	org     *gatehouse.Org
	key     *gatehouse.APIKey
}

func mustCreateFeedCredentials(t *testing.T, s gatehouse.Store, name string) feedCredentials {
	t.Helper()
	ctx := t.Context()
	var c feedCredentials
	c.user = &gatehouse.User{ID: gatehouse.NewID(gatehouse.PrefixUser, feedCreated, nil), Kind: gatehouse.KindUser,
		Username: name, DisplayName: "The " + name, CreatedAt: feedCreated, UpdatedAt: feedCreated}
	c.session = &gatehouse.Session{ID: gatehouse.NewID(gatehouse.PrefixSession, feedCreated, nil), UserID: c.user.ID,
		TokenHash: feedHash(), CreatedAt: feedCreated, ExpiresAt: feedCreated.Add(24 * time.Hour), LastSeenAt: feedCreated}
	c.pat = &gatehouse.PersonalAccessToken{ID: gatehouse.NewID(gatehouse.PrefixPAT, feedCreated, nil), UserID: c.user.ID,
		TokenHash: feedHash(), Scopes: []string{"calls:read"}, CreatedAt: feedCreated}
	c.org = &gatehouse.Org{ID: gatehouse.NewID(gatehouse.PrefixOrg, feedCreated, nil), Name: name + "-org", CreatedAt: feedCreated}
	c.key = &gatehouse.APIKey{ID: gatehouse.NewID(gatehouse.PrefixAPIKey, feedCreated, nil), OrgID: c.org.ID,
		Environment: gatehouse.EnvironmentLive, TokenHash: feedHash(), CreatedAt: feedCreated}
	for _, err := range []error{
		s.CreateUser(ctx, c.user), s.CreateSession(ctx, c.session), s.CreatePAT(ctx, c.pat, 0, feedCreated),
		s.CreateOrg(ctx, c.org), s.CreateAPIKey(ctx, c.key),
	} {
		if err != nil {
			t.Fatalf("create credentials: %v", err)
		}
	}
	return c
}

func patState(ctx context.Context, s lookups, c feedCredentials) string {
	pat, u, err := s.PATByTokenHash(ctx, c.pat.TokenHash)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("revoked=%v user=%s", pat.RevokedAt != nil, u.DisplayName)
}

func sessionState(ctx context.Context, s lookups, c feedCredentials) string {
	sess, u, err := s.SessionByTokenHash(ctx, c.session.TokenHash)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("revoked=%v lastSeen=%s user=%s", sess.RevokedAt != nil, sess.LastSeenAt.Format(time.RFC3339), u.DisplayName)
}

func keyState(ctx context.Context, s lookups, c feedCredentials) string {
	k, err := s.APIKeyByTokenHash(ctx, c.key.TokenHash)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("revoked=%v expires=%v", k.RevokedAt != nil, k.ExpiresAt)
}

// TestChangeFeedAcrossInstances: two instances on one database, each with its cache and
// listener. A change through one reaches the other's feed, and the other's next lookup after
// its generation moved sees the change. A change through an instance is seen by that instance's
// very next lookup, without waiting for any notification (its store's write count moved).
func TestChangeFeedAcrossInstances(t *testing.T) {
	url := pgtest.FreshSchema(t, "gatehouse_test_")
	now := feedCreated.Add(time.Hour)
	runAcrossInstances(t, url, mustCreateFeedCredentials, []acrossCase[feedCredentials]{
		{"PAT revoked", patState, func(ctx context.Context, s gatehouse.Store, c feedCredentials) error {
			return s.RevokePAT(ctx, c.user.ID, c.pat.ID, now, "test")
		}},
		{"session revoked", sessionState, func(ctx context.Context, s gatehouse.Store, c feedCredentials) error {
			return s.RevokeSession(ctx, c.user.ID, c.session.ID, now, "test")
		}},
		{"API key revoked", keyState, func(ctx context.Context, s gatehouse.Store, c feedCredentials) error {
			return s.RevokeAPIKey(ctx, c.org.ID, c.key.ID, now, "test")
		}},
		{"user renamed", patState, func(ctx context.Context, s gatehouse.Store, c feedCredentials) error {
			_, err := s.UpdateUser(ctx, c.user.ID, gatehouse.UserUpdate{DisplayName: ptrTo("Renamed"), UpdatedAt: now})
			return err
		}},
		{"user deleted", sessionState, func(ctx context.Context, s gatehouse.Store, c feedCredentials) error {
			return s.DeleteUser(ctx, c.user.ID)
		}},
	})

}

// acrossCase is one change of TestChangeFeedAcrossInstances and its OAuth twin: what the
// lookups show (state) and the write that changes it.
type acrossCase[F any] struct {
	name   string
	state  func(ctx context.Context, s lookups, f F) string
	change func(ctx context.Context, s gatehouse.Store, f F) error
}

// runAcrossInstances runs each case on two cached instances of the database at url, the change
// made by the other instance and by the one that looks: the looking instance's next lookup sees
// the change, after the notification arrived (another instance's write) or at once (its own).
func runAcrossInstances[F any](t *testing.T, url string, create func(t *testing.T, s gatehouse.Store, name string) F, tests []acrossCase[F]) {
	t.Helper()
	a := openCachedInstance(t, url, feedMinBackoff)
	b := openCachedInstance(t, url, feedMinBackoff)
	for i, tt := range tests {
		for _, own := range []bool{false, true} {
			name := tt.name + " by the other instance"
			if own {
				name = tt.name + " by this instance"
			}
			t.Run(name, func(t *testing.T) {
				ctx := t.Context()
				c := create(t, a.plain, fmt.Sprintf("u%d%v", i, own))
				before := tt.state(ctx, b, c)
				hits := b.Stats().Hits
				if again := tt.state(ctx, b, c); again != before || b.Stats().Hits != hits+1 {
					t.Fatalf("second lookup %q (first %q), stats %+v: want a hit", again, before, b.Stats())
				}
				writer := a
				if own {
					writer = b
				}
				g0 := b.gen(t)
				if err := tt.change(ctx, writer.plain, c); err != nil {
					t.Fatalf("change: %v", err)
				}
				if !own { // the other instance's commit arrives by notification
					waitFor(t, "the notification", func() bool { return b.gen(t) > g0 })
				}
				after, truth := tt.state(ctx, b, c), tt.state(ctx, a.plain, c)
				if after == before || after != truth {
					t.Errorf("after the change: %q (before %q), database %q", after, before, truth)
				}
			})
		}
	}
}

// notifyCase is a write and the number of notifications about the store's schema it must send.
type notifyCase struct {
	name    string
	write   func() error
	notices int
}

// watcher is a plain listener of the test's own on CredentialsChannel.
type watcher struct {
	s        *Store
	listener *pgx.Conn
	schema   string
}

// openWatched opens a store on a fresh schema and a listener of CredentialsChannel beside it.
func openWatched(t *testing.T) (*Store, watcher) {
	t.Helper()
	url := pgtest.FreshSchema(t, "gatehouse_test_")
	ctx := t.Context()
	s, err := OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	listener, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { listener.Close(context.Background()) })
	if _, err := listener.Exec(ctx, "LISTEN "+CredentialsChannel); err != nil {
		t.Fatal(err)
	}
	w := watcher{s: s, listener: listener}
	if err := listener.QueryRow(ctx, "SELECT current_schema()").Scan(&w.schema); err != nil {
		t.Fatal(err)
	}
	return s, w
}

// check runs each case's write, then a fence (a notification with payload "fence"; PostgreSQL
// delivers the notifications of committed transactions in commit order), and counts the
// notifications about the schema that arrive before the fence: the write's.
func (w watcher) check(t *testing.T, tests []notifyCase) {
	t.Helper()
	ctx := t.Context()
	s, listener, schema := w.s, w.listener, w.schema
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.write(); err != nil {
				t.Fatalf("write: %v", err)
			}
			if _, err := s.w.ExecContext(ctx, "SELECT pg_notify($1, 'fence')", CredentialsChannel); err != nil {
				t.Fatal(err)
			}
			got, foreign := 0, 0
			for {
				waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
				n, err := listener.WaitForNotification(waitCtx)
				cancel()
				if err != nil {
					t.Fatalf("waiting for the fence: %v", err)
				}
				if n.Payload == "fence" {
					break
				}
				if n.Payload != schema {
					foreign++ // another schema's change (another test sharing the database)
					continue
				}
				got++
			}
			if got != tt.notices {
				t.Errorf("%d notifications about schema %s, want %d (and %d about other schemas)", got, schema, tt.notices, foreign)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestChangeFeedNotifications checks which writes notify, with a plain listener of the test's
// own: each write is followed by a fence (a notification with payload "fence"; PostgreSQL
// delivers the notifications of committed transactions in commit order), and the notifications
// that arrive before the fence are those of the write.
func TestChangeFeedNotifications(t *testing.T) {
	s, w := openWatched(t)
	ctx := t.Context()
	c := mustCreateFeedCredentials(t, s, "watched")
	now := feedCreated.Add(time.Hour)
	w.check(t, []notifyCase{
		{"session touched", func() error { return s.TouchSession(ctx, c.session.ID, now, "192.0.2.9") }, 0},
		{"PAT and API key uses recorded", func() error {
			return s.RecordCredentialUses(ctx, []gatehouse.CredentialUse{
				{Kind: gatehouse.CredentialPAT, ID: c.pat.ID, At: now, IP: "192.0.2.9"},
				{Kind: gatehouse.CredentialAPIKey, ID: c.key.ID, At: now, IP: "192.0.2.9"},
			})
		}, 0},
		{"new session created", func() error {
			x := *c.session
			x.ID, x.TokenHash = gatehouse.NewID(gatehouse.PrefixSession, now, nil), feedHash()
			return s.CreateSession(ctx, &x)
		}, 0},
		{"session revoked", func() error { return s.RevokeSession(ctx, c.user.ID, c.session.ID, now, "test") }, 1},
		{"PAT revoked", func() error { return s.RevokePAT(ctx, c.user.ID, c.pat.ID, now, "test") }, 1},
		{"API key revoked", func() error { return s.RevokeAPIKey(ctx, c.org.ID, c.key.ID, now, "test") }, 1},
		{"user updated", func() error {
			_, err := s.UpdateUser(ctx, c.user.ID, gatehouse.UserUpdate{Theme: ptrTo("light"), UpdatedAt: now})
			return err
		}, 1},
		{"user deleted with its credentials (one transaction)", func() error { return s.DeleteUser(ctx, c.user.ID) }, 1},
	})
}

// TestChangeFeedOutage kills the listener's connection: the feed says not ok (the cache is
// bypassed and a revocation made meanwhile is seen at once), and after the reconnection
// nothing cached before the outage is served, even what no notification named.
func TestChangeFeedOutage(t *testing.T) {
	url := pgtest.FreshSchema(t, "gatehouse_test_")
	ctx := t.Context()
	a := openCachedInstance(t, url, feedMinBackoff)
	b := openCachedInstance(t, url, 2*time.Second) // a long first backoff makes the outage observable
	revokedOutage := mustCreateFeedCredentials(t, a.plain, "revoked-in-outage")
	unchanged := mustCreateFeedCredentials(t, a.plain, "unchanged")
	for _, c := range []feedCredentials{revokedOutage, unchanged} {
		patState(ctx, b, c)
		patState(ctx, b, c)
	}
	if st := b.Stats(); st.Hits != 2 {
		t.Fatalf("stats %+v, want 2 hits", st)
	}
	pid := b.feed.pid.Load()
	if _, err := a.plain.w.ExecContext(ctx, "SELECT pg_terminate_backend($1)", int32(pid)); err != nil {
		t.Fatalf("terminate the listener: %v", err)
	}
	waitFor(t, "the feed to notice the outage", func() bool {
		_, ok, _ := b.feed.Generation(ctx)
		return !ok
	})

	// During the outage: bypass. The notification of this revocation is lost for b.
	if err := a.plain.RevokePAT(ctx, revokedOutage.user.ID, revokedOutage.pat.ID, feedCreated.Add(time.Hour), "test"); err != nil {
		t.Fatal(err)
	}
	bypasses := b.Stats().Bypasses
	if got := patState(ctx, b, revokedOutage); got != "revoked=true user=The revoked-in-outage" {
		t.Errorf("during the outage: %q", got)
	}
	if _, ok, _ := b.feed.Generation(ctx); ok {
		t.Fatal("the feed reconnected before the checks of the outage ended; lengthen its backoff")
	}
	if st := b.Stats(); st.Bypasses <= bypasses {
		t.Errorf("stats %+v: the lookup during the outage did not bypass the cache", st)
	}

	// After the reconnection: nothing from before is served.
	waitFor(t, "the feed to reconnect", func() bool {
		_, ok, _ := b.feed.Generation(ctx)
		return ok
	})
	if b.feed.pid.Load() == pid {
		t.Fatal("the listener did not reconnect")
	}
	hits := b.Stats().Hits
	if got := patState(ctx, b, revokedOutage); got != "revoked=true user=The revoked-in-outage" {
		t.Errorf("after the reconnection: %q", got)
	}
	if got := patState(ctx, b, unchanged); got != "revoked=false user=The unchanged" {
		t.Errorf("after the reconnection: %q", got)
	}
	if st := b.Stats(); st.Hits != hits {
		t.Errorf("stats %+v: an entry from before the outage was served", st)
	}
}

// TestChangeFeedOwnWriteWithoutNotification: a session touch does not notify, yet the instance
// that touches sees it at its next lookup (its store's write count moved); so does every write
// no trigger announces.
func TestChangeFeedOwnWriteWithoutNotification(t *testing.T) {
	url := pgtest.FreshSchema(t, "gatehouse_test_")
	ctx := t.Context()
	a := openCachedInstance(t, url, feedMinBackoff)
	c := mustCreateFeedCredentials(t, a.plain, "toucher")
	before := sessionState(ctx, a, c)
	if again := sessionState(ctx, a, c); again != before || a.Stats().Hits != 1 {
		t.Fatalf("second lookup %q, stats %+v: want a hit", again, a.Stats())
	}
	if err := a.plain.TouchSession(ctx, c.session.ID, feedCreated.Add(time.Hour), "192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	if after, truth := sessionState(ctx, a, c), sessionState(ctx, a.plain, c); after == before || after != truth {
		t.Errorf("after the touch: %q (before %q), database %q", after, before, truth)
	}
}

// TestChangeFeedClose: Close stops the listener; Generation then says not ok.
func TestChangeFeedClose(t *testing.T) {
	s := openPostgresTemp(t)
	f, err := s.ChangeFeed(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := f.Generation(t.Context()); !ok || err != nil {
		t.Fatalf("Generation: ok %v, err %v", ok, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := f.Generation(t.Context()); ok {
		t.Error("Generation ok after Close")
	}
	if err := f.Close(); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("second Close: %v", err)
	}
}
