package gatehouse

import (
	"context"
	"time"
)

// Store is everything Gatehouse keeps. Each backend (store/sqlite, store/postgres) implements the
// whole interface and passes the conformance suite in store/storetest.
//
// Rules for every implementation:
//   - a missing row is an error matching ErrNotFound (errors.Is);
//   - a unique violation becomes a *Error with the matching code (CodeUsernameTaken,
//     CodeEmailTaken, CodeConflict); driver errors never leak as is;
//   - usernames, emails and org names compare case-insensitively;
//   - times are stored and returned in UTC with at least millisecond precision.
type Store interface {
	UserStore
	SessionStore
	OrgStore
	AuditStore
	LoginThrottleStore

	// Ping reports whether the database answers (used by /readyz).
	Ping(ctx context.Context) error
	Close() error
}

// UserStore keeps accounts.
type UserStore interface {
	// CreateUser inserts u and, in the same transaction, the given memberships.
	CreateUser(ctx context.Context, u *User, memberships ...Membership) error
	UserByID(ctx context.Context, id string) (*User, error)
	UserByUsername(ctx context.Context, username string) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error)
	// UpdateUser applies upd and returns the updated user.
	UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error)
	// SetPassword stores a new PHC hash. With revokeSessions it also revokes, in the same
	// transaction, every active session of the user (reason "password_changed").
	SetPassword(ctx context.Context, id, hash string, at time.Time, revokeSessions bool) error
	// DeleteUser removes the user with its sessions and memberships; the username and email
	// become free at once. Audit events stay.
	DeleteUser(ctx context.Context, id string) error
}

// SessionStore keeps sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	// SessionByTokenHash returns the session with that token hash and its user, revoked or
	// expired ones included (the caller decides).
	SessionByTokenHash(ctx context.Context, hash []byte) (*Session, *User, error)
	// ListSessions returns the user's sessions that are not revoked and not expired at now,
	// newest first.
	ListSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)
	// TouchSession records use of the session (last seen time and IP).
	TouchSession(ctx context.Context, id string, at time.Time, ip string) error
	// RevokeSession revokes one session of userID; ErrNotFound when it is not the user's or is
	// already revoked.
	RevokeSession(ctx context.Context, userID, sessionID string, at time.Time, reason string) error
	// RevokeUserSessions revokes every active session of the user but exceptID ("" for none)
	// and returns how many it revoked.
	RevokeUserSessions(ctx context.Context, userID, exceptID string, at time.Time, reason string) (int, error)
}

// OrgStore keeps organizations and memberships.
type OrgStore interface {
	CreateOrg(ctx context.Context, o *Org) error // name taken → CodeConflict
	OrgByID(ctx context.Context, id string) (*Org, error)
	OrgByName(ctx context.Context, name string) (*Org, error)
	AddMember(ctx context.Context, m Membership) error // already a member → CodeConflict
	// ListUserOrgs returns the user's organizations, oldest membership first.
	ListUserOrgs(ctx context.Context, userID string) ([]OrgMembership, error)
}

// AuditStore is the append-only audit log.
type AuditStore interface {
	AppendAuditEvent(ctx context.Context, e *AuditEvent) error
	// ListAuditEvents returns events matching f, newest (highest ID) first, at most f.Limit.
	ListAuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
}

// LoginThrottleStore backs the per-account throttle of failed logins. It must be atomic under
// parallel attempts on one or many instances.
type LoginThrottleStore interface {
	// ClaimLoginAttempt is called before a password is checked. If key is blocked at now it
	// records nothing and returns the remaining wait (> 0). Otherwise it counts the attempt as a
	// failure in advance (failures+1, forgetting earlier failures older than p.Forget), blocks
	// the key until now+p.Delay(failures) and returns 0. A successful login then calls
	// ResetLoginAttempts, so only failures remain counted.
	ClaimLoginAttempt(ctx context.Context, key string, now time.Time, p LoginThrottlePolicy) (time.Duration, error)
	ResetLoginAttempts(ctx context.Context, key string) error
	// PruneLoginAttempts deletes the state of keys whose last counted failure and block both
	// ended before cutoff (callers pass now minus the policy's Forget, after which a claim would
	// start afresh anyway) and returns how many it deleted.
	PruneLoginAttempts(ctx context.Context, cutoff time.Time) (int, error)
}
