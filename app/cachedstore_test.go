package app

import (
	"path/filepath"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/pgtest"
	"github.com/gatehouse-auth/gatehouse/store/sqlstore"
	"github.com/gatehouse-auth/gatehouse/store/storetest"
)

// openCached is what OpenStore returns with the cache on, over the store open returns.
func openCached(t *testing.T, open func() (*sqlstore.Store, error)) gatehouse.Store {
	t.Helper()
	s, err := open()
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	c, err := NewCachedStore(t.Context(), s)
	if err != nil {
		s.Close()
		t.Fatalf("NewCachedStore: %v", err)
	}
	return c
}

// TestCachedStoreConformance runs the conformance suite over the store that ships by default,
// the cache over the SQL store, on both databases: every lookup the suite makes after a write of
// its own must see that write, through the cache.
func TestCachedStoreConformance(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) gatehouse.Store {
			path := filepath.Join(t.TempDir(), "cached.db")
			return openCached(t, func() (*sqlstore.Store, error) { return sqlstore.OpenSQLite(t.Context(), path) })
		})
	})
	t.Run("postgres", func(t *testing.T) {
		pgtest.RequireServer(t)
		storetest.Run(t, func(t *testing.T) gatehouse.Store {
			url := pgtest.FreshSchema(t, "cached_")
			return openCached(t, func() (*sqlstore.Store, error) { return sqlstore.OpenPostgres(t.Context(), url) })
		})
	})
}

// TestCachedStoreShared runs the checks of several instances over one database with a cache
// in each, on SQLite, whose change feed sees every other process's commit before it returns
// (PostgreSQL's arrives asynchronously: store/credcache's doc and the e2e second-instance tests
// state and check that window).
func TestCachedStoreShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "shared.db")
		return func(t *testing.T) gatehouse.Store {
			return openCached(t, func() (*sqlstore.Store, error) { return sqlstore.OpenSQLite(t.Context(), path) })
		}
	})
}
