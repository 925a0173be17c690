package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/oauth"
	"github.com/gatehouse-auth/gatehouse/web"
)

// The authorization endpoint (RFC 6749 3.1, 4.1.1; code + PKCE S256 only) and the consent
// page's answers. oauth.Provider.Authorize decides; this file reads the request and the session
// cookie and renders the outcome: a redirect (to the client, with a code or an error), /login
// (continuing with the request), the consent page, or an error page (never a redirect when the
// client or its redirect URI is in doubt).
//
// The sign-in page shows its form to a signed-in person whose session is too old for the
// authorization request it continues to (signInAgainFor: prompt=login, max_age).

// authorizePath is the path of the authorization endpoint.
const authorizePath = "/oauth2/authorize"

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
	return s.OAuth.SignInAgain(r.Context(), authorizeRequestOf(q), p.Session)
}

// oauthAuthorize is GET /oauth2/authorize.
func (s *Server) oauthAuthorize(w http.ResponseWriter, r *http.Request) {
	s.authorize(w, r, r.URL.Query(), oauth.DecisionNone, false)
}

// authorize answers the authorization request in values (a query, or the consent form) with
// decision d: the provider decides, this renders its outcome.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, values url.Values, d oauth.Decision, remember bool) {
	if name := repeatedParam(values); name != "" {
		// Which client_id or redirect_uri counts is unknown: never redirect.
		s.renderOAuthError(w, r, repeatedParamError(name))
		return
	}
	p, err := s.pagePrincipal(w, r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	o := s.OAuth.Authorize(r.Context(), oauth.AuthorizeInput{
		Request: authorizeRequestOf(values), Principal: p, Decision: d, Remember: remember, Meta: s.meta(r),
	})
	switch o.Kind {
	case oauth.OutcomeRedirect:
		http.Redirect(w, r, o.Location, http.StatusSeeOther)
	case oauth.OutcomeSignIn:
		loginFor(w, r, authorizeURL(o.Continue))
	case oauth.OutcomeConsent:
		s.renderConsent(w, r, p, o.Consent)
	default:
		s.renderAuthorizeError(w, r, o.Err)
	}
}

// renderAuthorizeError shows an authorization request's failure that cannot go back to the
// client: the OAuth error page for the request's errors, the general error page for the others
// (the database is down).
func (s *Server) renderAuthorizeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *oauth.AuthorizeError
	if !errors.As(err, &ae) {
		s.renderError(w, r, err)
		return
	}
	s.renderOAuthError(w, r, &gatehouse.Error{Code: ae.Code, Message: ae.Description})
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
		s.renderError(w, r, err)
		return
	}
	if message == "" {
		message = "The application's request is not valid."
	}
	data := web.OAuthErrorPage{Page: web.Page{Error: message, Status: status, RequestID: RequestID(r.Context())}, Code: string(code)}
	s.Pages.OAuthError(w, r, status, data)
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
