package httpapi

import (
	"net/http"
	"net/url"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/web"
)

// The pages of the mail-based flows (templates web/templates/verify_email.html,
// reset_password.html, magic_link.html). They work without JavaScript. A mailed link only ever
// opens a page with a form: the token is consumed by the POST of that form, so that mail
// scanners and link previews, which fetch links, never use it up.

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
		s.renderError(w, r, err)
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
func (s *Server) verifyEmailData(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) (web.RecoveryPage, bool) {
	data := web.RecoveryPage{Page: web.Page{Username: p.User.Username, Email: p.User.Email}, EmailVerified: p.User.EmailVerified}
	pending, err := s.Accounts.PendingEmail(r.Context(), p)
	if err != nil {
		s.renderError(w, r, err)
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
		s.Pages.VerifyEmail(w, r, http.StatusOK, data)
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
		s.renderRecoveryError(w, r, s.Pages.VerifyEmail, data, formError(err))
		return
	}
	if err := s.rateLimit(r, "auth"); err != nil {
		s.renderRecoveryError(w, r, s.Pages.VerifyEmail, data, err)
		return
	}
	if r.PostForm.Get("action") == "resend" {
		if err := s.Accounts.ResendVerification(r.Context(), p); err != nil {
			s.renderRecoveryError(w, r, s.Pages.VerifyEmail, data, err)
			return
		}
		data.Notice = "A new code is on its way. Codes work for 10 minutes; only the newest one works."
		s.Pages.VerifyEmail(w, r, http.StatusOK, data)
		return
	}
	u, err := s.Accounts.VerifyEmail(r.Context(), p, r.PostForm.Get("code"), s.meta(r))
	if err != nil {
		s.renderRecoveryError(w, r, s.Pages.VerifyEmail, data, err)
		return
	}
	data.Email, data.EmailVerified, data.Done, data.PendingEmail = u.Email, true, true, ""
	data.Notice = "Your email address is verified."
	s.Pages.VerifyEmail(w, r, http.StatusOK, data)
}

// resetPasswordPage shows the new-password form for the token of a mailed link, or without a
// token the form that asks for a link.
func (s *Server) resetPasswordPage(w http.ResponseWriter, r *http.Request) {
	s.Pages.ResetPassword(w, r, http.StatusOK, web.RecoveryPage{Token: r.URL.Query().Get("token")})
}

func (s *Server) resetPasswordSubmit(w http.ResponseWriter, r *http.Request) {
	err := r.ParseForm()
	data := web.RecoveryPage{Token: r.PostForm.Get("token"), Page: web.Page{Email: r.PostForm.Get("email")}}
	if err != nil {
		s.renderRecoveryError(w, r, s.Pages.ResetPassword, data, formError(err))
		return
	}
	if err := s.rateLimit(r, "auth"); err != nil {
		s.renderRecoveryError(w, r, s.Pages.ResetPassword, data, err)
		return
	}
	if data.Token == "" {
		if err := s.Recovery.RequestPasswordReset(r.Context(), data.Email, s.meta(r)); err != nil {
			s.renderRecoveryError(w, r, s.Pages.ResetPassword, data, err)
			return
		}
		data.Done = true
		data.Notice = "If an account has that address, a link to choose a new password is on its way. It works for 1 hour."
		s.Pages.ResetPassword(w, r, http.StatusOK, data)
		return
	}
	if err := s.Recovery.ResetPassword(r.Context(), data.Token, r.PostForm.Get("new_password"), s.meta(r)); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.CodeInvalidRequest {
			data.Token = "" // the link is dead (a refused password keeps it): offer a new one
		}
		s.renderRecoveryError(w, r, s.Pages.ResetPassword, data, err)
		return
	}
	// Every session of the account is revoked, this browser's too if it had one.
	s.clearSessionCookie(w)
	data.Token, data.Done = "", true
	data.Notice = "Your password has been changed and every session signed out."
	s.Pages.ResetPassword(w, r, http.StatusOK, data)
}

// magicLinkPage shows the confirm button for the token of a mailed link (opening the link signs
// nobody in), or without a token the form that asks for a link.
func (s *Server) magicLinkPage(w http.ResponseWriter, r *http.Request) {
	s.Pages.MagicLink(w, r, http.StatusOK, web.RecoveryPage{Token: r.URL.Query().Get("token")})
}

func (s *Server) magicLinkSubmit(w http.ResponseWriter, r *http.Request) {
	err := r.ParseForm()
	data := web.RecoveryPage{Token: r.PostForm.Get("token"), Page: web.Page{Email: r.PostForm.Get("email")}}
	if err != nil {
		s.renderRecoveryError(w, r, s.Pages.MagicLink, data, formError(err))
		return
	}
	if err := s.rateLimit(r, "auth"); err != nil {
		s.renderRecoveryError(w, r, s.Pages.MagicLink, data, err)
		return
	}
	if data.Token == "" {
		if err := s.Recovery.RequestMagicLink(r.Context(), data.Email, s.meta(r)); err != nil {
			s.renderRecoveryError(w, r, s.Pages.MagicLink, data, err)
			return
		}
		data.Done = true
		data.Notice = "If an account has that address, a sign-in link is on its way. It works for 15 minutes."
		s.Pages.MagicLink(w, r, http.StatusOK, data)
		return
	}
	if r.PostForm.Get("action") != "approve" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	g, err := s.Recovery.SignInWithMagicLink(r.Context(), data.Token, s.meta(r))
	if err != nil {
		data.Token = "" // the link is dead: offer the form that asks for a new one
		s.renderRecoveryError(w, r, s.Pages.MagicLink, data, err)
		return
	}
	s.startSession(w, r, g)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// recoveryPage writes one of the pages of this file (a method of web.Pages).
type recoveryPage func(w http.ResponseWriter, r *http.Request, status int, d web.RecoveryPage)

// renderRecoveryError shows page again with data and the friendly message of err, as
// renderError does.
func (s *Server) renderRecoveryError(w http.ResponseWriter, r *http.Request, page recoveryPage, data web.RecoveryPage, err error) {
	status := s.failedPage(w, r, &data.Page, err)
	page(w, r, status, data)
}
