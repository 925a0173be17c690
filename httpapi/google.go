package httpapi

import (
	"crypto/subtle"
	"net/http"
	"net/url"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/authz"
	"github.com/gatehouse-auth/gatehouse/web"
)

// Google (OpenID Connect) sign-in: POST /v1/auth/google with an ID token, the redirect flow
// (/v1/auth/google/start and /callback), GET /v1/me/account, POST /v1/me/google/unlink, the
// "Continue with Google" button of /login and the Connected accounts tab of /account.

// tabConnected is the Connected accounts tab of the account page.
const tabConnected = "connected"

// googleRoutes registers the Google sign-in endpoints and pages.
func (s *Server) googleRoutes(rt *router) {
	rt.public("POST /v1/auth/google", s.serve(s.googleSignIn))
	rt.public("GET /v1/auth/google/start", s.googleStart)
	rt.public("GET /v1/auth/google/callback", s.googleCallback)
	rt.authed("GET /v1/me/account", authz.Read, s.getAccount)
	rt.authed("POST /v1/me/google/unlink", authz.Sensitive, s.unlinkGoogle)
	if s.Pages == nil {
		return
	}
	rt.page("GET /account/connected", s.connectedPage)
	rt.page("POST /account/connected/google/unlink", s.connectedUnlink)
}

// googleStartURL is where the sign-in page's "Continue with Google" button leads (carrying the
// page's next path), or "" when Google sign-in is not configured.
func (s *Server) googleStartURL(next string) string {
	if s.Google == nil || !s.Google.Enabled() {
		return ""
	}
	start := "/v1/auth/google/start"
	if next != "" && next != "/" {
		start += "?next=" + url.QueryEscape(next)
	}
	return start
}

// optionalPrincipal returns the signed-in principal of a request that may be anonymous: nil
// when it carries no credential, or only a stale session cookie.
func (s *Server) optionalPrincipal(r *http.Request) (*gatehouse.Principal, error) {
	tok, fromCookie := s.credential(r)
	if tok == "" {
		return nil, nil
	}
	p, err := s.authenticate(r)
	if err != nil {
		switch c := gatehouse.ErrorCode(err); {
		case fromCookie && (c == gatehouse.CodeInvalidToken || c == gatehouse.CodeExpiredToken):
			return nil, nil
		}
		return nil, err
	}
	return p, nil
}

// googleSignInRequest is the body of POST /v1/auth/google: a Google Identity Services credential (an ID token) and the nonce it was issued for.
type googleSignInRequest struct {
	Credential string `json:"credential"`
	Nonce      string `json:"nonce,omitempty"`
}

// googleSignIn is POST /v1/auth/google {credential, nonce?}.
func (s *Server) googleSignIn(w http.ResponseWriter, r *http.Request) error {
	if !s.Google.Enabled() {
		return gatehouse.Errorf(gatehouse.CodeNotFound, "Google sign-in is not enabled.")
	}
	if err := s.rateLimit(r, "auth"); err != nil {
		return err
	}
	var in googleSignInRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.optionalPrincipal(r)
	if err != nil {
		return err
	}
	g, err := s.Google.SignIn(r.Context(), in.Credential, in.Nonce, p, s.meta(r))
	if err != nil {
		return err
	}
	s.writeGrant(w, r, http.StatusOK, g)
	return nil
}

// oidcStateCookie binds a redirect flow to the browser that began it: the callback must come
// with the same state in this cookie, so that nobody can make another browser finish their flow.
func (s *Server) oidcStateCookie() string {
	if s.secure() {
		return "__Host-gatehouse_oidc"
	}
	return "gatehouse_oidc"
}

// googleFailure answers a failed browser step: the error page when there are pages, else JSON.
func (s *Server) googleFailure(w http.ResponseWriter, r *http.Request, err error) {
	if s.Pages != nil {
		s.renderError(w, r, err)
		return
	}
	s.noteAuthFailure(err)
	WriteError(w, r, err)
}

// googleStart is GET /v1/auth/google/start?next=: 302 to the issuer.
func (s *Server) googleStart(w http.ResponseWriter, r *http.Request) {
	if !s.Google.Enabled() {
		s.googleFailure(w, r, gatehouse.Errorf(gatehouse.CodeNotFound, "Google sign-in is not enabled on this server."))
		return
	}
	if err := s.rateLimit(r, "auth"); err != nil {
		s.googleFailure(w, r, err)
		return
	}
	p, err := s.optionalPrincipal(r)
	if err != nil {
		s.googleFailure(w, r, err)
		return
	}
	next := s.localRedirect(r.URL.Query().Get("next"))
	authURL, state, err := s.Google.Start(r.Context(), next, p)
	if err != nil {
		s.googleFailure(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.oidcStateCookie(), Value: state, Path: "/", MaxAge: 600,
		HttpOnly: true, Secure: s.secure(), SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, authURL, http.StatusFound)
}

// googleCallback is GET /v1/auth/google/callback?code=&state=: sign in, set the session cookie
// and 303 to the flow's next path.
func (s *Server) googleCallback(w http.ResponseWriter, r *http.Request) {
	if !s.Google.Enabled() {
		s.googleFailure(w, r, gatehouse.Errorf(gatehouse.CodeNotFound, "Google sign-in is not enabled on this server."))
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	c, err := r.Cookie(s.oidcStateCookie())
	http.SetCookie(w, &http.Cookie{
		Name: s.oidcStateCookie(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure(), SameSite: http.SameSiteLaxMode,
	})
	if q.Get("error") != "" {
		s.googleFailure(w, r, gatehouse.Errorf(gatehouse.CodeInvalidCredentials, "The sign-in with Google was cancelled or refused."))
		return
	}
	if err != nil || state == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		s.googleFailure(w, r, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "This sign-in with Google was started in another browser or has expired. Try again."))
		return
	}
	if err := s.rateLimit(r, "auth"); err != nil {
		s.googleFailure(w, r, err)
		return
	}
	g, next, err := s.Google.Callback(r.Context(), state, q.Get("code"), s.meta(r))
	if err != nil {
		s.googleFailure(w, r, err)
		return
	}
	s.startSession(w, r, g)
	http.Redirect(w, r, s.localRedirect(next), http.StatusSeeOther)
}

// accountJSON is GET /v1/me/account.
type accountJSON struct {
	Username        string   `json:"username"`
	HasPassword     bool     `json:"has_password"`
	GoogleLinked    bool     `json:"google_linked"`
	CanUnlinkGoogle bool     `json:"can_unlink_google"`
	Methods         []string `json:"available_sign_in_methods"`
	PasskeyCount    int      `json:"passkey_count"`
	EmailVerified   bool     `json:"email_verified"`
	PlanSource      string   `json:"plan_source"`
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	a, err := s.Accounts.Account(r.Context(), p)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, accountJSON{
		Username: a.Username, HasPassword: a.HasPassword, GoogleLinked: a.GoogleLinked, CanUnlinkGoogle: a.CanUnlinkGoogle,
		Methods: a.Methods, PasskeyCount: a.PasskeyCount, EmailVerified: a.EmailVerified, PlanSource: a.PlanSource,
	})
	return nil
}

func (s *Server) unlinkGoogle(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := s.Google.Unlink(r.Context(), p, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// connectedPage is GET /account/connected.
func (s *Server) connectedPage(w http.ResponseWriter, r *http.Request) {
	p := s.connectedSignedIn(w, r)
	if p == nil {
		return
	}
	data := s.accountData(p, tabConnected)
	if r.URL.Query().Get("unlinked") == "1" {
		data.Notice = "Google was unlinked from your account."
	}
	s.renderConnected(w, r, p, http.StatusOK, data)
}

// connectedUnlink is POST /account/connected/google/unlink: 303 back to the tab, or the tab with
// the reason it was refused.
func (s *Server) connectedUnlink(w http.ResponseWriter, r *http.Request) {
	p := s.connectedSignedIn(w, r)
	if p == nil {
		return
	}
	if err := s.Google.Unlink(r.Context(), p, s.meta(r)); err != nil {
		data := s.accountData(p, tabConnected)
		s.noteAuthFailure(err)
		code, message, _ := describe(err)
		status := StatusOf(code)
		if status == http.StatusInternalServerError {
			Logger(r.Context()).Error("internal error", "method", r.Method, "path", r.URL.Path, "error", err)
			message = internalMessage
		}
		data.Error, data.Status, data.RequestID = message, status, RequestID(r.Context())
		s.renderConnected(w, r, p, status, data)
		return
	}
	http.Redirect(w, r, "/account/connected?unlinked=1", http.StatusSeeOther)
}

func (s *Server) connectedSignedIn(w http.ResponseWriter, r *http.Request) *gatehouse.Principal {
	p, err := s.pagePrincipal(w, r)
	if err != nil {
		s.renderError(w, r, err)
		return nil
	}
	if p == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape("/account/connected"), http.StatusSeeOther)
		return nil
	}
	return p
}

func (s *Server) renderConnected(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, status int, data web.AccountPage) {
	a, err := s.Accounts.Account(r.Context(), p)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	data.GoogleEnabled, data.GoogleLinked, data.CanUnlinkGoogle = s.Google.Enabled(), a.GoogleLinked, a.CanUnlinkGoogle
	data.LinkURL = "/v1/auth/google/start?next=" + url.QueryEscape("/account/connected")
	s.Pages.Account(w, r, status, data)
}
