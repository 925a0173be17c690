package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// hostileTargets are next / redirect_to values that a browser would follow off the server: the
// review reached an attacker's page through `/./\evil` on logout and after sign-in.
var hostileTargets = []struct{ name, target string }{
	{"dot segment then backslash", `/./\evil.example/x`},
	{"slash backslash", `/\evil.example`},
	{"backslash slash", `\/evil.example`},
	{"two backslashes", `\\evil.example`},
	{"dot dot then backslash", `/a/../\evil.example`},
	{"encoded backslash", `/%5Cevil.example`},
	{"encoded backslash after a dot segment", `/./%5cevil.example`},
	{"scheme-relative", `//evil.example/`},
	{"scheme-relative after a dot segment", `/.//evil.example/`},
	{"tab inside the slashes", "/\t/evil.example/"},
	{"newline inside the slashes", "/\n/evil.example/"},
	{"leading space", " //evil.example/"},
	{"foreign origin", "https://evil.example/"},
	{"allowed origin as userinfo", "https://app.example.com@evil.example/"},
	{"allowed origin then backslash userinfo", `https://app.example.com\@evil.example/`},
	{"scheme without slashes", "https:evil.example"},
	{"javascript", "javascript:alert(document.domain)"},
}

// landsOn is the host a browser goes to for a Location header loc on base, by the WHATWG URL
// rules that matter here: leading and trailing spaces and C0 controls trimmed, tabs and
// newlines removed, a backslash read as a slash in http(s) URLs.
func landsOn(t *testing.T, base, loc string) string {
	t.Helper()
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= ' ' })
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(loc)
	b, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u, err := b.Parse(loc)
	if err != nil {
		t.Fatalf("Location %q does not parse: %v", loc, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return u.Scheme + ":" // javascript:, data:, …: off the server too
	}
	return u.Host
}

// TestOpenRedirects reproduces the review's open redirects: GET /v1/auth/logout?redirect_to=
// and the sign-in forms' next (after signing in, and for a visitor already signed in) must never
// send the browser to another origin, whatever the spelling of the target.
func TestOpenRedirects(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, func(c *configT) { c.LogoutRedirectOrigins = []string{"https://app.example.com"} })
		self := strings.TrimPrefix(strings.TrimPrefix(s.base, "http://"), "https://")
		username := "redir" + randomSuffix()
		s.register(username, goodPassword, "")
		form := func(c *http.Client, path string, v url.Values) response {
			t.Helper()
			req, _ := http.NewRequest("POST", s.base+path, strings.NewReader(v.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			return s.send(c, req)
		}
		mustStay := func(t *testing.T, what string, r response) {
			t.Helper()
			mustStatus(t, r, http.StatusSeeOther)
			loc := r.header.Get("Location")
			if host := landsOn(t, s.base, loc); host != self {
				t.Errorf("%s: Location %q sends the browser to %q", what, loc, host)
			}
		}
		for _, c := range hostileTargets {
			t.Run(c.name, func(t *testing.T) {
				tok, _ := s.register("u"+randomSuffix(), goodPassword, "")
				req, _ := http.NewRequest("GET", s.base+"/v1/auth/logout?redirect_to="+url.QueryEscape(c.target), nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				mustStay(t, "logout", s.send(browser(t), req))
				mustStatus(t, s.do("GET", "/v1/me", tok, nil), http.StatusUnauthorized)

				b := browser(t)
				mustStay(t, "after sign-in", form(b, "/login", url.Values{"username": {username}, "password": {goodPassword}, "next": {c.target}}))
				req, _ = http.NewRequest("GET", s.base+"/login?next="+url.QueryEscape(c.target), nil)
				mustStay(t, "signed-in /login", s.send(b, req))
				req, _ = http.NewRequest("GET", s.base+"/register?next="+url.QueryEscape(c.target), nil)
				mustStay(t, "signed-in /register", s.send(b, req))
				mustStay(t, "after registration", form(browser(t), "/register", url.Values{"username": {"r" + randomSuffix()}, "password": {goodPassword}, "next": {c.target}}))
			})
		}
		// What is allowed still works: a local path keeps its query; an allowed origin on logout.
		tok, _ := s.register("u"+randomSuffix(), goodPassword, "")
		req, _ := http.NewRequest("GET", s.base+"/v1/auth/logout?redirect_to="+url.QueryEscape("https://APP.example.com:443/bye?x=1"), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		r := s.send(browser(t), req)
		if loc := r.header.Get("Location"); r.status != http.StatusSeeOther || loc != "https://app.example.com/bye?x=1" {
			t.Fatalf("logout to an allowed origin: %d %q", r.status, loc)
		}
		r = form(browser(t), "/login", url.Values{"username": {username}, "password": {goodPassword}, "next": {"/account/tokens?tab=1"}})
		if loc := r.header.Get("Location"); r.status != http.StatusSeeOther || loc != "/account/tokens?tab=1" {
			t.Fatalf("sign-in to a local path: %d %q", r.status, loc)
		}
	})
}

// TestGoogleSignInNextStaysLocal: the next of Google sign-in travels through the issuer in the
// flow's state and is checked by the same function on the way back.
func TestGoogleSignInNextStaysLocal(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, _, idp := startWithGoogle(t, dbURL)
		idp.signInAs(googlePerson{sub: "g-redir", email: "redir@example.com", verified: true})
		self := strings.TrimPrefix(s.base, "http://")
		for _, c := range hostileTargets[:8] {
			t.Run(c.name, func(t *testing.T) {
				b := browser(t)
				r := s.getPage(b, "/v1/auth/google/start?next="+url.QueryEscape(c.target))
				mustStatus(t, r, http.StatusFound)
				res, err := b.Get(r.header.Get("Location"))
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				r = s.getPage(b, followToServer(t, res.Header.Get("Location")))
				mustStatus(t, r, http.StatusSeeOther)
				if loc := r.header.Get("Location"); landsOn(t, s.base, loc) != self {
					t.Errorf("Google sign-in with next=%q went to %q", c.target, loc)
				}
			})
		}
	})
}
