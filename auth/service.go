package auth

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/password"
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
	// RevokedAPIKeyCode is the code a revoked API key fails with ("": invalid_api_key, the
	// native answer; the crew profile sets expired_api_key, its docs' "Key has been revoked").
	RevokedAPIKeyCode gatehouse.Code
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

// Services are the use cases of Gatehouse wired together over one store: each takes only the
// narrow store interface it declares, and the ones that start sessions or check passwords share
// Sessions and SignIn. app.Main builds them once; package httpapi serves them.
type Services struct {
	Sessions     *Sessions
	SignIn       *SignIn
	Accounts     *Accounts
	Recovery     *Recovery
	Passkeys     *Passkeys
	Google       *Google
	Admin        *Admin
	PATs         *PATs
	APIKeys      *APIKeys
	Agents       *Agents
	Orgs         *Orgs
	OAuthClients *OAuthClients
	Leaks        *LeakReports
}

// New returns every service of cfg over store. Call Init once before serving.
func New(store gatehouse.Store, hasher PasswordHasher, cfg Config, opts Options) *Services {
	sessions := NewSessions(store, cfg, opts)
	signIn := NewSignIn(store, sessions, hasher, cfg, opts)
	accounts := NewAccounts(store, sessions, signIn, hasher, cfg, opts)
	return &Services{
		Sessions:     sessions,
		SignIn:       signIn,
		Accounts:     accounts,
		Recovery:     NewRecovery(store, sessions, accounts, hasher, cfg, opts),
		Passkeys:     NewPasskeys(store, sessions, signIn, cfg, opts),
		Google:       NewGoogle(store, sessions, accounts, cfg, opts),
		Admin:        NewAdmin(store, sessions, accounts, signIn, hasher, cfg, opts),
		PATs:         NewPATs(store, cfg, opts),
		APIKeys:      NewAPIKeys(store, cfg, opts),
		Agents:       NewAgents(store, cfg.Brand, opts),
		Orgs:         NewOrgs(store, opts),
		OAuthClients: NewOAuthClients(store, cfg, opts),
		Leaks:        NewLeakReports(store, cfg.Brand, opts),
	}
}

// Init prepares the services for serving: the default organization (Accounts.Init).
func (s *Services) Init(ctx context.Context) error { return s.Accounts.Init(ctx) }

// Meta describes the request a use case runs for, for the audit log.
type Meta struct {
	IP        string
	UserAgent string
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
