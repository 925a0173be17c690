package postgres

import (
	"context"

	"github.com/gatehouse-auth/gatehouse/store/sqlstore"
)

// Store is the store on a PostgreSQL database.
type Store = sqlstore.Store

// Open connects to the database at url and applies pending migrations under an advisory lock:
// sqlstore.OpenPostgres.
func Open(ctx context.Context, url string) (*Store, error) { return sqlstore.OpenPostgres(ctx, url) }

// Migrate applies the pending migrations to the database at url: sqlstore.MigratePostgres.
func Migrate(ctx context.Context, url string) ([]string, error) {
	return sqlstore.MigratePostgres(ctx, url)
}
