package auth

import (
	"context"
	"errors"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
)

var (
	errInvalidToken = &gatehouse.Error{Code: gatehouse.CodeInvalidToken, Message: "The access token is invalid."}
	errExpiredToken = &gatehouse.Error{Code: gatehouse.CodeExpiredToken, Message: "The access token has expired."}
)

// Authenticate verifies a bearer credential that acts as a user (a session, an agent session or
// a personal access token) and returns its principal: what every signed-in endpoint accepts.
// API keys are refused here (they act for an organization, only where an endpoint says so).
func (s *Service) Authenticate(ctx context.Context, bearer string, meta Meta) (*gatehouse.Principal, error) {
	t, err := token.Parse(bearer)
	if err != nil || t.Brand != s.cfg.Brand {
		return nil, errInvalidToken
	}
	switch t.Kind {
	case token.KindSession:
		return s.authenticateSession(ctx, bearer, meta)
	case token.KindPAT:
		return s.authenticatePAT(ctx, bearer, meta)
	}
	return nil, errInvalidToken
}

// authenticateSession checks a session token: one indexed lookup (session joined with its user),
// then revocation, absolute expiry and idle timeout. An agent's session carries its agent.
func (s *Service) authenticateSession(ctx context.Context, bearer string, meta Meta) (*gatehouse.Principal, error) {
	sess, u, err := s.store.SessionByTokenHash(ctx, token.Hash(bearer))
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	switch {
	case sess.RevokedAt != nil || u.Disabled():
		return nil, errInvalidToken
	case !sess.Active(now, s.cfg.IdleTimeout):
		return nil, errExpiredToken
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := s.store.TouchSession(ctx, sess.ID, now, meta.IP); err != nil {
			s.log.WarnContext(ctx, "session last-seen not recorded", "session_id", sess.ID, "err", err)
		}
	}
	p := &gatehouse.Principal{User: u, Session: sess, Credential: gatehouse.CredentialSession}
	if u.Kind == gatehouse.KindAgent {
		a, err := s.store.AgentByUserID(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		if a.VerifiedAt == nil { // transferred since: its sessions were revoked, but be sure
			return nil, errInvalidToken
		}
		p.Agent, p.Credential = a, gatehouse.CredentialAgentSession
	}
	return p, nil
}

// Logout revokes the caller's session.
func (s *Service) Logout(ctx context.Context, p *gatehouse.Principal, meta Meta) error {
	if p.Session == nil {
		return nil
	}
	err := s.store.RevokeSession(ctx, p.User.ID, p.Session.ID, s.now(), "logout")
	if err != nil && !errors.Is(err, gatehouse.ErrNotFound) {
		return err
	}
	s.audit(ctx, gatehouse.EventLogout, p.User.ID, p.Session.ID, meta, nil)
	return nil
}

// ListSessions returns the caller's active sessions, newest first.
func (s *Service) ListSessions(ctx context.Context, p *gatehouse.Principal) ([]gatehouse.Session, error) {
	return s.store.ListSessions(ctx, p.User.ID, s.now())
}

// RevokeSession revokes one of the caller's sessions (the current one included).
func (s *Service) RevokeSession(ctx context.Context, p *gatehouse.Principal, id string, meta Meta) error {
	if err := s.store.RevokeSession(ctx, p.User.ID, id, s.now(), "revoked_by_user"); err != nil {
		return err
	}
	s.audit(ctx, gatehouse.EventSessionRevoked, p.User.ID, id, meta, nil)
	return nil
}
