package sqlstore

import (
	"context"
	"database/sql"
)

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// reader runs queries on a querier with the dialect's argument codec (dialect.args): every
// statement of the store goes through one, so that entity code writes the same SQL (with $N
// placeholders) and passes the same Go values on both databases. It cannot write: on
// PostgreSQL the read pool is the write pool, and a write through it would not be counted.
type reader struct {
	q querier
	d *dialect
}

func (c reader) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, query, c.d.args(args)...)
}

func (c reader) row(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, query, c.d.args(args)...)
}

// conn is a reader that also writes: the transaction of inTx, the writer in exec. Only the write
// path below makes one. Every statement it runs is noted in dirty when it may change a row the
// credential cache reads (writecount.go).
type conn struct {
	reader
	dirty *bool
}

func (c conn) note(query string) {
	if !*c.dirty && mayChangeCached(query) {
		*c.dirty = true
	}
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c.note(query)
	return c.q.ExecContext(ctx, query, c.d.args(args)...)
}

// query runs a statement that returns rows (a write with RETURNING, or a read in a transaction).
func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c.note(query)
	return c.reader.query(ctx, query, args...)
}

// row is query for one row.
func (c conn) row(ctx context.Context, query string, args ...any) *sql.Row {
	c.note(query)
	return c.reader.row(ctx, query, args...)
}

// affectedOne maps the result of a single-row statement: no row affected is not found.
func (c conn) affectedOne(res sql.Result, err error, what string) error {
	return affectedOne(c.d, res, err, what)
}

func affectedOne(d *dialect, res sql.Result, err error, what string) error {
	n, err := rowsAffected(d, res, err, what)
	if err == nil && n == 0 {
		return notFound(what)
	}
	return err
}

// The one write path. Reads use read(); every write is autocommit (statements on the writer,
// each its own transaction: for one statement, RETURNING included), exec (autocommit of one
// statement without rows) or inTx (a transaction on the writer), and each moves s.writes once
// the statements or the commit have returned, whatever they returned (a failed commit may still
// have committed), when one of the statements may change a row the credential cache reads
// (writecount.go: a table not known to be outside every cached lookup counts). Nothing else in the package writes but SQLite's group commit, which moves
// the count the same way: there is no other way to the writer (TestOneWritePath).

// read returns the read pool.
func (s *Store) read() reader { return reader{q: s.r, d: s.d} }

// autocommit runs fn on the writer outside a transaction block: each statement commits on its
// own (use it for one statement; inTx for several). A row a statement RETURNs is read within fn,
// so the count moves after the statement has completed.
func (s *Store) autocommit(fn func(w conn) error) error {
	var dirty bool
	defer s.counted(&dirty)
	return fn(conn{reader{q: s.w, d: s.d}, &dirty})
}

// counted moves the write count once the statements of a write have returned, when one of them
// may have changed a row the credential cache reads (writecount.go).
func (s *Store) counted(dirty *bool) {
	if *dirty {
		s.writes.Add(1)
	}
}

// exec runs one write statement on the writer.
func (s *Store) exec(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	err = s.autocommit(func(w conn) error {
		res, err = w.exec(ctx, query, args...)
		return err
	})
	return res, err
}

// execOne runs one write statement on the writer that must affect a row (else not found).
func (s *Store) execOne(ctx context.Context, what, query string, args ...any) error {
	res, err := s.exec(ctx, query, args...)
	return affectedOne(s.d, res, err, what)
}

// inTx runs fn in a write transaction and commits it when fn returns nil. On SQLite the
// transaction is BEGIN IMMEDIATE on the one writer connection (it holds the write lock from its
// first statement, against every process on the file); on PostgreSQL a READ COMMITTED
// transaction of the pool, whose read-modify-write statements lock the rows they read
// (dialect.lock: FOR UPDATE).
func (s *Store) inTx(ctx context.Context, fn func(tx conn) error) error {
	var dirty bool
	defer s.counted(&dirty)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.d.mapError(err, "begin")
	}
	if err := fn(conn{reader{q: tx, d: s.d}, &dirty}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.d.mapError(err, "commit")
	}
	return nil
}

// rowsAffected returns how many rows a statement affected.
func rowsAffected(d *dialect, res sql.Result, err error, what string) (int, error) {
	if err != nil {
		return 0, d.mapError(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, d.mapError(err, what)
	}
	return int(n), nil
}

// count returns how many rows a statement of a ClaimAccount-like batch affected.
func (c conn) count(res sql.Result, err error) (int, error) {
	return rowsAffected(c.d, res, err, "Claim")
}

// lockUser locks the user's row on PostgreSQL (FOR NO KEY UPDATE, which other tables'
// foreign-key checks do not wait for), so that read-modify-write transactions about one user,
// on any instance, run one after the other; an unknown user is not found (naming what). On
// SQLite the writer's BEGIN IMMEDIATE serialises them already.
func lockUser(ctx context.Context, tx conn, userID, what string) error {
	if !tx.d.locks {
		return nil
	}
	var id string
	err := tx.row(ctx, `SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE`, userID).Scan(&id)
	return tx.d.mapError(err, what)
}
