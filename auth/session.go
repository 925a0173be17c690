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

// Authenticate verifies a bearer credential (today: a session token) and returns its principal.
// The checksum is checked before any database access. Revoked, unknown and malformed tokens are
// invalid_token; expired ones (absolute or idle) expired_token.
func (s *Service) Authenticate(ctx context.Context, bearer string, meta Meta) (*gatehouse.Principal, error) {
	t, err := token.Parse(bearer)
	if err != nil || t.Brand != s.cfg.Brand || t.Kind != token.KindSession {
		return nil, errInvalidToken
	}
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
	return &gatehouse.Principal{User: u, Session: sess, Credential: "session"}, nil
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
