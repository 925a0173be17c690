package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse/store/internal/migration"
)

// The migrations of each dialect, numbered alike: migrations/<dialect>/NNNN_name.sql.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// migrations returns the embedded migrations of the dialect in version order.
func migrations(dialect string) ([]migration.File, error) {
	files, err := migration.Load(migrationFiles, "migrations/"+dialect+"/*.sql")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dialect, err)
	}
	return files, nil
}

// migrateSQLite applies the pending migrations on the writer w, each in its own transaction
// together with its row in schema_migrations (version, name, applied_at in Unix milliseconds).
// The transactions are BEGIN IMMEDIATE, so two processes that start at once apply each
// migration exactly once.
func migrateSQLite(ctx context.Context, w *sql.DB) ([]string, error) {
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`
	if _, err := w.ExecContext(ctx, create); err != nil {
		return nil, fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	return applyMigrations(ctx, "sqlite", w, func(tx *sql.Tx, m migration.File) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.Version, m.Name, time.Now().UnixMilli())
		return err
	})
}

// beginner is a *sql.DB or a *sql.Conn.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// applyMigrations applies each migration of the dialect not yet recorded in
// schema_migrations, in its own transaction together with its row (written by record).
func applyMigrations(ctx context.Context, dialect string, db beginner, record func(*sql.Tx, migration.File) error) ([]string, error) {
	all, err := migrations(dialect)
	if err != nil {
		return nil, err
	}
	applied := []string{}
	for _, m := range all {
		done, err := applyMigration(ctx, db, m, record)
		if err != nil {
			return applied, fmt.Errorf("%s: migration %s: %w", dialect, m.Name, err)
		}
		if done {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}

// applyMigration applies m unless it is recorded already; it reports whether it applied it.
func applyMigration(ctx context.Context, db beginner, m migration.File, record func(*sql.Tx, migration.File) error) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	// No arguments: PostgreSQL runs it with the simple protocol, which takes several statements.
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	if err := record(tx, m); err != nil {
		return false, err
	}
	return true, tx.Commit()
}
