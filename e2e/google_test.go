package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-auth/gatehouse/config"
)

const (
	googleClientID     = "gatehouse-test.apps.example.com"
	googleClientSecret = "mock-client-secret"
)

// mockIssuer is an in-process OpenID Connect issuer: discovery, JWKS, an authorization endpoint
// that approves at once (as the person set by signInAs) and a token endpoint that checks the
// client secret, the redirect URI and the PKCE verifier before it returns a signed ID token.
type mockIssuer struct {
	t   *testing.T
	srv *httptest.Server
	key *rsa.PrivateKey

	mu      sync.Mutex
	person  googlePerson
	codes   map[string]issuedCode
	nonces  []string // nonces the authorization requests carried
	pkceOK  int      // token requests whose verifier matched
	refused int      // token requests refused
}

type googlePerson struct {
	sub, email string
	verified   bool
}

type issuedCode struct {
	person                        googlePerson
	nonce, challenge, redirectURI string
}

func startMockIssuer(t *testing.T) *mockIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	m := &mockIssuer{t: t, key: key, codes: map[string]issuedCode{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeMockJSON(w, http.StatusOK, map[string]any{
			"issuer":                                m.issuer(),
			"authorization_endpoint":                m.issuer() + "/authorize",
			"token_endpoint":                        m.issuer() + "/token",
			"jwks_uri":                              m.issuer() + "/jwks",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"code_challenge_methods_supported":      []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		writeMockJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", m.authorize)
	mux.HandleFunc("POST /token", m.token)
	m.srv = httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(m.srv.Close)
	return m
}

func (m *mockIssuer) issuer() string { return m.srv.URL }

func (m *mockIssuer) signInAs(p googlePerson) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.person = p
}

func (m *mockIssuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != googleClientID || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" || !strings.Contains(q.Get("scope"), "openid") {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	code := base64.RawURLEncoding.EncodeToString(randomBytes(16))
	m.mu.Lock()
	m.codes[code] = issuedCode{person: m.person, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri")}
	m.nonces = append(m.nonces, q.Get("nonce"))
	m.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (m *mockIssuer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	m.mu.Lock()
	c, found := m.codes[r.PostForm.Get("code")]
	delete(m.codes, r.PostForm.Get("code")) // single use
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	pkce := base64.RawURLEncoding.EncodeToString(sum[:])
	good := found && id == googleClientID && subtle.ConstantTimeCompare([]byte(secret), []byte(googleClientSecret)) == 1 &&
		r.PostForm.Get("grant_type") == "authorization_code" && r.PostForm.Get("redirect_uri") == c.redirectURI && pkce == c.challenge
	if good {
		m.pkceOK++
	} else {
		m.refused++
	}
	m.mu.Unlock()
	if !good {
		writeMockJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	idToken := m.sign(m.key, m.claims(c.person, func(cl map[string]any) { cl["nonce"] = c.nonce }))
	writeMockJSON(w, http.StatusOK, map[string]any{"access_token": "mock-access", "token_type": "Bearer", "expires_in": 3600, "id_token": idToken})
}

// claims are good ID token claims for p; edit adjusts them.
func (m *mockIssuer) claims(p googlePerson, edit func(map[string]any)) map[string]any {
	now := time.Now()
	cl := map[string]any{
		"iss": m.issuer(), "aud": googleClientID, "sub": p.sub, "email": p.email, "email_verified": p.verified,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "name": "Test Person",
	}
	if edit != nil {
		edit(cl)
	}
	return cl
}

// idToken is a signed ID token for p with claims adjusted by edit.
func (m *mockIssuer) idToken(p googlePerson, edit func(map[string]any)) string {
	return m.sign(m.key, m.claims(p, edit))
}

func (m *mockIssuer) sign(key *rsa.PrivateKey, claims map[string]any) string {
	m.t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		m.t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		m.t.Fatal(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		m.t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		m.t.Fatal(err)
	}
	return s
}

func writeMockJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// startWithGoogle runs a server with mail (for verified addresses) and Google sign-in against a
// fresh mock issuer.
func startWithGoogle(t *testing.T, dbURL string) (*server, *inbox, *mockIssuer) {
	t.Helper()
	idp := startMockIssuer(t)
	s, in := startWithMail(t, dbURL, func(c *config.Config) {
		c.GoogleClientID = googleClientID
		c.GoogleClientSecret = googleClientSecret
		c.GoogleIssuer = idp.issuer()
	})
	return s, in, idp
}

// googleSignIn posts an ID token (with the bearer, when not "") and returns the answer.
func (s *server) googleSignIn(bearer, credential, nonce string) response {
	s.t.Helper()
	body := map[string]string{"credential": credential}
	if nonce != "" {
		body["nonce"] = nonce
	}
	return s.do("POST", "/v1/auth/google", bearer, body)
}

func grantUser(t *testing.T, r response) (token, userID, username string) {
	t.Helper()
	v := r.json(t)
	u, _ := v["user"].(map[string]any)
	tok, _ := v["token"].(string)
	id, _ := u["id"].(string)
	name, _ := u["username"].(string)
	if tok == "" || id == "" {
		t.Fatalf("no token or user in %s", r.body)
	}
	return tok, id, name
}

func (s *server) account(bearer string) map[string]any {
	s.t.Helper()
	r := s.do("GET", "/v1/me/account", bearer, nil)
	mustStatus(s.t, r, http.StatusOK)
	return r.json(s.t)
}

func methodsOf(a map[string]any) []string {
	var out []string
	list, _ := a["available_sign_in_methods"].([]any)
	for _, m := range list {
		s, _ := m.(string)
		out = append(out, s)
	}
	return out
}

func TestGoogleIDTokenSignIn(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, in, idp := startWithGoogle(t, dbURL)
		newcomer := googlePerson{sub: "g-100", email: "new.comer+x@example.com", verified: true}

		// A good token signs up a password-less account with the verified address.
		r := s.googleSignIn("", idp.idToken(newcomer, nil), "")
		mustStatus(t, r, http.StatusOK)
		tok, id, name := grantUser(t, r)
		if name != "new_comer_x" {
			t.Errorf("username %q, want new_comer_x", name)
		}
		if me := s.me(tok); me["email"] != newcomer.email || me["email_verified"] != true {
			t.Errorf("me = %v", me)
		}
		// The same subject signs in again: the same account.
		r = s.googleSignIn("", idp.idToken(newcomer, nil), "")
		mustStatus(t, r, http.StatusOK)
		if _, again, _ := grantUser(t, r); again != id {
			t.Errorf("second sign-in is user %s, want %s", again, id)
		}

		// Bad tokens.
		otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		bad := []struct {
			name, credential, nonce string
		}{
			{"wrong audience", idp.idToken(newcomer, func(c map[string]any) { c["aud"] = "someone-else" }), ""},
			{"wrong issuer", idp.idToken(newcomer, func(c map[string]any) { c["iss"] = "https://evil.example.com" }), ""},
			{"expired", idp.idToken(newcomer, func(c map[string]any) {
				c["iat"] = time.Now().Add(-3 * time.Hour).Unix()
				c["exp"] = time.Now().Add(-2 * time.Hour).Unix()
			}), ""},
			{"bad signature", idp.sign(otherKey, idp.claims(newcomer, nil)), ""},
			{"not a token", "not.a.token", ""},
			{"nonce mismatch", idp.idToken(newcomer, func(c map[string]any) { c["nonce"] = "n-1" }), "n-2"},
			{"nonce missing from token", idp.idToken(newcomer, nil), "n-2"},
		}
		for _, tc := range bad {
			t.Run(tc.name, func(t *testing.T) {
				r := s.googleSignIn("", tc.credential, tc.nonce)
				mustStatus(t, r, http.StatusUnauthorized)
				if c := r.errorCode(t); c != "invalid_credentials" {
					t.Errorf("error %q, want invalid_credentials", c)
				}
			})
		}
		r = s.googleSignIn("", idp.idToken(newcomer, func(c map[string]any) { c["nonce"] = "n-1" }), "n-1")
		mustStatus(t, r, http.StatusOK)

		// Same verified email on both sides: linked, and signs in to the existing account.
		aliceTok, aliceID := s.register("alice", recoveryPassword, "alice@example.com")
		mustStatus(t, s.do("POST", "/v1/auth/verify-email", aliceTok, map[string]string{"code": in.code("alice@example.com")}), http.StatusOK)
		r = s.googleSignIn("", idp.idToken(googlePerson{sub: "g-alice", email: "alice@example.com", verified: true}, nil), "")
		mustStatus(t, r, http.StatusOK)
		if _, got, _ := grantUser(t, r); got != aliceID {
			t.Errorf("verified email signed in %s, want alice %s", got, aliceID)
		}
		if a := s.account(aliceTok); a["google_linked"] != true {
			t.Errorf("alice's account %v: not linked", a)
		}

		// The account's address is not verified: no link (pre-hijacking), no second account.
		bobTok, _ := s.register("bob", recoveryPassword, "bob@example.com")
		r = s.googleSignIn("", idp.idToken(googlePerson{sub: "g-bob", email: "bob@example.com", verified: true}, nil), "")
		mustStatus(t, r, http.StatusConflict)
		if c := r.errorCode(t); c != "email_taken" {
			t.Errorf("error %q, want email_taken", c)
		}
		if a := s.account(bobTok); a["google_linked"] != false {
			t.Errorf("bob's unverified account was linked: %v", a)
		}
		// Google does not vouch for the address: no link to the verified account either.
		r = s.googleSignIn("", idp.idToken(googlePerson{sub: "g-fake-alice", email: "alice@example.com", verified: false}, nil), "")
		mustStatus(t, r, http.StatusConflict)

		// Signed in: Google is linked to the current account whatever its address.
		carolTok, carolID := s.register("carol", recoveryPassword, "")
		r = s.googleSignIn(carolTok, idp.idToken(googlePerson{sub: "g-carol", email: "carol.elsewhere@example.com", verified: true}, nil), "")
		mustStatus(t, r, http.StatusOK)
		if _, got, _ := grantUser(t, r); got != carolID {
			t.Errorf("signed-in link went to %s, want carol %s", got, carolID)
		}
		// A Google account linked elsewhere cannot be linked again.
		r = s.googleSignIn(carolTok, idp.idToken(newcomer, nil), "")
		mustStatus(t, r, http.StatusConflict)

		a := s.account(carolTok)
		want := map[string]any{"username": "carol", "has_password": true, "google_linked": true, "can_unlink_google": true,
			"passkey_count": float64(0), "email_verified": false, "plan_source": "free"}
		for k, v := range want {
			if a[k] != v {
				t.Errorf("carol's account %s = %v, want %v", k, a[k], v)
			}
		}
		if m := methodsOf(a); !slices.Equal(m, []string{"password", "google"}) {
			t.Errorf("carol's methods %v, want [password google]", m)
		}
		mustStatus(t, s.do("POST", "/v1/me/google/unlink", carolTok, nil), http.StatusNoContent)
		if a := s.account(carolTok); a["google_linked"] != false || a["can_unlink_google"] != false {
			t.Errorf("after unlink: %v", a)
		}
		mustStatus(t, s.do("POST", "/v1/me/google/unlink", carolTok, nil), http.StatusNotFound)

		// Google is the only way in (no password, no passkey, no verified address): 409.
		r = s.googleSignIn("", idp.idToken(googlePerson{sub: "g-dave", email: "dave@example.com", verified: false}, nil), "")
		mustStatus(t, r, http.StatusOK)
		daveTok, _, _ := grantUser(t, r)
		a = s.account(daveTok)
		if a["has_password"] != false || a["can_unlink_google"] != false || !slices.Equal(methodsOf(a), []string{"google"}) {
			t.Errorf("dave's account %v", a)
		}
		r = s.do("POST", "/v1/me/google/unlink", daveTok, nil)
		mustStatus(t, r, http.StatusConflict)
		if c := r.errorCode(t); c != "conflict" {
			t.Errorf("error %q, want conflict", c)
		}
		// The newcomer has a verified address and mail is on: magic links remain, so unlinking works.
		a = s.account(tok)
		if !slices.Equal(methodsOf(a), []string{"google", "magic_link"}) || a["can_unlink_google"] != true {
			t.Errorf("newcomer's account %v", a)
		}
		mustStatus(t, s.do("POST", "/v1/me/google/unlink", tok, nil), http.StatusNoContent)
	})
}

func TestGoogleNotConfigured(t *testing.T) {
	s := start(t, backends()[0].dbURL(t), nil)
	mustStatus(t, s.googleSignIn("", "x.y.z", ""), http.StatusNotFound)
	mustStatus(t, s.do("GET", "/v1/auth/google/start", "", nil), http.StatusNotFound)
	c := browser(t)
	page := s.getPage(c, "/login")
	mustStatus(t, page, http.StatusOK)
	if contains(page.body, "google-sign-in") {
		t.Errorf("the login page offers Google although it is not configured")
	}
}

// followToServer turns a Location aimed at the public URL into a path on the test server.
func followToServer(t *testing.T, location string) string {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host; got != recoveryPublicURL {
		t.Fatalf("redirect to %q, want the public URL %s", location, recoveryPublicURL)
	}
	return u.RequestURI()
}

func TestGoogleRedirectFlow(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, _, idp := startWithGoogle(t, dbURL)
		idp.signInAs(googlePerson{sub: "g-erin", email: "erin@example.com", verified: true})
		c := browser(t)

		login := s.getPage(c, "/login?next=/account/connected")
		mustStatus(t, login, http.StatusOK)
		if !contains(login.body, `href="/v1/auth/google/start?next=%2faccount%2fconnected"`) && !contains(login.body, `href="/v1/auth/google/start?next=%2Faccount%2Fconnected"`) {
			t.Fatalf("no Continue with Google link on /login:\n%s", login.body)
		}

		// start → the issuer, with state, nonce and PKCE S256.
		r := s.getPage(c, "/v1/auth/google/start?next=/account/connected")
		mustStatus(t, r, http.StatusFound)
		authURL, err := url.Parse(r.header.Get("Location"))
		if err != nil || !strings.HasPrefix(authURL.String(), idp.issuer()+"/authorize?") {
			t.Fatalf("start redirected to %q", r.header.Get("Location"))
		}
		q := authURL.Query()
		for _, k := range []string{"state", "nonce", "code_challenge"} {
			if q.Get(k) == "" {
				t.Errorf("authorization request has no %s", k)
			}
		}
		if q.Get("code_challenge_method") != "S256" || q.Get("redirect_uri") != recoveryPublicURL+"/v1/auth/google/callback" {
			t.Errorf("authorization request %v", q)
		}
		// The issuer approves and sends the browser back.
		res, err := c.Get(authURL.String())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusFound {
			t.Fatalf("issuer answered %d", res.StatusCode)
		}
		callback := followToServer(t, res.Header.Get("Location"))

		// Another browser cannot finish this flow.
		mustStatus(t, s.getPage(browser(t), callback), http.StatusBadRequest)

		r = s.getPage(c, callback)
		mustStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/account/connected" {
			t.Errorf("callback went to %q, want /account/connected", loc)
		}
		idp.mu.Lock()
		pkceOK, nonces := idp.pkceOK, slices.Clone(idp.nonces)
		idp.mu.Unlock()
		if pkceOK != 1 || len(nonces) != 1 || nonces[0] != q.Get("nonce") {
			t.Errorf("PKCE exchanges %d, nonces %v", pkceOK, nonces)
		}
		page := s.getPage(c, "/account/connected")
		mustStatus(t, page, http.StatusOK)
		if !contains(page.body, `id="google-status">linked`) || !contains(page.body, "erin") {
			t.Errorf("connected tab does not show Google linked for erin:\n%s", page.body)
		}

		// Replaying the state fails even with the state cookie put back: the flow is single use.
		base, _ := url.Parse(s.base)
		c.Jar.SetCookies(base, []*http.Cookie{{Name: "gatehouse_oidc", Value: q.Get("state"), Path: "/"}})
		mustStatus(t, s.getPage(c, callback), http.StatusBadRequest)

		// Linking from the account page while signed in as someone else.
		c2 := browser(t)
		form := url.Values{"username": {"frank"}, "password": {recoveryPassword}, "email": {""}}
		mustStatus(t, s.postForm(c2, "/register", form), http.StatusSeeOther)
		page = s.getPage(c2, "/account/connected")
		mustStatus(t, page, http.StatusOK)
		if !contains(page.body, `id="google-link"`) {
			t.Fatalf("no Link Google button for frank:\n%s", page.body)
		}
		idp.signInAs(googlePerson{sub: "g-frank", email: "frank@gmail.example", verified: true})
		r = s.getPage(c2, "/v1/auth/google/start?next=/account/connected")
		mustStatus(t, r, http.StatusFound)
		res, err = c2.Get(r.header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		mustStatus(t, s.getPage(c2, followToServer(t, res.Header.Get("Location"))), http.StatusSeeOther)
		page = s.getPage(c2, "/account/connected")
		if !contains(page.body, `id="google-status">linked`) || !contains(page.body, `id="google-unlink"`) {
			t.Fatalf("frank's Google not linked:\n%s", page.body)
		}
		// Unlink from the page: 303 back with a notice.
		r = s.postForm(c2, "/account/connected/google/unlink", url.Values{})
		mustStatus(t, r, http.StatusSeeOther)
		page = s.getPage(c2, r.header.Get("Location"))
		if !contains(page.body, `id="google-status">not linked`) || !contains(page.body, "unlinked") {
			t.Errorf("after unlink:\n%s", page.body)
		}

		// Google-only without a verified address: the page refuses with the reason.
		idp.signInAs(googlePerson{sub: "g-gina", email: "gina@example.com", verified: false})
		c3 := browser(t)
		r = s.getPage(c3, "/v1/auth/google/start")
		res, err = c3.Get(r.header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		mustStatus(t, s.getPage(c3, followToServer(t, res.Header.Get("Location"))), http.StatusSeeOther)
		page = s.getPage(c3, "/account/connected")
		if !contains(page.body, `id="google-last-way"`) || contains(page.body, `id="google-unlink"`) {
			t.Errorf("gina's tab offers unlinking the last way in:\n%s", page.body)
		}
		r = s.postForm(c3, "/account/connected/google/unlink", url.Values{})
		mustStatus(t, r, http.StatusConflict)
		if !contains(r.body, "only way to sign in") {
			t.Errorf("refusal without the reason:\n%s", r.body)
		}
	})
}
