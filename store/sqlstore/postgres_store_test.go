package sqlstore

import (
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/store/pgtest"
)

// TestMigrationLockReleased: once OpenPostgres has returned, no connection of its pool still
// holds MigrationLockKey (a session-level lock left on a pooled connection would block every
// later instance). Only the store's own connections are asked: other tests may be migrating
// other schemas at this moment.
func TestMigrationLockReleased(t *testing.T) {
	ctx := t.Context()
	dbURL := pgtest.FreshSchema(t, "gatehouse_test_")
	s, err := OpenPostgres(ctx, dbURL)
	if err != nil {
		t.Fatalf("Open after Migrate: %v", err)
	}
	idle := s.w.Stats().Idle
	if idle == 0 {
		t.Fatal("the pool has no idle connection to ask")
	}
	for range idle { // each Conn takes an idle connection first; all are held until the end
		c, err := s.w.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var held bool
		err = c.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
			AND pid = pg_backend_pid() AND ((classid::bigint << 32) | objid::bigint) = $1)`, MigrationLockKey).Scan(&held)
		if err != nil {
			t.Fatal(err)
		}
		if held {
			t.Errorf("a pooled connection still holds the migration lock after Open returned")
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	cases := []struct {
		name string
		url  string
	}{
		{"not a URL", "postgres://%zz"},
		{"nobody listening", "postgres://postgres:secret-pw@127.0.0.1:1/test?sslmode=disable&connect_timeout=2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := OpenPostgres(t.Context(), c.url)
			if err == nil {
				s.Close()
				t.Fatalf("Open succeeded, want an error")
			}
			if strings.Contains(err.Error(), "secret-pw") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

func TestCloseTwicePostgres(t *testing.T) {
	s := openPostgresTemp(t)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestPoolSize: without pool_max_conns the pool holds defaultMaxConns connections at most (more
// than the usual default of max(4, CPUs)); a pool_max_conns in the URL wins, and is not sent to
// the server as a runtime parameter (the store would not open).
func TestPoolSize(t *testing.T) {
	base := pgtest.FreshSchema(t, "gatehouse_test_")
	cases := []struct {
		name string
		url  string
		want int
	}{
		{"default", base, defaultMaxConns()},
		{"pool_max_conns in the URL", base + "&pool_max_conns=3", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := OpenPostgres(t.Context(), c.url)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := s.w.Stats().MaxOpenConnections; got != c.want {
				t.Fatalf("MaxConns = %d, want %d", got, c.want)
			}
		})
	}
	if defaultMaxConns() < 16 {
		t.Fatalf("defaultMaxConns() = %d, want at least 16", defaultMaxConns())
	}
}
