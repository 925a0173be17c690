package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// Store is a gatehouse.Store on SQLite or PostgreSQL through database/sql. It is safe for
// concurrent use. OpenSQLite and OpenPostgres make one.
type Store struct {
	d *dialect
	w *sql.DB // writes: SQLite's one writer connection; PostgreSQL's pool
	r *sql.DB // reads: SQLite's query_only pool; PostgreSQL's pool (the same as w)

	// writes counts the write statements and transactions that have finished (whatever their
	// outcome); see Writes.
	writes atomic.Uint64

	sqlite *sqliteParts // SQLite only: lookup pool, group commit, file (sqlite.go)
	pgURL  string       // PostgreSQL only: the URL, for the change feed's own connection

	closeOnce sync.Once
	closeErr  error
}

var _ gatehouse.Store = (*Store)(nil)

// Writes returns the number of write statements and write transactions of this Store that
// have finished, committed or not. Every write of the store goes through exec or inTx
// (writes.go), which move it once the statement or the commit has returned, before the write's
// caller gets its answer: a reader that reads Writes before a lookup and finds it unchanged
// after knows that no write of this Store finished in between. store/credcache keys its
// entries with it.
func (s *Store) Writes() uint64 { return s.writes.Load() }

// Dialect names the database: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.read().row(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		return s.d.wrap(err, "ping")
	}
	return nil
}

// Close closes the store's connections. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.sqlite != nil {
			s.sqlite.close() // before the writer: the group commit ends after its current group
		}
		if s.r != s.w {
			errs = append(errs, s.r.Close())
		}
		errs = append(errs, s.w.Close())
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// collect reads every row of rows with scan, mapping errors to what.
func collect[T any](d *dialect, rows *sql.Rows, err error, what string, scan func(rowScanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, d.mapError(err, what)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, d.mapError(err, what)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, d.mapError(err, what)
	}
	return out, nil
}

// norm returns t as the store keeps it (record.Time: UTC, whole milliseconds).
func norm(t time.Time) time.Time { return record.Time(t) }

// normPtr returns an optional time as the store keeps it.
func normPtr(t *time.Time) *time.Time { return record.TimePtr(t) }

// ceilMillis is the smallest stored time not before t (for inclusive lower bounds).
func ceilMillis(t time.Time) time.Time {
	c := norm(t)
	if c.Before(t) {
		c = c.Add(time.Millisecond)
	}
	return c
}

// zeroAsNil is t as an optional time: nil when zero (for columns where NULL means never).
func zeroAsNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// orNow returns t, or the current time when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}
