package sqlstore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/pgtest"
	"github.com/gatehouse-auth/gatehouse/store/storetest"
)

// openSQLiteTemp opens a SQLite store on a new file in t's temporary folder.
func openSQLiteTemp(t testing.TB, opts ...SQLiteOption) *Store {
	t.Helper()
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "gatehouse.db"), opts...)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	return s
}

// openPostgresTemp opens a PostgreSQL store on a fresh schema (skipping without a server).
func openPostgresTemp(t testing.TB) *Store {
	t.Helper()
	s, err := OpenPostgres(context.Background(), pgtest.FreshSchema(t, "sqlstore_"))
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	return s
}

func TestConformanceSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) gatehouse.Store { return openSQLiteTemp(t) })
}

func TestConformancePostgres(t *testing.T) {
	pgtest.RequireServer(t)
	storetest.Run(t, func(t *testing.T) gatehouse.Store { return openPostgresTemp(t) })
}
