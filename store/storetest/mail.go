package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func mailTests() []test {
	return []test{
		{"EnqueueAndClaim", testEnqueueAndClaim},
		{"EnqueueDefaults", testEnqueueDefaults},
		{"EnqueueErrors", testEnqueueErrors},
		{"ClaimOldestFirst", testClaimOldestFirst},
		{"ClaimOnlyDue", testClaimOnlyDue},
		{"ClaimArguments", testClaimArguments},
		{"MarkSent", testMarkMailSent},
		{"MarkFailed", testMarkMailFailed},
		{"MarkDead", testMarkMailDead},
		{"MarkUnknown", testMarkMailUnknown},
		{"ClaimConcurrent", func(t *testing.T, s gatehouse.Store) { checkConcurrentMailClaims(t, s, s) }},
	}
}

// newMail returns an unsaved mail to to created at created, with every field set.
func newMail(to string, created time.Time) *gatehouse.OutboundMail {
	return &gatehouse.OutboundMail{
		ID:            gatehouse.NewID(gatehouse.PrefixMail, created, nil),
		Kind:          "password_reset",
		To:            to,
		Subject:       "Reset your password",
		Text:          "Follow https://auth.example.com/reset-password?token=abc to reset.",
		HTML:          `<p>Follow <a href="https://auth.example.com/reset-password?token=abc">this link</a>.</p>`,
		CreatedAt:     created,
		NextAttemptAt: created,
	}
}

// mustEnqueue saves m.
func mustEnqueue(t *testing.T, s gatehouse.Store, m *gatehouse.OutboundMail) *gatehouse.OutboundMail {
	t.Helper()
	if err := s.EnqueueMail(t.Context(), m); err != nil {
		t.Fatalf("EnqueueMail: %v", err)
	}
	return m
}

// mustClaim claims up to limit mails at now with a one-minute lease.
func mustClaim(t *testing.T, s gatehouse.Store, now time.Time, limit int) []gatehouse.OutboundMail {
	t.Helper()
	ms, err := s.ClaimMail(t.Context(), now, limit, time.Minute)
	if err != nil {
		t.Fatalf("ClaimMail(%s, %d): %v", stamp(now), limit, err)
	}
	if ms == nil {
		t.Errorf("ClaimMail returned a nil slice, want an empty one")
	}
	return ms
}

type mailView struct {
	ID, Kind, To, Subject, Text, HTML, CreatedAt string
	Attempts                                     int
	NextAttemptAt, SentAt, LastError             string
}

func viewMail(m *gatehouse.OutboundMail) mailView {
	return mailView{
		ID: m.ID, Kind: m.Kind, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		CreatedAt: stamp(m.CreatedAt), Attempts: m.Attempts, NextAttemptAt: stamp(m.NextAttemptAt),
		SentAt: stampPtr(m.SentAt), LastError: m.LastError,
	}
}

// checkMail fails t unless got equals want (times compared as UTC instants).
func checkMail(t *testing.T, what string, got, want *gatehouse.OutboundMail) {
	t.Helper()
	w := *want
	w.CreatedAt, w.NextAttemptAt, w.SentAt = utc(w.CreatedAt), utc(w.NextAttemptAt), utcPtr(w.SentAt)
	if g, wv := viewMail(got), viewMail(&w); g != wv {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, wv)
	}
}

func mailIDs(ms []gatehouse.OutboundMail) []string {
	ids := make([]string, len(ms))
	for i := range ms {
		ids[i] = ms[i].ID
	}
	return ids
}

func testEnqueueAndClaim(t *testing.T, s gatehouse.Store) {
	zone := time.FixedZone("X", -7*3600)
	cases := []struct {
		name string
		edit func(m *gatehouse.OutboundMail)
	}{
		{"every field", func(m *gatehouse.OutboundMail) {}},
		{"times in another zone", func(m *gatehouse.OutboundMail) {
			m.CreatedAt, m.NextAttemptAt = m.CreatedAt.In(zone), m.NextAttemptAt.In(zone)
		}},
		{"due before it was created", func(m *gatehouse.OutboundMail) { m.NextAttemptAt = m.CreatedAt.Add(-time.Hour) }},
		{"failed before", func(m *gatehouse.OutboundMail) { m.Attempts, m.LastError = 2, "421 try later" }},
		{"unicode and empty parts", func(m *gatehouse.OutboundMail) {
			m.To, m.Subject, m.HTML = "zoë@exämple.com", "Vérifiez votre adresse ✉", ""
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Each case marks its mail sent, so the next claims just its own.
			created := at(time.Duration(i) * time.Hour)
			m := newMail(fmt.Sprintf("user%d@example.com", i), created)
			c.edit(m)
			want := *m
			mustEnqueue(t, s, m)
			checkMail(t, "mail after EnqueueMail", m, &want)
			now := created.Add(time.Second)
			got := mustClaim(t, s, now, 10)
			if len(got) != 1 {
				t.Fatalf("claimed %v, want just %s", mailIDs(got), m.ID)
			}
			want.NextAttemptAt = now.Add(time.Minute)
			checkMail(t, "claimed mail", &got[0], &want)
			if err := s.MarkMailSent(t.Context(), m.ID, now); err != nil {
				t.Fatalf("MarkMailSent: %v", err)
			}
		})
	}
}

func testEnqueueDefaults(t *testing.T, s gatehouse.Store) {
	before := time.Now().Truncate(time.Millisecond)
	m := &gatehouse.OutboundMail{To: "someone@example.com", Subject: "Hi"}
	mustEnqueue(t, s, m)
	after := time.Now()
	if !strings.HasPrefix(m.ID, gatehouse.PrefixMail+"_") {
		t.Errorf("ID = %q, want a %s_ ID", m.ID, gatehouse.PrefixMail)
	}
	if m.CreatedAt.Before(before) || m.CreatedAt.After(after) {
		t.Errorf("CreatedAt = %s, want now (%s .. %s)", stamp(m.CreatedAt), stamp(before), stamp(after))
	}
	if !m.NextAttemptAt.Equal(m.CreatedAt) {
		t.Errorf("NextAttemptAt = %s, want CreatedAt %s (a zero NextAttemptAt means now)",
			stamp(m.NextAttemptAt), stamp(m.CreatedAt))
	}
	got := mustClaim(t, s, time.Now(), 10)
	if len(got) != 1 || got[0].ID != m.ID {
		t.Fatalf("claimed %v just after enqueueing, want %s (due at once)", mailIDs(got), m.ID)
	}
	if got[0].Attempts != 0 || got[0].SentAt != nil || got[0].LastError != "" {
		t.Errorf("fresh mail = %+v, want no attempts, not sent, no error", got[0])
	}
	// A zero NextAttemptAt with a given CreatedAt: due from CreatedAt.
	m2 := &gatehouse.OutboundMail{To: "other@example.com", CreatedAt: at(time.Hour)}
	mustEnqueue(t, s, m2)
	if !m2.NextAttemptAt.Equal(at(time.Hour)) {
		t.Errorf("NextAttemptAt = %s, want CreatedAt %s", stamp(m2.NextAttemptAt), stamp(at(time.Hour)))
	}
	if got := mustClaim(t, s, at(time.Hour-time.Millisecond), 10); len(got) != 0 {
		t.Errorf("claimed %v before CreatedAt, want none", mailIDs(got))
	}
	if got := mustClaim(t, s, at(time.Hour), 10); len(got) != 1 || got[0].ID != m2.ID {
		t.Errorf("claimed %v at CreatedAt, want %s", mailIDs(got), m2.ID)
	}
}

func testEnqueueErrors(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	taken := mustEnqueue(t, s, newMail("a@example.com", base))
	cases := []struct {
		name string
		mail func() *gatehouse.OutboundMail
		code gatehouse.Code
	}{
		{"no recipient", func() *gatehouse.OutboundMail { return newMail("", base) }, gatehouse.CodeInvalidRequest},
		{"ID in use", func() *gatehouse.OutboundMail {
			m := newMail("b@example.com", base)
			m.ID = taken.ID
			return m
		}, gatehouse.CodeConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.EnqueueMail(ctx, c.mail())
			wantCode(t, "EnqueueMail", err, c.code)
			noLeak(t, err)
		})
	}
	got := mustClaim(t, s, at(time.Minute), 10)
	if !slices.Equal(mailIDs(got), []string{taken.ID}) {
		t.Errorf("claimed %v, want only the first mail %s", mailIDs(got), taken.ID)
	}
}

func testClaimOldestFirst(t *testing.T, s gatehouse.Store) {
	// Enqueued out of order; oldest means CreatedAt, whatever the due time.
	offsets := []time.Duration{3, 1, 4, 0, 2}
	byAge := make([]string, len(offsets))
	for _, off := range offsets {
		m := newMail("order@example.com", at(off*time.Minute))
		m.NextAttemptAt = at(10*time.Minute - off*time.Minute) // the youngest is due first
		byAge[off] = mustEnqueue(t, s, m).ID
	}
	now := at(time.Hour)
	for _, step := range []struct {
		name  string
		limit int
		want  []string
	}{
		{"the three oldest", 3, byAge[:3]},
		{"the rest", 3, byAge[3:]},
		{"all leased", 3, nil},
	} {
		got := mustClaim(t, s, now, step.limit)
		if !slices.Equal(mailIDs(got), step.want) && !(len(got) == 0 && len(step.want) == 0) {
			t.Errorf("%s: claimed %v, want %v", step.name, mailIDs(got), step.want)
		}
	}
	// When the lease runs out they are due again, still oldest first.
	got := mustClaim(t, s, now.Add(time.Minute), 10)
	if !slices.Equal(mailIDs(got), byAge) {
		t.Errorf("after the lease: claimed %v, want %v", mailIDs(got), byAge)
	}
}

func testClaimOnlyDue(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	now := at(time.Hour)
	due := newMail("due@example.com", base)
	due.NextAttemptAt = now
	mustEnqueue(t, s, due)
	later := newMail("later@example.com", base)
	later.NextAttemptAt = now.Add(time.Millisecond)
	mustEnqueue(t, s, later)
	sent := newMail("sent@example.com", base)
	mustEnqueue(t, s, sent)
	if err := s.MarkMailSent(ctx, sent.ID, at(time.Second)); err != nil {
		t.Fatalf("MarkMailSent: %v", err)
	}
	preSent := newMail("present@example.com", base)
	preSent.SentAt = ptr(base)
	mustEnqueue(t, s, preSent)

	cases := []struct {
		name string
		now  time.Time
		want []string
	}{
		{"due exactly now; later, sent not", now, []string{due.ID}},
		{"later once due (due is leased)", now.Add(time.Millisecond), []string{later.ID}},
		{"nothing while leased", now.Add(30 * time.Second), nil},
		{"both after their leases, never the sent ones", now.Add(24 * time.Hour), []string{due.ID, later.ID}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mustClaim(t, s, c.now, 10)
			slices.Sort(c.want)
			ids := mailIDs(got)
			slices.Sort(ids)
			if !slices.Equal(ids, c.want) && !(len(ids) == 0 && len(c.want) == 0) {
				t.Errorf("claimed %v, want %v", ids, c.want)
			}
		})
	}
}

func testClaimArguments(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	m := mustEnqueue(t, s, newMail("args@example.com", base))
	if got, err := s.ClaimMail(ctx, at(time.Hour), 0, time.Minute); err != nil || len(got) != 0 {
		t.Errorf("ClaimMail with limit 0 = %v, %v; want none", mailIDs(got), err)
	}
	_, err := s.ClaimMail(ctx, at(time.Hour), 10, 0)
	wantCode(t, "ClaimMail with a zero lease", err, gatehouse.CodeInvalidRequest)
	// Neither call leased the mail.
	if got := mustClaim(t, s, at(time.Hour), 10); len(got) != 1 || got[0].ID != m.ID {
		t.Errorf("claimed %v, want %s", mailIDs(got), m.ID)
	}
}

func testMarkMailSent(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	m := mustEnqueue(t, s, newMail("sent@example.com", base))
	other := mustEnqueue(t, s, newMail("other@example.com", at(time.Millisecond)))
	if got := mustClaim(t, s, at(time.Second), 1); len(got) != 1 || got[0].ID != m.ID {
		t.Fatalf("claimed %v, want %s", mailIDs(got), m.ID)
	}
	for i, when := range []time.Time{at(2 * time.Second), at(3 * time.Second)} {
		if err := s.MarkMailSent(ctx, m.ID, when); err != nil {
			t.Fatalf("MarkMailSent #%d: %v", i+1, err)
		}
	}
	// Sent: never claimed again, however late; the other mail is untouched.
	got := mustClaim(t, s, at(1000*time.Hour), 10)
	if !slices.Equal(mailIDs(got), []string{other.ID}) {
		t.Errorf("claimed %v after MarkMailSent, want only %s", mailIDs(got), other.ID)
	}
}

func testMarkMailFailed(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	m := mustEnqueue(t, s, newMail("flaky@example.com", base))
	long := "a" + strings.Repeat("é", 1500) // 3001 bytes: byte 2000 is inside an "é"
	cases := []struct {
		name      string
		errText   string
		wantError string
	}{
		{"first failure", "dial tcp 192.0.2.1:587: connection refused", "dial tcp 192.0.2.1:587: connection refused"},
		{"second failure", "421 4.7.0 try again later", "421 4.7.0 try again later"},
		{"long error cut on a character boundary", long, "a" + strings.Repeat("é", 999)},
		{"invalid UTF-8 dropped", "bad \xff byte", "bad  byte"},
	}
	now := at(time.Second)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mustClaim(t, s, now, 10)
			if len(got) != 1 || got[0].ID != m.ID {
				t.Fatalf("claimed %v, want %s", mailIDs(got), m.ID)
			}
			next := now.Add(time.Duration(i+1) * time.Minute)
			if err := s.MarkMailFailed(ctx, m.ID, next, c.errText); err != nil {
				t.Fatalf("MarkMailFailed: %v", err)
			}
			if got := mustClaim(t, s, next.Add(-time.Millisecond), 10); len(got) != 0 {
				t.Fatalf("claimed %v before the next attempt, want none", mailIDs(got))
			}
			got = mustClaim(t, s, next, 10)
			if len(got) != 1 {
				t.Fatalf("claimed %v at the next attempt, want %s", mailIDs(got), m.ID)
			}
			want := *m
			want.Attempts, want.LastError, want.NextAttemptAt = i+1, c.wantError, next.Add(time.Minute)
			checkMail(t, "mail after MarkMailFailed", &got[0], &want)
			now = next.Add(time.Minute) // when the lease ends
		})
	}
}

func testMarkMailUnknown(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	mustEnqueue(t, s, newMail("known@example.com", base))
	unknown := gatehouse.NewID(gatehouse.PrefixMail, base, nil)
	wantNotFound(t, "MarkMailSent(unknown)", s.MarkMailSent(ctx, unknown, base))
	wantNotFound(t, "MarkMailFailed(unknown)", s.MarkMailFailed(ctx, unknown, base, "x"))
	wantNotFound(t, "MarkMailDead(unknown)", s.MarkMailDead(ctx, unknown, base, "x"))
}

// testMarkMailDead: a dead letter is never claimed again, however late; other mails are
// untouched; a sent mail cannot die.
func testMarkMailDead(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	m := mustEnqueue(t, s, newMail("gone@example.com", base))
	other := mustEnqueue(t, s, newMail("fine@example.com", at(time.Millisecond)))
	got := mustClaim(t, s, at(time.Second), 1)
	if len(got) != 1 || got[0].ID != m.ID {
		t.Fatalf("claimed %v, want %s", mailIDs(got), m.ID)
	}
	died := at(2 * time.Second)
	if err := s.MarkMailDead(ctx, m.ID, died, "550 5.1.1 no such user"); err != nil {
		t.Fatalf("MarkMailDead: %v", err)
	}
	got = mustClaim(t, s, at(1000*time.Hour), 10)
	if !slices.Equal(mailIDs(got), []string{other.ID}) {
		t.Fatalf("claimed %v after MarkMailDead, want only %s", mailIDs(got), other.ID)
	}
	if err := s.MarkMailSent(ctx, other.ID, died); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, "MarkMailDead(sent)", s.MarkMailDead(ctx, other.ID, died, "x"))
}

// checkConcurrentMailClaims enqueues mails and lets workers on a and b (the same store or two
// over one database) claim them in parallel until none is left: each mail is claimed once.
func checkConcurrentMailClaims(t *testing.T, a, b gatehouse.Store) {
	const mails, workers = 60, 8
	for i := 0; i < mails; i++ {
		mustEnqueue(t, a, newMail(fmt.Sprintf("w%d@example.com", i), at(time.Duration(i)*time.Millisecond)))
	}
	now := at(time.Hour)
	var mu sync.Mutex
	claimed := map[string]int{}
	parallel(workers, func(i int) {
		s := []gatehouse.Store{a, b}[i%2]
		for {
			got, err := s.ClaimMail(t.Context(), now, 3, time.Hour)
			if err != nil {
				t.Errorf("ClaimMail: %v", err)
				return
			}
			if len(got) == 0 {
				return
			}
			mu.Lock()
			for _, m := range got {
				claimed[m.ID]++
			}
			mu.Unlock()
		}
	})
	if len(claimed) != mails {
		t.Errorf("%d mails claimed, want %d", len(claimed), mails)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("mail %s claimed %d times, want once", id, n)
		}
	}
}
