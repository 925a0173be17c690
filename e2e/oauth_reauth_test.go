package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/oauth"
)

// OpenID Connect Core 3.1.2.1's prompt=login and max_age at /oauth2/authorize, on every
// backend: a signed-in person whose session is too old for the request is sent to the sign-in
// page, signs in again and the request continues with the new session (the ID token's
// auth_time is the new sign-in); prompt=none answers login_required instead; malformed values
// are invalid_request; a client cannot skip the sign-in by writing Gatehouse's continuation
// marker into its own request. Over a cookie-jar HTTP client (TestOAuthReauthentication) and in
// headless Chromium (TestOAuthReauthenticationBrowser).

// reauthRequest is one authorization request of the tests: what the client keeps to redeem it.
type reauthRequest struct {
	url, state, verifier, nonce string
}

// newReauthRequest builds cfg's authorization URL (PKCE S256, a nonce) with extra parameters.
func newReauthRequest(cfg *oauth2.Config, extra ...string) reauthRequest {
	r := reauthRequest{state: "st-" + randomSuffix(), verifier: oauth2.GenerateVerifier(), nonce: randomSuffix() + randomSuffix()}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(r.verifier), oidc.Nonce(r.nonce)}
	for i := 0; i+1 < len(extra); i += 2 {
		opts = append(opts, oauth2.SetAuthURLParam(extra[i], extra[i+1]))
	}
	r.url = cfg.AuthCodeURL(r.state, opts...)
	return r
}

// reauthGet sends a GET with the person's browser (cookies, redirects not followed).
func reauthGet(t *testing.T, s *server, u *oauthUser, target string) response {
	t.Helper()
	if strings.HasPrefix(target, "/") {
		target = s.base + target
	}
	req, err := http.NewRequest("GET", target, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.send(u.browser, req)
}

// mustSignInPage checks that r sends the browser to the sign-in page (not to the consent page,
// not back to the client), that the page shows its form to the signed-in person, and returns
// the next= the form continues to.
func mustSignInPage(t *testing.T, s *server, u *oauthUser, r response) string {
	t.Helper()
	mustStatus(t, r, http.StatusSeeOther)
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "/login?next=") {
		t.Fatalf("redirected to %s, want the sign-in page", loc)
	}
	page := reauthGet(t, s, u, loc)
	if page.status != http.StatusOK || !contains(page.body, `action="/login"`) {
		t.Fatalf("the sign-in page answered %d %s (Location %q), want its form", page.status, page.body, page.header.Get("Location"))
	}
	lu, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	next := lu.Query().Get("next")
	if !strings.HasPrefix(next, "/oauth2/authorize?") {
		t.Fatalf("the sign-in page continues to %q, want the authorization request", next)
	}
	return next
}

// signInWithForm submits the sign-in form as the page would and returns where it leads.
func signInWithForm(t *testing.T, s *server, u *oauthUser, next string) string {
	t.Helper()
	form := url.Values{"username": {u.username}, "password": {goodPassword}, "next": {next}}
	req, _ := http.NewRequest("POST", s.base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r := s.send(u.browser, req)
	mustStatus(t, r, http.StatusSeeOther)
	return r.header.Get("Location")
}

// codeOf checks that r is the 303 back to the client with req's state, a code and iss, and
// returns the code.
func codeOf(t *testing.T, s *server, r response, req reauthRequest) string {
	t.Helper()
	q := redirectQuery(t, r) // endpointsRedirect is oauthTestRedirect
	if q.Get("state") != req.state || q.Get("code") == "" || q.Get("error") != "" || q.Get("iss") != s.base {
		t.Fatalf("back at the client with %v, want the state, a code and iss", q)
	}
	return q.Get("code")
}

// authTimeOf redeems code with x/oauth2, verifies the ID token with go-oidc (signature, issuer,
// audience, expiry, then the nonce) and returns its auth_time.
func authTimeOf(t *testing.T, ctx context.Context, cfg *oauth2.Config, v *oidc.IDTokenVerifier, code string, req reauthRequest) int64 {
	t.Helper()
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(req.verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != req.nonce {
		t.Fatalf("ID token nonce %q, want %q", idt.Nonce, req.nonce)
	}
	var c struct {
		AuthTime *int64 `json:"auth_time"`
	}
	if err := idt.Claims(&c); err != nil || c.AuthTime == nil {
		t.Fatalf("ID token without auth_time (%v)", err)
	}
	return *c.AuthTime
}

// currentSessionStart is when the browser's session (its cookie) started, from /v1/me/sessions.
func currentSessionStart(t *testing.T, s *server, u *oauthUser) time.Time {
	t.Helper()
	r := reauthGet(t, s, u, "/v1/me/sessions")
	mustStatus(t, r, http.StatusOK)
	data, _ := r.json(t)["data"].([]any)
	for _, d := range data {
		m, _ := d.(map[string]any)
		if m["current"] == true {
			at, err := time.Parse(time.RFC3339Nano, m["created_at"].(string))
			if err != nil {
				t.Fatal(err)
			}
			return at
		}
	}
	t.Fatalf("no current session in %s", r.body)
	return time.Time{}
}

// laterThan reports whether the whole-second authTime is after at.
func laterThan(authTime int64, at time.Time) bool {
	return time.Unix(authTime, 0).After(at)
}

func TestOAuthReauthentication(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := startWithIssuer(t, dbURL)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		owner, _ := s.register("reauth_owner", goodPassword, "")
		orgID := s.createOrg(owner, "Acme")
		client := s.createOAuthClient(owner, orgID, map[string]any{
			"name": "Reauth app", "redirect_uris": []string{oauthTestRedirect},
			"grant_types": []string{"authorization_code"}, "scopes": []string{"openid", "profile"},
		})
		cfg := &oauth2.Config{
			ClientID: client["client_id"].(string), ClientSecret: client["client_secret"].(string), RedirectURL: oauthTestRedirect,
			Endpoint: oauth2.Endpoint{AuthURL: s.base + "/oauth2/authorize", TokenURL: s.base + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader},
			Scopes:   []string{"openid", "profile"},
		}
		provider, err := oidc.NewProvider(ctx, s.base)
		if err != nil {
			t.Fatalf("discovery: %v", err)
		}
		verifier := provider.Verifier(&oidc.Config{ClientID: cfg.ClientID})

		// ann and bob consent once (remembered); carol never did.
		ann, bob, carol := s.signInBrowser("reauth_ann"), s.signInBrowser("reauth_bob"), s.signInBrowser("reauth_carol")
		s.authorize(t, ann, cfg)
		s.authorize(t, bob, cfg)
		annFirst, bobFirst := currentSessionStart(t, s, ann), currentSessionStart(t, s, bob)
		// The one real wait: the sessions are now more than a second old (max_age=1), and a
		// sign-in from now on falls in a later second than they started (auth_time is whole
		// seconds).
		time.Sleep(1100 * time.Millisecond)

		// reauthenticate runs a request that must ask for the sign-in, signs in, and checks that
		// the request then continues, with the new session, straight to a code.
		reauthenticate := func(t *testing.T, u *oauthUser, before time.Time, extra ...string) {
			t.Helper()
			req := newReauthRequest(cfg, extra...)
			next := mustSignInPage(t, s, u, reauthGet(t, s, u, req.url))
			signInAt := time.Now()
			if to := signInWithForm(t, s, u, next); to != next {
				t.Fatalf("the sign-in form led to %s, want %s", to, next)
			}
			code := codeOf(t, s, reauthGet(t, s, u, next), req) // not back to /login: no loop
			authTime := authTimeOf(t, ctx, cfg, verifier, code, req)
			if authTime < signInAt.Unix() || !laterThan(authTime, before) {
				t.Fatalf("auth_time %d, want at least the new sign-in's %d and after the first session's start %v",
					authTime, signInAt.Unix(), before)
			}
			if started := currentSessionStart(t, s, u); started.Before(signInAt) || started.Unix() != authTime {
				t.Fatalf("the browser's session started %v, want the new sign-in (auth_time %d)", started, authTime)
			}
		}

		t.Run("prompt=none with max_age exceeded: login_required", func(t *testing.T) {
			req := newReauthRequest(cfg, "prompt", "none", "max_age", "1")
			q := redirectQuery(t, reauthGet(t, s, bob, req.url))
			if q.Get("error") != "login_required" || q.Get("state") != req.state || q.Get("iss") != s.base || q.Get("code") != "" {
				t.Fatalf("back at the client with %v, want error=login_required with the state and iss", q)
			}
		})
		t.Run("prompt=login: the sign-in page, then a code with a fresh auth_time", func(t *testing.T) {
			reauthenticate(t, ann, annFirst, "prompt", "login")
		})
		t.Run("max_age=0 behaves like prompt=login", func(t *testing.T) {
			reauthenticate(t, ann, annFirst, "max_age", "0")
		})
		t.Run("max_age=3600 with a fresh session: straight back with a code", func(t *testing.T) {
			req := newReauthRequest(cfg, "max_age", "3600")
			code := codeOf(t, s, reauthGet(t, s, ann, req.url), req)
			if authTime := authTimeOf(t, ctx, cfg, verifier, code, req); !laterThan(authTime, annFirst) {
				t.Fatalf("auth_time %d is not the latest sign-in", authTime)
			}
		})
		t.Run("a session older than max_age is asked again", func(t *testing.T) {
			reauthenticate(t, bob, bobFirst, "max_age", "1")
		})
		t.Run("prompt=login without a remembered consent: sign-in, consent, code", func(t *testing.T) {
			before := currentSessionStart(t, s, carol)
			req := newReauthRequest(cfg, "prompt", "login")
			next := mustSignInPage(t, s, carol, reauthGet(t, s, carol, req.url))
			signInAt := time.Now()
			signInWithForm(t, s, carol, next)
			page := reauthGet(t, s, carol, next)
			if page.status != http.StatusOK || !contains(page.body, `id="consent-form"`) {
				t.Fatalf("after the sign-in: %d, want the consent page", page.status)
			}
			nq, _ := url.ParseQuery(strings.TrimPrefix(next, "/oauth2/authorize?"))
			nq.Set("action", "approve")
			post, _ := http.NewRequest("POST", s.base+"/oauth2/consent", strings.NewReader(nq.Encode()))
			post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			code := codeOf(t, s, s.send(carol.browser, post), req)
			if authTime := authTimeOf(t, ctx, cfg, verifier, code, req); authTime < signInAt.Unix() || !laterThan(authTime, before) {
				t.Fatalf("auth_time %d, want the new sign-in (%d)", authTime, signInAt.Unix())
			}
		})

		t.Run("request errors go back to the client", func(t *testing.T) {
			cases := []struct {
				name, param, value string
			}{
				{"prompt=none login", "prompt", "none login"},
				{"max_age=-1", "max_age", "-1"},
				{"max_age=abc", "max_age", "abc"},
				{"a malformed marker", oauth.AuthAfterParam, "yesterday"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					req := newReauthRequest(cfg, c.param, c.value)
					q := redirectQuery(t, reauthGet(t, s, ann, req.url))
					if q.Get("error") != "invalid_request" || q.Get("state") != req.state || q.Get("iss") != s.base || q.Get("code") != "" {
						t.Fatalf("back at the client with %v, want error=invalid_request with the state and iss", q)
					}
				})
			}
		})

		t.Run("the continuation marker cannot be forged", func(t *testing.T) {
			// A marker long before the session started: on its own it asks nothing more...
			session := currentSessionStart(t, s, ann)
			old := strconv.FormatInt(session.Add(-time.Hour).UnixMilli(), 10)
			req := newReauthRequest(cfg, oauth.AuthAfterParam, old)
			codeOf(t, s, reauthGet(t, s, ann, req.url), req)
			// ...and beside prompt=login or max_age=0 it does not stand for a sign-in.
			cases := []struct {
				name  string
				extra []string
			}{
				{"with prompt=login", []string{"prompt", "login", oauth.AuthAfterParam, old}},
				{"with prompt=login and a marker of now", []string{"prompt", "login", oauth.AuthAfterParam, strconv.FormatInt(time.Now().UnixMilli(), 10)}},
				{"with max_age=0", []string{"max_age", "0", oauth.AuthAfterParam, old}},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					req := newReauthRequest(cfg, c.extra...)
					next := mustSignInPage(t, s, ann, reauthGet(t, s, ann, req.url))
					if nq, _ := url.ParseQuery(strings.TrimPrefix(next, "/oauth2/authorize?")); nq.Get(oauth.AuthAfterParam) == old {
						t.Fatalf("the continuation kept the client's marker: %s", next)
					}
				})
			}
		})
	})
}

func TestOAuthReauthenticationBrowser(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		ctx := headlessChromium(t)
		s := startAtOwnURL(t, dbURL)
		base := s.base
		app := newRedirectTarget(t)
		tctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		owner, _ := s.register("reauth_owner", goodPassword, "")
		orgID := s.createOrg(owner, "Acme")
		client := s.createOAuthClient(owner, orgID, map[string]any{
			"name": "Reauth app", "redirect_uris": []string{app.callbackURL()},
			"grant_types": []string{"authorization_code"}, "scopes": []string{"openid", "profile"},
		})
		const username = "reauth_browser"
		s.register(username, browserPassword, "")
		cfg := &oauth2.Config{
			ClientID: client["client_id"].(string), ClientSecret: client["client_secret"].(string), RedirectURL: app.callbackURL(),
			Endpoint: oauth2.Endpoint{AuthURL: base + "/oauth2/authorize", TokenURL: base + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader},
			Scopes:   []string{"openid", "profile"},
		}
		provider, err := oidc.NewProvider(tctx, base)
		if err != nil {
			t.Fatalf("discovery: %v", err)
		}
		verifier := provider.Verifier(&oidc.Config{ClientID: cfg.ClientID})
		// land follows req to the application and returns the ID token's auth_time.
		land := func(t *testing.T, req reauthRequest, what string, actions ...chromedp.Action) int64 {
			t.Helper()
			q := landOnCallback(t, ctx, app, what, actions...)
			if q.Get("state") != req.state || q.Get("code") == "" || q.Get("iss") != base {
				t.Fatalf("%s: the application got %v, want the state, a code and iss", what, q)
			}
			return authTimeOf(t, tctx, cfg, verifier, q.Get("code"), req)
		}
		// signInPageShown opens req and checks that the sign-in page is shown.
		signInPageShown := func(t *testing.T, req reauthRequest) {
			t.Helper()
			var location string
			browse(t, ctx, "open the authorization URL signed in",
				chromedp.Navigate(req.url),
				chromedp.WaitVisible(`form[action="/login"]`, chromedp.ByQuery),
				chromedp.Location(&location),
			)
			if !strings.HasPrefix(location, base+"/login?next=%2Foauth2%2Fauthorize%3F") {
				t.Fatalf("the browser is at %s, want the sign-in page", location)
			}
		}

		// Sign in and consent once (remembered).
		first := newReauthRequest(cfg)
		browse(t, ctx, "sign in and reach the consent page",
			chromedp.Navigate(first.url),
			signInOnPage(username, browserPassword),
			chromedp.WaitVisible(`#consent-form`, chromedp.ByQuery),
		)
		firstAuthTime := land(t, first, "allow", chromedp.Click(`#approve`, chromedp.ByQuery))

		t.Run("max_age=3600 with a fresh session: straight back", func(t *testing.T) {
			req := newReauthRequest(cfg, "max_age", "3600")
			if got := land(t, req, "authorize with max_age=3600", chromedp.Navigate(req.url)); got != firstAuthTime {
				t.Fatalf("auth_time %d, want the first sign-in's %d", got, firstAuthTime)
			}
		})
		// The one real wait: a sign-in from now on falls in a later second than the first
		// (auth_time is whole seconds).
		time.Sleep(1100 * time.Millisecond)

		cases := []struct {
			name  string
			extra []string
		}{
			{"prompt=login", []string{"prompt", "login"}},
			{"max_age=0", []string{"max_age", "0"}},
			{"prompt=login with a forged marker", []string{"prompt", "login", oauth.AuthAfterParam, strconv.FormatInt(time.Now().Add(-time.Hour).UnixMilli(), 10)}},
		}
		for _, c := range cases {
			t.Run(c.name+": sign in again, then back with a fresh auth_time", func(t *testing.T) {
				req := newReauthRequest(cfg, c.extra...)
				signInPageShown(t, req)
				signInAt := time.Now()
				authTime := land(t, req, "sign in again", signInOnPage(username, browserPassword))
				if authTime < signInAt.Unix() || authTime <= firstAuthTime {
					t.Fatalf("auth_time %d, want at least the new sign-in's %d and after the first's %d", authTime, signInAt.Unix(), firstAuthTime)
				}
			})
		}
	})
}
