package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-auth/gatehouse"
)

// The operator's repairs, used by `gatehouse admin`. They act on the configured database
// directly (the server may be running) and write audit events with the actor "admin-cli".

const operator = "admin-cli"

// AdminCreateUser makes an account, an instance administrator when admin is set.
func (s *Service) AdminCreateUser(ctx context.Context, in RegisterInput, admin bool) (*gatehouse.User, error) {
	u, err := s.createUser(ctx, in, admin)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, gatehouse.EventUserRegistered, operator, u.ID, Meta{}, map[string]any{"admin": admin})
	return u, nil
}

// AdminResetPassword sets a user's password and revokes every session, OAuth refresh token and
// outstanding access token of the user.
func (s *Service) AdminResetPassword(ctx context.Context, username, pw string) error {
	u, err := s.userByUsername(ctx, username)
	if err != nil {
		return err
	}
	if err := s.cfg.PasswordPolicy.Check(pw); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	if err := s.store.SetPassword(ctx, u.ID, hash, s.now(), true); err != nil {
		return err
	}
	if err := s.endOutstandingTokens(ctx, u.ID, "password_reset_by_admin"); err != nil {
		return err
	}
	s.audit(ctx, gatehouse.EventPasswordChanged, operator, u.ID, Meta{}, map[string]any{"by": "admin"})
	return nil
}

// AdminRevokeSessions revokes every session (and every OAuth refresh token and outstanding access
// token) of a user and returns how many sessions were active.
func (s *Service) AdminRevokeSessions(ctx context.Context, username string) (int, error) {
	u, err := s.userByUsername(ctx, username)
	if err != nil {
		return 0, err
	}
	n, err := s.store.RevokeUserSessions(ctx, u.ID, "", s.now(), "revoked_by_admin")
	if err != nil {
		return 0, err
	}
	if err := s.endOutstandingTokens(ctx, u.ID, "revoked_by_admin"); err != nil {
		return 0, err
	}
	s.audit(ctx, gatehouse.EventSessionRevoked, operator, u.ID, Meta{}, map[string]any{"count": n})
	return n, nil
}

func (s *Service) userByUsername(ctx context.Context, username string) (*gatehouse.User, error) {
	u, err := s.store.UserByUsername(ctx, username)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, fmt.Errorf("%w: %q", errNoSuchUser, username)
	}
	return u, err
}
