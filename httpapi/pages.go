package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/redirect"
	"github.com/gatehouse-auth/gatehouse/web"
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
		s.renderError(w, r, err)
		return
	}
	if p == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.Pages.Home(w, r, http.StatusOK, web.Page{Username: p.User.Username, DisplayName: p.User.DisplayName})
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if next, show := s.signInFormFor(w, r); show {
		s.Pages.Login(w, r, http.StatusOK, web.LoginPage{Page: web.Page{Next: next}, GoogleStartURL: s.googleStartURL(next)})
	}
}

func (s *Server) registerPage(w http.ResponseWriter, r *http.Request) {
	if next, show := s.signInFormFor(w, r); show {
		s.Pages.Register(w, r, http.StatusOK, web.Page{Next: next})
	}
}

// signInFormFor is the start of the login and register forms: it sends a visitor who is already
// signed in on to ?next= (unless next is an authorization request their session is too old for:
// prompt=login, max_age; see signInAgainFor) and returns show false, or returns the form's next.
func (s *Server) signInFormFor(w http.ResponseWriter, r *http.Request) (next string, show bool) {
	next = s.localRedirect(r.URL.Query().Get("next"))
	if p, err := s.pagePrincipal(w, r); err == nil && p != nil && !s.signInAgainFor(r, next, p) {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return "", false
	}
	// An error looking up the cookie's session (the database is down) still shows the form.
	s.allowFormRedirectForNext(w, r, next) // oauth_authorize.go: next may lead back to an OAuth client
	return next, true
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	err := r.ParseForm() // r.PostForm holds what could be read even when it fails
	data := web.LoginPage{Page: web.Page{Username: r.PostForm.Get("username"), Next: s.localRedirect(r.PostForm.Get("next"))}}
	data.GoogleStartURL = s.googleStartURL(data.Next)
	s.allowFormRedirectForNext(w, r, data.Next)
	if err != nil {
		s.loginFailed(w, r, data, formError(err))
		return
	}
	if err := s.rateLimit(r, "auth"); err != nil {
		s.loginFailed(w, r, data, err)
		return
	}
	g, err := s.SignIn.Login(r.Context(), data.Username, r.PostForm.Get("password"), s.meta(r))
	if err != nil {
		s.loginFailed(w, r, data, err)
		return
	}
	s.startSession(w, r, g)
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
}

func (s *Server) registerSubmit(w http.ResponseWriter, r *http.Request) {
	err := r.ParseForm() // r.PostForm holds what could be read even when it fails
	data := web.Page{
		Username:    r.PostForm.Get("username"),
		Email:       r.PostForm.Get("email"),
		DisplayName: r.PostForm.Get("display_name"),
		Next:        s.localRedirect(r.PostForm.Get("next")),
	}
	s.allowFormRedirectForNext(w, r, data.Next)
	if err != nil {
		s.registerFailed(w, r, data, formError(err))
		return
	}
	if err := s.rateLimit(r, "auth"); err != nil {
		s.registerFailed(w, r, data, err)
		return
	}
	in := auth.RegisterInput{Username: data.Username, Password: r.PostForm.Get("password"), Email: data.Email, DisplayName: data.DisplayName}
	g, err := s.Accounts.Register(r.Context(), in, s.meta(r))
	if err != nil {
		s.registerFailed(w, r, data, err)
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
		s.renderError(w, r, err)
		return
	}
	if p == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.Pages.Logout(w, r, http.StatusOK, web.Page{Username: p.User.Username, DisplayName: p.User.DisplayName})
}

func (s *Server) logoutSubmit(w http.ResponseWriter, r *http.Request) {
	if err := s.endSession(w, r); err != nil {
		s.renderError(w, r, err)
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

// pageFailure is what the pages show of err: the status of its code, its friendly
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

// failedPage sets page's Error, Status and RequestID to what pageFailure shows of err and
// returns the status.
func (s *Server) failedPage(w http.ResponseWriter, r *http.Request, page *web.Page, err error) int {
	status, message := s.pageFailure(w, r, err)
	page.Error, page.Status, page.RequestID = message, status, RequestID(r.Context())
	return status
}

// renderError shows the error page with the friendly message of err and the status of its code
// (429 and 503 with Retry-After). Internal errors are logged and shown with a generic text.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	var page web.Page
	status := s.failedPage(w, r, &page, err)
	s.Pages.Error(w, r, status, page)
}

// loginFailed shows the sign-in form again (data: its values) with err, as renderError does.
func (s *Server) loginFailed(w http.ResponseWriter, r *http.Request, data web.LoginPage, err error) {
	status := s.failedPage(w, r, &data.Page, err)
	s.Pages.Login(w, r, status, data)
}

// registerFailed shows the sign-up form again (data: its values) with err.
func (s *Server) registerFailed(w http.ResponseWriter, r *http.Request, data web.Page, err error) {
	status := s.failedPage(w, r, &data, err)
	s.Pages.Register(w, r, status, data)
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
