package crustocean

import (
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/httpapi"
)

type createTokenRequest struct {
	Name      string   `json:"name"`
	ExpiresIn string   `json:"expiresIn"` // "30d", "90d", "1y" or "never"
	Scopes    []string `json:"scopes,omitempty"`
}

// newToken is a created PAT: the only answer that carries the token.
type newToken struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Token     string     `json:"token"`
	Prefix    string     `json:"prefix"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt *time.Time `json:"expiresAt"`
}

// listedToken is a PAT as the list shows it.
type listedToken struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
}

type tokenList struct {
	Tokens []listedToken `json:"tokens"`
}

func scopesOf(t *gatehouse.PersonalAccessToken) []string {
	if t.Scopes == nil {
		return []string{}
	}
	return t.Scopes
}

func (h handlers) createToken(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in createTokenRequest
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := h.s.PATs.Create(r.Context(), p, auth.PATInput(in), h.s.Meta(r))
	if err != nil {
		return err
	}
	t := g.PAT
	httpapi.WriteJSON(w, http.StatusCreated, newToken{
		ID: t.ID, Name: t.Name, Token: g.Token, Prefix: t.Prefix, Scopes: scopesOf(t),
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt,
	})
	return nil
}

func (h handlers) listTokens(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	pats, err := h.s.PATs.List(r.Context(), p)
	if err != nil {
		return err
	}
	out := tokenList{Tokens: make([]listedToken, 0, len(pats))}
	for i := range pats {
		t := &pats[i]
		out.Tokens = append(out.Tokens, listedToken{
			ID: t.ID, Name: t.Name, Prefix: t.Prefix, Scopes: scopesOf(t),
			CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt,
		})
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h handlers) revokeToken(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := h.s.PATs.Revoke(r.Context(), p, r.PathValue("id"), h.s.Meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
