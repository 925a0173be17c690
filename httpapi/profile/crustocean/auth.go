package crustocean

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/httpapi"
)

type registerRequest struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	DisplayName string `json:"displayName,omitempty"`
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type agentRequest struct {
	AgentToken string `json:"agentToken"`
}

// sessionAnswer is Crustocean's { token, user }.
type sessionAnswer struct {
	Token string         `json:"token"`
	User  crustoceanUser `json:"user"`
}

type profileUpdate struct {
	DisplayName *string `json:"displayName,omitempty"`
	AvatarURL   *string `json:"avatarUrl,omitempty"`
	BannerURL   *string `json:"bannerUrl,omitempty"`
	Description *string `json:"description,omitempty"`
	Theme       *string `json:"theme,omitempty"`
	Font        *string `json:"font,omitempty"`
}

type changePasswordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// tokenAnswer is the answer of a password change: the new session's token.
type tokenAnswer struct {
	Token string `json:"token"`
}

type deleteAccountRequest struct {
	Password string `json:"password,omitempty"`
}

// signedIn starts the browser session (people, not agents) and answers { token, user }.
func (h handlers) signedIn(w http.ResponseWriter, r *http.Request, status int, g *auth.SessionGrant, cookie bool) {
	if cookie {
		h.s.StartSession(w, r, g)
	}
	httpapi.WriteJSON(w, status, sessionAnswer{Token: g.Token, User: toUser(g.User)})
}

func (h handlers) register(w http.ResponseWriter, r *http.Request) error {
	if err := h.s.RateLimit(r, "auth"); err != nil {
		return err
	}
	var in registerRequest
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := h.s.Accounts.Register(r.Context(), auth.RegisterInput{Username: in.Username, Password: in.Password, DisplayName: in.DisplayName}, h.s.Meta(r))
	if err != nil {
		return err
	}
	h.signedIn(w, r, http.StatusCreated, g, true)
	return nil
}

func (h handlers) login(w http.ResponseWriter, r *http.Request) error {
	if err := h.s.RateLimit(r, "auth"); err != nil {
		return err
	}
	var in loginRequest
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := h.s.SignIn.Login(r.Context(), in.Username, in.Password, h.s.Meta(r))
	if err != nil {
		return err
	}
	h.signedIn(w, r, http.StatusOK, g, true)
	return nil
}

// agentSignIn is POST /api/auth/agent: 200 verified, 403 agent_not_verified, 401 invalid, 429.
func (h handlers) agentSignIn(w http.ResponseWriter, r *http.Request) error {
	if err := h.s.RateLimit(r, "auth"); err != nil {
		return err
	}
	var in agentRequest
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := h.s.SignIn.AgentSignIn(r.Context(), in.AgentToken, h.s.Meta(r))
	if err != nil {
		return err
	}
	h.signedIn(w, r, http.StatusOK, g, false)
	return nil
}

func (h handlers) getMe(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	httpapi.WriteJSON(w, http.StatusOK, toUser(p.User))
	return nil
}

func (h handlers) patchMe(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in profileUpdate
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	u, _, err := h.s.Accounts.UpdateProfile(r.Context(), p, auth.ProfileInput{
		DisplayName: in.DisplayName, AvatarURL: in.AvatarURL, BannerURL: in.BannerURL,
		Description: in.Description, Theme: in.Theme, Font: in.Font,
	}, h.s.Meta(r))
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, toUser(u))
	return nil
}

// changePassword ends every other session and answers the new session's { token }.
func (h handlers) changePassword(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in changePasswordRequest
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := h.s.Accounts.ChangePassword(r.Context(), p, in.CurrentPassword, in.NewPassword, h.s.Meta(r))
	if err != nil {
		return err
	}
	h.s.StartSession(w, r, g)
	httpapi.WriteJSON(w, http.StatusOK, tokenAnswer{Token: g.Token})
	return nil
}

func (h handlers) deleteAccount(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in deleteAccountRequest
	if r.ContentLength != 0 {
		if err := httpapi.DecodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	if err := h.s.Accounts.DeleteAccount(r.Context(), p, in.Password, h.s.Meta(r)); err != nil {
		return err
	}
	h.s.ClearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
