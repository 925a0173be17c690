package mail

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/mail/mailtest"
	"github.com/gatehouse-auth/gatehouse/store/pgtest"
	"github.com/gatehouse-auth/gatehouse/store/sqlstore"
)

// eachStore runs fn on a fresh SQLite store and, when GATEHOUSE_TEST_POSTGRES_URL is set, on a
// fresh PostgreSQL schema.
func eachStore(t *testing.T, fn func(t *testing.T, store gatehouse.MailStore)) {
	t.Run("sqlite", func(t *testing.T) {
		s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "mail.db"))
		if err != nil {
			t.Fatalf("open SQLite: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("GATEHOUSE_TEST_POSTGRES_URL")
		if base == "" {
			t.Skip("GATEHOUSE_TEST_POSTGRES_URL is not set: skipping PostgreSQL " +
				"(e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
		}
		s, err := sqlstore.OpenPostgres(context.Background(), pgtest.FreshSchema(t, "mail_test_"))
		if err != nil {
			t.Fatalf("open PostgreSQL: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, s)
	})
}

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// enqueue composes a reset mail to "to" at the clock's time and puts it in the outbox.
func enqueue(t *testing.T, store gatehouse.MailStore, clock *testClock, to string) *gatehouse.OutboundMail {
	t.Helper()
	c, err := NewComposer(ComposerConfig{PublicURL: testPublicURL, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Compose(KindPasswordReset, to, map[string]any{
		"Link": testPublicURL + "/reset-password?token=gth_rst_S3cr3t", "ExpiresIn": time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnqueueMail(context.Background(), m); err != nil {
		t.Fatalf("EnqueueMail: %v", err)
	}
	return m
}

func newTestSender(t *testing.T, srv *mailtest.Server) *SMTPSender {
	t.Helper()
	s, err := NewSMTPSender(srv.URL("", ""), testFrom, SMTPOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestWorkerSendsDueMails(t *testing.T) {
	eachStore(t, func(t *testing.T, store gatehouse.MailStore) {
		ctx := context.Background()
		srv := mailtest.Start(t, mailtest.Options{})
		clock := &testClock{now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
		a := enqueue(t, store, clock, "a@example.com")
		b := enqueue(t, store, clock, "b@example.com")
		w := NewWorker(WorkerConfig{Store: store, Sender: newTestSender(t, srv), Logger: quietLog, Now: clock.Now})
		sent, failed, err := w.SendDue(ctx)
		if err != nil || sent != 2 || failed != 0 {
			t.Fatalf("SendDue = %d sent, %d failed, %v; want 2, 0, nil", sent, failed, err)
		}
		msgs := srv.WaitFor(2, waitGuard)
		got := map[string]string{}
		for _, m := range msgs {
			d, err := m.Decode()
			if err != nil {
				t.Fatal(err)
			}
			got[d.Header.Get("Message-Id")] = m.To[0]
		}
		for _, m := range []*gatehouse.OutboundMail{a, b} {
			if got["<"+m.ID+"@id.example.com>"] != m.To {
				t.Errorf("mail %s to %s did not arrive: %v", m.ID, m.To, got)
			}
		}
		// Sent mails are not sent again, even long after their lease.
		clock.Advance(24 * time.Hour)
		if sent, failed, err := w.SendDue(ctx); sent != 0 || failed != 0 || err != nil {
			t.Errorf("second round = %d, %d, %v; want nothing to do", sent, failed, err)
		}
		if n := len(srv.Messages()); n != 2 {
			t.Errorf("%d messages arrived, want 2", n)
		}
	})
}

func TestWorkerRetriesWithBackoff(t *testing.T) {
	tests := []struct {
		name   string
		outage func(srv *mailtest.Server) (restore func())
	}{
		{"server refuses with 451", func(srv *mailtest.Server) func() {
			srv.Reject(true)
			return func() { srv.Reject(false) }
		}},
		{"server down", func(srv *mailtest.Server) func() {
			srv.Stop()
			return srv.Restart
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, store gatehouse.MailStore) {
				ctx := context.Background()
				srv := mailtest.Start(t, mailtest.Options{})
				clock := &testClock{now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
				var waits []int
				w := NewWorker(WorkerConfig{
					Store: store, Sender: newTestSender(t, srv), Logger: quietLog, Now: clock.Now,
					Backoff: func(attempts int) time.Duration {
						waits = append(waits, attempts)
						return Backoff(attempts, 5*time.Second, time.Hour, func() float64 { return 0 })
					},
				})
				m := enqueue(t, store, clock, "ada@example.com")
				restore := tt.outage(srv)

				// Two failures: 5s, then 10s.
				for i, wait := range []time.Duration{5 * time.Second, 10 * time.Second} {
					if sent, failed, err := w.SendDue(ctx); sent != 0 || failed != 1 || err != nil {
						t.Fatalf("attempt %d = %d sent, %d failed, %v; want a failure", i+1, sent, failed, err)
					}
					clock.Advance(wait - time.Millisecond)
					if sent, failed, err := w.SendDue(ctx); sent+failed != 0 || err != nil {
						t.Fatalf("before the backoff of %v ended: %d sent, %d failed, %v; want nothing due", wait, sent, failed, err)
					}
					clock.Advance(time.Millisecond)
				}
				if len(waits) != 2 || waits[0] != 1 || waits[1] != 2 {
					t.Errorf("Backoff called with %v, want [1 2]", waits)
				}
				// The stored attempt count and error, seen through a claim.
				claimed, err := store.ClaimMail(ctx, clock.Now(), 10, time.Millisecond)
				if err != nil || len(claimed) != 1 {
					t.Fatalf("ClaimMail = %v, %v; want the mail", claimed, err)
				}
				if c := claimed[0]; c.ID != m.ID || c.Attempts != 2 || c.LastError == "" || c.SentAt != nil {
					t.Errorf("stored mail: id %s attempts %d error %q sent %v; want 2 attempts and an error", c.ID, c.Attempts, c.LastError, c.SentAt)
				} else if strings.Contains(c.LastError, "gth_rst_S3cr3t") || strings.Contains(c.LastError, "\n") {
					t.Errorf("stored error %q has the mail's secret or a line break", c.LastError)
				}
				clock.Advance(time.Millisecond) // past the lease of that claim

				restore()
				if sent, failed, err := w.SendDue(ctx); sent != 1 || failed != 0 || err != nil {
					t.Fatalf("after the outage = %d sent, %d failed, %v; want 1 sent", sent, failed, err)
				}
				d, err := srv.WaitFor(1, waitGuard)[0].Decode()
				if err != nil {
					t.Fatal(err)
				}
				if d.Link() != testPublicURL+"/reset-password?token=gth_rst_S3cr3t" {
					t.Errorf("link %q", d.Link())
				}
			})
		})
	}
}

// TestWorkerGivesUp: a mail that keeps failing becomes a dead letter after MaxAttempts failures,
// or at its first failure past MaxAge, and is never tried again, even once the server is back.
func TestWorkerGivesUp(t *testing.T) {
	cases := []struct {
		name        string
		maxAttempts int
		maxAge      time.Duration
		failures    int // failed rounds before the mail is abandoned, the last one included
	}{
		{name: "after MaxAttempts", maxAttempts: 3, maxAge: 1000 * time.Hour, failures: 3},
		{name: "past MaxAge", maxAttempts: 100, maxAge: 12 * time.Second, failures: 3}, // 0s, 5s, 15s
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, store gatehouse.MailStore) {
				ctx := context.Background()
				srv := mailtest.Start(t, mailtest.Options{})
				clock := &testClock{now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
				w := NewWorker(WorkerConfig{
					Store: store, Sender: newTestSender(t, srv), Logger: quietLog, Now: clock.Now,
					MaxAttempts: c.maxAttempts, MaxAge: c.maxAge,
					Backoff: func(attempts int) time.Duration {
						return Backoff(attempts, 5*time.Second, time.Hour, func() float64 { return 0 })
					},
				})
				enqueue(t, store, clock, "ada@example.com")
				srv.Reject(true)
				for i := 1; i <= c.failures; i++ {
					if sent, failed, err := w.SendDue(ctx); sent != 0 || failed != 1 || err != nil {
						t.Fatalf("round %d = %d sent, %d failed, %v; want a failure", i, sent, failed, err)
					}
					clock.Advance(time.Duration(5<<(i-1)) * time.Second) // the backoff after failure i
				}
				srv.Reject(false)
				clock.Advance(100 * time.Hour)
				if sent, failed, err := w.SendDue(ctx); sent+failed != 0 || err != nil {
					t.Fatalf("after giving up = %d sent, %d failed, %v; want nothing due", sent, failed, err)
				}
				if n := len(srv.Messages()); n != 0 {
					t.Fatalf("%d messages arrived, want none", n)
				}
			})
		})
	}
}

func TestWorkerRunWakesOnNotifyAndStops(t *testing.T) {
	eachStore(t, func(t *testing.T, store gatehouse.MailStore) {
		srv := mailtest.Start(t, mailtest.Options{})
		clock := &testClock{now: time.Now()}
		// An interval far longer than the test: only Notify can wake the worker after its
		// first round.
		w := NewWorker(WorkerConfig{Store: store, Sender: newTestSender(t, srv), Logger: quietLog, Now: clock.Now, Interval: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			w.Run(ctx)
		}()
		enqueue(t, store, clock, "first@example.com")
		w.Notify()
		srv.WaitFor(1, waitGuard)
		enqueue(t, store, clock, "second@example.com")
		w.Notify()
		w.Notify() // never blocks
		msgs := srv.WaitFor(2, waitGuard)
		if msgs[1].To[0] != "second@example.com" {
			t.Errorf("second message to %v", msgs[1].To)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(waitGuard):
			t.Fatal("Run did not return after its context ended")
		}
	})
}

func TestBackoff(t *testing.T) {
	zero := func() float64 { return 0 }
	tests := []struct {
		attempts int
		random   func() float64
		min, max time.Duration
	}{
		{1, zero, 5 * time.Second, 5 * time.Second},
		{2, zero, 10 * time.Second, 10 * time.Second},
		{5, zero, 80 * time.Second, 80 * time.Second},
		{10, zero, 2560 * time.Second, 2560 * time.Second},
		{11, zero, time.Hour, time.Hour},
		{1000, zero, time.Hour, time.Hour},
		{1, func() float64 { return 0.999 }, 3750 * time.Millisecond, 5 * time.Second},
		{1000, func() float64 { return 0.5 }, 52*time.Minute + 30*time.Second, 52*time.Minute + 30*time.Second},
	}
	for _, tt := range tests {
		got := Backoff(tt.attempts, 5*time.Second, time.Hour, tt.random)
		if got < tt.min || got > tt.max {
			t.Errorf("Backoff(%d) = %v, want within [%v, %v]", tt.attempts, got, tt.min, tt.max)
		}
	}
}

func TestErrorText(t *testing.T) {
	long := errors.New("first line\nsecond\tline " + strings.Repeat("é", 400))
	got := errorText(long)
	if strings.ContainsAny(got, "\n\t") || len(got) > maxErrorLen || !strings.HasPrefix(got, "first line second line é") {
		t.Errorf("errorText = %q (%d bytes)", got, len(got))
	}
}
