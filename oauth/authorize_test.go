package oauth

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
)

func TestMetadataUsesTheConfiguredIssuer(t *testing.T) {
	p := New(nil, nil, nil, nil, Config{Issuer: "https://auth.example.org/"}, Options{})
	m := p.Metadata()
	want := map[string]string{
		"issuer":                        "https://auth.example.org",
		"authorization_endpoint":        "https://auth.example.org/oauth2/authorize",
		"token_endpoint":                "https://auth.example.org/oauth2/token",
		"device_authorization_endpoint": "https://auth.example.org/oauth2/device_authorization",
		"introspection_endpoint":        "https://auth.example.org/oauth2/introspect",
		"revocation_endpoint":           "https://auth.example.org/oauth2/revoke",
		"userinfo_endpoint":             "https://auth.example.org/oauth2/userinfo",
		"jwks_uri":                      "https://auth.example.org/.well-known/jwks.json",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	lists := map[string][]string{
		"response_types_supported":              {"code"},
		"response_modes_supported":              {"query"},
		"code_challenge_methods_supported":      {"S256"},
		"grant_types_supported":                 {"authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"},
		"token_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post", "none"},
		"subject_types_supported":               {"public"},
		"id_token_signing_alg_values_supported": {"RS256"},
	}
	for k, v := range lists {
		got, _ := m[k].([]string)
		if strings.Join(got, " ") != strings.Join(v, " ") {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if m["authorization_response_iss_parameter_supported"] != true {
		t.Error("authorization_response_iss_parameter_supported must be true")
	}
}

func TestParseAuthorize(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		web, _ := f.webApp(t)
		noCode, _ := f.client(t, auth.OAuthClientInput{GrantTypes: []string{auth.GrantClientCredentials}, Scopes: []string{"calls:read"}})
		_, challenge := pkce("abc")
		good := AuthorizeRequest{
			ClientID: web.ID, RedirectURI: "https://app.example.com/callback", ResponseType: "code",
			Scope: "openid profile", State: "xyz", CodeChallenge: challenge, CodeChallengeMethod: "S256",
		}
		cases := []struct {
			name     string
			change   func(r *AuthorizeRequest)
			code     gatehouse.Code // "" when valid
			redirect bool           // the error goes back to the client
		}{
			{"valid", func(r *AuthorizeRequest) {}, "", false},
			{"no scope means the client's scopes", func(r *AuthorizeRequest) { r.Scope = "" }, "", false},
			{"loopback with another port", func(r *AuthorizeRequest) { r.RedirectURI = "http://127.0.0.1:51234/cb" }, "", false},
			{"loopback without a port", func(r *AuthorizeRequest) { r.RedirectURI = "http://127.0.0.1/cb" }, "", false},
			{"unknown client", func(r *AuthorizeRequest) { r.ClientID = "cli_nope" }, gatehouse.CodeInvalidClient, false},
			{"no client", func(r *AuthorizeRequest) { r.ClientID = "" }, gatehouse.CodeInvalidRequest, false},
			{"missing redirect_uri", func(r *AuthorizeRequest) { r.RedirectURI = "" }, gatehouse.CodeInvalidRequest, false},
			{"redirect with an extra slash", func(r *AuthorizeRequest) { r.RedirectURI = "https://app.example.com/callback/" }, gatehouse.CodeInvalidRequest, false},
			{"redirect with another host", func(r *AuthorizeRequest) { r.RedirectURI = "https://evil.example.com/callback" }, gatehouse.CodeInvalidRequest, false},
			{"redirect with a query added", func(r *AuthorizeRequest) { r.RedirectURI = "https://app.example.com/callback?x=1" }, gatehouse.CodeInvalidRequest, false},
			{"https redirect with a port added", func(r *AuthorizeRequest) { r.RedirectURI = "https://app.example.com:444/callback" }, gatehouse.CodeInvalidRequest, false},
			{"loopback with another path", func(r *AuthorizeRequest) { r.RedirectURI = "http://127.0.0.1:8400/other" }, gatehouse.CodeInvalidRequest, false},
			{"loopback with another host", func(r *AuthorizeRequest) { r.RedirectURI = "http://localhost:8400/cb" }, gatehouse.CodeInvalidRequest, false},
			{"loopback with a non-numeric port", func(r *AuthorizeRequest) { r.RedirectURI = "http://127.0.0.1:x/cb" }, gatehouse.CodeInvalidRequest, false},
			{"response_type token", func(r *AuthorizeRequest) { r.ResponseType = "token" }, gatehouse.CodeUnsupportedResponseType, true},
			{"response_type missing", func(r *AuthorizeRequest) { r.ResponseType = "" }, gatehouse.CodeInvalidRequest, true},
			{"response_mode fragment", func(r *AuthorizeRequest) { r.ResponseMode = "fragment" }, gatehouse.CodeInvalidRequest, true},
			{"PKCE missing", func(r *AuthorizeRequest) { r.CodeChallenge, r.CodeChallengeMethod = "", "" }, gatehouse.CodeInvalidRequest, true},
			{"PKCE plain", func(r *AuthorizeRequest) { r.CodeChallengeMethod = "plain" }, gatehouse.CodeInvalidRequest, true},
			{"PKCE method missing", func(r *AuthorizeRequest) { r.CodeChallengeMethod = "" }, gatehouse.CodeInvalidRequest, true},
			{"PKCE challenge malformed", func(r *AuthorizeRequest) { r.CodeChallenge = "short" }, gatehouse.CodeInvalidRequest, true},
			{"scope the client lacks", func(r *AuthorizeRequest) { r.Scope = "openid calls:write" }, gatehouse.CodeInvalidScope, true},
			{"reserved scope", func(r *AuthorizeRequest) { r.Scope = "gatehouse:verify" }, gatehouse.CodeInvalidScope, true},
			{"prompt=login", func(r *AuthorizeRequest) { r.Prompt = "login" }, "", false},
			{"prompt=login consent", func(r *AuthorizeRequest) { r.Prompt = "login consent" }, "", false},
			{"prompt=none", func(r *AuthorizeRequest) { r.Prompt = "none" }, "", false},
			{"prompt=none login", func(r *AuthorizeRequest) { r.Prompt = "none login" }, gatehouse.CodeInvalidRequest, true},
			{"prompt=consent none", func(r *AuthorizeRequest) { r.Prompt = "consent none" }, gatehouse.CodeInvalidRequest, true},
			{"max_age=0", func(r *AuthorizeRequest) { r.MaxAge = "0" }, "", false},
			{"max_age=3600", func(r *AuthorizeRequest) { r.MaxAge = "3600" }, "", false},
			{"max_age beyond int64", func(r *AuthorizeRequest) { r.MaxAge = "99999999999999999999999" }, "", false},
			{"max_age=-1", func(r *AuthorizeRequest) { r.MaxAge = "-1" }, gatehouse.CodeInvalidRequest, true},
			{"max_age=abc", func(r *AuthorizeRequest) { r.MaxAge = "abc" }, gatehouse.CodeInvalidRequest, true},
			{"max_age=+5", func(r *AuthorizeRequest) { r.MaxAge = "+5" }, gatehouse.CodeInvalidRequest, true},
			{"max_age=1.5", func(r *AuthorizeRequest) { r.MaxAge = "1.5" }, gatehouse.CodeInvalidRequest, true},
			{"max_age with a space", func(r *AuthorizeRequest) { r.MaxAge = " 5" }, gatehouse.CodeInvalidRequest, true},
			{"marker now", func(r *AuthorizeRequest) { r.AuthAfter = strconv.FormatInt(f.clock.now().UnixMilli(), 10) }, "", false},
			{"marker in the past", func(r *AuthorizeRequest) { r.AuthAfter = "1000" }, "", false},
			{"marker not a number", func(r *AuthorizeRequest) { r.AuthAfter = "abc" }, gatehouse.CodeInvalidRequest, true},
			{"marker negative", func(r *AuthorizeRequest) { r.AuthAfter = "-5" }, gatehouse.CodeInvalidRequest, true},
			{"marker an hour ahead", func(r *AuthorizeRequest) {
				r.AuthAfter = strconv.FormatInt(f.clock.now().Add(time.Hour).UnixMilli(), 10)
			}, gatehouse.CodeInvalidRequest, true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := good
				c.change(&r)
				a, err := f.p.ParseAuthorize(context.Background(), r)
				if c.code == "" {
					if err != nil {
						t.Fatalf("ParseAuthorize: %v", err)
					}
					if a.RedirectURI != r.RedirectURI || a.State != "xyz" || len(a.Scopes) == 0 {
						t.Fatalf("authorization %+v", a)
					}
					return
				}
				ae := asAuthorizeError(t, err)
				if ae.Code != c.code {
					t.Fatalf("code %q, want %q (%v)", ae.Code, c.code, err)
				}
				if (ae.RedirectURI != "") != c.redirect {
					t.Fatalf("RedirectURI %q, want redirect=%v", ae.RedirectURI, c.redirect)
				}
				if c.redirect {
					u, _ := url.Parse(f.p.ErrorRedirectURL(ae))
					q := u.Query()
					if q.Get("error") != string(c.code) || q.Get("state") != "xyz" || q.Get("iss") != testIssuer {
						t.Fatalf("error redirect %s", u)
					}
				}
			})
		}
		t.Run("client without the code grant", func(t *testing.T) {
			r := good
			r.ClientID = noCode.ID
			_, err := f.p.ParseAuthorize(context.Background(), r)
			// It has no redirect URIs at all: never redirected.
			if ae := asAuthorizeError(t, err); ae.RedirectURI != "" {
				t.Fatalf("redirected to %q", ae.RedirectURI)
			}
		})
	})
}

func TestRedirectURIRegistered(t *testing.T) {
	reg := []string{"https://app.example.com/cb", "http://127.0.0.1:8400/cb", "http://[::1]/cb", "http://localhost:3000/"}
	cases := []struct {
		uri string
		ok  bool
	}{
		{"https://app.example.com/cb", true},
		{"https://app.example.com/cb/", false},
		{"https://APP.example.com/cb", false},
		{"http://127.0.0.1:9/cb", true},
		{"http://127.0.0.1/cb", true},
		{"http://127.0.0.1:9/cb/", false},
		{"http://127.0.0.1:9/cb?x", false},
		{"http://[::1]:65000/cb", true},
		{"http://[::1]:65000/cc", false},
		{"http://localhost:1/", true},
		{"http://localhost:1", false},
		{"http://127.0.0.2:8400/cb", false},
		{"https://127.0.0.1:8400/cb", false},
		{"http://user@127.0.0.1:8400/cb", false},
	}
	for _, c := range cases {
		t.Run(c.uri, func(t *testing.T) {
			if got := redirectURIRegistered(reg, c.uri); got != c.ok {
				t.Fatalf("got %v, want %v", got, c.ok)
			}
		})
	}
}

func TestConsent(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		web, ca := f.webApp(t)
		alice := f.register(t, "alice")
		_, challenge := pkce("c")
		parse := func(scope, prompt string) *Authorization {
			a, err := f.p.ParseAuthorize(ctx, AuthorizeRequest{ClientID: web.ID, RedirectURI: web.RedirectURIs[0], ResponseType: "code",
				Scope: scope, CodeChallenge: challenge, CodeChallengeMethod: "S256", Prompt: prompt})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		needed := func(a *Authorization) bool {
			n, err := f.p.ConsentNeeded(ctx, alice.user, a)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		a := parse("openid profile offline_access", "")
		if !needed(a) {
			t.Fatal("consent not needed before any was given")
		}
		if _, err := f.p.Approve(ctx, alice.pr, a, false, auth.Meta{}); err != nil {
			t.Fatal(err)
		}
		if !needed(a) {
			t.Fatal("an approval without remember was remembered")
		}
		if _, err := f.p.Approve(ctx, alice.pr, a, true, auth.Meta{}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name, scope, prompt string
			want                bool
		}{
			{"same scopes", "openid profile offline_access", "", false},
			{"fewer scopes", "openid", "", false},
			{"prompt=consent", "openid", "consent", true},
			{"prompt=login consent", "openid", "login consent", true},
			{"a new scope", "openid email", "", true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if got := needed(parse(c.scope, c.prompt)); got != c.want {
					t.Fatalf("ConsentNeeded = %v, want %v", got, c.want)
				}
			})
		}
		views, err := f.p.ListConsents(ctx, alice.pr)
		if err != nil || len(views) != 1 || views[0].ClientID != web.ID || views[0].ClientName != web.Name {
			t.Fatalf("ListConsents = %+v, %v", views, err)
		}
		// Revoking the consent revokes the client's refresh tokens of the user.
		tok := f.codeTokens(t, alice, web, ca, "openid offline_access")
		if err := f.p.RevokeConsent(ctx, alice.pr, web.ID, auth.Meta{}); err != nil {
			t.Fatal(err)
		}
		_, err = f.p.Token(ctx, TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: tok.RefreshToken, Client: ca}, auth.Meta{})
		wantCode(t, err, gatehouse.CodeInvalidGrant)
		if !needed(parse("openid", "")) {
			t.Fatal("consent still remembered after revocation")
		}
		wantCode(t, f.p.RevokeConsent(ctx, alice.pr, web.ID, auth.Meta{}), gatehouse.CodeNotFound)
	})
}

func TestApproveOnlyForAPersonsSession(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		web, _ := f.webApp(t)
		alice := f.register(t, "alice")
		pat, err := f.pats.Create(ctx, alice.pr, auth.PATInput{Name: "ci", ExpiresIn: "30d"}, auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		viaPAT := f.signIn(t, pat.Token)
		_, challenge := pkce("d")
		a, err := f.p.ParseAuthorize(ctx, AuthorizeRequest{ClientID: web.ID, RedirectURI: web.RedirectURIs[0], ResponseType: "code",
			Scope: "openid", CodeChallenge: challenge, CodeChallengeMethod: "S256"})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			pr   *gatehouse.Principal
		}{
			{"nobody", nil},
			{"a PAT", viaPAT.pr},
			{"an API key", &gatehouse.Principal{APIKey: &gatehouse.APIKey{ID: "key_x"}, Credential: gatehouse.CredentialAPIKey}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.p.Approve(ctx, c.pr, a, true, auth.Meta{})
				wantCode(t, err, gatehouse.CodeInsufficientPerms)
			})
		}
		deny, _ := url.Parse(f.p.Deny(a))
		if deny.Query().Get("error") != "access_denied" || deny.Query().Get("iss") != testIssuer {
			t.Fatalf("Deny = %s", deny)
		}
	})
}

func TestSignInNeeded(t *testing.T) {
	signedIn := time.Date(2026, 11, 22, 12, 0, 0, 400_000_000, time.UTC) // auth_time 12:00:00
	cases := []struct {
		name      string
		a         Authorization
		now       time.Time
		wantAgain bool
	}{
		{"nothing asked", Authorization{MaxAge: -1}, signedIn.Add(48 * time.Hour), false},
		{"prompt=login", Authorization{MaxAge: -1, Prompt: "login"}, signedIn, true},
		{"prompt=consent login", Authorization{MaxAge: -1, Prompt: "consent login"}, signedIn, true},
		{"prompt=consent", Authorization{MaxAge: -1, Prompt: "consent"}, signedIn, false},
		{"max_age=0 at once", Authorization{MaxAge: 0}, signedIn, true},
		{"max_age=3600 fresh", Authorization{MaxAge: 3600}, signedIn.Add(time.Minute), false},
		{"max_age=3600 exactly reached", Authorization{MaxAge: 3600}, signedIn.Truncate(time.Second).Add(time.Hour), false},
		{"max_age=3600 exceeded", Authorization{MaxAge: 3600}, signedIn.Add(time.Hour + time.Second), true},
		{"max_age=1 counted from auth_time", Authorization{MaxAge: 1}, signedIn.Add(700 * time.Millisecond), true},
		{"max_age unbounded", Authorization{MaxAge: maxAgeUnbounded}, signedIn.Add(100 * 365 * 24 * time.Hour), false},
		{"marker before the sign-in", Authorization{MaxAge: -1, AuthAfter: signedIn.Add(-time.Millisecond)}, signedIn.Add(time.Minute), false},
		{"marker at the sign-in", Authorization{MaxAge: -1, AuthAfter: signedIn}, signedIn, false},
		{"marker after the sign-in", Authorization{MaxAge: -1, AuthAfter: signedIn.Add(time.Millisecond)}, signedIn.Add(time.Minute), true},
		{"marker satisfied but prompt=login", Authorization{MaxAge: -1, Prompt: "login", AuthAfter: signedIn.Add(-time.Hour)}, signedIn, true},
		{"marker satisfied but max_age=0", Authorization{MaxAge: 0, AuthAfter: signedIn.Add(-time.Hour)}, signedIn, true},
		{"marker satisfied but max_age exceeded", Authorization{MaxAge: 60, AuthAfter: signedIn.Add(-time.Hour)}, signedIn.Add(2 * time.Minute), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := signInNeeded(&c.a, signedIn, c.now); got != c.wantAgain {
				t.Fatalf("signInNeeded = %v, want %v", got, c.wantAgain)
			}
		})
	}
	t.Run("no authorization", func(t *testing.T) {
		if !signInNeeded(nil, signedIn, signedIn) {
			t.Fatal("a nil authorization needs no sign-in")
		}
	})
}

func TestContinueAfterSignIn(t *testing.T) {
	p := New(nil, nil, nil, nil, Config{Issuer: testIssuer}, Options{Now: func() time.Time { return time.UnixMilli(1_800_000_000_123) }})
	const nowMS = "1800000000123"
	base := AuthorizeRequest{ClientID: "cli_x", RedirectURI: "https://app.example.com/cb", ResponseType: "code", State: "s"}
	cases := []struct {
		name                      string
		prompt, maxAge, authAfter string
		wantPrompt, wantAfter     string
	}{
		{"nothing asked: unchanged", "", "", "", "", ""},
		{"prompt=consent: unchanged", "consent", "", "", "consent", ""},
		{"a marker alone: unchanged", "", "", "1700000000000", "", "1700000000000"},
		{"prompt=login", "login", "", "", "", nowMS},
		{"prompt=login consent keeps consent", "login consent", "", "", "consent", nowMS},
		{"max_age", "", "3600", "", "", nowMS},
		{"max_age=0", "", "0", "", "", nowMS},
		{"an older marker is replaced", "login", "", "1700000000000", "", nowMS},
		{"a forged marker with prompt=login is replaced", "login", "", "1", "", nowMS},
		{"a later marker is kept", "login", "", "1800000030000", "", "1800000030000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := base
			r.Prompt, r.MaxAge, r.AuthAfter = c.prompt, c.maxAge, c.authAfter
			got := p.ContinueAfterSignIn(r)
			if got.Prompt != c.wantPrompt || got.AuthAfter != c.wantAfter {
				t.Fatalf("prompt %q, marker %q; want %q, %q", got.Prompt, got.AuthAfter, c.wantPrompt, c.wantAfter)
			}
			if c.prompt+c.maxAge != "" && got.MaxAge != "" && c.wantAfter == nowMS {
				t.Fatalf("max_age %q kept in the continuation", got.MaxAge)
			}
			if got.ClientID != base.ClientID || got.RedirectURI != base.RedirectURI || got.State != base.State {
				t.Fatalf("the continuation changed the request: %+v", got)
			}
		})
	}
}

// TestReauthenticationWithSessions runs the rule on real sessions: a session from before a
// prompt=login or max_age request never satisfies its continuation, the session of the sign-in
// that follows does, and the code carries that sign-in's time as auth_time.
func TestReauthenticationWithSessions(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		web, _ := f.webApp(t)
		alice := f.register(t, "alice") // signed in at the fixture clock's start
		_, challenge := pkce("r")
		parse := func(r AuthorizeRequest) *Authorization {
			t.Helper()
			a, err := f.p.ParseAuthorize(ctx, r)
			if err != nil {
				t.Fatalf("ParseAuthorize: %v", err)
			}
			return a
		}
		req := func(prompt, maxAge string) AuthorizeRequest {
			return AuthorizeRequest{ClientID: web.ID, RedirectURI: web.RedirectURIs[0], ResponseType: "code", Scope: "openid",
				CodeChallenge: challenge, CodeChallengeMethod: "S256", Prompt: prompt, MaxAge: maxAge}
		}
		f.clock.advance(10 * time.Minute)
		cases := []struct {
			name           string
			prompt, maxAge string
			wantAgain      bool
		}{
			{"plain request", "", "", false},
			{"prompt=login", "login", "", true},
			{"max_age=0", "", "0", true},
			{"max_age=3600, session 10 minutes old", "", "3600", false},
			{"max_age=60, session 10 minutes old", "", "60", true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := req(c.prompt, c.maxAge)
				if got := f.p.SignInNeeded(parse(r), alice.pr.Session); got != c.wantAgain {
					t.Fatalf("SignInNeeded = %v, want %v", got, c.wantAgain)
				}
				if !c.wantAgain {
					return
				}
				next := parse(f.p.ContinueAfterSignIn(r))
				if !f.p.SignInNeeded(next, alice.pr.Session) {
					t.Fatal("the session from before the request satisfies the continuation")
				}
			})
		}

		// The fresh sign-in satisfies the continuation and its time becomes auth_time.
		next := f.p.ContinueAfterSignIn(req("login", ""))
		f.clock.advance(5 * time.Second)
		g, err := f.svc.SignIn.Login(ctx, "alice", testPW, auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		fresh := f.signIn(t, g.Token)
		a := parse(next)
		if f.p.SignInNeeded(a, fresh.pr.Session) {
			t.Fatal("the fresh session does not satisfy the continuation: the person would loop")
		}
		if !fresh.pr.Session.CreatedAt.After(alice.pr.Session.CreatedAt) {
			t.Fatalf("fresh session %v, old %v", fresh.pr.Session.CreatedAt, alice.pr.Session.CreatedAt)
		}
		if _, err := f.p.Approve(ctx, fresh.pr, a, false, auth.Meta{}); err != nil {
			t.Fatal(err)
		}
		f.clock.advance(time.Hour) // the continuation has no max_age: it never expires the session again
		if f.p.SignInNeeded(parse(next), fresh.pr.Session) {
			t.Fatal("the continuation asks the fresh session again an hour later")
		}
		// A client that writes the marker itself with prompt=login is still asked.
		forged := req("login", "")
		forged.AuthAfter = next.AuthAfter
		if !f.p.SignInNeeded(parse(forged), fresh.pr.Session) {
			t.Fatal("prompt=login with a marker skipped the sign-in")
		}
	})
}
