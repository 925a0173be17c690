package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Store is a gatehouse.Store on one SQLite file. It is safe for concurrent use.
type Store struct {
	w *sql.DB // the one writer connection: every write goes through it
	r *sql.DB // the read pool (query_only connections)

	lookups *lookupPool // the hot path of every authenticated request (lookup.go)

	rotations *groupCommit // RotateRefreshToken's group commit on w (groupcommit.go)

	closeOnce sync.Once
	closeErr  error
}

var _ gatehouse.Store = (*Store)(nil)

// maxRotationGroup bounds how many refresh token rotations share one transaction and commit.
const maxRotationGroup = 64

// Option changes how Open connects.
type Option func(*options)

type options struct {
	readConns   int
	busyTimeout time.Duration
}

// WithReadConns sets the size of the read pool (default: the number of CPUs, at least 4).
func WithReadConns(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.readConns = n
		}
	}
}

// WithBusyTimeout sets how long a connection waits for a lock held by another process (for
// example `gatehouse admin` next to a running server) before failing with
// CodeUnavailable (default 5s).
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) {
		if d >= 0 {
			o.busyTimeout = d
		}
	}
}

func newOptions(opts []Option) options {
	o := options{readConns: max(4, runtime.NumCPU()), busyTimeout: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Open opens (creating it if needed) the SQLite database at path, a file system path, and applies
// any pending migrations. ":memory:" is not supported: the writer and the read pool must share
// one file.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := newOptions(opts)
	w, err := openWriter(ctx, path, o)
	if err != nil {
		return nil, err
	}
	if _, err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	s := &Store{w: w}
	s.r, err = sql.Open("sqlite", dsn(path, o, "_pragma=query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open read pool: %w", err)
	}
	s.r.SetMaxOpenConns(o.readConns)
	s.r.SetMaxIdleConns(o.readConns) // reopening a connection costs its pragmas: keep them all
	s.r.SetConnMaxLifetime(0)
	s.r.SetConnMaxIdleTime(0)
	s.lookups = newLookupPool(path, o)
	// Open one lookup connection now: it checks the statement against the schema.
	c, err := s.lookups.get()
	if err != nil {
		s.Close()
		return nil, err
	}
	s.lookups.put(c)
	s.rotations = newGroupCommit(w, maxRotationGroup)
	return s, nil
}

// openWriter opens the single writer connection and puts the file in WAL mode.
func openWriter(ctx context.Context, path string, o options) (*sql.DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: %q: want a file system path", path)
	}
	// _txlock=immediate: every transaction on the writer takes the write lock at BEGIN, so a
	// read-modify-write transaction never fails to upgrade its lock halfway.
	w, err := sql.Open("sqlite", dsn(path, o, "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := setWAL(ctx, w, o.busyTimeout); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return w, nil
}

// setWAL switches the file to WAL mode (a setting kept in the file). Switching needs an
// exclusive lock, and SQLite answers SQLITE_BUSY at once, without waiting busy_timeout, when
// another connection is switching it at the same moment (processes starting together on a new
// file): retry until busyTimeout has passed.
func setWAL(ctx context.Context, w *sql.DB, busyTimeout time.Duration) error {
	deadline := time.Now().Add(busyTimeout)
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		var mode string
		err := w.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		switch {
		case err == nil && mode == "wal":
			return nil
		case err == nil:
			return fmt.Errorf("journal mode is %q, want wal", mode)
		case !isBusy(err) || time.Now().After(deadline):
			return err
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// dsn builds the driver's connection string for path: a file: URI with the pragmas every
// connection needs, plus extra parameters.
func dsn(path string, o options, extra ...string) string {
	params := []string{
		"_pragma=" + url.QueryEscape(fmt.Sprintf("busy_timeout(%d)", o.busyTimeout.Milliseconds())),
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(FULL)",
	}
	params = append(params, extra...)
	return "file:" + escapePath(path) + "?" + strings.Join(params, "&")
}

// escapePath escapes path for a file: URI, where '?' starts the query, '#' a fragment and '%'
// an escape.
func escapePath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// Ping reports whether the database file answers.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close closes the read pool and the writer. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.rotations != nil {
			s.rotations.stop() // after its current group: the writer is still open
		}
		if s.lookups != nil {
			s.lookups.close()
		}
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		errs = append(errs, s.w.Close())
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// inTx runs fn in a transaction on the writer (BEGIN IMMEDIATE) and commits it when fn returns
// nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapError(err, "begin")
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return mapError(err, "commit")
	}
	return nil
}

// millis converts a time to the stored form: Unix milliseconds.
func millis(t time.Time) int64 { return t.UnixMilli() }

// ceilMillis is the smallest stored value not before t (for inclusive lower bounds).
func ceilMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if time.UnixMilli(ms).Before(t) {
		ms++
	}
	return ms
}

// fromMillis converts a stored time back: UTC, millisecond precision.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// norm returns t as the store keeps it (record.Time: UTC, whole milliseconds, so that
// fromMillis(millis(t)) == norm(t)).
func norm(t time.Time) time.Time { return record.Time(t) }

// nullMillis converts an optional time to a nullable column value.
func nullMillis(t *time.Time) any {
	if t == nil {
		return nil
	}
	return millis(*t)
}

// fromNullMillis converts a nullable column value back to an optional time.
func fromNullMillis(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMillis(v.Int64)
	return &t
}

// zeroAsNil is t as an optional time: nil when zero (for columns where NULL means never).
func zeroAsNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// timeOrZero is the inverse of zeroAsNil.
func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// normPtr returns t as the store keeps it.
func normPtr(t *time.Time) *time.Time { return record.TimePtr(t) }

// orNow returns t, or the current time when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}
