package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/config"
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

// TestServeWarnsAboutMistypedVariables starts `gatehouse serve` with two mistyped variables and
// checks that each is reported at start, by name, with the setting it was probably meant to be,
// and that the mistyped values are not logged.
func TestServeWarnsAboutMistypedVariables(t *testing.T) {
	prevGC := debug.SetGCPercent(100)
	prevLog := slog.Default()
	t.Cleanup(func() { debug.SetGCPercent(prevGC); slog.SetDefault(prevLog) })
	dir := t.TempDir()
	for k, v := range map[string]string{
		"GATEHOUSE_ADDR":             "127.0.0.1:0",
		"GATEHOUSE_DATABASE_URL":     "sqlite://" + filepath.Join(dir, "g.db"),
		"GATEHOUSE_MAIL_OUTBOX_DIR":  filepath.Join(dir, "outbox"),
		"GATEHOUSE_LOG_FORMAT":       "text",
		"GATEHOUSE_SESION_TTL":       "1h",
		"GATEHOUSE_SECRETKEY":        "not-a-logged-value-4711",
		"GATEHOUSE_FAVOURITE_COLOUR": "green",
	} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	cmd := newRootCommand()
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"serve"})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "gatehouse is ready") {
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	logs := out.String()
	for _, want := range []string{
		`level=WARN msg="unknown configuration variable ignored" variable=GATEHOUSE_SESION_TTL did_you_mean=GATEHOUSE_SESSION_TTL`,
		`level=WARN msg="unknown configuration variable ignored" variable=GATEHOUSE_SECRETKEY did_you_mean=GATEHOUSE_SECRET_KEY`,
		`level=WARN msg="unknown configuration variable ignored" variable=GATEHOUSE_FAVOURITE_COLOUR` + "\n",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "not-a-logged-value-4711") {
		t.Errorf("the log shows a mistyped variable's value:\n%s", logs)
	}
}

// TestServeKnowsTheCLIVariables: every GATEHOUSE_* variable the commands read is either a
// setting or one the start-up warning leaves alone, so that serve never calls a variable of the
// CLI itself a typo.
func TestServeKnowsTheCLIVariables(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`"(GATEHOUSE_[A-Z][A-Z_]*[A-Z])"`)
	var environ []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range name.FindAllSubmatch(b, -1) {
			environ = append(environ, string(m[1])+"=x")
		}
	}
	if len(environ) < 2 {
		t.Fatalf("found only %q in the command's sources", environ)
	}
	if unknown := config.UnknownVariables(environ); len(unknown) > 0 {
		t.Errorf("serve would warn about the CLI's own variables %q", unknown)
	}
}
