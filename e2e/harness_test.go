package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/config"
	"github.com/gatehouse-auth/gatehouse/store/pgtest"
)

// backend is a database the server can run on.
type backend struct {
	name  string
	dbURL func(t *testing.T) string
}

// backends lists SQLite always and PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL is set.
func backends() []backend {
	bs := []backend{{"sqlite", func(t *testing.T) string {
		return "sqlite://" + filepath.Join(t.TempDir(), "gatehouse.db")
	}}}
	if os.Getenv("GATEHOUSE_TEST_POSTGRES_URL") != "" {
		bs = append(bs, backend{"postgres", freshPostgresSchema})
	}
	return bs
}

// eachBackend runs fn as a subtest per backend.
func eachBackend(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Helper()
	if os.Getenv("GATEHOUSE_TEST_POSTGRES_URL") == "" {
		t.Log("GATEHOUSE_TEST_POSTGRES_URL is not set: running on SQLite only")
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { fn(t, b.dbURL(t)) })
	}
}

// freshPostgresSchema creates an empty schema for one test and returns a URL that uses it.
func freshPostgresSchema(t *testing.T) string {
	t.Helper()
	return pgtest.FreshSchema(t, "e2e_")
}

// server is a running Gatehouse for one test.
type server struct {
	t       *testing.T
	m       *app.Main
	base    string
	logs    *lockedWriter
	answers answerCheck // openapi_test.go: every answer checked against /openapi.json
}

// logText is everything the server logged so far.
func (s *server) logText() string {
	s.logs.mu.Lock()
	defer s.logs.mu.Unlock()
	return s.logs.buf.String()
}

// testConfig is the configuration tests start from: defaults, port 0, the given database, a
// rate limit high enough not to interfere unless a test lowers it.
func testConfig(dbURL string) *config.Config {
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DatabaseURL = dbURL
	rate, _ := gatehouseRate("1000/m")
	cfg.AuthRateLimit = rate
	cfg.PasswordHashWorkers = 2
	return &cfg
}

// start runs a server on dbURL; configure may adjust the config first.
func start(t *testing.T, dbURL string, configure func(*config.Config)) *server {
	t.Helper()
	cfg := testConfig(dbURL)
	cfg.MailOutboxDir = filepath.Join(t.TempDir(), "dev-outbox") // never the source tree
	if configure != nil {
		configure(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config invalid: %v", err)
	}
	logs := &lockedWriter{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	m := app.New(cfg, log)
	if err := m.Start(context.Background()); err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	return &server{t: t, m: m, base: m.URL(), logs: logs}
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("response is not a JSON object (status %d): %v: %s", r.status, err, r.body)
	}
	return v
}

// errorCode returns the "error" field of a JSON error body.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	s, _ := r.json(t)["error"].(string)
	return s
}

// do sends a request with an optional JSON body and bearer token.
func (s *server) do(method, path, bearer string, body any, headers ...string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return s.send(http.DefaultClient, req)
}

func (s *server) send(c *http.Client, req *http.Request) response {
	s.t.Helper()
	res, err := c.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	s.checkAnswer(req, res, b)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// mustStatus fails the test unless r has the wanted status.
func mustStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body: %s", r.status, want, r.body)
	}
}

// register makes an account and returns its session token and user ID.
func (s *server) register(username, password, email string) (token, userID string) {
	s.t.Helper()
	r := s.do("POST", "/v1/auth/register", "", map[string]string{"username": username, "password": password, "email": email})
	mustStatus(s.t, r, http.StatusCreated)
	v := r.json(s.t)
	user, _ := v["user"].(map[string]any)
	return v["token"].(string), user["id"].(string)
}

// browser returns an HTTP client with a cookie jar that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
