package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// setting is one configuration variable: its environment name, raw default, flag usage, and the
// function that parses a raw value into a Config. set checks syntax only (can the text become the
// field's type?) and leaves the field untouched on error; the meaning of the value is checked by
// Validate. So a value that fails to parse leaves the (valid) default in place and is reported once.
type setting struct {
	env     string
	def     string // raw default, also the flag's default in --help
	defNote string // what an empty default means, for --help
	usage   string // flag usage; a `back-quoted` word names the value
	// secret values are never echoed; url values are echoed through redactURL.
	secret, url bool
	// emptyIsValue: an empty value is kept as is instead of meaning the default.
	emptyIsValue bool
	set          func(c *Config, raw string) error
}

// flag is the flag name: the variable without GATEHOUSE_, lowercase, '_' → '-'.
func (s *setting) flag() string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(s.env, "GATEHOUSE_")), "_", "-")
}

// display is the value as it may appear in an error message.
func (s *setting) display(raw string) string {
	switch {
	case s.secret:
		return ""
	case s.url:
		return redactURL(raw)
	}
	return raw
}

var settings = []setting{
	{env: "GATEHOUSE_ADDR", def: "127.0.0.1:8080",
		usage: "listen `address` (host:port; port 0 picks a free port)",
		set:   text(func(c *Config) *string { return &c.Addr })},
	{env: "GATEHOUSE_DATABASE_URL", def: "sqlite://gatehouse.db", url: true,
		usage: "database `URL`: sqlite://FILE (sqlite:///abs/path.db, sqlite://relative.db) or postgres://…",
		set:   text(func(c *Config) *string { return &c.DatabaseURL })},
	{env: "GATEHOUSE_PUBLIC_URL", def: "http://localhost:8080", url: true,
		usage: "external base `URL` (issuer, links in mails): http(s)://host[:port] without a path",
		set:   setPublicURL},
	{env: "GATEHOUSE_TOKEN_BRAND", def: "gth",
		usage: "token prefix `brand`: 2 to 8 lowercase letters",
		set:   text(func(c *Config) *string { return &c.TokenBrand })},
	{env: "GATEHOUSE_SMTP_URL", url: true, defNote: "none, mails are logged and written to the dev outbox",
		usage: "SMTP server `URL`: smtp://user:pass@host:port (STARTTLS when offered) or smtps://…",
		set:   text(func(c *Config) *string { return &c.SMTPURL })},
	{env: "GATEHOUSE_MAIL_FROM", def: "Gatehouse <no-reply@localhost>",
		usage: "sender `address` of mails",
		set:   text(func(c *Config) *string { return &c.MailFrom })},
	{env: "GATEHOUSE_MAIL_TEMPLATES", defNote: "none, the built-in templates",
		usage: "`folder` of mail templates replacing the built-in ones: <kind>.subject.txt, <kind>.txt, <kind>.html",
		set:   text(func(c *Config) *string { return &c.MailTemplates })},
	{env: "GATEHOUSE_MAIL_OUTBOX_DIR", def: "./dev-outbox",
		usage: "`folder` the dev outbox writes mails to when GATEHOUSE_SMTP_URL is empty (development only)",
		set:   text(func(c *Config) *string { return &c.MailOutboxDir })},
	{env: "GATEHOUSE_TRUSTED_PROXIES", defNote: "none, X-Forwarded-For is ignored",
		usage: "comma-separated `CIDRs` of proxies whose X-Forwarded-For is believed (a bare IP is one address)",
		set:   setTrustedProxies},
	{env: "GATEHOUSE_AUTH_RATE_LIMIT", def: "10/m",
		usage: "per-IP `rate` on the credential endpoints: N/s, N/m, N/h or N/d",
		set:   setRate},
	{env: "GATEHOUSE_SESSION_TTL", def: "168h",
		usage: "absolute session `lifetime`",
		set:   duration(func(c *Config) *time.Duration { return &c.SessionTTL })},
	{env: "GATEHOUSE_REAUTH_WINDOW", def: "10m",
		usage: "how recent a sign-in or re-authentication sensitive actions need (`duration`)",
		set:   duration(func(c *Config) *time.Duration { return &c.ReauthWindow })},
	{env: "GATEHOUSE_SESSION_IDLE_TIMEOUT", def: "72h",
		usage: "session idle `timeout`; 0 disables it",
		set:   duration(func(c *Config) *time.Duration { return &c.SessionIdleTimeout })},
	{env: "GATEHOUSE_ACCESS_TOKEN_TTL", def: "4h",
		usage: "OAuth access token `lifetime`",
		set:   duration(func(c *Config) *time.Duration { return &c.AccessTokenTTL })},
	{env: "GATEHOUSE_ACCESS_TOKEN_ALG", def: "ES256",
		usage: "JWS `algorithm` of OAuth access tokens: ES256 or RS256 (ID tokens are always RS256)",
		set: func(c *Config, raw string) error {
			switch alg := strings.ToUpper(raw); alg {
			case "ES256", "RS256":
				c.AccessTokenAlg = alg
				return nil
			}
			return errors.New("want ES256 or RS256")
		}},
	{env: "GATEHOUSE_SIGNING_KEY_ROTATION", def: "720h",
		usage: "how long a token signing key signs before it is rotated (`duration`); 0: never (rotate with `gatehouse signing-keys rotate`)",
		set:   duration(func(c *Config) *time.Duration { return &c.SigningKeyRotation })},
	{env: "GATEHOUSE_PASSWORD_MIN_LENGTH", def: "8",
		usage: "minimum password `length` (1 to 1024)",
		set:   integer(func(c *Config) *int { return &c.PasswordMinLength })},
	{env: "GATEHOUSE_PASSWORD_HASH_WORKERS", def: "0",
		usage: "password hashes run at once (`count`); 0 means one per CPU",
		set:   integer(func(c *Config) *int { return &c.PasswordHashWorkers })},
	{env: "GATEHOUSE_DEFAULT_ORG", def: "lobby", emptyIsValue: true,
		usage: "`organization` new users join; empty: none",
		set:   text(func(c *Config) *string { return &c.DefaultOrg })},
	{env: "GATEHOUSE_GOOGLE_CLIENT_ID", defNote: "none, Google sign-in is off",
		usage: "Google (or other OIDC provider) sign-in client `ID`",
		set:   text(func(c *Config) *string { return &c.GoogleClientID })},
	{env: "GATEHOUSE_GOOGLE_CLIENT_SECRET", secret: true, defNote: "none",
		usage: "Google sign-in client `secret` (prefer the environment variable: flags are visible to ps)",
		set:   text(func(c *Config) *string { return &c.GoogleClientSecret })},
	{env: "GATEHOUSE_GOOGLE_ISSUER", def: "https://accounts.google.com", url: true,
		usage: "OIDC `issuer` URL for Google sign-in",
		set:   text(func(c *Config) *string { return &c.GoogleIssuer })},
	{env: "GATEHOUSE_REDIS_URL", url: true, defNote: "none, limits are per instance",
		usage: "Redis `URL` (redis:// or rediss://) for shared rate limits and revocation fan-out",
		set:   text(func(c *Config) *string { return &c.RedisURL })},
	{env: "GATEHOUSE_SECRET_SCANNING_KEYS", defNote: "none, the leaked-token report endpoint is off",
		usage: "`file` of ECDSA P-256 public keys (GitHub's key-list JSON) allowed to sign leaked-token reports",
		set:   text(func(c *Config) *string { return &c.SecretScanningKeys })},
	{env: "GATEHOUSE_ADMIN_EMAILS", defNote: "none",
		usage: "comma-separated `emails` of instance administrators (once verified)",
		set:   list(func(c *Config) *[]string { return &c.AdminEmails }, strings.ToLower)},
	{env: "GATEHOUSE_API_RESOURCES", def: "calls,agents,analytics",
		usage: "comma-separated `resources` allowed in API-key scopes (resource:action)",
		set:   list(func(c *Config) *[]string { return &c.APIResources }, nil)},
	{env: "GATEHOUSE_API_PROFILES", defNote: "none, only the native API",
		usage: "comma-separated seed API `profiles` to mount beside the native API: crustocean, crewkit, rst, crew",
		set:   list(func(c *Config) *[]string { return &c.APIProfiles }, strings.ToLower)},
	{env: "GATEHOUSE_SECRET_KEY", secret: true, defNote: "none, secrets are stored unencrypted",
		usage: "`key` of at least 32 bytes that encrypts secrets at rest (prefer the environment variable)",
		set:   text(func(c *Config) *string { return &c.SecretKey })},
	{env: "GATEHOUSE_LOG_FORMAT", defNote: "text when stderr is a terminal, else json",
		usage: "log `format`: text or json",
		set:   setLogFormat},
	{env: "GATEHOUSE_LOGOUT_REDIRECT_ORIGINS", defNote: "none, only relative paths",
		usage: "comma-separated `origins` (scheme://host[:port]) GET /v1/auth/logout may redirect to",
		set:   list(func(c *Config) *[]string { return &c.LogoutRedirectOrigins }, canonicalOriginOrSelf)},
	{env: "GATEHOUSE_SHUTDOWN_TIMEOUT", def: "15s",
		usage: "how long in-flight requests may run after SIGTERM (`duration`)",
		set:   duration(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
	{env: "GATEHOUSE_CREDENTIAL_CACHE", def: "true",
		usage: "cache credential lookups in process, invalidated exactly on every change (`bool`); false: every check reads the database",
		set: func(c *Config, raw string) error {
			v, err := strconv.ParseBool(raw)
			if err != nil {
				return errors.New("want true or false")
			}
			c.CredentialCache = v
			return nil
		}},
}

func text(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, raw string) error {
		*field(c) = raw
		return nil
	}
}

func duration(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, raw string) error {
		d, err := time.ParseDuration(raw)
		if err != nil {
			return errors.New("want a duration such as 90s, 30m or 168h")
		}
		*field(c) = d
		return nil
	}
}

func integer(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, raw string) error {
		n, err := strconv.Atoi(raw)
		if err != nil {
			return errors.New("want a whole number")
		}
		*field(c) = n
		return nil
	}
}

// list splits a comma-separated value, trims and normalises each element, drops empty ones and
// duplicates, and keeps the order.
func list(field func(*Config) *[]string, normalize func(string) string) func(*Config, string) error {
	return func(c *Config, raw string) error {
		var out []string
		seen := map[string]bool{}
		for _, e := range strings.Split(raw, ",") {
			e = strings.TrimSpace(e)
			if normalize != nil {
				e = normalize(e)
			}
			if e == "" || seen[e] {
				continue
			}
			seen[e] = true
			out = append(out, e)
		}
		*field(c) = out
		return nil
	}
}

func setPublicURL(c *Config, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	u.Host = strings.ToLower(u.Host)
	if u.Path == "/" && u.RawPath == "" {
		u.Path = ""
	}
	c.PublicURL = u
	return nil
}

func setTrustedProxies(c *Config, raw string) error {
	var out []netip.Prefix
	var bad []string
	for _, e := range strings.Split(raw, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		p, err := parsePrefix(e)
		if err != nil {
			bad = append(bad, strconv.Quote(e))
			continue
		}
		out = append(out, p)
	}
	if len(bad) > 0 {
		return fmt.Errorf("not a CIDR or IP address: %s", strings.Join(bad, ", "))
	}
	c.TrustedProxies = out
	return nil
}

// parsePrefix parses a CIDR or a bare IP (a /32 or /128), masked to its network address.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, errors.New("zones are not allowed")
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func setRate(c *Config, raw string) error {
	r, err := gatehouse.ParseRate(raw)
	if err != nil {
		// ParseRate's message starts with the value, which the problem line already shows.
		return errors.New(strings.TrimPrefix(err.Error(), fmt.Sprintf("rate %q: ", raw)))
	}
	c.AuthRateLimit = r
	return nil
}

func setLogFormat(c *Config, raw string) error {
	if raw == "" {
		c.LogFormat = logFormatFor(os.Stderr)
		return nil
	}
	c.LogFormat = strings.ToLower(raw)
	return nil
}
