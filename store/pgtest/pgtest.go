// Package pgtest gives tests a PostgreSQL of their own: the server named by
// GATEHOUSE_TEST_POSTGRES_URL and, per test, a fresh schema that is dropped when the test ends.
// It is test support (it imports testing), used by the tests of every package that runs against
// PostgreSQL, so that they all create, name and drop schemas the same way.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// EnvURL is the environment variable that names the test server, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvURL = "GATEHOUSE_TEST_POSTGRES_URL"

// ServerURL returns the test server's URL, or "" when EnvURL is not set.
func ServerURL() string { return os.Getenv(EnvURL) }

// RequireServer returns the test server's URL and skips the test, with a message that says how
// to run it, when EnvURL is not set.
func RequireServer(tb testing.TB) string {
	tb.Helper()
	u := ServerURL()
	if u == "" {
		tb.Skip(EnvURL + " is not set: skipping the PostgreSQL tests " +
			"(set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return u
}

// FreshSchema creates a schema with a random name (prefix, then 16 hex digits) on the test
// server (skipping when there is none), drops it with CASCADE when the test ends, and returns
// the server URL with search_path set to it: pgx sends unknown URL parameters as runtime
// parameters, so every connection of a pool opened on it uses the schema.
func FreshSchema(tb testing.TB, prefix string) string {
	tb.Helper()
	base := RequireServer(tb)
	ctx := context.Background()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	schema := prefix + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to %s: %v", EnvURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("connect to drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s must be a URL: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
