package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestOAuthPages renders the pages of the OAuth provider (consent, device, device_done,
// oauth_error) with the data the handlers of httpapi give them.
func TestOAuthPages(t *testing.T) {
	p := newPages(t)
	scopes := []ScopeView{{Name: "openid", Text: "Know who you are"}, {Name: "calls:read", Text: "Read your calls"}}
	tests := []struct {
		name    string
		status  int
		show    page
		want    []string
		notWant []string
	}{
		{
			name: "consent", status: http.StatusOK,
			show: func(w http.ResponseWriter, r *http.Request, status int) {
				p.Consent(w, r, status, ConsentPage{
					Page:       Page{Username: "ann"},
					ClientID:   "cli_123",
					ClientName: `Acme <b>"CRM"</b>`, RedirectHost: "app.example.com",
					Scopes: scopes,
					Request: []HiddenField{
						{Name: "client_id", Value: "cli_123"},
						{Name: "redirect_uri", Value: "https://app.example.com/cb?x=1&y=2"},
						{Name: "state", Value: `"><script>alert(1)</script>`},
					},
					Remember: true,
				})
			},
			want: []string{
				`action="/oauth2/consent"`, `method="post"`,
				`name="action" value="approve"`, `name="action" value="deny"`,
				`type="checkbox" id="remember" name="remember" value="1" checked`,
				`<input type="hidden" name="client_id" value="cli_123">`,
				`<input type="hidden" name="redirect_uri" value="https://app.example.com/cb?x=1&amp;y=2">`,
				`value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`,
				"Acme &lt;b&gt;&#34;CRM&#34;&lt;/b&gt;", "Read your calls", "<code>calls:read</code>", "app.example.com", ">ann<",
			},
			notWant: []string{`role="alert"`, "<b>"},
		},
		{
			name: "consent without remember", status: http.StatusOK,
			show: func(w http.ResponseWriter, r *http.Request, status int) {
				p.Consent(w, r, status, ConsentPage{ClientName: "Acme", Remember: false})
			},
			want:    []string{`name="remember" value="1">`},
			notWant: []string{"checked"},
		},
		{
			name: "device form", status: http.StatusOK,
			show: func(w http.ResponseWriter, r *http.Request, status int) {
				p.Device(w, r, status, DevicePage{Page: Page{Username: "ann"}})
			},
			want:    []string{`action="/device"`, `name="user_code"`, `<label for="user_code">`},
			notWant: []string{`role="alert"`, `name="action"`},
		},
		{
			name: "device wrong code", status: http.StatusNotFound,
			show: func(w http.ResponseWriter, r *http.Request, status int) {
				p.Device(w, r, status, DevicePage{Page: Page{Username: "ann", Error: "That code is not valid or has expired."}, UserCode: "WXYZ-0000"})
			},
			want: []string{`role="alert"`, "That code is not valid", `name="user_code"`, `value="WXYZ-0000"`},
		},
		{
			name: "device pending", status: http.StatusOK,
			show: func(w http.ResponseWriter, r *http.Request, status int) {
				p.Device(w, r, status, DevicePage{
					Page: Page{Username: "ann"}, UserCode: "ABCD-EFGH",
					Pending: &DevicePending{ClientID: "gatehouse-cli", ClientName: "Gatehouse CLI", Scopes: scopes},
				})
			},
			want: []string{
				"Gatehouse CLI", `id="user-code">ABCD-EFGH<`, `<input type="hidden" name="user_code" value="ABCD-EFGH">`,
				`name="action" value="approve"`, `name="action" value="deny"`, "Read your calls",
			},
			notWant: []string{`role="alert"`, `id="device-code-form"`},
		},
		{
			name: "device approved", status: http.StatusOK,
			show: func(w http.ResponseWriter, r *http.Request, status int) {
				p.DeviceDone(w, r, status, DeviceDonePage{Approved: true, ClientName: "Gatehouse CLI"})
			},
			want: []string{`data-result="approved"`, "You can return to your terminal", "Gatehouse CLI"},
		},
		{
			name: "device denied", status: http.StatusOK,
			show: func(w http.ResponseWriter, r *http.Request, status int) {
				p.DeviceDone(w, r, status, DeviceDonePage{ClientName: "Gatehouse CLI"})
			},
			want: []string{`data-result="denied"`, "You can return to your terminal"},
		},
		{
			name: "oauth error", status: http.StatusBadRequest,
			show: func(w http.ResponseWriter, r *http.Request, status int) {
				p.OAuthError(w, r, status, OAuthErrorPage{Page: Page{Error: "The redirect_uri is not registered for this client.", Status: 400, RequestID: "req_1"}, Code: "invalid_request"})
			},
			want: []string{`role="alert"`, "The redirect_uri is not registered", "invalid_request", "req_1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := render(t, tc.status, tc.show)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d:\n%s", w.Code, tc.status, w.Body.String())
			}
			body := w.Body.String()
			if !strings.HasPrefix(body, "<!doctype html>") || !strings.Contains(body, "</html>") {
				t.Fatalf("not a whole page:\n%s", body)
			}
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(body, s) {
					t.Errorf("body contains %q:\n%s", s, body)
				}
			}
			for _, banned := range []string{"<style", " style=", "<script>", "http://", "javascript:"} {
				if strings.Contains(strings.ToLower(body), banned) {
					t.Errorf("body contains %q", banned)
				}
			}
			if m := eventHandler.FindString(body); m != "" {
				t.Errorf("body contains an inline event handler %q", m)
			}
		})
	}
}
