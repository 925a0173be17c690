package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-auth/gatehouse/config"
)

// Real, unmodified third-party OAuth/OIDC clients against a running Gatehouse: golang.org/x/oauth2
// (authorization code + PKCE, client credentials, device flow, refresh), github.com/coreos/go-oidc
// (discovery, ID token verification, userinfo) and the npm package openid-client (discovery,
// client credentials, introspection, revocation, refresh), run by node from
// testdata/openid-client.

// oauthTestRedirect is the confidential client's redirect URI; nothing listens there: the test
// reads the code from the 303's Location.
const oauthTestRedirect = "http://127.0.0.1:9/callback"

// startWithIssuer starts a server whose public URL (the issuer) is the address it listens on.
func startWithIssuer(t *testing.T, dbURL string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return start(t, dbURL, func(c *config.Config) {
		c.Addr = addr
		c.PublicURL = &url.URL{Scheme: "http", Host: addr}
	})
}

// oauthUser is a signed-in person: the API session token and a browser with the session cookie.
type oauthUser struct {
	id, username, session string
	browser               *http.Client
}

// signInBrowser registers username and signs a cookie-jar browser in through /v1/auth/login.
func (s *server) signInBrowser(username string) *oauthUser {
	s.t.Helper()
	tok, id := s.register(username, goodPassword, username+"@example.com")
	b := browser(s.t)
	req, _ := http.NewRequest("POST", s.base+"/v1/auth/login", strings.NewReader(`{"username":"`+username+`","password":"`+goodPassword+`"}`))
	req.Header.Set("Content-Type", "application/json")
	mustStatus(s.t, s.send(b, req), http.StatusOK)
	return &oauthUser{id: id, username: username, session: tok, browser: b}
}

// authorization is the outcome of driving /oauth2/authorize as a browser.
type authorization struct {
	code, verifier, nonce string
	consentShown          bool
}

// authorize drives the browser part of the authorization code flow: GET the authorization URL
// x/oauth2 built (PKCE S256, a nonce), POST the consent form when the page is shown, and read
// the code from the redirect to the client.
func (s *server) authorize(t *testing.T, u *oauthUser, cfg *oauth2.Config) authorization {
	t.Helper()
	a := authorization{verifier: oauth2.GenerateVerifier(), nonce: randomSuffix() + randomSuffix()}
	state := randomSuffix()
	authURL := cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(a.verifier), oidc.Nonce(a.nonce))
	req, _ := http.NewRequest("GET", authURL, nil)
	r := s.send(u.browser, req)
	if r.status == http.StatusOK { // the consent page: approve, as its form would
		a.consentShown = true
		pu, err := url.Parse(authURL)
		if err != nil {
			t.Fatal(err)
		}
		form := pu.Query()
		form.Set("action", "approve")
		form.Set("remember", "on")
		req, _ = http.NewRequest("POST", s.base+"/oauth2/consent", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r = s.send(u.browser, req)
	}
	if r.status != http.StatusSeeOther {
		t.Fatalf("authorization: status %d, want 303 to the client; body: %.500s", r.status, r.body)
	}
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != cfg.RedirectURL {
		t.Fatalf("redirected to %s, want the client's %s", r.header.Get("Location"), cfg.RedirectURL)
	}
	q := loc.Query()
	if q.Get("state") != state || q.Get("code") == "" || q.Get("error") != "" {
		t.Fatalf("redirect query: state ok %v, code set %v, error %q %q", q.Get("state") == state, q.Get("code") != "", q.Get("error"), q.Get("error_description"))
	}
	if iss := q.Get("iss"); iss != "" && iss != s.base {
		t.Fatalf("redirect iss %q, want %q (RFC 9207)", iss, s.base)
	}
	a.code = q.Get("code")
	return a
}

// codeTokens runs the whole authorization code flow with x/oauth2 and returns the tokens.
func (s *server) codeTokens(t *testing.T, ctx context.Context, u *oauthUser, cfg *oauth2.Config) (*oauth2.Token, authorization) {
	t.Helper()
	a := s.authorize(t, u, cfg)
	tok, err := cfg.Exchange(ctx, a.code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return tok, a
}

// oauthErrorCode is the RFC 6749 error code of an x/oauth2 error, "" when there is none.
func oauthErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// mustOAuthError fails unless err is an OAuth error answer with code.
func mustOAuthError(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := oauthErrorCode(err); got != code {
		t.Fatalf("%s: error %v (code %q), want %s", what, err, got, code)
	}
}

// refreshWith refreshes rt through x/oauth2's token source.
func refreshWith(ctx context.Context, cfg *oauth2.Config, rt string) (*oauth2.Token, error) {
	return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
}

func TestOAuthRealClients(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := startWithIssuer(t, dbURL)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		alice := s.signInBrowser("alice")
		orgID := s.createOrg(alice.session, "Acme")

		web := s.createOAuthClient(alice.session, orgID, map[string]any{
			"name": "Web app", "redirect_uris": []string{oauthTestRedirect},
			"grant_types": []string{"authorization_code", "refresh_token", "client_credentials"},
			"scopes":      []string{"openid", "profile", "email", "offline_access", "calls:read"},
		})
		webID, webSecret := web["client_id"].(string), web["client_secret"].(string)
		tv := s.createOAuthClient(alice.session, orgID, map[string]any{
			"name": "TV app", "public": true,
			"grant_types": []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"},
			"scopes":      []string{"openid", "profile", "offline_access"},
		})
		tvID := tv["client_id"].(string)

		// Discovery through go-oidc: the issuer must be exactly the public URL.
		provider, err := oidc.NewProvider(ctx, s.base)
		if err != nil {
			t.Fatalf("oidc.NewProvider(%s): %v", s.base, err)
		}
		ep := provider.Endpoint()
		var meta struct {
			DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint"`
			RevocationEndpoint          string `json:"revocation_endpoint"`
		}
		if err := provider.Claims(&meta); err != nil || meta.DeviceAuthorizationEndpoint == "" {
			t.Fatalf("discovery lacks device_authorization_endpoint: %+v, %v", meta, err)
		}
		// Access tokens (RFC 9068) are signed with ES256 by default, or RS256 when so configured;
		// a resource server verifies them against the same JWKS with the algorithms it accepts.
		accessVerifier := provider.Verifier(&oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256}})
		code := &oauth2.Config{
			ClientID: webID, ClientSecret: webSecret, Endpoint: ep, RedirectURL: oauthTestRedirect,
			Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
		}

		t.Run("authorization code with PKCE and go-oidc", func(t *testing.T) {
			tok, a := s.codeTokens(t, ctx, alice, code)
			if !a.consentShown {
				t.Error("the first authorization did not ask for consent")
			}
			if !strings.EqualFold(tok.TokenType, "bearer") || tok.AccessToken == "" || tok.RefreshToken == "" || !tok.Expiry.After(time.Now()) {
				t.Fatalf("token: type %q, access set %v, refresh set %v, expiry %v", tok.TokenType, tok.AccessToken != "", tok.RefreshToken != "", tok.Expiry)
			}
			rawID, _ := tok.Extra("id_token").(string)
			if rawID == "" {
				t.Fatal("no id_token with scope openid")
			}
			idt, err := provider.Verifier(&oidc.Config{ClientID: webID}).Verify(ctx, rawID)
			if err != nil {
				t.Fatalf("go-oidc Verify: %v", err)
			}
			if idt.Nonce != a.nonce {
				t.Fatalf("ID token nonce %q, want %q", idt.Nonce, a.nonce)
			}
			if idt.Issuer != s.base || idt.Subject == "" {
				t.Fatalf("ID token iss %q sub %q", idt.Issuer, idt.Subject)
			}
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil && idt.AccessTokenHash != "" {
				t.Fatalf("at_hash: %v", err)
			}
			var claims struct {
				PreferredUsername string `json:"preferred_username"`
				Email             string `json:"email"`
			}
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			if idt.Subject != alice.id || claims.PreferredUsername != "alice" || claims.Email != "alice@example.com" {
				t.Fatalf("ID token sub %q (want %s), preferred_username %q, email %q", idt.Subject, alice.id, claims.PreferredUsername, claims.Email)
			}
			// Another client's ID: go-oidc refuses the audience.
			if _, err := provider.Verifier(&oidc.Config{ClientID: tvID}).Verify(ctx, rawID); err == nil {
				t.Fatal("an ID token for the web app verified for another client")
			}
			info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("go-oidc UserInfo: %v", err)
			}
			if info.Subject != idt.Subject || info.Email != "alice@example.com" {
				t.Fatalf("userinfo sub %q email %q; ID token sub %q", info.Subject, info.Email, idt.Subject)
			}
			// The access token is a JWT signed with a published key (go-oidc checks signature, iss, exp).
			if _, err := accessVerifier.Verify(ctx, tok.AccessToken); err != nil {
				t.Fatalf("the access token does not verify against the JWKS: %v", err)
			}
		})

		t.Run("reused or unbound code fails", func(t *testing.T) {
			a := s.authorize(t, alice, code)
			if _, err := code.Exchange(ctx, a.code, oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
				t.Fatal("a code was exchanged with the wrong PKCE verifier")
			} else {
				mustOAuthError(t, "wrong verifier", err, "invalid_grant")
			}
			b := s.authorize(t, alice, code)
			if _, err := code.Exchange(ctx, b.code, oauth2.VerifierOption(b.verifier)); err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			_, err := code.Exchange(ctx, b.code, oauth2.VerifierOption(b.verifier))
			mustOAuthError(t, "reused code", err, "invalid_grant")
			// No verifier at all: PKCE is required, the parameter is missing (RFC 6749 5.2).
			c := s.authorize(t, alice, code)
			_, err = code.Exchange(ctx, c.code)
			mustOAuthError(t, "code without verifier", err, "invalid_request")
		})

		t.Run("refresh token reuse ends the family", func(t *testing.T) {
			tok, _ := s.codeTokens(t, ctx, alice, code)
			next, err := refreshWith(ctx, code, tok.RefreshToken)
			if err != nil {
				t.Fatalf("first refresh: %v", err)
			}
			if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken || next.AccessToken == tok.AccessToken {
				t.Fatal("the refresh did not rotate the tokens")
			}
			_, err = refreshWith(ctx, code, tok.RefreshToken)
			mustOAuthError(t, "second use of a refresh token", err, "invalid_grant")
			_, err = refreshWith(ctx, code, next.RefreshToken)
			mustOAuthError(t, "the newest refresh token after a reuse", err, "invalid_grant")
			// Another client cannot use the web app's refresh tokens either.
			other, _ := s.codeTokens(t, ctx, alice, code)
			tvCfg := &oauth2.Config{ClientID: tvID, Endpoint: oauth2.Endpoint{TokenURL: ep.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
			if _, err := refreshWith(ctx, tvCfg, other.RefreshToken); err == nil {
				t.Fatal("a refresh token worked for another client")
			}
		})

		t.Run("client credentials", func(t *testing.T) {
			cc := &clientcredentials.Config{ClientID: webID, ClientSecret: webSecret, TokenURL: ep.TokenURL, Scopes: []string{"calls:read"}}
			tok, err := cc.Token(ctx)
			if err != nil {
				t.Fatalf("clientcredentials Token: %v", err)
			}
			if tok.AccessToken == "" || tok.RefreshToken != "" || !strings.EqualFold(tok.TokenType, "bearer") {
				t.Fatalf("token: access set %v, refresh set %v, type %q", tok.AccessToken != "", tok.RefreshToken != "", tok.TokenType)
			}
			if _, err := accessVerifier.Verify(ctx, tok.AccessToken); err != nil {
				t.Fatalf("the access token does not verify against the JWKS: %v", err)
			}
			bad := &clientcredentials.Config{ClientID: webID, ClientSecret: webSecret + "x", TokenURL: ep.TokenURL}
			_, err = bad.Token(ctx)
			mustOAuthError(t, "wrong secret", err, "invalid_client")
		})

		t.Run("device flow", func(t *testing.T) {
			cfg := &oauth2.Config{
				ClientID: tvID, Scopes: []string{oidc.ScopeOpenID, "profile", oidc.ScopeOfflineAccess},
				Endpoint: oauth2.Endpoint{DeviceAuthURL: meta.DeviceAuthorizationEndpoint, TokenURL: ep.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
			}
			da, err := cfg.DeviceAuth(ctx)
			if err != nil {
				t.Fatalf("DeviceAuth: %v", err)
			}
			if da.UserCode == "" || da.VerificationURI == "" || da.DeviceCode == "" {
				t.Fatalf("device authorization: %+v", da)
			}
			mustStatus(t, s.do("POST", "/v1/device/approve", alice.session, map[string]string{"user_code": da.UserCode}), http.StatusOK)
			tok, err := cfg.DeviceAccessToken(ctx, da)
			if err != nil {
				t.Fatalf("DeviceAccessToken: %v", err)
			}
			if tok.AccessToken == "" || tok.RefreshToken == "" {
				t.Fatalf("device token: access set %v, refresh set %v", tok.AccessToken != "", tok.RefreshToken != "")
			}
			info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil || info.Subject == "" {
				t.Fatalf("userinfo with the device token: %v, %v", info, err)
			}
			// The device code is single use: the second exchange is an OAuth error, not a token and
			// not authorization_pending (which would poll on).
			once, stop := context.WithTimeout(ctx, time.Minute)
			_, err = cfg.DeviceAccessToken(once, da)
			stop()
			if code := oauthErrorCode(err); code == "" || code == "authorization_pending" {
				t.Fatalf("second exchange of a device code: %v", err)
			}
			// And a public client's refresh works without a secret.
			if _, err := refreshWith(ctx, cfg, tok.RefreshToken); err != nil {
				t.Fatalf("refresh of the device grant: %v", err)
			}
		})

		t.Run("openid-client", func(t *testing.T) {
			first, _ := s.codeTokens(t, ctx, alice, code)  // refreshed, then reused
			revoke, _ := s.codeTokens(t, ctx, alice, code) // revoked
			res := runOpenIDClient(t, ctx, map[string]string{
				"ISSUER": s.base, "CLIENT_ID": webID, "CLIENT_SECRET": webSecret, "CC_SCOPE": "calls:read",
				"REFRESH_TOKEN": first.RefreshToken, "REVOKE_REFRESH_TOKEN": revoke.RefreshToken,
			})
			res.ok(t, "discovery")
			if res.str(t, "discovery", "issuer") != s.base || res.field(t, "discovery", "supports_pkce") != true {
				t.Fatalf("discovery: %v", res["discovery"])
			}
			res.ok(t, "client_credentials")
			if !strings.EqualFold(res.str(t, "client_credentials", "token_type"), "bearer") || res.field(t, "client_credentials", "has_refresh_token") != false {
				t.Fatalf("client_credentials: %v", res["client_credentials"])
			}
			res.active(t, "introspect_client_credentials", true)
			if res.str(t, "introspect_client_credentials", "client_id") != webID {
				t.Fatalf("introspection of the client's token: %v", res["introspect_client_credentials"])
			}
			res.ok(t, "refresh")
			if res.field(t, "refresh", "rotated") != true {
				t.Fatalf("refresh did not rotate: %v", res["refresh"])
			}
			// The access token openid-client got works with the Go clients too.
			refreshed := &oauth2.Token{AccessToken: res.str(t, "refresh", "access_token"), TokenType: "Bearer"}
			info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(refreshed))
			if err != nil {
				t.Fatalf("userinfo with openid-client's refreshed access token: %v", err)
			}
			res.active(t, "introspect_rotated_refresh_token", true)
			res.ok(t, "userinfo")
			if res.str(t, "userinfo", "sub") != info.Subject {
				t.Fatalf("openid-client userinfo %v, go-oidc sub %q", res["userinfo"], info.Subject)
			}
			res.failed(t, "reuse_refresh_token", "invalid_grant")
			res.active(t, "introspect_rotated_after_reuse", false)
			res.ok(t, "revoke_refresh_token")
			res.active(t, "introspect_revoked_refresh_token", false)
			res.failed(t, "refresh_revoked", "invalid_grant")
			res.ok(t, "revoke_access_token")
			res.active(t, "introspect_revoked_access_token", false)
			// What openid-client reported is what the server says: the family is gone for x/oauth2 too.
			_, err = refreshWith(ctx, code, res.str(t, "refresh", "refresh_token"))
			mustOAuthError(t, "refresh token of a family ended by openid-client's reuse", err, "invalid_grant")
		})
	})
}

// openIDClientResult is check.mjs's output: one object per step.
type openIDClientResult map[string]map[string]any

func (r openIDClientResult) step(t *testing.T, name string) map[string]any {
	t.Helper()
	st, ok := r[name]
	if !ok {
		t.Fatalf("openid-client: step %s did not run; steps: %v", name, r.names())
	}
	return st
}

func (r openIDClientResult) names() []string {
	var out []string
	for k := range r {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (r openIDClientResult) field(t *testing.T, name, key string) any {
	t.Helper()
	return r.step(t, name)[key]
}

func (r openIDClientResult) str(t *testing.T, name, key string) string {
	t.Helper()
	s, _ := r.field(t, name, key).(string)
	return s
}

// ok fails unless the step succeeded.
func (r openIDClientResult) ok(t *testing.T, name string) {
	t.Helper()
	if st := r.step(t, name); st["ok"] != true {
		t.Fatalf("openid-client %s failed: %v %v", name, st["error"], st["error_description"])
	}
}

// failed fails unless the step failed with the OAuth error code.
func (r openIDClientResult) failed(t *testing.T, name, code string) {
	t.Helper()
	st := r.step(t, name)
	if st["ok"] != false || st["error"] != code {
		t.Fatalf("openid-client %s: ok %v, error %v (%v); want the error %s", name, st["ok"], st["error"], st["error_description"], code)
	}
}

// active fails unless the introspection step succeeded with the wanted "active".
func (r openIDClientResult) active(t *testing.T, name string, want bool) {
	t.Helper()
	r.ok(t, name)
	if got := r.field(t, name, "active"); got != want {
		t.Fatalf("openid-client %s: active %v, want %v", name, got, want)
	}
}

// runOpenIDClient runs testdata/openid-client/check.mjs with node. Without node or the installed
// package (npm ci in that folder) the test is skipped, unless GATEHOUSE_TEST_NODE=1 (CI), which
// makes it a failure.
func runOpenIDClient(t *testing.T, ctx context.Context, env map[string]string) openIDClientResult {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "openid-client"))
	if err != nil {
		t.Fatal(err)
	}
	required := os.Getenv("GATEHOUSE_TEST_NODE") == "1"
	missing := func(why string) {
		t.Helper()
		if required {
			t.Fatalf("GATEHOUSE_TEST_NODE=1 but %s", why)
		}
		t.Skipf("%s: skipping openid-client (run npm ci in e2e/testdata/openid-client; GATEHOUSE_TEST_NODE=1 makes this a failure)", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openid-client", "package.json")); err != nil {
		missing("e2e/testdata/openid-client/node_modules is missing")
	}
	cmd := exec.CommandContext(ctx, node, "check.mjs")
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node check.mjs: %v\nstderr: %s", err, stderr.String())
	}
	var res openIDClientResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("check.mjs output is not JSON: %v\n%.2000s", err, out)
	}
	return res
}
