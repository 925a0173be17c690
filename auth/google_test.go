package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-auth/gatehouse"
)

func TestUsernameFrom(t *testing.T) {
	tests := []struct{ name, email, want string }{
		{"plain", "ann@example.com", "ann"},
		{"dots and plus", "ann.lee+news@example.com", "ann_lee_news"},
		{"other characters dropped", "añn!#lee@example.com", "anlee"},
		{"too short gets a prefix", "a@example.com", "usera"},
		{"nothing usable", "!!!@example.com", "user"},
		{"trimmed to leave room for a suffix", "abcdefghijklmnopqrstuvwxyz@example.com", "abcdefghijklmnopqrs"},
		{"no email", "", "user"},
		{"edges trimmed", "_.ann-@example.com", "ann"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := usernameFrom(tc.email)
			if got != tc.want {
				t.Errorf("usernameFrom(%q) = %q, want %q", tc.email, got, tc.want)
			}
			if err := gatehouse.ValidateUsername(got); err != nil {
				t.Errorf("%q is not a valid username: %v", got, err)
			}
			if err := gatehouse.ValidateUsername(withSuffix(got, "abcd")); err != nil {
				t.Errorf("%q with a suffix is not valid: %v", got, err)
			}
		})
	}
}

func TestGoogleOffAnswersNotFound(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	_, err := f.svc.Google.SignIn(ctx, "x.y.z", "", nil, Meta{})
	if gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		t.Errorf("SignIn: %v, want not_found", err)
	}
	if _, _, err := f.svc.Google.Start(ctx, "/", nil); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		t.Errorf("Start: %v, want not_found", err)
	}
	if _, _, err := f.svc.Google.Callback(ctx, "s", "c", Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		t.Errorf("Callback: %v, want not_found", err)
	}
}

// An unreachable issuer does not stop the service from starting; sign-in says it is unavailable.
func TestGoogleDiscoveryIsLazy(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	issuer := dead.URL
	dead.Close()
	f := newFixture(t, func(c *Config) { c.Google = GoogleConfig{ClientID: "cid", ClientSecret: "s", Issuer: issuer} })
	_, err := f.svc.Google.SignIn(context.Background(), "x.y.z", "", nil, Meta{})
	if gatehouse.ErrorCode(err) != gatehouse.CodeUnavailable {
		t.Errorf("SignIn with the issuer down: %v, want temporarily_unavailable", err)
	}
}

// testIssuer serves discovery and keys; tokens are signed in the test.
type testIssuer struct {
	url string
	key *rsa.PrivateKey
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ti := &testIssuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": ti.url, "authorization_endpoint": ti.url + "/authorize", "token_endpoint": ti.url + "/token",
			"jwks_uri": ti.url + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k", Algorithm: "RS256", Use: "sig"}}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ti.url = srv.URL
	return ti
}

func (ti *testIssuer) token(t *testing.T, now time.Time, claims map[string]any) string {
	t.Helper()
	c := map[string]any{"iss": ti.url, "aud": "cid", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range claims {
		c[k] = v
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: ti.key}, (&jose.SignerOptions{}).WithHeader("kid", "k"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(c)
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGoogleSignUp(t *testing.T) {
	ti := newTestIssuer(t)
	f := newFixture(t, func(c *Config) { c.Google = GoogleConfig{ClientID: "cid", ClientSecret: "s", Issuer: ti.url} })
	ctx := context.Background()
	f.register(t, "ann", "") // takes the username Google's address suggests

	tests := []struct {
		name         string
		claims       map[string]any
		wantName     func(string) bool
		wantEmail    string
		wantVerified bool
	}{
		{"taken username gets a suffix, verified address kept",
			map[string]any{"sub": "s1", "email": "ann@example.com", "email_verified": true},
			func(n string) bool { return strings.HasPrefix(n, "ann-") && len(n) == len("ann-")+4 }, "ann@example.com", true},
		{"unverified address not kept (string claim)",
			map[string]any{"sub": "s2", "email": "bo@example.com", "email_verified": "false"},
			func(n string) bool { return n == "bo" }, "", false},
		{"verified as a string",
			map[string]any{"sub": "s3", "email": "cy@example.com", "email_verified": "true"},
			func(n string) bool { return n == "cy" }, "cy@example.com", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := f.svc.Google.SignIn(ctx, ti.token(t, f.clock.now(), tc.claims), "", nil, Meta{})
			if err != nil {
				t.Fatal(err)
			}
			u := g.User
			if !tc.wantName(u.Username) || u.Email != tc.wantEmail || u.EmailVerified != tc.wantVerified || u.PasswordHash != "" {
				t.Errorf("user %q email %q verified %v password %q", u.Username, u.Email, u.EmailVerified, u.PasswordHash)
			}
			orgs, err := f.store.ListUserOrgs(ctx, u.ID)
			if err != nil || len(orgs) != 1 {
				t.Errorf("memberships %v, %v: want the default organization", orgs, err)
			}
		})
	}

	// Expiry follows the service's clock.
	tok := ti.token(t, f.clock.now(), map[string]any{"sub": "s1"})
	f.clock.advance(2 * time.Hour)
	if _, err := f.svc.Google.SignIn(ctx, tok, "", nil, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidCredentials {
		t.Errorf("expired token: %v, want invalid_credentials", err)
	}
}
