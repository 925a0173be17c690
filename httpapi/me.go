package httpapi

import (
	"net/http"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/apiwire"
	"github.com/gatehouse-auth/gatehouse/auth"
)

// userJSON is the public profile of API.md (apiwire.User without an owner). It never carries
// the password hash.
func (s *Server) userJSON(u *gatehouse.User) apiwire.User {
	return apiwire.User{
		ID: u.ID, Kind: u.Kind, Username: u.Username, DisplayName: u.DisplayName,
		Email: u.Email, EmailVerified: u.EmailVerified, AvatarURL: u.AvatarURL, BannerURL: u.BannerURL,
		Description: u.Description, Theme: u.Theme, Font: u.Font, IsAdmin: s.Sessions.IsAdmin(u),
		CreatedAt: u.CreatedAt,
	}
}

// getMe is /v1/me: the profile and, for an agent, its owner.
func (s *Server) getMe(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	out := s.userJSON(p.User)
	if p.Agent != nil {
		owner, err := s.Agents.Owner(r.Context(), p.Agent)
		if err != nil {
			return err
		}
		out.Owner = &apiwire.Owner{ID: owner.ID, Username: owner.Username}
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

// patchMe is PATCH /v1/me: 200 with the profile, or 202 {pending_email} when it asked for a new
// email address (API.md "Email change").
func (s *Server) patchMe(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in apiwire.ProfileUpdate
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.limitEmailChange(r, p, in.Email); err != nil {
		return err
	}
	u, pending, err := s.Accounts.UpdateProfile(r.Context(), p, auth.ProfileInput(in), s.meta(r))
	if err != nil {
		return err
	}
	if pending != "" { // the new address waits for its code; the other fields are saved
		WriteJSON(w, http.StatusAccepted, apiwire.EmailChange{PendingEmail: pending})
		return nil
	}
	WriteJSON(w, http.StatusOK, s.userJSON(u))
	return nil
}

func (s *Server) deleteMe(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in apiwire.DeleteAccountRequest
	if r.ContentLength != 0 {
		if err := DecodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	if err := s.Accounts.DeleteAccount(r.Context(), p, in.Password, s.meta(r)); err != nil {
		return err
	}
	s.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in apiwire.ChangePasswordRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := s.Accounts.ChangePassword(r.Context(), p, in.CurrentPassword, in.NewPassword, s.meta(r))
	if err != nil {
		return err
	}
	s.writeGrant(w, r, http.StatusOK, g)
	return nil
}

// limitEmailChange applies the per-IP limit of the endpoints that send mail (API.md "Limits") to
// a profile change that names a new address: it mails a code and a notice.
func (s *Server) limitEmailChange(r *http.Request, p *gatehouse.Principal, email *string) error {
	if email == nil || p.User == nil || strings.EqualFold(strings.TrimSpace(*email), p.User.Email) {
		return nil
	}
	return s.rateLimit(r, "mail")
}
