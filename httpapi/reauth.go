package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/apiwire"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// reauthRoutes registers re-authentication (API.md, "Sensitive actions"): a session proves its
// person again, with the password or a passkey, and counts as recent for
// GATEHOUSE_REAUTH_WINDOW. Only a session can be made recent (authz.SensitivePassword lets a
// session of any age in; the proof is the point).
func (s *Server) reauthRoutes(rt *router) {
	rt.authed("POST /v1/auth/reauth", authz.SensitivePassword, s.reauth)
	rt.authed("POST /v1/auth/reauth/passkey/challenge", authz.SensitivePassword, s.reauthPasskeyChallenge)
	rt.authed("POST /v1/auth/reauth/passkey", authz.SensitivePassword, s.reauthPasskey)
}

// reauth is POST /v1/auth/reauth {password} → 200 {reauthenticated_at}.
func (s *Server) reauth(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := s.rateLimit(r, "auth"); err != nil {
		return err
	}
	var in apiwire.ReauthRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	at, err := s.SignIn.Reauthenticate(r.Context(), p, in.Password, s.meta(r))
	if err != nil {
		return err
	}
	writeReauthenticated(w, at)
	return nil
}

// reauthPasskeyChallenge is POST /v1/auth/reauth/passkey/challenge → {challenge_id, options}
// listing the caller's passkeys.
func (s *Server) reauthPasskeyChallenge(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := s.rateLimit(r, "auth"); err != nil {
		return err
	}
	c, err := s.Passkeys.BeginReauth(r.Context(), p)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, ceremonyJSON{ChallengeID: c.ChallengeID, Options: c.Options})
	return nil
}

// reauthPasskey is POST /v1/auth/reauth/passkey {challenge_id, credential} → 200
// {reauthenticated_at}.
func (s *Server) reauthPasskey(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := s.rateLimit(r, "auth"); err != nil {
		return err
	}
	var in struct {
		ChallengeID string          `json:"challenge_id"`
		Credential  json.RawMessage `json:"credential"`
	}
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.Credential) == 0 {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "credential is required.")
	}
	at, err := s.Passkeys.FinishReauth(r.Context(), p, in.ChallengeID, in.Credential, s.meta(r))
	if err != nil {
		return err
	}
	writeReauthenticated(w, at)
	return nil
}

func writeReauthenticated(w http.ResponseWriter, at time.Time) {
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, http.StatusOK, apiwire.Reauthenticated{ReauthenticatedAt: at})
}
