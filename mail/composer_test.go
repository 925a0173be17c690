package mail

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

const testPublicURL = "https://id.example.com"

func newTestComposer(t *testing.T, dir string) *Composer {
	t.Helper()
	c, err := NewComposer(ComposerConfig{
		PublicURL:    testPublicURL + "/",
		TemplatesDir: dir,
		Now:          func() time.Time { return time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatalf("NewComposer: %v", err)
	}
	return c
}

func TestComposeKinds(t *testing.T) {
	c := newTestComposer(t, "")
	tests := []struct {
		kind        string
		data        map[string]any
		subject     string   // exact
		textHas     []string // substrings of the text part
		htmlHas     []string // substrings of the HTML part
		textHasNone []string
	}{
		{KindVerifyEmail, map[string]any{"Code": "042917", "Username": "ada", "ExpiresIn": 10 * time.Minute},
			"Your verification code: 042917",
			[]string{"Hello ada,", "042917", "expires in 10 minutes"},
			[]string{"Hello ada,", "042917", "expires in 10 minutes"}, nil},
		{KindVerifyEmail, map[string]any{"Code": "111111", "ExpiresIn": "ten minutes"},
			"Your verification code: 111111",
			[]string{"Hello,\n", "111111", "expires in ten minutes"},
			[]string{"<p>Hello,</p>"}, []string{"<no value>"}},
		{KindPasswordReset, map[string]any{"Link": testPublicURL + "/reset-password?token=abc&x=1", "Username": "ada", "ExpiresIn": time.Hour},
			"Reset your password",
			[]string{"Hello ada,", testPublicURL + "/reset-password?token=abc&x=1", "expires in 1 hour"},
			[]string{`href="` + testPublicURL + `/reset-password?token=abc&amp;x=1"`, "expires in 1 hour"}, nil},
		{KindMagicLink, map[string]any{"Link": testPublicURL + "/magic-link#t=xyz", "ExpiresIn": 15 * time.Minute},
			"Your sign-in link",
			[]string{testPublicURL + "/magic-link#t=xyz", "expires in 15 minutes"},
			[]string{`href="` + testPublicURL + `/magic-link#t=xyz"`}, nil},
		{KindCredentialLeaked, map[string]any{"Kind": "personal access token", "Prefix": "gth_pat_ab12", "URL": "https://github.com/o/r/blob/main/x.env"},
			"One of your credentials was found in public and has been revoked",
			[]string{"personal access token", "gth_pat_ab12", "https://github.com/o/r/blob/main/x.env"},
			[]string{"<code>gth_pat_ab12</code>"}, nil},
		{KindEmailChange, map[string]any{"Code": "042917", "Username": "ada", "ExpiresIn": 10 * time.Minute},
			"Confirm your new email address: 042917",
			[]string{"Hello ada,", "verification code", "042917", "expires in 10 minutes", "keeps its current address"},
			[]string{"Hello ada,", "042917"}, nil},
		{KindEmailInUse, map[string]any{"Email": "ada@example.com"},
			"This email address is already in use",
			[]string{"ada@example.com", "already in use", "nothing changed"},
			[]string{"<strong>ada@example.com</strong>"}, []string{"verification code"}},
		{KindEmailChangeNotice, map[string]any{"NewEmail": "eve@example.net", "Username": "ada"},
			"A change of your account's email address was requested",
			[]string{"Hello ada,", "eve@example.net", "stays in force"},
			[]string{"<strong>eve@example.net</strong>"}, []string{"verification code"}},
		{KindEmailChangeNotice, map[string]any{"Username": "ada"},
			"The email address was removed from your account",
			[]string{"Hello ada,", "removed this email address", "no longer come here"},
			[]string{"removed this email address"}, []string{"<no value>", "stays in force"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			m, err := c.Compose(tt.kind, "ada@example.com", tt.data)
			if err != nil {
				t.Fatalf("Compose: %v", err)
			}
			if !strings.HasPrefix(m.ID, gatehouse.PrefixMail+"_") || len(m.ID) != len("mail_")+26 {
				t.Errorf("ID = %q, want mail_ and 26 characters", m.ID)
			}
			if m.Kind != tt.kind || m.To != "ada@example.com" || m.Subject != tt.subject {
				t.Errorf("kind, to, subject = %q, %q, %q; want %q, ada@example.com, %q", m.Kind, m.To, m.Subject, tt.kind, tt.subject)
			}
			if !m.CreatedAt.Equal(time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)) || !m.NextAttemptAt.IsZero() {
				t.Errorf("CreatedAt %v, NextAttemptAt %v: want the clock's time and zero", m.CreatedAt, m.NextAttemptAt)
			}
			for _, s := range tt.textHas {
				if !strings.Contains(m.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, m.Text)
				}
			}
			for _, s := range tt.textHasNone {
				if strings.Contains(m.Text, s) || strings.Contains(m.HTML, s) {
					t.Errorf("mail contains %q", s)
				}
			}
			for _, s := range tt.htmlHas {
				if !strings.Contains(m.HTML, s) {
					t.Errorf("HTML lacks %q:\n%s", s, m.HTML)
				}
			}
		})
	}
}

func TestComposeEscapesHTML(t *testing.T) {
	c := newTestComposer(t, "")
	m, err := c.Compose(KindPasswordReset, "ada@example.com", map[string]any{
		"Link": testPublicURL + "/reset-password?t=1", "Username": `<script>alert("x")</script>`, "ExpiresIn": time.Hour,
	})
	if err != nil {
		t.Fatalf("Compose: %v", err)
	}
	if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("the username is not escaped in the HTML part:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, `<script>alert("x")</script>`) {
		t.Errorf("the text part should show the username as it is:\n%s", m.Text)
	}
}

func TestComposeRefuses(t *testing.T) {
	c := newTestComposer(t, "")
	link := func(l any) map[string]any { return map[string]any{"Link": l, "ExpiresIn": time.Hour} }
	tests := []struct {
		name     string
		kind, to string
		data     map[string]any
		linkErr  bool // want ErrLinkOutsidePublicURL
	}{
		{"unknown kind", "newsletter", "ada@example.com", map[string]any{}, false},
		{"recipient with a name", KindMagicLink, "Ada <ada@example.com>", link(testPublicURL + "/magic-link"), false},
		{"recipient with a line break", KindMagicLink, "ada@example.com\r\nBcc: x@example.com", link(testPublicURL + "/magic-link"), false},
		{"not an address", KindMagicLink, "ada", link(testPublicURL + "/magic-link"), false},
		{"missing code", KindVerifyEmail, "ada@example.com", map[string]any{"ExpiresIn": time.Minute}, false},
		{"empty link", KindMagicLink, "ada@example.com", link(""), false},
		{"missing expiry", KindMagicLink, "ada@example.com", map[string]any{"Link": testPublicURL + "/magic-link"}, false},
		{"other host", KindMagicLink, "ada@example.com", link("https://evil.test/magic-link"), true},
		{"public URL as a host prefix", KindMagicLink, "ada@example.com", link(testPublicURL + ".evil.test/magic-link"), true},
		{"public URL with a port suffix", KindMagicLink, "ada@example.com", link(testPublicURL + ":8443/magic-link"), true},
		{"plain http", KindPasswordReset, "ada@example.com", link("http://id.example.com/reset-password"), true},
		{"relative", KindPasswordReset, "ada@example.com", link("/reset-password?t=1"), true},
		{"not a string", KindPasswordReset, "ada@example.com", link(42), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := c.Compose(tt.kind, tt.to, tt.data)
			if err == nil {
				t.Fatalf("Compose = %+v, want an error", m)
			}
			if got := errors.Is(err, ErrLinkOutsidePublicURL); got != tt.linkErr {
				t.Errorf("error %v: ErrLinkOutsidePublicURL %v, want %v", err, got, tt.linkErr)
			}
		})
	}
}

func TestComposeAcceptsLinksUnderThePublicURL(t *testing.T) {
	c := newTestComposer(t, "")
	u, _ := url.Parse(testPublicURL + "/magic-link?t=1")
	for _, l := range []any{testPublicURL, testPublicURL + "/", testPublicURL + "?t=1", u} {
		if _, err := c.Compose(KindMagicLink, "ada@example.com", map[string]any{"Link": l, "ExpiresIn": time.Minute}); err != nil {
			t.Errorf("Link %v: %v", l, err)
		}
	}
	noURL, err := NewComposer(ComposerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noURL.Compose(KindMagicLink, "ada@example.com", map[string]any{"Link": testPublicURL + "/x", "ExpiresIn": time.Minute}); !errors.Is(err, ErrLinkOutsidePublicURL) {
		t.Errorf("without a public URL: %v, want ErrLinkOutsidePublicURL", err)
	}
}

func TestTemplateOverrides(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("magic_link.subject.txt", "Sign in to Acme\n")
	write("magic_link.html", `<p>Acme: <a href="{{.Link}}">in</a> for {{duration .ExpiresIn}}</p>`)
	write("unrelated.txt", "{{ not a template")
	c := newTestComposer(t, dir)
	m, err := c.Compose(KindMagicLink, "ada@example.com", map[string]any{"Link": testPublicURL + "/magic-link?t=1", "ExpiresIn": 15 * time.Minute})
	if err != nil {
		t.Fatalf("Compose: %v", err)
	}
	if m.Subject != "Sign in to Acme" {
		t.Errorf("subject %q: the override is not used", m.Subject)
	}
	if m.HTML != `<p>Acme: <a href="`+testPublicURL+`/magic-link?t=1">in</a> for 15 minutes</p>` {
		t.Errorf("HTML %q: the override is not used", m.HTML)
	}
	if !strings.Contains(m.Text, "To sign in, open this link") {
		t.Errorf("text %q: want the embedded template (no override file)", m.Text)
	}
	other, err := c.Compose(KindPasswordReset, "ada@example.com", map[string]any{"Link": testPublicURL + "/r", "ExpiresIn": time.Hour})
	if err != nil || other.Subject != "Reset your password" {
		t.Errorf("other kinds keep the embedded templates: %v, %q", err, other.Subject)
	}
}

func TestBrokenOverrideFailsNewComposer(t *testing.T) {
	tests := []struct{ file, text string }{
		{"verify_email.txt", "{{.Code"},
		{"password_reset.html", "{{if .Link}}unclosed"},
		{"credential_leaked.subject.txt", "{{nosuchfunc .Kind}}"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := NewComposer(ComposerConfig{PublicURL: testPublicURL, TemplatesDir: dir})
			if err == nil || !strings.Contains(err.Error(), tt.file) {
				t.Errorf("NewComposer = %v, want an error naming %s", err, tt.file)
			}
		})
	}
}

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{10 * time.Minute, "10 minutes"},
		{time.Minute, "1 minute"},
		{time.Hour, "1 hour"},
		{90 * time.Minute, "1 hour 30 minutes"},
		{48 * time.Hour, "2 days"},
		{30 * time.Second, "30s"},
		{"a while", "a while"},
	}
	for _, tt := range tests {
		if got := humanDuration(tt.in); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
