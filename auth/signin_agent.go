package auth

import (
	"context"
	"errors"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
)

// AgentSignIn exchanges an agent token for a session of the agent's account. A malformed,
// foreign, unknown or replaced token is invalid_token; a token of an agent its owner has not
// verified (yet, or again after a transfer) is agent_not_verified. Failures are audited as
// auth.failed with the reason.
func (s *SignIn) AgentSignIn(ctx context.Context, agentToken string, meta Meta) (*SessionGrant, error) {
	t, err := token.Parse(agentToken)
	if err != nil || t.Brand != s.cfg.Brand || t.Kind != token.KindAgent {
		return nil, s.agentSignInFailed(ctx, nil, meta, "malformed_token")
	}
	a, u, err := s.store.AgentByTokenHash(ctx, token.Hash(agentToken))
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, s.agentSignInFailed(ctx, nil, meta, "unknown_token")
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled() {
		return nil, s.agentSignInFailed(ctx, a, meta, "disabled")
	}
	if a.VerifiedAt == nil {
		_ = s.agentSignInFailed(ctx, a, meta, "agent_not_verified")
		return nil, errAgentNotVerified
	}
	g, err := s.sessions.startSession(ctx, u, meta, AMRAgentToken)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, gatehouse.EventLogin, u.ID, u.ID, meta, map[string]any{"method": "agent_token", "agent_id": a.ID, "session_id": g.Session.ID})
	return g, nil
}

// agentSignInFailed audits a failed exchange and returns invalid_token.
func (s *SignIn) agentSignInFailed(ctx context.Context, a *gatehouse.Agent, meta Meta, reason string) error {
	subject, details := "", map[string]any{"method": "agent_token", "reason": reason}
	if a != nil {
		subject = a.UserID
		details["agent_id"] = a.ID
	}
	s.audit(ctx, gatehouse.EventLoginFailed, "", subject, meta, details)
	return errInvalidToken
}
