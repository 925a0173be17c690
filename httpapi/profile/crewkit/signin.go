package crewkit

import (
	"encoding/json"
	"net/http"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/httpapi"
)

type magicLinkVerifyRequest struct {
	Token string `json:"token"`
}

// passkeyLoginRequest is the native passkey sign-in's body: the challenge and the assertion.
type passkeyLoginRequest struct {
	ChallengeID string          `json:"challenge_id"`
	Credential  json.RawMessage `json:"credential"`
}

// answerTokens answers a finished sign-in with the CLI client's tokens instead of its session.
func (h handlers) answerTokens(w http.ResponseWriter, r *http.Request, g *auth.SessionGrant, method string) error {
	return writeTokens(w)(h.s.OAuth.CLITokensForSignIn(r.Context(), g, method, h.s.Meta(r)))
}

// verifyMagicLink is POST /api/v1/auth/magic_link/verify: {token} → access and refresh tokens.
func (h handlers) verifyMagicLink(w http.ResponseWriter, r *http.Request) error {
	if err := h.s.RateLimit(r, "auth"); err != nil {
		return err
	}
	var in magicLinkVerifyRequest
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := h.s.Recovery.SignInWithMagicLink(r.Context(), in.Token, h.s.Meta(r))
	if err != nil {
		return err
	}
	return h.answerTokens(w, r, g, "magic_link")
}

// passkeyLogin is POST /api/v1/auth/passkey/login: the native assertion check, answered with
// access and refresh tokens.
func (h handlers) passkeyLogin(w http.ResponseWriter, r *http.Request) error {
	if err := h.s.RateLimit(r, "auth"); err != nil {
		return err
	}
	var in passkeyLoginRequest
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.Credential) == 0 {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "credential is required.")
	}
	g, err := h.s.Passkeys.FinishLogin(r.Context(), in.ChallengeID, in.Credential, h.s.Meta(r))
	if err != nil {
		return err
	}
	return h.answerTokens(w, r, g, "passkey")
}
