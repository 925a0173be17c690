package auth

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/mail"
)

const testPublicURL = "https://id.example.test"

// newMailFixture is newFixture with the real mail composer: mails land in the store's outbox.
func newMailFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, func(c *Config) { c.PublicURL = testPublicURL })
	composer, err := mail.NewComposer(mail.ComposerConfig{PublicURL: testPublicURL, Now: f.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*mailer{&f.svc.Accounts.mailer, &f.svc.Recovery.mailer, &f.svc.Passkeys.mailer, &f.svc.Google.mailer} {
		m.mail = composer
	}
	return f
}

// outbox waits for the background tasks and returns the unsent mails, taking them out of the
// outbox (they are leased to this test).
func (f *fixture) outbox(t *testing.T) []gatehouse.OutboundMail {
	t.Helper()
	f.svc.Recovery.tasks.wg.Wait()
	ms, err := f.store.ClaimMail(context.Background(), f.clock.now(), 100, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if err := f.store.MarkMailSent(context.Background(), m.ID, f.clock.now()); err != nil {
			t.Fatal(err)
		}
	}
	return ms
}

// onlyMail returns the one mail in the outbox, to the wanted address.
func (f *fixture) onlyMail(t *testing.T, to string) gatehouse.OutboundMail {
	t.Helper()
	ms := f.outbox(t)
	if len(ms) != 1 {
		t.Fatalf("%d mails in the outbox, want 1", len(ms))
	}
	if ms[0].To != to {
		t.Fatalf("mail to %q, want %q", ms[0].To, to)
	}
	return ms[0]
}

var linkToken = regexp.MustCompile(`(https://\S+)\?token=([0-9A-Za-z]+)`)

// mailedLink returns the token of the link in a mail, checking the link's page.
func mailedLink(t *testing.T, m gatehouse.OutboundMail, path string) string {
	t.Helper()
	match := linkToken.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("no link in the mail:\n%s", m.Text)
	}
	if match[1] != testPublicURL+path {
		t.Fatalf("link to %s, want %s", match[1], testPublicURL+path)
	}
	return match[2]
}

func TestPasswordResetLink(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		before  func(*testing.T, *fixture) // between mailing and using the link
		wantErr gatehouse.Code             // "" for success
	}{
		{"works and revokes every session", nil, ""},
		{"expires after an hour", func(_ *testing.T, f *fixture) { f.clock.advance(time.Hour + time.Second) }, gatehouse.CodeInvalidRequest},
		{"dies when the address changes", func(t *testing.T, f *fixture) {
			u, _ := f.store.UserByUsername(ctx, "ann")
			addr := "ann2@example.com"
			if _, err := f.store.UpdateUser(ctx, u.ID, gatehouse.UserUpdate{Email: &addr, UpdatedAt: f.clock.now()}); err != nil {
				t.Fatal(err)
			}
		}, gatehouse.CodeInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newMailFixture(t)
			old := f.register(t, "ann", "ann@example.com")
			f.outbox(t) // the verification code
			if err := f.svc.Recovery.RequestPasswordReset(ctx, "ann@example.com", Meta{}); err != nil {
				t.Fatal(err)
			}
			tok := mailedLink(t, f.onlyMail(t, "ann@example.com"), "/reset-password")
			if tc.before != nil {
				tc.before(t, f)
			}
			const next = "a brand new passphrase"
			err := f.svc.Recovery.ResetPassword(ctx, tok, next, Meta{})
			if tc.wantErr != "" {
				if gatehouse.ErrorCode(err) != tc.wantErr {
					t.Fatalf("reset: %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("reset: %v", err)
			}
			if _, err := f.svc.Sessions.Authenticate(ctx, old.Token, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidToken {
				t.Fatalf("the old session still works after the reset: %v", err)
			}
			if _, err := f.svc.SignIn.Login(ctx, "ann", next, Meta{}); err != nil {
				t.Fatalf("sign-in with the new password: %v", err)
			}
			if err := f.svc.Recovery.ResetPassword(ctx, tok, "yet another passphrase", Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidRequest {
				t.Fatalf("second use of the link: %v, want invalid_request", err)
			}
		})
	}
}

func TestResetRefusedPasswordKeepsTheLink(t *testing.T) {
	ctx := context.Background()
	f := newMailFixture(t)
	f.register(t, "ann", "ann@example.com")
	f.outbox(t)
	if err := f.svc.Recovery.RequestPasswordReset(ctx, "ann@example.com", Meta{}); err != nil {
		t.Fatal(err)
	}
	tok := mailedLink(t, f.onlyMail(t, "ann@example.com"), "/reset-password")
	if err := f.svc.Recovery.ResetPassword(ctx, tok, "short", Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodePasswordTooShort {
		t.Fatalf("short password: %v, want password_too_short", err)
	}
	if err := f.svc.Recovery.ResetPassword(ctx, tok, "a long enough passphrase", Meta{}); err != nil {
		t.Fatalf("the link no longer works after a refused password: %v", err)
	}
}

func TestLinkRequestsAnswerAlike(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		request func(*Recovery, string) error
	}{
		{"password reset", func(s *Recovery, e string) error { return s.RequestPasswordReset(ctx, e, Meta{}) }},
		{"magic link", func(s *Recovery, e string) error { return s.RequestMagicLink(ctx, e, Meta{}) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newMailFixture(t)
			f.register(t, "ann", "ann@example.com")
			f.outbox(t)
			known := tc.request(f.svc.Recovery, "ann@example.com")
			unknown := tc.request(f.svc.Recovery, "nobody@example.com")
			if known != nil || unknown != nil {
				t.Fatalf("known: %v, unknown: %v; want nil for both", known, unknown)
			}
			if ms := f.outbox(t); len(ms) != 1 || ms[0].To != "ann@example.com" {
				t.Fatalf("mails %+v, want exactly one, to the known address", ms)
			}
			if err := tc.request(f.svc.Recovery, "not an address"); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidRequest {
				t.Fatalf("malformed address: %v, want invalid_request", err)
			}
		})
	}
}

func TestMagicLinkSignsInOnceAndVerifiesTheAddress(t *testing.T) {
	ctx := context.Background()
	f := newMailFixture(t)
	f.register(t, "ann", "ann@example.com")
	f.outbox(t)
	if err := f.svc.Recovery.RequestMagicLink(ctx, "ANN@example.com", Meta{}); err != nil {
		t.Fatal(err)
	}
	tok := mailedLink(t, f.onlyMail(t, "ann@example.com"), "/magic-link")
	g, err := f.svc.Recovery.SignInWithMagicLink(ctx, tok, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if !g.User.EmailVerified {
		t.Fatal("a magic-link sign-in did not mark the address verified")
	}
	if _, err := f.svc.Sessions.Authenticate(ctx, g.Token, Meta{}); err != nil {
		t.Fatalf("the magic-link session does not work: %v", err)
	}
	if _, err := f.svc.Recovery.SignInWithMagicLink(ctx, tok, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidRequest {
		t.Fatalf("second use: %v, want invalid_request", err)
	}
	// A reset token is not a magic link, and garbage is refused before any lookup.
	for _, bad := range []string{"", "x", strings.Repeat("!", linkTokenLen), tok[:linkTokenLen-1]} {
		if _, err := f.svc.Recovery.SignInWithMagicLink(ctx, bad, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidRequest {
			t.Fatalf("token %q: %v, want invalid_request", bad, err)
		}
	}
}

func TestMagicLinkExpires(t *testing.T) {
	ctx := context.Background()
	f := newMailFixture(t)
	f.register(t, "ann", "ann@example.com")
	f.outbox(t)
	if err := f.svc.Recovery.RequestMagicLink(ctx, "ann@example.com", Meta{}); err != nil {
		t.Fatal(err)
	}
	tok := mailedLink(t, f.onlyMail(t, "ann@example.com"), "/magic-link")
	f.clock.advance(15*time.Minute + time.Second)
	if _, err := f.svc.Recovery.SignInWithMagicLink(ctx, tok, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidRequest {
		t.Fatalf("expired link: %v, want invalid_request", err)
	}
}

func TestMagicLinkConcurrentUsesOneWins(t *testing.T) {
	ctx := context.Background()
	f := newMailFixture(t)
	f.register(t, "ann", "ann@example.com")
	f.outbox(t)
	if err := f.svc.Recovery.RequestMagicLink(ctx, "ann@example.com", Meta{}); err != nil {
		t.Fatal(err)
	}
	tok := mailedLink(t, f.onlyMail(t, "ann@example.com"), "/magic-link")
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() { _, errs[i] = f.svc.Recovery.SignInWithMagicLink(ctx, tok, Meta{}) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case gatehouse.ErrorCode(err) != gatehouse.CodeInvalidRequest:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d uses succeeded, want exactly 1", ok)
	}
}

func TestDrainWaitsAndRefusesNewTasks(t *testing.T) {
	ctx := context.Background()
	f := newMailFixture(t)
	f.register(t, "ann", "ann@example.com")
	f.outbox(t)
	if err := f.svc.Recovery.RequestPasswordReset(ctx, "ann@example.com", Meta{}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Recovery.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if ms := f.outbox(t); len(ms) != 1 {
		t.Fatalf("%d mails after Drain, want the 1 requested before", len(ms))
	}
	if err := f.svc.Recovery.RequestPasswordReset(ctx, "ann@example.com", Meta{}); err != nil {
		t.Fatal(err)
	}
	if ms := f.outbox(t); len(ms) != 0 {
		t.Fatalf("%d mails from a request after Drain, want 0", len(ms))
	}
	expired, cancel := context.WithCancel(ctx)
	cancel()
	if err := f.svc.Recovery.Drain(expired); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Drain with nothing running: %v", err)
	}
}

func TestRandomLinkTokenAlphabet(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		tok, err := randomLinkToken(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !isLinkToken(tok) {
			t.Fatalf("token %q is not %d base62 characters", tok, linkTokenLen)
		}
		if seen[tok] {
			t.Fatalf("token %q repeated", tok)
		}
		seen[tok] = true
	}
}

// TestMagicLinkTakesASquattedAccountOverClean: someone registered with another person's address
// (unverified) and a password of their own; when the address's owner signs in by magic link,
// the squatter's sessions end and the password stops working.
func TestMagicLinkTakesASquattedAccountOverClean(t *testing.T) {
	ctx := context.Background()
	f := newMailFixture(t)
	squatter := f.register(t, "squat", "victim@example.com")
	f.outbox(t)
	if err := f.svc.Recovery.RequestMagicLink(ctx, "victim@example.com", Meta{}); err != nil {
		t.Fatal(err)
	}
	tok := mailedLink(t, f.onlyMail(t, "victim@example.com"), "/magic-link")
	owner, err := f.svc.Recovery.SignInWithMagicLink(ctx, tok, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Sessions.Authenticate(ctx, squatter.Token, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidToken {
		t.Fatalf("the squatter's session survived the takeover: %v", err)
	}
	if _, err := f.svc.SignIn.Login(ctx, "squat", pw, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidCredentials {
		t.Fatalf("the squatter's password still works: %v", err)
	}
	if _, err := f.svc.Sessions.Authenticate(ctx, owner.Token, Meta{}); err != nil {
		t.Fatalf("the owner's magic-link session does not work: %v", err)
	}
	// Once verified, later magic-link sign-ins leave other sessions alone.
	if err := f.svc.Recovery.RequestMagicLink(ctx, "victim@example.com", Meta{}); err != nil {
		t.Fatal(err)
	}
	again, err := f.svc.Recovery.SignInWithMagicLink(ctx, mailedLink(t, f.onlyMail(t, "victim@example.com"), "/magic-link"), Meta{})
	if err != nil {
		t.Fatal(err)
	}
	for name, tk := range map[string]string{"first": owner.Token, "second": again.Token} {
		if _, err := f.svc.Sessions.Authenticate(ctx, tk, Meta{}); err != nil {
			t.Fatalf("%s owner session: %v", name, err)
		}
	}
}
