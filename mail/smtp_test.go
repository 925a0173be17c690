package mail

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/mail/mailtest"
)

const testFrom = "Gatehouse <no-reply@id.example.com>"

// waitGuard bounds waiting for a message (a hang guard, not a speed assertion).
const waitGuard = 20 * time.Second

func resetMail(t *testing.T) *gatehouse.OutboundMail {
	t.Helper()
	m, err := newTestComposer(t, "").Compose(KindPasswordReset, "ada@example.com", map[string]any{
		"Link": testPublicURL + "/reset-password?token=gth_rst_Zq9", "Username": "ada", "ExpiresIn": time.Hour,
	})
	if err != nil {
		t.Fatalf("Compose: %v", err)
	}
	return m
}

func TestSMTPSenderDeliversMultipart(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{}) // no STARTTLS offered: the sender stays plain
	s, err := NewSMTPSender(srv.URL("", ""), testFrom, SMTPOptions{})
	if err != nil {
		t.Fatalf("NewSMTPSender: %v", err)
	}
	m := resetMail(t)
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitFor(1, waitGuard)[0]
	if got.From != "no-reply@id.example.com" || len(got.To) != 1 || got.To[0] != "ada@example.com" || got.TLS {
		t.Errorf("envelope from %q to %q tls %v; want no-reply@id.example.com, [ada@example.com], plain", got.From, got.To, got.TLS)
	}
	d, err := got.Decode()
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	checks := []struct {
		name, got, want string
	}{
		{"From", d.From, `"Gatehouse" <no-reply@id.example.com>`},
		{"To", d.To, "<ada@example.com>"},
		{"Subject", d.Subject, "Reset your password"},
		{"link in the text", d.Link(), testPublicURL + "/reset-password?token=gth_rst_Zq9"},
		{"Message-ID", d.Header.Get("Message-Id"), "<" + m.ID + "@id.example.com>"},
		{"Auto-Submitted", d.Header.Get("Auto-Submitted"), "auto-generated"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !strings.HasPrefix(d.Header.Get("Content-Type"), "multipart/alternative") {
		t.Errorf("Content-Type %q, want multipart/alternative", d.Header.Get("Content-Type"))
	}
	if d.Text != m.Text {
		t.Errorf("text part differs after decoding:\n%q\nwant\n%q", d.Text, m.Text)
	}
	if d.HTML != m.HTML {
		t.Errorf("HTML part differs after decoding:\n%q\nwant\n%q", d.HTML, m.HTML)
	}
}

func TestSMTPSenderTLSAndAuth(t *testing.T) {
	tests := []struct {
		name     string
		opts     mailtest.Options
		user     string
		password string
		wantErr  bool
		wantTLS  bool
	}{
		{"STARTTLS when offered", mailtest.Options{StartTLS: true}, "", "", false, true},
		{"implicit TLS (smtps)", mailtest.Options{ImplicitTLS: true}, "", "", false, true},
		{"AUTH over STARTTLS", mailtest.Options{StartTLS: true, Users: map[string]string{"mailer": "pa:ss/w0rd"}}, "mailer", "pa:ss/w0rd", false, true},
		{"AUTH over smtps", mailtest.Options{ImplicitTLS: true, Users: map[string]string{"mailer": "s3cret"}}, "mailer", "s3cret", false, true},
		{"wrong password", mailtest.Options{StartTLS: true, Users: map[string]string{"mailer": "right"}}, "mailer", "wrong-Pa55", true, false},
		{"no PLAIN without TLS", mailtest.Options{Users: map[string]string{"mailer": "plain-Pa55"}}, "mailer", "plain-Pa55", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.Start(t, tt.opts)
			raw := srv.URL("", "")
			if tt.user != "" {
				raw = strings.Replace(raw, "://", "://"+tt.user+":"+urlEscape(tt.password)+"@", 1)
			}
			s, err := NewSMTPSender(raw, testFrom, SMTPOptions{TLSConfig: &tls.Config{RootCAs: srv.CertPool()}, Timeout: 10 * time.Second})
			if err != nil {
				t.Fatalf("NewSMTPSender: %v", err)
			}
			err = s.Send(context.Background(), resetMail(t))
			if tt.wantErr {
				if err == nil {
					t.Fatal("Send succeeded, want an error")
				}
				if tt.password != "" && strings.Contains(err.Error(), tt.password) {
					t.Errorf("the error shows the password: %v", err)
				}
				if n := len(srv.Messages()); n != 0 {
					t.Errorf("%d messages arrived, want none", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := srv.WaitFor(1, waitGuard)[0]; got.TLS != tt.wantTLS {
				t.Errorf("TLS = %v, want %v", got.TLS, tt.wantTLS)
			}
		})
	}
}

func urlEscape(s string) string {
	return strings.NewReplacer(":", "%3A", "/", "%2F", "@", "%40").Replace(s)
}

func TestNewSMTPSender(t *testing.T) {
	tests := []struct {
		url      string
		wantAddr string
		wantErr  bool
	}{
		{"smtp://mail.example.com", "mail.example.com:587", false},
		{"smtps://mail.example.com", "mail.example.com:465", false},
		{"SMTP://u:p@mail.example.com:2525", "mail.example.com:2525", false},
		{"smtp://[::1]:25", "[::1]:25", false},
		{"http://mail.example.com", "", true},
		{"smtp://", "", true},
		{"smtp://mail.example.com:0", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			s, err := NewSMTPSender(tt.url, testFrom, SMTPOptions{})
			if tt.wantErr {
				if err == nil {
					t.Fatalf("NewSMTPSender = %+v, want an error", s)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewSMTPSender: %v", err)
			}
			if s.Addr() != tt.wantAddr {
				t.Errorf("Addr = %q, want %q", s.Addr(), tt.wantAddr)
			}
		})
	}
	if _, err := NewSMTPSender("smtp://mail.example.com", "not an address", SMTPOptions{}); err == nil {
		t.Error("a bad From address is accepted")
	}
}

func TestSMTPSenderServerDownThenBack(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{StartTLS: true, Users: map[string]string{"mailer": "hunter2-secret"}})
	srv.Stop()
	s, err := NewSMTPSender(srv.URL("mailer", "hunter2-secret"), testFrom,
		SMTPOptions{TLSConfig: &tls.Config{RootCAs: srv.CertPool()}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	m := resetMail(t)
	err = s.Send(context.Background(), m)
	if err == nil {
		t.Fatal("Send to a stopped server succeeded")
	}
	for _, secret := range []string{"hunter2-secret", "gth_rst_Zq9"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows a secret (%s): %v", secret, err)
		}
	}
	srv.Restart()
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send after the server came back: %v", err)
	}
	if got := srv.WaitFor(1, waitGuard); len(got) != 1 {
		t.Errorf("%d messages, want 1", len(got))
	}
}
