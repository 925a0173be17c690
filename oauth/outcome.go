package oauth

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
)

// OIDC error codes of the authorization endpoint (OpenID Connect Core 3.1.2.6): prompt=none
// without a session, or without consent.
const (
	CodeLoginRequired   gatehouse.Code = "login_required"
	CodeConsentRequired gatehouse.Code = "consent_required"
)

// Decision is what an authorization request comes with: nothing yet (the authorization
// endpoint), a wish to see the consent page, or the person's answer on it.
type Decision int

const (
	// DecisionNone is /oauth2/authorize: a code at once when a remembered consent covers the
	// request (and prompt=consent is absent), else the consent page.
	DecisionNone Decision = iota
	// DecisionAsk is the consent page itself (GET /oauth2/consent): it is shown whatever
	// consent is remembered.
	DecisionAsk
	// DecisionApprove is the consent form's Allow: a code (AuthorizeInput.Remember records the
	// consent).
	DecisionApprove
	// DecisionDeny is the consent form's Deny: error=access_denied to the client.
	DecisionDeny
	// DecisionInvalid is a consent form answer that is neither Allow nor Deny.
	DecisionInvalid
)

// AuthorizeInput is one authorization request and the context it is answered in.
type AuthorizeInput struct {
	Request AuthorizeRequest
	// Principal is who the browser is signed in as (a person's session); nil: nobody.
	Principal *gatehouse.Principal
	Decision  Decision
	// Remember records the consent with DecisionApprove ("remember this decision").
	Remember bool
	Meta     auth.Meta
}

// OutcomeKind says how an authorization request is answered.
type OutcomeKind int

const (
	// OutcomeRedirect sends the browser to AuthorizeOutcome.Location (303): the client's
	// redirect URI with a code, or with an error (RFC 6749 4.1.2, 4.1.2.1), state and iss.
	OutcomeRedirect OutcomeKind = iota + 1
	// OutcomeSignIn sends the browser to the sign-in page, which continues with
	// AuthorizeOutcome.Continue.
	OutcomeSignIn
	// OutcomeConsent shows the consent page for AuthorizeOutcome.Consent.
	OutcomeConsent
	// OutcomeError shows AuthorizeOutcome.Err to the person, never to the client: an
	// *AuthorizeError without RedirectURI (the client or its redirect URI is in doubt), or
	// another error (the database is down: a general error page).
	OutcomeError
)

// AuthorizeOutcome is the one answer to an authorization request; the HTTP layer only renders
// it. Which fields are set depends on Kind.
type AuthorizeOutcome struct {
	Kind OutcomeKind
	// Location is where OutcomeRedirect sends the browser.
	Location string
	// Continue is the request the sign-in page continues to (OutcomeSignIn): the request as it
	// came, or, when it asks for a fresh sign-in (prompt=login, max_age), its continuation that
	// only a session started from now on satisfies (ContinueAfterSignIn).
	Continue AuthorizeRequest
	// Consent is what the consent page asks (OutcomeConsent).
	Consent *ConsentPrompt
	// Err is the error OutcomeError shows.
	Err error
}

// ConsentPrompt is what the consent page shows and what its form carries back.
type ConsentPrompt struct {
	Client *gatehouse.OAuthClient
	// RedirectURI is where the browser goes after the decision.
	RedirectURI string
	Scopes      []string
	// Request is the authorization request as it came, for the form's hidden fields (they are
	// never trusted: the answer is parsed again).
	Request AuthorizeRequest
}

// Authorize answers an authorization request (RFC 6749 3.1, 4.1.1; code + PKCE S256 only), at
// the authorization endpoint or on the consent page:
//
//   - an invalid request is an error: back to the client when ParseAuthorize trusts the redirect
//     URI, else shown (OutcomeError);
//   - nobody signed in, or a session too old for the request (prompt=login, max_age, the
//     continuation marker: SignInNeeded): the sign-in page, or login_required to the client for
//     prompt=none (OpenID Connect Core 3.1.2.6);
//   - DecisionNone: a code straight away when a remembered consent covers the scopes and
//     prompt=consent is absent; else consent_required to the client for prompt=none; else the
//     consent page. DecisionAsk: the consent page;
//   - DecisionApprove: a code (Approve); DecisionDeny: access_denied to the client (a denial
//     needs no fresh sign-in); DecisionInvalid: an error shown.
func (p *Provider) Authorize(ctx context.Context, in AuthorizeInput) AuthorizeOutcome {
	a, err := p.ParseAuthorize(ctx, in.Request)
	if err != nil {
		return p.failed(err)
	}
	pr := in.Principal
	if pr != nil && pr.User == nil {
		pr = nil
	}
	promptNone := slices.Contains(strings.Fields(a.Prompt), "none")
	if pr == nil {
		if promptNone && in.Decision == DecisionNone {
			return p.failed(&AuthorizeError{Code: CodeLoginRequired, Description: "The user is not signed in.", RedirectURI: a.RedirectURI, State: a.State})
		}
		return p.signIn(in.Request)
	}
	if in.Decision != DecisionDeny && in.Decision != DecisionInvalid && p.SignInNeeded(a, pr.Session) {
		if promptNone {
			return p.failed(&AuthorizeError{Code: CodeLoginRequired, Description: "The user must sign in again.", RedirectURI: a.RedirectURI, State: a.State})
		}
		return p.signIn(in.Request)
	}
	ask := AuthorizeOutcome{Kind: OutcomeConsent, Consent: &ConsentPrompt{Client: a.Client, RedirectURI: a.RedirectURI, Scopes: a.Scopes, Request: in.Request}}
	switch in.Decision {
	case DecisionAsk:
		return ask
	case DecisionApprove:
		return p.approve(ctx, pr, a, in.Remember, in.Meta)
	case DecisionDeny:
		return AuthorizeOutcome{Kind: OutcomeRedirect, Location: p.Deny(a)}
	case DecisionInvalid:
		return p.failed(&AuthorizeError{Code: gatehouse.CodeInvalidRequest, Description: "Choose Allow or Deny."})
	}
	needed, err := p.ConsentNeeded(ctx, pr.User, a)
	switch {
	case err != nil:
		return p.failed(err)
	case !needed:
		return p.approve(ctx, pr, a, false, in.Meta)
	case promptNone:
		return p.failed(&AuthorizeError{Code: CodeConsentRequired, Description: "The user has not authorized this application.", RedirectURI: a.RedirectURI, State: a.State})
	}
	return ask
}

// SignInAgain reports whether r is a valid authorization request that session s is too old for
// (SignInNeeded: prompt=login, max_age, the continuation marker): the sign-in page must then
// show its form although someone is signed in, instead of sending them on to r (and back
// again). An invalid request reports false: the authorization endpoint shows its error.
func (p *Provider) SignInAgain(ctx context.Context, r AuthorizeRequest, s *gatehouse.Session) bool {
	a, err := p.ParseAuthorize(ctx, r)
	return err == nil && p.SignInNeeded(a, s)
}

// approve issues the code and sends the browser back to the client.
func (p *Provider) approve(ctx context.Context, pr *gatehouse.Principal, a *Authorization, remember bool, meta auth.Meta) AuthorizeOutcome {
	to, err := p.Approve(ctx, pr, a, remember, meta)
	if err != nil {
		return p.failed(err)
	}
	return AuthorizeOutcome{Kind: OutcomeRedirect, Location: to}
}

// signIn is the sign-in page for r, continuing with r or its fresh-sign-in continuation.
func (p *Provider) signIn(r AuthorizeRequest) AuthorizeOutcome {
	return AuthorizeOutcome{Kind: OutcomeSignIn, Continue: p.ContinueAfterSignIn(r)}
}

// failed answers with err: back to the client when it is an *AuthorizeError with a redirect
// URI, else shown.
func (p *Provider) failed(err error) AuthorizeOutcome {
	var ae *AuthorizeError
	if errors.As(err, &ae) && ae.RedirectURI != "" {
		return AuthorizeOutcome{Kind: OutcomeRedirect, Location: p.ErrorRedirectURL(ae)}
	}
	return AuthorizeOutcome{Kind: OutcomeError, Err: err}
}
