package oauth

import (
	"context"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
)

// TestCLITokensForSignIn: a sign-in by another factor becomes the CLI client's access and
// refresh tokens; the session it started ends; the refresh token refreshes once.
func TestCLITokensForSignIn(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		g, err := f.svc.SignIn.Login(ctx, f.owner.user.Username, testPW, auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := f.p.CLITokensForSignIn(ctx, g, "passkey", auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.AccessToken == "" || resp.RefreshToken == "" || resp.TokenType != "Bearer" || resp.ExpiresIn != int64(DefaultAccessTokenTTL.Seconds()) || resp.IDToken != "" {
			t.Fatalf("tokens: %+v", resp)
		}
		pr, err := f.svc.Sessions.Authenticate(ctx, resp.AccessToken, auth.Meta{})
		if err != nil {
			t.Fatalf("the access token: %v", err)
		}
		if pr.User.ID != f.owner.user.ID || pr.Access == nil || pr.Access.ClientID != gatehouse.BuiltInCLIClientID {
			t.Fatalf("principal of the access token: %+v", pr)
		}
		if _, err := f.svc.Sessions.Authenticate(ctx, g.Token, auth.Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidToken {
			t.Fatalf("the exchanged session still works: %v", err)
		}
		next, err := f.p.Token(ctx, TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: resp.RefreshToken, Client: cliClient}, auth.Meta{})
		if err != nil || next.RefreshToken == "" {
			t.Fatalf("refresh: %v %+v", err, next)
		}
		if _, err := f.p.Token(ctx, TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: resp.RefreshToken, Client: cliClient}, auth.Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidGrant {
			t.Fatalf("a reused refresh token: %v", err)
		}
	})
}
