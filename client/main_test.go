package client_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/client"
	"github.com/gatehouse-auth/gatehouse/config"
)

// testPassword is the password of every account the tests make.
const testPassword = "correct horse battery staple"

// gh is the real Gatehouse the tests and examples run against: a server on a SQLite file, an
// instance administrator, an organization of that administrator and an API key of it holding
// gatehouse:verify.
var gh struct {
	m        *app.Main
	url      string
	admin    *client.Client
	orgID    string
	verifier *client.Client // authenticates with the gatehouse:verify API key
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "gatehouse-client-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DatabaseURL = "sqlite://" + filepath.Join(dir, "gatehouse.db")
	cfg.PasswordHashWorkers = 2
	cfg.AuthRateLimit = gatehouse.Rate{Limit: 10000, Period: time.Minute} // tests sign up many accounts from one address
	gh.m = app.New(&cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	if err := gh.m.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "start gatehouse:", err)
		return 1
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = gh.m.Close(cctx)
	}()
	gh.url = gh.m.URL()
	if err := bootstrap(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "bootstrap:", err)
		return 1
	}
	return m.Run()
}

// bootstrap makes the administrator, its organization and the verifier key.
func bootstrap(ctx context.Context) error {
	admin, s, err := newUser(ctx, "root")
	if err != nil {
		return err
	}
	yes := true
	if _, err := gh.m.Store.UpdateUser(ctx, s.User.ID, gatehouse.UserUpdate{IsAdmin: &yes, UpdatedAt: time.Now()}); err != nil {
		return fmt.Errorf("make the administrator: %w", err)
	}
	gh.admin = admin
	org, err := admin.CreateOrg(ctx, "Resource servers")
	if err != nil {
		return err
	}
	gh.orgID = org.ID
	key, err := admin.CreateAPIKey(ctx, org.ID, client.CreateAPIKeyRequest{
		Name: "verifier", Scopes: []string{"gatehouse:verify"}, Environment: client.EnvironmentLive,
	})
	if err != nil {
		return fmt.Errorf("create the verifier key: %w", err)
	}
	gh.verifier = client.New(gh.url, client.WithToken(key.Key))
	baseURL, verifyKey = gh.url, key.Key
	return nil
}

// baseURL and verifyKey are what the examples use: the server's URL and an API key holding
// gatehouse:verify.
var baseURL, verifyKey string

var userSeq atomic.Int64

// uniqueName returns prefix with a number no other account of this process has.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, userSeq.Add(1))
}

// newUser registers an account and returns a client signed in as it.
func newUser(ctx context.Context, prefix string) (*client.Client, *client.Session, error) {
	s, err := client.New(gh.url).Register(ctx, client.RegisterRequest{Username: uniqueName(prefix), Password: testPassword})
	if err != nil {
		return nil, nil, fmt.Errorf("register: %w", err)
	}
	return client.New(gh.url, client.WithToken(s.Token)), s, nil
}

// signedIn is newUser for tests.
func signedIn(t *testing.T, prefix string) (*client.Client, *client.Session) {
	t.Helper()
	c, s, err := newUser(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}
