package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Recovery is the mailed links: password reset and magic-link sign-in (an address claim when
// the address was not verified). It holds only RecoveryStore, starts sessions through Sessions
// and claims addresses through Accounts. Safe for concurrent use.
type Recovery struct {
	recorder // clock, randomness, logger, audit trail
	mailer   // mailer.go: MailEnabled, composeMail
	store    RecoveryStore
	sessions *Sessions
	accounts *Accounts
	hasher   PasswordHasher
	cfg      Config
	limiter  gatehouse.RateLimiter // per-address limits of the mailed links; nil: none
	tasks    linkTasks             // the mailing of links after the answer
}

// RecoveryStore is what Recovery reads and writes: users, their one-time links (stored with
// their mail), password hashes and the login throttle, the audit trail.
type RecoveryStore interface {
	ConsumeOneTimeToken(ctx context.Context, purpose string, hash []byte, now time.Time) (*gatehouse.OneTimeToken, error)
	CreateOneTimeToken(ctx context.Context, t *gatehouse.OneTimeToken, mail *gatehouse.OutboundMail) error
	ResetLoginAttempts(ctx context.Context, key string) error
	SetPassword(ctx context.Context, id, hash string, at time.Time, revokeSessions bool) error
	UserByEmail(ctx context.Context, email string) (*gatehouse.User, error)
	UserByID(ctx context.Context, id string) (*gatehouse.User, error)
	auditAppender
}

// NewRecovery returns the mailed-link use cases of cfg (PasswordPolicy, PublicURL) over store;
// opts' Now, Random, Logger, Limiter and Mail are used.
func NewRecovery(store RecoveryStore, sessions *Sessions, accounts *Accounts, hasher PasswordHasher, cfg Config, opts Options) *Recovery {
	r := newRecorder(opts, store)
	return &Recovery{recorder: r, mailer: mailer{mail: opts.Mail, ids: r.base}, store: store, sessions: sessions,
		accounts: accounts, hasher: hasher, cfg: cfg, limiter: opts.Limiter}
}

// linkKind is one kind of mailed sign-in link: the password reset and the magic link.
type linkKind struct {
	purpose string        // the one-time token's purpose
	mail    string        // the mail template
	path    string        // the page the link opens, under the public URL
	ttl     time.Duration // how long the link works
}

var (
	passwordResetLink = linkKind{gatehouse.PurposePasswordReset, "password_reset", "/reset-password", time.Hour}
	magicLink         = linkKind{gatehouse.PurposeMagicLink, "magic_link", "/magic-link", 15 * time.Minute}
)

// linkMailsPerUser bounds the links mailed to one account (per kind), so that nobody can flood
// someone's inbox by asking again and again. Beyond it requests are answered alike and send
// nothing.
var linkMailsPerUser = gatehouse.Rate{Limit: 10, Period: time.Hour}

// linkTokenLen is the length of a link token: base62, about 190 bits.
const linkTokenLen = 32

// errInvalidLink is the one answer to a wrong, used or expired link token.
var errInvalidLink = gatehouse.Errorf(gatehouse.CodeInvalidRequest, "This link is not valid or has expired; ask for a new one.")

// RequestPasswordReset mails a reset link to the account with that address, if there is one.
//
// The answer must not tell whether the address has an account, by its content or its timing:
// only the shape of the address is checked here; the lookup and the mail happen in a background
// task after the call returns. Unknown addresses get no mail.
func (s *Recovery) RequestPasswordReset(ctx context.Context, email string, meta Meta) error {
	return s.requestLink(ctx, email, passwordResetLink, meta)
}

// RequestMagicLink mails a sign-in link to the account with that address, if there is one, under
// the same rules as RequestPasswordReset.
func (s *Recovery) RequestMagicLink(ctx context.Context, email string, meta Meta) error {
	return s.requestLink(ctx, email, magicLink, meta)
}

func (s *Recovery) requestLink(ctx context.Context, email string, kind linkKind, meta Meta) error {
	addr, err := normalizeEmail(email)
	if err != nil {
		return err
	}
	if addr == "" {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "An email address is required.")
	}
	s.tasks.run(ctx, s.log, kind.mail, func(ctx context.Context) error {
		return s.mailLink(ctx, addr, kind)
	})
	return nil
}

// mailLink runs in the background: it stores a new link token for the account with address addr
// (replacing its earlier one) and queues the mail in the same transaction.
func (s *Recovery) mailLink(ctx context.Context, addr string, kind linkKind) error {
	if s.mail == nil {
		return nil
	}
	u, err := s.store.UserByEmail(ctx, addr)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up the account: %w", err)
	}
	if u.Kind != gatehouse.KindUser || u.Disabled() || u.Email == "" {
		return nil
	}
	if s.limiter != nil {
		d, err := s.limiter.Allow(ctx, "mail:"+kind.purpose+":"+u.ID, linkMailsPerUser)
		if err != nil {
			s.log.WarnContext(ctx, "rate limiter unavailable", "err", err)
		} else if !d.Allowed {
			s.log.InfoContext(ctx, "link mail throttled", "kind", kind.mail, "user_id", u.ID)
			return nil
		}
	}
	tok, err := randomLinkToken(s.random)
	if err != nil {
		return err
	}
	now := s.now()
	t := &gatehouse.OneTimeToken{
		ID:        s.newID(gatehouse.PrefixOneTimeToken),
		Purpose:   kind.purpose,
		UserID:    u.ID,
		Email:     u.Email,
		TokenHash: linkTokenHash(tok),
		CreatedAt: now,
		ExpiresAt: now.Add(kind.ttl),
	}
	link := s.cfg.PublicURL + kind.path + "?token=" + tok
	m, err := s.composeMail(kind.mail, u.Email, map[string]any{
		"Link": link, "Username": u.Username, "ExpiresIn": kind.ttl,
	})
	if err != nil {
		return err
	}
	return s.store.CreateOneTimeToken(ctx, t, m)
}

// ResetPassword sets a new password with a mailed reset token, which works once. Every session,
// OAuth refresh token and outstanding access token of the account is revoked (a thief's too); the
// person signs in again with the new password. On an account whose address was unverified the
// reset is a claim (claim.go): every other credential goes too, and the address is verified.
func (s *Recovery) ResetPassword(ctx context.Context, tok, newPassword string, meta Meta) error {
	if !isLinkToken(tok) {
		return errInvalidLink
	}
	// The policy and the hash come before the token is consumed: a refused password must not
	// burn the link.
	if err := s.cfg.PasswordPolicy.Check(newPassword); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return err
	}
	u, err := s.consumeLink(ctx, tok, passwordResetLink)
	if err != nil {
		return err
	}
	claimed := false
	if !u.EmailVerified {
		// The link proved the unverified address: a claim (claim.go) with the new password.
		if claimed, err = s.accounts.claimAccount(ctx, u, claimByPasswordReset, "", &hash, meta); err != nil {
			return err
		}
	}
	if !claimed {
		// A verified account: sessions, refresh families and outstanding access tokens end;
		// personal access tokens stay (docs/security.md).
		if err := s.store.SetPassword(ctx, u.ID, hash, s.now(), true); err != nil {
			return err
		}
		if err := s.sessions.endOutstandingTokens(ctx, u.ID, "password_reset"); err != nil {
			return err
		}
	}
	// The failed-login throttle of the account starts over: its owner proved who they are.
	if err := s.store.ResetLoginAttempts(ctx, "user:"+u.ID); err != nil {
		s.log.WarnContext(ctx, "login throttle not reset", "user_id", u.ID, "err", err)
	}
	s.audit(ctx, eventPasswordReset, u.ID, u.ID, meta, nil)
	return nil
}

// SignInWithMagicLink consumes a mailed magic-link token (once) and signs its account in.
func (s *Recovery) SignInWithMagicLink(ctx context.Context, tok string, meta Meta) (*SessionGrant, error) {
	if !isLinkToken(tok) {
		return nil, errInvalidLink
	}
	u, err := s.consumeLink(ctx, tok, magicLink)
	if err != nil {
		return nil, err
	}
	if !u.EmailVerified {
		// Following the link proved control of the address it was mailed to (consumeLink checked
		// it is still the account's address): a claim (claim.go). The person who now proves
		// control takes the account over clean: every credential made before ends and the
		// password is cleared (they can set one through "forgot password"). The session below
		// comes after the claim.
		cleared := ""
		claimed, err := s.accounts.claimAccount(ctx, u, claimByMagicLink, "", &cleared, meta)
		if err != nil {
			return nil, err
		}
		if claimed {
			if u, err = s.store.UserByID(ctx, u.ID); err != nil {
				return nil, err
			}
		}
	}
	grant, err := s.sessions.startSession(ctx, u, meta, AMROneTime)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, gatehouse.EventLogin, u.ID, u.ID, meta, map[string]any{"method": "magic_link", "session_id": grant.Session.ID})
	return grant, nil
}

// consumeLink marks the token used (of concurrent uses exactly one gets here) and returns its
// account, which must still be active and still have the address the link was mailed to.
func (s *Recovery) consumeLink(ctx context.Context, tok string, kind linkKind) (*gatehouse.User, error) {
	t, err := s.store.ConsumeOneTimeToken(ctx, kind.purpose, linkTokenHash(tok), s.now())
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errInvalidLink
	}
	if err != nil {
		return nil, err
	}
	u, err := s.store.UserByID(ctx, t.UserID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errInvalidLink
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled() || !strings.EqualFold(u.Email, t.Email) {
		return nil, errInvalidLink
	}
	return u, nil
}

func linkTokenHash(tok string) []byte {
	sum := sha256.Sum256([]byte(tok))
	return sum[:]
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomLinkToken returns linkTokenLen characters uniformly random over base62 (nil r:
// crypto/rand). Bytes of 248 and above are rejected so that every character is equally likely.
func randomLinkToken(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	out := make([]byte, 0, linkTokenLen)
	buf := make([]byte, 2*linkTokenLen)
	for len(out) < linkTokenLen {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("random link token: %w", err)
		}
		for _, b := range buf {
			if b < 248 && len(out) < linkTokenLen {
				out = append(out, base62[b%62])
			}
		}
	}
	return string(out), nil
}

func isLinkToken(s string) bool {
	if len(s) != linkTokenLen {
		return false
	}
	for i := range len(s) {
		if !strings.ContainsRune(base62, rune(s[i])) {
			return false
		}
	}
	return true
}

// Background tasks of the link requests.
const (
	maxLinkTasks    = 64               // running at once; beyond it requests send nothing
	linkTaskTimeout = 30 * time.Second // one task's deadline
)

// linkTasks runs the mailing of links after the request has been answered, bounded in number
// and drained on shutdown. The zero value is ready to use.
type linkTasks struct {
	mu      sync.Mutex
	wg      sync.WaitGroup
	running int
	closed  bool
}

// run starts fn in the background with a context detached from the request's cancellation (the
// answer is sent before fn is done) but keeping its values (the request ID in logs). When too many
// tasks run, or the service is draining, fn is dropped and logged.
func (b *linkTasks) run(ctx context.Context, log *slog.Logger, what string, fn func(context.Context) error) {
	b.mu.Lock()
	if b.closed || b.running >= maxLinkTasks {
		b.mu.Unlock()
		log.WarnContext(ctx, "link mail dropped: too many pending or shutting down", "kind", what)
		return
	}
	b.running++
	b.wg.Add(1)
	b.mu.Unlock()
	go func() {
		defer func() {
			b.mu.Lock()
			b.running--
			b.mu.Unlock()
			b.wg.Done()
		}()
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), linkTaskTimeout)
		defer cancel()
		if err := fn(tctx); err != nil {
			log.ErrorContext(tctx, "link mail not queued", "kind", what, "err", err)
		}
	}()
}

// Drain refuses new background work (password-reset and magic-link mails) and waits until the
// running tasks are done or ctx ends. The server calls it on shutdown, after the HTTP server has
// stopped and before the store closes.
func (s *Recovery) Drain(ctx context.Context) error {
	b := &s.tasks
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	done := make(chan struct{})
	go func() {
		b.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("drain background mail tasks: %w", ctx.Err())
	}
}
