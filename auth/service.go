package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/password"
	"github.com/gatehouse-auth/gatehouse/token"
)

// PasswordHasher is what the service needs of password.Hasher. Check verifies pw against phc
// ("" means a dummy hash that never matches) after calling admit once a worker is held, so that
// an attempt shed under load (ErrBusy) is never counted by the throttle.
type PasswordHasher interface {
	Hash(ctx context.Context, pw string) (string, error)
	Check(ctx context.Context, pw, phc string, admit func() error) (ok, needsRehash bool, err error)
}

// Config holds the settings of the use cases.
type Config struct {
	Brand          string        // token brand, e.g. "gth"
	SessionTTL     time.Duration // absolute session lifetime
	ReauthWindow   time.Duration // how recent a sign-in sensitive actions need; 0: 10 minutes
	IdleTimeout    time.Duration // 0: no idle timeout
	DefaultOrg     string        // organization new users join; "" for none
	PasswordPolicy password.Policy
	LoginThrottle  gatehouse.LoginThrottlePolicy
	AdminEmails    []string // lowercased; verified owners of these are instance administrators
	APIResources   []string // resource names allowed in scopes (GATEHOUSE_API_RESOURCES)
	PublicURL      string   // GATEHOUSE_PUBLIC_URL without a trailing slash: every mailed link starts with it
	// Google configures Google (OIDC) sign-in (google.go); a zero value turns it off.
	Google GoogleConfig
}

// Options are the injectable parts; zero values mean the real ones.
type Options struct {
	Now    func() time.Time
	Random io.Reader
	Logger *slog.Logger
	// Limiter enforces per-credential rate limits (API keys'); nil: none.
	Limiter gatehouse.RateLimiter
	// Mail composes the mails the use cases send (package mail's templates); nil: no mail.
	Mail MailComposer
	// AccessTokens verifies OAuth JWT access tokens (package oauth's AccessTokenVerifier), so
	// that Authenticate and Verify accept them; nil: they are refused.
	AccessTokens AccessTokenVerifier
}

// MailComposer renders a mail of a kind ("verify_email", "password_reset", "magic_link", ...)
// for one recipient from data. The use cases store the result in the outbox in the same
// transaction as the action that causes it; a worker sends it.
type MailComposer interface {
	Compose(kind, to string, data map[string]any) (*gatehouse.OutboundMail, error)
}

// Service implements the use cases. It is safe for concurrent use.
type Service struct {
	base       // base.go: clock, randomness, logger
	authorizer // grant.go: Grant, Authorize, IsAdmin
	store      gatehouse.Store
	hasher     PasswordHasher
	cfg        Config
	tokens     token.Generator
	limiter    gatehouse.RateLimiter
	mail       MailComposer
	usage      usageRecorder // usage.go: batched last-used times of PATs and API keys
	tasks      linkTasks     // recovery.go: mailing of reset and magic links after the answer

	accessTokens AccessTokenVerifier // accesstoken.go: OAuth JWT access tokens; nil: refused

	defaultOrgID string
}

// touchEvery is how stale a session's last-seen time may get before a request writes it; it
// bounds the writes of the idle timeout to one per session per interval.
const touchEvery = time.Minute

// New returns a Service. Call Init once before serving.
func New(store gatehouse.Store, hasher PasswordHasher, cfg Config, opts Options) *Service {
	if cfg.LoginThrottle == (gatehouse.LoginThrottlePolicy{}) {
		cfg.LoginThrottle = gatehouse.DefaultLoginThrottle
	}
	b := newBase(opts)
	return &Service{
		base:         b,
		authorizer:   newAuthorizer(b.now, cfg),
		store:        store,
		hasher:       hasher,
		cfg:          cfg,
		tokens:       token.Generator{Brand: cfg.Brand, Rand: opts.Random},
		limiter:      opts.Limiter,
		accessTokens: opts.AccessTokens,
		mail:         opts.Mail,
	}
}

// Init creates the default organization when it does not exist yet and remembers its ID.
func (s *Service) Init(ctx context.Context) error {
	if s.cfg.DefaultOrg == "" {
		return nil
	}
	org, err := s.store.OrgByName(ctx, s.cfg.DefaultOrg)
	if errors.Is(err, gatehouse.ErrNotFound) {
		org = &gatehouse.Org{ID: s.newID(gatehouse.PrefixOrg), Name: s.cfg.DefaultOrg, CreatedAt: s.now()}
		err = s.store.CreateOrg(ctx, org)
		if gatehouse.ErrorCode(err) == gatehouse.CodeConflict { // another instance made it first
			org, err = s.store.OrgByName(ctx, s.cfg.DefaultOrg)
		}
	}
	if err != nil {
		return fmt.Errorf("default organization %q: %w", s.cfg.DefaultOrg, err)
	}
	s.defaultOrgID = org.ID
	return nil
}

// Meta describes the request a use case runs for, for the audit log.
type Meta struct {
	IP        string
	UserAgent string
}

// SessionGrant is a new session and its bearer token, which is shown only here.
type SessionGrant struct {
	Token     string
	ExpiresAt time.Time
	Session   *gatehouse.Session
	User      *gatehouse.User
}

// startSession creates a session for u and returns its grant (the session answer, not an
// authorization grant).
//
// amr says how the person signed in (RFC 8176 values; AMR* constants).
func (s *Service) startSession(ctx context.Context, u *gatehouse.User, meta Meta, amr ...string) (*SessionGrant, error) {
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

// audit appends an event. A failure to write it is logged, not returned: the action happened.
// The write does not inherit the request's cancellation: a client that hangs up after the action
// must not erase its trace.
func (s *Service) audit(ctx context.Context, typ, actor, subject string, meta Meta, details map[string]any) {
	s.writeAudit(ctx, s.store, userEvent(typ, actor, subject, meta, details))
}

// userEvent is an audit event of no organization (writeAudit fills in its ID and time).
func userEvent(typ, actor, subject string, meta Meta, details map[string]any) *gatehouse.AuditEvent {
	return &gatehouse.AuditEvent{Type: typ, ActorID: actor, SubjectID: subject,
		IP: meta.IP, UserAgent: truncate(meta.UserAgent, 512), Details: details}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
