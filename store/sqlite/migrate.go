package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse/store/internal/migration"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations returns the embedded migrations in version order.
func migrations() ([]migration.File, error) {
	files, err := migration.Load(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return files, nil
}

// Migrate applies the pending migrations to the database at path (creating the file if needed)
// and returns the names of those it applied, in order; none when the schema is current. It is
// what `gatehouse migrate` runs; Open does the same on its own.
func Migrate(ctx context.Context, path string, opts ...Option) ([]string, error) {
	w, err := openWriter(ctx, path, newOptions(opts))
	if err != nil {
		return nil, err
	}
	applied, err := migrate(ctx, w)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("sqlite: close: %w", cerr)
	}
	return applied, err
}

// migrate applies the pending migrations on the writer w, each in its own transaction together
// with its row in schema_migrations. The transactions are BEGIN IMMEDIATE, so two processes that
// start at once apply each migration exactly once.
func migrate(ctx context.Context, w *sql.DB) ([]string, error) {
	all, err := migrations()
	if err != nil {
		return nil, err
	}
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`
	if _, err := w.ExecContext(ctx, create); err != nil {
		return nil, fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	applied := []string{}
	for _, m := range all {
		done, err := applyMigration(ctx, w, m)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}

// applyMigration applies m unless it is recorded already; it reports whether it applied it.
func applyMigration(ctx context.Context, w *sql.DB, m migration.File) (bool, error) {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return false, fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UnixMilli()); err != nil {
		return false, fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	return true, nil
}
