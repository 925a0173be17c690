package httpapi

import (
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// consentJSON is one application the user has authorized, with the scopes remembered.
type consentJSON struct {
	ClientID   string    `json:"client_id"`
	ClientName string    `json:"client_name"`
	Scopes     []string  `json:"scopes"`
	GrantedAt  time.Time `json:"granted_at"`
}

// consentList is the answer of GET /v1/me/consents (no cursor: a person authorizes few
// applications).
type consentList struct {
	Data []consentJSON `json:"data"`
}

// listConsents is GET /v1/me/consents: {"data": [...]}, the applications the caller authorized
// with "remember".
func (s *Server) listConsents(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	cs, err := s.OAuth.ListConsents(r.Context(), p)
	if err != nil {
		return err
	}
	out := make([]consentJSON, 0, len(cs))
	for _, c := range cs {
		scopes := c.Scopes
		if scopes == nil {
			scopes = []string{}
		}
		out = append(out, consentJSON{ClientID: c.ClientID, ClientName: c.ClientName, Scopes: scopes, GrantedAt: c.GrantedAt.UTC()})
	}
	WriteJSON(w, http.StatusOK, consentList{Data: out})
	return nil
}

// revokeConsent is DELETE /v1/me/consents/{client_id}: the consent is forgotten and the
// application's refresh tokens of the caller revoked → 204.
func (s *Server) revokeConsent(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := s.OAuth.RevokeConsent(r.Context(), p, r.PathValue("client_id"), s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
