package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// Google is signing in with Google (or any OIDC issuer, GoogleConfig): the redirect flow, the
// Google Identity Services credential, linking to and unlinking from an account. It holds only
// GoogleStore; it starts sessions through Sessions and new users join Accounts' default
// organization. Safe for concurrent use.
type Google struct {
	recorder   // clock, randomness, logger, audit trail
	authorizer // grant.go: Grant, Authorize, IsAdmin
	mailer     // mailer.go: signInGuard (magic links count as a way in only with mail)
	store      GoogleStore
	sessions   *Sessions
	accounts   *Accounts
	cfg        Config
}

// GoogleStore is what Google reads and writes: users and their linked identities, the flow's
// challenges, the audit trail.
type GoogleStore interface {
	CreateIdentity(ctx context.Context, i *gatehouse.Identity) error
	CreateUser(ctx context.Context, u *gatehouse.User, memberships ...gatehouse.Membership) error
	DeleteIdentity(ctx context.Context, userID, provider string, guard *gatehouse.SignInGuard) error
	DeleteUser(ctx context.Context, id string) error
	IdentityBySubject(ctx context.Context, provider, subject string) (*gatehouse.Identity, *gatehouse.User, error)
	SaveChallenge(ctx context.Context, c *gatehouse.Challenge) error
	TakeChallenge(ctx context.Context, id, purpose string, now time.Time) (*gatehouse.Challenge, error)
	UserByEmail(ctx context.Context, email string) (*gatehouse.User, error)
	UserByID(ctx context.Context, id string) (*gatehouse.User, error)
	auditAppender
}

// NewGoogle returns the Google sign-in use cases of cfg (Google, PublicURL) over store; opts'
// Now, Random, Logger and Mail are used.
func NewGoogle(store GoogleStore, sessions *Sessions, accounts *Accounts, cfg Config, opts Options) *Google {
	r := newRecorder(opts, store)
	return &Google{recorder: r, authorizer: newAuthorizer(r.now, cfg), mailer: mailer{mail: opts.Mail, ids: r.base},
		store: store, sessions: sessions, accounts: accounts, cfg: cfg}
}

// Google (any OpenID Connect issuer) sign-in: ID tokens posted by apps, the redirect flow with
// state, nonce and PKCE, linking, sign-up of password-less accounts, and the account's sign-in
// methods.

// GoogleConfig configures sign-in with Google or any OpenID Connect issuer. An empty ClientID
// turns it off.
type GoogleConfig struct {
	ClientID     string
	ClientSecret string
	Issuer       string // "" means https://accounts.google.com
	// UnlinkNeedsPassword: Google may be unlinked only while a password is set (the rst
	// profile's rule); false: while any other way in remains (a password, a passkey, magic links).
	UnlinkNeedsPassword bool
}

// ProviderGoogle is the Identity.Provider of Google (OIDC) identities.
const ProviderGoogle = "google"

// ChallengeOIDCLogin is the Challenge.Purpose of a redirect flow in progress.
const ChallengeOIDCLogin = "oidc_login"

// Audit event types of linking.
const (
	EventIdentityLinked   = "identity.linked"
	EventIdentityUnlinked = "identity.unlinked"
)

const (
	defaultGoogleIssuer = "https://accounts.google.com"
	oidcFlowTTL         = 10 * time.Minute
	discoveryTimeout    = 10 * time.Second
)

// Enabled reports whether Google sign-in is configured.
func (s *Google) Enabled() bool { return s.cfg.Google.ClientID != "" }

func (s *Google) googleIssuer() string {
	if s.cfg.Google.Issuer == "" {
		return defaultGoogleIssuer
	}
	return strings.TrimSuffix(s.cfg.Google.Issuer, "/")
}

// providers caches discovered issuers (discovery document and key set) by issuer URL. Discovery
// happens on first use, not at start, so that a server starts without reaching the issuer; a
// failed discovery is not cached.
var providers struct {
	mu sync.Mutex
	m  map[string]*oidc.Provider
}

func (s *Google) googleProvider(ctx context.Context) (*oidc.Provider, error) {
	if !s.Enabled() {
		return nil, gatehouse.Errorf(gatehouse.CodeNotFound, "Google sign-in is not enabled.")
	}
	issuer := s.googleIssuer()
	providers.mu.Lock()
	defer providers.mu.Unlock()
	if p, ok := providers.m[issuer]; ok {
		return p, nil
	}
	// The provider keeps the context for fetching keys later: no cancellation, only a bound on
	// this discovery.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), discoveryTimeout)
	defer cancel()
	p, err := oidc.NewProvider(oidc.ClientContext(dctx, http.DefaultClient), issuer)
	if err != nil {
		s.log.ErrorContext(ctx, "OpenID Connect discovery failed", "issuer", issuer, "err", err)
		return nil, &gatehouse.Error{Code: gatehouse.CodeUnavailable, Message: "Google sign-in is unavailable right now.", RetryAfter: 5 * time.Second}
	}
	if providers.m == nil {
		providers.m = map[string]*oidc.Provider{}
	}
	providers.m[issuer] = p
	return p, nil
}

// googleClaims are the ID token claims Gatehouse uses.
type googleClaims struct {
	Subject       string       `json:"sub"`
	Email         string       `json:"email"`
	EmailVerified flexibleBool `json:"email_verified"`
	Name          string       `json:"name"`
	Nonce         string       `json:"nonce"`
}

// flexibleBool accepts true/false and "true"/"false" (some issuers send strings).
type flexibleBool bool

func (b *flexibleBool) UnmarshalJSON(data []byte) error {
	switch strings.Trim(string(data), `"`) {
	case "true":
		*b = true
	default:
		*b = false
	}
	return nil
}

var errBadIDToken = gatehouse.Errorf(gatehouse.CodeInvalidCredentials, "The Google credential is not valid.")

// verifyIDToken checks the signature (the issuer's keys), issuer, audience (our client ID) and
// expiry of raw, and its nonce when nonce is not "".
func (s *Google) verifyIDToken(ctx context.Context, raw, nonce string) (*googleClaims, error) {
	p, err := s.googleProvider(ctx)
	if err != nil {
		return nil, err
	}
	v := p.Verifier(&oidc.Config{ClientID: s.cfg.Google.ClientID, Now: s.now})
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		s.log.InfoContext(ctx, "ID token rejected", "err", err)
		return nil, errBadIDToken
	}
	var c googleClaims
	if err := tok.Claims(&c); err != nil || c.Subject == "" {
		return nil, errBadIDToken
	}
	if nonce != "" && subtle.ConstantTimeCompare([]byte(c.Nonce), []byte(nonce)) != 1 {
		return nil, errBadIDToken
	}
	c.Email = strings.TrimSpace(c.Email)
	return &c, nil
}

// SignIn signs in with a Google ID token (POST /v1/auth/google). nonce, when not "", must
// equal the token's. current is the caller's principal when the request is signed in (nil
// otherwise): the identity is then linked to that account.
func (s *Google) SignIn(ctx context.Context, credential, nonce string, current *gatehouse.Principal, meta Meta) (*SessionGrant, error) {
	if !s.Enabled() {
		return nil, gatehouse.Errorf(gatehouse.CodeNotFound, "Google sign-in is not enabled.")
	}
	if strings.TrimSpace(credential) == "" {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "credential is required.")
	}
	c, err := s.verifyIDToken(ctx, credential, nonce)
	if err != nil {
		return nil, err
	}
	var linkTo *gatehouse.User
	if current != nil {
		if current.User == nil || current.User.Kind != gatehouse.KindUser || current.APIKey != nil {
			return nil, gatehouse.Errorf(gatehouse.CodeInsufficientPerms, "Only a person's account can link Google.")
		}
		if err := s.Authorize(current, authz.Sensitive); err != nil { // linking is sensitive
			return nil, err
		}
		linkTo = current.User
	}
	return s.googleComplete(ctx, c, linkTo, meta)
}

// googleComplete is what both flows do with verified claims: sign in a linked identity, link to
// linkTo (the signed-in account) or to the account with the same verified email, or sign up.
func (s *Google) googleComplete(ctx context.Context, c *googleClaims, linkTo *gatehouse.User, meta Meta) (*SessionGrant, error) {
	_, u, err := s.store.IdentityBySubject(ctx, ProviderGoogle, c.Subject)
	switch {
	case err == nil:
		if linkTo != nil && linkTo.ID != u.ID {
			return nil, gatehouse.Errorf(gatehouse.CodeConflict, "This Google account is already linked to another account.")
		}
		return s.googleSession(ctx, u, meta)
	case !errors.Is(err, gatehouse.ErrNotFound):
		return nil, err
	}
	if linkTo != nil {
		if err := s.linkGoogle(ctx, linkTo, c, meta, "signed_in"); err != nil {
			return nil, err
		}
		return s.googleSession(ctx, linkTo, meta)
	}
	if c.Email != "" {
		u, err := s.store.UserByEmail(ctx, c.Email)
		switch {
		case err == nil:
			if !bool(c.EmailVerified) || !u.EmailVerified || u.Kind != gatehouse.KindUser {
				// Linking on an unverified address would let whoever registered it first
				// (or whoever controls the Google account) take over the other side.
				return nil, gatehouse.Errorf(gatehouse.CodeEmailTaken,
					"An account with this email address already exists. Sign in to it another way, then link Google under Account → Connected accounts.")
			}
			if err := s.linkGoogle(ctx, u, c, meta, "verified_email"); err != nil {
				return nil, err
			}
			return s.googleSession(ctx, u, meta)
		case !errors.Is(err, gatehouse.ErrNotFound):
			return nil, err
		}
	}
	u, err = s.createGoogleUser(ctx, c, meta)
	if err != nil {
		return nil, err
	}
	return s.googleSession(ctx, u, meta)
}

func (s *Google) googleSession(ctx context.Context, u *gatehouse.User, meta Meta) (*SessionGrant, error) {
	if u.Disabled() || u.Kind != gatehouse.KindUser {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidCredentials, "This account cannot sign in.")
	}
	g, err := s.sessions.startSession(ctx, u, meta, AMRFederated)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, gatehouse.EventLogin, u.ID, u.ID, meta, map[string]any{"method": MethodGoogle, "session_id": g.Session.ID})
	return g, nil
}

// createGoogleUser signs up a password-less account for c: the username comes from the email's
// local part (made valid, and unique with a random suffix); the email is kept only when the
// issuer verified it, so that nobody can hold an address they do not own.
func (s *Google) createGoogleUser(ctx context.Context, c *googleClaims, meta Meta) (*gatehouse.User, error) {
	email := ""
	if c.EmailVerified && c.Email != "" {
		if e, err := normalizeEmail(c.Email); err == nil {
			email = e
		}
	}
	display := strings.TrimSpace(c.Name)
	if checkProfileText("display_name", display, 64) != nil {
		display = ""
	}
	base := usernameFrom(c.Email)
	for attempt := 0; ; attempt++ {
		name := base
		if attempt > 0 {
			name = withSuffix(base, s.randomHex(2))
		}
		now := s.now()
		u := &gatehouse.User{
			ID: s.newID(gatehouse.PrefixUser), Kind: gatehouse.KindUser, Username: name,
			Email: email, EmailVerified: email != "", DisplayName: display,
			CreatedAt: now, UpdatedAt: now,
		}
		var memberships []gatehouse.Membership
		if s.accounts.defaultOrgID != "" {
			memberships = append(memberships, gatehouse.Membership{OrgID: s.accounts.defaultOrgID, UserID: u.ID, Role: gatehouse.RoleMember, CreatedAt: now})
		}
		err := s.store.CreateUser(ctx, u, memberships...)
		switch gatehouse.ErrorCode(err) {
		case "":
		case gatehouse.CodeUsernameTaken:
			if attempt < 8 {
				continue
			}
			return nil, err
		case gatehouse.CodeEmailTaken: // registered meanwhile
			return nil, gatehouse.Errorf(gatehouse.CodeEmailTaken, "An account with this email address already exists.")
		default:
			return nil, err
		}
		s.audit(ctx, gatehouse.EventUserRegistered, u.ID, u.ID, meta, map[string]any{"method": MethodGoogle})
		if err := s.linkGoogle(ctx, u, c, meta, "sign_up"); err != nil {
			// Without its identity the password-less account has no way in: drop it. When a
			// parallel sign-up with the same subject won, use that account.
			if e := s.store.DeleteUser(context.WithoutCancel(ctx), u.ID); e != nil {
				s.log.ErrorContext(ctx, "orphaned Google sign-up not deleted", "user_id", u.ID, "err", e)
			}
			if _, other, e := s.store.IdentityBySubject(ctx, ProviderGoogle, c.Subject); e == nil {
				return other, nil
			}
			return nil, err
		}
		return u, nil
	}
}

// usernameFrom makes a valid username from an email's local part: letters, digits, '_' and '-'
// kept, '.' and '+' become '_', the rest dropped; at most 19 characters so that a suffix fits.
func usernameFrom(email string) string {
	local, _, _ := strings.Cut(email, "@")
	var b strings.Builder
	for i := 0; i < len(local) && b.Len() < 19; i++ {
		switch ch := local[i]; {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9', ch == '_', ch == '-':
			b.WriteByte(ch)
		case ch == '.' || ch == '+':
			b.WriteByte('_')
		}
	}
	name := strings.Trim(b.String(), "_-")
	if len(name) < 2 {
		name = "user" + name
	}
	return name
}

func withSuffix(base, suffix string) string {
	if len(base) > 19 {
		base = base[:19]
	}
	return base + "-" + suffix
}
