package oauth

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
)

var cliClient = ClientAuth{ClientID: gatehouse.BuiltInCLIClientID, Method: MethodNone}

// startDevice starts a device flow of the built-in CLI.
func (f *fixture) startDevice(t *testing.T, scope string) *DeviceAuthorizationResponse {
	t.Helper()
	d, err := f.p.DeviceAuthorization(context.Background(), cliClient, scope, auth.Meta{})
	if err != nil {
		t.Fatalf("DeviceAuthorization: %v", err)
	}
	return d
}

func (f *fixture) pollDevice(d *DeviceAuthorizationResponse) (*TokenResponse, error) {
	return f.p.Token(context.Background(), TokenRequest{GrantType: auth.GrantDeviceCode, DeviceCode: d.DeviceCode, Client: cliClient}, auth.Meta{})
}

// cliLogin runs a whole device flow for who and returns the CLI's tokens.
func (f *fixture) cliLogin(t *testing.T, who *person) *TokenResponse {
	t.Helper()
	d := f.startDevice(t, "openid profile email offline_access")
	if err := f.p.DecideDevice(context.Background(), who.pr, d.UserCode, true, auth.Meta{IP: "192.0.2.1"}); err != nil {
		t.Fatalf("DecideDevice: %v", err)
	}
	resp, err := f.pollDevice(d)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	return resp
}

var userCodeForm = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

func TestDeviceAuthorizationResponse(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		d := f.startDevice(t, "")
		if !userCodeForm.MatchString(d.UserCode) {
			t.Fatalf("user code %q", d.UserCode)
		}
		if d.VerificationURI != testIssuer+"/device" || d.VerificationURIComplete != testIssuer+"/device?user_code="+url.QueryEscape(d.UserCode) ||
			d.ExpiresIn != 600 || d.Interval != 5 || len(d.DeviceCode) < 43 {
			t.Fatalf("response %+v", d)
		}
		web, webCA := f.webApp(t)
		_ = web
		cases := []struct {
			name  string
			ca    ClientAuth
			scope string
			want  gatehouse.Code
		}{
			{"CLI with a subset", cliClient, "openid", ""},
			{"scope the client lacks", cliClient, "calls:read", gatehouse.CodeInvalidScope},
			{"client without the grant", webCA, "", gatehouse.CodeUnauthorizedClient},
			{"unknown client", ClientAuth{ClientID: "cli_nope"}, "", gatehouse.CodeInvalidClient},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.p.DeviceAuthorization(context.Background(), c.ca, c.scope, auth.Meta{})
				wantCode(t, err, c.want)
			})
		}
	})
}

func TestDeviceFlow(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		alice := f.register(t, "alice")

		t.Run("pending, slow_down, approved once", func(t *testing.T) {
			d := f.startDevice(t, "openid profile offline_access")
			_, err := f.pollDevice(d)
			wantCode(t, err, gatehouse.CodeAuthorizationPending)
			f.clock.advance(time.Second)
			_, err = f.pollDevice(d)
			wantCode(t, err, gatehouse.CodeSlowDown)
			f.clock.advance(11 * time.Second) // the interval is now 10 s
			_, err = f.pollDevice(d)
			wantCode(t, err, gatehouse.CodeAuthorizationPending)

			typed := strings.ToLower(strings.ReplaceAll(d.UserCode, "-", " "))
			pd, err := f.p.PendingDevice(ctx, alice.pr, typed, auth.Meta{})
			if err != nil || pd.ClientID != gatehouse.BuiltInCLIClientID || pd.ClientName == "" || pd.UserCode != d.UserCode ||
				strings.Join(pd.Scopes, " ") != "openid profile offline_access" {
				t.Fatalf("PendingDevice = %+v, %v", pd, err)
			}
			if err := f.p.DecideDevice(ctx, alice.pr, d.UserCode, true, auth.Meta{}); err != nil {
				t.Fatal(err)
			}
			f.clock.advance(11 * time.Second)
			resp, err := f.pollDevice(d)
			if err != nil {
				t.Fatal(err)
			}
			if resp.AccessToken == "" || resp.RefreshToken == "" || resp.IDToken == "" {
				t.Fatalf("response %+v", resp)
			}
			_, c := jwtParts(t, resp.IDToken)
			if c["auth_time"] != float64(alice.pr.Session.CreatedAt.Unix()) || c["aud"] != gatehouse.BuiltInCLIClientID {
				t.Fatalf("ID token claims %v", c)
			}
			f.clock.advance(11 * time.Second)
			_, err = f.pollDevice(d)
			wantCode(t, err, gatehouse.CodeInvalidGrant)
			// Decided flows are not pending any more.
			wantCode(t, f.p.DecideDevice(ctx, alice.pr, d.UserCode, true, auth.Meta{}), gatehouse.CodeNotFound)
		})
		t.Run("denied", func(t *testing.T) {
			d := f.startDevice(t, "openid")
			if err := f.p.DecideDevice(ctx, alice.pr, d.UserCode, false, auth.Meta{}); err != nil {
				t.Fatal(err)
			}
			_, err := f.pollDevice(d)
			wantCode(t, err, gatehouse.CodeAccessDenied)
		})
		t.Run("expired", func(t *testing.T) {
			d := f.startDevice(t, "openid")
			f.clock.advance(DefaultDeviceCodeTTL)
			_, err := f.pollDevice(d)
			wantCode(t, err, gatehouse.CodeExpiredToken)
			_, err = f.p.PendingDevice(ctx, alice.pr, d.UserCode, auth.Meta{})
			wantCode(t, err, gatehouse.CodeNotFound)
		})
		t.Run("no offline_access, no refresh token", func(t *testing.T) {
			d := f.startDevice(t, "profile")
			if err := f.p.DecideDevice(ctx, alice.pr, d.UserCode, true, auth.Meta{}); err != nil {
				t.Fatal(err)
			}
			resp, err := f.pollDevice(d)
			if err != nil || resp.RefreshToken != "" || resp.IDToken != "" {
				t.Fatalf("response %+v, %v", resp, err)
			}
		})
		t.Run("another client's device code", func(t *testing.T) {
			d := f.startDevice(t, "openid")
			other, otherCA := f.client(t, auth.OAuthClientInput{Public: true, GrantTypes: []string{auth.GrantDeviceCode}, Scopes: []string{"openid"}})
			_ = other
			_, err := f.p.Token(ctx, TokenRequest{GrantType: auth.GrantDeviceCode, DeviceCode: d.DeviceCode, Client: otherCA}, auth.Meta{})
			wantCode(t, err, gatehouse.CodeInvalidGrant)
		})
	})
}

func TestDeviceDeciders(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		alice := f.register(t, "alice")
		cli := f.cliLogin(t, alice)
		viaCLI := f.signIn(t, cli.AccessToken)
		pat, err := f.pats.Create(ctx, alice.pr, auth.PATInput{Name: "ci", ExpiresIn: "30d"}, auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		viaPAT := f.signIn(t, pat.Token)
		web, ca := f.webApp(t)
		viaApp := f.appPrincipal(t, f.codeTokens(t, alice, web, ca, "openid").AccessToken)
		cases := []struct {
			name string
			pr   *gatehouse.Principal
			want gatehouse.Code
		}{
			{"session", alice.pr, ""},
			{"CLI access token", viaCLI.pr, ""},
			{"PAT", viaPAT.pr, gatehouse.CodeInsufficientPerms},
			{"third-party app token", viaApp, gatehouse.CodeInsufficientPerms},
			{"nobody", nil, gatehouse.CodeInsufficientPerms},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				d := f.startDevice(t, "openid")
				_, err := f.p.PendingDevice(ctx, c.pr, d.UserCode, auth.Meta{})
				wantCode(t, err, c.want)
				wantCode(t, f.p.DecideDevice(ctx, c.pr, d.UserCode, true, auth.Meta{}), c.want)
			})
		}
	})
}

func TestWrongUserCodesAreLimited(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		alice := f.register(t, "alice")
		bob := f.register(t, "bob")
		limit := DefaultDeviceCodeAttempts.Limit
		for i := range limit {
			_, err := f.p.PendingDevice(ctx, alice.pr, "BCDF-GHJK", auth.Meta{IP: "198.51.100.7"})
			if gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
				t.Fatalf("attempt %d: %v", i+1, err)
			}
		}
		d := f.startDevice(t, "openid")
		cases := []struct {
			name string
			who  *person
			ip   string
			want gatehouse.Code
		}{
			{"same user, right code, other address", alice, "203.0.113.1", gatehouse.CodeRateLimited},
			{"other user, same address", bob, "198.51.100.7", gatehouse.CodeRateLimited},
			{"other user, other address", bob, "203.0.113.2", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.p.PendingDevice(ctx, c.who.pr, d.UserCode, auth.Meta{IP: c.ip})
				wantCode(t, err, c.want)
				var e *gatehouse.Error
				if c.want == gatehouse.CodeRateLimited && (!errors.As(err, &e) || e.RetryAfter <= 0) {
					t.Fatalf("no RetryAfter in %v", err)
				}
			})
		}
		// The limit refills steadily: one attempt per Period/Limit.
		f.clock.advance(DefaultDeviceCodeAttempts.Period / time.Duration(limit))
		if _, err := f.p.PendingDevice(ctx, alice.pr, d.UserCode, auth.Meta{IP: "198.51.100.7"}); err != nil {
			t.Fatalf("after a while: %v", err)
		}
	})
}

func TestUserCodes(t *testing.T) {
	p := New(nil, nil, nil, nil, Config{Issuer: testIssuer}, Options{})
	seen := map[string]bool{}
	for range 200 {
		c, err := p.newUserCode()
		if err != nil {
			t.Fatal(err)
		}
		if !userCodeForm.MatchString(formatUserCode(c)) {
			t.Fatalf("user code %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 199 {
		t.Fatalf("only %d distinct codes of 200", len(seen))
	}
	cases := map[string]string{
		"BCDF-GHJK":  "BCDFGHJK",
		"bcdf ghjk":  "BCDFGHJK",
		"bcdfghjk":   "BCDFGHJK",
		" BCDF-GHJK": "BCDFGHJK",
		"BCDF-GHJA":  "", // a vowel is not in the alphabet
		"BCDF-GHJ":   "",
		"BCDF-GHJKL": "",
		"BCDF_GHJK":  "",
	}
	for in, want := range cases {
		got, ok := normalizeUserCode(in)
		if (want != "") != ok || got != want {
			t.Errorf("normalizeUserCode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
