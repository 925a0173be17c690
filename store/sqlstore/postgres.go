package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"strconv"

	"github.com/gatehouse-auth/gatehouse/store/internal/migration"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// postgresDialect binds timestamptz values and text[] lists and locks the rows a
// read-modify-write transaction reads (FOR UPDATE).
var postgresDialect = &dialect{name: "postgres", locks: true, classify: classifyPostgres}

// MigrationLockKey is the pg_advisory_lock key held while migrations are applied (the bytes of
// "gatehous" read as a big-endian int64). Every Gatehouse instance uses the same key, whatever
// its schema, so migrations of one database never run twice at once.
const MigrationLockKey int64 = 0x6761746568_6f7573

// OpenPostgres connects to the database at url (a postgres:// URL or key=value string as pgx
// accepts, including runtime parameters such as search_path, and pool_max_conns: the size of
// the pool) and applies any pending migrations under an advisory lock, so several instances
// may start at once.
func OpenPostgres(ctx context.Context, url string) (*Store, error) {
	db, err := openPostgresDB(ctx, url)
	if err != nil {
		return nil, err
	}
	if _, err := migratePostgres(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{d: postgresDialect, w: db, r: db, pgURL: url}, nil
}

// MigratePostgres applies the pending migrations to the database at url and returns the names
// of those it applied, in order; none when the schema is current. It is what `gatehouse
// migrate` runs; OpenPostgres does the same on its own.
func MigratePostgres(ctx context.Context, url string) ([]string, error) {
	db, err := openPostgresDB(ctx, url)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return migratePostgres(ctx, db)
}

// defaultMaxConns is the pool size when the URL sets no pool_max_conns: max(4, CPUs), the
// usual default, keeps too few connections for a server whose requests each hold one for a
// transaction with a synchronous commit (a refresh-token rotation): the refresh benchmark went
// from ~1,700/s at 4 connections to ~2,100/s at 16 on two cores (docs/benchmarks.md). Operators
// with many instances size it against PostgreSQL's max_connections with pool_max_conns.
func defaultMaxConns() int { return max(16, 4*runtime.GOMAXPROCS(0)) }

// postgresConfig parses url into pgx's connection config and the pool size (pool_max_conns,
// taken out of the runtime parameters).
func postgresConfig(url string) (*pgx.ConnConfig, int, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx redacts the password in the message, but the error keeps the URL: text only.
		return nil, 0, fmt.Errorf("postgres: %s", err.Error())
	}
	conns := defaultMaxConns()
	if v, ok := cfg.RuntimeParams["pool_max_conns"]; ok {
		delete(cfg.RuntimeParams, "pool_max_conns")
		if conns, err = strconv.Atoi(v); err != nil || conns < 1 {
			return nil, 0, fmt.Errorf("postgres: pool_max_conns %q: want a positive number", v)
		}
	}
	return cfg, conns, nil
}

// openPostgresDB connects through pgx's database/sql driver.
func openPostgresDB(ctx context.Context, url string) (*sql.DB, error) {
	cfg, conns, err := postgresConfig(url)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return db, nil
}

// migratePostgres applies the pending migrations while holding the session-level advisory
// lock MigrationLockKey on one connection. Each migration runs in its own transaction together
// with its row in schema_migrations, in the first schema of the search_path.
func migratePostgres(ctx context.Context, db *sql.DB) (applied []string, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, MigrationLockKey); err != nil {
		return nil, fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	defer func() {
		// Without the unlock the lock would live as long as the pooled connection: drop it.
		if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, MigrationLockKey); uerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return nil, fmt.Errorf("postgres: create schema_migrations: %w", err)
	}
	return applyMigrations(ctx, "postgres", conn, func(tx *sql.Tx, m migration.File) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
		return err
	})
}

// SQLSTATE codes the store maps (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const (
	uniqueViolation      = "23505"
	foreignKeyViolation  = "23503"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
	lockNotAvailable     = "55P03"
	tooManyConnections   = "53300"
	cannotConnectNow     = "57P03"
)

// classifyPostgres sorts a server error by its SQLSTATE.
func classifyPostgres(err error) (errClass, string) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return errOther, ""
	}
	switch pe.Code {
	case uniqueViolation:
		return errUnique, pe.ConstraintName
	case foreignKeyViolation:
		return errForeignKey, ""
	case serializationFailure, deadlockDetected, lockNotAvailable, tooManyConnections, cannotConnectNow:
		return errTransient, ""
	}
	return errOther, ""
}
