package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/client"
	"github.com/gatehouse-auth/gatehouse/config"
)

// startOAuthServer is startAPIServer with the public URL (the OAuth issuer, from which the
// discovery document's endpoints are built) equal to the address it listens on.
func startOAuthServer(t *testing.T) *apiServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := config.Default()
	cfg.Addr = addr
	cfg.PublicURL = &url.URL{Scheme: "http", Host: addr}
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

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// loginRun is a `gatehouse login` running in the background.
type loginRun struct {
	stdout, stderr *syncBuffer
	done           chan error
}

// startLogin runs `gatehouse login --no-browser args...` in a goroutine; env must already be
// set (t.Setenv) by the caller.
func startLogin(ctx context.Context, args ...string) *loginRun {
	r := &loginRun{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd := newRootCommand()
	cmd.SetOut(r.stdout)
	cmd.SetErr(r.stderr)
	cmd.SetIn(strings.NewReader(""))
	cmd.SetArgs(append([]string{"login", "--no-browser"}, args...))
	go func() { r.done <- cmd.ExecuteContext(ctx) }()
	return r
}

var userCodeRE = regexp.MustCompile(`one-time code: ([A-Z0-9]{4}-[A-Z0-9]{4})`)

// userCode waits until the command prints its one-time code.
func (r *loginRun) userCode(t *testing.T) string {
	t.Helper()
	for {
		if m := userCodeRE.FindStringSubmatch(r.stderr.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-r.done:
			t.Fatalf("login ended before printing a code: %v\nstderr: %s", err, r.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// decideDevice approves or denies a user code as the holder of session (POST /v1/device/...).
func decideDevice(t *testing.T, server, session, userCode, decision string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"user_code": userCode})
	req, _ := http.NewRequest(http.MethodPost, server+"/v1/device/"+decision, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+session)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		t.Fatalf("POST /v1/device/%s: HTTP %d %s", decision, res.StatusCode, b)
	}
}

// refreshGrant posts a refresh token as gatehouse-cli to /oauth2/token and returns the status
// and the OAuth error code.
func refreshGrant(t *testing.T, server, refreshToken string) (int, string) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {cliClientID}}
	res, err := http.PostForm(server+"/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(res.Body).Decode(&v)
	return res.StatusCode, v.Error
}

// readStored reads the credential stored for server in dir.
func readStored(t *testing.T, dir, server string) storedCredential {
	t.Helper()
	c, err := (&credentialStore{dir: dir}).get(server)
	if err != nil || c == nil {
		t.Fatalf("stored credential for %s: %v, %v", server, c, err)
	}
	return *c
}

// setStoredExpiry rewrites the stored access token's expiry.
func setStoredExpiry(t *testing.T, dir, server string, expiry time.Time) {
	t.Helper()
	s := &credentialStore{dir: dir}
	c := readStored(t, dir, server)
	c.Expiry = expiry
	if err := s.put(c); err != nil {
		t.Fatal(err)
	}
}

// login signs the command line in through the device flow, approved by session's holder.
func login(t *testing.T, s *apiServer, session string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := startLogin(ctx, "--server", s.url)
	decideDevice(t, s.url, session, run.userCode(t), "approve")
	if err := <-run.done; err != nil {
		t.Fatalf("login: %v\nstderr: %s", err, run.stderr.String())
	}
	return run.stdout.String()
}

func TestLoginEndToEnd(t *testing.T) {
	s := startOAuthServer(t)
	session, userID := s.signUp(t, "cli")
	me, err := client.New(s.url, client.WithToken(session)).Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "config", "gatehouse") // created by login
	for _, k := range []string{"GATEHOUSE_SERVER", "GATEHOUSE_TOKEN", "BROWSER"} {
		t.Setenv(k, "")
	}
	t.Setenv("GATEHOUSE_CONFIG_DIR", dir)
	env := []string{"GATEHOUSE_CONFIG_DIR=" + dir}

	out := login(t, s, session)
	if want := "Signed in to " + s.url + " as " + me.Username + "."; !strings.Contains(out, want) {
		t.Fatalf("login output %q, want %q", out, want)
	}

	t.Run("stored privately", func(t *testing.T) {
		for _, c := range []struct {
			name string
			path string
			mode os.FileMode
		}{
			{"folder", dir, 0o700},
			{"file", filepath.Join(dir, credentialsFile), 0o600},
		} {
			st, err := os.Stat(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != c.mode {
				t.Errorf("%s %s has mode %v, want %v", c.name, c.path, st.Mode().Perm(), c.mode)
			}
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".tmp") || e.Name() == credentialsLock {
				t.Errorf("left behind: %s", e.Name())
			}
		}
		c := readStored(t, dir, s.url)
		if c.Server != s.url || c.AccessToken == "" || !strings.HasPrefix(c.RefreshToken, "gth_rt_") ||
			!strings.EqualFold(c.TokenType, "bearer") || !c.Expiry.After(time.Now().Add(time.Hour)) {
			t.Fatalf("stored credential: server %q, access token set %v, refresh token prefix %.7q, type %q, expiry %v",
				c.Server, c.AccessToken != "", c.RefreshToken, c.TokenType, c.Expiry)
		}
	})

	t.Run("whoami", func(t *testing.T) {
		out := mustRun(t, env, "whoami") // no --server: the only stored server
		for _, want := range []string{"Username:   " + me.Username, "Kind:       user", "Server:     " + s.url, "Credential: gatehouse login"} {
			if !strings.Contains(out, want) {
				t.Fatalf("whoami output lacks %q:\n%s", want, out)
			}
		}
		var u client.User
		decode(t, mustRun(t, env, "whoami", "--json"), &u)
		if u.ID != userID || u.Username != me.Username {
			t.Fatalf("whoami --json: %+v", u)
		}
	})

	t.Run("credential order", func(t *testing.T) {
		cases := []struct {
			name    string
			env     []string
			args    []string
			wantErr string // "" → must succeed
		}{
			{"stored", env, []string{"tokens", "list"}, ""},
			{"GATEHOUSE_TOKEN beats stored", append([]string{"GATEHOUSE_TOKEN=gth_pat_bogus"}, env...), []string{"whoami"}, "(invalid_token"},
			{"--token beats GATEHOUSE_TOKEN", append([]string{"GATEHOUSE_TOKEN=gth_pat_bogus"}, env...), []string{"whoami", "--token", session}, ""},
			{"other server has no stored credential", env, []string{"whoami", "--server", "http://127.0.0.1:1"}, "gatehouse login --server http://127.0.0.1:1"},
			{"GATEHOUSE_SERVER picks the server", append([]string{"GATEHOUSE_SERVER=" + s.url + "/"}, env...), []string{"whoami"}, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, errOut, err := runAPI(t, c.env, c.args...)
				if c.wantErr == "" {
					if err != nil {
						t.Fatalf("error %v (stderr %s)", err, errOut)
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
			})
		}
	})

	t.Run("tokens create with the stored credential", func(t *testing.T) {
		out := mustRun(t, env, "tokens", "create", "--name", "from-login", "--expires", "30d")
		pat := secretAfter(t, out, "Token")
		got, err := client.New(s.url, client.WithToken(pat)).Me(context.Background())
		if err != nil || got.ID != userID {
			t.Fatalf("the PAT made with the stored credential: %v, %v", got, err)
		}
	})

	var used []string // refresh tokens replaced by a refresh
	t.Run("refresh", func(t *testing.T) {
		cases := []struct {
			name    string
			expiry  time.Time
			refresh bool
		}{
			{"fresh token is used as is", time.Now().Add(10 * time.Minute), false},
			{"expiring within a minute", time.Now().Add(30 * time.Second), true},
			{"expired", time.Now().Add(-time.Hour), true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				setStoredExpiry(t, dir, s.url, c.expiry)
				before := readStored(t, dir, s.url)
				out := mustRun(t, env, "whoami")
				if !strings.Contains(out, me.Username) {
					t.Fatalf("whoami output:\n%s", out)
				}
				after := readStored(t, dir, s.url)
				if !c.refresh {
					if after != before {
						t.Fatal("a fresh access token was refreshed")
					}
					return
				}
				if after.RefreshToken == before.RefreshToken || after.AccessToken == before.AccessToken || !after.Expiry.After(time.Now().Add(time.Hour)) {
					t.Fatalf("not refreshed: refresh token changed %v, access token changed %v, expiry %v",
						after.RefreshToken != before.RefreshToken, after.AccessToken != before.AccessToken, after.Expiry)
				}
				used = append(used, before.RefreshToken)
			})
		}
	})

	t.Run("logout", func(t *testing.T) {
		last := readStored(t, dir, s.url).RefreshToken
		out := mustRun(t, env, "logout")
		if !strings.Contains(out, "Signed out of "+s.url) {
			t.Fatalf("logout output %q", out)
		}
		if _, err := os.Stat(filepath.Join(dir, credentialsFile)); !os.IsNotExist(err) {
			t.Fatalf("credentials.json still exists after logout: %v", err)
		}
		// Every refresh token of the sign-in is dead: the revoked one and the rotated ones.
		for i, rt := range append(used, last) {
			if status, code := refreshGrant(t, s.url, rt); status != http.StatusBadRequest || code != "invalid_grant" {
				t.Fatalf("refresh token %d of %d after logout: HTTP %d %q, want 400 invalid_grant", i+1, len(used)+1, status, code)
			}
		}
		_, _, err := runAPI(t, env, "whoami", "--server", s.url)
		if err == nil || !strings.Contains(err.Error(), "no credential") {
			t.Fatalf("whoami after logout: %v", err)
		}
		out = mustRun(t, env, "logout", "--server", s.url)
		if !strings.Contains(out, "Not signed in to "+s.url) {
			t.Fatalf("second logout output %q", out)
		}
	})
}

// TestLoginDenied checks that a denied request ends the command with an error and stores
// nothing.
func TestLoginDenied(t *testing.T) {
	s := startOAuthServer(t)
	session, _ := s.signUp(t, "deny")
	dir := t.TempDir()
	for _, k := range []string{"GATEHOUSE_SERVER", "GATEHOUSE_TOKEN", "BROWSER"} {
		t.Setenv(k, "")
	}
	t.Setenv("GATEHOUSE_CONFIG_DIR", dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := startLogin(ctx, "--server", s.url)
	decideDevice(t, s.url, session, run.userCode(t), "deny")
	err := <-run.done
	if err == nil || !strings.Contains(err.Error(), "denied") {
		t.Fatalf("login after a denial: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, credentialsFile)); !os.IsNotExist(err) {
		t.Fatalf("a denied login stored a credential: %v", err)
	}
}

// TestStoredSignInRefreshes checks concurrent refreshes (the lock lets one command rotate the
// refresh token and the others use the result: no reuse, the family stays alive) and the message
// when the stored refresh token no longer works (revoked on the server).
func TestStoredSignInRefreshes(t *testing.T) {
	s := startOAuthServer(t)
	session, _ := s.signUp(t, "revoked")
	dir := t.TempDir()
	for _, k := range []string{"GATEHOUSE_SERVER", "GATEHOUSE_TOKEN", "BROWSER"} {
		t.Setenv(k, "")
	}
	t.Setenv("GATEHOUSE_CONFIG_DIR", dir)
	env := []string{"GATEHOUSE_CONFIG_DIR=" + dir}
	login(t, s, session)

	store := &credentialStore{dir: dir}
	for round := range 2 {
		setStoredExpiry(t, dir, s.url, time.Now().Add(-time.Minute))
		before := readStored(t, dir, s.url)
		const n = 4
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tok, err := freshAccessToken(context.Background(), store, s.url, time.Now)
				if err == nil {
					_, err = client.New(s.url, client.WithToken(tok)).Me(context.Background())
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: a concurrent refresh failed: %v", round, err)
			}
		}
		if after := readStored(t, dir, s.url); after.RefreshToken == before.RefreshToken {
			t.Fatalf("round %d: not refreshed", round)
		}
	}

	c := readStored(t, dir, s.url)
	// Revoke the refresh token behind the command line's back.
	res, err := http.PostForm(s.url+"/oauth2/revoke", url.Values{"token": {c.RefreshToken}, "client_id": {cliClientID}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	setStoredExpiry(t, dir, s.url, time.Now().Add(-time.Minute))
	_, _, err = runAPI(t, env, "whoami")
	if err == nil || !strings.Contains(err.Error(), "run gatehouse login --server "+s.url) {
		t.Fatalf("whoami with a revoked sign-in: %v", err)
	}
}

// TestLoginAgainReplaces checks that signing in again to the same server replaces the stored
// sign-in and revokes the replaced one on the server, while a second server's sign-in stays.
func TestLoginAgainReplaces(t *testing.T) {
	s := startOAuthServer(t)
	other := startOAuthServer(t)
	session, _ := s.signUp(t, "again")
	otherSession, _ := other.signUp(t, "elsewhere")
	dir := t.TempDir()
	for _, k := range []string{"GATEHOUSE_SERVER", "GATEHOUSE_TOKEN", "BROWSER"} {
		t.Setenv(k, "")
	}
	t.Setenv("GATEHOUSE_CONFIG_DIR", dir)
	env := []string{"GATEHOUSE_CONFIG_DIR=" + dir}

	login(t, s, session)
	login(t, other, otherSession)
	first := readStored(t, dir, s.url)
	login(t, s, session)
	second := readStored(t, dir, s.url)
	if second.RefreshToken == first.RefreshToken {
		t.Fatal("the second login kept the first refresh token")
	}
	if status, code := refreshGrant(t, s.url, first.RefreshToken); status != http.StatusBadRequest || code != "invalid_grant" {
		t.Fatalf("the replaced refresh token: HTTP %d %q, want 400 invalid_grant", status, code)
	}
	// Two servers stored: no default any more, each is named.
	_, _, err := runAPI(t, env, "whoami")
	if err == nil || !strings.Contains(err.Error(), "gatehouse login --server "+defaultServer) {
		t.Fatalf("whoami with two stored servers and no --server: %v", err)
	}
	for _, srv := range []*apiServer{s, other} {
		setStoredExpiry(t, dir, srv.url, time.Now().Add(-time.Minute)) // force a refresh with the stored token
		if out := mustRun(t, env, "whoami", "--server", srv.url); !strings.Contains(out, "Server:     "+srv.url) {
			t.Fatalf("whoami --server %s:\n%s", srv.url, out)
		}
	}
}

// TestOpenBrowser checks that only http(s) verification URLs from the server reach the opener.
func TestOpenBrowser(t *testing.T) {
	t.Setenv("BROWSER", "true") // an opener that does nothing and succeeds
	cases := []struct {
		name string
		url  string
		ok   bool
	}{
		{"https", "https://auth.example.com/device?user_code=ABCD-EFGH", true},
		{"http loopback", "http://127.0.0.1:8080/device", true},
		{"file", "file:///etc/passwd", false},
		{"javascript", "javascript:alert(1)", false},
		{"custom scheme", "ms-settings:privacy", false},
		{"not a URL", "%zz", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := openBrowser(c.url); (err == nil) != c.ok {
				t.Fatalf("openBrowser(%q) = %v, want ok %v", c.url, err, c.ok)
			}
		})
	}
}
