package oauth

import (
	"context"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
)

func TestRevoke(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		alice := f.register(t, "alice")
		web, ca := f.webApp(t)
		_, otherCA := f.webApp(t)
		refreshWorks := func(rt string) bool {
			_, err := f.p.Token(ctx, TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: rt, Client: ca}, auth.Meta{})
			return err == nil
		}
		accessWorks := func(at string) bool {
			_, err := f.p.VerifyAccessToken(ctx, at)
			return err == nil
		}
		cases := []struct {
			name    string
			by      ClientAuth
			access  bool // revoke the access token, else the refresh token
			revoked bool
		}{
			{"refresh token by its client", ca, false, true},
			{"access token by its client", ca, true, true},
			{"refresh token by another client", otherCA, false, false},
			{"access token by another client", otherCA, true, false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				tok := f.codeTokens(t, alice, web, ca, "openid offline_access")
				presented := tok.RefreshToken
				if c.access {
					presented = tok.AccessToken
				}
				if err := f.p.Revoke(ctx, c.by, presented, "refresh_token", auth.Meta{}); err != nil {
					t.Fatalf("Revoke: %v", err)
				}
				if c.access {
					if accessWorks(tok.AccessToken) == c.revoked {
						t.Fatalf("access token works: %v, want %v", c.revoked, !c.revoked)
					}
					if !refreshWorks(tok.RefreshToken) {
						t.Fatal("revoking the access token revoked the refresh token")
					}
					return
				}
				if refreshWorks(tok.RefreshToken) == c.revoked {
					t.Fatalf("refresh token works: %v, want %v", c.revoked, !c.revoked)
				}
			})
		}
		t.Run("unknown tokens are not an error", func(t *testing.T) {
			for _, tok := range []string{"hello", "a.b.c", "gth_rt_" + "0123456789abcdefghijklmnopqrstuv" + "000000", alice.token} {
				if err := f.p.Revoke(ctx, ca, tok, "", auth.Meta{}); err != nil {
					t.Fatalf("Revoke(%.8s…) = %v", tok, err)
				}
			}
			if _, err := f.svc.Sessions.Authenticate(ctx, alice.token, auth.Meta{}); err != nil {
				t.Fatalf("revoking a session at the OAuth endpoint must not work: %v", err)
			}
		})
		t.Run("client authentication", func(t *testing.T) {
			wantCode(t, f.p.Revoke(ctx, ClientAuth{ClientID: web.ID}, "x", "", auth.Meta{}), gatehouse.CodeInvalidClient)
			wantCode(t, f.p.Revoke(ctx, ClientAuth{}, "x", "", auth.Meta{}), gatehouse.CodeInvalidClient)
		})
		t.Run("public client by client_id", func(t *testing.T) {
			cli := f.cliLogin(t, alice)
			if err := f.p.Revoke(ctx, cliClient, cli.RefreshToken, "", auth.Meta{}); err != nil {
				t.Fatal(err)
			}
			_, err := f.p.Token(ctx, TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: cli.RefreshToken, Client: cliClient}, auth.Meta{})
			wantCode(t, err, gatehouse.CodeInvalidGrant)
		})
	})
}

func TestUserInfo(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		alice := f.register(t, "alice")
		web, ca := f.webApp(t)
		_, svcCA := f.client(t, auth.OAuthClientInput{GrantTypes: []string{auth.GrantClientCredentials}, Scopes: []string{"calls:read"}})
		cc, err := f.p.Token(ctx, TokenRequest{GrantType: auth.GrantClientCredentials, Client: svcCA}, auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name    string
			tok     string
			want    gatehouse.Code
			present []string
			absent  []string
		}{
			{"openid only", f.codeTokens(t, alice, web, ca, "openid").AccessToken, "", []string{"sub"}, []string{"email", "preferred_username"}},
			{"profile", f.codeTokens(t, alice, web, ca, "openid profile").AccessToken, "", []string{"sub", "preferred_username", "name", "updated_at"}, []string{"email"}},
			{"email", f.codeTokens(t, alice, web, ca, "openid email").AccessToken, "", []string{"sub", "email", "email_verified"}, []string{"name"}},
			{"no openid", f.codeTokens(t, alice, web, ca, "calls:read").AccessToken, gatehouse.CodeInsufficientPerms, nil, nil},
			{"client_credentials", cc.AccessToken, gatehouse.CodeInvalidToken, nil, nil},
			{"garbage", "x.y.z", gatehouse.CodeInvalidToken, nil, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				out, err := f.p.UserInfo(ctx, c.tok)
				wantCode(t, err, c.want)
				if err != nil {
					return
				}
				if out["sub"] != alice.user.ID {
					t.Fatalf("sub %v", out["sub"])
				}
				for _, k := range c.present {
					if _, ok := out[k]; !ok {
						t.Errorf("claim %s missing from %v", k, out)
					}
				}
				for _, k := range c.absent {
					if _, ok := out[k]; ok {
						t.Errorf("claim %s present in %v", k, out)
					}
				}
			})
		}
		t.Run("deleted user", func(t *testing.T) {
			bob := f.register(t, "bob")
			tok := f.codeTokens(t, bob, web, ca, "openid").AccessToken
			if err := f.svc.Accounts.DeleteAccount(ctx, bob.pr, testPW, auth.Meta{}); err != nil {
				t.Fatal(err)
			}
			_, err := f.p.UserInfo(ctx, tok)
			wantCode(t, err, gatehouse.CodeInvalidToken)
			_, err = f.svc.Sessions.Authenticate(ctx, tok, auth.Meta{})
			wantCode(t, err, gatehouse.CodeInvalidToken)
		})
	})
}
