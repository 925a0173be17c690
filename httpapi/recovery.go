package httpapi

import (
	"context"
	"net/http"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// acceptedBody is the answer of every request that may mail something (forgot-password,
// magic-link, resend-verification). It is the same whatever the account: together with the
// request ID it is the whole response, so nobody learns whether an address has an account.
var acceptedBody = map[string]string{"status": "accepted"}

// recoveryRoutes registers the mail-based flows: email verification, password reset and magic
// links (API.md, "Email, password reset, magic links").
func (s *Server) recoveryRoutes(rt *router) {
	rt.authed("POST /v1/auth/verify-email", authz.Write, s.verifyEmail)
	rt.authed("POST /v1/auth/resend-verification", authz.Write, s.resendVerification)
	rt.public("POST /v1/auth/forgot-password", s.serve(s.mailedLinkRequest(s.Recovery.RequestPasswordReset)))
	rt.public("POST /v1/auth/reset-password", s.serve(s.resetPassword))
	rt.public("POST /v1/auth/magic-link", s.serve(s.mailedLinkRequest(s.Recovery.RequestMagicLink)))
	rt.public("POST /v1/auth/magic-link/verify", s.serve(s.verifyMagicLink))
}

func (s *Server) verifyEmail(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := s.rateLimit(r, "auth"); err != nil {
		return err
	}
	var in struct {
		Code string `json:"code"`
	}
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.Accounts.VerifyEmail(r.Context(), p, in.Code, s.meta(r))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, s.userJSON(u))
	return nil
}

// resendVerification answers 202 whether or not a mail was sent: beyond the per-user throttle,
// or with nothing to verify, it sends nothing (a 429 would only tell a caller to hammer less).
func (s *Server) resendVerification(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := s.rateLimit(r, "auth"); err != nil {
		return err
	}
	if err := s.Accounts.ResendVerification(r.Context(), p); err != nil {
		return err
	}
	WriteJSON(w, http.StatusAccepted, acceptedBody)
	return nil
}

// mailedLinkRequest is POST /v1/auth/forgot-password and POST /v1/auth/magic-link: both take
// {email} and answer 202 whatever the address, leaving the work to request (which runs it in the
// background, so neither the answer nor its timing tells whether an account exists).
func (s *Server) mailedLinkRequest(request func(ctx context.Context, email string, meta auth.Meta) error) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.rateLimit(r, "auth"); err != nil {
			return err
		}
		var in struct {
			Email string `json:"email"`
		}
		if err := DecodeJSON(w, r, &in); err != nil {
			return err
		}
		if err := request(r.Context(), in.Email, s.meta(r)); err != nil {
			return err
		}
		WriteJSON(w, http.StatusAccepted, acceptedBody)
		return nil
	}
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	if err := s.rateLimit(r, "auth"); err != nil {
		return err
	}
	var in struct {
		Token       string `json:"token"`
		NewPassword string `json:"new_password"`
	}
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Recovery.ResetPassword(r.Context(), in.Token, in.NewPassword, s.meta(r)); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]string{"status": "password_reset"})
	return nil
}

// verifyMagicLink is the magic link for apps: the token from the mailed link for a session.
func (s *Server) verifyMagicLink(w http.ResponseWriter, r *http.Request) error {
	if err := s.rateLimit(r, "auth"); err != nil {
		return err
	}
	var in struct {
		Token string `json:"token"`
	}
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := s.Recovery.SignInWithMagicLink(r.Context(), in.Token, s.meta(r))
	if err != nil {
		return err
	}
	s.writeGrant(w, r, http.StatusOK, g)
	return nil
}
