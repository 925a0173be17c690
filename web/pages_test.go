package web

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func newPages(t *testing.T) *Pages {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

// page is one page method with its data, written with a status.
type page func(w http.ResponseWriter, r *http.Request, status int)

func render(t *testing.T, status int, show page) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	show(w, httptest.NewRequest(http.MethodGet, "/", nil), status)
	return w
}

func TestNames(t *testing.T) {
	got := newPages(t).Names()
	want := []string{"account", "consent", "device", "device_done", "error", "home", "login", "logout",
		"magic_link", "oauth_error", "register", "reset_password", "verify_email"}
	if !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
}

// TestEveryPageHasAMethod renders every page through its method with empty data: each template
// has a method, each method's data type has every field its template reads (a mismatch would be
// a 500), and no template is left without a method.
func TestEveryPageHasAMethod(t *testing.T) {
	p := newPages(t)
	pages := map[string]page{
		"login":          func(w http.ResponseWriter, r *http.Request, s int) { p.Login(w, r, s, LoginPage{}) },
		"register":       func(w http.ResponseWriter, r *http.Request, s int) { p.Register(w, r, s, Page{}) },
		"logout":         func(w http.ResponseWriter, r *http.Request, s int) { p.Logout(w, r, s, Page{}) },
		"home":           func(w http.ResponseWriter, r *http.Request, s int) { p.Home(w, r, s, Page{}) },
		"error":          func(w http.ResponseWriter, r *http.Request, s int) { p.Error(w, r, s, Page{}) },
		"account":        func(w http.ResponseWriter, r *http.Request, s int) { p.Account(w, r, s, AccountPage{}) },
		"verify_email":   func(w http.ResponseWriter, r *http.Request, s int) { p.VerifyEmail(w, r, s, RecoveryPage{}) },
		"reset_password": func(w http.ResponseWriter, r *http.Request, s int) { p.ResetPassword(w, r, s, RecoveryPage{}) },
		"magic_link":     func(w http.ResponseWriter, r *http.Request, s int) { p.MagicLink(w, r, s, RecoveryPage{}) },
		"consent":        func(w http.ResponseWriter, r *http.Request, s int) { p.Consent(w, r, s, ConsentPage{}) },
		"device":         func(w http.ResponseWriter, r *http.Request, s int) { p.Device(w, r, s, DevicePage{}) },
		"device_done":    func(w http.ResponseWriter, r *http.Request, s int) { p.DeviceDone(w, r, s, DeviceDonePage{}) },
		"oauth_error":    func(w http.ResponseWriter, r *http.Request, s int) { p.OAuthError(w, r, s, OAuthErrorPage{}) },
	}
	for _, name := range p.Names() {
		t.Run(name, func(t *testing.T) {
			show, ok := pages[name]
			if !ok {
				t.Fatalf("templates/%s.html has no page method", name)
			}
			if w := render(t, http.StatusOK, show); w.Code != http.StatusOK {
				t.Fatalf("status %d:\n%s", w.Code, w.Body)
			}
		})
	}
	for _, tab := range []string{"profile", "tokens", "sessions", "passkeys", "connected"} {
		t.Run("account "+tab, func(t *testing.T) {
			w := render(t, http.StatusOK, func(w http.ResponseWriter, r *http.Request, s int) { p.Account(w, r, s, AccountPage{Tab: tab}) })
			if w.Code != http.StatusOK {
				t.Fatalf("status %d:\n%s", w.Code, w.Body)
			}
		})
	}
}

// scriptTag finds every opening script tag, whatever its case or attributes.
var scriptTag = regexp.MustCompile(`(?i)<script[^>]*>`)

func TestRender(t *testing.T) {
	p := newPages(t)
	tests := []struct {
		name    string
		status  int
		show    page
		want    []string
		notWant []string
	}{
		{
			name: "login empty", status: http.StatusOK,
			show: func(w http.ResponseWriter, r *http.Request, status int) {
				p.Login(w, r, status, LoginPage{Page: Page{Next: "/"}})
			},
			want:    []string{"<title>Sign in · Gatehouse</title>", `action="/login"`, `name="next" value="/"`, `href="/register"`},
			notWant: []string{`role="alert"`},
		},
		{
			name: "login failed keeps the username and escapes it", status: http.StatusUnauthorized,
			show: func(w http.ResponseWriter, r *http.Request, status int) {
				p.Login(w, r, status, LoginPage{Page: Page{Error: "Invalid username or password.", Username: `<b>"ann"</b>`, Next: "/account?tab=tokens"}})
			},
			want: []string{
				`role="alert"`, "Invalid username or password.",
				`value="&lt;b&gt;&#34;ann&#34;&lt;/b&gt;"`,
				`name="next" value="/account?tab=tokens"`,
				`href="/register?next=%2faccount%3ftab%3dtokens"`,
			},
			notWant: []string{"<b>"},
		},
		{
			name: "register failed keeps the fields", status: http.StatusConflict,
			show: func(w http.ResponseWriter, r *http.Request, status int) {
				p.Register(w, r, status, Page{Error: "The username is taken.", Username: "ann", Email: "ann@example.com", DisplayName: "Ann", Next: "/"})
			},
			want: []string{`role="alert"`, "The username is taken.", `value="ann"`, `value="ann@example.com"`, `value="Ann"`, `action="/register"`},
		},
		{
			name: "logout confirm", status: http.StatusOK,
			show: func(w http.ResponseWriter, r *http.Request, status int) {
				p.Logout(w, r, status, Page{Username: "ann"})
			},
			want: []string{`action="/logout"`, `method="post"`, "Sign out</button>", ">ann<"},
		},
		{
			name: "home", status: http.StatusOK,
			show: func(w http.ResponseWriter, r *http.Request, status int) {
				p.Home(w, r, status, Page{Username: "ann", DisplayName: "Ann A."})
			},
			want: []string{"Signed in as", ">ann<", "Welcome, Ann A.", `href="/logout"`},
		},
		{
			name: "error", status: http.StatusServiceUnavailable,
			show: func(w http.ResponseWriter, r *http.Request, status int) {
				p.Error(w, r, status, Page{Error: "The server is busy; try again shortly.", Status: 503, RequestID: "req_123"})
			},
			want: []string{`role="alert"`, "The server is busy; try again shortly.", "req_123", "<title>503 · Gatehouse</title>"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := render(t, tc.status, tc.show)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			body := w.Body.String()
			if !strings.HasPrefix(body, "<!doctype html>") || !strings.Contains(body, "</html>") {
				t.Errorf("not a whole page:\n%s", body)
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
			// CSP is default-src 'self': nothing inline, nothing from elsewhere. The only scripts
			// allowed are our own static files (<script src="/static/…">).
			for _, banned := range []string{"<style", " style=", "http://", "https://"} {
				if strings.Contains(strings.ToLower(body), banned) {
					t.Errorf("body contains %q", banned)
				}
			}
			for _, tag := range scriptTag.FindAllString(body, -1) {
				if !strings.HasPrefix(tag, `<script src="/static/`) {
					t.Errorf("body contains a script that is not one of our static files: %q", tag)
				}
			}
			if m := eventHandler.FindString(body); m != "" {
				t.Errorf("body contains an inline event handler %q", m)
			}
		})
	}
}

var (
	eventHandler = regexp.MustCompile(`(?i)\son[a-z]+=`)
	inputTag     = regexp.MustCompile(`<input [^>]*>`)
	labelFor     = regexp.MustCompile(`<label for="([^"]+)"`)
	attribute    = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
)

// TestForms checks what people, password managers and browser tests rely on: the plain field
// names, a label bound to every visible input and the autocomplete hints. No password is ever
// written back.
func TestForms(t *testing.T) {
	p := newPages(t)
	data := Page{Error: "x", Username: "ann", Email: "a@example.com", DisplayName: "Ann", Next: "/"}
	tests := []struct {
		page   string
		show   page
		fields map[string]string // name → autocomplete
	}{
		{"login", func(w http.ResponseWriter, r *http.Request, status int) { p.Login(w, r, status, LoginPage{Page: data}) },
			map[string]string{"username": "username", "password": "current-password"}},
		{"register", func(w http.ResponseWriter, r *http.Request, status int) { p.Register(w, r, status, data) },
			map[string]string{"username": "username", "email": "email", "display_name": "nickname", "password": "new-password"}},
	}
	for _, tc := range tests {
		t.Run(tc.page, func(t *testing.T) {
			body := render(t, http.StatusBadRequest, tc.show).Body.String()
			labels := map[string]bool{}
			for _, m := range labelFor.FindAllStringSubmatch(body, -1) {
				labels[m[1]] = true
			}
			seen := map[string]bool{}
			for _, tag := range inputTag.FindAllString(body, -1) {
				attrs := map[string]string{}
				for _, m := range attribute.FindAllStringSubmatch(tag, -1) {
					attrs[m[1]] = m[2]
				}
				name := attrs["name"]
				if attrs["type"] == "hidden" {
					if name != "next" {
						t.Errorf("unexpected hidden input %s", tag)
					}
					continue
				}
				want, ok := tc.fields[name]
				if !ok {
					t.Errorf("unexpected input %s", tag)
					continue
				}
				seen[name] = true
				if attrs["id"] == "" || !labels[attrs["id"]] {
					t.Errorf("input %q has no bound label", name)
				}
				if attrs["autocomplete"] != want {
					t.Errorf("input %q autocomplete %q, want %q", name, attrs["autocomplete"], want)
				}
				if attrs["type"] == "password" {
					if _, has := attrs["value"]; has {
						t.Errorf("password input carries a value: %s", tag)
					}
				}
			}
			for name := range tc.fields {
				if !seen[name] {
					t.Errorf("no input named %q", name)
				}
			}
		})
	}
}

func TestRenderFailure(t *testing.T) {
	p := newPages(t)
	tests := []struct {
		name string
		page string
		data any
	}{
		{"unknown page", "nope", Page{}},
		{"data without the fields", "login", struct{ Other int }{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			w.Header().Set("X-Request-ID", "req_abc")
			p.render(w, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusOK, tc.page, tc.data)
			if w.Code != http.StatusInternalServerError {
				t.Fatalf("status %d, want 500", w.Code)
			}
			body := w.Body.String()
			if strings.Contains(body, "<h1>Sign in</h1>") || strings.Count(body, "<!doctype html>") != 1 {
				t.Errorf("half a page leaked:\n%s", body)
			}
			for _, s := range []string{"An internal error occurred.", "req_abc", `role="alert"`} {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			if strings.Contains(body, "can't evaluate") || strings.Contains(body, "nope") {
				t.Errorf("error details leaked:\n%s", body)
			}
		})
	}
}

func TestStatic(t *testing.T) {
	p := newPages(t)
	css, err := p.staticURL("gatehouse.css")
	if err != nil {
		t.Fatal(err)
	}
	etag := `"` + p.assets["gatehouse.css"].version + `"`
	tests := []struct {
		name        string
		method      string
		target      string
		header      [2]string
		status      int
		contentType string
		cache       string
	}{
		{"versioned css", "GET", css, [2]string{}, 200, "text/css; charset=utf-8", cacheVersioned},
		{"unversioned css", "GET", "/static/gatehouse.css", [2]string{}, 200, "text/css; charset=utf-8", cacheUnversioned},
		{"stale version", "GET", "/static/gatehouse.css?v=0000", [2]string{}, 200, "text/css; charset=utf-8", cacheUnversioned},
		{"svg", "GET", "/static/favicon.svg", [2]string{}, 200, "image/svg+xml", cacheUnversioned},
		{"head", "HEAD", css, [2]string{}, 200, "text/css; charset=utf-8", cacheVersioned},
		{"revalidated", "GET", "/static/gatehouse.css", [2]string{"If-None-Match", etag}, 304, "", cacheUnversioned},
		{"unknown", "GET", "/static/nope.css", [2]string{}, 404, "text/plain; charset=utf-8", "no-store"},
		{"directory", "GET", "/static/", [2]string{}, 404, "text/plain; charset=utf-8", "no-store"},
		{"traversal", "GET", "/static/../templates/login.html", [2]string{}, 404, "text/plain; charset=utf-8", "no-store"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, nil)
			if tc.header[0] != "" {
				r.Header.Set(tc.header[0], tc.header[1])
			}
			w := httptest.NewRecorder()
			p.Static().ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if tc.contentType != "" && w.Header().Get("Content-Type") != tc.contentType {
				t.Errorf("Content-Type %q, want %q", w.Header().Get("Content-Type"), tc.contentType)
			}
			if got := w.Header().Get("Cache-Control"); got != tc.cache {
				t.Errorf("Cache-Control %q, want %q", got, tc.cache)
			}
			if tc.status == 200 && tc.method == "GET" && w.Body.Len() == 0 {
				t.Error("empty body")
			}
		})
	}
}
