package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/keys"
	"github.com/gatehouse-auth/gatehouse/password"
	"github.com/gatehouse-auth/gatehouse/ratelimit/memory"
	"github.com/gatehouse-auth/gatehouse/store/pgtest"
	"github.com/gatehouse-auth/gatehouse/store/sqlstore"
)

const (
	testIssuer = "https://id.example.test"
	testPW     = "correct horse battery staple"
)

var cheap = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a provider over a real store, with the real auth services and key manager.
type fixture struct {
	p       *Provider
	svc     *auth.Services
	clients *auth.OAuthClients
	orgs    *auth.Orgs
	agents  *auth.Agents
	pats    *auth.PATs
	apiKeys *auth.APIKeys
	store   gatehouse.Store
	keys    *keys.Manager
	clock   *clock
	org     *gatehouse.Org
	owner   *person // owns org
}

// person is a signed-in user: their session token and principal.
type person struct {
	user  *gatehouse.User
	token string
	pr    *gatehouse.Principal
}

// eachStore runs fn on a fresh SQLite file and, when GATEHOUSE_TEST_POSTGRES_URL is set, on a
// fresh PostgreSQL schema.
func eachStore(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Run("sqlite", func(t *testing.T) {
		s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "oauth.db"))
		if err != nil {
			t.Fatalf("open SQLite: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, newFixture(t, s))
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("GATEHOUSE_TEST_POSTGRES_URL")
		if base == "" {
			t.Skip("GATEHOUSE_TEST_POSTGRES_URL is not set: skipping PostgreSQL " +
				"(e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
		}
		s, err := sqlstore.OpenPostgres(context.Background(), pgtest.FreshSchema(t, "oauth_test_"))
		if err != nil {
			t.Fatalf("open PostgreSQL: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, newFixture(t, s))
	})
}

func newFixture(t *testing.T, store gatehouse.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	km, err := keys.New(store, keys.Options{Now: c.now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := km.Init(ctx); err != nil {
		t.Fatal(err)
	}
	verifier := NewAccessTokenVerifier(store, km, testIssuer+"/", "", c.now)
	authCfg := auth.Config{
		Brand: "gth", SessionTTL: 7 * 24 * time.Hour, IdleTimeout: 24 * time.Hour, DefaultOrg: "lobby",
		PasswordPolicy: password.Policy{MinLength: 8}, LoginThrottle: gatehouse.DefaultLoginThrottle,
		APIResources: []string{"calls", "agents", "analytics"}, PublicURL: testIssuer,
	}
	svc := auth.New(store, password.NewHasher(cheap, password.HasherOptions{}), authCfg, auth.Options{Now: c.now, Logger: quiet, AccessTokens: verifier})
	if err := svc.Init(ctx); err != nil {
		t.Fatal(err)
	}
	clients := svc.OAuthClients
	p := New(store, svc.Sessions, clients, km, Config{Issuer: testIssuer + "/", Brand: "gth"}, Options{
		Now: c.now, Logger: quiet, Limiter: memory.New(c.now), Verifier: verifier,
	})
	f := &fixture{p: p, svc: svc, clients: clients, orgs: svc.Orgs, agents: svc.Agents,
		pats: svc.PATs, apiKeys: svc.APIKeys, store: store, keys: km, clock: c}
	f.owner = f.register(t, "owner")
	if f.org, err = f.orgs.Create(ctx, f.owner.pr, "acme", auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	return f
}

// register signs up a person and signs them in.
func (f *fixture) register(t *testing.T, name string) *person {
	t.Helper()
	g, err := f.svc.Accounts.Register(context.Background(), auth.RegisterInput{Username: name, Password: testPW, Email: name + "@example.com", DisplayName: strings.ToUpper(name)}, auth.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return f.signIn(t, g.Token)
}

// signIn authenticates a bearer as a person.
func (f *fixture) signIn(t *testing.T, bearer string) *person {
	t.Helper()
	pr, err := f.svc.Sessions.Authenticate(context.Background(), bearer, auth.Meta{})
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return &person{user: pr.User, token: bearer, pr: pr}
}

// client registers an OAuth client of the fixture's org; secret is "" for public clients.
// appPrincipal verifies a third-party application's access token the way a resource server does
// (Verify: Authenticate refuses such tokens on Gatehouse's own API) and returns its principal.
func (f *fixture) appPrincipal(t *testing.T, bearer string) *gatehouse.Principal {
	t.Helper()
	v, err := f.svc.Sessions.Verify(context.Background(), auth.VerifyInput{Token: bearer}, auth.Meta{})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return v.Principal
}

// client registers an OAuth client of the fixture's org; secret is "" for public clients.
func (f *fixture) client(t *testing.T, in auth.OAuthClientInput) (*gatehouse.OAuthClient, ClientAuth) {
	t.Helper()
	if in.Name == "" {
		in.Name = "App"
	}
	g, err := f.clients.Create(context.Background(), f.owner.pr, f.org.ID, in, auth.Meta{})
	if err != nil {
		t.Fatalf("create client: %v", err)
	}
	ca := ClientAuth{ClientID: g.Client.ID, Method: MethodNone}
	if g.Secret != "" {
		ca = ClientAuth{ClientID: g.Client.ID, Secret: g.Secret, Method: MethodSecretBasic}
	}
	return g.Client, ca
}

// webApp is a confidential code-flow client with refresh and every OIDC scope.
func (f *fixture) webApp(t *testing.T) (*gatehouse.OAuthClient, ClientAuth) {
	return f.client(t, auth.OAuthClientInput{
		RedirectURIs: []string{"https://app.example.com/callback", "http://127.0.0.1:8400/cb"},
		GrantTypes:   []string{auth.GrantAuthorizationCode, auth.GrantRefreshToken},
		Scopes:       []string{"openid", "profile", "email", "offline_access", "calls:read"},
	})
}

// pkce returns a verifier and its S256 challenge.
func pkce(seed string) (verifier, challenge string) {
	verifier = strings.Repeat(seed, 43/len(seed)+1)[:43]
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorize runs ParseAuthorize and Approve for who and returns the code from the redirect.
func (f *fixture) authorize(t *testing.T, who *person, c *gatehouse.OAuthClient, redirect, scope, challenge string) string {
	t.Helper()
	ctx := context.Background()
	a, err := f.p.ParseAuthorize(ctx, AuthorizeRequest{
		ClientID: c.ID, RedirectURI: redirect, ResponseType: "code", Scope: scope, State: "st4te",
		Nonce: "n0nce", CodeChallenge: challenge, CodeChallengeMethod: "S256",
	})
	if err != nil {
		t.Fatalf("ParseAuthorize: %v", err)
	}
	to, err := f.p.Approve(ctx, who.pr, a, false, auth.Meta{})
	if err != nil {
		t.Fatalf("Approve: %v", err)
	}
	u, err := url.Parse(to)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("state") != "st4te" || q.Get("iss") != testIssuer || q.Get("code") == "" {
		t.Fatalf("redirect %s lacks code, state or iss", to)
	}
	return q.Get("code")
}

// codeTokens runs the whole code flow and returns the token response.
func (f *fixture) codeTokens(t *testing.T, who *person, c *gatehouse.OAuthClient, ca ClientAuth, scope string) *TokenResponse {
	t.Helper()
	verifier, challenge := pkce("v")
	redirect := c.RedirectURIs[0]
	code := f.authorize(t, who, c, redirect, scope, challenge)
	resp, err := f.p.Token(context.Background(), TokenRequest{
		GrantType: auth.GrantAuthorizationCode, Code: code, RedirectURI: redirect, CodeVerifier: verifier, Client: ca,
	}, auth.Meta{})
	if err != nil {
		t.Fatalf("exchange code: %v", err)
	}
	return resp
}

// wantCode fails unless err carries code ("" means no error).
func wantCode(t *testing.T, err error, code gatehouse.Code) {
	t.Helper()
	if got := gatehouse.ErrorCode(err); got != code {
		t.Fatalf("error %v (code %q), want %q", err, got, code)
	}
}

func asAuthorizeError(t *testing.T, err error) *AuthorizeError {
	t.Helper()
	var ae *AuthorizeError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an *AuthorizeError", err)
	}
	return ae
}
