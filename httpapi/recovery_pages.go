package httpapi

import (
	"net/http"
	"net/url"

	"github.com/gatehouse-auth/gatehouse"
)

// The pages of the mail-based flows (templates web/templates/verify_email.html,
// reset_password.html, magic_link.html). They work without JavaScript. A mailed link only ever
// opens a page with a form: the token is consumed by the POST of that form, so that mail
// scanners and link previews, which fetch links, never use it up.

// Page names of the mail-based flows.
const (
	pageVerifyEmail   = "verify_email"
	pageResetPassword = "reset_password"
	pageMagicLink     = "magic_link"
)

// RecoveryPageData is what the verify-email, reset-password and magic-link pages show. PageData
// carries Error, Status and RequestID of a failure and Email (the signed-in user's address on the
// verify-email page, the typed address on the request forms).
type RecoveryPageData struct {
	PageData
	// Token is the link token the form carries (from ?token= of the mailed link).
	Token string
	// Notice is a success message shown with role="status" ("" for none).
	Notice string
	// Done means the flow is finished: the page shows Notice and a link onward, no form.
	Done bool
	// EmailVerified tells whether the signed-in user's address is verified (verify-email page).
	EmailVerified bool
	// PendingEmail is the new address of the user's email change waiting for its code
	// (verify-email page; "" for none).
	PendingEmail string
}

// recoveryPageRoutes registers the pages; the POST forms are protected against cross-site
// submission by the CrossOrigin middleware.
func (s *Server) recoveryPageRoutes(rt *router) {
	rt.page("GET /verify-email", s.verifyEmailPage)
	rt.page("POST /verify-email", s.verifyEmailSubmit)
	rt.page("GET /reset-password", s.resetPasswordPage)
	rt.page("POST /reset-password", s.resetPasswordSubmit)
	rt.page("GET /magic-link", s.magicLinkPage)
	rt.page("POST /magic-link", s.magicLinkSubmit)
}

// verifyEmailPrincipal returns the signed-in visitor, or redirects to the sign-in page (and
// returns nil) when there is none.
func (s *Server) verifyEmailPrincipal(w http.ResponseWriter, r *http.Request) *gatehouse.Principal {
	p, err := s.pagePrincipal(w, r)
	if err != nil {
		s.renderPageError(w, r, pageError, PageData{}, err)
		return nil
	}
	if p == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape("/verify-email"), http.StatusSeeOther)
		return nil
	}
	return p
}

// verifyEmailData is the verify-email page's data for p, with the address of a pending email
// change; ok false when it could not be read (the error page is written).
func (s *Server) verifyEmailData(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) (RecoveryPageData, bool) {
	data := RecoveryPageData{PageData: PageData{Username: p.User.Username, Email: p.User.Email}, EmailVerified: p.User.EmailVerified}
	pending, err := s.Accounts.PendingEmail(r.Context(), p)
	if err != nil {
		s.renderPageError(w, r, pageError, PageData{}, err)
		return data, false
	}
	data.PendingEmail = pending
	return data, true
}

func (s *Server) verifyEmailPage(w http.ResponseWriter, r *http.Request) {
	p := s.verifyEmailPrincipal(w, r)
	if p == nil {
		return
	}
	if data, ok := s.verifyEmailData(w, r, p); ok {
		s.Pages.Render(w, r, http.StatusOK, pageVerifyEmail, data)
	}
}

func (s *Server) verifyEmailSubmit(w http.ResponseWriter, r *http.Request) {
	err := r.ParseForm()
	p := s.verifyEmailPrincipal(w, r)
	if p == nil {
		return
	}
	data, ok := s.verifyEmailData(w, r, p)
	if !ok {
		return
	}
	if err != nil {
		s.renderRecoveryError(w, r, pageVerifyEmail, data, formError(err))
		return
	}
	if err := s.rateLimit(r, "auth"); err != nil {
		s.renderRecoveryError(w, r, pageVerifyEmail, data, err)
		return
	}
	if r.PostForm.Get("action") == "resend" {
		if err := s.Accounts.ResendVerification(r.Context(), p); err != nil {
			s.renderRecoveryError(w, r, pageVerifyEmail, data, err)
			return
		}
		data.Notice = "A new code is on its way. Codes work for 10 minutes; only the newest one works."
		s.Pages.Render(w, r, http.StatusOK, pageVerifyEmail, data)
		return
	}
	u, err := s.Accounts.VerifyEmail(r.Context(), p, r.PostForm.Get("code"), s.meta(r))
	if err != nil {
		s.renderRecoveryError(w, r, pageVerifyEmail, data, err)
		return
	}
	data.Email, data.EmailVerified, data.Done, data.PendingEmail = u.Email, true, true, ""
	data.Notice = "Your email address is verified."
	s.Pages.Render(w, r, http.StatusOK, pageVerifyEmail, data)
}

// resetPasswordPage shows the new-password form for the token of a mailed link, or without a
// token the form that asks for a link.
func (s *Server) resetPasswordPage(w http.ResponseWriter, r *http.Request) {
	s.Pages.Render(w, r, http.StatusOK, pageResetPassword, RecoveryPageData{Token: r.URL.Query().Get("token")})
}

func (s *Server) resetPasswordSubmit(w http.ResponseWriter, r *http.Request) {
	err := r.ParseForm()
	data := RecoveryPageData{Token: r.PostForm.Get("token"), PageData: PageData{Email: r.PostForm.Get("email")}}
	if err != nil {
		s.renderRecoveryError(w, r, pageResetPassword, data, formError(err))
		return
	}
	if err := s.rateLimit(r, "auth"); err != nil {
		s.renderRecoveryError(w, r, pageResetPassword, data, err)
		return
	}
	if data.Token == "" {
		if err := s.Recovery.RequestPasswordReset(r.Context(), data.Email, s.meta(r)); err != nil {
			s.renderRecoveryError(w, r, pageResetPassword, data, err)
			return
		}
		data.Done = true
		data.Notice = "If an account has that address, a link to choose a new password is on its way. It works for 1 hour."
		s.Pages.Render(w, r, http.StatusOK, pageResetPassword, data)
		return
	}
	if err := s.Recovery.ResetPassword(r.Context(), data.Token, r.PostForm.Get("new_password"), s.meta(r)); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.CodeInvalidRequest {
			data.Token = "" // the link is dead (a refused password keeps it): offer a new one
		}
		s.renderRecoveryError(w, r, pageResetPassword, data, err)
		return
	}
	// Every session of the account is revoked, this browser's too if it had one.
	s.clearSessionCookie(w)
	data.Token, data.Done = "", true
	data.Notice = "Your password has been changed and every session signed out."
	s.Pages.Render(w, r, http.StatusOK, pageResetPassword, data)
}

// magicLinkPage shows the confirm button for the token of a mailed link (opening the link signs
// nobody in), or without a token the form that asks for a link.
func (s *Server) magicLinkPage(w http.ResponseWriter, r *http.Request) {
	s.Pages.Render(w, r, http.StatusOK, pageMagicLink, RecoveryPageData{Token: r.URL.Query().Get("token")})
}

func (s *Server) magicLinkSubmit(w http.ResponseWriter, r *http.Request) {
	err := r.ParseForm()
	data := RecoveryPageData{Token: r.PostForm.Get("token"), PageData: PageData{Email: r.PostForm.Get("email")}}
	if err != nil {
		s.renderRecoveryError(w, r, pageMagicLink, data, formError(err))
		return
	}
	if err := s.rateLimit(r, "auth"); err != nil {
		s.renderRecoveryError(w, r, pageMagicLink, data, err)
		return
	}
	if data.Token == "" {
		if err := s.Recovery.RequestMagicLink(r.Context(), data.Email, s.meta(r)); err != nil {
			s.renderRecoveryError(w, r, pageMagicLink, data, err)
			return
		}
		data.Done = true
		data.Notice = "If an account has that address, a sign-in link is on its way. It works for 15 minutes."
		s.Pages.Render(w, r, http.StatusOK, pageMagicLink, data)
		return
	}
	if r.PostForm.Get("action") != "approve" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	g, err := s.Recovery.SignInWithMagicLink(r.Context(), data.Token, s.meta(r))
	if err != nil {
		data.Token = "" // the link is dead: offer the form that asks for a new one
		s.renderRecoveryError(w, r, pageMagicLink, data, err)
		return
	}
	s.startSession(w, r, g)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// renderRecoveryError is renderPageError for the pages of this file.
func (s *Server) renderRecoveryError(w http.ResponseWriter, r *http.Request, page string, data RecoveryPageData, err error) {
	status, message := s.pageFailure(w, r, err)
	data.Error, data.Status, data.RequestID = message, status, RequestID(r.Context())
	s.Pages.Render(w, r, status, page, data)
}
