package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Accounts is a person's account: registration (and the default organization new users join),
// profile, password, deletion, the confirmed change and the verification of the email address
// (with the address claim it proves), how the account can sign in, and the caller's
// organizations and audit trail. It holds only AccountsStore; it starts sessions through
// Sessions and checks passwords through SignIn's throttle. Safe for concurrent use.
type Accounts struct {
	recorder   // clock, randomness, logger, audit trail
	authorizer // grant.go: Grant, Authorize, IsAdmin
	mailer     // mailer.go: MailEnabled, composeMail
	store      AccountsStore
	sessions   *Sessions
	signIn     *SignIn
	hasher     PasswordHasher
	cfg        Config
	limiter    gatehouse.RateLimiter // emailcodes.go: tries and new codes; nil: none

	defaultOrgID string // set by Init
}

// AccountsStore is what Accounts reads and writes: users, their memberships and the default
// organization, their passkeys and identities (to list sign-in methods), one-time codes and the
// outbox, the audit trail.
type AccountsStore interface {
	ActiveOneTimeToken(ctx context.Context, userID, purpose string, now time.Time) (*gatehouse.OneTimeToken, error)
	ClaimAccount(ctx context.Context, c gatehouse.AccountClaim) (gatehouse.ClaimCounts, error)
	ConsumeOneTimeToken(ctx context.Context, purpose string, hash []byte, now time.Time) (*gatehouse.OneTimeToken, error)
	CreateOneTimeToken(ctx context.Context, t *gatehouse.OneTimeToken, mail *gatehouse.OutboundMail) error
	CreateOrg(ctx context.Context, o *gatehouse.Org, members ...gatehouse.Membership) error
	CreateUser(ctx context.Context, u *gatehouse.User, memberships ...gatehouse.Membership) error
	DeleteUser(ctx context.Context, id string) error
	EnqueueMail(ctx context.Context, m *gatehouse.OutboundMail) error
	FailOneTimeToken(ctx context.Context, id string) (int, error)
	ListAuditEvents(ctx context.Context, f gatehouse.AuditFilter) ([]gatehouse.AuditEvent, error)
	ListIdentities(ctx context.Context, userID string) ([]gatehouse.Identity, error)
	ListPasskeys(ctx context.Context, userID string) ([]gatehouse.Passkey, error)
	ListUserOrgs(ctx context.Context, userID string) ([]gatehouse.OrgMembership, error)
	OrgByID(ctx context.Context, id string) (*gatehouse.Org, error)
	OrgByName(ctx context.Context, name string) (*gatehouse.Org, error)
	PlanSource(ctx context.Context, userID string) (string, error)
	SetPassword(ctx context.Context, id, hash string, at time.Time, revokeSessions bool) error
	UpdateUser(ctx context.Context, id string, upd gatehouse.UserUpdate) (*gatehouse.User, error)
	UserByEmail(ctx context.Context, email string) (*gatehouse.User, error)
	UserByID(ctx context.Context, id string) (*gatehouse.User, error)
	auditAppender
}

// NewAccounts returns the account use cases of cfg (PasswordPolicy, DefaultOrg, the
// authorizer's settings) over store; opts' Now, Random, Logger, Limiter and Mail are used.
// Call Init once before serving.
func NewAccounts(store AccountsStore, sessions *Sessions, signIn *SignIn, hasher PasswordHasher, cfg Config, opts Options) *Accounts {
	r := newRecorder(opts, store)
	return &Accounts{recorder: r, authorizer: newAuthorizer(r.now, cfg), mailer: mailer{mail: opts.Mail, ids: r.base},
		store: store, sessions: sessions, signIn: signIn, hasher: hasher, cfg: cfg, limiter: opts.Limiter}
}

// Init creates the default organization when it does not exist yet and remembers its ID.
func (s *Accounts) Init(ctx context.Context) error {
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
