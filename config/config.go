package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Config is the server configuration. The comment of each field names its environment variable
// and default; the flag is the variable's name without GATEHOUSE_ in kebab case.
type Config struct {
	Addr        string   // GATEHOUSE_ADDR: listen address; default 127.0.0.1:8080
	DatabaseURL string   // GATEHOUSE_DATABASE_URL: sqlite://FILE or postgres://…; default sqlite://gatehouse.db
	PublicURL   *url.URL // GATEHOUSE_PUBLIC_URL: external base URL, no path, no trailing slash; default http://localhost:8080
	TokenBrand  string   // GATEHOUSE_TOKEN_BRAND: 2–8 lowercase letters; default gth

	SMTPURL  string // GATEHOUSE_SMTP_URL: smtp:// or smtps://; empty: dev outbox
	MailFrom string // GATEHOUSE_MAIL_FROM: default "Gatehouse <no-reply@localhost>"
	// MailTemplates is GATEHOUSE_MAIL_TEMPLATES: a folder whose <kind>.subject.txt, <kind>.txt
	// and <kind>.html replace the built-in mail templates; empty: the built-in ones.
	MailTemplates string
	// MailOutboxDir is GATEHOUSE_MAIL_OUTBOX_DIR: where the dev outbox (no SMTP URL) writes
	// mails; default ./dev-outbox.
	MailOutboxDir string

	TrustedProxies []netip.Prefix // GATEHOUSE_TRUSTED_PROXIES: CIDRs (a bare IP is a /32 or /128); empty: none
	AuthRateLimit  gatehouse.Rate // GATEHOUSE_AUTH_RATE_LIMIT: per-IP on credential endpoints; default 10/m

	SessionTTL         time.Duration // GATEHOUSE_SESSION_TTL: absolute session lifetime; default 168h
	ReauthWindow       time.Duration // GATEHOUSE_REAUTH_WINDOW: how recent a sign-in sensitive actions need; default 10m
	SessionIdleTimeout time.Duration // GATEHOUSE_SESSION_IDLE_TIMEOUT: default 72h; 0 disables
	AccessTokenTTL     time.Duration // GATEHOUSE_ACCESS_TOKEN_TTL: default 4h
	AccessTokenAlg     string        // GATEHOUSE_ACCESS_TOKEN_ALG: ES256 (default) or RS256
	SigningKeyRotation time.Duration // GATEHOUSE_SIGNING_KEY_ROTATION: default 720h; 0: never

	PasswordMinLength   int // GATEHOUSE_PASSWORD_MIN_LENGTH: 1..1024; default 8
	PasswordHashWorkers int // GATEHOUSE_PASSWORD_HASH_WORKERS: concurrent hashes; default 0 = number of CPUs

	DefaultOrg string // GATEHOUSE_DEFAULT_ORG: organization new users join; default lobby; empty: none

	GoogleClientID     string // GATEHOUSE_GOOGLE_CLIENT_ID: empty: Google sign-in off
	GoogleClientSecret string // GATEHOUSE_GOOGLE_CLIENT_SECRET: required with the client ID
	GoogleIssuer       string // GATEHOUSE_GOOGLE_ISSUER: default https://accounts.google.com

	RedisURL           string   // GATEHOUSE_REDIS_URL: redis:// or rediss://; empty: none
	SecretScanningKeys string   // GATEHOUSE_SECRET_SCANNING_KEYS: key-list file; empty: endpoint off
	AdminEmails        []string // GATEHOUSE_ADMIN_EMAILS: lowercased bare addresses; empty: none
	APIResources       []string // GATEHOUSE_API_RESOURCES: default calls,agents,analytics
	// APIProfiles is GATEHOUSE_API_PROFILES: the seed API profiles mounted beside the native
	// API (names of APIProfileNames); empty: none.
	APIProfiles []string
	SecretKey   string // GATEHOUSE_SECRET_KEY: at least 32 bytes; empty: secrets stored unencrypted

	LogFormat string // GATEHOUSE_LOG_FORMAT: text or json; default text when stderr is a terminal, else json

	// LogoutRedirectOrigins are the origins (scheme://host[:port], lowercase, default port
	// omitted) that GET /v1/auth/logout?redirect_to= may redirect to; relative paths are always
	// allowed. GATEHOUSE_LOGOUT_REDIRECT_ORIGINS, comma-separated; empty: none.
	LogoutRedirectOrigins []string

	ShutdownTimeout time.Duration // GATEHOUSE_SHUTDOWN_TIMEOUT: grace for in-flight requests; default 15s
	CredentialCache bool          // GATEHOUSE_CREDENTIAL_CACHE: cache credential lookups in process (store/credcache); default true
}

// Default returns the configuration used when nothing is set. Its LogFormat depends on whether
// the process's stderr is a terminal.
func Default() Config {
	var c Config
	for _, s := range settings {
		if err := s.set(&c, s.def); err != nil {
			panic(fmt.Sprintf("config: default of %s: %v", s.env, err))
		}
	}
	return c
}

// SecureCookies reports whether cookies must be Secure (and may use the __Host- prefix): true when
// the public URL is https.
func (c *Config) SecureCookies() bool {
	return c.PublicURL != nil && c.PublicURL.Scheme == "https"
}

// Database kinds returned by DatabaseKind.
const (
	KindSQLite   = "sqlite"
	KindPostgres = "postgres"
)

// DatabaseKind splits DatabaseURL: ("sqlite", file path) for sqlite://FILE (sqlite:///abs/x.db
// gives "/abs/x.db", sqlite://x.db gives "x.db"), ("postgres", the whole URL) for postgres:// and
// postgresql://, and ("", "") for anything else.
func (c *Config) DatabaseKind() (kind, dsn string) {
	return databaseKind(c.DatabaseURL)
}

func databaseKind(u string) (kind, dsn string) {
	switch {
	case hasPrefixFold(u, "sqlite://"):
		return KindSQLite, u[len("sqlite://"):]
	case hasPrefixFold(u, "postgres://"), hasPrefixFold(u, "postgresql://"):
		return KindPostgres, u
	}
	return "", ""
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// Warnings lists settings that are valid but deserve the operator's attention at start (weak
// password minimum, plain-http public URL on a non-loopback host); `gatehouse serve` logs them.
// It never includes secret values. (A missing GATEHOUSE_SECRET_KEY is warned about by the
// signing-key manager, which every command that touches the keys starts.)
func (c *Config) Warnings() []string {
	var w []string
	if c.PasswordMinLength < 8 {
		w = append(w, fmt.Sprintf("GATEHOUSE_PASSWORD_MIN_LENGTH=%d is below the recommended minimum of 8", c.PasswordMinLength))
	}
	if c.PublicURL != nil && c.PublicURL.Scheme == "http" && !isLoopbackHost(c.PublicURL.Hostname()) {
		w = append(w, fmt.Sprintf("GATEHOUSE_PUBLIC_URL=%s is not https: cookies are not marked Secure", c.PublicURL))
	}
	return w
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// logFormatFor is the default log format for output written to f: text for a terminal (a
// character device), json otherwise.
func logFormatFor(f *os.File) string {
	if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return "text"
	}
	return "json"
}
