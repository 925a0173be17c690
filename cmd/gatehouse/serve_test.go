package main

import (
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

func TestServeHelpListsEveryVariable(t *testing.T) {
	out, err := runCLI(t, nil, "", "serve", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{
		"GATEHOUSE_ADDR", "GATEHOUSE_DATABASE_URL", "GATEHOUSE_PUBLIC_URL", "GATEHOUSE_TOKEN_BRAND",
		"GATEHOUSE_SMTP_URL", "GATEHOUSE_MAIL_FROM", "GATEHOUSE_TRUSTED_PROXIES", "GATEHOUSE_AUTH_RATE_LIMIT",
		"GATEHOUSE_SESSION_TTL", "GATEHOUSE_ACCESS_TOKEN_TTL", "GATEHOUSE_PASSWORD_MIN_LENGTH",
		"GATEHOUSE_DEFAULT_ORG", "GATEHOUSE_GOOGLE_CLIENT_ID", "GATEHOUSE_REDIS_URL",
		"GATEHOUSE_SECRET_SCANNING_KEYS", "GATEHOUSE_ADMIN_EMAILS", "GATEHOUSE_API_RESOURCES",
		"GATEHOUSE_SECRET_KEY", "GATEHOUSE_LOG_FORMAT",
	} {
		if !strings.Contains(out, v) {
			t.Errorf("serve --help does not mention %s", v)
		}
	}
}

func TestServeReportsEveryInvalidSettingAtOnce(t *testing.T) {
	env := []string{
		"GATEHOUSE_ADDR=not an address",
		"GATEHOUSE_PUBLIC_URL=ftp://x",
		"GATEHOUSE_TOKEN_BRAND=NO",
		"GATEHOUSE_AUTH_RATE_LIMIT=lots",
		"GATEHOUSE_SESSION_TTL=forever",
	}
	_, err := runCLI(t, env, "", "serve")
	if err == nil {
		t.Fatal("serve started with invalid settings")
	}
	for _, v := range []string{"GATEHOUSE_ADDR", "GATEHOUSE_PUBLIC_URL", "GATEHOUSE_TOKEN_BRAND", "GATEHOUSE_AUTH_RATE_LIMIT", "GATEHOUSE_SESSION_TTL"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("the error does not report %s:\n%v", v, err)
		}
	}
}

func TestMigrateAppliesOnceAndReports(t *testing.T) {
	env := []string{"GATEHOUSE_DATABASE_URL=sqlite://" + t.TempDir() + "/m.db"}
	out, err := runCLI(t, env, "", "migrate")
	if err != nil || !strings.Contains(out, "applied 0001_init.sql") {
		t.Fatalf("first migrate: %v\n%s", err, out)
	}
	out, err = runCLI(t, env, "", "migrate")
	if err != nil || strings.Contains(out, "applied 0001") || !strings.Contains(out, "up to date (0 migration(s)") {
		t.Fatalf("second migrate must apply nothing: %v\n%s", err, out)
	}
}

// TestTuneGC: serve raises GOGC to serverGCPercent, unless the environment sets GOGC.
func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	cases := []struct {
		name string
		env  string // "" means unset
		want int
	}{
		{"GOGC unset", "", serverGCPercent},
		{"GOGC set", "150", 100}, // left to the runtime, which read it at start
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			if c.env != "" {
				t.Setenv("GOGC", c.env)
			} else {
				t.Setenv("GOGC", "")
				os.Unsetenv("GOGC")
			}
			tuneGC()
			if got := debug.SetGCPercent(100); got != c.want {
				t.Fatalf("GC percent %d, want %d", got, c.want)
			}
		})
	}
}
