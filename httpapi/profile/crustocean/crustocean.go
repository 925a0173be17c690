package crustocean

import (
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/authz"
	"github.com/gatehouse-auth/gatehouse/httpapi"
)

// Profile is the crustocean seed API profile.
type Profile struct{}

// Name is "crustocean".
func (Profile) Name() string { return "crustocean" }

// Mount registers Crustocean's routes, each with the permission of its native twin.
func (Profile) Mount(pr *httpapi.ProfileRouter) {
	h := handlers{s: pr.Server}
	pr.Public("POST /api/auth/register", h.register)
	pr.Public("POST /api/auth/login", h.login)
	pr.Public("POST /api/auth/agent", h.agentSignIn)
	pr.Public("POST /api/auth/logout", h.s.Logout)
	pr.Public("GET /api/auth/logout", h.s.LogoutRedirect)
	pr.Authed("GET /api/auth/me", authz.Me, h.getMe)
	pr.Authed("PATCH /api/auth/me", authz.Profile, h.patchMe)
	pr.Authed("POST /api/auth/change-password", authz.SensitivePassword, h.changePassword)
	pr.Authed("DELETE /api/auth/account", authz.SensitivePassword, h.deleteAccount)
	pr.Authed("POST /api/auth/tokens", authz.Mint, h.createToken)
	pr.Authed("GET /api/auth/tokens", authz.Read, h.listTokens)
	pr.Authed("DELETE /api/auth/tokens/{id}", authz.Write, h.revokeToken)
	pr.Authed("POST /api/agents", authz.Write, h.createAgent)
	pr.Authed("POST /api/agents/{id}/verify", authz.Write, h.verifyAgent)
	pr.Authed("POST /api/agents/{id}/transfer", authz.Write, h.transferAgent)
	pr.Authed("GET /api/agencies", authz.Read, h.listAgencies)
	pr.Authed("POST /api/agencies/{id}/agents", authz.Write, h.addAgentToAgency)
}

// handlers are the profile's endpoints over the server's use cases.
type handlers struct{ s *httpapi.Server }

// crustoceanUser is Crustocean's user (or agent) object.
type crustoceanUser struct {
	ID          string    `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"displayName"`
	AvatarURL   string    `json:"avatarUrl"`
	BannerURL   string    `json:"bannerUrl"`
	Description string    `json:"description"`
	Theme       string    `json:"theme"`
	Font        string    `json:"font"`
	Type        string    `json:"type"` // "user" or "agent"
	CreatedAt   time.Time `json:"createdAt"`
}

func toUser(u *gatehouse.User) crustoceanUser {
	return crustoceanUser{
		ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, AvatarURL: u.AvatarURL,
		BannerURL: u.BannerURL, Description: u.Description, Theme: u.Theme, Font: u.Font,
		Type: u.Kind, CreatedAt: u.CreatedAt,
	}
}
