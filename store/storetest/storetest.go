package storetest

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// test is one named conformance check; it gets a fresh, empty store.
type test struct {
	name string
	run  func(t *testing.T, s gatehouse.Store)
}

// Run runs the conformance suite. newStore must return a fresh, empty, migrated store each time it
// is called (a new SQLite file, a new PostgreSQL schema ...); Run closes every store it gets, in a
// t.Cleanup registered after newStore returns (so cleanups newStore registers, such as dropping a
// schema, run after the Close).
func Run(t *testing.T, newStore func(t *testing.T) gatehouse.Store) {
	t.Helper()
	groups := []struct {
		name  string
		tests []test
	}{
		{"Store", storeTests()},
		{"Users", userTests()},
		{"Sessions", sessionTests()},
		{"Orgs", orgTests()},
		{"Members", memberTests()},
		{"Audit", auditTests()},
		{"LoginThrottle", throttleTests()},
		{"PATs", patTests()},
		{"Agents", agentTests()},
		{"APIKeys", apiKeyTests()},
		{"Mail", mailTests()},
		{"OneTimeTokens", oneTimeTokenTests()},
		{"Passkeys", passkeyTests()},
		{"Identities", identityTests()},
		{"Challenges", challengeTests()},
		{"OAuthClients", oauthClientTests()},
		{"SigningKeys", signingKeyTests()},
		{"OAuthGrants", oauthGrantTests()},
		{"CredentialChanges", claimTests()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					s := newStore(t)
					t.Cleanup(func() {
						if err := s.Close(); err != nil {
							t.Errorf("Close: %v", err)
						}
					})
					tc.run(t, s)
				})
			}
		})
	}
}

func storeTests() []test {
	return []test{
		{"Ping", func(t *testing.T, s gatehouse.Store) {
			if err := s.Ping(t.Context()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		}},
	}
}

// base is the fixed time every test counts from (millisecond precision, UTC).
var base = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// at returns base+d.
func at(d time.Duration) time.Time { return base.Add(d) }

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// newUser returns an unsaved user with every field set, named name (email name@example.com).
func newUser(name string, created time.Time) *gatehouse.User {
	return &gatehouse.User{
		ID:           gatehouse.NewID(gatehouse.PrefixUser, created, nil),
		Kind:         gatehouse.KindUser,
		Username:     name,
		Email:        name + "@Example.com",
		DisplayName:  "The " + name,
		AvatarURL:    "https://img.example.com/" + name + ".png",
		BannerURL:    "https://img.example.com/" + name + "-banner.png",
		Description:  "I am " + name + ".",
		Theme:        "dark",
		Font:         "serif",
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$" + name,
		CreatedAt:    created,
		UpdatedAt:    created,
	}
}

// mustCreateUser saves a new user named name.
func mustCreateUser(t *testing.T, s gatehouse.Store, name string) *gatehouse.User {
	t.Helper()
	u := newUser(name, base)
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u
}

// newSession returns an unsaved session of userID created at created, expiring after ttl, with
// a random token hash.
func newSession(userID string, created time.Time, ttl time.Duration) *gatehouse.Session {
	token := make([]byte, 32)
	if _, err := rand.Read(token); err != nil {
		panic(err)
	}
	h := sha256.Sum256(token)
	return &gatehouse.Session{
		ID:          gatehouse.NewID(gatehouse.PrefixSession, created, nil),
		UserID:      userID,
		TokenHash:   h[:],
		TokenPrefix: fmt.Sprintf("gth_ses_%x…", token[:2]),
		CreatedAt:   created,
		ExpiresAt:   created.Add(ttl),
		LastSeenAt:  created,
		IP:          "192.0.2.10",
		UserAgent:   "storetest/1.0",
	}
}

// mustCreateSession saves a new session of userID created at created, valid for ttl.
func mustCreateSession(t *testing.T, s gatehouse.Store, userID string, created time.Time, ttl time.Duration) *gatehouse.Session {
	t.Helper()
	sess := newSession(userID, created, ttl)
	if err := s.CreateSession(t.Context(), sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return sess
}

// mustCreateOrg saves a new org named name created at created.
func mustCreateOrg(t *testing.T, s gatehouse.Store, name string, created time.Time) *gatehouse.Org {
	t.Helper()
	o := &gatehouse.Org{ID: gatehouse.NewID(gatehouse.PrefixOrg, created, nil), Name: name, CreatedAt: created}
	if err := s.CreateOrg(t.Context(), o); err != nil {
		t.Fatalf("CreateOrg(%s): %v", name, err)
	}
	return o
}

// stamp renders a time for comparison: the instant to the nanosecond and whether it is in UTC.
func stamp(tm time.Time) string {
	s := tm.Format("2006-01-02T15:04:05.000000000Z07:00")
	if tm.Location() != time.UTC {
		s += " (not UTC: " + tm.Location().String() + ")"
	}
	return s
}

func stampPtr(tm *time.Time) string {
	if tm == nil {
		return "nil"
	}
	return stamp(*tm)
}

// utc returns tm in UTC (expected values are written in any zone; stores return UTC).
func utc(tm time.Time) time.Time { return tm.UTC() }

func utcPtr(tm *time.Time) *time.Time {
	if tm == nil {
		return nil
	}
	return ptr(tm.UTC())
}

type userView struct {
	ID, Kind, Username, Email              string
	EmailVerified                          bool
	DisplayName, AvatarURL, BannerURL      string
	Description, Theme, Font, PasswordHash string
	IsAdmin                                bool
	DisabledAt, CreatedAt, UpdatedAt       string
}

func viewUser(u *gatehouse.User) userView {
	return userView{
		ID: u.ID, Kind: u.Kind, Username: u.Username, Email: u.Email, EmailVerified: u.EmailVerified,
		DisplayName: u.DisplayName, AvatarURL: u.AvatarURL, BannerURL: u.BannerURL,
		Description: u.Description, Theme: u.Theme, Font: u.Font, PasswordHash: u.PasswordHash,
		IsAdmin: u.IsAdmin, DisabledAt: stampPtr(u.DisabledAt), CreatedAt: stamp(u.CreatedAt),
		UpdatedAt: stamp(u.UpdatedAt),
	}
}

// expectUser returns want as a store should return it: times in UTC.
func expectUser(want *gatehouse.User) *gatehouse.User {
	w := *want
	w.DisabledAt = utcPtr(w.DisabledAt)
	w.CreatedAt, w.UpdatedAt = utc(w.CreatedAt), utc(w.UpdatedAt)
	return &w
}

// checkUser fails t unless got equals want (times compared as UTC instants).
func checkUser(t *testing.T, what string, got, want *gatehouse.User) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil user", what)
	}
	if g, w := viewUser(got), viewUser(expectUser(want)); g != w {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

type sessionView struct {
	ID, UserID, TokenHash, TokenPrefix     string
	CreatedAt, ExpiresAt, LastSeenAt       string
	IP, UserAgent, RevokedAt, RevokeReason string
	AuthenticatedAt, AMR                   string
}

func viewSession(s *gatehouse.Session) sessionView {
	return sessionView{
		ID: s.ID, UserID: s.UserID, TokenHash: fmt.Sprintf("%x", s.TokenHash), TokenPrefix: s.TokenPrefix,
		CreatedAt: stamp(s.CreatedAt), ExpiresAt: stamp(s.ExpiresAt), LastSeenAt: stamp(s.LastSeenAt),
		IP: s.IP, UserAgent: s.UserAgent, RevokedAt: stampPtr(s.RevokedAt), RevokeReason: s.RevokeReason,
		AuthenticatedAt: stamp(s.AuthenticatedAt), AMR: gatehouse.FormatAMR(s.AMR),
	}
}

func expectSession(want *gatehouse.Session) *gatehouse.Session {
	w := *want
	w.CreatedAt, w.ExpiresAt, w.LastSeenAt = utc(w.CreatedAt), utc(w.ExpiresAt), utc(w.LastSeenAt)
	w.RevokedAt = utcPtr(w.RevokedAt)
	if w.AuthenticatedAt.IsZero() {
		w.AuthenticatedAt = w.CreatedAt
	}
	w.AuthenticatedAt = utc(w.AuthenticatedAt)
	return &w
}

// checkSession fails t unless got equals want (times compared as UTC instants).
func checkSession(t *testing.T, what string, got, want *gatehouse.Session) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil session", what)
	}
	if g, w := viewSession(got), viewSession(expectSession(want)); g != w {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// sessionIDs returns the IDs of ss in order.
func sessionIDs(ss []gatehouse.Session) []string {
	ids := make([]string, len(ss))
	for i := range ss {
		ids[i] = ss[i].ID
	}
	return ids
}

// wantNotFound fails t unless err matches gatehouse.ErrNotFound.
func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("%s: got error %v (code %q), want ErrNotFound", what, err, gatehouse.ErrorCode(err))
	}
}

// wantCode fails t unless err is a *gatehouse.Error with code.
func wantCode(t *testing.T, what string, err error, code gatehouse.Code) {
	t.Helper()
	if got := gatehouse.ErrorCode(err); got != code {
		t.Errorf("%s: got error %v (code %q), want code %q", what, err, got, code)
	}
}

// noLeak fails t if a domain error carries driver text.
func noLeak(t *testing.T, err error) {
	t.Helper()
	var e *gatehouse.Error
	if errors.As(err, &e) {
		low := strings.ToLower(e.Message)
		for _, bad := range []string{"constraint", "sql", "violates", "duplicate key", "pq:", "sqlstate"} {
			if strings.Contains(low, bad) {
				t.Errorf("domain error message %q leaks driver text (%q)", e.Message, bad)
			}
		}
	}
}

// parallel runs f(i) for i in [0,n) in n goroutines released at the same moment.
func parallel(n int, f func(i int)) {
	var start, done sync.WaitGroup
	start.Add(1)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			defer done.Done()
			start.Wait()
			f(i)
		}()
	}
	start.Done()
	done.Wait()
}
