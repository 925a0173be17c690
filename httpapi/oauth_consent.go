package httpapi

import (
	"net/http"
	"net/url"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/oauth"
	"github.com/gatehouse-auth/gatehouse/web"
)

// The consent page (template web/templates/consent.html). The form carries the authorization
// request in hidden fields; they are never trusted: the POST goes through
// oauth.Provider.Authorize again, exactly as /oauth2/authorize does, which parses them and wants
// the session as fresh as the request asks (prompt=login, max_age, the continuation marker)
// before a code is issued.
// Cross-site submission is refused by the CrossOrigin middleware, like every form of the site,
// and the page cannot be framed.

// renderConsent shows the consent page of c to the signed-in p.
func (s *Server) renderConsent(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, c *oauth.ConsentPrompt) {
	data := web.ConsentPage{
		Page:         web.Page{Username: p.User.Username, DisplayName: p.User.DisplayName},
		ClientID:     c.Client.ID,
		ClientName:   c.Client.Name,
		RedirectHost: redirectHost(c.RedirectURI),
		Scopes:       scopeViews(c.Scopes),
		Remember:     true,
	}
	v := authorizeValues(c.Request)
	for _, name := range authorizeParams {
		if v.Has(name) {
			data.Request = append(data.Request, web.HiddenField{Name: name, Value: v.Get(name)})
		}
	}
	allowFormRedirectTo(w, c.RedirectURI)
	s.Pages.Consent(w, r, http.StatusOK, data)
}

// redirectHost names where a redirect URI leads, for people: its host, or its scheme.
func redirectHost(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	if u.Host != "" {
		return u.Host
	}
	return u.Scheme + ":"
}

// oauthConsentPage is GET /oauth2/consent with an authorization request's query: the consent
// page, whatever remembered consent there is (the authorization endpoint skips it when it can).
func (s *Server) oauthConsentPage(w http.ResponseWriter, r *http.Request) {
	s.authorize(w, r, r.URL.Query(), oauth.DecisionAsk, false)
}

// oauthConsentSubmit is POST /oauth2/consent: action=approve issues the code (remembering the
// consent when "remember" is checked), action=deny sends error=access_denied; both answer 303
// to the client.
func (s *Server) oauthConsentSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, formError(err))
		return
	}
	decision := oauth.DecisionInvalid
	switch r.PostForm.Get("action") {
	case "approve":
		decision = oauth.DecisionApprove
	case "deny":
		decision = oauth.DecisionDeny
	}
	s.authorize(w, r, r.PostForm, decision, r.PostForm.Get("remember") != "")
}
