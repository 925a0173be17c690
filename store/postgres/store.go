package postgres

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is a gatehouse.Store on PostgreSQL through a pgx connection pool. It is safe for
// concurrent use, and any number of Stores (in any number of processes) may share a database.
type Store struct {
	pool      *pgxpool.Pool
	closeOnce sync.Once
}

var _ gatehouse.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or key=value string as pgx accepts,
// including pool_max_conns and runtime parameters such as search_path) and applies any pending
// migrations under an advisory lock, so several instances may start at once.
func Open(ctx context.Context, url string) (*Store, error) {
	pool, err := newPool(ctx, url)
	if err != nil {
		return nil, err
	}
	if _, err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool}, nil
}

// defaultMaxConns is the pool size when the URL sets no pool_max_conns: pgxpool's own default,
// max(4, CPUs), keeps too few connections for a server whose requests each hold one for a
// transaction with a synchronous commit (a refresh-token rotation): the refresh benchmark went
// from ~1,700/s at 4 connections to ~2,100/s at 16 on two cores (docs/benchmarks.md). Operators
// with many instances size it against PostgreSQL's max_connections with pool_max_conns.
func defaultMaxConns() int32 { return int32(max(16, 4*runtime.GOMAXPROCS(0))) }

// newPool parses url and connects.
func newPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx redacts the password in the message, but the error keeps the URL: text only.
		return nil, fmt.Errorf("postgres: %s", err.Error())
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return pool, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be returned. It is safe to call more
// than once.
func (s *Store) Close() error {
	s.closeOnce.Do(s.pool.Close)
	return nil
}

// querier is a *pgxpool.Pool or a pgx.Tx.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// inTx runs fn in a transaction and commits it when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return mapError(err, "begin")
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return mapError(err, "commit")
	}
	return nil
}

// ts returns t as the store writes it: record.Time (UTC, truncated to the millisecond).
func ts(t time.Time) time.Time { return record.Time(t) }

// ceilTS is the smallest stored time not before t (for inclusive lower bounds and exclusive
// upper bounds on stored times).
func ceilTS(t time.Time) time.Time {
	c := ts(t)
	if c.Before(t) {
		c = c.Add(time.Millisecond)
	}
	return c
}

// tsPtr returns an optional time as the store writes it.
func tsPtr(t *time.Time) *time.Time { return record.TimePtr(t) }

// zeroAsNil is t as an optional time: nil when zero (for columns where NULL means never).
func zeroAsNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := ts(t)
	return &v
}

// utcPtr converts an optional time read from the database to UTC.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// orNow returns t, or the current time when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}
