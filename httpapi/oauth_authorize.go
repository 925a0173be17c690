package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/oauth"
)

// The authorization endpoint (RFC 6749 3.1, 4.1.1; code + PKCE S256 only). The provider
// validates the request; this file decides where the browser goes: back to the client with an
// error, to an error page (never a redirect when the client or its redirect URI is in doubt),
// to /login, straight back to the client with a code, or to the consent page.
//
// prompt=login and max_age (OpenID Connect Core 3.1.2.1) send a signed-in person to /login as
// well, with a continuation that only a session started after that moment satisfies (see
// oauth.Provider.ContinueAfterSignIn); the sign-in page shows its form to a signed-in person
// whose session is too old for the request it continues to (signInAgainFor).

// Page names of the OAuth pages (templates of package web).
const (
	pageConsent    = "consent"
	pageDevice     = "device"
	pageDeviceDone = "device_done"
	pageOAuthError = "oauth_error"
)

// authorizePath is the path of the authorization endpoint.
const authorizePath = "/oauth2/authorize"

// OIDC error codes of the authorization endpoint that only the HTTP side can decide (OpenID
// Connect Core 3.1.2.6): prompt=none without a session or without consent.
const (
	codeLoginRequired   gatehouse.Code = "login_required"
	codeConsentRequired gatehouse.Code = "consent_required"
)

// authorizeParams are the parameters of an authorization request that travel: in the query of
// /oauth2/authorize, the next= of /login and the hidden fields of the consent form.
var authorizeParams = []string{
	"client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
	"code_challenge", "code_challenge_method", "prompt", "response_mode", "max_age",
	oauth.AuthAfterParam,
}

// authorizeRequestOf reads an authorization request from a query or a form.
func authorizeRequestOf(v url.Values) oauth.AuthorizeRequest {
	return oauth.AuthorizeRequest{
		ClientID:            v.Get("client_id"),
		RedirectURI:         v.Get("redirect_uri"),
		ResponseType:        v.Get("response_type"),
		Scope:               v.Get("scope"),
		State:               v.Get("state"),
		Nonce:               v.Get("nonce"),
		CodeChallenge:       v.Get("code_challenge"),
		CodeChallengeMethod: v.Get("code_challenge_method"),
		Prompt:              v.Get("prompt"),
		ResponseMode:        v.Get("response_mode"),
		MaxAge:              v.Get("max_age"),
		AuthAfter:           v.Get(oauth.AuthAfterParam),
	}
}

// authorizeValues is the inverse of authorizeRequestOf, without the empty parameters.
func authorizeValues(req oauth.AuthorizeRequest) url.Values {
	all := []string{
		req.ClientID, req.RedirectURI, req.ResponseType, req.Scope, req.State, req.Nonce,
		req.CodeChallenge, req.CodeChallengeMethod, req.Prompt, req.ResponseMode, req.MaxAge,
		req.AuthAfter,
	}
	v := url.Values{}
	for i, name := range authorizeParams {
		if all[i] != "" {
			v.Set(name, all[i])
		}
	}
	return v
}

// authorizeURL is the local URL that asks for req again (what /login continues to).
func authorizeURL(req oauth.AuthorizeRequest) string {
	return authorizePath + "?" + authorizeValues(req).Encode()
}

// loginFor sends the browser to /login, coming back to the authorization request afterwards.
func loginFor(w http.ResponseWriter, r *http.Request, next string) {
	http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// signInFor sends the browser to /login for the authorization request req: after the sign-in
// it continues with req, or, when req asks for a fresh sign-in (prompt=login, max_age), with
// the continuation that only a session started from now on satisfies
// (oauth.Provider.ContinueAfterSignIn).
func (s *Server) signInFor(w http.ResponseWriter, r *http.Request, req oauth.AuthorizeRequest) {
	loginFor(w, r, authorizeURL(s.OAuth.ContinueAfterSignIn(req)))
}

// signedInEnough checks the session of p against the freshness the request a asks for
// (prompt=login, max_age, the continuation marker). When it is not enough it answers the
// request itself: login_required to the client for prompt=none (OpenID Connect Core 3.1.2.6),
// else the sign-in page, and returns false. p must not be nil.
func (s *Server) signedInEnough(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, req oauth.AuthorizeRequest, a *oauth.Authorization) bool {
	if !s.OAuth.SignInNeeded(a, p.Session) {
		return true
	}
	if hasPrompt(a.Prompt, "none") {
		s.authorizeFailed(w, r, &oauth.AuthorizeError{Code: codeLoginRequired, Description: "The user must sign in again.", RedirectURI: a.RedirectURI, State: a.State})
		return false
	}
	s.signInFor(w, r, req)
	return false
}

// signInAgainFor reports whether next (a sign-in page's ?next=) is an authorization request
// that the session of the signed-in p is too old for: the sign-in form must then be shown
// although someone is signed in, instead of sending them on to next (and back again).
func (s *Server) signInAgainFor(r *http.Request, next string, p *gatehouse.Principal) bool {
	if s.OAuth == nil || p == nil {
		return false
	}
	rawQuery, ok := strings.CutPrefix(next, authorizePath+"?")
	if !ok {
		return false
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil || repeatedParam(q) != "" {
		return false
	}
	a, err := s.OAuth.ParseAuthorize(r.Context(), authorizeRequestOf(q))
	if err != nil {
		return false // the authorization endpoint shows the error
	}
	return s.OAuth.SignInNeeded(a, p.Session)
}

// hasPrompt reports whether the space-separated prompt parameter holds value.
func hasPrompt(prompt, value string) bool {
	for _, p := range strings.Fields(prompt) {
		if p == value {
			return true
		}
	}
	return false
}

// parseAuthorization is the start of the authorization endpoint and of both consent handlers:
// it validates the authorization request in values and finds who is signed in (p is nil when
// nobody is). When it returns ok false it has answered the request itself: an error page, or an
// error sent back to the client.
func (s *Server) parseAuthorization(w http.ResponseWriter, r *http.Request, values url.Values) (req oauth.AuthorizeRequest, a *oauth.Authorization, p *gatehouse.Principal, ok bool) {
	if name := repeatedParam(values); name != "" {
		// Which client_id or redirect_uri counts is unknown: never redirect.
		s.renderOAuthError(w, r, repeatedParamError(name))
		return req, nil, nil, false
	}
	req = authorizeRequestOf(values)
	a, err := s.OAuth.ParseAuthorize(r.Context(), req)
	if err != nil {
		s.authorizeFailed(w, r, err)
		return req, nil, nil, false
	}
	p, err = s.pagePrincipal(w, r)
	if err != nil {
		s.renderPageError(w, r, pageError, PageData{}, err)
		return req, nil, nil, false
	}
	if p != nil && p.User == nil {
		p = nil
	}
	return req, a, p, true
}

// oauthAuthorize is GET /oauth2/authorize.
func (s *Server) oauthAuthorize(w http.ResponseWriter, r *http.Request) {
	req, a, p, ok := s.parseAuthorization(w, r, r.URL.Query())
	if !ok {
		return
	}
	if p == nil {
		if hasPrompt(a.Prompt, "none") {
			s.authorizeFailed(w, r, &oauth.AuthorizeError{Code: codeLoginRequired, Description: "The user is not signed in.", RedirectURI: a.RedirectURI, State: a.State})
			return
		}
		s.signInFor(w, r, req)
		return
	}
	if !s.signedInEnough(w, r, p, req, a) {
		return
	}
	if !hasPrompt(a.Prompt, "consent") {
		needed, err := s.OAuth.ConsentNeeded(r.Context(), p.User, a)
		if err != nil {
			s.authorizeFailed(w, r, err)
			return
		}
		if !needed {
			s.approveAuthorization(w, r, p, a, false)
			return
		}
	}
	if hasPrompt(a.Prompt, "none") {
		s.authorizeFailed(w, r, &oauth.AuthorizeError{Code: codeConsentRequired, Description: "The user has not authorized this application.", RedirectURI: a.RedirectURI, State: a.State})
		return
	}
	s.renderConsent(w, r, p, req, a)
}

// approveAuthorization issues the code and sends the browser back to the client.
func (s *Server) approveAuthorization(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, a *oauth.Authorization, remember bool) {
	to, err := s.OAuth.Approve(r.Context(), p, a, remember, s.meta(r))
	if err != nil {
		s.authorizeFailed(w, r, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// authorizeFailed answers a failed authorization request: back to the client with error,
// error_description, state and iss (RFC 6749 4.1.2.1, RFC 9207) when the provider trusts the
// redirect URI, else the error page (400). Other failures (the database is down) show the
// general error page.
func (s *Server) authorizeFailed(w http.ResponseWriter, r *http.Request, err error) {
	var ae *oauth.AuthorizeError
	if !errors.As(err, &ae) {
		s.renderPageError(w, r, pageError, PageData{}, err)
		return
	}
	if ae.RedirectURI == "" {
		s.renderOAuthError(w, r, &gatehouse.Error{Code: ae.Code, Message: ae.Description})
		return
	}
	to, perr := url.Parse(ae.RedirectURI)
	if perr != nil {
		s.renderOAuthError(w, r, &gatehouse.Error{Code: ae.Code, Message: ae.Description})
		return
	}
	q := to.Query()
	q.Set("error", string(ae.Code))
	if ae.Description != "" {
		q.Set("error_description", ae.Description)
	}
	if ae.State != "" {
		q.Set("state", ae.State)
	}
	if iss := s.oauthIssuer(); iss != "" {
		q.Set("iss", iss)
	}
	to.RawQuery = q.Encode()
	to.Fragment = ""
	http.Redirect(w, r, to.String(), http.StatusSeeOther)
}

// oauthIssuer is the provider's issuer identifier (RFC 9207's iss).
func (s *Server) oauthIssuer() string {
	iss, _ := s.OAuth.Metadata()["issuer"].(string)
	return iss
}

// OAuthErrorPageData is the data of the OAuth error page: the failure of an authorization
// request that cannot go back to the application.
type OAuthErrorPageData struct {
	PageData
	// Code is the OAuth error code (invalid_request, unauthorized_client...).
	Code string
}

// renderOAuthError shows the OAuth error page with err's code and message: 400 for the errors of
// the request, the status of the code for the others (429, 503, 500 with a generic text).
func (s *Server) renderOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	code, message, _ := describeWith(err, oauthErrorSpecs)
	status := OAuthStatusOf(code)
	switch {
	case status == http.StatusInternalServerError && code != gatehouse.CodeInternal:
		// A code of the authorization endpoint the tables do not know (login_required, or one
		// the provider adds): still the request's fault.
		status = http.StatusBadRequest
	case status == http.StatusUnauthorized:
		status = http.StatusBadRequest // an unknown client: no credentials to ask for here
	case status >= http.StatusInternalServerError || status == http.StatusTooManyRequests:
		s.renderPageError(w, r, pageError, PageData{}, err)
		return
	}
	if message == "" {
		message = "The application's request is not valid."
	}
	data := OAuthErrorPageData{PageData: PageData{Error: message, Status: status, RequestID: RequestID(r.Context())}, Code: string(code)}
	s.Pages.Render(w, r, status, pageOAuthError, data)
}

// formActionFor returns the Content-Security-Policy of a page whose form is answered with a
// redirect to redirectURI: form-action must allow the client's origin as well, since browsers
// check the whole redirect chain of a form submission against it. ok is false when the URI gives
// no origin that can be written into a policy safely.
func formActionFor(redirectURI string) (policy string, ok bool) {
	u, err := url.Parse(redirectURI)
	if err != nil || u.Scheme == "" {
		return "", false
	}
	var source string
	switch scheme := strings.ToLower(u.Scheme); scheme {
	case "http", "https":
		if u.Host == "" {
			return "", false
		}
		source = scheme + "://" + strings.ToLower(u.Host)
	default:
		source = scheme + ":" // a native app's private-use scheme (RFC 8252 7.1)
	}
	for _, c := range source {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune(".-+:/[]", c)) {
			return "", false
		}
	}
	return strings.Replace(contentSecurityPolicy, "form-action 'self'", "form-action 'self' "+source, 1), true
}

// allowFormRedirectTo widens the page's form-action to the redirect URI's origin.
func allowFormRedirectTo(w http.ResponseWriter, redirectURI string) {
	if policy, ok := formActionFor(redirectURI); ok {
		w.Header().Set("Content-Security-Policy", policy)
	}
}

// allowFormRedirectForNext widens form-action on the sign-in pages when they continue to an
// authorization request (next=/oauth2/authorize?...) that is valid: the sign-in form's answer
// may then redirect, through /oauth2/authorize, to the client.
func (s *Server) allowFormRedirectForNext(w http.ResponseWriter, r *http.Request, next string) {
	if s.OAuth == nil {
		return
	}
	rawQuery, ok := strings.CutPrefix(next, authorizePath+"?")
	if !ok {
		return
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil || repeatedParam(q) != "" {
		return
	}
	a, err := s.OAuth.ParseAuthorize(r.Context(), authorizeRequestOf(q))
	if err != nil {
		return
	}
	allowFormRedirectTo(w, a.RedirectURI)
}
