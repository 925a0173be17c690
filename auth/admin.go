package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Admin is the operator's repairs (`gatehouse admin`: create-user, reset-password,
// revoke-sessions) and the periodic pruning of expired rows. It holds only AdminStore.
type Admin struct {
	recorder // clock, randomness, logger, audit trail
	store    AdminStore
	sessions *Sessions
	accounts *Accounts
	signIn   *SignIn // the login throttle's pruning
	hasher   PasswordHasher
	cfg      Config
}

// AdminStore is what Admin reads and writes: users by username, password hashes, sessions,
// expired challenges and OAuth grants, the audit trail.
type AdminStore interface {
	PruneChallenges(ctx context.Context, cutoff time.Time) (int, error)
	PruneOAuthGrants(ctx context.Context, cutoff time.Time) (int, error)
	RevokeUserSessions(ctx context.Context, userID, exceptID string, at time.Time, reason string) (int, error)
	SetPassword(ctx context.Context, id, hash string, at time.Time, revokeSessions bool) error
	SetPlanSource(ctx context.Context, userID, source string, at time.Time) error
	UserByUsername(ctx context.Context, username string) (*gatehouse.User, error)
	auditAppender
}

// NewAdmin returns the operator's use cases of cfg (PasswordPolicy) over store; opts' Now,
// Random and Logger are used.
func NewAdmin(store AdminStore, sessions *Sessions, accounts *Accounts, signIn *SignIn, hasher PasswordHasher, cfg Config, opts Options) *Admin {
	return &Admin{recorder: newRecorder(opts, store), store: store, sessions: sessions, accounts: accounts, signIn: signIn, hasher: hasher, cfg: cfg}
}

// The operator's repairs, used by `gatehouse admin`. They act on the configured database
// directly (the server may be running) and write audit events with the actor "admin-cli".

const operator = "admin-cli"

// CreateUser makes an account, an instance administrator when admin is set.
func (s *Admin) CreateUser(ctx context.Context, in RegisterInput, admin bool) (*gatehouse.User, error) {
	u, err := s.accounts.createUser(ctx, in, admin)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, gatehouse.EventUserRegistered, operator, u.ID, Meta{}, map[string]any{"admin": admin})
	return u, nil
}

// ResetPassword sets a user's password and revokes every session, OAuth refresh token and
// outstanding access token of the user.
func (s *Admin) ResetPassword(ctx context.Context, username, pw string) error {
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
	if err := s.sessions.endOutstandingTokens(ctx, u.ID, "password_reset_by_admin"); err != nil {
		return err
	}
	s.audit(ctx, gatehouse.EventPasswordChanged, operator, u.ID, Meta{}, map[string]any{"by": "admin"})
	return nil
}

// RevokeSessions revokes every session (and every OAuth refresh token and outstanding access
// token) of a user and returns how many sessions were active.
func (s *Admin) RevokeSessions(ctx context.Context, username string) (int, error) {
	u, err := s.userByUsername(ctx, username)
	if err != nil {
		return 0, err
	}
	n, err := s.store.RevokeUserSessions(ctx, u.ID, "", s.now(), "revoked_by_admin")
	if err != nil {
		return 0, err
	}
	if err := s.sessions.endOutstandingTokens(ctx, u.ID, "revoked_by_admin"); err != nil {
		return 0, err
	}
	s.audit(ctx, gatehouse.EventSessionRevoked, operator, u.ID, Meta{}, map[string]any{"count": n})
	return n, nil
}

// maxPlanSourceLen bounds a plan source (a billing system's or a plan's name).
const maxPlanSourceLen = 64

// SetPlanSource sets where a user's plan comes from (GET /v1/me/account's plan_source): 1–64
// lowercase letters, digits, "_", "-" or ".".
func (s *Admin) SetPlanSource(ctx context.Context, username, source string) error {
	if !validPlanSource(source) {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The plan source must be 1 to %d lowercase letters, digits, _, - or . characters.", maxPlanSourceLen)
	}
	u, err := s.userByUsername(ctx, username)
	if err != nil {
		return err
	}
	if err := s.store.SetPlanSource(ctx, u.ID, source, s.now()); err != nil {
		return fmt.Errorf("set plan source: %w", err)
	}
	s.audit(ctx, gatehouse.EventProfileUpdated, operator, u.ID, Meta{}, map[string]any{"by": "admin", "plan_source": source})
	return nil
}

func validPlanSource(source string) bool {
	if source == "" || len(source) > maxPlanSourceLen {
		return false
	}
	for _, c := range source {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func (s *Admin) userByUsername(ctx context.Context, username string) (*gatehouse.User, error) {
	u, err := s.store.UserByUsername(ctx, username)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, fmt.Errorf("%w: %q", errNoSuchUser, username)
	}
	return u, err
}

// PruneExpired deletes state that can no longer matter: login-throttle keys past the policy's
// forget window, the challenges of abandoned ceremonies, and OAuth grants that can no longer be
// used (expired codes, device flows, denylisted access tokens past their expiry, expired refresh
// tokens). The server calls it periodically and gets how many rows went.
func (s *Admin) PruneExpired(ctx context.Context) (int, error) {
	now := s.now()
	attempts, errA := s.signIn.PruneLoginAttempts(ctx)
	challenges, errC := s.store.PruneChallenges(ctx, now)
	grants, errG := s.store.PruneOAuthGrants(ctx, now)
	return attempts + challenges + grants, errors.Join(errA, errC, errG)
}
