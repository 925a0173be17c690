package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/config"
)

// runCLI runs the gatehouse command line in-process with env as its only environment.
func runCLI(t *testing.T, env []string, stdin string, args ...string) (string, error) {
	t.Helper()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// TestAdminCommandsWhileServerRuns runs the operator commands against the database of a running
// server and checks their effect through its API.
func TestAdminCommandsWhileServerRuns(t *testing.T) {
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DatabaseURL = "sqlite://" + db
	m := app.New(&cfg, nil)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = m.Close(ctx)
	})
	env := []string{"GATEHOUSE_DATABASE_URL=sqlite://" + db, "GATEHOUSE_LOG_FORMAT=text"}

	cases := []struct {
		name    string
		stdin   string
		args    []string
		wantErr string
		wantOut string
	}{
		{"password must come from stdin", "", []string{"admin", "create-user", "--username", "root"}, "--password-stdin is required", ""},
		{"empty stdin", "", []string{"admin", "create-user", "--username", "root", "--password-stdin"}, "standard input", ""},
		{"policy applies", "short\n", []string{"admin", "create-user", "--username", "root", "--password-stdin"}, "password_too_short", ""},
		{"create admin", "an operator secret\n", []string{"admin", "create-user", "--username", "root", "--email", "root@example.com", "--admin", "--password-stdin"}, "", "created administrator root"},
		{"duplicate", "an operator secret\n", []string{"admin", "create-user", "--username", "ROOT", "--password-stdin"}, "username_taken", ""},
		{"unknown user", "", []string{"admin", "revoke-sessions", "--username", "ghost"}, "no user with that username", ""},
		{"set-plan: unknown user", "", []string{"admin", "set-plan", "--username", "ghost", "--plan-source", "stripe"}, "no user with that username", ""},
		{"set-plan: source required", "", []string{"admin", "set-plan", "--username", "root"}, "plan-source", ""},
		{"set-plan: bad source", "", []string{"admin", "set-plan", "--username", "root", "--plan-source", "Not Valid"}, "invalid_request", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := runCLI(t, env, c.stdin, c.args...)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q (output %s)", err, c.wantErr, out)
				}
				return
			}
			if err != nil || !strings.Contains(out, c.wantOut) {
				t.Fatalf("err %v, output %q, want %q", err, out, c.wantOut)
			}
		})
	}

	login := func(pw string) (int, string) {
		res, err := http.Post(m.URL()+"/v1/auth/login", "application/json", strings.NewReader(`{"username":"root","password":"`+pw+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(res.Body)
		tok := ""
		if i := strings.Index(buf.String(), `"token":"`); i >= 0 {
			tok = strings.SplitN(buf.String()[i+9:], `"`, 2)[0]
		}
		if !strings.Contains(buf.String(), `"is_admin":true`) && res.StatusCode == 200 {
			t.Fatalf("the account made with --admin is not an administrator: %s", buf.String())
		}
		return res.StatusCode, tok
	}
	status, tok := login("an operator secret")
	if status != 200 {
		t.Fatalf("the running server does not see the account the CLI made: %d", status)
	}
	me := func() int {
		req, _ := http.NewRequest("GET", m.URL()+"/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if me() != 200 {
		t.Fatal("fresh session refused")
	}

	if out, err := runCLI(t, env, "", "admin", "revoke-sessions", "--username", "root"); err != nil || !strings.Contains(out, "revoked 1 session") {
		t.Fatalf("revoke-sessions: %v %s", err, out)
	}
	if me() != 401 {
		t.Fatal("a session revoked by the CLI still works on the running server")
	}

	status, tok = login("an operator secret")
	if status != 200 {
		t.Fatal("login after revoke-sessions failed")
	}
	if out, err := runCLI(t, env, "a replacement secret\n", "admin", "reset-password", "--username", "root", "--password-stdin"); err != nil {
		t.Fatalf("reset-password: %v %s", err, out)
	}
	if me() != 401 {
		t.Fatal("reset-password did not revoke the sessions")
	}
	if s, _ := login("an operator secret"); s != 401 {
		t.Fatal("the old password still works")
	}
	status, tok = login("a replacement secret")
	if status != 200 {
		t.Fatal("the new password does not work")
	}

	planSource := func() string {
		req, _ := http.NewRequest("GET", m.URL()+"/v1/me/account", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var a struct {
			PlanSource string `json:"plan_source"`
		}
		if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
			t.Fatal(err)
		}
		return a.PlanSource
	}
	if got := planSource(); got != "free" {
		t.Fatalf("plan_source %q before set-plan, want free", got)
	}
	if out, err := runCLI(t, env, "", "admin", "set-plan", "--username", "root", "--plan-source", "stripe"); err != nil || !strings.Contains(out, "plan source of root set to stripe") {
		t.Fatalf("set-plan: %v %s", err, out)
	}
	if got := planSource(); got != "stripe" {
		t.Fatalf("plan_source %q after set-plan, want stripe", got)
	}
}
