package app

import (
	"context"
	"fmt"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/config"
	"github.com/gatehouse-auth/gatehouse/store/credcache"
	"github.com/gatehouse-auth/gatehouse/store/postgres"
	"github.com/gatehouse-auth/gatehouse/store/sqlite"
)

// OpenStore opens the database cfg names and applies pending migrations.
func OpenStore(ctx context.Context, cfg *config.Config) (gatehouse.Store, error) {
	kind, dsn := cfg.DatabaseKind()
	switch kind {
	case "sqlite":
		s, err := sqlite.Open(ctx, dsn)
		if err != nil {
			return nil, fmt.Errorf("open SQLite database %s: %w", dsn, err)
		}
		if !cfg.CredentialCache {
			return s, nil
		}
		feed, err := s.ChangeFeed()
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("open SQLite change feed: %w", err)
		}
		return credcache.New(s, feed, credcache.Options{}), nil // its Close closes feed and s
	case "postgres":
		s, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL database: %w", err)
		}
		if !cfg.CredentialCache {
			return s, nil
		}
		return credcache.New(s, s.ChangeFeed(ctx), credcache.Options{}), nil // its Close closes both
	}
	return nil, fmt.Errorf("unsupported database kind %q", kind)
}

// Migrate applies the pending migrations of the database cfg names and returns their names.
func Migrate(ctx context.Context, cfg *config.Config) ([]string, error) {
	kind, dsn := cfg.DatabaseKind()
	switch kind {
	case "sqlite":
		return sqlite.Migrate(ctx, dsn)
	case "postgres":
		return postgres.Migrate(ctx, dsn)
	}
	return nil, fmt.Errorf("unsupported database kind %q", kind)
}
