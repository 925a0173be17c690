package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/web"
)

// The /account page (template web/templates/account.html): three tabs, each its own URL, all
// server-rendered. A new personal access token is shown once, in the 200 answer to the POST that
// made it, never in a URL, a redirect or a later page. Every other form answers 303 back to its
// tab with a notice flag (?saved=1, ?revoked=1, ?email=pending) that carries nothing secret.

// Tabs of the account page.
const (
	tabProfile  = "profile"
	tabTokens   = "tokens"
	tabSessions = "sessions"
)

// accountTabPaths are the URLs of the tabs.
var accountTabPaths = map[string]string{
	tabProfile:  "/account",
	tabTokens:   "/account/tokens",
	tabSessions: "/account/sessions",
}

// patExpiryChoices are the lifetimes the token form offers (auth.PATInput.ExpiresIn).
var patExpiryChoices = []struct{ value, label string }{
	{"30d", "30 days"},
	{"90d", "90 days"},
	{"1y", "1 year"},
	{"never", "Never"},
}

// defaultPATExpiry is the lifetime preselected in the token form.
const defaultPATExpiry = "90d"

// accountTime is t as the account pages show it (zero: never).
func accountTime(t time.Time) web.AccountTime {
	if t.IsZero() {
		return web.AccountTime{}
	}
	t = t.UTC()
	return web.AccountTime{ISO: t.Format(time.RFC3339), Text: t.Format("2 Jan 2006, 15:04 UTC")}
}

func accountTimePtr(t *time.Time) web.AccountTime {
	if t == nil {
		return web.AccountTime{}
	}
	return accountTime(*t)
}

// accountRoutes registers the account page; pageRoutes calls it.
func (s *Server) accountRoutes(rt *router) {
	rt.page("GET /account", s.accountPage(tabProfile))
	rt.page("GET /account/tokens", s.accountPage(tabTokens))
	rt.page("GET /account/sessions", s.accountPage(tabSessions))
	rt.page("POST /account/profile", s.accountForm(tabProfile, s.accountProfileSubmit))
	rt.page("POST /account/tokens", s.accountForm(tabTokens, s.accountTokenCreate))
	rt.page("POST /account/tokens/{id}/revoke", s.accountForm(tabTokens, s.accountTokenRevoke))
	rt.page("POST /account/sessions/{id}/revoke", s.accountForm(tabSessions, s.accountSessionRevoke))
	rt.page("POST /account/reauth", s.accountReauthSubmit) // account_reauth.go
}

// accountSignedIn returns the visitor signed in by the session cookie. When there is none it
// answers 303 to /login (coming back to tab afterwards) and returns nil; on a failure it shows
// the error page and returns nil.
func (s *Server) accountSignedIn(w http.ResponseWriter, r *http.Request, tab string) *gatehouse.Principal {
	p, err := s.pagePrincipal(w, r)
	if err != nil {
		s.renderError(w, r, err)
		return nil
	}
	if p == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(accountTabPaths[tab]), http.StatusSeeOther)
		return nil
	}
	return p
}

// accountPage shows a tab, with the notice its ?saved= or ?revoked= flag names.
func (s *Server) accountPage(tab string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.accountSignedIn(w, r, tab)
		if p == nil {
			return
		}
		data := s.accountData(p, tab)
		q := r.URL.Query()
		switch {
		case tab == tabProfile && q.Get("email") == "pending":
			data.Notice = "Your profile was saved. To change your email address, type the code we mailed to the new address; until then your account keeps its current one."
		case tab == tabProfile && q.Get("saved") == "1":
			data.Notice = "Your profile was saved."
		case tab == tabTokens && q.Get("revoked") == "1":
			data.Notice = "The token was revoked. It no longer works."
		case tab == tabSessions && q.Get("revoked") == "1":
			data.Notice = "The session was revoked and signed out."
		}
		if tab == tabProfile {
			pending, err := s.Accounts.PendingEmail(r.Context(), p)
			if err != nil {
				s.renderError(w, r, err)
				return
			}
			data.PendingEmail = pending
		}
		s.renderAccount(w, r, p, http.StatusOK, data)
	}
}

// accountSubmit handles a POST of the account page: it writes the answer itself, or returns
// an error that accountForm shows on the tab, with data holding the form's values.
type accountSubmit func(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, data *web.AccountPage) error

// accountForm wraps a form handler: the signed-in check, reading the form, and the error page.
func (s *Server) accountForm(tab string, h accountSubmit) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.accountSignedIn(w, r, tab)
		if p == nil {
			return
		}
		data := s.accountData(p, tab)
		err := r.ParseForm()
		if err != nil {
			err = formError(err)
		} else {
			err = h(w, r, p, &data)
		}
		if err != nil {
			s.renderAccountError(w, r, p, data, err)
		}
	}
}

// accountData is the page's data for p before any list is loaded.
func (s *Server) accountData(p *gatehouse.Principal, tab string) web.AccountPage {
	u := p.User
	return web.AccountPage{
		Page:          web.Page{Username: u.Username, Email: u.Email, DisplayName: u.DisplayName},
		Tab:           tab,
		EmailVerified: u.EmailVerified,
		StoredEmail:   u.Email,
	}
}

// renderAccount loads what the tab lists and renders the page with status.
func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, status int, data web.AccountPage) {
	if err := s.loadAccountTab(r, p, &data); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.Pages.Account(w, r, status, data)
}

// renderAccountError shows the tab again with the friendly message of err and its status, as
// loginFailed does for the sign-in form.
func (s *Server) renderAccountError(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, data web.AccountPage, err error) {
	status := s.failedPage(w, r, &data.Page, err)
	if data.Reauth == nil {
		data.Reauth = reauthDialog(r, err)
	}
	s.renderAccount(w, r, p, status, data)
}

// loadAccountTab fills what the tab lists: the tokens and the form's choices, or the sessions.
func (s *Server) loadAccountTab(r *http.Request, p *gatehouse.Principal, data *web.AccountPage) error {
	switch data.Tab {
	case tabTokens:
		pats, err := s.PATs.List(r.Context(), p)
		if err != nil {
			return err
		}
		data.Tokens = make([]web.AccountToken, 0, len(pats))
		for _, t := range pats {
			data.Tokens = append(data.Tokens, web.AccountToken{
				ID: t.ID, Name: t.Name, Prefix: t.Prefix, Scopes: t.Scopes,
				Created: accountTime(t.CreatedAt), Expires: accountTimePtr(t.ExpiresAt), LastUsed: accountTimePtr(t.LastUsedAt),
			})
		}
		s.fillTokenForm(r, data)
	case tabSessions:
		sessions, err := s.Sessions.ListSessions(r.Context(), p)
		if err != nil {
			return err
		}
		data.Sessions = make([]web.AccountSession, 0, len(sessions))
		for _, x := range sessions {
			data.Sessions = append(data.Sessions, web.AccountSession{
				ID: x.ID, Device: deviceName(x.UserAgent), UserAgent: x.UserAgent, IP: x.IP, Prefix: x.TokenPrefix,
				Created: accountTime(x.CreatedAt), LastSeen: accountTime(x.LastSeenAt),
				Current: p.Session != nil && p.Session.ID == x.ID,
			})
		}
	}
	return nil
}

// fillTokenForm sets the choices of the token form: after a failed creation (a POST that made
// no token) the submitted ones stay selected, otherwise the defaults.
func (s *Server) fillTokenForm(r *http.Request, data *web.AccountPage) {
	expiry, scopes := defaultPATExpiry, []string(nil)
	if r.Method == http.MethodPost && data.NewToken == nil && r.PostForm.Has("expires_in") {
		expiry, scopes = r.PostForm.Get("expires_in"), r.PostForm["scopes"]
	}
	for _, c := range patExpiryChoices {
		data.ExpiryChoices = append(data.ExpiryChoices, web.AccountChoice{Value: c.value, Label: c.label, Selected: c.value == expiry})
	}
	for _, res := range s.PATs.APIResources() {
		read, write := res+":read", res+":write"
		data.ScopeChoices = append(data.ScopeChoices, web.AccountScopeChoice{
			Resource: res,
			Read:     web.AccountChoice{Value: read, Label: "read", Selected: slices.Contains(scopes, read)},
			Write:    web.AccountChoice{Value: write, Label: "write", Selected: slices.Contains(scopes, write)},
		})
	}
}

// accountProfileSubmit is POST /account/profile: display_name and email.
func (s *Server) accountProfileSubmit(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, data *web.AccountPage) error {
	var in auth.ProfileInput
	if r.PostForm.Has("display_name") {
		v := r.PostForm.Get("display_name")
		in.DisplayName, data.DisplayName = &v, v
	}
	if r.PostForm.Has("email") {
		v := r.PostForm.Get("email")
		in.Email, data.Email = &v, v
	}
	if err := s.limitEmailChange(r, p, in.Email); err != nil {
		return err
	}
	_, pending, err := s.Accounts.UpdateProfile(r.Context(), p, in, s.meta(r))
	if err != nil {
		return err
	}
	if pending != "" {
		http.Redirect(w, r, "/account?email=pending", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/account?saved=1", http.StatusSeeOther)
	return nil
}

// accountTokenCreate is POST /account/tokens: the answer is the page itself (200) with the new
// token, so that it never lands in a URL or the history.
func (s *Server) accountTokenCreate(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, data *web.AccountPage) error {
	in := auth.PATInput{
		Name:      r.PostForm.Get("name"),
		ExpiresIn: r.PostForm.Get("expires_in"),
		Scopes:    r.PostForm["scopes"],
	}
	data.TokenName = in.Name
	g, err := s.PATs.Create(r.Context(), p, in, s.meta(r))
	if err != nil {
		return err
	}
	data.TokenName = ""
	data.NewToken = &web.AccountNewToken{Name: g.PAT.Name, Token: g.Token, Expires: accountTimePtr(g.PAT.ExpiresAt)}
	data.Notice = "Token “" + g.PAT.Name + "” created."
	s.renderAccount(w, r, p, http.StatusOK, *data)
	return nil
}

// accountTokenRevoke is POST /account/tokens/{id}/revoke.
func (s *Server) accountTokenRevoke(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, _ *web.AccountPage) error {
	if err := s.PATs.Revoke(r.Context(), p, r.PathValue("id"), s.meta(r)); err != nil {
		return err
	}
	http.Redirect(w, r, "/account/tokens?revoked=1", http.StatusSeeOther)
	return nil
}

// accountSessionRevoke is POST /account/sessions/{id}/revoke. Revoking this browser's own
// session signs it out: the cookie is cleared and the answer goes to /login.
func (s *Server) accountSessionRevoke(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, _ *web.AccountPage) error {
	id := r.PathValue("id")
	if err := s.Sessions.RevokeSession(r.Context(), p, id, s.meta(r)); err != nil {
		if errors.Is(err, gatehouse.ErrNotFound) {
			return gatehouse.Errorf(gatehouse.CodeNotFound, "No such session.")
		}
		return err
	}
	if p.Session != nil && p.Session.ID == id {
		s.clearSessionCookie(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/account/sessions?revoked=1", http.StatusSeeOther)
	return nil
}

// deviceName names the browser and system of a User-Agent in a few words ("Chrome on Linux"),
// or "Unknown device"; the page shows the whole string beside it.
func deviceName(ua string) string {
	if strings.TrimSpace(ua) == "" {
		return "Unknown device"
	}
	browsers := []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"HeadlessChrome/", "Headless Chrome"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"}, {"Go-http-client/", "Go client"},
		{"gatehouse-cli", "Gatehouse CLI"},
	}
	systems := []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	}
	browser, system := "", ""
	for _, b := range browsers {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	for _, o := range systems {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return "Browser on " + system
	}
	if r := []rune(ua); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return ua
}
