package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/clientip"
	"github.com/gatehouse-auth/gatehouse/config"
	"github.com/gatehouse-auth/gatehouse/httpapi"
	"github.com/gatehouse-auth/gatehouse/keys"
	"github.com/gatehouse-auth/gatehouse/oauth"
	"github.com/gatehouse-auth/gatehouse/password"
	"github.com/gatehouse-auth/gatehouse/web"
)

// Main is one running Gatehouse server.
type Main struct {
	cfg *config.Config
	log *slog.Logger

	Store gatehouse.Store
	// Auth is the use cases, one service per concern (set by Start).
	Auth    *auth.Services
	Keys    *keys.Manager // the token signing keys
	limiter *limiter

	ln     net.Listener
	srv    *http.Server
	routes []httpapi.Route
	errc   chan error

	stopJanitor context.CancelFunc
	janitorDone <-chan struct{}

	// KeyReloadEvery is how long the signing-key set is cached (tests); 0: keys.DefaultReloadEvery.
	KeyReloadEvery time.Duration
	// MailTuning adjusts the mail worker (tests); set it before Start.
	MailTuning MailTuning
	mail       *mailer
}

// New returns a Main for cfg; nothing is opened until Start.
func New(cfg *config.Config, log *slog.Logger) *Main {
	if log == nil {
		log = slog.Default()
	}
	return &Main{cfg: cfg, log: log}
}

// Start opens the store (applying migrations), prepares the services and starts serving on
// cfg.Addr. It returns once the listener is open; serving errors surface from Wait. When a step
// fails, what the earlier steps opened (store, rate limiter, listener) is closed again before
// Start returns, and Close has nothing left to do.
func (m *Main) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			m.release()
		}
	}()
	var scanKeys *httpapi.SecretScanningKeys // leaked-token report signers; nil: endpoint off
	if m.cfg.SecretScanningKeys != "" {
		k, err := httpapi.LoadSecretScanningKeys(m.cfg.SecretScanningKeys)
		if err != nil {
			return err
		}
		scanKeys = k
	}
	profiles, err := APIProfiles(m.cfg.APIProfiles)
	if err != nil {
		return err
	}
	store, err := OpenStore(ctx, m.cfg)
	if err != nil {
		return err
	}
	m.Store = store
	m.limiter, err = newLimiter(ctx, m.cfg)
	if err != nil {
		return err
	}
	if err := m.newMailerFor(store); err != nil {
		return err
	}
	hasher := NewHasher(m.cfg)
	if m.Keys, err = NewKeyManager(m.cfg, store, m.log, m.KeyReloadEvery); err == nil {
		err = m.Keys.Init(ctx)
	}
	if err != nil {
		return err
	}
	// One access-token verifier for the bearer checks (auth) and the provider (oauth).
	issuer := strings.TrimSuffix(m.cfg.PublicURL.String(), "/")
	verifier := oauth.NewAccessTokenVerifier(store, m.Keys, issuer, "", nil)
	// The use cases log with the request's context: a LogHandler adds its request_id.
	useCaseLog := slog.New(httpapi.LogHandler(m.log.Handler()))
	m.Auth = newServices(m.cfg, store, hasher, useCaseLog, m.limiter, m.mail, verifier)
	if err := m.Auth.Init(ctx); err != nil {
		return err
	}
	pages, err := web.New()
	if err != nil {
		return err
	}
	provider := oauth.New(store, m.Auth.Sessions, m.Auth.OAuthClients, m.Keys, oauth.Config{
		Issuer:         issuer,
		Brand:          m.cfg.TokenBrand,
		AccessTokenTTL: m.cfg.AccessTokenTTL,
		AccessTokenAlg: m.cfg.AccessTokenAlg,
	}, oauth.Options{Limiter: m.limiter, Logger: useCaseLog, Verifier: verifier})
	metrics := httpapi.NewMetrics()
	metrics.RegisterHashQueue(func() (int, int, uint64) {
		s := hasher.Stats()
		return s.Running, s.Waiting, s.Rejected
	})
	api := &httpapi.Server{
		Sessions:              m.Auth.Sessions,
		SignIn:                m.Auth.SignIn,
		Accounts:              m.Auth.Accounts,
		Recovery:              m.Auth.Recovery,
		Passkeys:              m.Auth.Passkeys,
		Google:                m.Auth.Google,
		Admin:                 m.Auth.Admin,
		OAuthClients:          m.Auth.OAuthClients,
		PATs:                  m.Auth.PATs,
		APIKeys:               m.Auth.APIKeys,
		Agents:                m.Auth.Agents,
		Orgs:                  m.Auth.Orgs,
		Limiter:               m.limiter,
		AuthRate:              m.cfg.AuthRateLimit,
		ClientIP:              clientip.NewResolver(m.cfg.TrustedProxies).ClientIP,
		Metrics:               metrics,
		Logger:                m.log,
		Ready:                 store.Ping,
		PublicURL:             m.cfg.PublicURL,
		LogoutRedirectOrigins: m.cfg.LogoutRedirectOrigins,
		Pages:                 pages,
		SecretScanningKeys:    scanKeys,
		Leaks:                 m.Auth.Leaks,
		Keys:                  m.Keys,
		OAuth:                 provider,
		Profiles:              profiles,
	}
	m.ln, err = net.Listen("tcp", m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.cfg.Addr, err)
	}
	handler := api.Handler()
	m.routes = api.Routes()
	m.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	}
	m.errc = make(chan error, 1)
	go func() { m.errc <- m.srv.Serve(m.ln) }()
	jctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.stopJanitor = cancel
	janitorDone := startJanitor(jctx, m.log, m.Auth.Admin.PruneExpired)
	mailDone := m.mail.start(jctx) // the outbox worker; stopped with the janitor, before the store closes
	keysDone := startKeyRotation(jctx, m.log, m.Keys)
	// Last-used times of PATs and API keys, and the token events of client_credentials and
	// refresh grants, are recorded in memory and written in batches (never a write per request);
	// the flushers write once more when Close stops them, before the store closes.
	tokenEventsFlushed := make(chan struct{})
	go func() {
		defer close(tokenEventsFlushed)
		provider.RunTokenEventFlusher(jctx, usageFlushEvery)
	}()
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		m.Auth.Sessions.RunUsageFlusher(jctx, usageFlushEvery)
		<-tokenEventsFlushed
		<-janitorDone
		<-mailDone
		<-keysDone
	}()
	m.janitorDone = flushed
	return nil
}

// release closes what a failed Start opened (the steps after the listener cannot fail, so no
// goroutine runs yet) and forgets it, so that a later Close finds nothing to close.
func (m *Main) release() {
	if m.ln != nil {
		_ = m.ln.Close()
	}
	if m.limiter != nil {
		m.limiter.Close()
	}
	if m.Store != nil {
		_ = m.Store.Close()
	}
	m.ln, m.limiter, m.Store, m.Auth, m.Keys, m.mail = nil, nil, nil, nil, nil, nil
}

// Routes lists the server's endpoints and the permission each declares (after Start).
func (m *Main) Routes() []httpapi.Route { return m.routes }

// Handler is the server's HTTP handler, for in-process benchmarks (after Start).
func (m *Main) Handler() http.Handler { return m.srv.Handler }

// URL is the base URL the server listens on (the real port when cfg.Addr asked for port 0).
func (m *Main) URL() string {
	addr := m.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))
}

// Wait blocks until the server stops serving on its own (an error) or ctx ends.
func (m *Main) Wait(ctx context.Context) error {
	select {
	case err := <-m.errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		return nil
	}
}

// Close stops accepting connections, lets in-flight requests finish until ctx ends, then closes
// the rate limiter and the store.
func (m *Main) Close(ctx context.Context) error {
	var errs []error
	if m.srv != nil {
		if err := m.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
	}
	if m.Auth != nil { // mails of reset and magic-link requests still being queued
		if err := m.Auth.Recovery.Drain(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if m.stopJanitor != nil {
		m.stopJanitor()
		<-m.janitorDone
	}
	if m.limiter != nil {
		m.limiter.Close()
	}
	if m.Store != nil {
		if err := m.Store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
	}
	return errors.Join(errs...)
}

// NewHasher returns the bounded password hasher of cfg.
func NewHasher(cfg *config.Config) *password.Hasher {
	return password.NewHasher(password.DefaultParams, password.HasherOptions{Workers: cfg.PasswordHashWorkers})
}

// NewServices builds the use cases over store.
// limiter may be nil (the operator commands need none); it neither mails nor accepts OAuth access
// tokens.
func NewServices(cfg *config.Config, store gatehouse.Store, hasher auth.PasswordHasher, log *slog.Logger, limiter gatehouse.RateLimiter) *auth.Services {
	return newServices(cfg, store, hasher, log, limiter, nil, nil) // no mail, no OAuth access tokens
}

// newServices is NewServices with the mail composer (nil: the use cases send no mail) and the OAuth access-token verifier.
func newServices(cfg *config.Config, store gatehouse.Store, hasher auth.PasswordHasher, log *slog.Logger, limiter gatehouse.RateLimiter, mail auth.MailComposer, accessTokens auth.AccessTokenVerifier) *auth.Services {
	return auth.New(store, hasher, authConfig(cfg), auth.Options{Logger: log, Limiter: limiter, Mail: mail, AccessTokens: accessTokens})
}

// authConfig is the use cases' configuration of cfg.
func authConfig(cfg *config.Config) auth.Config {
	emails := make([]string, len(cfg.AdminEmails))
	for i, e := range cfg.AdminEmails {
		emails[i] = strings.ToLower(e)
	}
	c := auth.Config{
		Brand:          cfg.TokenBrand,
		SessionTTL:     cfg.SessionTTL,
		ReauthWindow:   cfg.ReauthWindow,
		IdleTimeout:    cfg.SessionIdleTimeout,
		DefaultOrg:     cfg.DefaultOrg,
		PasswordPolicy: password.Policy{MinLength: cfg.PasswordMinLength},
		AdminEmails:    emails,
		APIResources:   cfg.APIResources,
		PublicURL:      strings.TrimSuffix(cfg.PublicURL.String(), "/"),
		Google:         auth.GoogleConfig{ClientID: cfg.GoogleClientID, ClientSecret: cfg.GoogleClientSecret, Issuer: cfg.GoogleIssuer},
	}
	configureAuth(&c, cfg.APIProfiles)
	return c
}
