package keys_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/pgtest"
	"github.com/gatehouse-auth/gatehouse/store/sqlstore"
)

// opener opens a fresh, empty store; calling it twice in one test gives two connections to the
// same database (two instances).
type opener func(t *testing.T) gatehouse.SigningKeyStore

// eachStore runs fn on a real SQLite file, and on PostgreSQL (a fresh schema) when
// GATEHOUSE_TEST_POSTGRES_URL is set.
func eachStore(t *testing.T, fn func(t *testing.T, open opener)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "gatehouse.db")
		fn(t, func(t *testing.T) gatehouse.SigningKeyStore {
			s, err := sqlstore.OpenSQLite(context.Background(), path)
			if err != nil {
				t.Fatalf("open SQLite: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("GATEHOUSE_TEST_POSTGRES_URL")
		if base == "" {
			t.Skip("GATEHOUSE_TEST_POSTGRES_URL is not set: PostgreSQL not tested")
		}
		url := pgtest.FreshSchema(t, "keys_")
		fn(t, func(t *testing.T) gatehouse.SigningKeyStore {
			s, err := sqlstore.OpenPostgres(context.Background(), url)
			if err != nil {
				t.Fatalf("open PostgreSQL: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
