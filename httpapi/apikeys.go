package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/apiwire"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// apiKeyRoutes registers the endpoints of organizations' API keys.
func (s *Server) apiKeyRoutes(rt *router) {
	rt.authed("POST /v1/orgs/{org}/api-keys", authz.Write, s.createAPIKey)
	rt.authed("GET /v1/orgs/{org}/api-keys", authz.Read, s.listAPIKeys)
	rt.authed("DELETE /v1/orgs/{org}/api-keys/{id}", authz.Write, s.revokeAPIKey)
	rt.authed("POST /v1/orgs/{org}/api-keys/{id}/rotate", authz.Write, s.rotateAPIKey)
}

// toAPIKeyJSON is an API key as lists show it: never the key itself.
func toAPIKeyJSON(k *gatehouse.APIKey) apiwire.APIKey {
	out := apiwire.APIKey{
		ID: k.ID, Name: k.Name, Prefix: k.Prefix, Environment: k.Environment,
		Scopes: k.Scopes, AllowedCIDRs: make([]string, 0, len(k.AllowedCIDRs)),
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt, LastUsedIP: k.LastUsedIP,
		CreatedBy: k.CreatedBy,
	}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	for _, p := range k.AllowedCIDRs {
		out.AllowedCIDRs = append(out.AllowedCIDRs, p.String())
	}
	if k.RateLimit != nil {
		r := k.RateLimit.String()
		out.RateLimit = &r
	}
	return out
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in apiwire.CreateAPIKeyRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	req := auth.APIKeyInput{Name: in.Name, Scopes: in.Scopes, Environment: in.Environment, AllowedCIDRs: in.AllowedCIDRs}
	if in.ExpiresAt != nil && *in.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, *in.ExpiresAt)
		if err != nil {
			return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "expires_at must be an RFC 3339 time.")
		}
		req.ExpiresAt = &t
	}
	if in.RateLimit != nil {
		req.RateLimit = *in.RateLimit
	}
	g, err := s.APIKeys.Create(r.Context(), p, r.PathValue("org"), req, s.meta(r))
	if err != nil {
		return err
	}
	// A new key with its secret, shown only in this answer.
	WriteJSON(w, http.StatusCreated, apiwire.NewAPIKey{APIKey: toAPIKeyJSON(g.APIKey), Key: g.Key})
	return nil
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	keys, err := s.APIKeys.List(r.Context(), p, r.PathValue("org"))
	if err != nil {
		return err
	}
	out := list[apiwire.APIKey]{Data: make([]apiwire.APIKey, 0, len(keys))}
	for i := range keys {
		out.Data = append(out.Data, toAPIKeyJSON(&keys[i]))
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := s.APIKeys.Revoke(r.Context(), p, r.PathValue("org"), r.PathValue("id"), s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) rotateAPIKey(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in apiwire.RotateAPIKeyRequest
	if r.ContentLength != 0 {
		if err := DecodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	var overlap *time.Duration
	if in.Overlap != nil {
		d, err := parseOverlap(*in.Overlap)
		if err != nil {
			return err
		}
		overlap = &d
	}
	rot, err := s.APIKeys.Rotate(r.Context(), p, r.PathValue("org"), r.PathValue("id"), overlap, s.meta(r))
	if err != nil {
		return err
	}
	// The new key (shown once) and when the old one stops working.
	WriteJSON(w, http.StatusCreated, apiwire.RotatedAPIKey{
		NewAPIKey:         apiwire.NewAPIKey{APIKey: toAPIKeyJSON(rot.APIKey), Key: rot.Key},
		Replaces:          rot.OldID,
		ReplacesExpiresAt: rot.OldExpiresAt,
	})
	return nil
}

// parseOverlap reads a rotation overlap: a Go duration ("24h", "90m", "0s"), "0", or whole days
// ("7d").
func parseOverlap(v string) (time.Duration, error) {
	bad := gatehouse.Errorf(gatehouse.CodeInvalidRequest, "overlap must be a duration such as \"24h\", \"30m\" or \"7d\", at most 7 days.")
	v = strings.TrimSpace(v)
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 7 {
			return 0, bad
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	if v == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, bad
	}
	return d, nil
}
