package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/client"
	"github.com/gatehouse-auth/gatehouse/config"
)

// apiServer is a real Gatehouse on a SQLite file for the API command tests.
type apiServer struct {
	m   *app.Main
	url string
}

func startAPIServer(t *testing.T) *apiServer {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DatabaseURL = "sqlite://" + filepath.Join(t.TempDir(), "gatehouse.db")
	cfg.PasswordHashWorkers = 2
	cfg.AuthRateLimit = gatehouse.Rate{Limit: 1000, Period: time.Minute}
	m := app.New(&cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = m.Close(ctx)
	})
	return &apiServer{m: m, url: m.URL()}
}

var cliUserSeq atomic.Int64

// signUp registers an account and returns its session token and user ID.
func (s *apiServer) signUp(t *testing.T, prefix string) (string, string) {
	t.Helper()
	name := fmt.Sprintf("%s-%d", prefix, cliUserSeq.Add(1))
	sess, err := client.New(s.url).Register(context.Background(), client.RegisterRequest{Username: name, Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	return sess.Token, sess.User.ID
}

// runAPI runs the command line in-process with env set, returning standard output and standard
// error separately (the error, as main would print it, goes to standard error).
func runAPI(t *testing.T, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	for _, k := range []string{"GATEHOUSE_SERVER", "GATEHOUSE_TOKEN"} {
		t.Setenv(k, "")
	}
	t.Setenv("GATEHOUSE_CONFIG_DIR", t.TempDir()) // never the user's stored sign-ins; env may override
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	cmd := newRootCommand()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetIn(strings.NewReader(""))
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(context.Background())
	if err != nil {
		fmt.Fprintln(&errOut, "gatehouse:", err)
	}
	return out.String(), errOut.String(), err
}

// mustRun is runAPI that fails the test on an error.
func mustRun(t *testing.T, env []string, args ...string) string {
	t.Helper()
	out, errOut, err := runAPI(t, env, args...)
	if err != nil {
		t.Fatalf("gatehouse %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// decode parses JSON output into v.
func decode(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
}

// tableRows splits table output into rows of fields, the header first.
func tableRows(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}

// TestAPICommandCredentials checks where the API commands find their server and credential and
// how they report failures.
func TestAPICommandCredentials(t *testing.T) {
	s := startAPIServer(t)
	tok, _ := s.signUp(t, "cred")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()

	cases := []struct {
		name    string
		env     []string
		args    []string
		wantErr string // "" → must succeed
	}{
		{"flags", nil, []string{"tokens", "list", "--server", s.url, "--token", tok}, ""},
		{"environment", []string{"GATEHOUSE_SERVER=" + s.url, "GATEHOUSE_TOKEN=" + tok}, []string{"tokens", "list"}, ""},
		{"flag beats environment", []string{"GATEHOUSE_SERVER=" + s.url, "GATEHOUSE_TOKEN=bad"}, []string{"agents", "list", "--token", tok}, ""},
		{"no credential", []string{"GATEHOUSE_SERVER=" + s.url}, []string{"tokens", "list"}, "no credential: pass --token or set GATEHOUSE_TOKEN"},
		{"bad token", []string{"GATEHOUSE_SERVER=" + s.url}, []string{"tokens", "list", "--token", "gth_pat_bogus"}, "The access token is invalid. (invalid_token"},
		{"bad token on api-keys", []string{"GATEHOUSE_SERVER=" + s.url}, []string{"api-keys", "list", "--org", "org_x", "--token", "nope"}, "(invalid_token"},
		{"server down", []string{"GATEHOUSE_SERVER=" + dead, "GATEHOUSE_TOKEN=" + tok}, []string{"tokens", "list"}, "connect"},
		{"missing argument", []string{"GATEHOUSE_SERVER=" + s.url, "GATEHOUSE_TOKEN=" + tok}, []string{"tokens", "revoke"}, "accepts 1 arg"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, err := runAPI(t, c.env, c.args...)
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v (stderr %s)", err, errOut)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, c.wantErr)
			}
			if !strings.Contains(errOut, c.wantErr) || out != "" {
				t.Fatalf("stdout %q stderr %q: the error belongs on stderr alone", out, errOut)
			}
		})
	}
}
