package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-auth/gatehouse/store/internal/migration"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// MigrationLockKey is the pg_advisory_lock key held while migrations are applied (the bytes of
// "gatehous" read as a big-endian int64). Every Gatehouse instance uses the same key, whatever
// its schema, so migrations of one database never run twice at once.
const MigrationLockKey int64 = 0x6761746568_6f7573

// migrations returns the embedded migrations in version order.
func migrations() ([]migration.File, error) {
	files, err := migration.Load(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return files, nil
}

// Migrate applies the pending migrations to the database at url and returns the names of those
// it applied, in order; none when the schema is current. It is what `gatehouse migrate` runs;
// Open does the same on its own.
func Migrate(ctx context.Context, url string) ([]string, error) {
	pool, err := newPool(ctx, url)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	return migrate(ctx, pool)
}

// migrate applies the pending migrations while holding the session-level advisory lock
// MigrationLockKey on one connection. Each migration runs in its own transaction together with
// its row in schema_migrations, in the first schema of the search_path.
func migrate(ctx context.Context, pool *pgxpool.Pool) (applied []string, err error) {
	all, err := migrations()
	if err != nil {
		return nil, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, MigrationLockKey); err != nil {
		return nil, fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	defer func() {
		// Without the unlock the lock would live as long as the pooled connection: close it.
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, MigrationLockKey); uerr != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`
	if _, err := conn.Exec(ctx, create); err != nil {
		return nil, fmt.Errorf("postgres: create schema_migrations: %w", err)
	}
	done := map[int]bool{}
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	for _, v := range versions {
		done[v] = true
	}
	applied = []string{}
	for _, m := range all {
		if done[m.Version] {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// No arguments: the simple protocol, which runs a file of several statements.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
		applied = append(applied, m.Name)
	}
	return applied, nil
}
