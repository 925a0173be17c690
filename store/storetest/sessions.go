package storetest

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func sessionTests() []test {
	return []test{
		{"CreateAndLookup", testSessionLookup},
		{"CreateErrors", testSessionCreateErrors},
		{"AssignsIDAndTimes", testSessionDefaults},
		{"List", testListSessions},
		{"Touch", testTouchSession},
		{"Reauthenticate", testReauthenticateSession},
		{"Revoke", testRevokeSession},
		{"RevokeUserSessions", testRevokeUserSessions},
	}
}

func testSessionLookup(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "holder")
	active := mustCreateSession(t, s, u.ID, base, 7*24*time.Hour)
	revoked := mustCreateSession(t, s, u.ID, at(time.Minute), 7*24*time.Hour)
	if err := s.RevokeSession(ctx, u.ID, revoked.ID, at(2*time.Minute), "logout"); err != nil {
		t.Fatalf("RevokeSession: %v", err)
	}
	revoked.RevokedAt, revoked.RevokeReason = ptr(at(2*time.Minute)), "logout"
	expired := mustCreateSession(t, s, u.ID, at(-48*time.Hour), time.Hour)
	long := newSession(u.ID, base, time.Hour)
	long.TokenHash = bytes.Repeat([]byte{0xab, 0x00, 0xcd, 0xff}, 16) // 64 bytes, zeros inside
	if err := s.CreateSession(ctx, long); err != nil {
		t.Fatalf("CreateSession with a 64-byte hash: %v", err)
	}

	cases := []struct {
		name string
		want *gatehouse.Session
	}{
		{"active", active},
		{"revoked", revoked},
		{"expired", expired},
		{"64-byte hash", long},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A copy of the hash: the store must compare bytes, not identity.
			sess, user, err := s.SessionByTokenHash(ctx, bytes.Clone(c.want.TokenHash))
			if err != nil {
				t.Fatalf("SessionByTokenHash: %v", err)
			}
			checkSession(t, "session", sess, c.want)
			checkUser(t, "user", user, u)
		})
	}
	t.Run("unknown hash", func(t *testing.T) {
		other := newSession(u.ID, base, time.Hour)
		sess, user, err := s.SessionByTokenHash(ctx, other.TokenHash)
		wantNotFound(t, "SessionByTokenHash", err)
		if sess != nil || user != nil {
			t.Errorf("got %v, %v with the error", sess, user)
		}
	})
}

func testSessionCreateErrors(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "holder")
	first := mustCreateSession(t, s, u.ID, base, time.Hour)
	cases := []struct {
		name   string
		mutate func(x *gatehouse.Session)
		check  func(t *testing.T, err error)
	}{
		{"same token hash", func(x *gatehouse.Session) { x.TokenHash = bytes.Clone(first.TokenHash) },
			func(t *testing.T, err error) { wantCode(t, "CreateSession", err, gatehouse.CodeConflict) }},
		{"same ID", func(x *gatehouse.Session) { x.ID = first.ID },
			func(t *testing.T, err error) { wantCode(t, "CreateSession", err, gatehouse.CodeConflict) }},
		{"unknown user", func(x *gatehouse.Session) { x.UserID = "usr_00000000000000000000000000" },
			func(t *testing.T, err error) { wantNotFound(t, "CreateSession", err) }},
		{"empty token hash", func(x *gatehouse.Session) { x.TokenHash = nil },
			func(t *testing.T, err error) { wantCode(t, "CreateSession", err, gatehouse.CodeInvalidRequest) }},
		{"token hash over 64 bytes", func(x *gatehouse.Session) { x.TokenHash = bytes.Repeat([]byte{7}, 65) },
			func(t *testing.T, err error) { wantCode(t, "CreateSession", err, gatehouse.CodeInvalidRequest) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := newSession(u.ID, base, time.Hour)
			c.mutate(x)
			err := s.CreateSession(ctx, x)
			c.check(t, err)
			noLeak(t, err)
		})
	}
	got, _, err := s.SessionByTokenHash(ctx, first.TokenHash)
	if err != nil {
		t.Fatalf("SessionByTokenHash: %v", err)
	}
	checkSession(t, "first session after the failures", got, first)
}

func testSessionDefaults(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "holder")
	x := newSession(u.ID, base, time.Hour)
	x.ID = ""
	x.LastSeenAt = time.Time{}
	if err := s.CreateSession(ctx, x); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	if len(x.ID) != len(gatehouse.PrefixSession)+1+26 || x.ID[:4] != "ses_" {
		t.Fatalf("assigned ID %q, want a ses_ ID", x.ID)
	}
	got, _, err := s.SessionByTokenHash(ctx, x.TokenHash)
	if err != nil {
		t.Fatalf("SessionByTokenHash: %v", err)
	}
	if got.ID != x.ID || !got.LastSeenAt.Equal(base) {
		t.Errorf("got ID %q LastSeenAt %s; want %q and the creation time", got.ID, stamp(got.LastSeenAt), x.ID)
	}
}

func testListSessions(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	now := base
	u := mustCreateUser(t, s, "lister")
	other := mustCreateUser(t, s, "other")
	oldest := mustCreateSession(t, s, u.ID, at(-3*time.Hour), 4*time.Hour)
	revoked := mustCreateSession(t, s, u.ID, at(-2*time.Hour), 4*time.Hour)
	if err := s.RevokeSession(ctx, u.ID, revoked.ID, at(-time.Hour), "logout"); err != nil {
		t.Fatalf("RevokeSession: %v", err)
	}
	mustCreateSession(t, s, u.ID, at(-time.Hour), time.Hour)                  // expires exactly at now
	mustCreateSession(t, s, u.ID, at(-90*time.Minute), time.Hour)             // expired before now
	middle := mustCreateSession(t, s, u.ID, at(-30*time.Minute), time.Hour)   // active
	newest := mustCreateSession(t, s, u.ID, at(-time.Minute), 61*time.Second) // expires 1s after now
	mustCreateSession(t, s, other.ID, at(-time.Minute), time.Hour)            // someone else's

	got, err := s.ListSessions(ctx, u.ID, now)
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	want := []string{newest.ID, middle.ID, oldest.ID}
	if ids := sessionIDs(got); !reflect.DeepEqual(ids, want) {
		t.Fatalf("ListSessions IDs = %v, want %v (newest first; no revoked, expired or other user's)", ids, want)
	}
	checkSession(t, "listed session", &got[0], newest)

	// Later, the newest has expired too.
	got, err = s.ListSessions(ctx, u.ID, at(time.Second))
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if ids := sessionIDs(got); !reflect.DeepEqual(ids, []string{middle.ID, oldest.ID}) {
		t.Errorf("ListSessions a second later = %v, want %v", ids, []string{middle.ID, oldest.ID})
	}

	none, err := s.ListSessions(ctx, "usr_00000000000000000000000000", now)
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("ListSessions of an unknown user = %#v, %v; want an empty list", none, err)
	}
}

func testTouchSession(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "toucher")
	x := mustCreateSession(t, s, u.ID, base, time.Hour)
	y := mustCreateSession(t, s, u.ID, base, time.Hour)
	cases := []struct {
		name string
		at   time.Time
		ip   string
	}{
		{"first use", at(time.Minute), "198.51.100.7"},
		{"later use from IPv6", at(5 * time.Minute), "2001:db8::1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := s.TouchSession(ctx, x.ID, c.at, c.ip); err != nil {
				t.Fatalf("TouchSession: %v", err)
			}
			got, _, err := s.SessionByTokenHash(ctx, x.TokenHash)
			if err != nil {
				t.Fatalf("SessionByTokenHash: %v", err)
			}
			want := *x
			want.LastSeenAt, want.IP = c.at, c.ip
			checkSession(t, "touched session", got, &want)
		})
	}
	untouched, _, err := s.SessionByTokenHash(ctx, y.TokenHash)
	if err != nil {
		t.Fatalf("SessionByTokenHash: %v", err)
	}
	checkSession(t, "other session", untouched, y)
	wantNotFound(t, "TouchSession of a missing session", s.TouchSession(ctx, "ses_00000000000000000000000000", base, "192.0.2.1"))
}

func testRevokeSession(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "owner")
	intruder := mustCreateUser(t, s, "intruder")
	mine := mustCreateSession(t, s, u.ID, base, time.Hour)
	expired := mustCreateSession(t, s, u.ID, at(-2*time.Hour), time.Hour)
	theirs := mustCreateSession(t, s, intruder.ID, base, time.Hour)
	revokedAt := at(time.Minute)

	cases := []struct {
		name      string
		userID    string
		session   *gatehouse.Session
		wantErr   bool
		wantAfter *gatehouse.Session
	}{
		{"another user's session", intruder.ID, mine, true, mine},
		{"own active session", u.ID, mine, false, withRevoked(mine, revokedAt, "user_revoked")},
		{"already revoked", u.ID, mine, true, withRevoked(mine, revokedAt, "user_revoked")},
		{"own expired session", u.ID, expired, false, withRevoked(expired, revokedAt, "user_revoked")},
		{"unknown user", "usr_00000000000000000000000000", theirs, true, theirs},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			when, reason := revokedAt, "user_revoked"
			if c.wantErr {
				when, reason = revokedAt.Add(time.Duration(i)*time.Hour), "should-not-stick"
			}
			err := s.RevokeSession(ctx, c.userID, c.session.ID, when, reason)
			if c.wantErr {
				wantNotFound(t, "RevokeSession", err)
			} else if err != nil {
				t.Fatalf("RevokeSession: %v", err)
			}
			got, _, err := s.SessionByTokenHash(ctx, c.session.TokenHash)
			if err != nil {
				t.Fatalf("SessionByTokenHash: %v", err)
			}
			checkSession(t, "session after", got, c.wantAfter)
		})
	}
	wantNotFound(t, "RevokeSession of a missing session",
		s.RevokeSession(ctx, u.ID, "ses_00000000000000000000000000", revokedAt, "x"))
	got, err := s.ListSessions(ctx, u.ID, base)
	if err != nil || len(got) != 0 {
		t.Errorf("ListSessions after revoking = %v, %v; want none", sessionIDs(got), err)
	}
}

func withRevoked(x *gatehouse.Session, when time.Time, reason string) *gatehouse.Session {
	y := *x
	y.RevokedAt, y.RevokeReason = &when, reason
	return &y
}

func testRevokeUserSessions(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "victim")
	other := mustCreateUser(t, s, "bystander")
	a := mustCreateSession(t, s, u.ID, base, time.Hour)
	b := mustCreateSession(t, s, u.ID, base, time.Hour) // the caller's own
	c := mustCreateSession(t, s, u.ID, base, time.Hour)
	if err := s.RevokeSession(ctx, u.ID, c.ID, at(time.Second), "logout"); err != nil {
		t.Fatalf("RevokeSession: %v", err)
	}
	expired := mustCreateSession(t, s, u.ID, at(-2*time.Hour), time.Hour)
	o := mustCreateSession(t, s, other.ID, base, time.Hour)

	steps := []struct {
		name     string
		userID   string
		exceptID string
		at       time.Time
		want     int
	}{
		{"all but the caller's", u.ID, b.ID, at(time.Minute), 1},
		{"the rest", u.ID, "", at(2 * time.Minute), 1},
		{"nothing left", u.ID, "", at(3 * time.Minute), 0},
		{"unknown user", "usr_00000000000000000000000000", "", at(3 * time.Minute), 0},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			n, err := s.RevokeUserSessions(ctx, st.userID, st.exceptID, st.at, "admin_revoked")
			if err != nil {
				t.Fatalf("RevokeUserSessions: %v", err)
			}
			if n != st.want {
				t.Errorf("revoked %d, want %d", n, st.want)
			}
		})
	}
	wants := []struct {
		name string
		x    *gatehouse.Session
		want *gatehouse.Session
	}{
		{"a", a, withRevoked(a, at(time.Minute), "admin_revoked")},
		{"b (excepted first)", b, withRevoked(b, at(2*time.Minute), "admin_revoked")},
		{"c (already revoked)", c, withRevoked(c, at(time.Second), "logout")},
		{"expired (not active, untouched)", expired, expired},
		{"other user's", o, o},
	}
	for _, w := range wants {
		got, _, err := s.SessionByTokenHash(ctx, w.x.TokenHash)
		if err != nil {
			t.Fatalf("SessionByTokenHash(%s): %v", w.name, err)
		}
		checkSession(t, w.name, got, w.want)
	}
}

func testReauthenticateSession(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "reauth")
	x := newSession(u.ID, base, time.Hour)
	x.AMR = []string{"pwd"}
	if err := s.CreateSession(ctx, x); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	other := mustCreateSession(t, s, u.ID, base, time.Hour)
	cases := []struct {
		name string
		at   time.Time
		amr  []string
	}{
		{"password", at(3 * time.Minute), []string{"pwd"}},
		{"passkey", at(9 * time.Minute), []string{"hwk", "user"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := s.ReauthenticateSession(ctx, x.ID, c.at, c.amr); err != nil {
				t.Fatalf("ReauthenticateSession: %v", err)
			}
			got, _, err := s.SessionByTokenHash(ctx, x.TokenHash)
			if err != nil {
				t.Fatalf("SessionByTokenHash: %v", err)
			}
			want := *x
			want.AuthenticatedAt, want.AMR = c.at, c.amr
			checkSession(t, "re-authenticated session", got, &want)
		})
	}
	untouched, _, err := s.SessionByTokenHash(ctx, other.TokenHash)
	if err != nil {
		t.Fatalf("SessionByTokenHash: %v", err)
	}
	checkSession(t, "other session", untouched, other)
	t.Run("revoked", func(t *testing.T) {
		if err := s.RevokeSession(ctx, u.ID, other.ID, at(time.Minute), "logout"); err != nil {
			t.Fatalf("RevokeSession: %v", err)
		}
		wantNotFound(t, "ReauthenticateSession of a revoked session", s.ReauthenticateSession(ctx, other.ID, at(2*time.Minute), nil))
	})
	t.Run("unknown", func(t *testing.T) {
		wantNotFound(t, "ReauthenticateSession of an unknown session", s.ReauthenticateSession(ctx, "ses_unknown", at(2*time.Minute), nil))
	})
}
