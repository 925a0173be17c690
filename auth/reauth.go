package auth

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// EventReauthenticated is the audit event of a successful re-authentication.
const EventReauthenticated = "auth.reauthenticated"

// reauthSession returns p's session, or reauth_required when p is not a person's session (only
// a session can be made recent).
func reauthSession(p *gatehouse.Principal) (*gatehouse.Session, error) {
	if p.Credential != gatehouse.CredentialSession || p.Session == nil || p.User == nil || p.User.Kind != gatehouse.KindUser {
		return nil, authz.ErrReauthRequired
	}
	return p.Session, nil
}

// Reauthenticate makes p's session recent again after checking the account's password (the
// per-account login throttle counts wrong ones). It returns the new authentication time.
func (s *SignIn) Reauthenticate(ctx context.Context, p *gatehouse.Principal, pw string, meta Meta) (time.Time, error) {
	sess, err := reauthSession(p)
	if err != nil {
		return time.Time{}, err
	}
	if pw == "" {
		return time.Time{}, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "password is required.")
	}
	if err := s.checkPassword(ctx, p.User, pw); err != nil {
		return time.Time{}, err
	}
	return s.markRecent(ctx, p.User, sess, meta, AMRPassword)
}

// markRecent records the re-authentication on the session and audits it.
func (s *SignIn) markRecent(ctx context.Context, u *gatehouse.User, sess *gatehouse.Session, meta Meta, amr ...string) (time.Time, error) {
	now := s.now()
	if err := s.store.ReauthenticateSession(ctx, sess.ID, now, amr); err != nil {
		if errors.Is(err, gatehouse.ErrNotFound) {
			return time.Time{}, errInvalidToken
		}
		return time.Time{}, err
	}
	s.audit(ctx, EventReauthenticated, u.ID, u.ID, meta, map[string]any{"session_id": sess.ID, "amr": amr})
	return now.UTC(), nil
}

// RequireRecent is the check of a sensitive action whose endpoint takes the current password:
// only a session; a given pw must be the account's password (checked, throttled; a wrong one is
// invalid_credentials even on a recent session); without one the session must be recent. Every
// other credential gets reauth_required.
func (s *SignIn) RequireRecent(ctx context.Context, p *gatehouse.Principal, pw string) error {
	g := s.Grant(p)
	if g.Kind != authz.KindSession || pw == "" {
		return authz.RequireRecent(g, false)
	}
	if err := s.checkPassword(ctx, p.User, pw); err != nil {
		return err
	}
	return authz.RequireRecent(g, true)
}
