package rst

import (
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/apiwire"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/authz"
	"github.com/gatehouse-auth/gatehouse/httpapi"
)

// Profile is the rst seed API profile.
type Profile struct{}

// Name is "rst".
func (Profile) Name() string { return "rst" }

// Mount registers the API key routes (with the permissions of /v1/auth/tokens) and the login
// answer.
func (Profile) Mount(pr *httpapi.ProfileRouter) {
	h := handlers{s: pr.Server}
	pr.LoginAnswer(withAccessToken)
	pr.Authed("POST /v1/auth/api-keys", authz.Mint, h.createKey)
	pr.Authed("GET /v1/auth/api-keys", authz.Read, h.listKeys)
	pr.Authed("DELETE /v1/auth/api-keys/{key_id}", authz.Write, h.revokeKey)
}

// ConfigureAuth makes Google unlinkable only while a password is set.
func (Profile) ConfigureAuth(c *auth.Config) { c.Google.UnlinkNeedsPassword = true }

type handlers struct{ s *httpapi.Server }

// loginAnswer is the native session with the docs' members.
type loginAnswer struct {
	apiwire.Session
	AccessToken string `json:"access_token" doc:"the session token (the same as token)"`
	TokenType   string `json:"token_type" doc:"always bearer"`
}

func withAccessToken(s apiwire.Session) any {
	return loginAnswer{Session: s, AccessToken: s.Token, TokenType: "bearer"}
}

type createKeyRequest struct {
	Name string `json:"name"`
}

// newKey is a created key: the only answer that carries it.
type newKey struct {
	ID        string    `json:"id"`
	RawKey    string    `json:"raw_key"`
	Prefix    string    `json:"prefix"`
	CreatedAt time.Time `json:"created_at"`
}

// listedKey is a key as the list shows it.
type listedKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

type keyList struct {
	Data []listedKey `json:"data"`
}

func (h handlers) createKey(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in createKeyRequest
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := h.s.PATs.Create(r.Context(), p, auth.PATInput{Name: in.Name, ExpiresIn: "never"}, h.s.Meta(r))
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, newKey{ID: g.PAT.ID, RawKey: g.Token, Prefix: g.PAT.Prefix, CreatedAt: g.PAT.CreatedAt})
	return nil
}

func (h handlers) listKeys(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	pats, err := h.s.PATs.List(r.Context(), p)
	if err != nil {
		return err
	}
	out := keyList{Data: make([]listedKey, 0, len(pats))}
	for _, t := range pats {
		out.Data = append(out.Data, listedKey{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt})
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h handlers) revokeKey(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := h.s.PATs.Revoke(r.Context(), p, r.PathValue("key_id"), h.s.Meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
