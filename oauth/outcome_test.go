package oauth

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/auth"
)

// TestAuthorizeOutcomes runs Provider.Authorize over every way an authorization request is
// answered: each case signs up its own person (so remembered consents do not leak between
// cases) and checks the one outcome.
func TestAuthorizeOutcomes(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		web, _ := f.webApp(t)
		_, challenge := pkce("o")
		good := AuthorizeRequest{
			ClientID: web.ID, RedirectURI: "https://app.example.com/callback", ResponseType: "code",
			Scope: "openid profile", State: "xyz", CodeChallenge: challenge, CodeChallengeMethod: "S256",
		}
		// remember records the person's consent to scope.
		remember := func(scope string) func(t *testing.T, who *person) {
			return func(t *testing.T, who *person) {
				r := good
				r.Scope = scope
				o := f.p.Authorize(ctx, AuthorizeInput{Request: r, Principal: who.pr, Decision: DecisionApprove, Remember: true})
				if o.Kind != OutcomeRedirect {
					t.Fatalf("approve and remember: %+v", o)
				}
			}
		}
		// age makes the person's session older than any max_age of a minute.
		age := func(t *testing.T, _ *person) { f.clock.advance(2 * time.Minute) }
		tests := []struct {
			name     string
			change   func(r *AuthorizeRequest)
			setup    func(t *testing.T, who *person)
			nobody   bool // no one signed in
			decision Decision
			remember bool
			want     OutcomeKind
			// wantParam is, for OutcomeRedirect, the parameter the client gets ("code", or an
			// error code); for OutcomeError, the error's code.
			wantParam string
			// then checks more of the outcome (may be nil).
			then func(t *testing.T, who *person, o AuthorizeOutcome)
		}{
			{name: "unknown client is shown, never redirected", change: func(r *AuthorizeRequest) { r.ClientID = "cli_nope" },
				want: OutcomeError, wantParam: "invalid_client"},
			{name: "unregistered redirect URI is shown", change: func(r *AuthorizeRequest) { r.RedirectURI = "https://evil.example/cb" },
				want: OutcomeError, wantParam: "invalid_request"},
			{name: "invalid request with a trusted redirect goes back to the client", change: func(r *AuthorizeRequest) { r.ResponseType = "token" },
				want: OutcomeRedirect, wantParam: "unsupported_response_type"},
			{name: "nobody signed in: sign in, then the same request", nobody: true, want: OutcomeSignIn,
				then: func(t *testing.T, _ *person, o AuthorizeOutcome) {
					if o.Continue != good {
						t.Fatalf("continues with %+v, want the request as it came", o.Continue)
					}
				}},
			{name: "nobody signed in, prompt=none: login_required", nobody: true, change: func(r *AuthorizeRequest) { r.Prompt = "none" },
				want: OutcomeRedirect, wantParam: "login_required"},
			{name: "nobody signed in on the consent page: sign in even with prompt=none", nobody: true, decision: DecisionAsk,
				change: func(r *AuthorizeRequest) { r.Prompt = "none" }, want: OutcomeSignIn},
			{name: "prompt=login: sign in, continuing with a marker instead", setup: age, change: func(r *AuthorizeRequest) { r.Prompt = "login" },
				want: OutcomeSignIn, then: func(t *testing.T, who *person, o AuthorizeOutcome) {
					c := o.Continue
					if c.Prompt != "" || c.AuthAfter == "" || c.ClientID != web.ID {
						t.Fatalf("continuation %+v: want no prompt=login and a marker", c)
					}
					a, err := f.p.ParseAuthorize(ctx, c)
					if err != nil || !f.p.SignInNeeded(a, who.pr.Session) {
						t.Fatalf("the session from before satisfies the continuation (%v)", err)
					}
				}},
			{name: "session older than max_age: sign in", setup: age, change: func(r *AuthorizeRequest) { r.MaxAge = "60" },
				want: OutcomeSignIn},
			{name: "session older than max_age, prompt=none: login_required", setup: age,
				change: func(r *AuthorizeRequest) { r.MaxAge = "60"; r.Prompt = "none" }, want: OutcomeRedirect, wantParam: "login_required"},
			{name: "no consent yet: the consent page", want: OutcomeConsent,
				then: func(t *testing.T, _ *person, o AuthorizeOutcome) {
					c := o.Consent
					if c.Client.ID != web.ID || c.RedirectURI != good.RedirectURI || !slices.Equal(c.Scopes, []string{"openid", "profile"}) || c.Request != good {
						t.Fatalf("consent prompt %+v", c)
					}
				}},
			{name: "no consent yet, prompt=none: consent_required", change: func(r *AuthorizeRequest) { r.Prompt = "none" },
				want: OutcomeRedirect, wantParam: "consent_required"},
			{name: "remembered consent: a code at once", setup: remember("openid profile"), want: OutcomeRedirect, wantParam: "code"},
			{name: "remembered consent, prompt=none: a code at once", setup: remember("openid profile"),
				change: func(r *AuthorizeRequest) { r.Prompt = "none" }, want: OutcomeRedirect, wantParam: "code"},
			{name: "remembered consent, prompt=consent: the consent page", setup: remember("openid profile"),
				change: func(r *AuthorizeRequest) { r.Prompt = "consent" }, want: OutcomeConsent},
			{name: "remembered consent to fewer scopes: the consent page", setup: remember("openid"), want: OutcomeConsent},
			{name: "consent page asked for: shown despite a remembered consent", setup: remember("openid profile"),
				decision: DecisionAsk, want: OutcomeConsent},
			{name: "approve: a code, nothing remembered", decision: DecisionApprove, want: OutcomeRedirect, wantParam: "code",
				then: func(t *testing.T, who *person, _ AuthorizeOutcome) {
					if o := f.p.Authorize(ctx, AuthorizeInput{Request: good, Principal: who.pr}); o.Kind != OutcomeConsent {
						t.Fatalf("next request: %v, want the consent page again", o.Kind)
					}
				}},
			{name: "approve and remember: the next request needs no consent", decision: DecisionApprove, remember: true,
				want: OutcomeRedirect, wantParam: "code",
				then: func(t *testing.T, who *person, _ AuthorizeOutcome) {
					if o := f.p.Authorize(ctx, AuthorizeInput{Request: good, Principal: who.pr}); o.Kind != OutcomeRedirect {
						t.Fatalf("next request: %v, want a code at once", o.Kind)
					}
				}},
			{name: "approve with a session too old: sign in first", setup: age, change: func(r *AuthorizeRequest) { r.MaxAge = "60" },
				decision: DecisionApprove, want: OutcomeSignIn},
			{name: "deny: access_denied", decision: DecisionDeny, want: OutcomeRedirect, wantParam: "access_denied"},
			{name: "deny needs no fresh sign-in", setup: age, change: func(r *AuthorizeRequest) { r.MaxAge = "60" },
				decision: DecisionDeny, want: OutcomeRedirect, wantParam: "access_denied"},
			{name: "neither allow nor deny: shown", decision: DecisionInvalid, want: OutcomeError, wantParam: "invalid_request"},
			{name: "neither allow nor deny, nobody signed in: sign in", nobody: true, decision: DecisionInvalid, want: OutcomeSignIn},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				who := f.register(t, "user"+string(rune('a'+i)))
				if tt.setup != nil {
					tt.setup(t, who)
				}
				r := good
				if tt.change != nil {
					tt.change(&r)
				}
				in := AuthorizeInput{Request: r, Principal: who.pr, Decision: tt.decision, Remember: tt.remember, Meta: auth.Meta{IP: "192.0.2.1"}}
				if tt.nobody {
					in.Principal = nil
				}
				o := f.p.Authorize(ctx, in)
				if o.Kind != tt.want {
					t.Fatalf("outcome %+v, want kind %v", o, tt.want)
				}
				switch o.Kind {
				case OutcomeRedirect:
					checkRedirect(t, o.Location, r.RedirectURI, tt.wantParam)
				case OutcomeError:
					if ae := asAuthorizeError(t, o.Err); string(ae.Code) != tt.wantParam || ae.RedirectURI != "" {
						t.Fatalf("error %+v, want %q to show", ae, tt.wantParam)
					}
				}
				if tt.then != nil {
					tt.then(t, who, o)
				}
			})
		}
	})
}

// checkRedirect fails unless location is redirectURI with state xyz, the issuer and param: a
// code when param is "code", else that error.
func checkRedirect(t *testing.T, location, redirectURI, param string) {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	u.RawQuery = ""
	if u.String() != redirectURI || q.Get("state") != "xyz" || q.Get("iss") != testIssuer {
		t.Fatalf("redirect %s: want %s with state and iss", location, redirectURI)
	}
	if param == "code" {
		if q.Get("code") == "" || q.Has("error") {
			t.Fatalf("redirect %s: want a code", location)
		}
		return
	}
	if q.Get("error") != param || q.Has("code") || q.Get("error_description") == "" {
		t.Fatalf("redirect %s: want error=%s with a description", location, param)
	}
}

// TestSignInAgain: the sign-in page shows its form to a signed-in person only for a valid
// request their session is too old for.
func TestSignInAgain(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		web, _ := f.webApp(t)
		alice := f.register(t, "alice")
		f.clock.advance(2 * time.Minute)
		_, challenge := pkce("s")
		good := AuthorizeRequest{ClientID: web.ID, RedirectURI: web.RedirectURIs[0], ResponseType: "code",
			Scope: "openid", CodeChallenge: challenge, CodeChallengeMethod: "S256"}
		tests := []struct {
			name   string
			change func(r *AuthorizeRequest)
			want   bool
		}{
			{"no freshness asked", func(*AuthorizeRequest) {}, false},
			{"prompt=login", func(r *AuthorizeRequest) { r.Prompt = "login" }, true},
			{"max_age the session exceeds", func(r *AuthorizeRequest) { r.MaxAge = "60" }, true},
			{"max_age the session meets", func(r *AuthorizeRequest) { r.MaxAge = "3600" }, false},
			{"invalid request", func(r *AuthorizeRequest) { r.Prompt = "login"; r.ClientID = "cli_nope" }, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := good
				tt.change(&r)
				if got := f.p.SignInAgain(context.Background(), r, alice.pr.Session); got != tt.want {
					t.Fatalf("SignInAgain = %v, want %v", got, tt.want)
				}
			})
		}
	})
}
