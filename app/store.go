package app

import (
	"context"
	"fmt"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/config"
	"github.com/gatehouse-auth/gatehouse/store/sqlstore"
)

// OpenStore opens the database cfg names and applies pending migrations. With the credential
// cache on (the default) it returns CachedStore over it.
func OpenStore(ctx context.Context, cfg *config.Config) (gatehouse.Store, error) {
	kind, dsn := cfg.DatabaseKind()
	var s *sqlstore.Store
	var err error
	switch kind {
	case "sqlite":
		if s, err = sqlstore.OpenSQLite(ctx, dsn); err != nil {
			return nil, fmt.Errorf("open SQLite database %s: %w", dsn, err)
		}
	case "postgres":
		if s, err = sqlstore.OpenPostgres(ctx, dsn); err != nil {
			return nil, fmt.Errorf("open PostgreSQL database: %w", err)
		}
	default:
		return nil, fmt.Errorf("unsupported database kind %q", kind)
	}
	if !cfg.CredentialCache {
		return s, nil
	}
	c, err := NewCachedStore(ctx, s)
	if err != nil {
		s.Close()
		return nil, err
	}
	return c, nil
}

// Migrate applies the pending migrations of the database cfg names and returns their names.
func Migrate(ctx context.Context, cfg *config.Config) ([]string, error) {
	kind, dsn := cfg.DatabaseKind()
	switch kind {
	case "sqlite":
		return sqlstore.MigrateSQLite(ctx, dsn)
	case "postgres":
		return sqlstore.MigratePostgres(ctx, dsn)
	}
	return nil, fmt.Errorf("unsupported database kind %q", kind)
}
