package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Problem is one invalid setting.
type Problem struct {
	Name   string // the variable (GATEHOUSE_ADDR), or the flag (--addr) when the value came from one
	Value  string // the offending value, with secrets redacted; "" for secret settings
	Reason string
}

func (p Problem) String() string {
	if p.Value == "" {
		return p.Name + ": " + p.Reason
	}
	return fmt.Sprintf("%s=%q: %s", p.Name, p.Value, p.Reason)
}

// ValidationError lists every invalid setting. Its message has one line per problem, after a
// heading line.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	if len(e.Problems) == 1 {
		b.WriteString("invalid configuration (1 problem):")
	} else {
		fmt.Fprintf(&b, "invalid configuration (%d problems):", len(e.Problems))
	}
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Validate checks every field and returns a *ValidationError listing all problems, or nil.
func (c *Config) Validate() error {
	ps := c.problems()
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}

var (
	brandPattern    = regexp.MustCompile(`^[a-z]{2,8}$`)
	resourcePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
)

// minSecretKeyBytes is the shortest accepted GATEHOUSE_SECRET_KEY (256 bits of raw key, or a
// passphrase at least that long).
const minSecretKeyBytes = 32

// problems checks the meaning of every field. Values shown in problems pass through the
// setting's redaction.
func (c *Config) problems() []Problem {
	var ps []Problem
	add := func(env, value, format string, args ...any) {
		s := settingByEnv(env)
		ps = append(ps, Problem{Name: env, Value: s.display(value), Reason: fmt.Sprintf(format, args...)})
	}

	if reason := checkAddr(c.Addr); reason != "" {
		add("GATEHOUSE_ADDR", c.Addr, "%s", reason)
	}
	if reason := checkDatabaseURL(c.DatabaseURL); reason != "" {
		add("GATEHOUSE_DATABASE_URL", c.DatabaseURL, "%s", reason)
	}
	if c.PublicURL == nil {
		add("GATEHOUSE_PUBLIC_URL", "", "missing")
	} else if reason := checkPublicURL(c.PublicURL); reason != "" {
		add("GATEHOUSE_PUBLIC_URL", c.PublicURL.String(), "%s", reason)
	}
	if !brandPattern.MatchString(c.TokenBrand) {
		add("GATEHOUSE_TOKEN_BRAND", c.TokenBrand, "want 2 to 8 lowercase ASCII letters")
	}
	if c.SMTPURL != "" {
		if reason := checkServiceURL(c.SMTPURL, "smtp", "smtps"); reason != "" {
			add("GATEHOUSE_SMTP_URL", c.SMTPURL, "%s", reason)
		}
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		add("GATEHOUSE_MAIL_FROM", c.MailFrom, `want an address such as "Gatehouse <no-reply@example.com>"`)
	}
	if c.MailTemplates != "" {
		if reason := checkDirectory(c.MailTemplates); reason != "" {
			add("GATEHOUSE_MAIL_TEMPLATES", c.MailTemplates, "%s", reason)
		}
	}
	if c.SMTPURL == "" && strings.TrimSpace(c.MailOutboxDir) == "" {
		add("GATEHOUSE_MAIL_OUTBOX_DIR", c.MailOutboxDir, "required when GATEHOUSE_SMTP_URL is empty")
	}
	for _, p := range c.TrustedProxies {
		if !p.IsValid() {
			add("GATEHOUSE_TRUSTED_PROXIES", p.String(), "not a valid prefix")
			break
		}
	}
	if c.AuthRateLimit.Limit <= 0 || c.AuthRateLimit.Period <= 0 {
		add("GATEHOUSE_AUTH_RATE_LIMIT", c.AuthRateLimit.String(), "the count and the period must be positive")
	}
	for _, d := range []struct {
		env    string
		value  time.Duration
		zeroOK bool
	}{
		{"GATEHOUSE_SESSION_TTL", c.SessionTTL, false},
		{"GATEHOUSE_REAUTH_WINDOW", c.ReauthWindow, false},
		{"GATEHOUSE_SESSION_IDLE_TIMEOUT", c.SessionIdleTimeout, true},
		{"GATEHOUSE_ACCESS_TOKEN_TTL", c.AccessTokenTTL, false},
		{"GATEHOUSE_SIGNING_KEY_ROTATION", c.SigningKeyRotation, true},
		{"GATEHOUSE_SHUTDOWN_TIMEOUT", c.ShutdownTimeout, false},
	} {
		switch {
		case d.value < 0 && d.zeroOK:
			add(d.env, d.value.String(), "must not be negative (0 disables)")
		case d.value <= 0 && !d.zeroOK:
			add(d.env, d.value.String(), "must be positive")
		}
	}
	if c.PasswordMinLength < 1 || c.PasswordMinLength > 1024 {
		add("GATEHOUSE_PASSWORD_MIN_LENGTH", strconv.Itoa(c.PasswordMinLength), "must be from 1 to 1024")
	}
	if c.PasswordHashWorkers < 0 {
		add("GATEHOUSE_PASSWORD_HASH_WORKERS", strconv.Itoa(c.PasswordHashWorkers), "must not be negative (0 means one per CPU)")
	}
	if reason := checkOrgName(c.DefaultOrg); reason != "" {
		add("GATEHOUSE_DEFAULT_ORG", c.DefaultOrg, "%s", reason)
	}
	switch {
	case c.GoogleClientID != "" && c.GoogleClientSecret == "":
		add("GATEHOUSE_GOOGLE_CLIENT_SECRET", "", "required when GATEHOUSE_GOOGLE_CLIENT_ID is set")
	case c.GoogleClientID == "" && c.GoogleClientSecret != "":
		add("GATEHOUSE_GOOGLE_CLIENT_ID", "", "required when GATEHOUSE_GOOGLE_CLIENT_SECRET is set")
	}
	if reason := checkIssuer(c.GoogleIssuer); reason != "" {
		add("GATEHOUSE_GOOGLE_ISSUER", c.GoogleIssuer, "%s", reason)
	}
	if c.RedisURL != "" {
		if reason := checkServiceURL(c.RedisURL, "redis", "rediss"); reason != "" {
			add("GATEHOUSE_REDIS_URL", c.RedisURL, "%s", reason)
		}
	}
	if c.SecretScanningKeys != "" {
		if reason := checkRegularFile(c.SecretScanningKeys); reason != "" {
			add("GATEHOUSE_SECRET_SCANNING_KEYS", c.SecretScanningKeys, "%s", reason)
		}
	}
	if bad := badElements(c.AdminEmails, checkAdminEmail); bad != "" {
		add("GATEHOUSE_ADMIN_EMAILS", strings.Join(c.AdminEmails, ","), "not a lowercase email address: %s", bad)
	}
	if bad := badElements(c.APIResources, checkResource); bad != "" {
		add("GATEHOUSE_API_RESOURCES", strings.Join(c.APIResources, ","),
			"want names of a lowercase letter then up to 31 letters, digits, '_' or '-' (not \"gatehouse\"): %s", bad)
	}
	if bad := badElements(c.APIProfiles, isAPIProfile); bad != "" {
		add("GATEHOUSE_API_PROFILES", strings.Join(c.APIProfiles, ","),
			"unknown profile %s; valid profiles: %s", bad, strings.Join(APIProfileNames, ", "))
	}
	if c.SecretKey != "" && len(c.SecretKey) < minSecretKeyBytes {
		add("GATEHOUSE_SECRET_KEY", c.SecretKey, "must be at least %d bytes (e.g. the output of `openssl rand -base64 32`)", minSecretKeyBytes)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		add("GATEHOUSE_LOG_FORMAT", c.LogFormat, "want text or json")
	}
	if bad := badElements(c.LogoutRedirectOrigins, checkOrigin); bad != "" {
		add("GATEHOUSE_LOGOUT_REDIRECT_ORIGINS", strings.Join(c.LogoutRedirectOrigins, ","),
			"want origins such as https://app.example.com or http://localhost:3000: %s", bad)
	}
	return ps
}

func settingByEnv(env string) *setting {
	for i := range settings {
		if settings[i].env == env {
			return &settings[i]
		}
	}
	panic("config: unknown setting " + env)
}

// badElements returns the quoted elements of list that fail ok, comma-separated, or "".
func badElements(list []string, ok func(string) bool) string {
	var bad []string
	for _, e := range list {
		if !ok(e) {
			bad = append(bad, strconv.Quote(e))
		}
	}
	return strings.Join(bad, ", ")
}

func checkAddr(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "want host:port, e.g. 127.0.0.1:8080 or :8080"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "the port must be a number from 0 to 65535"
	}
	return ""
}

func checkDatabaseURL(u string) string {
	kind, dsn := databaseKind(u)
	switch kind {
	case KindSQLite:
		if dsn == "" {
			return "the file path is missing: want sqlite://gatehouse.db or sqlite:///abs/path.db"
		}
		if strings.ContainsAny(dsn, "?#") {
			return "query parameters are not supported: Gatehouse sets the SQLite options itself"
		}
	case KindPostgres:
		if _, err := url.Parse(u); err != nil {
			return "not a valid URL"
		}
	default:
		return "want sqlite://FILE or postgres://…"
	}
	return ""
}

func checkPublicURL(u *url.URL) string {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "want an absolute http:// or https:// URL"
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return "want an absolute URL with a host"
	case u.User != nil:
		return "must not contain a user or password"
	case u.Path != "":
		return "must not have a path: Gatehouse serves at the root of its public URL"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "must not have a query or fragment"
	}
	return ""
}

// checkServiceURL checks a URL of a server Gatehouse connects to: one of the schemes, and a host.
func checkServiceURL(raw string, schemes ...string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "not a valid URL"
	}
	scheme := strings.ToLower(u.Scheme)
	ok := false
	for _, s := range schemes {
		ok = ok || scheme == s
	}
	if !ok {
		return "want " + strings.Join(schemes, ":// or ") + "://"
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return "want " + scheme + "://[user:password@]host[:port]"
	}
	return ""
}

func checkIssuer(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "not a valid URL"
	}
	switch {
	case u.Opaque != "" || u.Hostname() == "":
		return "want an absolute https:// URL"
	case u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname())):
		return "want https:// (http:// only on a loopback host)"
	case u.User != nil:
		return "must not contain a user or password"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "must not have a query or fragment"
	}
	return ""
}

func checkOrgName(name string) string {
	if name == "" {
		return ""
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > 64 {
		return "want at most 64 characters"
	}
	if strings.TrimSpace(name) != name {
		return "must not start or end with a space"
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "must not contain control characters"
		}
	}
	return ""
}

func checkRegularFile(path string) string {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case err != nil:
		return "cannot read the file"
	case !fi.Mode().IsRegular():
		return "not a regular file"
	}
	return ""
}

func checkDirectory(path string) string {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such folder"
	case err != nil:
		return "cannot read the folder"
	case !fi.IsDir():
		return "not a folder"
	}
	return ""
}

func checkAdminEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Name == "" && a.Address == e && strings.ToLower(e) == e
}

func checkResource(r string) bool {
	return resourcePattern.MatchString(r) && r != "gatehouse"
}

func checkOrigin(o string) bool {
	canonical, err := parseOrigin(o)
	return err == nil && canonical == o
}

// APIProfileNames are the seed API profiles GATEHOUSE_API_PROFILES may name (API.md "Seed API
// profiles"), in the order the documentation lists them.
var APIProfileNames = []string{"crustocean", "crewkit", "rst", "crew"}

func isAPIProfile(name string) bool { return slices.Contains(APIProfileNames, name) }
