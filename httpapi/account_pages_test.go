package httpapi

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/web"
)

// The signed-in flows of /account run end to end in package e2e (over HTTP and in Chromium);
// these cover the paths that never reach the use cases and what the template draws.

func TestAccountPagesWithoutSession(t *testing.T) {
	h := pagesServer(t)
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"}
	tests := []struct {
		name     string
		method   string
		target   string
		body     string
		header   map[string]string
		status   int
		location string
	}{
		{name: "profile tab sends to login", method: "GET", target: "/account", status: 303, location: "/login?next=%2Faccount"},
		{name: "tokens tab sends to login", method: "GET", target: "/account/tokens", status: 303, location: "/login?next=%2Faccount%2Ftokens"},
		{name: "sessions tab sends to login", method: "GET", target: "/account/sessions", status: 303, location: "/login?next=%2Faccount%2Fsessions"},
		{name: "create token without session", method: "POST", target: "/account/tokens", body: "name=ci&expires_in=90d",
			header: form, status: 303, location: "/login?next=%2Faccount%2Ftokens"},
		{name: "revoke session without session", method: "POST", target: "/account/sessions/ses_x/revoke",
			header: form, status: 303, location: "/login?next=%2Faccount%2Fsessions"},
		{name: "cross-site token creation refused", method: "POST", target: "/account/tokens", body: "name=ci&expires_in=90d",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site", "Cookie": "gatehouse_session=gth_ses_x"},
			status: 403},
		{name: "cross-origin profile post refused", method: "POST", target: "/account/profile", body: "display_name=x",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"},
			status: 403},
		{name: "revoke is POST only", method: "GET", target: "/account/tokens/pat_x/revoke", status: 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d; body: %s", w.Code, tc.status, w.Body)
			}
			if got := w.Header().Get("Location"); got != tc.location {
				t.Errorf("Location %q, want %q", got, tc.location)
			}
		})
	}
}

func TestAccountTemplate(t *testing.T) {
	pages, err := web.New()
	if err != nil {
		t.Fatal(err)
	}
	user := web.Page{Username: "ann", Email: "ann@example.com", DisplayName: `Ann <b>"A"</b>`}
	created := web.AccountTime{ISO: "2026-01-02T03:04:05Z", Text: "2 Jan 2026, 03:04 UTC"}
	tests := []struct {
		name    string
		data    web.AccountPage
		want    []string
		notWant []string
	}{
		{
			name: "profile",
			data: web.AccountPage{Page: user, Tab: tabProfile, StoredEmail: "ann@example.com", Notice: "Your profile was saved."},
			want: []string{
				`href="/account" id="tab-profile" aria-current="page"`, `href="/account/tokens" id="tab-tokens">`,
				`action="/account/profile"`, `name="display_name"`, `name="email"`, `value="ann@example.com"`,
				"not verified", `role="status"`, "Your profile was saved.", `Ann &lt;b&gt;&#34;A&#34;&lt;/b&gt;`,
			},
			notWant: []string{`role="alert"`, "<b>", "<script"},
		},
		{
			name: "tokens with a new token",
			data: web.AccountPage{
				Page: user, Tab: tabTokens,
				NewToken:      &web.AccountNewToken{Name: "ci", Token: "gth_pat_SECRETvalue"},
				ExpiryChoices: []web.AccountChoice{{Value: "30d", Label: "30 days"}, {Value: "90d", Label: "90 days", Selected: true}},
				ScopeChoices:  []web.AccountScopeChoice{{Resource: "calls", Read: web.AccountChoice{Value: "calls:read"}, Write: web.AccountChoice{Value: "calls:write", Selected: true}}},
				Tokens:        []web.AccountToken{{ID: "pat_1", Name: "ci", Prefix: "gth_pat_AbC…wxyz", Created: created}},
			},
			want: []string{
				`aria-current="page">API tokens`, `id="new-token"`, `value="gth_pat_SECRETvalue" readonly`,
				`data-copy="new-token"`, "will not be shown again", "it never expires", `/static/account.js?v=`,
				`<option value="90d" selected>`, `value="calls:write" aria-label="calls:write" checked`,
				`action="/account/tokens/pat_1/revoke"`, "gth_pat_AbC…wxyz", "all (not limited)",
			},
		},
		{
			name: "tokens failed creation",
			data: web.AccountPage{
				Page: web.Page{Username: "ann", Error: "You already have 10 active personal access tokens; revoke one first."},
				Tab:  tabTokens, TokenName: "eleventh",
			},
			want:    []string{`role="alert"`, "You already have 10 active", `id="name" name="name" type="text" value="eleventh"`, `id="no-tokens"`},
			notWant: []string{`id="new-token"`, "<script"},
		},
		{
			name: "sessions",
			data: web.AccountPage{Page: user, Tab: tabSessions, Sessions: []web.AccountSession{
				{ID: "ses_1", Device: "Chrome on Linux", IP: "127.0.0.1", Created: created, LastSeen: created, Current: true},
				{ID: "ses_2", Device: "Go client", Created: created, LastSeen: created},
			}},
			want: []string{
				`aria-current="page">Sessions`, "this device", `action="/account/sessions/ses_1/revoke"`,
				`action="/account/sessions/ses_2/revoke"`, "Chrome on Linux", "127.0.0.1",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			pages.Account(w, httptest.NewRequest(http.MethodGet, "/account", nil), http.StatusOK, tc.data)
			if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("status %d, Cache-Control %q; body: %s", w.Code, w.Header().Get("Cache-Control"), w.Body)
			}
			body := w.Body.String()
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(body, s) {
					t.Errorf("body contains %q", s)
				}
			}
			if n := strings.Count(body, `aria-current="page"`); n != 1 {
				t.Errorf("%d tabs marked current, want 1", n)
			}
			// CSP default-src 'self': no inline script or style, nothing from elsewhere.
			inline := regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]|<style| style=|https?://`)
			if m := inline.FindString(body); m != "" {
				t.Errorf("body has %q", m)
			}
		})
	}
}

func TestDeviceName(t *testing.T) {
	tests := []struct{ name, ua, want string }{
		{"empty", "", "Unknown device"},
		{"chrome linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on Linux"},
		{"headless", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", "Headless Chrome on Linux"},
		{"firefox mac", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:131.0) Gecko/20100101 Firefox/131.0", "Firefox on macOS"},
		{"safari iphone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "Safari on iOS"},
		{"edge windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"},
		{"go client", "Go-http-client/1.1", "Go client"},
		{"unknown short", "robot/1", "robot/1"},
		{"unknown long", strings.Repeat("é", 50), strings.Repeat("é", 40) + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := deviceName(tc.ua); got != tc.want {
				t.Errorf("deviceName(%q) = %q, want %q", tc.ua, got, tc.want)
			}
		})
	}
}
