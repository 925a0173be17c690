package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-auth/gatehouse/config"
)

// browserPassword is a password the policy accepts (long, not on the common list).
const browserPassword = "violet-Harbor-7-lantern"

// TestBrowserRegisterLoginLogout drives the web pages in headless Chromium like a person:
// register, sign out, sign in, and a wrong password. It skips without Chromium unless
// GATEHOUSE_TEST_BROWSER=1. Set GATEHOUSE_TEST_SCREENSHOTS=DIR to keep the screenshots.
func TestBrowserRegisterLoginLogout(t *testing.T) {
	ctx := headlessChromium(t)
	s := start(t, backends()[0].dbURL(t), nil) // SQLite
	base := s.base
	const username = "browser_ann"

	// Register: the form signs the new account in and lands on home.
	browse(t, ctx, "open /register",
		chromedp.Navigate(base+"/register"),
		chromedp.WaitVisible(`form[action="/register"]`, chromedp.ByQuery),
	)
	saveScreenshot(t, ctx, "register")
	var signedInAs, location string
	browse(t, ctx, "register",
		chromedp.SendKeys(`#username`, username, chromedp.ByQuery),
		chromedp.SendKeys(`#email`, "ann@example.com", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, browserPassword, chromedp.ByQuery),
		chromedp.Click(`button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#signed-in-user`, chromedp.ByQuery),
		chromedp.Text(`#signed-in-user`, &signedInAs, chromedp.ByQuery),
		chromedp.Location(&location),
	)
	if signedInAs != username || location != base+"/" {
		t.Fatalf("after register: at %s signed in as %q, want %s/ and %q", location, signedInAs, base, username)
	}
	saveScreenshot(t, ctx, "home")
	session := mustSessionCookie(t, browserCookies(t, ctx, base))
	mustStatus(t, s.do("GET", "/v1/me", session.Value, nil), http.StatusOK)

	// Sign out through the confirm page: back on /login, the cookie gone, the session revoked.
	signOut(t, ctx, base)
	if _, ok := browserCookies(t, ctx, base)[session.Name]; ok {
		t.Fatal("the session cookie survived signing out")
	}
	mustStatus(t, s.do("GET", "/v1/me", session.Value, nil), http.StatusUnauthorized)
	browse(t, ctx, "home without a session",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`form[action="/login"]`, chromedp.ByQuery),
		chromedp.Location(&location),
	)
	if location != base+"/login" {
		t.Fatalf("home without a session went to %s, want %s/login", location, base)
	}
	saveScreenshot(t, ctx, "login")

	// Sign in again with the same username and password.
	browse(t, ctx, "sign in",
		chromedp.SendKeys(`#username`, username, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, browserPassword, chromedp.ByQuery),
		chromedp.Click(`button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#signed-in-user`, chromedp.ByQuery),
		chromedp.Text(`#signed-in-user`, &signedInAs, chromedp.ByQuery),
		chromedp.Location(&location),
	)
	if signedInAs != username || location != base+"/" {
		t.Fatalf("after sign-in: at %s signed in as %q, want %s/ and %q", location, signedInAs, base, username)
	}
	again := mustSessionCookie(t, browserCookies(t, ctx, base))
	if again.Value == session.Value {
		t.Fatal("signing in again reused the revoked session token")
	}

	// A wrong password: the alert, still on /login, the username kept, the password not.
	signOut(t, ctx, base)
	var alert, keptUsername, keptPassword string
	browse(t, ctx, "sign in with a wrong password",
		chromedp.SendKeys(`#username`, username, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, browserPassword+"-wrong", chromedp.ByQuery),
		chromedp.Click(`button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[role="alert"]`, chromedp.ByQuery),
		chromedp.Text(`[role="alert"]`, &alert, chromedp.ByQuery),
		chromedp.Value(`#username`, &keptUsername, chromedp.ByQuery),
		chromedp.Value(`#password`, &keptPassword, chromedp.ByQuery),
		chromedp.Location(&location),
	)
	if !strings.Contains(alert, "Invalid username or password.") {
		t.Errorf("alert %q, want the invalid-credentials message", alert)
	}
	if location != base+"/login" {
		t.Errorf("after a wrong password at %s, want %s/login", location, base)
	}
	if keptUsername != username || keptPassword != "" {
		t.Errorf("form after failure: username %q (want %q), password %q (want empty)", keptUsername, username, keptPassword)
	}
	if _, ok := browserCookies(t, ctx, base)[session.Name]; ok {
		t.Error("a failed sign-in left a session cookie")
	}
	saveScreenshot(t, ctx, "login-failed")
}

// signOut opens /logout, presses Sign out and waits for /login.
func signOut(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	var location string
	browse(t, ctx, "sign out",
		chromedp.Navigate(base+"/logout"),
		chromedp.WaitVisible(`#sign-out`, chromedp.ByQuery),
		chromedp.Click(`#sign-out`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[action="/login"]`, chromedp.ByQuery),
		chromedp.Location(&location),
	)
	if location != base+"/login" {
		t.Fatalf("after signing out at %s, want %s/login", location, base)
	}
}

// mustSessionCookie returns the session cookie and checks its attributes: HttpOnly, SameSite=Lax,
// host-only, Path=/ and a session token.
func mustSessionCookie(t *testing.T, jar map[string]*network.Cookie) *network.Cookie {
	t.Helper()
	c, ok := jar["gatehouse_session"]
	if !ok {
		t.Fatalf("no session cookie; the browser holds %v", cookieNames(jar))
	}
	if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" || strings.HasPrefix(c.Domain, ".") {
		t.Errorf("session cookie: HttpOnly %v, SameSite %q, Path %q, Domain %q; want HttpOnly, Lax, /, host-only",
			c.HTTPOnly, c.SameSite, c.Path, c.Domain)
	}
	if !strings.HasPrefix(c.Value, "gth_ses_") {
		t.Errorf("session cookie value %.8q… is not a session token", c.Value)
	}
	return c
}

func cookieNames(jar map[string]*network.Cookie) []string {
	names := make([]string, 0, len(jar))
	for n := range jar {
		names = append(names, n)
	}
	return names
}

// TestPagesOverHTTP covers what the browser test does not: the statuses of the form pages,
// ?next=, a taken username, the rate limit and cross-site refusal, with a plain HTTP client.
func TestPagesOverHTTP(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, func(c *config.Config) {
			rate, err := gatehouseRate("4/m")
			if err != nil {
				t.Fatal(err)
			}
			c.AuthRateLimit = rate
		})
		c := browser(t)
		submit := func(path string, form url.Values, headers ...string) response {
			t.Helper()
			req, err := http.NewRequest("POST", s.base+path, strings.NewReader(form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			for i := 0; i+1 < len(headers); i += 2 {
				req.Header.Set(headers[i], headers[i+1])
			}
			return s.send(c, req)
		}
		get := func(path string) response {
			t.Helper()
			req, err := http.NewRequest("GET", s.base+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			return s.send(c, req)
		}
		mustContain := func(r response, parts ...string) {
			t.Helper()
			for _, p := range parts {
				if !strings.Contains(string(r.body), p) {
					t.Fatalf("status %d body lacks %q:\n%s", r.status, p, r.body)
				}
			}
		}

		// 1. Register continues to a local ?next=.
		r := submit("/register", url.Values{"username": {"pat"}, "password": {browserPassword}, "next": {"/v1/me"}})
		mustStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/v1/me" {
			t.Fatalf("register went to %q, want /v1/me", loc)
		}
		mustStatus(t, get("/v1/me"), http.StatusOK)
		// Signed in, the forms send on to next.
		r = get("/login?next=%2Fv1%2Fme%2Forgs")
		mustStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/v1/me/orgs" {
			t.Fatalf("signed-in /login went to %q, want /v1/me/orgs", loc)
		}

		// 2. A cross-site form post is refused and the session lives on.
		r = submit("/logout", nil, "Sec-Fetch-Site", "cross-site")
		mustStatus(t, r, http.StatusForbidden)
		r = submit("/login", url.Values{"username": {"pat"}, "password": {browserPassword}}, "Sec-Fetch-Site", "cross-site")
		mustStatus(t, r, http.StatusForbidden)
		mustStatus(t, get("/v1/me"), http.StatusOK)
		mustStatus(t, submit("/logout", nil), http.StatusSeeOther)
		mustStatus(t, get("/v1/me"), http.StatusUnauthorized)

		// 3. A taken username: 409, the fields kept, never the password; no cookie.
		r = submit("/register", url.Values{"username": {"PAT"}, "email": {"pat@example.com"}, "password": {browserPassword}})
		mustStatus(t, r, http.StatusConflict)
		mustContain(r, `role="alert"`, `value="PAT"`, `value="pat@example.com"`)
		if strings.Contains(string(r.body), browserPassword) || r.header.Get("Set-Cookie") != "" {
			t.Fatal("a failed registration echoed the password or set a cookie")
		}

		// 4. A wrong password: 401 with the generic message, an absolute next dropped.
		r = submit("/login", url.Values{"username": {"pat"}, "password": {"wrong-password-1"}, "next": {"https://evil.example/"}})
		mustStatus(t, r, http.StatusUnauthorized)
		mustContain(r, `role="alert"`, "Invalid username or password.", `name="next" value="/"`, `value="pat"`)

		// 5. Over the per-IP limit (4/m; three credential posts so far): a 429 page with Retry-After.
		mustStatus(t, submit("/login", url.Values{"username": {"pat"}, "password": {browserPassword}}), http.StatusSeeOther)
		r = submit("/login", url.Values{"username": {"pat"}, "password": {browserPassword}})
		mustStatus(t, r, http.StatusTooManyRequests)
		mustContain(r, `role="alert"`)
		if r.header.Get("Retry-After") == "" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("429 page: Retry-After %q, Content-Type %q", r.header.Get("Retry-After"), r.header.Get("Content-Type"))
		}
	})
}
