package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// jwtParts decodes a JWT's header and claims without verifying it.
func jwtParts(t *testing.T, raw string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

func TestCodeFlow(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		web, ca := f.webApp(t)
		alice := f.register(t, "alice")

		resp := f.codeTokens(t, alice, web, ca, "openid profile email offline_access calls:read")
		if resp.TokenType != "Bearer" || resp.ExpiresIn != int64(DefaultAccessTokenTTL/time.Second) || resp.RefreshToken == "" || resp.IDToken == "" {
			t.Fatalf("response %+v", resp)
		}
		if !strings.HasPrefix(resp.RefreshToken, "gth_rt_") {
			t.Fatalf("refresh token %q is not a gth_rt_ token", resp.RefreshToken[:7])
		}
		h, c := jwtParts(t, resp.AccessToken)
		if h["typ"] != "at+jwt" || h["alg"] != "ES256" || h["kid"] == "" {
			t.Fatalf("access token header %v", h)
		}
		if c["iss"] != testIssuer || c["sub"] != alice.user.ID || c["aud"] != testIssuer || c["client_id"] != web.ID ||
			c["scope"] != "openid profile email offline_access calls:read" || c["jti"] == "" {
			t.Fatalf("access token claims %v", c)
		}
		at, err := f.p.VerifyAccessToken(ctx, resp.AccessToken)
		if err != nil || at.Subject != alice.user.ID || at.ClientID != web.ID {
			t.Fatalf("VerifyAccessToken = %+v, %v", at, err)
		}
		h, c = jwtParts(t, resp.IDToken)
		if h["typ"] != "JWT" || h["alg"] != "RS256" {
			t.Fatalf("ID token header %v", h)
		}
		if c["aud"] != web.ID || c["nonce"] != "n0nce" || c["at_hash"] != atHash(resp.AccessToken) || c["sub"] != alice.user.ID ||
			c["preferred_username"] != "alice" || c["name"] != "ALICE" || c["email"] != "alice@example.com" || c["auth_time"] == nil {
			t.Fatalf("ID token claims %v", c)
		}
		// The ID token is not an access token.
		_, err = f.p.VerifyAccessToken(ctx, resp.IDToken)
		wantCode(t, err, gatehouse.CodeInvalidToken)

		t.Run("no offline_access, no refresh token", func(t *testing.T) {
			r := f.codeTokens(t, alice, web, ca, "openid")
			if r.RefreshToken != "" || r.IDToken == "" {
				t.Fatalf("response %+v", r)
			}
		})
		t.Run("no openid, no ID token", func(t *testing.T) {
			r := f.codeTokens(t, alice, web, ca, "calls:read")
			if r.IDToken != "" {
				t.Fatal("an ID token without openid")
			}
		})
	})
}

func TestCodeExchangeFailures(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		web, ca := f.webApp(t)
		other, otherCA := f.webApp(t)
		public, publicCA := f.client(t, auth.OAuthClientInput{Public: true, RedirectURIs: []string{"http://127.0.0.1/cb"},
			GrantTypes: []string{auth.GrantAuthorizationCode}, Scopes: []string{"openid"}})
		alice := f.register(t, "alice")
		verifier, challenge := pkce("q")
		wrongVerifier, _ := pkce("z")
		badSecret := ca
		badSecret.Secret = "gth_cs_" + strings.Repeat("A", 38)
		cases := []struct {
			name   string
			client *gatehouse.OAuthClient // whose code
			change func(r *TokenRequest)
			before func()
			want   gatehouse.Code
		}{
			{"works", web, func(r *TokenRequest) {}, nil, ""},
			{"public client by client_id", public, func(r *TokenRequest) { r.Client = publicCA; r.RedirectURI = public.RedirectURIs[0] }, nil, ""},
			{"wrong verifier", web, func(r *TokenRequest) { r.CodeVerifier = wrongVerifier }, nil, gatehouse.CodeInvalidGrant},
			{"short verifier", web, func(r *TokenRequest) { r.CodeVerifier = "abc" }, nil, gatehouse.CodeInvalidGrant},
			{"missing verifier", web, func(r *TokenRequest) { r.CodeVerifier = "" }, nil, gatehouse.CodeInvalidRequest},
			{"other redirect_uri", web, func(r *TokenRequest) { r.RedirectURI = "http://127.0.0.1:8400/cb" }, nil, gatehouse.CodeInvalidGrant},
			{"other client", web, func(r *TokenRequest) { r.Client = otherCA }, nil, gatehouse.CodeInvalidGrant},
			{"wrong secret", web, func(r *TokenRequest) { r.Client = badSecret }, nil, gatehouse.CodeInvalidClient},
			{"confidential client without secret", web, func(r *TokenRequest) { r.Client = ClientAuth{ClientID: web.ID, Method: MethodNone} }, nil, gatehouse.CodeInvalidClient},
			{"unknown code", web, func(r *TokenRequest) { r.Code = "nope" }, nil, gatehouse.CodeInvalidGrant},
			{"expired code", web, func(r *TokenRequest) {}, func() { f.clock.advance(DefaultCodeTTL) }, gatehouse.CodeInvalidGrant},
			{"grant the client lacks", web, func(r *TokenRequest) { r.GrantType = auth.GrantClientCredentials }, nil, gatehouse.CodeUnauthorizedClient},
			{"unknown grant type", web, func(r *TokenRequest) { r.GrantType = "password" }, nil, gatehouse.CodeUnsupportedGrantType},
		}
		_ = other
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				code := f.authorize(t, alice, c.client, c.client.RedirectURIs[0], "openid", challenge)
				r := TokenRequest{GrantType: auth.GrantAuthorizationCode, Code: code, RedirectURI: c.client.RedirectURIs[0], CodeVerifier: verifier, Client: ca}
				c.change(&r)
				if c.before != nil {
					c.before()
				}
				_, err := f.p.Token(ctx, r, auth.Meta{})
				wantCode(t, err, c.want)
			})
		}
	})
}

func TestReusedCodeRevokesTheFirstRedemption(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		web, ca := f.webApp(t)
		alice := f.register(t, "alice")
		verifier, challenge := pkce("r")
		code := f.authorize(t, alice, web, web.RedirectURIs[0], "openid offline_access", challenge)
		req := TokenRequest{GrantType: auth.GrantAuthorizationCode, Code: code, RedirectURI: web.RedirectURIs[0], CodeVerifier: verifier, Client: ca}
		first, err := f.p.Token(ctx, req, auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.p.Token(ctx, req, auth.Meta{})
		wantCode(t, err, gatehouse.CodeInvalidGrant)
		_, err = f.p.VerifyAccessToken(ctx, first.AccessToken)
		wantCode(t, err, gatehouse.CodeInvalidToken)
		_, err = f.p.Token(ctx, TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: first.RefreshToken, Client: ca}, auth.Meta{})
		wantCode(t, err, gatehouse.CodeInvalidGrant)
	})
}

func TestRefresh(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		web, ca := f.webApp(t)
		_, otherCA := f.webApp(t)
		alice := f.register(t, "alice")
		refresh := func(rt string, ca ClientAuth, scope string) (*TokenResponse, error) {
			return f.p.Token(ctx, TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: rt, Client: ca, Scope: scope}, auth.Meta{})
		}
		t.Run("rotates", func(t *testing.T) {
			r0 := f.codeTokens(t, alice, web, ca, "openid profile offline_access calls:read")
			r1, err := refresh(r0.RefreshToken, ca, "")
			if err != nil {
				t.Fatal(err)
			}
			if r1.RefreshToken == "" || r1.RefreshToken == r0.RefreshToken || r1.IDToken == "" || r1.Scope != r0.Scope {
				t.Fatalf("refresh response %+v", r1)
			}
			r2, err := refresh(r1.RefreshToken, ca, "calls:read")
			if err != nil || r2.Scope != "calls:read" {
				t.Fatalf("narrowed refresh = %+v, %v", r2, err)
			}
			// The family keeps its scopes: the next refresh without scope has them all.
			r3, err := refresh(r2.RefreshToken, ca, "")
			if err != nil || r3.Scope != r0.Scope {
				t.Fatalf("refresh after narrowing = %+v, %v", r3, err)
			}
		})
		t.Run("reuse kills the newest", func(t *testing.T) {
			r0 := f.codeTokens(t, alice, web, ca, "openid offline_access")
			r1, err := refresh(r0.RefreshToken, ca, "")
			if err != nil {
				t.Fatal(err)
			}
			_, err = refresh(r0.RefreshToken, ca, "")
			wantCode(t, err, gatehouse.CodeInvalidGrant)
			_, err = refresh(r1.RefreshToken, ca, "")
			wantCode(t, err, gatehouse.CodeInvalidGrant)
		})
		cases := []struct {
			name   string
			ca     ClientAuth
			scope  string
			before func()
			want   gatehouse.Code
		}{
			{"other client", otherCA, "", nil, gatehouse.CodeInvalidGrant},
			{"wider scope", ca, "openid email", nil, gatehouse.CodeInvalidScope},
			{"expired", ca, "", func() { f.clock.advance(DefaultRefreshTokenTTL) }, gatehouse.CodeInvalidGrant},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r0 := f.codeTokens(t, alice, web, ca, "openid offline_access")
				if c.before != nil {
					c.before()
				}
				_, err := refresh(r0.RefreshToken, c.ca, c.scope)
				wantCode(t, err, c.want)
				if c.want == gatehouse.CodeInvalidScope { // a refused scope does not spend the token
					if _, err := refresh(r0.RefreshToken, ca, ""); err != nil {
						t.Fatalf("the token was spent by a refused request: %v", err)
					}
				}
			})
		}
		t.Run("garbage", func(t *testing.T) {
			for _, rt := range []string{"nope", "gth_pat_" + strings.Repeat("a", 38), "abc_rt_" + strings.Repeat("a", 38)} {
				_, err := refresh(rt, ca, "")
				wantCode(t, err, gatehouse.CodeInvalidGrant)
			}
		})
	})
}

func TestConcurrentRefreshesOneWins(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		web, ca := f.webApp(t)
		alice := f.register(t, "alice")
		r0 := f.codeTokens(t, alice, web, ca, "openid offline_access")
		const n = 20
		var wg sync.WaitGroup
		results := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, results[i] = f.p.Token(context.Background(), TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: r0.RefreshToken, Client: ca}, auth.Meta{})
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range results {
			switch gatehouse.ErrorCode(err) {
			case "":
				ok++
			case gatehouse.CodeInvalidGrant:
			default:
				t.Fatalf("unexpected error %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d refreshes succeeded, want exactly 1", ok)
		}
	})
}

func TestClientCredentials(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		svcClient, ca := f.client(t, auth.OAuthClientInput{GrantTypes: []string{auth.GrantClientCredentials}, Scopes: []string{"calls:read", "agents:write"}})
		_, webCA := f.webApp(t)
		cases := []struct {
			name      string
			ca        ClientAuth
			scope     string
			want      gatehouse.Code
			wantScope string
		}{
			{"all scopes by default", ca, "", "", "calls:read agents:write"},
			{"a subset", ca, "agents:write", "", "agents:write"},
			{"a scope it lacks", ca, "calls:write", gatehouse.CodeInvalidScope, ""},
			{"openid", ca, "openid", gatehouse.CodeInvalidScope, ""},
			{"wrong secret", ClientAuth{ClientID: svcClient.ID, Secret: "gth_cs_" + strings.Repeat("b", 38), Method: MethodSecretPost}, "", gatehouse.CodeInvalidClient, ""},
			{"no secret", ClientAuth{ClientID: svcClient.ID, Method: MethodNone}, "", gatehouse.CodeInvalidClient, ""},
			{"client without the grant", webCA, "", gatehouse.CodeUnauthorizedClient, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				resp, err := f.p.Token(ctx, TokenRequest{GrantType: auth.GrantClientCredentials, Scope: c.scope, Client: c.ca}, auth.Meta{})
				wantCode(t, err, c.want)
				if err != nil {
					return
				}
				if resp.RefreshToken != "" || resp.IDToken != "" || resp.Scope != c.wantScope {
					t.Fatalf("response %+v", resp)
				}
				at, err := f.p.VerifyAccessToken(ctx, resp.AccessToken)
				if err != nil || at.Subject != svcClient.ID || at.ClientID != svcClient.ID {
					t.Fatalf("token %+v, %v", at, err)
				}
				// A token without a user: Gatehouse's own API refuses it, Verify describes it as
				// kind client with the client's organization.
				pr, err := f.svc.Sessions.Authenticate(ctx, resp.AccessToken, auth.Meta{})
				if err != nil || pr.User != nil {
					t.Fatalf("Authenticate = %+v, %v", pr, err)
				}
				wantCode(t, f.svc.Sessions.Authorize(pr, authz.Me), gatehouse.CodeInsufficientPerms)
				v, err := f.svc.Sessions.Verify(ctx, auth.VerifyInput{Token: resp.AccessToken, Scopes: []string{"agents:write"}}, auth.Meta{})
				if err != nil || v.Kind != gatehouse.CredentialClient || v.ClientID != svcClient.ID || v.OrgID != svcClient.OrgID || v.OrgID == "" {
					t.Fatalf("Verify = %+v, %v", v, err)
				}
			})
		}
	})
}
