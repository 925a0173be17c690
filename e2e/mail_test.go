package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/config"
	"github.com/gatehouse-auth/gatehouse/mail"
	"github.com/gatehouse-auth/gatehouse/mail/mailtest"
)

// mailOutagePublicURL is the public URL of the outage test's links.
const mailOutagePublicURL = "http://localhost:5998"

// fastMail makes the mail worker look every 20ms and retry 10ms after a failure, so an outage
// test does not wait for the production backoff.
var fastMail = app.MailTuning{
	Interval: 20 * time.Millisecond,
	Lease:    time.Second,
	Backoff:  func(int) time.Duration { return 10 * time.Millisecond },
	// With a 10 ms backoff the default 12 attempts are spent in well under a second; an outage
	// that lasts through a restart (seconds on a loaded machine) would dead-letter the mails.
	MaxAttempts: 100_000,
}

// startMailing runs a Gatehouse on dbURL that mails through smtpURL with fastMail timings. The
// caller stops it with the returned function (also called when the test ends; a second call
// does nothing).
func startMailing(t *testing.T, dbURL, smtpURL string) (*server, func()) {
	t.Helper()
	cfg := testConfig(dbURL)
	cfg.SMTPURL = smtpURL
	u, err := url.Parse(mailOutagePublicURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL = u
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config invalid: %v", err)
	}
	logs := &lockedWriter{}
	m := app.New(cfg, slog.New(slog.NewJSONHandler(logs, nil)))
	m.MailTuning = fastMail
	if err := m.Start(context.Background()); err != nil {
		t.Fatalf("start server: %v", err)
	}
	closed := false
	stop := func() {
		if closed {
			return
		}
		closed = true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("close server: %v", err)
		}
	}
	t.Cleanup(stop)
	return &server{t: t, m: m, base: m.URL(), logs: logs}, stop
}

// waitForLog waits until the server has logged substr (a hang guard, not a speed check).
func (s *server) waitForLog(substr string) {
	s.t.Helper()
	deadline := time.Now().Add(mailWait)
	for !strings.Contains(s.logText(), substr) {
		if time.Now().After(deadline) {
			s.t.Fatalf("the server did not log %q within %v; logs:\n%s", substr, mailWait, s.logText())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMailSurvivesSMTPOutageAndRestart: mails queued while the SMTP server is down stay queued
// (the requests still answer at once), survive a Gatehouse restart, and arrive once the server is
// back; the reset link then works.
func TestMailSurvivesSMTPOutageAndRestart(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		smtp := mailtest.Start(t, mailtest.Options{})
		smtp.Stop() // down from the start

		s, stop := startMailing(t, dbURL, smtp.URL("", ""))
		if !s.m.Auth.Accounts.MailEnabled() {
			t.Fatal("app does not pass the mail composer to auth")
		}
		// A sign-up (verification code), a reset request through the API, and a mail put in the
		// outbox directly.
		s.register("olga", recoveryPassword, "olga@example.com")
		mustStatus(t, s.do("POST", "/v1/auth/forgot-password", "", map[string]string{"email": "olga@example.com"}), http.StatusAccepted)
		ctx, cancel := context.WithTimeout(context.Background(), mailWait)
		defer cancel()
		if err := s.m.Auth.Recovery.Drain(ctx); err != nil { // the reset mail is queued in the background
			t.Fatal(err)
		}
		composer, err := mail.NewComposer(mail.ComposerConfig{PublicURL: mailOutagePublicURL})
		if err != nil {
			t.Fatal(err)
		}
		leak, err := composer.Compose(mail.KindCredentialLeaked, "olga@example.com", map[string]any{
			"Kind": "personal access token", "Prefix": "gth_pat_0lga", "URL": "https://github.com/olga/dots/blob/main/.env",
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.m.Store.EnqueueMail(ctx, leak); err != nil {
			t.Fatalf("EnqueueMail: %v", err)
		}
		s.m.NotifyMail()
		// The worker has tried and failed (the server is down), and will retry.
		s.waitForLog("mail not sent, will retry")
		if strings.Contains(s.logText(), "?token=") {
			t.Error("the logs show a mailed link token")
		}
		stop() // Gatehouse restarts while the SMTP server is still down
		if n := len(smtp.Messages()); n != 0 {
			t.Fatalf("%d messages arrived while the server was down", n)
		}

		s2, _ := startMailing(t, dbURL, smtp.URL("", ""))
		s2.waitForLog("mail not sent, will retry") // still down: the new instance retries too
		smtp.Restart()

		msgs := smtp.WaitFor(3, mailWait)
		byKind := map[string]*mailtest.Decoded{}
		ids := map[string]bool{}
		for _, m := range msgs {
			d, err := m.Decode()
			if err != nil {
				t.Fatal(err)
			}
			if got := m.To; len(got) != 1 || got[0] != "olga@example.com" {
				t.Errorf("mail %q to %v, want olga@example.com", d.Subject, got)
			}
			id := d.Header.Get("Message-Id")
			if ids[id] {
				t.Errorf("mail %s arrived twice", id)
			}
			ids[id] = true
			switch {
			case strings.Contains(d.Subject, "verification code"):
				byKind["verify"] = d
			case strings.Contains(d.Subject, "Reset your password"):
				byKind["reset"] = d
			case strings.Contains(d.Subject, "revoked"):
				byKind["leak"] = d
			}
		}
		for _, k := range []string{"verify", "reset", "leak"} {
			if byKind[k] == nil {
				t.Fatalf("no %s mail among %d arrived", k, len(msgs))
			}
		}
		if byKind["verify"].Code() == "" || !strings.Contains(byKind["leak"].Text, "gth_pat_0lga") {
			t.Errorf("mail contents: code %q, leak text %q", byKind["verify"].Code(), byKind["leak"].Text)
		}

		// The reset link mailed during the outage still works, on the restarted server.
		link := byKind["reset"].Link()
		if !strings.HasPrefix(link, mailOutagePublicURL+"/reset-password?token=") {
			t.Fatalf("reset link %q does not start with the public URL", link)
		}
		tok := linkToken(t, strings.TrimPrefix(link, mailOutagePublicURL))
		mustStatus(t, s2.do("POST", "/v1/auth/reset-password", "", map[string]string{"token": tok, "new_password": "after the outage"}), http.StatusOK)
		mustStatus(t, s2.do("POST", "/v1/auth/login", "", map[string]string{"username": "olga", "password": "after the outage"}), http.StatusOK)
	})
}

// TestDevOutboxWithoutSMTP: with no GATEHOUSE_SMTP_URL, mails are written to the outbox folder
// and their code is logged (development only).
func TestDevOutboxWithoutSMTP(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		dir := filepath.Join(t.TempDir(), "outbox")
		s := start(t, dbURL, func(c *config.Config) {
			c.SMTPURL = ""
			c.MailOutboxDir = dir
		})
		if !s.m.Auth.Accounts.MailEnabled() {
			t.Fatal("app does not pass the mail composer to auth")
		}
		s.register("dev", recoveryPassword, "dev@example.com")
		s.waitForLog("dev outbox: mail written")
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), ".eml") {
			t.Fatalf("outbox folder: %v, %v; want one .eml file", entries, err)
		}
		f, err := os.Open(filepath.Join(dir, entries[0].Name()))
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		d, err := mailtest.Message{Data: data}.Decode()
		if err != nil {
			t.Fatal(err)
		}
		if d.Code() == "" || !strings.Contains(s.logText(), `"code":"`+d.Code()+`"`) {
			t.Errorf("the log does not show the mail's code %q:\n%s", d.Code(), s.logText())
		}
	})
}

// TestBrokenMailTemplateFailsStart: an override that does not parse stops the server at start,
// naming the file, instead of failing at the first mail.
func TestBrokenMailTemplateFailsStart(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "magic_link.html"), []byte(`<a href="{{.Link">`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig("sqlite://" + filepath.Join(t.TempDir(), "gatehouse.db"))
	cfg.MailTemplates = dir
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config invalid: %v", err)
	}
	m := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	err := m.Start(context.Background())
	if err == nil {
		_ = m.Close(context.Background())
		t.Fatal("Start succeeded with a broken mail template")
	}
	if !strings.Contains(err.Error(), "magic_link.html") {
		t.Errorf("Start error %q does not name the broken file", err)
	}
}
