package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// The HTTP side of the OAuth endpoints over a plain HTTP client, on every backend: discovery,
// the RFC 6749 error statuses and challenges, client authentication, introspection and
// revocation, userinfo, the authorization endpoint's redirects and error page, the device
// approval API, and remembered consents. The browser side is oauth_browser_test.go; real
// third-party clients are oauth_realclients_test.go.

const endpointsRedirect = "http://127.0.0.1:9/callback" // nothing listens: the tests read Location

// pkcePair returns a code verifier and its S256 challenge.
func pkcePair() (verifier, challenge string) {
	verifier = oauth2.GenerateVerifier()
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeQuery is an authorization request of clientID with PKCE.
func authorizeQuery(clientID, challenge, state string, extra ...string) string {
	q := url.Values{
		"client_id": {clientID}, "redirect_uri": {endpointsRedirect}, "response_type": {"code"},
		"scope": {"openid profile offline_access"}, "state": {state},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return "/oauth2/authorize?" + q.Encode()
}

// redirectQuery checks that r is a 303 to the client's redirect URI and returns its query.
func redirectQuery(t *testing.T, r response) url.Values {
	t.Helper()
	mustStatus(t, r, http.StatusSeeOther)
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != endpointsRedirect {
		t.Fatalf("redirected to %s, want the client's %s", loc, endpointsRedirect)
	}
	return loc.Query()
}

// formWith posts form to path with optional Basic credentials (sent form-urlencoded, RFC 6749
// 2.3.1) or a bearer token.
func formWith(t *testing.T, s *server, path string, form url.Values, basicID, basicSecret, bearer string) response {
	t.Helper()
	req, err := http.NewRequest("POST", s.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return s.send(http.DefaultClient, req)
}

func TestOAuthEndpoints(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := startAtOwnURL(t, dbURL)
		alice, _ := s.register("alice", goodPassword, "alice@example.com")
		orgID := s.createOrg(alice, "Acme")
		client := s.createOAuthClient(alice, orgID, map[string]any{
			"name": "Web app", "redirect_uris": []string{endpointsRedirect},
			"grant_types": []string{"authorization_code", "refresh_token", "client_credentials"},
			"scopes":      []string{"openid", "profile", "offline_access", "calls:read"},
		})
		clientID, secret := client["client_id"].(string), client["client_secret"].(string)

		// A browser signed in as alice (session cookie).
		b := browser(t)
		login, _ := http.NewRequest("POST", s.base+"/v1/auth/login", strings.NewReader(`{"username":"alice","password":"`+goodPassword+`"}`))
		login.Header.Set("Content-Type", "application/json")
		mustStatus(t, s.send(b, login), http.StatusOK)
		get := func(c *http.Client, path string) response {
			t.Helper()
			req, _ := http.NewRequest("GET", s.base+path, nil)
			return s.send(c, req)
		}
		consent := func(form url.Values) response {
			t.Helper()
			req, _ := http.NewRequest("POST", s.base+"/oauth2/consent", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return s.send(b, req)
		}

		t.Run("discovery", func(t *testing.T) {
			oidcDoc := get(http.DefaultClient, "/.well-known/openid-configuration")
			rfc8414 := get(http.DefaultClient, "/.well-known/oauth-authorization-server")
			mustStatus(t, oidcDoc, http.StatusOK)
			mustStatus(t, rfc8414, http.StatusOK)
			if string(oidcDoc.body) != string(rfc8414.body) {
				t.Error("the two discovery documents differ")
			}
			meta := oidcDoc.json(t)
			if meta["issuer"] != s.base || meta["token_endpoint"] != s.base+"/oauth2/token" || meta["jwks_uri"] != s.base+"/.well-known/jwks.json" {
				t.Fatalf("metadata %v", meta)
			}
			if oidcDoc.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(oidcDoc.header.Get("Cache-Control"), "max-age") {
				t.Errorf("discovery headers %v", oidcDoc.header)
			}
		})

		t.Run("token endpoint errors", func(t *testing.T) {
			cc := url.Values{"grant_type": {"client_credentials"}, "scope": {"calls:read"}}
			tests := []struct {
				name              string
				form              url.Values
				basicID, basicPwd string
				json              bool
				status            int
				code              string
				challenge         string
			}{
				{name: "JSON body", json: true, status: 400, code: "invalid_request"},
				{name: "wrong secret with Basic", form: cc, basicID: clientID, basicPwd: secret + "x", status: 401, code: "invalid_client", challenge: `Basic realm="gatehouse"`},
				{name: "wrong secret in the form", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {"nope"}}, status: 401, code: "invalid_client"},
				{name: "Basic and client_secret", form: url.Values{"grant_type": {"client_credentials"}, "client_secret": {secret}}, basicID: clientID, basicPwd: secret, status: 400, code: "invalid_request"},
				{name: "unknown grant", form: url.Values{"grant_type": {"password"}}, basicID: clientID, basicPwd: secret, status: 400, code: "unsupported_grant_type"},
				{name: "bad code", form: url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}, "redirect_uri": {endpointsRedirect}, "code_verifier": {oauth2.GenerateVerifier()}}, basicID: clientID, basicPwd: secret, status: 400, code: "invalid_grant"},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					var r response
					if tc.json {
						r = s.do("POST", "/oauth2/token", "", map[string]string{"grant_type": "client_credentials", "client_id": clientID, "client_secret": secret})
					} else {
						r = formWith(t, s, "/oauth2/token", tc.form, tc.basicID, tc.basicPwd, "")
					}
					mustStatus(t, r, tc.status)
					if got := r.errorCode(t); got != tc.code {
						t.Errorf("error %q, want %q", got, tc.code)
					}
					if tc.challenge != "" && r.header.Get("WWW-Authenticate") != tc.challenge {
						t.Errorf("WWW-Authenticate %q, want %q", r.header.Get("WWW-Authenticate"), tc.challenge)
					}
					if v := r.json(t); v["error_description"] == nil || v["request_id"] == nil {
						t.Errorf("error body %v lacks error_description or request_id", v)
					}
				})
			}
		})

		var appToken string
		t.Run("client credentials, introspection, revocation", func(t *testing.T) {
			r := formWith(t, s, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"calls:read"}}, clientID, secret, "")
			mustStatus(t, r, http.StatusOK)
			if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
				t.Errorf("token response headers %v", r.header)
			}
			appToken, _ = r.json(t)["access_token"].(string)

			ri := formWith(t, s, "/oauth2/introspect", url.Values{"token": {appToken}}, clientID, secret, "")
			mustStatus(t, ri, http.StatusOK)
			if ri.json(t)["active"] != true {
				t.Fatalf("introspection of a fresh token: %s", ri.body)
			}
			// A person's session is no introspection credential: 401 invalid_client.
			rb := formWith(t, s, "/oauth2/introspect", url.Values{"token": {appToken}}, "", "", alice)
			mustStatus(t, rb, http.StatusUnauthorized)
			if rb.errorCode(t) != "invalid_client" {
				t.Fatalf("introspection by a plain user: %s", rb.body)
			}
			mustStatus(t, formWith(t, s, "/oauth2/introspect", url.Values{"token": {appToken}}, "", "", ""), http.StatusUnauthorized)

			bad := formWith(t, s, "/oauth2/revoke", url.Values{"token": {appToken}}, clientID, "wrong", "")
			mustStatus(t, bad, http.StatusUnauthorized)
			rv := formWith(t, s, "/oauth2/revoke", url.Values{"token": {appToken}}, clientID, secret, "")
			mustStatus(t, rv, http.StatusOK)
			if len(rv.body) != 0 {
				t.Errorf("revocation body %q, want empty", rv.body)
			}
			mustStatus(t, formWith(t, s, "/oauth2/revoke", url.Values{"token": {"unknown-token"}}, clientID, secret, ""), http.StatusOK)
			ri = formWith(t, s, "/oauth2/introspect", url.Values{"token": {appToken}}, clientID, secret, "")
			mustStatus(t, ri, http.StatusOK)
			if ri.json(t)["active"] != false {
				t.Fatalf("introspection of a revoked token: %s", ri.body)
			}
		})

		t.Run("userinfo refuses without a valid token", func(t *testing.T) {
			for _, tok := range []string{"", "not-a-token", "a.b.c"} {
				r := s.do("GET", "/oauth2/userinfo", tok, nil)
				mustStatus(t, r, http.StatusUnauthorized)
				if !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
					t.Errorf("token %q: WWW-Authenticate %q", tok, r.header.Get("WWW-Authenticate"))
				}
			}
		})

		t.Run("authorization endpoint", func(t *testing.T) {
			_, challenge := pkcePair()
			// Not signed in: to /login, coming back to the request.
			r := get(browser(t), authorizeQuery(clientID, challenge, "s1"))
			mustStatus(t, r, http.StatusSeeOther)
			if loc := r.header.Get("Location"); !strings.HasPrefix(loc, "/login?next=%2Foauth2%2Fauthorize%3F") {
				t.Fatalf("not signed in: Location %q", loc)
			}
			q := redirectQuery(t, get(browser(t), authorizeQuery(clientID, challenge, "s2", "prompt", "none")))
			if q.Get("error") != "login_required" || q.Get("state") != "s2" || q.Get("iss") != s.base {
				t.Fatalf("prompt=none signed out: %v", q)
			}
			// Errors the client can be told about go back to it.
			q = redirectQuery(t, get(b, authorizeQuery(clientID, challenge, "s3", "response_type", "token")))
			if q.Get("error") != "unsupported_response_type" || q.Get("state") != "s3" || q.Get("iss") != s.base {
				t.Fatalf("response_type=token: %v", q)
			}
			q = redirectQuery(t, get(b, authorizeQuery(clientID, "", "s4")))
			if q.Get("error") != "invalid_request" {
				t.Fatalf("no PKCE: %v", q)
			}
			q = redirectQuery(t, get(b, authorizeQuery(clientID, challenge, "s5", "prompt", "none")))
			if q.Get("error") != "consent_required" {
				t.Fatalf("prompt=none without consent: %v", q)
			}
			// Others never leave Gatehouse: an error page.
			for name, path := range map[string]string{
				"unknown client":        authorizeQuery("cli_nope", challenge, "s"),
				"foreign redirect":      authorizeQuery(clientID, challenge, "s", "redirect_uri", "https://evil.example/cb"),
				"repeated redirect_uri": authorizeQuery(clientID, challenge, "s") + "&redirect_uri=" + url.QueryEscape("https://evil.example/cb"),
			} {
				r := get(b, path)
				if r.status != http.StatusBadRequest || r.header.Get("Location") != "" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
					t.Errorf("%s: status %d, Location %q, Content-Type %q", name, r.status, r.header.Get("Location"), r.header.Get("Content-Type"))
				}
			}
		})

		t.Run("consent, remembered consents and their revocation", func(t *testing.T) {
			verifier, challenge := pkcePair()
			page := get(b, authorizeQuery(clientID, challenge, "c1"))
			mustStatus(t, page, http.StatusOK)
			if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' http://127.0.0.1:9") {
				t.Errorf("consent page CSP %q does not let the form lead to the client", csp)
			}
			// Hidden fields are re-validated: a tampered redirect_uri gets the error page.
			tampered := url.Values{"client_id": {clientID}, "redirect_uri": {"https://evil.example/cb"}, "response_type": {"code"},
				"scope": {"openid"}, "state": {"c1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "action": {"approve"}}
			if r := consent(tampered); r.status != http.StatusBadRequest || r.header.Get("Location") != "" {
				t.Fatalf("tampered consent form: status %d, Location %q", r.status, r.header.Get("Location"))
			}
			form, _ := url.ParseQuery(strings.TrimPrefix(authorizeQuery(clientID, challenge, "c1"), "/oauth2/authorize?"))
			form.Set("action", "approve")
			form.Set("remember", "1")
			q := redirectQuery(t, consent(form))
			if q.Get("code") == "" || q.Get("state") != "c1" {
				t.Fatalf("approve: %v", q)
			}
			r := formWith(t, s, "/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")},
				"redirect_uri": {endpointsRedirect}, "code_verifier": {verifier}}, clientID, secret, "")
			mustStatus(t, r, http.StatusOK)
			refresh, _ := r.json(t)["refresh_token"].(string)

			list := s.do("GET", "/v1/me/consents", alice, nil)
			mustStatus(t, list, http.StatusOK)
			data, _ := list.json(t)["data"].([]any)
			if len(data) != 1 || data[0].(map[string]any)["client_id"] != clientID || data[0].(map[string]any)["client_name"] != "Web app" {
				t.Fatalf("consents %s", list.body)
			}
			// Remembered: straight back with a code.
			if q := redirectQuery(t, get(b, authorizeQuery(clientID, challenge, "c2"))); q.Get("code") == "" {
				t.Fatalf("remembered consent: %v", q)
			}
			mustStatus(t, s.do("DELETE", "/v1/me/consents/"+clientID, alice, nil), http.StatusNoContent)
			list = s.do("GET", "/v1/me/consents", alice, nil)
			if data, _ := list.json(t)["data"].([]any); len(data) != 0 {
				t.Fatalf("consents after revocation %s", list.body)
			}
			rr := formWith(t, s, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, clientID, secret, "")
			if rr.status != http.StatusBadRequest || rr.errorCode(t) != "invalid_grant" {
				t.Fatalf("refresh after the consent was revoked: %d %s", rr.status, rr.body)
			}
			mustStatus(t, get(b, authorizeQuery(clientID, challenge, "c3")), http.StatusOK) // the consent page again

			// Deny.
			form.Set("action", "deny")
			if q := redirectQuery(t, consent(form)); q.Get("error") != "access_denied" || q.Get("code") != "" {
				t.Fatalf("deny: %v", q)
			}
		})

		t.Run("device approval API", func(t *testing.T) {
			startFlow := func() (userCode, deviceCode string) {
				t.Helper()
				r := formWith(t, s, "/oauth2/device_authorization", url.Values{"client_id": {"gatehouse-cli"}, "scope": {"openid profile"}}, "", "", "")
				mustStatus(t, r, http.StatusOK)
				v := r.json(t)
				return v["user_code"].(string), v["device_code"].(string)
			}
			poll := func(deviceCode string) response {
				return formWith(t, s, "/oauth2/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
					"device_code": {deviceCode}, "client_id": {"gatehouse-cli"}}, "", "", "")
			}
			userCode, deviceCode := startFlow()
			mustStatus(t, s.do("GET", "/v1/device?user_code="+userCode, "", nil), http.StatusUnauthorized)
			r := s.do("GET", "/v1/device?user_code="+url.QueryEscape(userCode), alice, nil)
			mustStatus(t, r, http.StatusOK)
			v := r.json(t)
			if v["user_code"] != userCode || v["client_id"] != "gatehouse-cli" || v["client_name"] == "" || v["expires_at"] == nil {
				t.Fatalf("pending device %v", v)
			}
			r = s.do("POST", "/v1/device/approve", alice, map[string]string{"user_code": userCode})
			mustStatus(t, r, http.StatusOK)
			if r.json(t)["status"] != "approved" {
				t.Fatalf("approve: %s", r.body)
			}
			mustStatus(t, poll(deviceCode), http.StatusOK)

			userCode, deviceCode = startFlow()
			r = s.do("POST", "/v1/device/deny", alice, map[string]string{"user_code": userCode})
			mustStatus(t, r, http.StatusOK)
			if r.json(t)["status"] != "denied" {
				t.Fatalf("deny: %s", r.body)
			}
			if r := poll(deviceCode); r.status != http.StatusBadRequest || r.errorCode(t) != "access_denied" {
				t.Fatalf("poll after deny: %d %s", r.status, r.body)
			}

			// Wrong codes: 404, then the limit (429 with Retry-After).
			limited := false
			for i := 0; i < 30 && !limited; i++ {
				r := s.do("GET", "/v1/device?user_code=BBBB-BBBB", alice, nil)
				switch r.status {
				case http.StatusNotFound:
				case http.StatusTooManyRequests:
					limited = r.header.Get("Retry-After") != ""
				default:
					t.Fatalf("wrong code: %d %s", r.status, r.body)
				}
			}
			if !limited {
				t.Fatal("30 wrong user codes were never limited")
			}
		})
	})
}
