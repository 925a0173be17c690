package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-auth/gatehouse/token"
)

// patPattern is the format of a personal access token of the default brand, whole.
var patPattern = regexp.MustCompile(`^` + token.Pattern("gth", token.KindPAT) + `$`)

// TestAccountBrowser drives /account in headless Chromium: the profile tab, the API Tokens tab
// (create "ci" for 90 days, the token shown once and copied with the Copy button, gone from the
// page after a reload, used against /v1/me, revoked) and the sessions tab (a second session from
// a Go client revoked, this device marked, then signing this device out). SQLite only: the pages
// are the same on both backends, which TestAccountPagesOverHTTP covers.
func TestAccountBrowser(t *testing.T) {
	ctx := headlessChromium(t)
	s := start(t, backends()[0].dbURL(t), nil) // SQLite
	base := s.base
	const username = "account_ann"

	browse(t, ctx, "register",
		chromedp.Navigate(base+"/register"),
		chromedp.WaitVisible(`form[action="/register"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#username`, username, chromedp.ByQuery),
		chromedp.SendKeys(`#email`, "ann@example.com", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, browserPassword, chromedp.ByQuery),
		chromedp.Click(`button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#signed-in-user`, chromedp.ByQuery),
	)

	// Profile tab: the facts, and a saved display name with its notice.
	var shownUser, shownEmail, shownName, notice, location string
	browse(t, ctx, "profile tab",
		chromedp.Navigate(base+"/account"),
		chromedp.WaitVisible(`#tab-profile[aria-current="page"]`, chromedp.ByQuery),
		chromedp.Text(`#profile-username`, &shownUser, chromedp.ByQuery),
		chromedp.Text(`#profile-email`, &shownEmail, chromedp.ByQuery),
	)
	if shownUser != username || !strings.Contains(shownEmail, "ann@example.com") || !strings.Contains(shownEmail, "not verified") {
		t.Fatalf("profile shows username %q, email %q", shownUser, shownEmail)
	}
	browse(t, ctx, "save the display name",
		chromedp.SendKeys(`#display_name`, "Ann Browser", chromedp.ByQuery),
		chromedp.Click(`form[action="/account/profile"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#notice`, chromedp.ByQuery),
		chromedp.Text(`#notice`, &notice, chromedp.ByQuery),
		chromedp.Text(`#profile-display-name`, &shownName, chromedp.ByQuery),
		chromedp.Location(&location),
	)
	if shownName != "Ann Browser" || !strings.Contains(notice, "saved") || location != base+"/account?saved=1" {
		t.Fatalf("after saving: at %s, display name %q, notice %q", location, shownName, notice)
	}
	saveScreenshot(t, ctx, "account-profile")

	// API Tokens tab: create "ci" for 90 days.
	browse(t, ctx, "switch to the API Tokens tab",
		chromedp.Click(`#tab-tokens`, chromedp.ByQuery),
		chromedp.WaitVisible(`#tab-tokens[aria-current="page"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#no-tokens`, chromedp.ByQuery),
	)
	var tok, readonly string
	var hasReadonly bool
	browse(t, ctx, "create a token",
		chromedp.SendKeys(`#name`, "ci", chromedp.ByQuery),
		chromedp.SetValue(`#expires_in`, "90d", chromedp.ByQuery),
		chromedp.Click(`#create-token button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#new-token`, chromedp.ByQuery),
		chromedp.Value(`#new-token`, &tok, chromedp.ByQuery),
		chromedp.AttributeValue(`#new-token`, "readonly", &readonly, &hasReadonly, chromedp.ByQuery),
		chromedp.Location(&location),
	)
	if !patPattern.MatchString(tok) {
		t.Fatalf("the shown token %.12q… is not a gth_pat_ token", tok)
	}
	if _, err := token.Parse(tok); err != nil {
		t.Fatalf("the shown token does not parse (checksum): %v", err)
	}
	if !hasReadonly || location != base+"/account/tokens" {
		t.Fatalf("token field readonly %v; page at %s, want %s/account/tokens (no redirect, nothing in the URL)", hasReadonly, location, base)
	}

	// Copy: with the clipboard permission granted, the button puts the token on the clipboard.
	browse(t, ctx, "grant the clipboard permission", chromedp.ActionFunc(func(ctx context.Context) error {
		return cdpbrowser.GrantPermissions([]cdpbrowser.PermissionType{
			cdpbrowser.PermissionTypeClipboardReadWrite, cdpbrowser.PermissionTypeClipboardSanitizedWrite,
		}).WithOrigin(base).Do(ctx)
	}))
	var copyStatus, clipboard string
	browse(t, ctx, "copy the token",
		chromedp.WaitVisible(`#copy-token`, chromedp.ByQuery), // shown by account.js
		chromedp.Click(`#copy-token`, chromedp.ByQuery),
		chromedp.Poll(`document.getElementById("copy-status").textContent !== ""`, nil),
		chromedp.Text(`#copy-status`, &copyStatus, chromedp.ByQuery),
		chromedp.Evaluate(`navigator.clipboard.readText()`, &clipboard, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
			return p.WithAwaitPromise(true)
		}),
	)
	if !strings.Contains(copyStatus, "Copied") || clipboard != tok {
		t.Fatalf("after Copy: status %q, the clipboard holds the token: %v", copyStatus, clipboard == tok)
	}
	saveScreenshot(t, ctx, "account-new-token")

	// Reload the tab: the token is nowhere in the page, the list shows its name and prefix.
	var html, listedName, listedPrefix, tokenID string
	var ok bool
	browse(t, ctx, "reload the tokens tab",
		chromedp.Navigate(base+"/account/tokens"),
		chromedp.WaitVisible(`#token-list`, chromedp.ByQuery),
		chromedp.OuterHTML(`html`, &html, chromedp.ByQuery),
		chromedp.Text(`#token-list .item-name`, &listedName, chromedp.ByQuery),
		chromedp.Text(`#token-list .prefix`, &listedPrefix, chromedp.ByQuery),
		chromedp.AttributeValue(`#token-list li.item`, "data-id", &tokenID, &ok, chromedp.ByQuery),
	)
	if strings.Contains(html, tok) || strings.Contains(html, `id="new-token"`) {
		t.Fatal("the token is still in the page after a reload")
	}
	if listedName != "ci" || listedPrefix != token.DisplayPrefix(tok) || !ok {
		t.Fatalf("list shows %q %q (id %q), want ci %q", listedName, listedPrefix, tokenID, token.DisplayPrefix(tok))
	}
	mustStatus(t, s.do("GET", "/v1/me", tok, nil), http.StatusOK)
	saveScreenshot(t, ctx, "account-tokens")

	// Revoke: gone from the list, and refused on its next use.
	browse(t, ctx, "revoke the token",
		chromedp.Click(fmt.Sprintf(`#token-list li[data-id=%q] button`, tokenID), chromedp.ByQuery),
		chromedp.WaitVisible(`#no-tokens`, chromedp.ByQuery),
		chromedp.Text(`#notice`, &notice, chromedp.ByQuery),
		chromedp.OuterHTML(`html`, &html, chromedp.ByQuery),
	)
	if !strings.Contains(notice, "revoked") || strings.Contains(html, tokenID) {
		t.Fatalf("after revoking: notice %q, the list still names the token: %v", notice, strings.Contains(html, tokenID))
	}
	mustStatus(t, s.do("GET", "/v1/me", tok, nil), http.StatusUnauthorized)

	// Sessions tab: a second session from a Go client, revoked from the browser.
	r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": username, "password": browserPassword})
	mustStatus(t, r, http.StatusOK)
	other, _ := r.json(t)["token"].(string)
	mustStatus(t, s.do("GET", "/v1/me", other, nil), http.StatusOK)
	var count int
	var thisDevice, otherID string
	browse(t, ctx, "open the sessions tab",
		chromedp.Click(`#tab-sessions`, chromedp.ByQuery),
		chromedp.WaitVisible(`#tab-sessions[aria-current="page"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("#session-list li.item").length`, &count),
		chromedp.Text(`#session-list li.current .this-device`, &thisDevice, chromedp.ByQuery),
		chromedp.AttributeValue(`#session-list li.item:not(.current)`, "data-id", &otherID, &ok, chromedp.ByQuery),
	)
	if count != 2 || thisDevice != "this device" || !ok {
		t.Fatalf("sessions tab lists %d sessions (want 2), this-device marker %q", count, thisDevice)
	}
	saveScreenshot(t, ctx, "account-sessions")
	browse(t, ctx, "revoke the other session",
		chromedp.Click(fmt.Sprintf(`#session-list li[data-id=%q] button`, otherID), chromedp.ByQuery),
		chromedp.WaitVisible(`#notice`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("#session-list li.item").length`, &count),
		chromedp.Text(`#session-list li.current .this-device`, &thisDevice, chromedp.ByQuery),
	)
	if count != 1 || thisDevice != "this device" {
		t.Fatalf("after revoking the other session: %d listed, marker %q", count, thisDevice)
	}
	mustStatus(t, s.do("GET", "/v1/me", other, nil), http.StatusUnauthorized)

	// Revoking this device's own session signs the browser out.
	session := mustSessionCookie(t, browserCookies(t, ctx, base))
	browse(t, ctx, "revoke this device's session",
		chromedp.Click(`#session-list li.current button`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[action="/login"]`, chromedp.ByQuery),
		chromedp.Location(&location),
	)
	if location != base+"/login" {
		t.Fatalf("after revoking this session at %s, want %s/login", location, base)
	}
	if _, ok := browserCookies(t, ctx, base)[session.Name]; ok {
		t.Error("the session cookie survived revoking this session")
	}
	mustStatus(t, s.do("GET", "/v1/me", session.Value, nil), http.StatusUnauthorized)
}

// TestAccountPagesOverHTTP covers /account with a plain HTTP client on every backend: the
// redirects, statuses and error texts, the token only in the creation's 200 body, the limit,
// and cross-site refusal that creates nothing.
func TestAccountPagesOverHTTP(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, in := startWithMail(t, dbURL, nil)
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
		countPATs := func(session string) int {
			t.Helper()
			r := s.do("GET", "/v1/auth/tokens", session, nil)
			mustStatus(t, r, http.StatusOK)
			data, _ := r.json(t)["data"].([]any)
			return len(data)
		}

		// Signed out: every tab sends to /login and back.
		r := get("/account/tokens")
		mustStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/login?next=%2Faccount%2Ftokens" {
			t.Fatalf("signed-out tokens tab went to %q", loc)
		}

		r = submit("/register", url.Values{"username": {"acct_http"}, "password": {browserPassword}, "next": {"/account"}})
		mustStatus(t, r, http.StatusSeeOther)
		var session string
		for _, ck := range r.header.Values("Set-Cookie") {
			if v, ok := strings.CutPrefix(ck, "gatehouse_session="); ok {
				session, _, _ = strings.Cut(v, ";")
			}
		}
		if session == "" {
			t.Fatal("registration set no session cookie")
		}

		// Profile: saved with a 303 and a notice; a bad email is a 400 with the value kept.
		r = get("/account")
		mustStatus(t, r, http.StatusOK)
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("Cache-Control %q, want no-store", cc)
		}
		mustContain(r, `aria-current="page">Profile`, "acct_http")
		r = submit("/account/profile", url.Values{"display_name": {"Acct"}})
		mustStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/account?saved=1" {
			t.Fatalf("profile saved went to %q", loc)
		}
		mustContain(get("/account?saved=1"), "Your profile was saved.", `value="Acct"`)
		// A new address waits for the code mailed to it: the page says so and shows it pending.
		r = submit("/account/profile", url.Values{"display_name": {"Acct"}, "email": {"acct@example.com"}})
		mustStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/account?email=pending" {
			t.Fatalf("email change went to %q", loc)
		}
		page := get("/account?email=pending")
		mustContain(page, "type the code we mailed to the new address", `id="profile-pending-email">acct@example.com`, `href="/verify-email"`)
		if !regexp.MustCompile(`id="profile-email"><span class="muted">none`).Match(page.body) {
			t.Fatalf("the account shows an address before its code:\n%s", page.body)
		}
		mustContain(get("/verify-email"), `id="pending-email">acct@example.com`)
		r = submit("/verify-email", url.Values{"code": {in.code("acct@example.com")}})
		mustStatus(t, r, http.StatusOK)
		mustContain(get("/account"), "acct@example.com", "verified")
		r = submit("/account/profile", url.Values{"display_name": {"Acct"}, "email": {"not an email"}})
		mustStatus(t, r, http.StatusBadRequest)
		mustContain(r, `role="alert"`, `value="not an email"`)

		// A cross-site creation is refused and creates nothing.
		r = submit("/account/tokens", url.Values{"name": {"evil"}, "expires_in": {"never"}}, "Sec-Fetch-Site", "cross-site")
		mustStatus(t, r, http.StatusForbidden)
		if n := countPATs(session); n != 0 {
			t.Fatalf("a cross-site post created %d tokens", n)
		}

		// Creation answers 200 with the token (never a redirect); the list never shows it again.
		r = submit("/account/tokens", url.Values{"name": {"ci"}, "expires_in": {"90d"}, "scopes": {"calls:read", "agents:write"}})
		mustStatus(t, r, http.StatusOK)
		tok := regexp.MustCompile(token.Pattern("gth", token.KindPAT)).FindString(string(r.body))
		if tok == "" || r.header.Get("Location") != "" || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("creation: token found %v, Location %q, Cache-Control %q", tok != "", r.header.Get("Location"), r.header.Get("Cache-Control"))
		}
		mustContain(r, "will not be shown again", "<code>calls:read</code>, <code>agents:write</code>")
		page = get("/account/tokens")
		mustStatus(t, page, http.StatusOK)
		if contains(page.body, tok) {
			t.Fatal("the token is in the tokens tab after its creation")
		}
		mustContain(page, ">ci<", token.DisplayPrefix(tok))
		mustStatus(t, s.do("GET", "/v1/me", tok, nil), http.StatusOK)

		// Bad input: 400 in role="alert", the name kept; an unknown scope too.
		r = submit("/account/tokens", url.Values{"name": {"  "}, "expires_in": {"90d"}})
		mustStatus(t, r, http.StatusBadRequest)
		mustContain(r, `role="alert"`, "name is required.")
		r = submit("/account/tokens", url.Values{"name": {"x"}, "expires_in": {"5y"}})
		mustStatus(t, r, http.StatusBadRequest)
		mustContain(r, `role="alert"`, `value="x"`)
		r = submit("/account/tokens", url.Values{"name": {"x"}, "expires_in": {"30d"}, "scopes": {"billing:read"}})
		mustStatus(t, r, http.StatusBadRequest)
		mustContain(r, `role="alert"`, "unknown resource")

		// The 11th active token: 409 with the limit's message.
		for i := 2; i <= 10; i++ {
			mustStatus(t, submit("/account/tokens", url.Values{"name": {fmt.Sprintf("t%d", i)}, "expires_in": {"30d"}}), http.StatusOK)
		}
		r = submit("/account/tokens", url.Values{"name": {"eleventh"}, "expires_in": {"30d"}})
		mustStatus(t, r, http.StatusConflict)
		mustContain(r, `role="alert"`, "You already have 10 active", `value="eleventh"`)
		if n := countPATs(session); n != 10 {
			t.Fatalf("%d tokens after the refused 11th, want 10", n)
		}

		// Revoke: 303 back; the token fails at once; revoking it again is a 404 on the tab.
		id := patID(t, s, session, "ci")
		r = submit("/account/tokens/"+id+"/revoke", nil)
		mustStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/account/tokens?revoked=1" {
			t.Fatalf("revoke went to %q", loc)
		}
		mustStatus(t, s.do("GET", "/v1/me", tok, nil), http.StatusUnauthorized)
		r = submit("/account/tokens/"+id+"/revoke", nil)
		mustStatus(t, r, http.StatusNotFound)
		mustContain(r, `role="alert"`)

		// Sessions: another is revoked with a 303 back; an unknown one is a 404; this one signs out.
		r = s.do("POST", "/v1/auth/login", "", map[string]string{"username": "acct_http", "password": browserPassword})
		mustStatus(t, r, http.StatusOK)
		other, _ := r.json(t)["token"].(string)
		page = get("/account/sessions")
		mustContain(page, "this device")
		ids := regexp.MustCompile(`action="/account/sessions/([^/"]+)/revoke"`).FindAllStringSubmatch(string(page.body), -1)
		if len(ids) != 2 {
			t.Fatalf("sessions tab lists %d sessions, want 2", len(ids))
		}
		current := currentSessionID(t, s, session)
		otherID := ids[0][1]
		if otherID == current {
			otherID = ids[1][1]
		}
		r = submit("/account/sessions/"+otherID+"/revoke", nil)
		mustStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/account/sessions?revoked=1" {
			t.Fatalf("revoking another session went to %q", loc)
		}
		mustStatus(t, s.do("GET", "/v1/me", other, nil), http.StatusUnauthorized)
		mustStatus(t, submit("/account/sessions/ses_nope/revoke", nil), http.StatusNotFound)
		r = submit("/account/sessions/"+current+"/revoke", nil)
		mustStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/login" {
			t.Fatalf("revoking this session went to %q", loc)
		}
		mustStatus(t, s.do("GET", "/v1/me", session, nil), http.StatusUnauthorized)
		mustStatus(t, get("/account"), http.StatusSeeOther)
	})
}

// patID returns the ID of the session's active token named name.
func patID(t *testing.T, s *server, session, name string) string {
	t.Helper()
	r := s.do("GET", "/v1/auth/tokens", session, nil)
	mustStatus(t, r, http.StatusOK)
	data, _ := r.json(t)["data"].([]any)
	for _, x := range data {
		m, _ := x.(map[string]any)
		if m["name"] == name {
			return m["id"].(string)
		}
	}
	t.Fatalf("no active token named %q", name)
	return ""
}

// currentSessionID returns the ID of the session the token belongs to.
func currentSessionID(t *testing.T, s *server, session string) string {
	t.Helper()
	r := s.do("GET", "/v1/me/sessions", session, nil)
	mustStatus(t, r, http.StatusOK)
	data, _ := r.json(t)["data"].([]any)
	for _, x := range data {
		m, _ := x.(map[string]any)
		if m["current"] == true {
			return m["id"].(string)
		}
	}
	t.Fatal("no current session listed")
	return ""
}
