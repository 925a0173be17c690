package oauth

import (
	"context"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// These tests cover package auth's side of OAuth access tokens (auth/accesstoken.go): it needs a
// real provider, which lives here.

func TestAuthAcceptsAccessTokens(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		alice := f.register(t, "alice")
		web, ca := f.webApp(t)
		app := f.codeTokens(t, alice, web, ca, "openid calls:read").AccessToken
		cli := f.cliLogin(t, alice).AccessToken

		// Gatehouse's own API refuses an application's token (but GET /v1/me); resource servers
		// accept it.
		appPr, err := f.svc.Sessions.Authenticate(ctx, app, auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.svc.Sessions.Authorize(appPr, authz.Read), gatehouse.CodeInsufficientPerms)
		wantCode(t, f.svc.Sessions.Authorize(appPr, authz.Me), "")
		pr := f.appPrincipal(t, app)
		if pr.User == nil || pr.User.ID != alice.user.ID || pr.Access == nil || pr.Access.ClientID != web.ID ||
			pr.Credential != gatehouse.CredentialAccessToken || pr.Session != nil {
			t.Fatalf("principal %+v", pr)
		}
		verify := []struct {
			name  string
			tok   string
			scope string
			want  gatehouse.Code
		}{
			{"app within its scopes", app, "calls:read", ""},
			{"app beyond its scopes", app, "calls:write", gatehouse.CodeInsufficientPerms},
			{"CLI acts as the user", cli, "calls:write", ""},
		}
		for _, c := range verify {
			t.Run("verify "+c.name, func(t *testing.T) {
				v, err := f.svc.Sessions.Verify(ctx, auth.VerifyInput{Token: c.tok, Scopes: []string{c.scope}}, auth.Meta{})
				wantCode(t, err, c.want)
				if err == nil && (v.Kind != gatehouse.CredentialAccessToken || v.ExpiresAt == nil) {
					t.Fatalf("verification %+v", v)
				}
			})
		}

		org, err := f.orgs.Create(ctx, alice.pr, "alices", auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		viaApp := f.appPrincipal(t, app)
		viaCLI := f.signIn(t, cli).pr
		manage := []struct {
			name string
			do   func(pr *gatehouse.Principal) error
		}{
			{"create a PAT", func(pr *gatehouse.Principal) error {
				_, err := f.pats.Create(ctx, pr, auth.PATInput{Name: "t", ExpiresIn: "30d"}, auth.Meta{})
				return err
			}},
			{"list PATs", func(pr *gatehouse.Principal) error { _, err := f.pats.List(ctx, pr); return err }},
			{"create an agent", func(pr *gatehouse.Principal) error {
				_, err := f.agents.Create(ctx, pr, auth.AgentInput{Name: "bot"}, auth.Meta{})
				return err
			}},
			{"list API keys", func(pr *gatehouse.Principal) error {
				_, err := f.apiKeys.List(ctx, pr, org.ID)
				return err
			}},
		}
		for _, c := range manage {
			t.Run(c.name+" with the CLI's token", func(t *testing.T) {
				if err := c.do(viaCLI); err != nil {
					t.Fatalf("refused: %v", err)
				}
			})
			t.Run(c.name+" with an app's token", func(t *testing.T) {
				wantCode(t, c.do(viaApp), gatehouse.CodeInsufficientPerms)
			})
		}
	})
}

func TestSignOutsRevokeRefreshTokens(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		refreshWorks := func(rt string) bool {
			_, err := f.p.Token(ctx, TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: rt, Client: cliClient}, auth.Meta{})
			return err == nil
		}
		cases := []struct {
			name string
			do   func(t *testing.T, who *person, cli *TokenResponse) error
			want bool // the refresh token still works afterwards
		}{
			{"change password", func(t *testing.T, who *person, _ *TokenResponse) error {
				_, err := f.svc.Accounts.ChangePassword(ctx, who.pr, testPW, "another long passphrase", auth.Meta{})
				return err
			}, false},
			{"operator resets the password", func(t *testing.T, who *person, _ *TokenResponse) error {
				return f.svc.Admin.ResetPassword(ctx, who.user.Username, "another long passphrase")
			}, false},
			{"operator revokes sessions", func(t *testing.T, who *person, _ *TokenResponse) error {
				_, err := f.svc.Admin.RevokeSessions(ctx, who.user.Username)
				return err
			}, false},
			{"CLI logout", func(t *testing.T, who *person, cli *TokenResponse) error {
				if err := f.svc.Sessions.Logout(ctx, f.signIn(t, cli.AccessToken).pr, auth.Meta{}); err != nil {
					return err
				}
				_, err := f.svc.Sessions.Authenticate(ctx, cli.AccessToken, auth.Meta{})
				wantCode(t, err, gatehouse.CodeInvalidToken)
				return nil
			}, false},
			{"browser logout signs the CLI out too", func(t *testing.T, who *person, _ *TokenResponse) error {
				return f.svc.Sessions.Logout(ctx, who.pr, auth.Meta{})
			}, false},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				who := f.register(t, "user"+string(rune('a'+i)))
				cli := f.cliLogin(t, who)
				if err := c.do(t, who, cli); err != nil {
					t.Fatal(err)
				}
				if got := refreshWorks(cli.RefreshToken); got != c.want {
					t.Fatalf("refresh works: %v, want %v", got, c.want)
				}
			})
		}
	})
}
