package storetest

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func challengeTests() []test {
	return []test{
		{"SaveAndTake", testChallengeSaveAndTake},
		{"Defaults", testChallengeDefaults},
		{"SaveErrors", testChallengeSaveErrors},
		{"Take", testChallengeTake},
		{"TakeConcurrent", func(t *testing.T, s gatehouse.Store) { checkConcurrentTakes(t, s, s) }},
		{"Prune", testChallengePrune},
	}
}

// newChallenge returns an unsaved challenge for purpose created at created, valid for ttl, with
// every field set.
func newChallenge(purpose, userID string, created time.Time, ttl time.Duration) *gatehouse.Challenge {
	return &gatehouse.Challenge{
		ID:        gatehouse.NewID(gatehouse.PrefixChallenge, created, nil),
		Purpose:   purpose,
		UserID:    userID,
		Data:      []byte(fmt.Sprintf(`{"challenge":"%x"}`, randomHash())),
		CreatedAt: created,
		ExpiresAt: created.Add(ttl),
	}
}

// mustSaveChallenge saves c.
func mustSaveChallenge(t *testing.T, s gatehouse.Store, c *gatehouse.Challenge) *gatehouse.Challenge {
	t.Helper()
	if err := s.SaveChallenge(t.Context(), c); err != nil {
		t.Fatalf("SaveChallenge: %v", err)
	}
	return c
}

type challengeView struct {
	ID, Purpose, UserID, Data string
	CreatedAt, ExpiresAt      string
}

func viewChallenge(c *gatehouse.Challenge) challengeView {
	return challengeView{ID: c.ID, Purpose: c.Purpose, UserID: c.UserID, Data: string(c.Data),
		CreatedAt: stamp(c.CreatedAt), ExpiresAt: stamp(c.ExpiresAt)}
}

// checkChallenge fails t unless got equals want (times compared as UTC instants).
func checkChallenge(t *testing.T, what string, got, want *gatehouse.Challenge) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil challenge", what)
	}
	w := *want
	w.CreatedAt, w.ExpiresAt = utc(w.CreatedAt), utc(w.ExpiresAt)
	if g, wv := viewChallenge(got), viewChallenge(&w); g != wv {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, wv)
	}
}

func testChallengeSaveAndTake(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "ceremonial")
	cases := []struct{ name, purpose, userID string }{
		{"with a user", "passkey_register", u.ID},
		{"without a user", "passkey_login", ""},
		{"user not in the database", "oidc_login", gatehouse.NewID(gatehouse.PrefixUser, base, nil)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := mustSaveChallenge(t, s, newChallenge(c.purpose, c.userID, base.In(time.FixedZone("X", 3600)), 5*time.Minute))
			got, err := s.TakeChallenge(ctx, ch.ID, c.purpose, at(time.Minute))
			if err != nil {
				t.Fatalf("TakeChallenge: %v", err)
			}
			checkChallenge(t, "TakeChallenge", got, ch)
			_, err = s.TakeChallenge(ctx, ch.ID, c.purpose, at(time.Minute))
			wantNotFound(t, "TakeChallenge a second time", err)
			noLeak(t, err)
		})
	}
}

func testChallengeDefaults(t *testing.T, s gatehouse.Store) {
	before := time.Now().Add(-time.Second)
	c := &gatehouse.Challenge{Purpose: "passkey_login", ExpiresAt: time.Now().Add(time.Hour)}
	mustSaveChallenge(t, s, c)
	if !strings.HasPrefix(c.ID, gatehouse.PrefixChallenge+"_") {
		t.Errorf("ID = %q, want prefix %s_", c.ID, gatehouse.PrefixChallenge)
	}
	if c.CreatedAt.Before(before) || c.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedAt = %v, want about now", c.CreatedAt)
	}
	got, err := s.TakeChallenge(t.Context(), c.ID, "passkey_login", time.Now())
	if err != nil {
		t.Fatalf("TakeChallenge: %v", err)
	}
	checkChallenge(t, "TakeChallenge", got, c)
	if len(got.Data) != 0 {
		t.Errorf("Data = %q, want empty", got.Data)
	}
}

func testChallengeSaveErrors(t *testing.T, s gatehouse.Store) {
	taken := mustSaveChallenge(t, s, newChallenge("passkey_login", "", base, time.Hour))
	cases := []struct {
		name string
		edit func(c *gatehouse.Challenge)
		code gatehouse.Code
	}{
		{"no purpose", func(c *gatehouse.Challenge) { c.Purpose = "" }, gatehouse.CodeInvalidRequest},
		{"no expiry", func(c *gatehouse.Challenge) { c.ExpiresAt = time.Time{} }, gatehouse.CodeInvalidRequest},
		{"ID in use", func(c *gatehouse.Challenge) { c.ID = taken.ID }, gatehouse.CodeConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := newChallenge("passkey_register", "", base, time.Hour)
			c.edit(ch)
			err := s.SaveChallenge(t.Context(), ch)
			wantCode(t, "SaveChallenge", err, c.code)
			noLeak(t, err)
		})
	}
	got, err := s.TakeChallenge(t.Context(), taken.ID, taken.Purpose, base)
	if err != nil {
		t.Fatalf("TakeChallenge of the taken ID: %v", err)
	}
	checkChallenge(t, "the first challenge with the ID", got, taken)
}

func testChallengeTake(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	cases := []struct {
		name    string
		purpose string        // "" for the challenge's own
		id      string        // "" for the challenge's own
		now     time.Duration // since creation; the challenge lives 5 minutes
		ok      bool
	}{
		{"just before expiry", "", "", 5*time.Minute - time.Millisecond, true},
		{"at creation", "", "", 0, true},
		{"at expiry", "", "", 5 * time.Minute, false},
		{"after expiry", "", "", time.Hour, false},
		{"another purpose", "oidc_login", "", time.Minute, false},
		{"unknown ID", "", gatehouse.NewID(gatehouse.PrefixChallenge, base, nil), time.Minute, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := mustSaveChallenge(t, s, newChallenge("passkey_login", "", base, 5*time.Minute))
			purpose, id := ch.Purpose, ch.ID
			if c.purpose != "" {
				purpose = c.purpose
			}
			if c.id != "" {
				id = c.id
			}
			got, err := s.TakeChallenge(ctx, id, purpose, at(c.now))
			if c.ok {
				if err != nil {
					t.Fatalf("TakeChallenge: %v", err)
				}
				checkChallenge(t, "TakeChallenge", got, ch)
				return
			}
			wantNotFound(t, "TakeChallenge", err)
			if c.now < 5*time.Minute {
				// A refused take leaves a live challenge for its rightful taker.
				if _, err := s.TakeChallenge(ctx, ch.ID, ch.Purpose, at(time.Minute)); err != nil {
					t.Errorf("TakeChallenge after a refused take: %v", err)
				}
			}
		})
	}
}

// checkConcurrentTakes lets 10 takers on a and b (the same store or two over one database) take
// one challenge at once: exactly one gets it, the others get not found.
func checkConcurrentTakes(t *testing.T, a, b gatehouse.Store) {
	for round := range 2 {
		ch := mustSaveChallenge(t, a, newChallenge("passkey_login", "", at(time.Duration(round)*time.Minute), time.Hour))
		const n = 10
		var ok, missed atomic.Int32
		var winner atomic.Pointer[gatehouse.Challenge]
		parallel(n, func(i int) {
			s := []gatehouse.Store{a, b}[i%2]
			got, err := s.TakeChallenge(t.Context(), ch.ID, ch.Purpose, at(30*time.Minute))
			switch {
			case err == nil:
				ok.Add(1)
				winner.Store(got)
			case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
				missed.Add(1)
			default:
				t.Errorf("TakeChallenge: %v", err)
			}
		})
		if ok.Load() != 1 || missed.Load() != n-1 {
			t.Fatalf("round %d: %d takers got the challenge, %d got not found; want 1 and %d", round, ok.Load(), missed.Load(), n-1)
		}
		checkChallenge(t, "the winner's challenge", winner.Load(), ch)
	}
}

func testChallengePrune(t *testing.T, s gatehouse.Store) {
	p := s
	ctx := t.Context()
	old := mustSaveChallenge(t, s, newChallenge("passkey_login", "", base, time.Minute))
	edge := mustSaveChallenge(t, s, newChallenge("passkey_login", "", base, 2*time.Minute))
	live := mustSaveChallenge(t, s, newChallenge("passkey_login", "", base, 2*time.Minute+time.Millisecond))
	n, err := p.PruneChallenges(ctx, at(2*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("PruneChallenges = %d, %v; want 2", n, err)
	}
	for _, c := range []*gatehouse.Challenge{old, edge} {
		_, err := s.TakeChallenge(ctx, c.ID, c.Purpose, base)
		wantNotFound(t, "a pruned challenge", err)
	}
	if _, err := s.TakeChallenge(ctx, live.ID, live.Purpose, base); err != nil {
		t.Errorf("TakeChallenge of the live challenge: %v", err)
	}
}
