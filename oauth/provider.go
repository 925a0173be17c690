package oauth

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/keys"
	"github.com/gatehouse-auth/gatehouse/token"
)

// Config holds the provider's settings.
type Config struct {
	Issuer          string        // GATEHOUSE_PUBLIC_URL without a trailing slash; never the Host header
	Brand           string        // token brand, e.g. "gth"
	AccessTokenTTL  time.Duration // default 4h (GATEHOUSE_ACCESS_TOKEN_TTL)
	RefreshTokenTTL time.Duration // default 30 days (each token; a use issues the next)
	CodeTTL         time.Duration // default 60s
	DeviceCodeTTL   time.Duration // default 600s
	DeviceInterval  time.Duration // default 5s

	// Audience is the "aud" of access tokens: the API they are for. Default: Issuer, because
	// Gatehouse's own API and the resource servers that ask it (introspection, /v1/verify, or
	// local verification against the JWKS) form one API under the issuer; RFC 9068 wants the
	// resource's identifier, and resource servers check it.
	Audience string
	// IDTokenTTL is the lifetime of ID tokens; default 1h.
	IDTokenTTL time.Duration
	// AccessTokenAlg is the JWS algorithm of access tokens: keys.ES256 (the default: a P-256
	// signature costs a small fraction of an RSA-2048 one) or keys.RS256 (GATEHOUSE_ACCESS_TOKEN_ALG,
	// for resource servers that only accept RS256; RFC 9068 requires them to support it). ID
	// tokens are always RS256 (OIDC Core 3.1.3.7; no client registers another algorithm).
	AccessTokenAlg string
	// DeviceCodeAttempts bounds user-code look-ups per user and per client address (PendingDevice
	// and DecideDevice; each call counts, a wrong code included, so that guessing the
	// ~34-bit code is hopeless); default 10 per 10 minutes.
	DeviceCodeAttempts gatehouse.Rate
}

// Keys is what the provider needs of keys.Manager.
type Keys interface {
	// Signer returns the current key of the JWS algorithm alg (keys.RS256 or keys.ES256).
	Signer(ctx context.Context, alg string) (kid string, key crypto.Signer, algorithm string, err error)
	// PublicKey returns a published (next, current or previous) key by kid; an unknown kid is an
	// error wrapping keys.ErrUnknownKey (any other error is an internal failure).
	PublicKey(ctx context.Context, kid string) (crypto.PublicKey, string, error)
}

// Clients finds and authenticates OAuth clients: auth.OAuthClients (the built-in CLI client
// from code, the others from the store).
type Clients interface {
	// Lookup returns any client by client_id; unknown → not_found.
	Lookup(ctx context.Context, id string) (*gatehouse.OAuthClient, error)
	// Authenticate checks a confidential client's secret; every failure is one generic error.
	Authenticate(ctx context.Context, id, secret string) (*gatehouse.OAuthClient, error)
}

// Options are the injectable parts; zero values mean the real ones.
type Options struct {
	Now     func() time.Time
	Random  io.Reader
	Logger  *slog.Logger
	Limiter gatehouse.RateLimiter // wrong user codes per user and per IP
	// Verifier verifies the access tokens (the one also given to auth.New, so that both share
	// its cache of checked signatures); nil: New builds one from the store and signingKeys. Its
	// issuer and audience must be Config's.
	Verifier *AccessTokenVerifier
}

// Provider is the OAuth 2.0 / OpenID Connect authorization server. Safe for concurrent use.
type Provider struct {
	store   gatehouse.Store
	svc     *auth.Sessions // bearer checks (Authenticate, Verify) and authz decisions
	clients Clients
	keys    Keys
	cfg     Config
	now     func() time.Time
	random  io.Reader
	log     *slog.Logger
	limiter gatehouse.RateLimiter
	tokens  token.Generator

	tokenEvents auth.Batch[tokenEventKey, tokenEventTally] // tokenaudit.go: aggregated token events
	verifier    *AccessTokenVerifier                       // verifier.go: access tokens
}

// Defaults of Config.
const (
	DefaultAccessTokenTTL  = 4 * time.Hour
	DefaultRefreshTokenTTL = 30 * 24 * time.Hour
	DefaultCodeTTL         = 60 * time.Second
	DefaultDeviceCodeTTL   = 600 * time.Second
	DefaultDeviceInterval  = 5 * time.Second
	DefaultIDTokenTTL      = time.Hour
)

// DefaultDeviceCodeAttempts is the default of Config.DeviceCodeAttempts.
var DefaultDeviceCodeAttempts = gatehouse.Rate{Limit: 10, Period: 10 * time.Minute}

// New returns a Provider.
func New(store gatehouse.Store, svc *auth.Sessions, clients Clients, signingKeys Keys, cfg Config, opts Options) *Provider {
	cfg.Issuer = strings.TrimRight(cfg.Issuer, "/")
	if cfg.Audience == "" {
		cfg.Audience = cfg.Issuer
	}
	if cfg.AccessTokenTTL <= 0 {
		cfg.AccessTokenTTL = DefaultAccessTokenTTL
	}
	if cfg.RefreshTokenTTL <= 0 {
		cfg.RefreshTokenTTL = DefaultRefreshTokenTTL
	}
	if cfg.CodeTTL <= 0 {
		cfg.CodeTTL = DefaultCodeTTL
	}
	if cfg.DeviceCodeTTL <= 0 {
		cfg.DeviceCodeTTL = DefaultDeviceCodeTTL
	}
	if cfg.DeviceInterval <= 0 {
		cfg.DeviceInterval = DefaultDeviceInterval
	}
	if cfg.IDTokenTTL <= 0 {
		cfg.IDTokenTTL = DefaultIDTokenTTL
	}
	if cfg.DeviceCodeAttempts.Limit <= 0 || cfg.DeviceCodeAttempts.Period <= 0 {
		cfg.DeviceCodeAttempts = DefaultDeviceCodeAttempts
	}
	if cfg.AccessTokenAlg == "" {
		cfg.AccessTokenAlg = keys.ES256
	}
	if cfg.Brand == "" {
		cfg.Brand = "gth"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Random == nil {
		opts.Random = rand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	verifier := opts.Verifier
	if verifier == nil {
		verifier = NewAccessTokenVerifier(store, signingKeys, cfg.Issuer, cfg.Audience, opts.Now)
	} else if verifier.issuer != cfg.Issuer || verifier.audience != cfg.Audience {
		panic(fmt.Sprintf("oauth: the verifier is for issuer %q, audience %q; the provider's are %q, %q", verifier.issuer, verifier.audience, cfg.Issuer, cfg.Audience))
	}
	return &Provider{
		verifier: verifier,
		clients:  clients,
		store:    store,
		svc:      svc,
		keys:     signingKeys,
		cfg:      cfg,
		now:      func() time.Time { return opts.Now().UTC().Truncate(time.Millisecond) },
		random:   opts.Random,
		log:      opts.Logger,
		limiter:  opts.Limiter,
		tokens:   token.Generator{Brand: cfg.Brand, Rand: opts.Random},
	}
}

// Issuer returns the issuer identifier (Config.Issuer without a trailing slash).
func (p *Provider) Issuer() string { return p.cfg.Issuer }

// Metadata returns the discovery document, served at /.well-known/openid-configuration and
// /.well-known/oauth-authorization-server (RFC 8414).
func (p *Provider) Metadata() map[string]any {
	iss := p.cfg.Issuer
	clientAuth := []string{"client_secret_basic", "client_secret_post", "none"}
	return map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/oauth2/authorize",
		"token_endpoint":                        iss + "/oauth2/token",
		"device_authorization_endpoint":         iss + "/oauth2/device_authorization",
		"introspection_endpoint":                iss + "/oauth2/introspect",
		"revocation_endpoint":                   iss + "/oauth2/revoke",
		"userinfo_endpoint":                     iss + "/oauth2/userinfo",
		"jwks_uri":                              iss + "/.well-known/jwks.json",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported":                 []string{auth.GrantAuthorizationCode, auth.GrantRefreshToken, auth.GrantClientCredentials, auth.GrantDeviceCode},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": clientAuth,
		// Introspection: a confidential client, or a bearer (an API key holding gatehouse:verify,
		// or an instance administrator's credential).
		"introspection_endpoint_auth_methods_supported":  []string{"client_secret_basic", "client_secret_post", "bearer"},
		"revocation_endpoint_auth_methods_supported":     clientAuth,
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{keys.RS256},
		"scopes_supported":                               []string{auth.ScopeOpenID, auth.ScopeProfile, auth.ScopeEmail, auth.ScopeOfflineAccess},
		"claims_supported":                               []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "preferred_username", "name", "picture", "updated_at", "email", "email_verified"},
		"authorization_response_iss_parameter_supported": true,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"claims_parameter_supported":                     false,
	}
}

// Audit event types of the provider. Token events carry the client's organization (OrgID).
const (
	EventTokenIssued    = "token.issued"
	EventTokenRefreshed = "token.refreshed"
	EventTokenRevoked   = "token.revoked"
	EventConsentGranted = "oauth.consent_granted"
	EventConsentRevoked = "oauth.consent_revoked"
	EventDeviceApproved = "device.approved"
	EventDeviceDenied   = "device.denied"
)

// randomString returns n random bytes from the provider's source, base64url without padding.
func (p *Provider) randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(p.random, b); err != nil {
		return "", fmt.Errorf("oauth: reading randomness: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (p *Provider) newID(prefix string) string { return gatehouse.NewID(prefix, p.now(), p.random) }

// audit appends an event; a failure is logged, not returned (the action happened). The write
// does not inherit the request's cancellation.
func (p *Provider) audit(ctx context.Context, typ, actor, subject, orgID string, meta auth.Meta, details map[string]any) {
	ctx = context.WithoutCancel(ctx)
	ua := meta.UserAgent
	if len(ua) > 512 {
		ua = strings.ToValidUTF8(ua[:512], "")
	}
	e := &gatehouse.AuditEvent{
		ID:        p.newID(gatehouse.PrefixEvent),
		Type:      typ,
		ActorID:   actor,
		SubjectID: subject,
		OrgID:     orgID,
		IP:        meta.IP,
		UserAgent: ua,
		CreatedAt: p.now(),
		Details:   details,
	}
	if err := p.store.AppendAuditEvent(ctx, e); err != nil {
		p.log.ErrorContext(ctx, "audit event not written", "type", typ, "err", err)
	}
}
