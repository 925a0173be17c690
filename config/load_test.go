package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// loadProblems runs Load and returns its problems; it fails the test if the error is not a
// *ValidationError.
func loadProblems(t *testing.T, environ []string, fs *pflag.FlagSet) []Problem {
	t.Helper()
	c, err := Load(environ, fs)
	if err == nil {
		t.Fatalf("Load(%q) = %+v, want an error", environ, c)
	}
	if c != nil {
		t.Errorf("Load returned a config with its error")
	}
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Load error %T %v, want *ValidationError", err, err)
	}
	return verr.Problems
}

func TestLoadRejectsInvalidValues(t *testing.T) {
	dir := t.TempDir()
	keysFile := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(keysFile, []byte(`{"public_keys":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env, value string
		reason     string // a substring of the problem's reason
	}{
		{"GATEHOUSE_ADDR", "8080", "want host:port"},
		{"GATEHOUSE_ADDR", "localhost:99999", "port must be a number"},
		{"GATEHOUSE_DATABASE_URL", "mysql://db/gh", "want sqlite://FILE or postgres://"},
		{"GATEHOUSE_DATABASE_URL", "gatehouse.db", "want sqlite://FILE or postgres://"},
		{"GATEHOUSE_DATABASE_URL", "sqlite://", "file path is missing"},
		{"GATEHOUSE_DATABASE_URL", "sqlite://x.db?_pragma=foo", "query parameters are not supported"},
		{"GATEHOUSE_DATABASE_URL", "postgres://db:port/x", "not a valid URL"},
		{"GATEHOUSE_PUBLIC_URL", "localhost:8080", "want an absolute http:// or https:// URL"},
		{"GATEHOUSE_PUBLIC_URL", "ftp://example.com", "want an absolute http:// or https:// URL"},
		{"GATEHOUSE_PUBLIC_URL", "https:///path", "want an absolute URL with a host"},
		{"GATEHOUSE_PUBLIC_URL", "https://example.com/auth/", "must not have a path"},
		{"GATEHOUSE_PUBLIC_URL", "https://example.com?x=1", "must not have a query"},
		{"GATEHOUSE_PUBLIC_URL", "https://example.com#top", "must not have a query or fragment"},
		{"GATEHOUSE_PUBLIC_URL", "https://u@example.com", "must not contain a user"},
		{"GATEHOUSE_PUBLIC_URL", "https://exa mple.com", "not a valid URL"},
		{"GATEHOUSE_TOKEN_BRAND", "g", "2 to 8 lowercase"},
		{"GATEHOUSE_TOKEN_BRAND", "Gth", "2 to 8 lowercase"},
		{"GATEHOUSE_TOKEN_BRAND", "gatehouse", "2 to 8 lowercase"},
		{"GATEHOUSE_TOKEN_BRAND", "gt1", "2 to 8 lowercase"},
		{"GATEHOUSE_SMTP_URL", "mail.example.com:25", "want smtp:// or smtps://"},
		{"GATEHOUSE_SMTP_URL", "smtp://", "want smtp://[user:password@]host"},
		{"GATEHOUSE_MAIL_FROM", "not an address", "want an address"},
		{"GATEHOUSE_MAIL_TEMPLATES", filepath.Join(dir, "missing"), "no such folder"},
		{"GATEHOUSE_MAIL_TEMPLATES", keysFile, "not a folder"},
		{"GATEHOUSE_TRUSTED_PROXIES", "10.0.0.0/8, 10.0.0.0/33,proxy.local", `"10.0.0.0/33", "proxy.local"`},
		{"GATEHOUSE_TRUSTED_PROXIES", "fe80::1%eth0", "not a CIDR or IP address"},
		{"GATEHOUSE_AUTH_RATE_LIMIT", "10", "want N/s, N/m, N/h or N/d"},
		{"GATEHOUSE_AUTH_RATE_LIMIT", "0/m", "positive whole number"},
		{"GATEHOUSE_AUTH_RATE_LIMIT", "10/w", "unit must be"},
		{"GATEHOUSE_SESSION_TTL", "7d", "want a duration"},
		{"GATEHOUSE_SESSION_TTL", "0", "must be positive"},
		{"GATEHOUSE_SESSION_IDLE_TIMEOUT", "-1h", "must not be negative"},
		{"GATEHOUSE_ACCESS_TOKEN_TTL", "-5m", "must be positive"},
		{"GATEHOUSE_ACCESS_TOKEN_ALG", "HS256", "want ES256 or RS256"},
		{"GATEHOUSE_ACCESS_TOKEN_ALG", "none", "want ES256 or RS256"},
		{"GATEHOUSE_SIGNING_KEY_ROTATION", "-1h", "must not be negative"},
		{"GATEHOUSE_PASSWORD_MIN_LENGTH", "0", "from 1 to 1024"},
		{"GATEHOUSE_PASSWORD_MIN_LENGTH", "1025", "from 1 to 1024"},
		{"GATEHOUSE_PASSWORD_MIN_LENGTH", "eight", "want a whole number"},
		{"GATEHOUSE_PASSWORD_HASH_WORKERS", "-1", "must not be negative"},
		{"GATEHOUSE_DEFAULT_ORG", strings.Repeat("o", 65), "at most 64 characters"},
		{"GATEHOUSE_DEFAULT_ORG", "lob\x01by", "control characters"},
		{"GATEHOUSE_GOOGLE_CLIENT_ID", "id-only", ""}, // reported on the secret, see below
		{"GATEHOUSE_GOOGLE_ISSUER", "http://accounts.example.com", "want https://"},
		{"GATEHOUSE_GOOGLE_ISSUER", "accounts.google.com", "want an absolute https:// URL"},
		{"GATEHOUSE_REDIS_URL", "http://cache:6379", "want redis:// or rediss://"},
		{"GATEHOUSE_SECRET_SCANNING_KEYS", filepath.Join(dir, "missing.json"), "no such file"},
		{"GATEHOUSE_SECRET_SCANNING_KEYS", dir, "not a regular file"},
		{"GATEHOUSE_ADMIN_EMAILS", "ok@example.com, Root <root@example.com>, nobody", `"root <root@example.com>", "nobody"`},
		{"GATEHOUSE_API_RESOURCES", "calls,Billing,9lives,a*,gatehouse", `"Billing", "9lives", "a*", "gatehouse"`},
		{"GATEHOUSE_API_RESOURCES", "x" + strings.Repeat("y", 32), "up to 31"},
		{"GATEHOUSE_API_PROFILES", "crustocean,stripe", `unknown profile "stripe"; valid profiles: crustocean, crewkit, rst, crew`},
		{"GATEHOUSE_API_PROFILES", "crew,rst_", `"rst_"`},
		{"GATEHOUSE_SECRET_KEY", "too-short", "at least 32 bytes"},
		{"GATEHOUSE_LOG_FORMAT", "xml", "want text or json"},
		{"GATEHOUSE_LOGOUT_REDIRECT_ORIGINS", "https://ok.example.com,https://app.example.com/after,/relative,ftp://x", `"https://app.example.com/after", "/relative", "ftp://x"`},
		{"GATEHOUSE_LOGOUT_REDIRECT_ORIGINS", "https://app.example.com:70000", "https://app.example.com:70000"},
		{"GATEHOUSE_SHUTDOWN_TIMEOUT", "0s", "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			ps := loadProblems(t, []string{tt.env + "=" + tt.value}, nil)
			if len(ps) != 1 {
				t.Fatalf("got %d problems, want 1: %v", len(ps), ps)
			}
			p := ps[0]
			if tt.env == "GATEHOUSE_GOOGLE_CLIENT_ID" {
				if p.Name != "GATEHOUSE_GOOGLE_CLIENT_SECRET" || !strings.Contains(p.Reason, "required when GATEHOUSE_GOOGLE_CLIENT_ID is set") {
					t.Errorf("problem = %v, want the missing client secret", p)
				}
				return
			}
			if p.Name != tt.env {
				t.Errorf("problem names %q, want %q", p.Name, tt.env)
			}
			if !strings.Contains(p.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", p.Reason, tt.reason)
			}
			if tt.env != "GATEHOUSE_SECRET_KEY" && p.Value == "" {
				t.Errorf("problem %v does not show the value", p)
			}
		})
	}
}

func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	environ := []string{
		"GATEHOUSE_ADDR=nope",
		"GATEHOUSE_TOKEN_BRAND=X",
		"GATEHOUSE_AUTH_RATE_LIMIT=lots",
		"GATEHOUSE_SESSION_TTL=forever",
		"GATEHOUSE_LOG_FORMAT=yaml",
		"GATEHOUSE_PUBLIC_URL=https://ok.example.com", // valid ones are not reported
	}
	ps := loadProblems(t, environ, nil)
	wantNames := []string{"GATEHOUSE_ADDR", "GATEHOUSE_TOKEN_BRAND", "GATEHOUSE_AUTH_RATE_LIMIT", "GATEHOUSE_SESSION_TTL", "GATEHOUSE_LOG_FORMAT"}
	if len(ps) != len(wantNames) {
		t.Fatalf("got %d problems, want %d: %v", len(ps), len(wantNames), ps)
	}
	_, err := Load(environ, nil)
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 1+len(wantNames) || lines[0] != "invalid configuration (5 problems):" {
		t.Fatalf("message has %d lines, want a heading and %d problems:\n%s", len(lines), len(wantNames), err)
	}
	for i, name := range wantNames {
		if ps[i].Name != name {
			t.Errorf("problem %d names %q, want %q (problems follow the --help order)", i, ps[i].Name, name)
		}
		value := strings.SplitN(environ[i], "=", 2)[1]
		want := "  " + name + "=\"" + value + "\": "
		if !strings.HasPrefix(lines[1+i], want) {
			t.Errorf("line %d = %q, want it to start with %q", 1+i, lines[1+i], want)
		}
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    func(*Config) string
		expect  string
	}{
		{"flag beats env", []string{"--addr=:9999"}, []string{"GATEHOUSE_ADDR=:7777"}, func(c *Config) string { return c.Addr }, ":9999"},
		{"env beats flag default", nil, []string{"GATEHOUSE_ADDR=:7777"}, func(c *Config) string { return c.Addr }, ":7777"},
		{"flag default is the default", nil, nil, func(c *Config) string { return c.Addr }, "127.0.0.1:8080"},
		{"flag with space syntax", []string{"--public-url", "https://id.example.com/"}, []string{"GATEHOUSE_PUBLIC_URL=http://other"},
			func(c *Config) string { return c.PublicURL.String() }, "https://id.example.com"},
		{"empty flag clears default org", []string{"--default-org="}, []string{"GATEHOUSE_DEFAULT_ORG=team"}, func(c *Config) string { return c.DefaultOrg }, ""},
		{"list flag", []string{"--trusted-proxies=10.0.0.0/8,::1"}, nil,
			func(c *Config) string { return c.TrustedProxies[0].String() + " " + c.TrustedProxies[1].String() }, "10.0.0.0/8 ::1/128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			BindFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			c, err := Load(tt.environ, fs)
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.want(c); got != tt.expect {
				t.Errorf("got %q, want %q", got, tt.expect)
			}
		})
	}
}

func TestProblemsNameTheFlagWhenTheValueCameFromOne(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	BindFlags(fs)
	if err := fs.Parse([]string{"--session-ttl=soon"}); err != nil {
		t.Fatal(err)
	}
	ps := loadProblems(t, []string{"GATEHOUSE_SESSION_TTL=1h", "GATEHOUSE_TOKEN_BRAND=1"}, fs)
	if len(ps) != 2 || ps[0].Name != "GATEHOUSE_TOKEN_BRAND" || ps[1].Name != "--session-ttl" || ps[1].Value != "soon" {
		t.Errorf("problems = %v, want the brand from the env and --session-ttl=soon from the flag", ps)
	}
}

func TestBindFlagsListsEveryVariable(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	BindFlags(fs)
	help := fs.FlagUsages()
	for _, env := range Variables() {
		if !strings.Contains(help, "env "+env) {
			t.Errorf("--help does not name %s", env)
		}
	}
	for _, want := range []string{
		`--addr address`, `(default "127.0.0.1:8080")`, `--database-url URL`, `--public-url URL`,
		`--session-idle-timeout timeout`, `(default "72h")`, `(default: none, secrets are stored unencrypted)`,
		`--logout-redirect-origins origins`,
	} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q:\n%s", want, help)
		}
	}
}

func TestSecretsAreNotEchoed(t *testing.T) {
	const secret = "hunter2-S3CRET"
	tests := []struct {
		name    string
		environ []string
		args    []string
		problem string // the variable or flag that must be reported
	}{
		{"short secret key", []string{"GATEHOUSE_SECRET_KEY=" + secret}, nil, "GATEHOUSE_SECRET_KEY"},
		{"client secret without id", []string{"GATEHOUSE_GOOGLE_CLIENT_SECRET=" + secret}, nil, "GATEHOUSE_GOOGLE_CLIENT_ID"},
		{"database password", []string{"GATEHOUSE_DATABASE_URL=mysql://gh:" + secret + "@db/gh"}, nil, "GATEHOUSE_DATABASE_URL"},
		{"database password in query", []string{"GATEHOUSE_DATABASE_URL=mysql://db/gh?sslmode=disable&password=" + secret}, nil, "GATEHOUSE_DATABASE_URL"},
		{"database key/value DSN", []string{"GATEHOUSE_DATABASE_URL=host=db user=gh password=" + secret}, nil, "GATEHOUSE_DATABASE_URL"},
		{"unparseable postgres URL", []string{"GATEHOUSE_DATABASE_URL=postgres://gh:" + secret + "@db:port/gh"}, nil, "GATEHOUSE_DATABASE_URL"},
		{"smtp password", []string{"GATEHOUSE_SMTP_URL=ftp://mailer:" + secret + "@mail.example.com"}, nil, "GATEHOUSE_SMTP_URL"},
		{"smtp password with escapes", []string{"GATEHOUSE_SMTP_URL=smtp://mailer:" + secret + "%zz@"}, nil, "GATEHOUSE_SMTP_URL"},
		{"redis password", []string{"GATEHOUSE_REDIS_URL=http://:" + secret + "@cache:6379"}, nil, "GATEHOUSE_REDIS_URL"},
		{"secret key flag", nil, []string{"--secret-key=" + secret}, "--secret-key"},
		{"client secret flag", nil, []string{"--google-client-secret", secret}, "GATEHOUSE_GOOGLE_CLIENT_ID"},
		{"database URL flag", nil, []string{"--database-url=mysql://gh:" + secret + "@db/gh"}, "--database-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			BindFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			ps := loadProblems(t, tt.environ, fs)
			if len(ps) != 1 || ps[0].Name != tt.problem {
				t.Fatalf("problems = %v, want one for %s", ps, tt.problem)
			}
			_, err := Load(tt.environ, fs)
			msg := err.Error()
			for _, leak := range []string{secret, secret[:5]} {
				if strings.Contains(msg, leak) {
					t.Errorf("the error echoes the secret: %s", msg)
				}
			}
		})
	}
}

func TestValidateConfigBuiltInCode(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	c.PublicURL = nil
	c.AdminEmails = []string{"Admin@Example.com"}
	c.LogoutRedirectOrigins = []string{"https://APP.example.com"}
	c.AuthRateLimit.Limit = 0
	c.SecretKey = "short"
	err := c.Validate()
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Validate() = %v, want *ValidationError", err)
	}
	want := []string{"GATEHOUSE_PUBLIC_URL", "GATEHOUSE_AUTH_RATE_LIMIT", "GATEHOUSE_ADMIN_EMAILS", "GATEHOUSE_SECRET_KEY", "GATEHOUSE_LOGOUT_REDIRECT_ORIGINS"}
	if len(verr.Problems) != len(want) {
		t.Fatalf("problems = %v, want %v", verr.Problems, want)
	}
	for i, p := range verr.Problems {
		if p.Name != want[i] {
			t.Errorf("problem %d = %v, want %s", i, p, want[i])
		}
	}
	if strings.Contains(err.Error(), "short") {
		t.Errorf("Validate echoes the secret key: %v", err)
	}
}

func TestValidateMailOutboxDir(t *testing.T) {
	tests := []struct {
		name        string
		smtp, dir   string
		wantProblem bool
	}{
		{"dev outbox with a folder", "", "./dev-outbox", false},
		{"dev outbox without a folder", "", "", true},
		{"smtp needs no folder", "smtp://mail.example.com", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.SMTPURL, c.MailOutboxDir = tt.smtp, tt.dir
			err := c.Validate()
			if got := err != nil && strings.Contains(err.Error(), "GATEHOUSE_MAIL_OUTBOX_DIR"); got != tt.wantProblem {
				t.Errorf("Validate() = %v, want a GATEHOUSE_MAIL_OUTBOX_DIR problem: %v", err, tt.wantProblem)
			}
		})
	}
}
