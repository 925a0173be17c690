package oauth

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
)

// admin makes an instance administrator and signs them in.
func (f *fixture) admin(t *testing.T) *person {
	t.Helper()
	ctx := context.Background()
	if _, err := f.svc.Admin.CreateUser(ctx, auth.RegisterInput{Username: "root", Password: testPW, Email: "root@example.com"}, true); err != nil {
		t.Fatal(err)
	}
	g, err := f.svc.SignIn.Login(ctx, "root", testPW, auth.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return f.signIn(t, g.Token)
}

// auditor is a confidential client that an administrator gave gatehouse:introspect.
func (f *fixture) auditor(t *testing.T) ClientAuth {
	t.Helper()
	ctx := context.Background()
	root := f.admin(t)
	o, err := f.orgs.Create(ctx, root.pr, "platform", auth.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := f.clients.Create(ctx, root.pr, o.ID, auth.OAuthClientInput{
		Name: "auditor", GrantTypes: []string{auth.GrantClientCredentials}, Scopes: []string{"calls:read", gatehouse.ReservedScopeIntrospect},
	}, auth.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return ClientAuth{ClientID: g.Client.ID, Secret: g.Secret, Method: MethodSecretBasic}
}

// apiKey creates an API key in a new org of who.
func (f *fixture) apiKey(t *testing.T, who *person, org string, scopes ...string) string {
	t.Helper()
	ctx := context.Background()
	o, err := f.orgs.Create(ctx, who.pr, org, auth.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := f.apiKeys.Create(ctx, who.pr, o.ID, auth.APIKeyInput{Name: "k", Scopes: scopes, Environment: gatehouse.EnvironmentLive}, auth.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return g.Key
}

func TestIntrospectionCallers(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		root := f.admin(t)
		alice := f.register(t, "alice")
		verifierKey := f.apiKey(t, root, "ops", gatehouse.ReservedScopeVerify)
		plainKey := f.apiKey(t, root, "ops2", "calls:read")
		introspectorKey := f.apiKey(t, root, "ops3", gatehouse.ReservedScopeIntrospect)
		_, confidential := f.webApp(t)
		_, public := f.client(t, auth.OAuthClientInput{Public: true, RedirectURIs: []string{"http://127.0.0.1/cb"}, GrantTypes: []string{auth.GrantAuthorizationCode}, Scopes: []string{"openid"}})
		wrong := confidential
		wrong.Secret = "gth_cs_" + "0123456789abcdefghijklmnopqrstuv" + "000000"
		web, webCA := f.webApp(t)
		rootApp := f.codeTokens(t, root, web, webCA, "openid").AccessToken
		rootCLI := f.cliLogin(t, root).AccessToken
		cases := []struct {
			name   string
			caller IntrospectionCaller
			want   gatehouse.Code
		}{
			{"confidential client (accepted; the session is not its token)", IntrospectionCaller{Client: &confidential}, ""},
			{"API key with gatehouse:verify", IntrospectionCaller{Bearer: verifierKey}, ""},
			{"API key with gatehouse:introspect", IntrospectionCaller{Bearer: introspectorKey}, ""},
			{"administrator's session", IntrospectionCaller{Bearer: root.token}, ""},
			{"administrator's CLI token", IntrospectionCaller{Bearer: rootCLI}, ""},
			{"administrator's token at a third-party app", IntrospectionCaller{Bearer: rootApp}, gatehouse.CodeInvalidClient},
			{"public client", IntrospectionCaller{Client: &public}, gatehouse.CodeInvalidClient},
			{"wrong secret", IntrospectionCaller{Client: &wrong}, gatehouse.CodeInvalidClient},
			{"API key without the scope", IntrospectionCaller{Bearer: plainKey}, gatehouse.CodeInvalidClient},
			{"a person's session", IntrospectionCaller{Bearer: alice.token}, gatehouse.CodeInvalidClient},
			{"garbage bearer", IntrospectionCaller{Bearer: "nope"}, gatehouse.CodeInvalidClient},
			{"nobody", IntrospectionCaller{}, gatehouse.CodeInvalidClient},
			{"both", IntrospectionCaller{Client: &confidential, Bearer: verifierKey}, gatehouse.CodeInvalidClient},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				out, err := f.p.Introspect(ctx, c.caller, alice.token, "", auth.Meta{})
				wantCode(t, err, c.want)
				if err == nil && out["active"] != (c.caller.Client == nil) {
					t.Fatalf("answer %v", out)
				}
			})
		}
	})
}

func TestIntrospectEveryKind(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		alice := f.register(t, "alice")
		web, ca := f.webApp(t)
		caller := f.auditor(t)
		_, stranger := f.webApp(t)
		tokens := f.codeTokens(t, alice, web, ca, "openid offline_access calls:read")
		svcClient, svcCA := f.client(t, auth.OAuthClientInput{GrantTypes: []string{auth.GrantClientCredentials}, Scopes: []string{"calls:read"}})
		cc, err := f.p.Token(ctx, TokenRequest{GrantType: auth.GrantClientCredentials, Client: svcCA}, auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		pat, err := f.pats.Create(ctx, alice.pr, auth.PATInput{Name: "ci", ExpiresIn: "30d", Scopes: []string{"calls:read"}}, auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		key := f.apiKey(t, alice, "alices", "calls:write")
		agent, err := f.agents.Create(ctx, alice.pr, auth.AgentInput{Name: "bot"}, auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.agents.Verify(ctx, alice.pr, agent.Agent.ID, auth.Meta{}); err != nil {
			t.Fatal(err)
		}
		agentSession, err := f.svc.SignIn.AgentSignIn(ctx, agent.Token, auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name                           string
			tok                            string
			kind, tokenType, sub, clientID string
			scope                          string
		}{
			{"access token", tokens.AccessToken, gatehouse.CredentialAccessToken, "Bearer", alice.user.ID, web.ID, "openid offline_access calls:read"},
			{"client_credentials token", cc.AccessToken, gatehouse.CredentialAccessToken, "Bearer", svcClient.ID, svcClient.ID, "calls:read"},
			{"refresh token", tokens.RefreshToken, "refresh_token", "refresh_token", alice.user.ID, web.ID, "openid offline_access calls:read"},
			{"PAT", pat.Token, gatehouse.CredentialPAT, "Bearer", alice.user.ID, "", "calls:read"},
			{"API key", key, gatehouse.CredentialAPIKey, "Bearer", "", "", "calls:write"},
			{"session", alice.token, gatehouse.CredentialSession, "Bearer", alice.user.ID, "", ""},
			{"agent session", agentSession.Token, gatehouse.CredentialAgentSession, "Bearer", agent.User.ID, "", ""},
		}
		for _, c := range cases {
			t.Run("another client's view of "+c.name, func(t *testing.T) {
				out, err := f.p.Introspect(ctx, IntrospectionCaller{Client: &stranger}, c.tok, "access_token", auth.Meta{})
				if err != nil || len(out) != 1 || out["active"] != false {
					t.Fatalf("a client without gatehouse:introspect saw %v (%v)", out, err)
				}
			})
			if c.clientID == web.ID {
				t.Run("the issuing client's view of "+c.name, func(t *testing.T) {
					out, err := f.p.Introspect(ctx, IntrospectionCaller{Client: &ca}, c.tok, "", auth.Meta{})
					if err != nil || out["active"] != true || out["client_id"] != web.ID {
						t.Fatalf("the client does not see its own token: %v (%v)", out, err)
					}
				})
			}
			t.Run(c.name, func(t *testing.T) {
				out, err := f.p.Introspect(ctx, IntrospectionCaller{Client: &caller}, c.tok, "access_token", auth.Meta{})
				if err != nil {
					t.Fatal(err)
				}
				if out["active"] != true || out["gatehouse_kind"] != c.kind || out["token_type"] != c.tokenType || out["iss"] != testIssuer {
					t.Fatalf("answer %v", out)
				}
				if c.sub != "" && out["sub"] != c.sub {
					t.Fatalf("sub %v, want %s", out["sub"], c.sub)
				}
				if c.clientID != "" && out["client_id"] != c.clientID {
					t.Fatalf("client_id %v, want %s", out["client_id"], c.clientID)
				}
				if c.scope != "" && out["scope"] != c.scope {
					t.Fatalf("scope %v, want %s", out["scope"], c.scope)
				}
				if out["exp"] == nil && c.kind != gatehouse.CredentialAgentSession && c.kind != gatehouse.CredentialAPIKey {
					t.Fatalf("no exp in %v", out)
				}
			})
		}

		// Inactive answers.
		revokedPAT, err := f.pats.Create(ctx, alice.pr, auth.PATInput{Name: "old", ExpiresIn: "30d"}, auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.pats.Revoke(ctx, alice.pr, revokedPAT.PAT.ID, auth.Meta{}); err != nil {
			t.Fatal(err)
		}
		used := f.codeTokens(t, alice, web, ca, "openid offline_access")
		if _, err := f.p.Token(ctx, TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: used.RefreshToken, Client: ca}, auth.Meta{}); err != nil {
			t.Fatal(err)
		}
		revoked := f.codeTokens(t, alice, web, ca, "openid offline_access")
		if err := f.p.Revoke(ctx, ca, revoked.RefreshToken, "", auth.Meta{}); err != nil {
			t.Fatal(err)
		}
		denied := f.codeTokens(t, alice, web, ca, "openid")
		if err := f.p.Revoke(ctx, ca, denied.AccessToken, "", auth.Meta{}); err != nil {
			t.Fatal(err)
		}
		inactiveCases := []struct{ name, tok string }{
			{"garbage", "hello"},
			{"empty", ""},
			{"bad checksum", "gth_pat_" + "0123456789abcdefghijklmnopqrstuv" + "zzzzzz"},
			{"revoked PAT", revokedPAT.Token},
			{"used refresh token", used.RefreshToken},
			{"revoked refresh family", revoked.RefreshToken},
			{"denylisted access token", denied.AccessToken},
			{"ID token", tokens.IDToken},
		}
		for _, c := range inactiveCases {
			t.Run("inactive "+c.name, func(t *testing.T) {
				out, err := f.p.Introspect(ctx, IntrospectionCaller{Client: &caller}, c.tok, "", auth.Meta{})
				if err != nil {
					t.Fatal(err)
				}
				if len(out) != 1 || out["active"] != false {
					t.Fatalf("answer %v, want only active=false", out)
				}
			})
		}
		t.Run("inactive expired access token", func(t *testing.T) {
			f.clock.advance(DefaultAccessTokenTTL)
			out, err := f.p.Introspect(ctx, IntrospectionCaller{Client: &caller}, tokens.AccessToken, "", auth.Meta{})
			if err != nil || len(out) != 1 || out["active"] != false {
				t.Fatalf("answer %v, %v", out, err)
			}
		})
		_ = time.Second
	})
}
