package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/redirect"
)

// PageData is what the page handlers give Pages.Render. The templates of package web use these
// fields; a handler fills the ones that apply to its page.
type PageData struct {
	// Error is the friendly message shown in the page's role="alert" element ("" for none).
	Error string
	// Username, Email and DisplayName are the form values kept after a failed submission (never
	// the password), or the signed-in user on the home and sign-out pages.
	Username    string
	Email       string
	DisplayName string
	// Next is the local path the sign-in forms continue to ("/" by default).
	Next string
	// Status and RequestID describe the failure on the error page.
	Status    int
	RequestID string
	// GoogleStartURL is set on the sign-in page when Google sign-in is configured: the
	// "Continue with Google" button leads there.
	GoogleStartURL string
}

// Page names: templates of package web.
const (
	pageLogin    = "login"
	pageRegister = "register"
	pageLogout   = "logout"
	pageHome     = "home"
	pageError    = "error"
)

// pageRoutes registers the server-rendered pages. They authenticate by the session cookie only;
// their POST forms are protected against cross-site submission by the CrossOrigin middleware.
func (s *Server) pageRoutes(rt *router) {
	rt.page("GET /{$}", s.homePage)
	rt.page("GET /login", s.loginPage)
	rt.page("POST /login", s.loginSubmit)
	rt.page("GET /register", s.registerPage)
	rt.page("POST /register", s.registerSubmit)
	rt.page("GET /logout", s.logoutPage)
	rt.page("POST /logout", s.logoutSubmit)
	s.accountRoutes(rt) // account_pages.go: /account with the profile, API tokens and sessions tabs
	s.recoveryPageRoutes(rt)
	rt.pageHandler("GET /static/", s.Pages.Static())
}

func (s *Server) homePage(w http.ResponseWriter, r *http.Request) {
	p, err := s.pagePrincipal(w, r)
	if err != nil {
		s.renderPageError(w, r, pageError, PageData{}, err)
		return
	}
	if p == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.Pages.Render(w, r, http.StatusOK, pageHome, PageData{Username: p.User.Username, DisplayName: p.User.DisplayName})
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.showSignInForm(w, r, pageLogin)
}

func (s *Server) registerPage(w http.ResponseWriter, r *http.Request) {
	s.showSignInForm(w, r, pageRegister)
}

// showSignInForm renders the login or register form, or sends a visitor who is already signed in
// on to ?next= (unless next is an authorization request their session is too old for:
// prompt=login, max_age; see signInAgainFor).
func (s *Server) showSignInForm(w http.ResponseWriter, r *http.Request, page string) {
	next := s.localRedirect(r.URL.Query().Get("next"))
	if p, err := s.pagePrincipal(w, r); err == nil && p != nil && !s.signInAgainFor(r, next, p) {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	// An error looking up the cookie's session (the database is down) still shows the form.
	s.allowFormRedirectForNext(w, r, next) // oauth_authorize.go: next may lead back to an OAuth client
	data := PageData{Next: next}
	if page == pageLogin {
		data.GoogleStartURL = s.googleStartURL(next)
	}
	s.Pages.Render(w, r, http.StatusOK, page, data)
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	err := r.ParseForm() // r.PostForm holds what could be read even when it fails
	data := PageData{Username: r.PostForm.Get("username"), Next: s.localRedirect(r.PostForm.Get("next"))}
	data.GoogleStartURL = s.googleStartURL(data.Next)
	s.allowFormRedirectForNext(w, r, data.Next)
	if err != nil {
		s.renderPageError(w, r, pageLogin, data, formError(err))
		return
	}
	if err := s.rateLimit(r, "auth"); err != nil {
		s.renderPageError(w, r, pageLogin, data, err)
		return
	}
	g, err := s.SignIn.Login(r.Context(), data.Username, r.PostForm.Get("password"), s.meta(r))
	if err != nil {
		s.renderPageError(w, r, pageLogin, data, err)
		return
	}
	s.startSession(w, r, g)
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
}

func (s *Server) registerSubmit(w http.ResponseWriter, r *http.Request) {
	err := r.ParseForm() // r.PostForm holds what could be read even when it fails
	data := PageData{
		Username:    r.PostForm.Get("username"),
		Email:       r.PostForm.Get("email"),
		DisplayName: r.PostForm.Get("display_name"),
		Next:        s.localRedirect(r.PostForm.Get("next")),
	}
	s.allowFormRedirectForNext(w, r, data.Next)
	if err != nil {
		s.renderPageError(w, r, pageRegister, data, formError(err))
		return
	}
	if err := s.rateLimit(r, "auth"); err != nil {
		s.renderPageError(w, r, pageRegister, data, err)
		return
	}
	in := auth.RegisterInput{Username: data.Username, Password: r.PostForm.Get("password"), Email: data.Email, DisplayName: data.DisplayName}
	g, err := s.Accounts.Register(r.Context(), in, s.meta(r))
	if err != nil {
		s.renderPageError(w, r, pageRegister, data, err)
		return
	}
	s.startSession(w, r, g)
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
}

// logoutPage asks a signed-in visitor to confirm (a GET must not sign anyone out: links and
// prefetches would).
func (s *Server) logoutPage(w http.ResponseWriter, r *http.Request) {
	p, err := s.pagePrincipal(w, r)
	if err != nil {
		s.renderPageError(w, r, pageError, PageData{}, err)
		return
	}
	if p == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.Pages.Render(w, r, http.StatusOK, pageLogout, PageData{Username: p.User.Username, DisplayName: p.User.DisplayName})
}

func (s *Server) logoutSubmit(w http.ResponseWriter, r *http.Request) {
	if err := s.endSession(w, r); err != nil {
		s.renderPageError(w, r, pageError, PageData{}, err)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// pagePrincipal returns the visitor signed in by the session cookie, nil when there is none or it
// is no longer valid (then the stale cookie is cleared). Only the cookie counts: pages are for
// browsers. The error is for failures other than a bad credential (the database is down).
func (s *Server) pagePrincipal(w http.ResponseWriter, r *http.Request) (*gatehouse.Principal, error) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" {
		return nil, nil
	}
	p, err := s.Sessions.Authenticate(r.Context(), c.Value, s.meta(r))
	if err == nil && p.Credential != gatehouse.CredentialSession {
		err = errCookieNotSession // only a session is ever set in the cookie
	}
	switch gatehouse.ErrorCode(err) {
	case "":
		return p, nil
	case gatehouse.CodeInvalidToken, gatehouse.CodeExpiredToken:
		s.clearSessionCookie(w)
		return nil, nil
	default:
		return nil, err
	}
}

// pageFailure is what renderPageError shows of err: the status of its code, its friendly
// message (a generic one for internal errors, which are logged), Retry-After for 429 and 503.
func (s *Server) pageFailure(w http.ResponseWriter, r *http.Request, err error) (int, string) {
	s.noteAuthFailure(err)
	code, message, retryAfter := describe(err)
	status := StatusOf(code)
	if status == http.StatusInternalServerError {
		Logger(r.Context()).Error("internal error", "method", r.Method, "path", r.URL.Path, "error", err)
		message = internalMessage
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.FormatInt(retryAfterSeconds(retryAfter), 10))
	}
	return status, message
}

// renderPageError shows page again with the friendly message of err and the status of its code
// (429 and 503 with Retry-After). Internal errors are logged and shown with a generic text.
func (s *Server) renderPageError(w http.ResponseWriter, r *http.Request, page string, data PageData, err error) {
	status, message := s.pageFailure(w, r, err)
	data.Error = message
	data.Status = status
	data.RequestID = RequestID(r.Context())
	s.Pages.Render(w, r, status, page, data)
}

// formError turns a failure to read a form into a domain error: too large (413) or malformed.
func formError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return err
	}
	return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The form could not be read.")
}

// localRedirect is where a sign-in form's next may lead: a path on this server (redirect.Target
// with no origin), else "/". Unlike the logout redirect it never allows another origin: the
// sign-in forms carry it from a URL anyone can craft.
func (s *Server) localRedirect(target string) string {
	return redirect.Target(target, nil)
}
