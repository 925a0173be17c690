package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func oneTimeTokenTests() []test {
	return []test{
		{"CreateAndActive", testOTTCreateAndActive},
		{"Defaults", testOTTDefaults},
		{"CreateErrors", testOTTCreateErrors},
		{"ReplacesEarlier", testOTTReplacesEarlier},
		{"CreateConcurrent", func(t *testing.T, s gatehouse.Store) { checkConcurrentCreates(t, s, s) }},
		{"CreateWithMail", testOTTCreateWithMail},
		{"CreateFailureLeavesNothing", testOTTCreateFailureLeavesNothing},
		{"Consume", testOTTConsume},
		{"ConsumeConcurrent", func(t *testing.T, s gatehouse.Store) { checkConcurrentConsume(t, s, s) }},
		{"Active", testOTTActive},
		{"Fail", testOTTFail},
		{"FailConcurrent", func(t *testing.T, s gatehouse.Store) { checkConcurrentFails(t, s, s) }},
		{"DeletedWithUser", testOTTDeletedWithUser},
	}
}

// newOTT returns an unsaved token of userID for purpose created at created, valid for ttl, with
// every field set and a random hash.
func newOTT(userID, purpose string, created time.Time, ttl time.Duration) *gatehouse.OneTimeToken {
	return &gatehouse.OneTimeToken{
		ID:        gatehouse.NewID(gatehouse.PrefixOneTimeToken, created, nil),
		Purpose:   purpose,
		UserID:    userID,
		Email:     "Person@Example.com",
		TokenHash: randomHash(),
		CreatedAt: created,
		ExpiresAt: created.Add(ttl),
	}
}

// mustCreateOTT saves tok without a mail.
func mustCreateOTT(t *testing.T, s gatehouse.Store, tok *gatehouse.OneTimeToken) *gatehouse.OneTimeToken {
	t.Helper()
	if err := s.CreateOneTimeToken(t.Context(), tok, nil); err != nil {
		t.Fatalf("CreateOneTimeToken: %v", err)
	}
	return tok
}

type ottView struct {
	ID, Purpose, UserID, Email, TokenHash string
	CreatedAt, ExpiresAt                  string
	Attempts                              int
	UsedAt                                string
}

func viewOTT(o *gatehouse.OneTimeToken) ottView {
	return ottView{
		ID: o.ID, Purpose: o.Purpose, UserID: o.UserID, Email: o.Email, TokenHash: fmt.Sprintf("%x", o.TokenHash),
		CreatedAt: stamp(o.CreatedAt), ExpiresAt: stamp(o.ExpiresAt), Attempts: o.Attempts, UsedAt: stampPtr(o.UsedAt),
	}
}

// checkOTT fails t unless got equals want (times compared as UTC instants).
func checkOTT(t *testing.T, what string, got, want *gatehouse.OneTimeToken) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil token", what)
	}
	w := *want
	w.CreatedAt, w.ExpiresAt, w.UsedAt = utc(w.CreatedAt), utc(w.ExpiresAt), utcPtr(w.UsedAt)
	if g, wv := viewOTT(got), viewOTT(&w); g != wv {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, wv)
	}
}

func testOTTCreateAndActive(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	zone := time.FixedZone("X", 9*3600)
	cases := []struct {
		name string
		edit func(o *gatehouse.OneTimeToken)
	}{
		{"every field", func(o *gatehouse.OneTimeToken) {}},
		{"times in another zone", func(o *gatehouse.OneTimeToken) {
			o.CreatedAt, o.ExpiresAt = o.CreatedAt.In(zone), o.ExpiresAt.In(zone)
		}},
		{"no email", func(o *gatehouse.OneTimeToken) { o.Email = "" }},
		{"counted guesses", func(o *gatehouse.OneTimeToken) { o.Attempts = 3 }},
		{"short hash", func(o *gatehouse.OneTimeToken) { o.TokenHash = []byte{0, 1, 2} }},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := mustCreateUser(t, s, fmt.Sprintf("ott%c", 'a'+i))
			o := newOTT(u.ID, gatehouse.PurposeEmailVerify, base, 10*time.Minute)
			c.edit(o)
			want := *o
			mustCreateOTT(t, s, o)
			checkOTT(t, "token after CreateOneTimeToken", o, &want)
			got, err := s.ActiveOneTimeToken(ctx, u.ID, gatehouse.PurposeEmailVerify, at(time.Minute))
			if err != nil {
				t.Fatalf("ActiveOneTimeToken: %v", err)
			}
			checkOTT(t, "active token", got, &want)
		})
	}
}

func testOTTDefaults(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "defaults")
	before := time.Now().Truncate(time.Millisecond)
	o := &gatehouse.OneTimeToken{Purpose: gatehouse.PurposeMagicLink, UserID: u.ID, TokenHash: randomHash(),
		ExpiresAt: time.Now().Add(15 * time.Minute)}
	mustCreateOTT(t, s, o)
	after := time.Now()
	if !strings.HasPrefix(o.ID, gatehouse.PrefixOneTimeToken+"_") {
		t.Errorf("ID = %q, want an %s_ ID", o.ID, gatehouse.PrefixOneTimeToken)
	}
	if o.CreatedAt.Before(before) || o.CreatedAt.After(after) {
		t.Errorf("CreatedAt = %s, want now (%s .. %s)", stamp(o.CreatedAt), stamp(before), stamp(after))
	}
	got, err := s.ActiveOneTimeToken(t.Context(), u.ID, gatehouse.PurposeMagicLink, time.Now())
	if err != nil {
		t.Fatalf("ActiveOneTimeToken: %v", err)
	}
	checkOTT(t, "active token", got, o)
}

func testOTTCreateErrors(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "owner")
	other := mustCreateUser(t, s, "other")
	taken := mustCreateOTT(t, s, newOTT(u.ID, gatehouse.PurposePasswordReset, base, time.Hour))
	cases := []struct {
		name string
		edit func(o *gatehouse.OneTimeToken)
		code gatehouse.Code // "" for not found
	}{
		{"unknown user", func(o *gatehouse.OneTimeToken) { o.UserID = gatehouse.NewID(gatehouse.PrefixUser, base, nil) }, ""},
		{"no user", func(o *gatehouse.OneTimeToken) { o.UserID = "" }, gatehouse.CodeInvalidRequest},
		{"no purpose", func(o *gatehouse.OneTimeToken) { o.Purpose = "" }, gatehouse.CodeInvalidRequest},
		{"no hash", func(o *gatehouse.OneTimeToken) { o.TokenHash = nil }, gatehouse.CodeInvalidRequest},
		{"no expiry", func(o *gatehouse.OneTimeToken) { o.ExpiresAt = time.Time{} }, gatehouse.CodeInvalidRequest},
		{"hash of another user's unused token", func(o *gatehouse.OneTimeToken) { o.TokenHash = taken.TokenHash }, gatehouse.CodeConflict},
		{"ID in use", func(o *gatehouse.OneTimeToken) { o.ID = taken.ID }, gatehouse.CodeConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := newOTT(other.ID, gatehouse.PurposePasswordReset, at(time.Minute), time.Hour)
			c.edit(o)
			err := s.CreateOneTimeToken(ctx, o, nil)
			if c.code == "" {
				wantNotFound(t, "CreateOneTimeToken", err)
			} else {
				wantCode(t, "CreateOneTimeToken", err, c.code)
			}
			noLeak(t, err)
		})
	}
	// The same hash is fine for another purpose, and once the first token is used.
	mustCreateOTT(t, s, &gatehouse.OneTimeToken{Purpose: gatehouse.PurposeMagicLink, UserID: other.ID,
		TokenHash: taken.TokenHash, CreatedAt: base, ExpiresAt: at(time.Hour)})
	if _, err := s.ConsumeOneTimeToken(ctx, gatehouse.PurposePasswordReset, taken.TokenHash, at(time.Minute)); err != nil {
		t.Fatalf("ConsumeOneTimeToken: %v", err)
	}
	mustCreateOTT(t, s, &gatehouse.OneTimeToken{Purpose: gatehouse.PurposePasswordReset, UserID: other.ID,
		TokenHash: taken.TokenHash, CreatedAt: at(2 * time.Minute), ExpiresAt: at(time.Hour)})
}

func testOTTReplacesEarlier(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "resender")
	v := mustCreateUser(t, s, "bystander")
	first := mustCreateOTT(t, s, newOTT(u.ID, gatehouse.PurposeEmailVerify, base, 10*time.Minute))
	otherPurpose := mustCreateOTT(t, s, newOTT(u.ID, gatehouse.PurposeMagicLink, base, 15*time.Minute))
	otherUser := mustCreateOTT(t, s, newOTT(v.ID, gatehouse.PurposeEmailVerify, base, 10*time.Minute))
	second := mustCreateOTT(t, s, newOTT(u.ID, gatehouse.PurposeEmailVerify, at(time.Minute), 10*time.Minute))

	now := at(2 * time.Minute)
	active, err := s.ActiveOneTimeToken(ctx, u.ID, gatehouse.PurposeEmailVerify, now)
	if err != nil || active.ID != second.ID {
		t.Fatalf("ActiveOneTimeToken = %v, %v; want the newer token %s", active, err, second.ID)
	}
	cases := []struct {
		name    string
		tok     *gatehouse.OneTimeToken
		usable  bool
		usedAt  *time.Time
		purpose string
	}{
		{"the replaced token", first, false, nil, gatehouse.PurposeEmailVerify},
		{"the user's token of another purpose", otherPurpose, true, ptr(now), gatehouse.PurposeMagicLink},
		{"another user's token", otherUser, true, ptr(now), gatehouse.PurposeEmailVerify},
		{"the newer token", second, true, ptr(now), gatehouse.PurposeEmailVerify},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ConsumeOneTimeToken(ctx, c.purpose, c.tok.TokenHash, now)
			if !c.usable {
				wantNotFound(t, "ConsumeOneTimeToken", err)
				return
			}
			if err != nil {
				t.Fatalf("ConsumeOneTimeToken: %v", err)
			}
			want := *c.tok
			want.UsedAt = c.usedAt
			checkOTT(t, "consumed token", got, &want)
		})
	}
}

func testOTTCreateWithMail(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "mailed")
	o := newOTT(u.ID, gatehouse.PurposePasswordReset, base, time.Hour)
	m := newMail(u.Email, time.Time{})
	m.ID, m.NextAttemptAt = "", time.Time{}
	m.CreatedAt = base
	if err := s.CreateOneTimeToken(t.Context(), o, m); err != nil {
		t.Fatalf("CreateOneTimeToken: %v", err)
	}
	if !strings.HasPrefix(m.ID, gatehouse.PrefixMail+"_") || !m.NextAttemptAt.Equal(base) {
		t.Errorf("mail not filled as EnqueueMail does: ID %q, NextAttemptAt %s", m.ID, stamp(m.NextAttemptAt))
	}
	got := mustClaim(t, s, at(time.Second), 10)
	if len(got) != 1 {
		t.Fatalf("claimed %v, want the token's mail", mailIDs(got))
	}
	want := *m
	want.NextAttemptAt = at(time.Second + time.Minute)
	checkMail(t, "the token's mail", &got[0], &want)
	if _, err := s.ActiveOneTimeToken(t.Context(), u.ID, gatehouse.PurposePasswordReset, at(time.Second)); err != nil {
		t.Errorf("ActiveOneTimeToken: %v", err)
	}
}

func testOTTCreateFailureLeavesNothing(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "atomic")
	w := mustCreateUser(t, s, "holder")
	earlier := mustCreateOTT(t, s, newOTT(u.ID, gatehouse.PurposeMagicLink, base, 15*time.Minute))
	held := mustCreateOTT(t, s, newOTT(w.ID, gatehouse.PurposeMagicLink, base, 15*time.Minute))
	queued := mustEnqueue(t, s, newMail("queued@example.com", base))
	cases := []struct {
		name string
		tok  func() *gatehouse.OneTimeToken
		mail func() *gatehouse.OutboundMail
	}{
		{"the mail fails (ID in use)", func() *gatehouse.OneTimeToken {
			return newOTT(u.ID, gatehouse.PurposeMagicLink, at(time.Minute), 15*time.Minute)
		}, func() *gatehouse.OutboundMail {
			m := newMail(u.Email, at(time.Minute))
			m.ID = queued.ID
			return m
		}},
		{"the token fails (unknown user)", func() *gatehouse.OneTimeToken {
			return newOTT(gatehouse.NewID(gatehouse.PrefixUser, base, nil), gatehouse.PurposeMagicLink, at(time.Minute), 15*time.Minute)
		}, func() *gatehouse.OutboundMail { return newMail("nobody@example.com", at(time.Minute)) }},
		{"the token fails (hash of another user's unused token)", func() *gatehouse.OneTimeToken {
			o := newOTT(u.ID, gatehouse.PurposeMagicLink, at(time.Minute), 15*time.Minute)
			o.TokenHash = held.TokenHash
			return o
		}, func() *gatehouse.OutboundMail { return newMail("again@example.com", at(time.Minute)) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.tok()
			if err := s.CreateOneTimeToken(ctx, o, c.mail()); err == nil {
				t.Fatalf("CreateOneTimeToken succeeded, want an error")
			}
			if !slices.Equal(o.TokenHash, held.TokenHash) {
				_, err := s.ConsumeOneTimeToken(ctx, gatehouse.PurposeMagicLink, o.TokenHash, at(2*time.Minute))
				wantNotFound(t, "the failed token", err)
			}
			// Its replacement of the earlier token is undone too.
			active, err := s.ActiveOneTimeToken(ctx, u.ID, gatehouse.PurposeMagicLink, at(2*time.Minute))
			if err != nil || active.ID != earlier.ID {
				t.Errorf("ActiveOneTimeToken = %v, %v; want the earlier token %s still unused", active, err, earlier.ID)
			}
		})
	}
	if got, err := s.ActiveOneTimeToken(ctx, w.ID, gatehouse.PurposeMagicLink, at(2*time.Minute)); err != nil || got.ID != held.ID {
		t.Errorf("the other user's token = %v, %v; want %s unused", got, err, held.ID)
	}
	got := mustClaim(t, s, at(time.Hour), 10)
	if !slices.Equal(mailIDs(got), []string{queued.ID}) {
		t.Errorf("outbox holds %v, want only %s (no mail from the failed creations)", mailIDs(got), queued.ID)
	}
}

func testOTTConsume(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "consumer")
	purposes := []string{gatehouse.PurposeEmailVerify, gatehouse.PurposePasswordReset, gatehouse.PurposeMagicLink}
	cases := []struct {
		name    string
		purpose string        // the purpose asked for ("" for the token's)
		hash    []byte        // the hash asked for (nil for the token's)
		after   time.Duration // since creation
		ok      bool
	}{
		{"valid", "", nil, time.Minute, true},
		{"a millisecond before expiry", "", nil, 10*time.Minute - time.Millisecond, true},
		{"at expiry", "", nil, 10 * time.Minute, false},
		{"after expiry", "", nil, time.Hour, false},
		{"wrong purpose", gatehouse.PurposeMagicLink, nil, time.Minute, false},
		{"unknown hash", "", randomHash(), time.Minute, false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			purpose := purposes[i%2] // never PurposeMagicLink
			created := at(time.Duration(i) * time.Hour)
			o := mustCreateOTT(t, s, newOTT(u.ID, purpose, created, 10*time.Minute))
			ask, hash, now := purpose, o.TokenHash, created.Add(c.after)
			if c.purpose != "" {
				ask = c.purpose
			}
			if c.hash != nil {
				hash = c.hash
			}
			got, err := s.ConsumeOneTimeToken(ctx, ask, hash, now)
			if !c.ok {
				wantNotFound(t, "ConsumeOneTimeToken", err)
				noLeak(t, err)
				return
			}
			if err != nil {
				t.Fatalf("ConsumeOneTimeToken: %v", err)
			}
			want := *o
			want.UsedAt = ptr(now)
			checkOTT(t, "consumed token", got, &want)
			_, err = s.ConsumeOneTimeToken(ctx, ask, hash, now)
			wantNotFound(t, "ConsumeOneTimeToken a second time", err)
			_, err = s.ActiveOneTimeToken(ctx, u.ID, purpose, now)
			wantNotFound(t, "ActiveOneTimeToken after use", err)
		})
	}
}

func testOTTActive(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "active")
	v := mustCreateUser(t, s, "neighbour")
	_, err := s.ActiveOneTimeToken(ctx, u.ID, gatehouse.PurposeEmailVerify, base)
	wantNotFound(t, "ActiveOneTimeToken with no token", err)
	o := mustCreateOTT(t, s, newOTT(u.ID, gatehouse.PurposeEmailVerify, base, 10*time.Minute))
	mustCreateOTT(t, s, newOTT(v.ID, gatehouse.PurposeEmailVerify, at(time.Minute), 10*time.Minute))
	cases := []struct {
		name    string
		userID  string
		purpose string
		now     time.Time
		ok      bool
	}{
		{"the user's token", u.ID, gatehouse.PurposeEmailVerify, at(time.Minute), true},
		{"other purpose", u.ID, gatehouse.PurposePasswordReset, at(time.Minute), false},
		{"unknown user", gatehouse.NewID(gatehouse.PrefixUser, base, nil), gatehouse.PurposeEmailVerify, at(time.Minute), false},
		{"at expiry", u.ID, gatehouse.PurposeEmailVerify, at(10 * time.Minute), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ActiveOneTimeToken(ctx, c.userID, c.purpose, c.now)
			if !c.ok {
				wantNotFound(t, "ActiveOneTimeToken", err)
				return
			}
			if err != nil {
				t.Fatalf("ActiveOneTimeToken: %v", err)
			}
			checkOTT(t, "active token", got, o)
		})
	}
}

func testOTTFail(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "guesser")
	o := mustCreateOTT(t, s, newOTT(u.ID, gatehouse.PurposeEmailVerify, base, 10*time.Minute))
	for want := 1; want <= 3; want++ {
		n, err := s.FailOneTimeToken(ctx, o.ID)
		if err != nil || n != want {
			t.Fatalf("FailOneTimeToken #%d = %d, %v; want %d", want, n, err, want)
		}
	}
	got, err := s.ActiveOneTimeToken(ctx, u.ID, gatehouse.PurposeEmailVerify, at(time.Minute))
	if err != nil {
		t.Fatalf("ActiveOneTimeToken: %v", err)
	}
	want := *o
	want.Attempts = 3
	checkOTT(t, "token after three wrong guesses", got, &want)
	_, err = s.FailOneTimeToken(ctx, gatehouse.NewID(gatehouse.PrefixOneTimeToken, base, nil))
	wantNotFound(t, "FailOneTimeToken(unknown)", err)
}

func testOTTDeletedWithUser(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "leaver")
	keep := mustCreateUser(t, s, "stayer")
	o := newOTT(u.ID, gatehouse.PurposePasswordReset, base, time.Hour)
	m := newMail(u.Email, base)
	if err := s.CreateOneTimeToken(ctx, o, m); err != nil {
		t.Fatalf("CreateOneTimeToken: %v", err)
	}
	kept := mustCreateOTT(t, s, newOTT(keep.ID, gatehouse.PurposePasswordReset, base, time.Hour))
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err := s.ConsumeOneTimeToken(ctx, gatehouse.PurposePasswordReset, o.TokenHash, at(time.Minute))
	wantNotFound(t, "the deleted user's token", err)
	_, err = s.FailOneTimeToken(ctx, o.ID)
	wantNotFound(t, "FailOneTimeToken on the deleted user's token", err)
	if got, err := s.ActiveOneTimeToken(ctx, keep.ID, gatehouse.PurposePasswordReset, at(time.Minute)); err != nil || got.ID != kept.ID {
		t.Errorf("other user's token = %v, %v; want %s", got, err, kept.ID)
	}
	// The outbox is not linked to accounts: the mail stays.
	if got := mustClaim(t, s, at(time.Minute), 10); !slices.Equal(mailIDs(got), []string{m.ID}) {
		t.Errorf("outbox after DeleteUser holds %v, want %s", mailIDs(got), m.ID)
	}
}

// checkConcurrentConsume lets 10 consumers on a and b (the same store or two over one database)
// use one token at once: exactly one succeeds, the others get not found.
func checkConcurrentConsume(t *testing.T, a, b gatehouse.Store) {
	u := mustCreateUser(t, a, "racer")
	for round, purpose := range []string{gatehouse.PurposeMagicLink, gatehouse.PurposePasswordReset} {
		o := mustCreateOTT(t, a, newOTT(u.ID, purpose, at(time.Duration(round)*time.Minute), time.Hour))
		const n = 10
		var ok, missed atomic.Int32
		var winner atomic.Pointer[gatehouse.OneTimeToken]
		parallel(n, func(i int) {
			s := []gatehouse.Store{a, b}[i%2]
			got, err := s.ConsumeOneTimeToken(t.Context(), purpose, o.TokenHash, at(30*time.Minute))
			switch {
			case err == nil:
				ok.Add(1)
				winner.Store(got)
			case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
				missed.Add(1)
			default:
				t.Errorf("ConsumeOneTimeToken: %v", err)
			}
		})
		if ok.Load() != 1 || missed.Load() != n-1 {
			t.Fatalf("%s: %d consumers succeeded, %d got not found; want 1 and %d", purpose, ok.Load(), missed.Load(), n-1)
		}
		if w := winner.Load(); w.ID != o.ID || w.UsedAt == nil {
			t.Errorf("%s: the winner got %+v, want token %s marked used", purpose, w, o.ID)
		}
	}
}

// checkConcurrentFails counts 20 wrong guesses at once through a and b: the final count is 20
// and every call saw a different count.
func checkConcurrentFails(t *testing.T, a, b gatehouse.Store) {
	u := mustCreateUser(t, a, "bruteforce")
	o := mustCreateOTT(t, a, newOTT(u.ID, gatehouse.PurposeEmailVerify, base, 10*time.Minute))
	const n = 20
	counts := make([]int, n)
	parallel(n, func(i int) {
		s := []gatehouse.Store{a, b}[i%2]
		c, err := s.FailOneTimeToken(t.Context(), o.ID)
		if err != nil {
			t.Errorf("FailOneTimeToken: %v", err)
		}
		counts[i] = c
	})
	slices.Sort(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("counts returned %v, want each of 1..%d once", counts, n)
		}
	}
	got, err := a.ActiveOneTimeToken(t.Context(), u.ID, gatehouse.PurposeEmailVerify, at(time.Minute))
	if err != nil || got.Attempts != n {
		t.Errorf("ActiveOneTimeToken = %+v, %v; want Attempts %d", got, err, n)
	}
}

// checkConcurrentCreates creates 10 tokens of one user and purpose at once through a and b:
// afterwards exactly one of them is unused (the one ActiveOneTimeToken returns).
func checkConcurrentCreates(t *testing.T, a, b gatehouse.Store) {
	u := mustCreateUser(t, a, "resender")
	const n = 10
	toks := make([]*gatehouse.OneTimeToken, n)
	parallel(n, func(i int) {
		toks[i] = newOTT(u.ID, gatehouse.PurposeEmailVerify, at(time.Duration(i)*time.Millisecond), time.Hour)
		if err := []gatehouse.Store{a, b}[i%2].CreateOneTimeToken(t.Context(), toks[i], nil); err != nil {
			t.Errorf("CreateOneTimeToken: %v", err)
		}
	})
	now := at(time.Minute)
	active, err := a.ActiveOneTimeToken(t.Context(), u.ID, gatehouse.PurposeEmailVerify, now)
	if err != nil {
		t.Fatalf("ActiveOneTimeToken: %v", err)
	}
	var usable []string
	for _, o := range toks {
		if _, err := a.ConsumeOneTimeToken(t.Context(), gatehouse.PurposeEmailVerify, o.TokenHash, now); err == nil {
			usable = append(usable, o.ID)
		} else {
			wantNotFound(t, "ConsumeOneTimeToken of a replaced token", err)
		}
	}
	if len(usable) != 1 || usable[0] != active.ID {
		t.Errorf("usable tokens after %d parallel creations: %v; want just the active one %s", n, usable, active.ID)
	}
}
