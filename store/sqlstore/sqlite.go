package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteDialect binds times as Unix milliseconds and lists as JSON text, and has no row locks:
// its writer holds the file's write lock from BEGIN IMMEDIATE.
var sqliteDialect = &dialect{name: "sqlite", millis: true, classify: classifySQLite}

// sqliteParts is what only a SQLite store has.
type sqliteParts struct {
	lookups   *lookupPool  // the hot path of every authenticated request (sqlite_lookup.go)
	rotations *groupCommit // RotateRefreshToken's group commit on the writer (sqlite_groupcommit.go)
}

func (p *sqliteParts) close() {
	if p.rotations != nil {
		p.rotations.stop()
	}
	if p.lookups != nil {
		p.lookups.close()
	}
}

// maxRotationGroup bounds how many refresh token rotations share one transaction and commit.
const maxRotationGroup = 64

// SQLiteOption changes how OpenSQLite connects.
type SQLiteOption func(*sqliteOptions)

type sqliteOptions struct {
	readConns   int
	busyTimeout time.Duration
}

// WithReadConns sets the size of the read pool (default: the number of CPUs, at least 4).
func WithReadConns(n int) SQLiteOption {
	return func(o *sqliteOptions) {
		if n > 0 {
			o.readConns = n
		}
	}
}

// WithBusyTimeout sets how long a connection waits for a lock held by another process (for
// example `gatehouse admin` next to a running server) before failing with CodeUnavailable
// (default 5s).
func WithBusyTimeout(d time.Duration) SQLiteOption {
	return func(o *sqliteOptions) {
		if d >= 0 {
			o.busyTimeout = d
		}
	}
}

func newSQLiteOptions(opts []SQLiteOption) sqliteOptions {
	o := sqliteOptions{readConns: max(4, runtime.NumCPU()), busyTimeout: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// OpenSQLite opens (creating it if needed) the SQLite database at path, a file system path,
// and applies any pending migrations. ":memory:" is not supported: the writer and the read pool
// must share one file.
func OpenSQLite(ctx context.Context, path string, opts ...SQLiteOption) (*Store, error) {
	o := newSQLiteOptions(opts)
	w, err := openSQLiteWriter(ctx, path, o)
	if err != nil {
		return nil, err
	}
	if _, err := migrateSQLite(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	s := &Store{d: sqliteDialect, w: w, sqlite: &sqliteParts{}}
	s.r, err = sql.Open("sqlite", sqliteDSN(path, o, "_pragma=query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open read pool: %w", err)
	}
	s.r.SetMaxOpenConns(o.readConns)
	s.r.SetMaxIdleConns(o.readConns) // reopening a connection costs its pragmas: keep them all
	s.r.SetConnMaxLifetime(0)
	s.r.SetConnMaxIdleTime(0)
	s.sqlite.lookups = newLookupPool(path, o)
	// Open one lookup connection now: it checks the statements against the schema.
	c, err := s.sqlite.lookups.get()
	if err != nil {
		s.Close()
		return nil, err
	}
	s.sqlite.lookups.put(c)
	s.sqlite.rotations = newGroupCommit(s, maxRotationGroup)
	return s, nil
}

// MigrateSQLite applies the pending migrations to the database at path (creating the file if
// needed) and returns the names of those it applied, in order; none when the schema is
// current. It is what `gatehouse migrate` runs; OpenSQLite does the same on its own.
func MigrateSQLite(ctx context.Context, path string, opts ...SQLiteOption) ([]string, error) {
	w, err := openSQLiteWriter(ctx, path, newSQLiteOptions(opts))
	if err != nil {
		return nil, err
	}
	applied, err := migrateSQLite(ctx, w)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("sqlite: close: %w", cerr)
	}
	return applied, err
}

// openSQLiteWriter opens the single writer connection and puts the file in WAL mode.
func openSQLiteWriter(ctx context.Context, path string, o sqliteOptions) (*sql.DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: %q: want a file system path", path)
	}
	// _txlock=immediate: every transaction on the writer takes the write lock at BEGIN, so a
	// read-modify-write transaction never fails to upgrade its lock halfway.
	w, err := sql.Open("sqlite", sqliteDSN(path, o, "_txlock=immediate"))
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

// sqliteDSN builds the driver's connection string for path: a file: URI with the pragmas
// every connection needs, plus extra parameters.
func sqliteDSN(path string, o sqliteOptions, extra ...string) string {
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

// classifySQLite sorts a modernc error by its extended result code.
func classifySQLite(err error) (errClass, string) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return errOther, ""
	}
	switch code := se.Code(); {
	case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return errUnique, se.Error()
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return errForeignKey, ""
	case isBusy(err):
		return errTransient, ""
	}
	return errOther, ""
}

// isBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED (any extended code).
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff
	return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
}
