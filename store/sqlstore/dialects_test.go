package sqlstore

import (
	"context"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/pgtest"
	"github.com/gatehouse-auth/gatehouse/store/storetest"
)

// testDialect is one database for the tests every dialect must pass alike.
type testDialect struct {
	name    string
	fresh   func(t *testing.T) string // a new, empty database: a file path or a schema's URL
	open    func(ctx context.Context, dsn string) (*Store, error)
	migrate func(ctx context.Context, dsn string) ([]string, error)
}

var testDialects = []testDialect{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "gatehouse.db") },
		func(ctx context.Context, dsn string) (*Store, error) { return OpenSQLite(ctx, dsn) },
		func(ctx context.Context, dsn string) ([]string, error) { return MigrateSQLite(ctx, dsn) }},
	{"postgres", func(t *testing.T) string { return pgtest.FreshSchema(t, "gatehouse_test_") },
		OpenPostgres, MigratePostgres},
}

// eachTestDialect runs fn for each dialect (PostgreSQL skipped without a server).
func eachTestDialect(t *testing.T, fn func(t *testing.T, d testDialect)) {
	for _, d := range testDialects {
		t.Run(d.name, func(t *testing.T) { fn(t, d) })
	}
}

func TestShared(t *testing.T) {
	eachTestDialect(t, func(t *testing.T, d testDialect) {
		storetest.RunShared(t, func(t *testing.T) storetest.Opener {
			dsn := d.fresh(t)
			return func(t *testing.T) gatehouse.Store {
				s, err := d.open(t.Context(), dsn)
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				return s
			}
		})
	})
}

// TestOpenConcurrentlyOnAFreshDatabase: instances starting together on a new database apply
// each migration once.
func TestOpenConcurrentlyOnAFreshDatabase(t *testing.T) {
	eachTestDialect(t, func(t *testing.T, d testDialect) {
		dsn := d.fresh(t)
		const n = 4
		stores := make([]*Store, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				stores[i], errs[i] = d.open(t.Context(), dsn)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("open %d: %v", i, err)
			}
			defer stores[i].Close()
		}
		all, err := migrations(d.name)
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
	})
}

// TestMigrate: the migrations are numbered from 1 without gaps, alike on both databases; a
// fresh database gets them all, a second run none, and the store opens after.
func TestMigrate(t *testing.T) {
	var names [2][]string
	for i, d := range testDialects {
		all, err := migrations(d.name)
		if err != nil {
			t.Fatal(err)
		}
		for v, m := range all {
			if m.Version != v+1 {
				t.Fatalf("%s migration %s has version %d, want %d (numbered from 1 without gaps)", d.name, m.Name, m.Version, v+1)
			}
			names[i] = append(names[i], m.Name)
		}
	}
	if !reflect.DeepEqual(names[0], names[1]) {
		t.Fatalf("the dialects' migrations differ: %v and %v", names[0], names[1])
	}
	eachTestDialect(t, func(t *testing.T, d testDialect) {
		ctx := t.Context()
		dsn := d.fresh(t)
		steps := []struct {
			name string
			want []string
		}{
			{"fresh database gets every migration", names[0]},
			{"second run applies nothing", []string{}},
		}
		for _, st := range steps {
			applied, err := d.migrate(ctx, dsn)
			if err != nil {
				t.Fatalf("%s: migrate: %v", st.name, err)
			}
			if !reflect.DeepEqual(applied, st.want) {
				t.Fatalf("%s: applied %v, want %v", st.name, applied, st.want)
			}
		}
		s, err := d.open(ctx, dsn)
		if err != nil {
			t.Fatalf("open after migrate: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	})
}
