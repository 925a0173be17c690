package sqlstore

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/postgres/pgtest"
	"github.com/gatehouse-auth/gatehouse/store/storetest"
)

// serverURL returns GATEHOUSE_TEST_POSTGRES_URL or skips the test.
func serverURL(t testing.TB) string {
	t.Helper()
	return pgtest.RequireServer(t)
}

// openFresh opens a store on a new schema.
func openFresh(t testing.TB) *Store {
	t.Helper()
	s, err := OpenPostgres(context.Background(), pgtest.FreshSchema(t, "gatehouse_test_"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestSharedPostgres(t *testing.T) {
	serverURL(t)
	storetest.RunShared(t, func(t *testing.T) storetest.Opener {
		dbURL := pgtest.FreshSchema(t, "gatehouse_test_")
		return func(t *testing.T) gatehouse.Store {
			s, err := OpenPostgres(t.Context(), dbURL)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return s
		}
	})
}

func TestOpenConcurrentlyOnFreshSchema(t *testing.T) {
	dbURL := pgtest.FreshSchema(t, "gatehouse_test_")
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = OpenPostgres(t.Context(), dbURL)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	all, err := migrations("postgres")
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := stores[0].r.QueryRowContext(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(all) {
		t.Fatalf("schema_migrations has %d rows, want %d (each migration applied once)", rows, len(all))
	}
}

func TestMigratePostgres(t *testing.T) {
	ctx := t.Context()
	dbURL := pgtest.FreshSchema(t, "gatehouse_test_")
	all, err := migrations("postgres")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, m := range all {
		if m.Version != i+1 {
			t.Fatalf("migration %s has version %d, want %d (numbered from 1 without gaps)", m.Name, m.Version, i+1)
		}
		names = append(names, m.Name)
	}
	steps := []struct {
		name string
		want []string
	}{
		{"fresh schema gets every migration", names},
		{"second run applies nothing", []string{}},
	}
	for _, st := range steps {
		applied, err := MigratePostgres(ctx, dbURL)
		if err != nil {
			t.Fatalf("%s: Migrate: %v", st.name, err)
		}
		if !reflect.DeepEqual(applied, st.want) {
			t.Fatalf("%s: applied %v, want %v", st.name, applied, st.want)
		}
	}
	s, err := OpenPostgres(ctx, dbURL)
	if err != nil {
		t.Fatalf("Open after Migrate: %v", err)
	}
	// The lock is released: no connection of the store's pool still holds MigrationLockKey (a
	// session-level lock left on a pooled connection would block every later instance). Only our
	// own connections are asked: other tests may be migrating other schemas at this moment.
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
	s := openFresh(t)
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
