package storetest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Opener opens a new Store over one database each time it is called (as a second process or
// instance would). The caller closes what it opens.
type Opener func(t *testing.T) gatehouse.Store

// RunShared runs the checks that need several stores over one database. newDatabase must create
// a fresh, empty database for the subtest and return an Opener for it; RunShared closes every
// store it opens.
func RunShared(t *testing.T, newDatabase func(t *testing.T) Opener) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"ReopenKeepsData", testReopen},
		{"InstancesSeeEachOther", testInstancesSeeEachOther},
		{"ConcurrentClaimsAcrossInstances", func(t *testing.T, open Opener) {
			checkConcurrentClaims(t, openClosed(t, open), openClosed(t, open))
		}},
		{"ConcurrentCreateAcrossInstances", testCreateAcrossInstances},
		{"MailClaimsAcrossInstances", func(t *testing.T, open Opener) {
			checkConcurrentMailClaims(t, openClosed(t, open), openClosed(t, open))
		}},
		{"ConsumeOneTimeTokenAcrossInstances", func(t *testing.T, open Opener) {
			checkConcurrentConsume(t, openClosed(t, open), openClosed(t, open))
		}},
		{"CreateOneTimeTokenAcrossInstances", func(t *testing.T, open Opener) {
			checkConcurrentCreates(t, openClosed(t, open), openClosed(t, open))
		}},
		{"FailOneTimeTokenAcrossInstances", func(t *testing.T, open Opener) {
			checkConcurrentFails(t, openClosed(t, open), openClosed(t, open))
		}},
		{"RecordPasskeyUseAcrossInstances", func(t *testing.T, open Opener) {
			checkConcurrentPasskeyUses(t, openClosed(t, open), openClosed(t, open))
		}},
		{"TakeChallengeAcrossInstances", func(t *testing.T, open Opener) {
			checkConcurrentTakes(t, openClosed(t, open), openClosed(t, open))
		}},
		{"InitSigningKeysAcrossInstances", func(t *testing.T, open Opener) {
			checkConcurrentInits(t, openClosed(t, open), openClosed(t, open))
		}},
		{"RotateSigningKeysAcrossInstances", func(t *testing.T, open Opener) {
			checkConcurrentRotations(t, openClosed(t, open), openClosed(t, open))
		}},
		{"RedeemAuthorizationCodeAcrossInstances", func(t *testing.T, open Opener) {
			checkConcurrentRedeems(t, openClosed(t, open), openClosed(t, open))
		}},
		{"RotateRefreshTokenAcrossInstances", func(t *testing.T, open Opener) {
			checkConcurrentRefreshRotations(t, openClosed(t, open), openClosed(t, open))
		}},
		{"PollDeviceAuthorizationAcrossInstances", func(t *testing.T, open Opener) {
			checkConcurrentPolls(t, openClosed(t, open), openClosed(t, open))
		}},
		{"GrantConsentAcrossInstances", func(t *testing.T, open Opener) {
			checkConcurrentGrants(t, openClosed(t, open), openClosed(t, open))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newDatabase(t)) })
	}
}

// openClosed opens a store and closes it when the test ends.
func openClosed(t *testing.T, open Opener) gatehouse.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func testReopen(t *testing.T, open Opener) {
	ctx := t.Context()
	p := gatehouse.LoginThrottlePolicy{Free: 0, Base: time.Hour, Max: time.Hour, Forget: time.Hour}

	s1 := open(t)
	org := mustCreateOrg(t, s1, "lobby", base)
	u := newUser("Durable", base)
	u.DisabledAt = ptr(at(time.Minute))
	if err := s1.CreateUser(ctx, u, gatehouse.Membership{OrgID: org.ID, Role: gatehouse.RoleOwner, CreatedAt: base}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	sess := mustCreateSession(t, s1, u.ID, base, time.Hour)
	ev := newEvent(gatehouse.EventUserRegistered, u.ID, u.ID, org.ID, base)
	ev.Details = map[string]any{"via": "test"}
	mustAppend(t, s1, ev)
	if _, err := s1.ClaimLoginAttempt(ctx, "durable", base, p); err != nil {
		t.Fatalf("ClaimLoginAttempt: %v", err)
	}
	if err := s1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s2 := openClosed(t, open)
	got, err := s2.UserByUsername(ctx, "durable")
	if err != nil {
		t.Fatalf("UserByUsername after reopen: %v", err)
	}
	checkUser(t, "user after reopen", got, u)
	gs, gu, err := s2.SessionByTokenHash(ctx, sess.TokenHash)
	if err != nil {
		t.Fatalf("SessionByTokenHash after reopen: %v", err)
	}
	checkSession(t, "session after reopen", gs, sess)
	checkUser(t, "session user after reopen", gu, u)
	orgs, err := s2.ListUserOrgs(ctx, u.ID)
	if err != nil || len(orgs) != 1 || orgs[0].Org.ID != org.ID || orgs[0].Role != gatehouse.RoleOwner {
		t.Errorf("ListUserOrgs after reopen = %+v, %v", orgs, err)
	}
	evs, err := s2.ListAuditEvents(ctx, gatehouse.AuditFilter{UserID: u.ID})
	if err != nil || len(evs) != 1 || evs[0].ID != ev.ID || evs[0].Details["via"] != "test" {
		t.Errorf("audit events after reopen = %+v, %v", evs, err)
	}
	if wait, err := s2.ClaimLoginAttempt(ctx, "durable", at(time.Minute), p); err != nil || wait != 59*time.Minute {
		t.Errorf("throttle after reopen: wait %v, %v; want 59m", wait, err)
	}
	// The unique rules survive too.
	again := newUser("DURABLE", base)
	again.Email = "someone-else@example.com"
	wantCode(t, "CreateUser with a taken name after reopen", s2.CreateUser(ctx, again), gatehouse.CodeUsernameTaken)
	if err := s2.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func testInstancesSeeEachOther(t *testing.T, open Opener) {
	ctx := t.Context()
	a, b := openClosed(t, open), openClosed(t, open)
	u := mustCreateUser(t, a, "shared")
	if got, err := b.UserByID(ctx, u.ID); err != nil {
		t.Fatalf("the other instance does not see the new user: %v", err)
	} else {
		checkUser(t, "user through the other instance", got, u)
	}
	sess := mustCreateSession(t, a, u.ID, base, time.Hour)
	if _, _, err := b.SessionByTokenHash(ctx, sess.TokenHash); err != nil {
		t.Fatalf("SessionByTokenHash on the other instance: %v", err)
	}
	// A revocation on one instance is seen by the very next lookup on the other.
	if err := b.RevokeSession(ctx, u.ID, sess.ID, at(time.Minute), "logout"); err != nil {
		t.Fatalf("RevokeSession: %v", err)
	}
	got, _, err := a.SessionByTokenHash(ctx, sess.TokenHash)
	if err != nil {
		t.Fatalf("SessionByTokenHash: %v", err)
	}
	if got.RevokedAt == nil {
		t.Fatalf("revocation on one instance not seen on the other")
	}
	if err := b.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err = a.UserByUsername(ctx, "shared")
	wantNotFound(t, "deleted user on the other instance", err)
}

func testCreateAcrossInstances(t *testing.T, open Opener) {
	stores := []gatehouse.Store{openClosed(t, open), openClosed(t, open)}
	const n = 20
	var ok, taken atomic.Int32
	parallel(n, func(i int) {
		u := newUser("contested", base)
		u.Email = ""
		err := stores[i%2].CreateUser(t.Context(), u)
		switch gatehouse.ErrorCode(err) {
		case "":
			ok.Add(1)
		case gatehouse.CodeUsernameTaken:
			taken.Add(1)
		default:
			t.Errorf("CreateUser: %v", err)
		}
	})
	if ok.Load() != 1 || taken.Load() != n-1 {
		t.Fatalf("%d created, %d username_taken; want 1 and %d", ok.Load(), taken.Load(), n-1)
	}
}

// BenchSessionByTokenHash measures the hot path of every authenticated request: looking up a
// session and its user by token hash, from parallel goroutines. s must be empty; it is not
// closed.
func BenchSessionByTokenHash(b *testing.B, s gatehouse.Store) {
	ctx := context.Background()
	const users, perUser = 16, 16
	var hashes [][]byte
	for i := 0; i < users; i++ {
		u := newUser("bench"+string(rune('a'+i)), base)
		if err := s.CreateUser(ctx, u); err != nil {
			b.Fatalf("CreateUser: %v", err)
		}
		for j := 0; j < perUser; j++ {
			sess := newSession(u.ID, base, 24*time.Hour)
			if err := s.CreateSession(ctx, sess); err != nil {
				b.Fatalf("CreateSession: %v", err)
			}
			hashes = append(hashes, sess.TokenHash)
		}
	}
	var next atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(7919)
		for pb.Next() {
			i++
			if _, _, err := s.SessionByTokenHash(ctx, hashes[i%uint64(len(hashes))]); err != nil {
				b.Errorf("SessionByTokenHash: %v", err)
				return
			}
		}
	})
}
