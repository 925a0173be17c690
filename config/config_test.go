package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func TestDefaults(t *testing.T) {
	c, err := Load(nil, nil)
	if err != nil {
		t.Fatalf("Load with nothing set: %v", err)
	}
	if !reflect.DeepEqual(*c, Default()) {
		t.Errorf("Load(nil, nil) = %+v, want Default() %+v", *c, Default())
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"Addr", c.Addr, "127.0.0.1:8080"},
		{"DatabaseURL", c.DatabaseURL, "sqlite://gatehouse.db"},
		{"PublicURL", c.PublicURL.String(), "http://localhost:8080"},
		{"TokenBrand", c.TokenBrand, "gth"},
		{"SMTPURL", c.SMTPURL, ""},
		{"MailFrom", c.MailFrom, "Gatehouse <no-reply@localhost>"},
		{"MailTemplates", c.MailTemplates, ""},
		{"MailOutboxDir", c.MailOutboxDir, "./dev-outbox"},
		{"TrustedProxies", len(c.TrustedProxies), 0},
		{"AuthRateLimit", c.AuthRateLimit, gatehouse.Rate{Limit: 10, Period: time.Minute}},
		{"SessionTTL", c.SessionTTL, 168 * time.Hour},
		{"SessionIdleTimeout", c.SessionIdleTimeout, 72 * time.Hour},
		{"AccessTokenTTL", c.AccessTokenTTL, 4 * time.Hour},
		{"SigningKeyRotation", c.SigningKeyRotation, 720 * time.Hour},
		{"PasswordMinLength", c.PasswordMinLength, 8},
		{"PasswordHashWorkers", c.PasswordHashWorkers, 0},
		{"DefaultOrg", c.DefaultOrg, "lobby"},
		{"GoogleClientID", c.GoogleClientID, ""},
		{"GoogleClientSecret", c.GoogleClientSecret, ""},
		{"GoogleIssuer", c.GoogleIssuer, "https://accounts.google.com"},
		{"RedisURL", c.RedisURL, ""},
		{"SecretScanningKeys", c.SecretScanningKeys, ""},
		{"AdminEmails", len(c.AdminEmails), 0},
		{"APIResources", c.APIResources, []string{"calls", "agents", "analytics"}},
		{"APIProfiles", len(c.APIProfiles), 0},
		{"SecretKey", c.SecretKey, ""},
		{"LogFormat", c.LogFormat, logFormatFor(os.Stderr)},
		{"LogoutRedirectOrigins", len(c.LogoutRedirectOrigins), 0},
		{"ShutdownTimeout", c.ShutdownTimeout, 15 * time.Second},
		{"SecureCookies", c.SecureCookies(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

func TestLoadParsesEachVariable(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(keys, []byte(`{"public_keys":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	secretKey := strings.Repeat("k", 32)
	templates := t.TempDir()
	tests := []struct {
		env, value string
		got        func(*Config) any
		want       any
	}{
		{"GATEHOUSE_ADDR", ":0", func(c *Config) any { return c.Addr }, ":0"},
		{"GATEHOUSE_ADDR", "[::1]:9000", func(c *Config) any { return c.Addr }, "[::1]:9000"},
		{"GATEHOUSE_DATABASE_URL", "sqlite:///var/lib/gatehouse/gh.db", func(c *Config) any { return c.DatabaseURL }, "sqlite:///var/lib/gatehouse/gh.db"},
		{"GATEHOUSE_DATABASE_URL", "postgres://gh:pw@db:5432/gh?sslmode=disable", func(c *Config) any { return c.DatabaseURL }, "postgres://gh:pw@db:5432/gh?sslmode=disable"},
		{"GATEHOUSE_DATABASE_URL", "postgresql://db/gh", func(c *Config) any { return c.DatabaseURL }, "postgresql://db/gh"},
		{"GATEHOUSE_PUBLIC_URL", "https://Auth.Example.com/", func(c *Config) any { return c.PublicURL.String() }, "https://auth.example.com"},
		{"GATEHOUSE_PUBLIC_URL", "https://auth.example.com:8443", func(c *Config) any { return c.SecureCookies() }, true},
		{"GATEHOUSE_PUBLIC_URL", "http://127.0.0.1:8080", func(c *Config) any { return c.SecureCookies() }, false},
		{"GATEHOUSE_TOKEN_BRAND", "crew", func(c *Config) any { return c.TokenBrand }, "crew"},
		{"GATEHOUSE_SMTP_URL", "smtps://u:p@mail.example.com:465", func(c *Config) any { return c.SMTPURL }, "smtps://u:p@mail.example.com:465"},
		{"GATEHOUSE_MAIL_FROM", "ops@example.com", func(c *Config) any { return c.MailFrom }, "ops@example.com"},
		{"GATEHOUSE_MAIL_TEMPLATES", templates, func(c *Config) any { return c.MailTemplates }, templates},
		{"GATEHOUSE_MAIL_OUTBOX_DIR", "/var/tmp/outbox", func(c *Config) any { return c.MailOutboxDir }, "/var/tmp/outbox"},
		{"GATEHOUSE_MAIL_OUTBOX_DIR", "", func(c *Config) any { return c.MailOutboxDir }, "./dev-outbox"},
		{"GATEHOUSE_TRUSTED_PROXIES", " 10.0.0.0/8, 192.168.1.7 ,2001:db8::/32,::1, 172.16.5.4/12",
			func(c *Config) any { return c.TrustedProxies },
			[]netip.Prefix{
				netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"),
				netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("::1/128"),
				netip.MustParsePrefix("172.16.0.0/12"),
			}},
		{"GATEHOUSE_AUTH_RATE_LIMIT", "100/h", func(c *Config) any { return c.AuthRateLimit }, gatehouse.Rate{Limit: 100, Period: time.Hour}},
		{"GATEHOUSE_SESSION_TTL", "720h", func(c *Config) any { return c.SessionTTL }, 720 * time.Hour},
		{"GATEHOUSE_SESSION_IDLE_TIMEOUT", "0", func(c *Config) any { return c.SessionIdleTimeout }, time.Duration(0)},
		{"GATEHOUSE_SESSION_IDLE_TIMEOUT", "30m", func(c *Config) any { return c.SessionIdleTimeout }, 30 * time.Minute},
		{"GATEHOUSE_ACCESS_TOKEN_TTL", "15m", func(c *Config) any { return c.AccessTokenTTL }, 15 * time.Minute},
		{"GATEHOUSE_ACCESS_TOKEN_ALG", "RS256", func(c *Config) any { return c.AccessTokenAlg }, "RS256"},
		{"GATEHOUSE_ACCESS_TOKEN_ALG", "rs256", func(c *Config) any { return c.AccessTokenAlg }, "RS256"},
		{"GATEHOUSE_ACCESS_TOKEN_ALG", "ES256", func(c *Config) any { return c.AccessTokenAlg }, "ES256"},
		{"GATEHOUSE_SIGNING_KEY_ROTATION", "24h", func(c *Config) any { return c.SigningKeyRotation }, 24 * time.Hour},
		{"GATEHOUSE_SIGNING_KEY_ROTATION", "0", func(c *Config) any { return c.SigningKeyRotation }, time.Duration(0)},
		{"GATEHOUSE_PASSWORD_MIN_LENGTH", "12", func(c *Config) any { return c.PasswordMinLength }, 12},
		{"GATEHOUSE_PASSWORD_MIN_LENGTH", "1", func(c *Config) any { return c.PasswordMinLength }, 1},
		{"GATEHOUSE_PASSWORD_HASH_WORKERS", "3", func(c *Config) any { return c.PasswordHashWorkers }, 3},
		{"GATEHOUSE_DEFAULT_ORG", "Acme Agency", func(c *Config) any { return c.DefaultOrg }, "Acme Agency"},
		{"GATEHOUSE_DEFAULT_ORG", "", func(c *Config) any { return c.DefaultOrg }, ""},
		{"GATEHOUSE_GOOGLE_ISSUER", "http://127.0.0.1:5556/dex", func(c *Config) any { return c.GoogleIssuer }, "http://127.0.0.1:5556/dex"},
		{"GATEHOUSE_REDIS_URL", "rediss://:pw@cache:6380/2", func(c *Config) any { return c.RedisURL }, "rediss://:pw@cache:6380/2"},
		{"GATEHOUSE_SECRET_SCANNING_KEYS", keys, func(c *Config) any { return c.SecretScanningKeys }, keys},
		{"GATEHOUSE_ADMIN_EMAILS", "Alice@Example.com, bob@example.org,,alice@example.com",
			func(c *Config) any { return c.AdminEmails }, []string{"alice@example.com", "bob@example.org"}},
		{"GATEHOUSE_API_RESOURCES", "calls, billing_v2,agents,calls", func(c *Config) any { return c.APIResources }, []string{"calls", "billing_v2", "agents"}},
		{"GATEHOUSE_API_PROFILES", "Crustocean, crewkit,rst,crew,crewkit", func(c *Config) any { return c.APIProfiles }, []string{"crustocean", "crewkit", "rst", "crew"}},
		{"GATEHOUSE_SECRET_KEY", secretKey, func(c *Config) any { return c.SecretKey }, secretKey},
		{"GATEHOUSE_LOG_FORMAT", "JSON", func(c *Config) any { return c.LogFormat }, "json"},
		{"GATEHOUSE_LOG_FORMAT", "text", func(c *Config) any { return c.LogFormat }, "text"},
		{"GATEHOUSE_LOGOUT_REDIRECT_ORIGINS", "https://App.Example.com:443/, http://localhost:3000,http://[::1]:80",
			func(c *Config) any { return c.LogoutRedirectOrigins },
			[]string{"https://app.example.com", "http://localhost:3000", "http://[::1]"}},
		{"GATEHOUSE_SHUTDOWN_TIMEOUT", "2m", func(c *Config) any { return c.ShutdownTimeout }, 2 * time.Minute},
		// An empty value means the default.
		{"GATEHOUSE_ADDR", "", func(c *Config) any { return c.Addr }, "127.0.0.1:8080"},
		{"GATEHOUSE_API_RESOURCES", " ", func(c *Config) any { return c.APIResources }, []string{"calls", "agents", "analytics"}},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			c, err := Load([]string{tt.env + "=" + tt.value}, nil)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := tt.got(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestGoogleSignIn(t *testing.T) {
	c, err := Load([]string{"GATEHOUSE_GOOGLE_CLIENT_ID=id.apps.googleusercontent.com", "GATEHOUSE_GOOGLE_CLIENT_SECRET=s3cr3t"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.GoogleClientID != "id.apps.googleusercontent.com" || c.GoogleClientSecret != "s3cr3t" {
		t.Errorf("got id %q secret %q", c.GoogleClientID, c.GoogleClientSecret)
	}
}

func TestLaterEnvironmentEntryWins(t *testing.T) {
	c, err := Load([]string{"GATEHOUSE_TOKEN_BRAND=abc", "GATEHOUSE_TOKEN_BRAND=xyz"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.TokenBrand != "xyz" {
		t.Errorf("TokenBrand = %q, want xyz", c.TokenBrand)
	}
}

func TestDatabaseKind(t *testing.T) {
	tests := []struct {
		url, kind, dsn string
	}{
		{"sqlite://gatehouse.db", "sqlite", "gatehouse.db"},
		{"sqlite:///abs/path.db", "sqlite", "/abs/path.db"},
		{"sqlite://./data/gh.db", "sqlite", "./data/gh.db"},
		{"SQLite://x.db", "sqlite", "x.db"},
		{"postgres://u@h/db", "postgres", "postgres://u@h/db"},
		{"postgresql://u@h/db?sslmode=disable", "postgres", "postgresql://u@h/db?sslmode=disable"},
		{"mysql://h/db", "", ""},
		{"gatehouse.db", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c := Config{DatabaseURL: tt.url}
			kind, dsn := c.DatabaseKind()
			if kind != tt.kind || dsn != tt.dsn {
				t.Errorf("DatabaseKind() = (%q, %q), want (%q, %q)", kind, dsn, tt.kind, tt.dsn)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    []string // substrings, one per warning, in order
	}{
		{"defaults", nil, nil},
		{"short passwords", []string{"GATEHOUSE_PASSWORD_MIN_LENGTH=4", "GATEHOUSE_SECRET_KEY=" + strings.Repeat("x", 40)},
			[]string{"GATEHOUSE_PASSWORD_MIN_LENGTH=4 is below"}},
		{"plain http in production", []string{"GATEHOUSE_PUBLIC_URL=http://auth.example.com", "GATEHOUSE_SECRET_KEY=" + strings.Repeat("x", 40)},
			[]string{"GATEHOUSE_PUBLIC_URL=http://auth.example.com is not https"}},
		{"all good", []string{"GATEHOUSE_PUBLIC_URL=https://auth.example.com", "GATEHOUSE_SECRET_KEY=" + strings.Repeat("x", 40)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.environ, nil)
			if err != nil {
				t.Fatal(err)
			}
			w := c.Warnings()
			if len(w) != len(tt.want) {
				t.Fatalf("Warnings() = %q, want %d", w, len(tt.want))
			}
			for i := range w {
				if !strings.Contains(w[i], tt.want[i]) {
					t.Errorf("warning %d = %q, want it to contain %q", i, w[i], tt.want[i])
				}
			}
		})
	}
}

func TestUnknownVariables(t *testing.T) {
	got := UnknownVariables([]string{
		"GATEHOUSE_ADDR=:1", "GATEHOUSE_PUBLIC_ULR=https://x", "GATEHOUSE_TEST_REDIS_URL=redis://x",
		"HOME=/root", "GATEHOUSE_SECRETKEY=abc", "GATEHOUSE_TOKEN=gth_pat_x", "GATEHOUSE_SERVER=http://x",
	})
	want := []string{"GATEHOUSE_PUBLIC_ULR", "GATEHOUSE_SECRETKEY"}
	if !slices.Equal(got, want) {
		t.Errorf("UnknownVariables = %q, want %q", got, want)
	}
}

func TestClosestVariable(t *testing.T) {
	tests := []struct {
		name, unknown, want string
	}{
		{"one letter missing", "GATEHOUSE_SESION_TTL", "GATEHOUSE_SESSION_TTL"},
		{"letters swapped", "GATEHOUSE_PUBLIC_ULR", "GATEHOUSE_PUBLIC_URL"},
		{"underscore missing", "GATEHOUSE_SECRETKEY", "GATEHOUSE_SECRET_KEY"},
		{"lower case", "gatehouse_addr", "GATEHOUSE_ADDR"},
		{"nothing close", "GATEHOUSE_FAVOURITE_COLOUR", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClosestVariable(tt.unknown); got != tt.want {
				t.Errorf("ClosestVariable(%q) = %q, want %q", tt.unknown, got, tt.want)
			}
		})
	}
}

func TestVariablesHaveUniqueFlags(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range settings {
		if seen[s.flag()] {
			t.Errorf("flag --%s is defined twice", s.flag())
		}
		seen[s.flag()] = true
	}
	if len(Variables()) != reflect.TypeOf(Config{}).NumField() {
		t.Errorf("%d variables for %d Config fields", len(Variables()), reflect.TypeOf(Config{}).NumField())
	}
}

func TestLogFormatFor(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if got := logFormatFor(w); got != "json" {
		t.Errorf("logFormatFor(pipe) = %q, want json", got)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := logFormatFor(f); got != "json" {
		t.Errorf("logFormatFor(file) = %q, want json", got)
	}
	// A character device counts as a terminal (so does /dev/null: `2>/dev/null` gets text, which
	// nobody reads).
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if got := logFormatFor(null); got != "text" {
		t.Errorf("logFormatFor(%s) = %q, want text", os.DevNull, got)
	}
}
