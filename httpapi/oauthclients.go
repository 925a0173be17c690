package httpapi

import (
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// oauthClientRoutes registers the endpoints of organizations' OAuth clients (API.md, "OAuth 2.0
// / OpenID Connect").
func (s *Server) oauthClientRoutes(rt *router) {
	rt.authed("POST /v1/orgs/{org}/oauth-clients", authz.Write, s.createOAuthClient)
	rt.authed("GET /v1/orgs/{org}/oauth-clients", authz.Read, s.listOAuthClients)
	rt.authed("GET /v1/orgs/{org}/oauth-clients/{id}", authz.Read, s.getOAuthClient)
	rt.authed("DELETE /v1/orgs/{org}/oauth-clients/{id}", authz.Write, s.deleteOAuthClient)
	rt.authed("POST /v1/orgs/{org}/oauth-clients/{id}/rotate-secret", authz.Write, s.rotateOAuthClientSecret)
}

// oauthClientJSON is an OAuth client as lists show it: never its secret (secret_prefix is the
// display prefix, "" for public clients).
type oauthClientJSON struct {
	ClientID     string    `json:"client_id"`
	Name         string    `json:"name"`
	Public       bool      `json:"public"`
	RedirectURIs []string  `json:"redirect_uris"`
	GrantTypes   []string  `json:"grant_types"`
	Scopes       []string  `json:"scopes"`
	SecretPrefix string    `json:"secret_prefix"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
}

func toOAuthClientJSON(c *gatehouse.OAuthClient) oauthClientJSON {
	out := oauthClientJSON{
		ClientID: c.ID, Name: c.Name, Public: c.Public, RedirectURIs: c.RedirectURIs, GrantTypes: c.GrantTypes,
		Scopes: c.Scopes, SecretPrefix: c.SecretPrefix, CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt,
	}
	for _, l := range []*[]string{&out.RedirectURIs, &out.GrantTypes, &out.Scopes} {
		if *l == nil {
			*l = []string{}
		}
	}
	return out
}

// newOAuthClientJSON is a new client with, for a confidential client, its secret: shown only in
// this answer.
type newOAuthClientJSON struct {
	oauthClientJSON
	ClientSecret string `json:"client_secret,omitempty"`
}

// createOAuthClientRequest is the body of POST /v1/orgs/{org}/oauth-clients.
type createOAuthClientRequest struct {
	Name         string   `json:"name"`
	RedirectURIs []string `json:"redirect_uris"`
	GrantTypes   []string `json:"grant_types,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
	Public       bool     `json:"public,omitempty"`
}

func (s *Server) createOAuthClient(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := s.rateLimit(r, "oauth-clients"); err != nil { // client registration: bounded per address
		return err
	}
	var in createOAuthClientRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := s.OAuthClients.Create(r.Context(), p, r.PathValue("org"), auth.OAuthClientInput(in), s.meta(r))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, newOAuthClientJSON{oauthClientJSON: toOAuthClientJSON(g.Client), ClientSecret: g.Secret})
	return nil
}

func (s *Server) listOAuthClients(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	clients, err := s.OAuthClients.List(r.Context(), p, r.PathValue("org"))
	if err != nil {
		return err
	}
	out := list[oauthClientJSON]{Data: make([]oauthClientJSON, 0, len(clients))}
	for i := range clients {
		out.Data = append(out.Data, toOAuthClientJSON(&clients[i]))
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getOAuthClient(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	c, err := s.OAuthClients.Get(r.Context(), p, r.PathValue("org"), r.PathValue("id"))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, toOAuthClientJSON(c))
	return nil
}

func (s *Server) deleteOAuthClient(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := s.OAuthClients.Delete(r.Context(), p, r.PathValue("org"), r.PathValue("id"), s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rotatedSecretJSON is the answer of a secret rotation: the new secret, shown only here.
type rotatedSecretJSON struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

func (s *Server) rotateOAuthClientSecret(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	g, err := s.OAuthClients.RotateSecret(r.Context(), p, r.PathValue("org"), r.PathValue("id"), s.meta(r))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, rotatedSecretJSON{ClientID: g.Client.ID, ClientSecret: g.Secret})
	return nil
}
