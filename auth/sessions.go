package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
)

// Sessions is the one verification machinery and what a session's life needs: it starts the
// sessions every way of signing in ends with, checks every bearer credential Gatehouse issues
// (Authenticate for endpoints that act as a user, Verify for /v1/verify and introspection),
// notes the uses of PATs and API keys in memory (usage.go), ends sessions and OAuth grants.
// It holds only SessionsStore. Safe for concurrent use.
type Sessions struct {
	recorder   // clock, randomness, logger, audit trail
	authorizer // grant.go: Grant, Authorize, IsAdmin
	store      SessionsStore
	cfg        Config
	tokens     token.Generator
	limiter    gatehouse.RateLimiter // API keys' own rate limits; nil: none
	usage      usageRecorder         // usage.go: batched last-used times of PATs and API keys

	accessTokens AccessTokenVerifier // accesstoken.go: OAuth JWT access tokens; nil: refused
}

// SessionsStore is what Sessions reads and writes: sessions, the credential lookups of a bearer
// check, refresh families and the access-token denylist, batched credential uses, the audit
// trail.
type SessionsStore interface {
	APIKeyByTokenHash(ctx context.Context, hash []byte) (*gatehouse.APIKey, error)
	AgentByUserID(ctx context.Context, userID string) (*gatehouse.Agent, error)
	CreateSession(ctx context.Context, s *gatehouse.Session) error
	DenyAccessToken(ctx context.Context, jti string, expiresAt time.Time) error
	ListSessions(ctx context.Context, userID string, now time.Time) ([]gatehouse.Session, error)
	OAuthClientByID(ctx context.Context, id string) (*gatehouse.OAuthClient, error)
	PATByTokenHash(ctx context.Context, hash []byte) (*gatehouse.PersonalAccessToken, *gatehouse.User, error)
	RecordCredentialUses(ctx context.Context, uses []gatehouse.CredentialUse) error
	RevokeSession(ctx context.Context, userID, sessionID string, at time.Time, reason string) error
	RevokeUserRefreshFamilies(ctx context.Context, userID, clientID string, at time.Time, reason string) (int, error)
	SessionByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Session, *gatehouse.User, error)
	SetCredentialsChangedAt(ctx context.Context, userID string, at time.Time) error
	TouchSession(ctx context.Context, id string, at time.Time, ip string) error
	UserByID(ctx context.Context, id string) (*gatehouse.User, error)
	auditAppender
}

// NewSessions returns the verification machinery of cfg (Brand, SessionTTL, IdleTimeout, the
// authorizer's settings); opts' Now, Random, Logger, Limiter and AccessTokens are used.
func NewSessions(store SessionsStore, cfg Config, opts Options) *Sessions {
	r := newRecorder(opts, store)
	return &Sessions{recorder: r, authorizer: newAuthorizer(r.now, cfg), store: store, cfg: cfg,
		tokens: token.Generator{Brand: cfg.Brand, Rand: opts.Random}, limiter: opts.Limiter,
		accessTokens: opts.AccessTokens}
}

// SessionGrant is a new session and its bearer token, which is shown only here.
type SessionGrant struct {
	Token     string
	ExpiresAt time.Time
	Session   *gatehouse.Session
	User      *gatehouse.User
}

// touchEvery is how stale a session's last-seen time may get before a request writes it; it
// bounds the writes of the idle timeout to one per session per interval.
const touchEvery = time.Minute

// startSession creates a session for u and returns its grant (the session answer, not an
// authorization grant).
//
// amr says how the person signed in (RFC 8176 values; AMR* constants).
func (s *Sessions) startSession(ctx context.Context, u *gatehouse.User, meta Meta, amr ...string) (*SessionGrant, error) {
	tok, err := s.tokens.New(token.KindSession)
	if err != nil {
		return nil, err
	}
	now := s.now()
	sess := &gatehouse.Session{
		ID:          s.newID(gatehouse.PrefixSession),
		UserID:      u.ID,
		TokenHash:   token.Hash(tok),
		TokenPrefix: token.DisplayPrefix(tok),
		CreatedAt:   now,
		ExpiresAt:   now.Add(s.cfg.SessionTTL),
		LastSeenAt:  now,
		IP:          meta.IP,
		UserAgent:   truncate(meta.UserAgent, 512),
		AMR:         amr,
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	return &SessionGrant{Token: tok, ExpiresAt: sess.ExpiresAt, Session: sess, User: u}, nil
}

// endOutstandingTokens revokes the user's refresh families and outstanding access tokens (a
// password change or reset, an operator's revoke-sessions).
func (s *Sessions) endOutstandingTokens(ctx context.Context, userID, reason string) error {
	if err := s.revokeRefreshFamilies(ctx, userID, reason); err != nil {
		return err
	}
	if err := s.store.SetCredentialsChangedAt(ctx, userID, s.now()); err != nil {
		return fmt.Errorf("revoke access tokens: %w", err)
	}
	return nil
}
