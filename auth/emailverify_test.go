package auth

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

var mailedCode = regexp.MustCompile(`\b\d{6}\b`)

// codeIn returns the six-digit code of a verification mail.
func codeIn(t *testing.T, m gatehouse.OutboundMail) string {
	t.Helper()
	code := mailedCode.FindString(m.Text)
	if code == "" {
		t.Fatalf("no code in the mail:\n%s", m.Text)
	}
	return code
}

// wrongCode returns a six-digit code that is not code.
func wrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestVerifyEmail(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		use    func(t *testing.T, f *fixture, p *gatehouse.Principal, code string) string // the code to try
		wantOK bool
	}{
		{"right code", func(_ *testing.T, _ *fixture, _ *gatehouse.Principal, code string) string { return code }, true},
		{"expired", func(_ *testing.T, f *fixture, _ *gatehouse.Principal, code string) string {
			f.clock.advance(verifyCodeTTL + time.Second)
			return code
		}, false},
		{"four wrong tries then right", func(t *testing.T, f *fixture, p *gatehouse.Principal, code string) string {
			for range verifyMaxTries - 1 {
				if _, err := f.svc.Accounts.VerifyEmail(ctx, p, wrongCode(code), Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidRequest {
					t.Fatalf("wrong code: %v, want invalid_request", err)
				}
			}
			return code
		}, true},
		{"five wrong tries kill it", func(t *testing.T, f *fixture, p *gatehouse.Principal, code string) string {
			for range verifyMaxTries {
				if _, err := f.svc.Accounts.VerifyEmail(ctx, p, wrongCode(code), Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidRequest {
					t.Fatalf("wrong code: %v, want invalid_request", err)
				}
			}
			return code
		}, false},
		{"resend replaces the code", func(t *testing.T, f *fixture, p *gatehouse.Principal, code string) string {
			if err := f.svc.Accounts.ResendVerification(ctx, p); err != nil {
				t.Fatal(err)
			}
			if next := codeIn(t, f.onlyMail(t, p.User.Email)); next == code {
				return wrongCode(code) // the same code by chance (1 in a million): still a failure case
			}
			return code
		}, false},
		{"resend after five wrong tries revives", func(t *testing.T, f *fixture, p *gatehouse.Principal, code string) string {
			for range verifyMaxTries {
				_, _ = f.svc.Accounts.VerifyEmail(ctx, p, wrongCode(code), Meta{})
			}
			if err := f.svc.Accounts.ResendVerification(ctx, p); err != nil {
				t.Fatal(err)
			}
			return codeIn(t, f.onlyMail(t, p.User.Email))
		}, true},
		{"malformed", func(*testing.T, *fixture, *gatehouse.Principal, string) string { return "12345a" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newMailFixture(t)
			g := f.register(t, "ann", "ann@example.com")
			code := codeIn(t, f.onlyMail(t, "ann@example.com"))
			p, err := f.svc.Sessions.Authenticate(ctx, g.Token, Meta{})
			if err != nil {
				t.Fatal(err)
			}
			try := tc.use(t, f, p, code)
			u, err := f.svc.Accounts.VerifyEmail(ctx, p, try, Meta{})
			if tc.wantOK {
				if err != nil || !u.EmailVerified {
					t.Fatalf("verify: %v (user %+v), want the address verified", err, u)
				}
				return
			}
			if gatehouse.ErrorCode(err) != gatehouse.CodeInvalidRequest {
				t.Fatalf("verify: %v, want invalid_request", err)
			}
			stored, err := f.store.UserByID(ctx, p.User.ID)
			if err != nil || stored.EmailVerified {
				t.Fatalf("address verified after a failed try (%v)", err)
			}
		})
	}
}

func TestNewAddressNeedsItsOwnCode(t *testing.T) {
	ctx := context.Background()
	f := newMailFixture(t)
	g := f.register(t, "ann", "ann@example.com")
	oldCode := codeIn(t, f.onlyMail(t, "ann@example.com"))
	p, err := f.svc.Sessions.Authenticate(ctx, g.Token, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	addr := "ann@new.example.com"
	u, pending, err := f.svc.Accounts.UpdateProfile(ctx, p, ProfileInput{Email: &addr}, Meta{})
	if err != nil || pending != addr || u.Email != "ann@example.com" {
		t.Fatalf("update: %v, pending %q, user %+v; want the old address in force and the new one pending", err, pending, u)
	}
	var newCode string
	for _, m := range f.outbox(t) {
		switch m.To {
		case addr:
			newCode = codeIn(t, m)
		case "ann@example.com":
			if mailedCode.MatchString(m.Text) || !strings.Contains(m.Text, addr) {
				t.Fatalf("the notice to the address in force:\n%s", m.Text)
			}
		default:
			t.Fatalf("mail to %s", m.To)
		}
	}
	if newCode == "" {
		t.Fatal("no code mailed to the new address")
	}
	if got, err := f.svc.Accounts.PendingEmail(ctx, p); err != nil || got != addr {
		t.Fatalf("PendingEmail = %q, %v", got, err)
	}
	if oldCode != newCode {
		// The old address's code verifies the old address, never the new one.
		if u, err := f.svc.Accounts.VerifyEmail(ctx, p, oldCode, Meta{}); err != nil || u.Email != "ann@example.com" || !u.EmailVerified {
			t.Fatalf("the old address's code: %v, user %+v", err, u)
		}
	}
	if u, err := f.svc.Accounts.VerifyEmail(ctx, p, newCode, Meta{}); err != nil || !u.EmailVerified || u.Email != addr {
		t.Fatalf("verify the new address: %v, user %+v", err, u)
	}
	if got, err := f.svc.Accounts.PendingEmail(ctx, p); err != nil || got != "" {
		t.Fatalf("PendingEmail after the change = %q, %v", got, err)
	}
}

func TestNoMailWithoutComposer(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	g := f.register(t, "ann", "ann@example.com")
	p, err := f.svc.Sessions.Authenticate(ctx, g.Token, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Accounts.ResendVerification(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Recovery.RequestPasswordReset(ctx, "ann@example.com", Meta{}); err != nil {
		t.Fatal(err)
	}
	if ms := f.outbox(t); len(ms) != 0 {
		t.Fatalf("%d mails without a composer, want 0", len(ms))
	}
}

func TestRandomDigits(t *testing.T) {
	seen := map[byte]bool{}
	for range 500 {
		code, err := randomDigits(nil, verifyCodeLen)
		if err != nil {
			t.Fatal(err)
		}
		if !isDigits(code, verifyCodeLen) {
			t.Fatalf("code %q is not %d digits", code, verifyCodeLen)
		}
		seen[code[0]] = true
	}
	if len(seen) != 10 {
		t.Fatalf("first digits seen: %d of 10 (a leading zero must be kept)", len(seen))
	}
}
