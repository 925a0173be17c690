package sqlite

import (
	"context"

	"github.com/gatehouse-auth/gatehouse/store/sqlstore"
)

// Store is the store on a SQLite file.
type Store = sqlstore.Store

// Option changes how Open connects (sqlstore.WithReadConns, sqlstore.WithBusyTimeout).
type Option = sqlstore.SQLiteOption

// Open opens (creating it if needed) the SQLite database at path and applies pending
// migrations: sqlstore.OpenSQLite.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	return sqlstore.OpenSQLite(ctx, path, opts...)
}

// Migrate applies the pending migrations to the database at path: sqlstore.MigrateSQLite.
func Migrate(ctx context.Context, path string, opts ...Option) ([]string, error) {
	return sqlstore.MigrateSQLite(ctx, path, opts...)
}
