package httpapi

import (
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
)

// userJSON is the public profile of API.md. It never carries the password hash.
type userJSON struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind"`
	Username      string    `json:"username"`
	DisplayName   string    `json:"display_name"`
	Email         string    `json:"email"`
	EmailVerified bool      `json:"email_verified"`
	AvatarURL     string    `json:"avatar_url"`
	BannerURL     string    `json:"banner_url"`
	Description   string    `json:"description"`
	Theme         string    `json:"theme"`
	Font          string    `json:"font"`
	IsAdmin       bool      `json:"is_admin"`
	CreatedAt     time.Time `json:"created_at"`
}

func (s *Server) userJSON(u *gatehouse.User) userJSON {
	return userJSON{
		ID: u.ID, Kind: u.Kind, Username: u.Username, DisplayName: u.DisplayName,
		Email: u.Email, EmailVerified: u.EmailVerified, AvatarURL: u.AvatarURL, BannerURL: u.BannerURL,
		Description: u.Description, Theme: u.Theme, Font: u.Font, IsAdmin: s.Auth.IsAdmin(u),
		CreatedAt: u.CreatedAt,
	}
}

// meJSON is /v1/me: the profile and, for an agent, its owner.
type meJSON struct {
	userJSON
	Owner *ownerJSON `json:"owner,omitempty"`
}

// ownerJSON names the person who owns an agent.
type ownerJSON struct {
	ID       string `json:"id"`
	Username string `json:"username"`
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	out := meJSON{userJSON: s.userJSON(p.User)}
	if p.Agent != nil {
		owner, err := s.Auth.AgentOwner(r.Context(), p.Agent)
		if err != nil {
			return err
		}
		out.Owner = &ownerJSON{ID: owner.ID, Username: owner.Username}
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) patchMe(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in struct {
		Email       *string `json:"email"`
		DisplayName *string `json:"display_name"`
		AvatarURL   *string `json:"avatar_url"`
		BannerURL   *string `json:"banner_url"`
		Description *string `json:"description"`
		Theme       *string `json:"theme"`
		Font        *string `json:"font"`
	}
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.Auth.UpdateProfile(r.Context(), p, auth.ProfileInput(in), s.meta(r))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, s.userJSON(u))
	return nil
}

func (s *Server) deleteMe(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in struct {
		Password string `json:"password"`
	}
	if r.ContentLength != 0 {
		if err := DecodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	if err := s.Auth.DeleteAccount(r.Context(), p, in.Password, s.meta(r)); err != nil {
		return err
	}
	s.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := s.Auth.ChangePassword(r.Context(), p, in.CurrentPassword, in.NewPassword, s.meta(r))
	if err != nil {
		return err
	}
	s.writeGrant(w, r, http.StatusOK, g)
	return nil
}
