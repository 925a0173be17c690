package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/config"
)

// The OAuth pages in headless Chromium, as a person meets them: the authorization code flow of
// a third-party application (login page, consent page, Allow, back to the application with a
// code that golang.org/x/oauth2 exchanges for a JWT access token; Deny; a remembered consent)
// and the /device page of the device flow (sign in, enter the user code, approve, while the
// "terminal" polls /oauth2/token). SQLite only: the pages are the same on both backends, and the
// protocol runs on both in oauth_realclients_test.go. Skips without Chromium unless
// GATEHOUSE_TEST_BROWSER=1.

// startAtOwnURL starts a server whose public URL (the issuer, verification_uri) is the address
// it listens on, http://127.0.0.1:PORT. The port is found by listening on port 0 and closing.
func startAtOwnURL(t *testing.T, dbURL string) *server {
	t.Helper()
	return startAtOwnURLWith(t, dbURL, nil)
}

// startAtOwnURLWith is startAtOwnURL with configure applied first.
func startAtOwnURLWith(t *testing.T, dbURL string, configure func(*config.Config)) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := start(t, dbURL, func(c *config.Config) {
		if configure != nil {
			configure(c)
		}
		c.Addr = addr
		c.PublicURL = &url.URL{Scheme: "http", Host: addr}
	})
	if s.base != "http://"+addr {
		t.Fatalf("server at %s, want http://%s", s.base, addr)
	}
	return s
}

// redirectTarget is the third-party application's redirect URI: a local server that records
// every query it receives and answers with a page the browser test can wait for.
type redirectTarget struct {
	*httptest.Server
	mu      sync.Mutex
	queries []url.Values
}

func newRedirectTarget(t *testing.T) *redirectTarget {
	t.Helper()
	rt := &redirectTarget{}
	rt.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		rt.mu.Lock()
		rt.queries = append(rt.queries, r.URL.Query())
		rt.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>Client</title><p id="callback-done">received</p>`)
	}))
	t.Cleanup(rt.Close)
	return rt
}

func (rt *redirectTarget) callbackURL() string { return rt.URL + "/callback" }

// last returns the query of the latest request, and how many arrived.
func (rt *redirectTarget) last() (url.Values, int) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.queries) == 0 {
		return nil, 0
	}
	return rt.queries[len(rt.queries)-1], len(rt.queries)
}

// landOnCallback waits for the browser to arrive at the application and returns the query it
// brought, checking that the application received the same one.
func landOnCallback(t *testing.T, ctx context.Context, rt *redirectTarget, what string, actions ...chromedp.Action) url.Values {
	t.Helper()
	var location string
	actions = append(actions, chromedp.WaitVisible(`#callback-done`, chromedp.ByQuery), chromedp.Location(&location))
	browse(t, ctx, what, actions...)
	u, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != rt.callbackURL() {
		t.Fatalf("%s: the browser is at %s, want the application's %s", what, location, rt.callbackURL())
	}
	received, _ := rt.last()
	if received.Encode() != u.Query().Encode() {
		t.Fatalf("%s: the application received %v, the browser shows %v", what, received, u.Query())
	}
	return u.Query()
}

// signInOnPage fills and submits the sign-in form the browser shows.
func signInOnPage(username, password string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.WaitVisible(`form[action="/login"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#username`, username, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, password, chromedp.ByQuery),
		chromedp.Click(`form[action="/login"] button[type="submit"]`, chromedp.ByQuery),
	}
}

// jwtPart decodes one part (0 header, 1 claims) of a compact JWT.
func jwtPart(t *testing.T, raw string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("the access token is not a compact JWT (%d parts)", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatalf("JWT part %d: %v", i, err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("JWT part %d: %v", i, err)
	}
	return v
}

func TestOAuthBrowser(t *testing.T) {
	ctx := headlessChromium(t)
	s := startAtOwnURL(t, backends()[0].dbURL(t)) // SQLite
	base := s.base
	app := newRedirectTarget(t)
	tctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// An organization registers the application; another person will use it.
	owner, _ := s.register("oauth_owner", goodPassword, "")
	orgID := s.createOrg(owner, "Acme")
	client := s.createOAuthClient(owner, orgID, map[string]any{
		"name": "Acme CRM", "redirect_uris": []string{app.callbackURL()},
		"grant_types": []string{"authorization_code", "refresh_token"},
		"scopes":      []string{"openid", "profile", "email", "offline_access"},
	})
	clientID, clientSecret := client["client_id"].(string), client["client_secret"].(string)
	const username = "oauth_ann"
	_, userID := s.register(username, browserPassword, "ann@example.com")

	cfg := &oauth2.Config{
		ClientID: clientID, ClientSecret: clientSecret, RedirectURL: app.callbackURL(),
		Endpoint: oauth2.Endpoint{AuthURL: base + "/oauth2/authorize", TokenURL: base + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   []string{"openid", "profile", "offline_access"},
	}
	authURL := func(state, verifier string, opts ...oauth2.AuthCodeOption) string {
		return cfg.AuthCodeURL(state, append(opts, oauth2.S256ChallengeOption(verifier))...)
	}

	t.Run("authorization code: login, consent, allow, exchange", func(t *testing.T) {
		verifier, state := oauth2.GenerateVerifier(), "st-"+randomSuffix()
		var location string
		browse(t, ctx, "open the application's authorization URL",
			chromedp.Navigate(authURL(state, verifier)),
			chromedp.WaitVisible(`form[action="/login"]`, chromedp.ByQuery),
			chromedp.Location(&location),
		)
		if !strings.HasPrefix(location, base+"/login?next=%2Foauth2%2Fauthorize%3F") {
			t.Fatalf("not signed in: the browser is at %s, want /login?next=<the authorization request>", location)
		}
		var clientName, scopes, redirectHost string
		var remember bool
		browse(t, ctx, "sign in and reach the consent page",
			signInOnPage(username, browserPassword),
			chromedp.WaitVisible(`#consent-form`, chromedp.ByQuery),
			chromedp.Text(`#client-name`, &clientName, chromedp.ByQuery),
			chromedp.Text(`#consent-scopes`, &scopes, chromedp.ByQuery),
			chromedp.Text(`#redirect-host`, &redirectHost, chromedp.ByQuery),
			chromedp.Evaluate(`document.getElementById("remember").checked`, &remember),
		)
		if clientName != "Acme CRM" || !strings.Contains(scopes, "profile") || !strings.Contains(scopes, "offline_access") ||
			strings.Contains(scopes, "email") || redirectHost != strings.TrimPrefix(app.URL, "http://") || !remember {
			t.Fatalf("consent page: client %q, scopes %q, redirect host %q, remember %v", clientName, scopes, redirectHost, remember)
		}
		saveScreenshot(t, ctx, "oauth-consent")

		q := landOnCallback(t, ctx, app, "allow", chromedp.Click(`#approve`, chromedp.ByQuery))
		if q.Get("state") != state || q.Get("code") == "" || q.Get("error") != "" || q.Get("iss") != base {
			t.Fatalf("back at the application with %v; want the state, a code and iss=%s", q, base)
		}

		tok, err := cfg.Exchange(tctx, q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		header, claims := jwtPart(t, tok.AccessToken, 0), jwtPart(t, tok.AccessToken, 1)
		if header["typ"] != "at+jwt" || header["alg"] != "ES256" || header["kid"] == nil {
			t.Fatalf("access token header %v, want typ at+jwt, ES256 and a kid", header)
		}
		if claims["sub"] != userID || claims["iss"] != base || claims["client_id"] != clientID {
			t.Fatalf("access token claims %v, want sub %s, iss %s, client_id %s", claims, userID, base, clientID)
		}
		if _, err := oidc.NewRemoteKeySet(tctx, base+"/.well-known/jwks.json").VerifySignature(tctx, tok.AccessToken); err != nil {
			t.Fatalf("the access token's signature does not verify with the published JWKS: %v", err)
		}
		if tok.RefreshToken == "" || tok.Extra("id_token") == nil {
			t.Errorf("no refresh token or ID token with offline_access and openid")
		}
		info := s.do("GET", "/oauth2/userinfo", tok.AccessToken, nil)
		mustStatus(t, info, http.StatusOK)
		if v := info.json(t); v["sub"] != userID || v["preferred_username"] != username {
			t.Fatalf("userinfo %v", v)
		}
		// The code works once.
		if _, err := cfg.Exchange(tctx, q.Get("code"), oauth2.VerifierOption(verifier)); err == nil {
			t.Fatal("the authorization code was exchanged twice")
		}
	})

	t.Run("consent remembered: straight back with a code", func(t *testing.T) {
		state := "st-" + randomSuffix()
		q := landOnCallback(t, ctx, app, "authorize again", chromedp.Navigate(authURL(state, oauth2.GenerateVerifier())))
		if q.Get("state") != state || q.Get("code") == "" {
			t.Fatalf("back at the application with %v, want a code without the consent page", q)
		}
	})

	t.Run("deny gives access_denied", func(t *testing.T) {
		verifier, state := oauth2.GenerateVerifier(), "st-"+randomSuffix()
		browse(t, ctx, "ask for consent again",
			chromedp.Navigate(authURL(state, verifier, oauth2.SetAuthURLParam("prompt", "consent"))),
			chromedp.WaitVisible(`#consent-form`, chromedp.ByQuery),
		)
		q := landOnCallback(t, ctx, app, "deny", chromedp.Click(`#deny`, chromedp.ByQuery))
		if q.Get("error") != "access_denied" || q.Get("state") != state || q.Get("code") != "" || q.Get("iss") != base {
			t.Fatalf("after Deny the application got %v, want error=access_denied with the state and iss", q)
		}
	})

	t.Run("signed out with a remembered consent: the sign-in form leads back to the application", func(t *testing.T) {
		// The sign-in form's answer redirects, through /oauth2/authorize, to another origin:
		// the page's Content-Security-Policy form-action must allow it.
		signOut(t, ctx, base)
		state := "st-" + randomSuffix()
		browse(t, ctx, "open the authorization URL signed out",
			chromedp.Navigate(authURL(state, oauth2.GenerateVerifier())),
			chromedp.WaitVisible(`form[action="/login"]`, chromedp.ByQuery),
		)
		q := landOnCallback(t, ctx, app, "sign in", signInOnPage(username, browserPassword))
		if q.Get("state") != state || q.Get("code") == "" {
			t.Fatalf("after signing in the application got %v, want a code", q)
		}
	})

	t.Run("an unknown redirect URI is an error page, never a redirect", func(t *testing.T) {
		_, before := app.last()
		evil := strings.Replace(authURL("x", oauth2.GenerateVerifier()), url.QueryEscape(app.callbackURL()), url.QueryEscape(app.URL+"/other"), 1)
		var alert, location string
		browse(t, ctx, "open a request with a foreign redirect_uri",
			chromedp.Navigate(evil),
			chromedp.WaitVisible(`#oauth-error`, chromedp.ByQuery),
			chromedp.Text(`#oauth-error`, &alert, chromedp.ByQuery),
			chromedp.Location(&location),
		)
		if _, after := app.last(); after != before || !strings.HasPrefix(location, base+"/oauth2/authorize?") || !strings.Contains(alert, "redirect_uri") {
			t.Fatalf("at %s with %q; the application was called %d times, want %d", location, alert, after, before)
		}
	})

	t.Run("device flow on /device", func(t *testing.T) {
		signOut(t, ctx, base)
		start := func() map[string]any {
			t.Helper()
			r := postForm(t, s, "/oauth2/device_authorization", url.Values{"client_id": {"gatehouse-cli"}, "scope": {"openid profile offline_access"}})
			mustStatus(t, r, http.StatusOK)
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("device authorization Cache-Control %q", r.header.Get("Cache-Control"))
			}
			return r.json(t)
		}
		da := start()
		userCode, deviceCode := da["user_code"].(string), da["device_code"].(string)
		if da["verification_uri"] != base+"/device" || da["verification_uri_complete"] != base+"/device?user_code="+userCode {
			t.Fatalf("verification URIs %v / %v", da["verification_uri"], da["verification_uri_complete"])
		}
		interval := time.Duration(da["interval"].(float64)) * time.Second
		poll := func(code string) response {
			t.Helper()
			return postForm(t, s, "/oauth2/token", url.Values{
				"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {code}, "client_id": {"gatehouse-cli"},
			})
		}
		if r := poll(deviceCode); r.status != http.StatusBadRequest || r.errorCode(t) != "authorization_pending" {
			t.Fatalf("poll before approval: %d %s", r.status, r.body)
		}
		pollStarted := time.Now()

		var alert, location string
		browse(t, ctx, "open /device signed out and sign in",
			chromedp.Navigate(base+"/device"),
			chromedp.WaitVisible(`form[action="/login"]`, chromedp.ByQuery),
			chromedp.Location(&location),
			signInOnPage(username, browserPassword),
			chromedp.WaitVisible(`#device-code-form`, chromedp.ByQuery),
		)
		if location != base+"/login?next=%2Fdevice" {
			t.Fatalf("/device signed out went to %s", location)
		}
		browse(t, ctx, "enter a wrong code",
			chromedp.SendKeys(`#user_code`, "ZZZZ-ZZZZ", chromedp.ByQuery),
			chromedp.Click(`#device-code-form button[type="submit"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`[role="alert"]`, chromedp.ByQuery),
			chromedp.Text(`[role="alert"]`, &alert, chromedp.ByQuery),
		)
		if !strings.Contains(alert, "not valid") {
			t.Fatalf("a wrong code shows %q", alert)
		}
		var clientName, shownCode string
		browse(t, ctx, "enter the user code as typed by a person",
			chromedp.WaitVisible(`#user_code`, chromedp.ByQuery),
			chromedp.Evaluate(`document.getElementById("user_code").value = ""`, nil),
			chromedp.SendKeys(`#user_code`, strings.ToLower(strings.Replace(userCode, "-", "", 1)), chromedp.ByQuery),
			chromedp.Click(`#device-code-form button[type="submit"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`#device-decision`, chromedp.ByQuery),
			chromedp.Text(`#client-name`, &clientName, chromedp.ByQuery),
			chromedp.Text(`#user-code`, &shownCode, chromedp.ByQuery),
		)
		if shownCode != userCode || clientName == "" {
			t.Fatalf("confirm page shows client %q and code %q, want the code %s", clientName, shownCode, userCode)
		}
		saveScreenshot(t, ctx, "oauth-device-confirm")
		var result string
		browse(t, ctx, "approve",
			chromedp.Click(`#approve`, chromedp.ByQuery),
			chromedp.WaitVisible(`#device-result`, chromedp.ByQuery),
			chromedp.Text(`#device-result`, &result, chromedp.ByQuery),
		)
		if !strings.Contains(result, "return to your terminal") {
			t.Fatalf("result page says %q", result)
		}

		// The terminal polls at the interval it was given until the tokens arrive.
		var tokens map[string]any
		for attempt := 0; tokens == nil; attempt++ {
			if attempt == 5 {
				t.Fatal("no tokens after 5 polls")
			}
			if wait := interval - time.Since(pollStarted); wait > 0 {
				time.Sleep(wait)
			}
			r := poll(deviceCode)
			pollStarted = time.Now()
			switch {
			case r.status == http.StatusOK:
				tokens = r.json(t)
			case r.status == http.StatusBadRequest && r.errorCode(t) == "slow_down":
				interval += 5 * time.Second
			default:
				t.Fatalf("poll after approval: %d %s", r.status, r.body)
			}
		}
		at, _ := tokens["access_token"].(string)
		if claims := jwtPart(t, at, 1); claims["sub"] != userID || claims["client_id"] != "gatehouse-cli" {
			t.Fatalf("device access token claims %v", claims)
		}
		if tokens["refresh_token"] == nil {
			t.Error("no refresh token with offline_access")
		}
		mustStatus(t, s.do("GET", "/oauth2/userinfo", at, nil), http.StatusOK)

		// A second request, denied from the link of verification_uri_complete.
		da2 := start()
		browse(t, ctx, "deny from verification_uri_complete",
			chromedp.Navigate(da2["verification_uri_complete"].(string)),
			chromedp.WaitVisible(`#device-decision`, chromedp.ByQuery),
			chromedp.Click(`#deny`, chromedp.ByQuery),
			chromedp.WaitVisible(`#device-result[data-result="denied"]`, chromedp.ByQuery),
		)
		if r := poll(da2["device_code"].(string)); r.status != http.StatusBadRequest || r.errorCode(t) != "access_denied" {
			t.Fatalf("poll after deny: %d %s", r.status, r.body)
		}
	})
}

// postForm posts an application/x-www-form-urlencoded body, as OAuth clients do.
func postForm(t *testing.T, s *server, path string, form url.Values) response {
	t.Helper()
	req, err := http.NewRequest("POST", s.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.send(http.DefaultClient, req)
}
