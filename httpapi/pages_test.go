package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/web"
)

// pagesServer is a Server with the real pages and no account service: enough for every path
// that does not reach the use cases (no cookie, refused or unreadable forms). The flows that
// sign in run end to end in package e2e.
func pagesServer(t *testing.T) http.Handler {
	t.Helper()
	pages, err := web.New()
	if err != nil {
		t.Fatal(err)
	}
	public, _ := url.Parse("http://gatehouse.test")
	logger, _ := newTestLogger()
	return (&Server{Pages: pages, PublicURL: public, Logger: logger}).Handler()
}

func TestPagesWithoutSession(t *testing.T) {
	h := pagesServer(t)
	tests := []struct {
		name     string
		method   string
		target   string
		body     string
		header   map[string]string
		status   int
		location string
		contains []string
	}{
		{name: "home sends to login", method: "GET", target: "/", status: 303, location: "/login"},
		{name: "logout page sends to login", method: "GET", target: "/logout", status: 303, location: "/login"},
		{name: "logout post without session", method: "POST", target: "/logout", status: 303, location: "/login",
			header: map[string]string{"Sec-Fetch-Site": "same-origin"}},
		{name: "login form", method: "GET", target: "/login", status: 200,
			contains: []string{`action="/login"`, `name="next" value="/"`}},
		{name: "register form", method: "GET", target: "/register", status: 200,
			contains: []string{`action="/register"`, `name="display_name"`}},
		{name: "login keeps a local next", method: "GET", target: "/login?next=%2Faccount%3Ftab%3Dtokens", status: 200,
			contains: []string{`name="next" value="/account?tab=tokens"`}},
		{name: "login drops an absolute next", method: "GET", target: "/login?next=https%3A%2F%2Fevil.example%2F", status: 200,
			contains: []string{`name="next" value="/"`}},
		{name: "login drops a scheme-relative next", method: "GET", target: "/login?next=%2F%2Fevil.example", status: 200,
			contains: []string{`name="next" value="/"`}},
		{name: "malformed form", method: "POST", target: "/login", body: "username=ann&password=%zz",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, status: 400,
			contains: []string{`role="alert"`, "The form could not be read."}},
		{name: "static css", method: "GET", target: "/static/gatehouse.css", status: 200},
		{name: "unknown page is the JSON 404", method: "GET", target: "/nope", status: 404,
			contains: []string{`"error":"not_found"`}},
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
			for _, s := range tc.contains {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("body lacks %q:\n%s", s, w.Body)
				}
			}
		})
	}
}

func TestLogoutClearsCookie(t *testing.T) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/logout", nil)
	pagesServer(t).ServeHTTP(w, r)
	res := w.Result()
	var cleared bool
	for _, c := range res.Cookies() {
		if c.Name == "gatehouse_session" && c.MaxAge < 0 && c.HttpOnly && c.SameSite == http.SameSiteLaxMode {
			cleared = true
		}
	}
	if res.StatusCode != http.StatusSeeOther || !cleared {
		t.Fatalf("status %d, cookies %v: want 303 and the session cookie cleared", res.StatusCode, res.Header["Set-Cookie"])
	}
}

// TestPagesRefuseCrossSitePosts: the forms carry no CSRF token; the CrossOrigin middleware
// refuses a cross-site browser POST before any handler runs.
func TestPagesRefuseCrossSitePosts(t *testing.T) {
	h := pagesServer(t)
	tests := []struct {
		name   string
		path   string
		header [2]string
	}{
		{"login from another site", "/login", [2]string{"Sec-Fetch-Site", "cross-site"}},
		{"register from another site", "/register", [2]string{"Sec-Fetch-Site", "cross-site"}},
		{"logout from another site", "/logout", [2]string{"Sec-Fetch-Site", "cross-site"}},
		{"login from another origin (no Sec-Fetch-Site)", "/login", [2]string{"Origin", "https://evil.example"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", tc.path, strings.NewReader("username=ann&password=correct-horse"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set(tc.header[0], tc.header[1])
			r.AddCookie(&http.Cookie{Name: "gatehouse_session", Value: "gth_ses_x"})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusForbidden {
				t.Fatalf("status %d, want 403; body: %s", w.Code, w.Body)
			}
			if len(w.Result().Cookies()) != 0 {
				t.Errorf("a refused request changed cookies: %v", w.Result().Cookies())
			}
		})
	}
}

func TestPageFormTooLarge(t *testing.T) {
	// A body of unknown length passes LimitBody's Content-Length check and is cut off while
	// the form is parsed: the page answers 413 with its message.
	body := io.MultiReader(strings.NewReader("username=ann&password="), strings.NewReader(strings.Repeat("a", MaxBodyBytes+1)))
	r := httptest.NewRequest("POST", "/register", body)
	r.ContentLength = -1
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	pagesServer(t).ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), `role="alert"`) {
		t.Fatalf("status %d, want 413 page; body: %.300s", w.Code, w.Body)
	}
}

func TestLocalRedirect(t *testing.T) {
	s := &Server{LogoutRedirectOrigins: []string{"https://app.example"}}
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "/"},
		{"root", "/", "/"},
		{"path and query", "/account?tab=tokens", "/account?tab=tokens"},
		{"absolute, even an allowed origin", "https://app.example/x", "/"},
		{"scheme-relative", "//evil.example/x", "/"},
		{"backslash", "/\\evil.example", "/"},
		{"relative without slash", "account", "/"},
		{"javascript", "javascript:alert(1)", "/"},
		{"header injection", "/x\r\nSet-Cookie: a=b", "/"},
		{"too long", "/" + strings.Repeat("a", 9000), "/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.localRedirect(tc.in); got != tc.want {
				t.Errorf("localRedirect(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
