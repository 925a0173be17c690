package auth

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// SignIn is signing in with a password or an agent token, the per-account login throttle, and
// re-authentication with the password (a passkey's is Passkeys'). It holds only SignInStore and
// starts sessions through Sessions. Safe for concurrent use.
type SignIn struct {
	recorder   // clock, randomness, logger, audit trail
	authorizer // grant.go: Grant, Authorize, IsAdmin
	store      SignInStore
	sessions   *Sessions
	hasher     PasswordHasher
	cfg        Config
}

// SignInStore is what SignIn reads and writes: accounts by login name, the login throttle,
// password hashes (rehashing), agents by token, sessions' authentication times, the audit trail.
type SignInStore interface {
	AgentByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Agent, *gatehouse.User, error)
	ClaimLoginAttempt(ctx context.Context, key string, now time.Time, p gatehouse.LoginThrottlePolicy) (time.Duration, error)
	PruneLoginAttempts(ctx context.Context, cutoff time.Time) (int, error)
	ReauthenticateSession(ctx context.Context, id string, at time.Time, amr []string) error
	ResetLoginAttempts(ctx context.Context, key string) error
	SetPassword(ctx context.Context, id, hash string, at time.Time, revokeSessions bool) error
	UserByEmail(ctx context.Context, email string) (*gatehouse.User, error)
	UserByUsername(ctx context.Context, username string) (*gatehouse.User, error)
	auditAppender
}

// NewSignIn returns the sign-in use cases of cfg (Brand, PasswordPolicy, LoginThrottle, the
// authorizer's settings) over store, starting sessions through sessions; opts' Now, Random
// and Logger are used.
func NewSignIn(store SignInStore, sessions *Sessions, hasher PasswordHasher, cfg Config, opts Options) *SignIn {
	if cfg.LoginThrottle == (gatehouse.LoginThrottlePolicy{}) {
		cfg.LoginThrottle = gatehouse.DefaultLoginThrottle
	}
	r := newRecorder(opts, store)
	return &SignIn{recorder: r, authorizer: newAuthorizer(r.now, cfg), store: store, sessions: sessions, hasher: hasher, cfg: cfg}
}
