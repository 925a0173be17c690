package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/oauth"
	"github.com/gatehouse-auth/gatehouse/web"
)

// The OAuth endpoints' plumbing: client authentication, form bodies, the RFC 6749 error
// answers, and what the handlers refuse before they reach the provider. The flows themselves
// run end to end in package e2e (oauth_browser_test.go, oauth_clients_test.go).

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func TestOAuthClientAuth(t *testing.T) {
	tests := []struct {
		name     string
		header   string
		form     url.Values
		want     oauth.ClientAuth
		wantOK   bool
		wantCode gatehouse.Code
	}{
		{name: "basic", header: basic("cli_abc", "gth_cs_secret"),
			want: oauth.ClientAuth{ClientID: "cli_abc", Secret: "gth_cs_secret", Method: "client_secret_basic"}, wantOK: true},
		{name: "basic is url-decoded (RFC 6749 2.3.1)", header: basic("my+client%3A1", "a%2Bb%3Ac+d%25"),
			want: oauth.ClientAuth{ClientID: "my client:1", Secret: "a+b:c d%", Method: "client_secret_basic"}, wantOK: true},
		{name: "basic with the same client_id in the body", header: basic("cli_abc", "s"), form: url.Values{"client_id": {"cli_abc"}},
			want: oauth.ClientAuth{ClientID: "cli_abc", Secret: "s", Method: "client_secret_basic"}, wantOK: true},
		{name: "basic and client_secret in the body", header: basic("cli_abc", "s"), form: url.Values{"client_secret": {"s"}},
			wantCode: gatehouse.CodeInvalidRequest},
		{name: "basic and another client_id in the body", header: basic("cli_abc", "s"), form: url.Values{"client_id": {"cli_other"}},
			wantCode: gatehouse.CodeInvalidRequest},
		{name: "basic not base64", header: "Basic !!!", wantCode: gatehouse.CodeInvalidClient},
		{name: "basic without colon", header: "Basic " + base64.StdEncoding.EncodeToString([]byte("cli_abc")), wantCode: gatehouse.CodeInvalidClient},
		{name: "basic with a bad escape", header: basic("cli%zz", "s"), wantCode: gatehouse.CodeInvalidClient},
		{name: "basic with an empty client id", header: basic("", "s"), wantCode: gatehouse.CodeInvalidClient},
		{name: "post", form: url.Values{"client_id": {"cli_abc"}, "client_secret": {"s"}},
			want: oauth.ClientAuth{ClientID: "cli_abc", Secret: "s", Method: "client_secret_post"}, wantOK: true},
		{name: "post with an empty secret is still post", form: url.Values{"client_id": {"cli_abc"}, "client_secret": {""}},
			want: oauth.ClientAuth{ClientID: "cli_abc", Method: "client_secret_post"}, wantOK: true},
		{name: "public client", form: url.Values{"client_id": {"gatehouse-cli"}},
			want: oauth.ClientAuth{ClientID: "gatehouse-cli", Method: "none"}, wantOK: true},
		{name: "secret without client_id", form: url.Values{"client_secret": {"s"}}, wantCode: gatehouse.CodeInvalidClient},
		{name: "nothing", form: url.Values{}},
		{name: "a bearer header is not client authentication", header: "Bearer gth_sk_live_x", form: url.Values{"client_id": {"cli_abc"}},
			want: oauth.ClientAuth{ClientID: "cli_abc", Method: "none"}, wantOK: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/oauth2/token", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			form := tc.form
			if form == nil {
				form = url.Values{}
			}
			got, ok, err := oauthClientAuth(r, form)
			if code := gatehouse.ErrorCode(err); code != tc.wantCode {
				t.Fatalf("error %v, want code %q", err, tc.wantCode)
			}
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("got %+v, %v; want %+v, %v", got, ok, tc.want, tc.wantOK)
			}
			if err != nil && strings.Contains(err.Error(), "gth_cs_secret") {
				t.Errorf("the error echoes the secret: %v", err)
			}
		})
	}
}

func TestOAuthForm(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		target      string
		body        string
		wantCode    gatehouse.Code
		want        url.Values
	}{
		{name: "form", contentType: "application/x-www-form-urlencoded", body: "grant_type=refresh_token&refresh_token=x",
			want: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}},
		{name: "form with charset", contentType: "application/x-www-form-urlencoded; charset=utf-8", body: "a=1",
			want: url.Values{"a": {"1"}}},
		{name: "query parameters are ignored", contentType: "application/x-www-form-urlencoded", target: "/oauth2/token?code=fromquery", body: "a=1",
			want: url.Values{"a": {"1"}}},
		{name: "json is refused", contentType: "application/json", body: `{"grant_type":"x"}`, wantCode: gatehouse.CodeInvalidRequest},
		{name: "no content type", body: "a=1", wantCode: gatehouse.CodeInvalidRequest},
		{name: "multipart is refused", contentType: "multipart/form-data; boundary=x", body: "--x--", wantCode: gatehouse.CodeInvalidRequest},
		{name: "repeated parameter", contentType: "application/x-www-form-urlencoded", body: "code=a&code=b", wantCode: gatehouse.CodeInvalidRequest},
		{name: "malformed", contentType: "application/x-www-form-urlencoded", body: "a=%zz", wantCode: gatehouse.CodeInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := tc.target
			if target == "" {
				target = "/oauth2/token"
			}
			r := httptest.NewRequest("POST", target, strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			got, err := oauthForm(r)
			if code := gatehouse.ErrorCode(err); code != tc.wantCode {
				t.Fatalf("error %v, want code %q", err, tc.wantCode)
			}
			if err == nil && got.Encode() != tc.want.Encode() {
				t.Errorf("form %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWriteOAuthError(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		challenge string
		status    int
		code      string
		wantAuth  string
	}{
		{name: "invalid_request", err: &gatehouse.Error{Code: gatehouse.CodeInvalidRequest}, status: 400, code: "invalid_request"},
		{name: "invalid_client with Basic", err: &gatehouse.Error{Code: gatehouse.CodeInvalidClient}, status: 401, code: "invalid_client", wantAuth: `Basic realm="gatehouse"`},
		{name: "invalid_client with Bearer", err: &gatehouse.Error{Code: gatehouse.CodeInvalidClient}, challenge: `Bearer realm="gatehouse"`, status: 401, code: "invalid_client", wantAuth: `Bearer realm="gatehouse"`},
		{name: "wrong secret is invalid_client", err: &gatehouse.Error{Code: gatehouse.CodeInvalidCredentials, Message: "Invalid client credentials."}, status: 401, code: "invalid_client", wantAuth: `Basic realm="gatehouse"`},
		{name: "invalid_grant", err: &gatehouse.Error{Code: gatehouse.CodeInvalidGrant}, status: 400, code: "invalid_grant"},
		{name: "unauthorized_client", err: &gatehouse.Error{Code: gatehouse.CodeUnauthorizedClient}, status: 400, code: "unauthorized_client"},
		{name: "unsupported_grant_type", err: &gatehouse.Error{Code: gatehouse.CodeUnsupportedGrantType}, status: 400, code: "unsupported_grant_type"},
		{name: "invalid_scope", err: &gatehouse.Error{Code: gatehouse.CodeInvalidScope}, status: 400, code: "invalid_scope"},
		{name: "authorization_pending", err: &gatehouse.Error{Code: gatehouse.CodeAuthorizationPending}, status: 400, code: "authorization_pending"},
		{name: "slow_down", err: &gatehouse.Error{Code: gatehouse.CodeSlowDown}, status: 400, code: "slow_down"},
		{name: "expired_token is 400 here", err: &gatehouse.Error{Code: gatehouse.CodeExpiredToken}, status: 400, code: "expired_token"},
		{name: "access_denied is 400 here", err: &gatehouse.Error{Code: gatehouse.CodeAccessDenied}, status: 400, code: "access_denied"},
		{name: "unsupported_token_type", err: &gatehouse.Error{Code: gatehouse.CodeUnsupportedTokenType}, status: 400, code: "unsupported_token_type"},
		{name: "rate limited", err: &gatehouse.Error{Code: gatehouse.CodeRateLimited}, status: 429, code: "rate_limited"},
		{name: "internal", err: errInternalForTest, status: 500, code: "server_error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logger, _ := newTestLogger()
			h := RequestContext(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				WriteOAuthError(w, r, tc.err, tc.challenge)
			}))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("POST", "/oauth2/token", nil))
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			if got := OAuthStatusOf(gatehouse.Code(tc.code)); tc.code != "server_error" && got != tc.status {
				t.Errorf("OAuthStatusOf = %d, want %d", got, tc.status)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.wantAuth {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.wantAuth)
			}
			if w.Header().Get("Content-Type") != "application/json" || w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v", w.Header())
			}
			// The same body as WriteError: one writer of error bodies.
			body := decodeErrorBody(t, w.Body.Bytes())
			if body.Error != tc.code || body.Description == "" || body.RequestID == "" {
				t.Errorf("body %+v, want error %q with a description and a request_id", body, tc.code)
			}
		})
	}
	// The /v1 table is unchanged by the OAuth one.
	if StatusOf(gatehouse.CodeExpiredToken) != 401 || StatusOf(gatehouse.CodeAccessDenied) != 403 {
		t.Error("the /v1 statuses of expired_token and access_denied changed")
	}
}

var errInternalForTest = &gatehouse.Error{Code: gatehouse.CodeInternal, Message: "SELECT secret"}

// oauthServer is a Server with the real pages and a provider that the requests of these tests
// never reach: they are refused before (no client, wrong body, no session).
func oauthServer(t *testing.T, withProvider bool) http.Handler {
	t.Helper()
	pages, err := web.New()
	if err != nil {
		t.Fatal(err)
	}
	public, _ := url.Parse("http://gatehouse.test")
	logger, _ := newTestLogger()
	s := &Server{Pages: pages, PublicURL: public, Logger: logger}
	if withProvider {
		s.OAuth = &oauth.Provider{}
	}
	return s.Handler()
}

func TestOAuthWithoutProvider(t *testing.T) {
	h := oauthServer(t, false)
	for _, target := range []string{
		"GET /.well-known/openid-configuration", "GET /.well-known/oauth-authorization-server",
		"POST /oauth2/token", "POST /oauth2/device_authorization", "POST /oauth2/introspect", "POST /oauth2/revoke",
		"GET /oauth2/userinfo", "GET /oauth2/authorize", "GET /oauth2/consent", "GET /device", "GET /v1/device",
		"GET /v1/me/consents",
	} {
		method, path, _ := strings.Cut(target, " ")
		r := httptest.NewRequest(method, path, strings.NewReader(""))
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", target, w.Code)
		}
	}
}

// TestOAuthRefusedBeforeTheProvider covers what the handlers answer on their own.
func TestOAuthRefusedBeforeTheProvider(t *testing.T) {
	h := oauthServer(t, true)
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name        string
		method      string
		target      string
		contentType string
		body        string
		header      [2]string
		status      int
		code        string // JSON error code, "" for a page or a redirect
		wantAuth    string
		location    string
		contains    string
	}{
		{name: "token takes no JSON", method: "POST", target: "/oauth2/token", contentType: "application/json",
			body: `{"grant_type":"client_credentials"}`, status: 400, code: "invalid_request"},
		{name: "token with two client authentications", method: "POST", target: "/oauth2/token", contentType: form,
			body: "grant_type=client_credentials&client_secret=s", header: [2]string{"Authorization", basic("cli_a", "s")},
			status: 400, code: "invalid_request"},
		{name: "token with malformed Basic", method: "POST", target: "/oauth2/token", contentType: form,
			body: "grant_type=client_credentials", header: [2]string{"Authorization", "Basic %%%"},
			status: 401, code: "invalid_client", wantAuth: `Basic realm="gatehouse"`},
		{name: "token with a repeated parameter", method: "POST", target: "/oauth2/token", contentType: form,
			body: "grant_type=a&grant_type=b&client_id=x", status: 400, code: "invalid_request"},
		{name: "device authorization without a client", method: "POST", target: "/oauth2/device_authorization", contentType: form,
			body: "scope=openid", status: 401, code: "invalid_client", wantAuth: `Basic realm="gatehouse"`},
		{name: "revoke without a client", method: "POST", target: "/oauth2/revoke", contentType: form,
			body: "token=x", status: 401, code: "invalid_client", wantAuth: `Basic realm="gatehouse"`},
		{name: "revoke without a token", method: "POST", target: "/oauth2/revoke", contentType: form,
			body: "client_id=cli_a&client_secret=s", status: 400, code: "invalid_request"},
		{name: "introspect without a caller", method: "POST", target: "/oauth2/introspect", contentType: form,
			body: "token=x", status: 401, code: "invalid_client", wantAuth: `Basic realm="gatehouse"`},
		{name: "introspect with bearer and client", method: "POST", target: "/oauth2/introspect", contentType: form,
			body: "token=x&client_id=cli_a", header: [2]string{"Authorization", "Bearer gth_sk_live_x"}, status: 400, code: "invalid_request"},
		{name: "introspect without a token", method: "POST", target: "/oauth2/introspect", contentType: form,
			body: "client_id=cli_a&client_secret=s", status: 400, code: "invalid_request"},
		{name: "userinfo without a token", method: "GET", target: "/oauth2/userinfo",
			status: 401, code: "invalid_token", wantAuth: `Bearer realm="gatehouse", error="invalid_token"`},
		{name: "userinfo with Basic", method: "GET", target: "/oauth2/userinfo", header: [2]string{"Authorization", basic("a", "b")},
			status: 401, code: "invalid_token", wantAuth: `Bearer realm="gatehouse", error="invalid_token"`},
		{name: "device API needs a credential", method: "GET", target: "/v1/device?user_code=ABCD-EFGH",
			status: 401, code: "invalid_token", wantAuth: `Bearer realm="gatehouse", error="invalid_token"`},
		{name: "consents need a credential", method: "GET", target: "/v1/me/consents", status: 401, code: "invalid_token",
			wantAuth: `Bearer realm="gatehouse", error="invalid_token"`},
		{name: "authorize with a repeated parameter is a page, never a redirect", method: "GET",
			target: "/oauth2/authorize?client_id=a&client_id=b&redirect_uri=https%3A%2F%2Fevil.example%2F", status: 400,
			contains: `role="alert"`},
		{name: "device page sends to login with the code", method: "GET", target: "/device?user_code=abcd+efgh",
			status: 303, location: "/login?next=%2Fdevice%3Fuser_code%3DABCD-EFGH"},
		{name: "device page sends to login", method: "GET", target: "/device", status: 303, location: "/login?next=%2Fdevice"},
		{name: "device form post sends to login", method: "POST", target: "/device", contentType: form, body: "user_code=WXYZ-1234&action=approve",
			status: 303, location: "/login?next=%2Fdevice%3Fuser_code%3DWXYZ-1234"},
		{name: "cross-site consent post is refused", method: "POST", target: "/oauth2/consent", contentType: form,
			body: "client_id=a&action=approve", header: [2]string{"Sec-Fetch-Site", "cross-site"}, status: 403, code: "forbidden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			if tc.header[0] != "" {
				r.Header.Set(tc.header[0], tc.header[1])
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d; body: %s", w.Code, tc.status, w.Body)
			}
			if tc.code != "" {
				var body struct {
					Error string `json:"error"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error != tc.code {
					t.Errorf("body %s, want error %q", w.Body, tc.code)
				}
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.wantAuth {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.wantAuth)
			}
			if got := w.Header().Get("Location"); got != tc.location {
				t.Errorf("Location %q, want %q", got, tc.location)
			}
			if tc.contains != "" && !strings.Contains(w.Body.String(), tc.contains) {
				t.Errorf("body lacks %q:\n%s", tc.contains, w.Body)
			}
		})
	}
}

// TestLoginNextIsLocalOnly: /login carries next= (the authorization request) only when it is a
// path of this server.
func TestLoginNextIsLocalOnly(t *testing.T) {
	h := oauthServer(t, false)
	tests := []struct {
		name, next, want string
	}{
		{"authorization request kept", "/oauth2/authorize?client_id=cli_a&state=x", "/oauth2/authorize?client_id=cli_a&amp;state=x"},
		{"device kept", "/device?user_code=ABCD-EFGH", "/device?user_code=ABCD-EFGH"},
		{"scheme-relative", "//evil.com", "/"},
		{"scheme-relative with path", "//evil.com/oauth2/authorize", "/"},
		{"absolute", "https://evil.com", "/"},
		{"absolute http", "http://evil.com/", "/"},
		{"backslash", `/\evil.com`, "/"},
		{"javascript", "javascript:alert(1)", "/"},
		{"no leading slash", "evil.com", "/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/login?next="+url.QueryEscape(tc.next), nil))
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			if want := `name="next" value="` + tc.want + `"`; !strings.Contains(w.Body.String(), want) {
				t.Errorf("body lacks %s", want)
			}
		})
	}
}

func TestFormActionFor(t *testing.T) {
	tests := []struct {
		name, uri, source string
		ok                bool
	}{
		{"https", "https://App.Example.com/cb?x=1", "https://app.example.com", true},
		{"loopback with port", "http://127.0.0.1:8080/callback", "http://127.0.0.1:8080", true},
		{"ipv6 loopback", "http://[::1]:9000/cb", "http://[::1]:9000", true},
		{"native app scheme", "com.example.app:/oauth2redirect", "com.example.app:", true},
		{"empty", "", "", false},
		{"relative", "/cb", "", false},
		{"policy injection", "https://a.example;script-src%20*/cb", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			policy, ok := formActionFor(tc.uri)
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v (policy %q)", ok, tc.ok, policy)
			}
			if !ok {
				return
			}
			if !strings.Contains(policy, "form-action 'self' "+tc.source+";") && !strings.HasSuffix(policy, "form-action 'self' "+tc.source) {
				t.Errorf("policy %q lacks form-action 'self' %s", policy, tc.source)
			}
			if !strings.Contains(policy, "frame-ancestors 'none'") || !strings.HasPrefix(policy, "default-src 'self'") {
				t.Errorf("policy %q lost the rest of the page policy", policy)
			}
		})
	}
}

func TestNormalizeUserCode(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"canonical", "ABCD-EFGH", "ABCD-EFGH"},
		{"lower case", "abcd-efgh", "ABCD-EFGH"},
		{"no dash", "abcdefgh", "ABCD-EFGH"},
		{"spaces", " ab cd efgh ", "ABCD-EFGH"},
		{"too short is left alone", "abc", "ABC"},
		{"empty", "  ", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := normalizeUserCode(tc.in); got != tc.want {
				t.Errorf("normalizeUserCode(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestScopeText(t *testing.T) {
	tests := []struct{ scope, want string }{
		{"openid", "Know who you are (sign you in with your Gatehouse account)"},
		{"email", "See your email address"},
		{"calls:read", "Read your calls"},
		{"calls:write", "Create, change and delete your calls"},
		{"*:read", "Read all your data"},
		{"weird", "Use the permission “weird”"},
	}
	for _, tc := range tests {
		t.Run(tc.scope, func(t *testing.T) {
			if got := scopeText(tc.scope); got != tc.want {
				t.Errorf("scopeText(%q) = %q, want %q", tc.scope, got, tc.want)
			}
		})
	}
}

func TestAuthorizeRequestRoundTrip(t *testing.T) {
	req := oauth.AuthorizeRequest{
		ClientID: "cli_a", RedirectURI: "https://app.example.com/cb?x=1", ResponseType: "code", Scope: "openid calls:read",
		State: "s&t=1", Nonce: "n", CodeChallenge: "abc", CodeChallengeMethod: "S256", Prompt: "consent",
	}
	u, err := url.Parse(authorizeURL(req))
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/oauth2/authorize" || u.Query().Has("response_mode") {
		t.Errorf("URL %s", u)
	}
	if got := authorizeRequestOf(u.Query()); got != req {
		t.Errorf("round trip %+v, want %+v", got, req)
	}
}
