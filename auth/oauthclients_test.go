package auth

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
)

func TestRedirectURIProblem(t *testing.T) {
	cases := []struct {
		name   string
		uri    string
		public bool
		ok     bool
	}{
		{"https", "https://app.example.com/callback", false, true},
		{"https with port and query", "https://app.example.com:8443/cb?x=1", false, true},
		{"http on 127.0.0.1 with port", "http://127.0.0.1:8123/callback", true, true},
		{"http on [::1]", "http://[::1]:9000/cb", true, true},
		{"http on localhost", "http://localhost/cb", false, true},
		{"custom scheme for a public client", "com.example.app:/callback", true, true},
		{"custom scheme with authority for a public client", "com.example.app://callback", true, true},
		{"empty", "", true, false},
		{"relative", "/callback", true, false},
		{"no scheme", "app.example.com/callback", true, false},
		{"fragment", "https://app.example.com/cb#x", true, false},
		{"empty fragment", "https://app.example.com/cb#", true, false},
		{"http on a public host", "http://app.example.com/cb", true, false},
		{"http on another loopback address", "http://127.0.0.2/cb", true, false},
		{"http on localhost lookalike", "http://localhost.evil.com/cb", true, false},
		{"https without host", "https:///cb", true, false},
		{"user information", "https://user:pw@app.example.com/cb", true, false},
		{"space", "https://app.example.com/c b", true, false},
		{"custom scheme for a confidential client", "com.example.app:/callback", false, false},
		{"custom scheme without a dot", "myapp:/callback", true, false},
		{"javascript", "javascript:alert(1)", true, false},
		{"data", "data:text/html,hi", true, false},
		{"custom scheme without path", "com.example.app:", true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := redirectURIProblem(c.uri, c.public)
			if (got == "") != c.ok {
				t.Fatalf("redirectURIProblem(%q, public=%v) = %q, want ok=%v", c.uri, c.public, got, c.ok)
			}
		})
	}
}

func TestCheckOAuthClientInput(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.APIResources = []string{"calls"} })
	web := func(change func(*OAuthClientInput)) OAuthClientInput {
		in := OAuthClientInput{
			Name: "Web", RedirectURIs: []string{"https://app.example.com/cb"},
			GrantTypes: []string{GrantAuthorizationCode, GrantRefreshToken}, Scopes: []string{"openid", "offline_access", "calls:read"},
		}
		if change != nil {
			change(&in)
		}
		return in
	}
	cases := []struct {
		name string
		in   OAuthClientInput
		code gatehouse.Code // "" when valid
	}{
		{"web app", web(nil), ""},
		{"service", OAuthClientInput{Name: "svc", GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"calls:write"}}, ""},
		{"device app", OAuthClientInput{Name: "tv", Public: true, GrantTypes: []string{GrantDeviceCode, GrantRefreshToken}, Scopes: []string{"openid", "offline_access"}}, ""},
		{"native app", web(func(in *OAuthClientInput) {
			in.Public = true
			in.RedirectURIs = []string{"com.example.app:/cb", "http://127.0.0.1/cb"}
		}), ""},
		{"no name", web(func(in *OAuthClientInput) { in.Name = "  " }), gatehouse.CodeInvalidRequest},
		{"name too long", web(func(in *OAuthClientInput) { in.Name = string(make([]byte, 65)) }), gatehouse.CodeInvalidRequest},
		{"no grant types", web(func(in *OAuthClientInput) { in.GrantTypes = nil }), gatehouse.CodeInvalidRequest},
		{"implicit", web(func(in *OAuthClientInput) { in.GrantTypes = []string{"implicit"} }), gatehouse.CodeInvalidRequest},
		{"password", web(func(in *OAuthClientInput) { in.GrantTypes = []string{"password"} }), gatehouse.CodeInvalidRequest},
		{"unknown grant", web(func(in *OAuthClientInput) { in.GrantTypes = []string{"saml2-bearer"} }), gatehouse.CodeInvalidRequest},
		{"public client credentials", OAuthClientInput{Name: "x", Public: true, GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"calls:read"}}, gatehouse.CodeInvalidRequest},
		{"refresh alone", OAuthClientInput{Name: "x", GrantTypes: []string{GrantRefreshToken}, Scopes: []string{"openid"}}, gatehouse.CodeInvalidRequest},
		{"refresh with client credentials", OAuthClientInput{Name: "x", GrantTypes: []string{GrantClientCredentials, GrantRefreshToken}, Scopes: []string{"calls:read"}}, gatehouse.CodeInvalidRequest},
		{"code without redirect URIs", web(func(in *OAuthClientInput) { in.RedirectURIs = nil }), gatehouse.CodeInvalidRequest},
		{"redirect URIs without code", OAuthClientInput{Name: "x", GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"calls:read"}, RedirectURIs: []string{"https://a.example/cb"}}, gatehouse.CodeInvalidRequest},
		{"too many redirect URIs", web(func(in *OAuthClientInput) { in.RedirectURIs = slices.Repeat([]string{"https://a.example/cb"}, 21) }), gatehouse.CodeInvalidRequest},
		{"bad redirect URI", web(func(in *OAuthClientInput) { in.RedirectURIs = []string{"https://a.example/cb", "http://a.example/cb"} }), gatehouse.CodeInvalidRequest},
		{"no scopes", web(func(in *OAuthClientInput) { in.Scopes = nil }), gatehouse.CodeInvalidRequest},
		{"unknown scope", web(func(in *OAuthClientInput) { in.Scopes = []string{"admin"} }), gatehouse.CodeInvalidRequest},
		{"unknown resource", web(func(in *OAuthClientInput) { in.Scopes = []string{"billing:read"} }), gatehouse.CodeInvalidRequest},
		{"reserved scope", web(func(in *OAuthClientInput) { in.Scopes = []string{gatehouse.ReservedScopeVerify} }), gatehouse.CodeInvalidRequest},
		{"offline_access without refresh", OAuthClientInput{Name: "x", GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"offline_access"}}, gatehouse.CodeInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := f.clients.checkInput(c.in)
			if c.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got.Public != c.in.Public || len(got.GrantTypes) == 0 || len(got.Scopes) == 0 {
					t.Fatalf("client %+v", got)
				}
				return
			}
			if gatehouse.ErrorCode(err) != c.code {
				t.Fatalf("got %+v, %v; want %s", got, err, c.code)
			}
		})
	}
}

func TestBuiltInCLIClient(t *testing.T) {
	f := newFixture(t, nil)
	c, err := f.clients.Lookup(context.Background(), gatehouse.BuiltInCLIClientID)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != gatehouse.BuiltInCLIClientID || !c.Public || c.OrgID != "" || len(c.RedirectURIs) != 0 || c.SecretHash != nil ||
		!slices.Equal(c.GrantTypes, []string{GrantDeviceCode, GrantRefreshToken}) ||
		!slices.Equal(c.Scopes, []string{"openid", "profile", "email", "offline_access"}) {
		t.Fatalf("built-in client %+v", c)
	}
	// A caller changing its copy does not change the next one.
	c.Scopes[0] = "changed"
	if again, _ := f.clients.Lookup(context.Background(), gatehouse.BuiltInCLIClientID); again.Scopes[0] != "openid" {
		t.Fatal("the built-in client is shared mutable state")
	}
	if _, err := f.clients.Lookup(context.Background(), "cli_unknown"); !errors.Is(err, gatehouse.ErrNotFound) && gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		t.Fatalf("unknown client: %v", err)
	}
}

func TestOAuthClientSecrets(t *testing.T) {
	f := newKeyFixture(t)
	ctx := context.Background()
	conf, err := f.clients.Create(ctx, f.owner, f.orgID, OAuthClientInput{
		Name: "svc", GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"calls:read"},
	}, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^gth_cs_[0-9A-Za-z]{38}$`).MatchString(conf.Secret) {
		t.Fatalf("secret %q does not have the documented format", conf.Secret)
	}
	stored, err := f.store.OAuthClientByID(ctx, conf.Client.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stored.SecretHash, token.Hash(conf.Secret)) || stored.SecretPrefix != token.DisplayPrefix(conf.Secret) {
		t.Fatal("the stored hash is not the secret's SHA-256")
	}
	pub, err := f.clients.Create(ctx, f.owner, f.orgID, OAuthClientInput{
		Name: "tv", Public: true, GrantTypes: []string{GrantDeviceCode}, Scopes: []string{"openid"},
	}, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if pub.Secret != "" || pub.Client.SecretHash != nil {
		t.Fatal("a public client got a secret")
	}
	other, _ := token.Generator{Brand: "gth"}.New(token.KindClientSecret)
	wrongKind, _ := token.Generator{Brand: "gth"}.New(token.KindPAT)
	wrongBrand, _ := token.Generator{Brand: "xyz"}.New(token.KindClientSecret)
	cases := []struct {
		name, id, secret string
		ok               bool
	}{
		{"right secret", conf.Client.ID, conf.Secret, true},
		{"wrong secret", conf.Client.ID, other, false},
		{"changed checksum", conf.Client.ID, changedLast(conf.Secret), false},
		{"empty secret", conf.Client.ID, "", false},
		{"another kind", conf.Client.ID, wrongKind, false},
		{"another brand", conf.Client.ID, wrongBrand, false},
		{"unknown client", "cli_nope", conf.Secret, false},
		{"public client", pub.Client.ID, conf.Secret, false},
		{"built-in client", gatehouse.BuiltInCLIClientID, conf.Secret, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := f.clients.Authenticate(ctx, c.id, c.secret)
			if c.ok {
				if err != nil || got.ID != c.id {
					t.Fatalf("got %v, %v", got, err)
				}
				return
			}
			if gatehouse.ErrorCode(err) != gatehouse.CodeInvalidCredentials || got != nil {
				t.Fatalf("got %v, %v; want invalid_credentials", got, err)
			}
		})
	}

	// Rotation: the old secret fails at once, the new one works; public clients have none.
	rot, err := f.clients.RotateSecret(ctx, f.owner, f.orgID, conf.Client.ID, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if rot.Secret == conf.Secret || rot.Client.ID != conf.Client.ID {
		t.Fatalf("rotation %+v", rot)
	}
	if _, err := f.clients.Authenticate(ctx, conf.Client.ID, conf.Secret); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidCredentials {
		t.Fatalf("old secret after rotation: %v", err)
	}
	if _, err := f.clients.Authenticate(ctx, conf.Client.ID, rot.Secret); err != nil {
		t.Fatalf("new secret: %v", err)
	}
	if _, err := f.clients.RotateSecret(ctx, f.owner, f.orgID, pub.Client.ID, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidRequest {
		t.Fatalf("rotating a public client: %v", err)
	}

	// Deleted clients fail authentication.
	if err := f.clients.Delete(ctx, f.owner, f.orgID, conf.Client.ID, Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.clients.Authenticate(ctx, conf.Client.ID, rot.Secret); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidCredentials {
		t.Fatalf("deleted client: %v", err)
	}
	if err := f.clients.Delete(ctx, f.owner, f.orgID, gatehouse.BuiltInCLIClientID, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		t.Fatalf("deleting the built-in client: %v", err)
	}
}

// changedLast returns s with its last character replaced by a different one (a fixed
// replacement would leave a secret that already ends in it unchanged, 1 run in 62).
func changedLast(s string) string {
	c := byte('x')
	if s[len(s)-1] == c {
		c = 'y'
	}
	return s[:len(s)-1] + string(c)
}
