package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/gatehouse-auth/gatehouse"
	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// The token lookups (SessionByTokenHash, PATByTokenHash, APIKeyByTokenHash) run on their own
// small pool of read-only connections opened through SQLite's C API (modernc.org/sqlite/lib,
// the same library the database/sql driver wraps), each holding the lookups' statements
// (lookupSQL) prepared once. The reason: the database/sql driver's Stmt keeps only the SQL text
// and prepares it again on every execution, which for the 27-column session join is most of
// the lookup's cost (BenchmarkSessionByTokenHash on the 2-core reference machine: about 42µs
// per lookup through database/sql, 3µs prepared once). Every authenticated request and every
// /v1/verify check makes one of these lookups.

// sqliteTransient tells sqlite3_bind_blob to copy the value at once (SQLITE_TRANSIENT).
const sqliteTransient = ^uintptr(0)

// lookupPool hands out lookupConns, at most cap(sem) at a time, opening them on first need.
type lookupPool struct {
	uri    string // file: URI of the database, without parameters
	busyMs int32
	sem    chan struct{} // one slot per connection in use

	mu     sync.Mutex
	idle   []*lookupConn
	closed bool
}

func newLookupPool(path string, o sqliteOptions) *lookupPool {
	return &lookupPool{
		uri:    "file:" + escapePath(path),
		busyMs: int32(o.busyTimeout.Milliseconds()),
		sem:    make(chan struct{}, o.readConns),
	}
}

// lookup names one of the prepared statements of a lookupConn.
type lookup int

const (
	lookupSession lookup = iota
	lookupPAT
	lookupAPIKey
	numLookups
)

// lookupSQL is the statement of each lookup; each binds one parameter, the token hash.
var lookupSQL = [numLookups]string{
	lookupSession: sessionByHashSQL,
	lookupPAT:     patByHashSQL,
	lookupAPIKey:  apiKeyByHashSQL,
}

// with runs fn on a pooled connection.
func (p *lookupPool) with(ctx context.Context, fn func(c *lookupConn) error) error {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-p.sem }()
	c, err := p.get()
	if err != nil {
		return err
	}
	err = fn(c)
	p.put(c)
	return err
}

// sessionByHash runs the session lookup on a pooled connection.
func (p *lookupPool) sessionByHash(ctx context.Context, hash []byte) (sess *gatehouse.Session, user *gatehouse.User, err error) {
	err = p.with(ctx, func(c *lookupConn) error {
		return c.find(lookupSession, hash, "Session", func() error {
			user, sess = c.scanUser(0), c.scanSession(userColumnCount)
			return nil
		})
	})
	return sess, user, err
}

// patByHash runs the personal access token lookup on a pooled connection.
func (p *lookupPool) patByHash(ctx context.Context, hash []byte) (pat *gatehouse.PersonalAccessToken, user *gatehouse.User, err error) {
	err = p.with(ctx, func(c *lookupConn) error {
		return c.find(lookupPAT, hash, "Personal access token", func() error {
			user = c.scanUser(0)
			pat, err = c.scanPAT(userColumnCount)
			return err
		})
	})
	return pat, user, err
}

// apiKeyByHash runs the API key lookup on a pooled connection.
func (p *lookupPool) apiKeyByHash(ctx context.Context, hash []byte) (key *gatehouse.APIKey, err error) {
	err = p.with(ctx, func(c *lookupConn) error {
		return c.find(lookupAPIKey, hash, "API key", func() error {
			key, err = c.scanAPIKey(0)
			return err
		})
	})
	return key, err
}

// get returns an idle connection or opens one. The caller holds a slot of sem.
func (p *lookupPool) get() (*lookupConn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errClosed
	}
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	return openLookupConn(p.uri, p.busyMs)
}

// put returns c to the pool, or closes it when it is broken or the pool is closed.
func (p *lookupPool) put(c *lookupConn) {
	p.mu.Lock()
	if !c.broken && !p.closed {
		p.idle = append(p.idle, c)
		c = nil
	}
	p.mu.Unlock()
	if c != nil {
		c.close()
	}
}

// close closes the idle connections; those in use are closed when they come back.
func (p *lookupPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}

// lookupConn is one SQLite connection with the lookups prepared. It is used by one
// goroutine at a time. Everything handed to SQLite by address lives in C memory (scratch): Go
// memory must not be passed as a uintptr (the race detector's checkptr rejects it, rightly).
type lookupConn struct {
	tls     *libc.TLS
	db      uintptr             // sqlite3*
	stmts   [numLookups]uintptr // sqlite3_stmt* of each lookupSQL
	stmt    uintptr             // the statement being read (set by find)
	scratch uintptr             // scratchSize bytes of C memory: an out-parameter slot, then the bound hash
	broken  bool                // an unexpected error happened: close rather than reuse
}

const (
	hashOffset  = 16 // the hash goes after the out-parameter slot
	scratchSize = hashOffset + maxTokenHash
	ptrSize     = int(unsafe.Sizeof(uintptr(0)))
)

func openLookupConn(uri string, busyMs int32) (_ *lookupConn, err error) {
	c := &lookupConn{tls: libc.NewTLS()} // not the named result: a failed return sets that to nil
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	if c.scratch = libc.Xmalloc(c.tls, types.Size_t(scratchSize)); c.scratch == 0 {
		return nil, errors.New("sqlite: token lookup: out of memory")
	}
	name, err := libc.CString(uri)
	if err != nil {
		return nil, err
	}
	rc := sqlite3.Xsqlite3_open_v2(c.tls, name, c.scratch,
		sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_URI|sqlite3.SQLITE_OPEN_NOMUTEX, 0)
	libc.Xfree(c.tls, name)
	c.db = c.out()
	if rc != sqlite3.SQLITE_OK {
		return nil, c.fail("open", rc)
	}
	sqlite3.Xsqlite3_extended_result_codes(c.tls, c.db, 1)
	sqlite3.Xsqlite3_busy_timeout(c.tls, c.db, busyMs)
	if err := c.exec("PRAGMA query_only = 1"); err != nil {
		return nil, err
	}
	for k, text := range lookupSQL {
		query, err := libc.CString(text)
		if err != nil {
			return nil, err
		}
		rc = sqlite3.Xsqlite3_prepare_v3(c.tls, c.db, query, -1, sqlite3.SQLITE_PREPARE_PERSISTENT, c.scratch, 0)
		libc.Xfree(c.tls, query)
		c.stmts[k] = c.out()
		if rc != sqlite3.SQLITE_OK {
			return nil, c.fail("prepare", rc)
		}
	}
	return c, nil
}

// out reads the pointer SQLite wrote to the out-parameter slot.
func (c *lookupConn) out() uintptr { return readPointer(c.scratch) }

func (c *lookupConn) exec(sql string) error {
	q, err := libc.CString(sql)
	if err != nil {
		return err
	}
	defer libc.Xfree(c.tls, q)
	if rc := sqlite3.Xsqlite3_exec(c.tls, c.db, q, 0, 0, 0); rc != sqlite3.SQLITE_OK {
		return c.fail("exec", rc)
	}
	return nil
}

func (c *lookupConn) close() {
	for k, stmt := range c.stmts {
		if stmt != 0 {
			sqlite3.Xsqlite3_finalize(c.tls, stmt)
			c.stmts[k] = 0
		}
	}
	if c.db != 0 {
		sqlite3.Xsqlite3_close_v2(c.tls, c.db)
		c.db = 0
	}
	if c.scratch != 0 {
		libc.Xfree(c.tls, c.scratch)
		c.scratch = 0
	}
	c.tls.Close()
}

// fail describes a failed call; busy and locked become CodeUnavailable.
func (c *lookupConn) fail(op string, rc int32) error {
	if rc&0xff == sqlite3.SQLITE_BUSY || rc&0xff == sqlite3.SQLITE_LOCKED {
		return errBusy
	}
	msg := "out of memory"
	if c.db != 0 {
		msg = libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db))
	}
	return fmt.Errorf("sqlite: token lookup: %s: %s (%d)", op, msg, rc)
}

// find runs lookup k for hash and, when it finds a row, calls scan to read it (through the
// column readers below) before the statement is reset; no row is not found (naming what).
// After an unexpected error it marks c broken.
func (c *lookupConn) find(k lookup, hash []byte, what string, scan func() error) (err error) {
	if len(hash) == 0 || len(hash) > maxTokenHash {
		return notFound(what) // the stores keep no such hash
	}
	c.stmt = c.stmts[k]
	copy(libc.GoBytes(c.scratch+hashOffset, len(hash)), hash)
	// SQLITE_TRANSIENT: SQLite copies the value before bind returns.
	rc := sqlite3.Xsqlite3_bind_blob(c.tls, c.stmt, 1, c.scratch+hashOffset, int32(len(hash)), sqliteTransient)
	if rc != sqlite3.SQLITE_OK {
		c.broken = true
		err = c.fail("bind", rc)
		sqlite3.Xsqlite3_reset(c.tls, c.stmt)
		return err
	}
	rc = sqlite3.Xsqlite3_step(c.tls, c.stmt)
	switch rc {
	case sqlite3.SQLITE_ROW:
		err = scan()
	case sqlite3.SQLITE_DONE:
		err = notFound(what)
	default:
		err = c.fail("step", rc)
		c.broken = !errors.Is(err, errBusy)
	}
	sqlite3.Xsqlite3_reset(c.tls, c.stmt)
	return err
}

// userColumnCount is the number of userColumns.
const userColumnCount = 17

// scanUser reads the userColumnCount user columns from column i on (the order of userColumns).
func (c *lookupConn) scanUser(i int32) *gatehouse.User {
	return &gatehouse.User{
		ID: c.text(i), Kind: c.text(i + 1), Username: c.text(i + 2), Email: c.text(i + 3),
		EmailVerified: c.integer(i+4) != 0, DisplayName: c.text(i + 5), AvatarURL: c.text(i + 6),
		BannerURL: c.text(i + 7), Description: c.text(i + 8), Theme: c.text(i + 9), Font: c.text(i + 10),
		PasswordHash: c.text(i + 11), IsAdmin: c.integer(i+12) != 0, DisabledAt: c.nullTime(i + 13),
		CreatedAt: fromMillis(c.integer(i + 14)), UpdatedAt: fromMillis(c.integer(i + 15)),
		CredentialsChangedAt: c.zeroTime(i + 16),
	}
}

// scanSession reads the 13 session columns from column i on (the order of sessionColumns).
func (c *lookupConn) scanSession(i int32) *gatehouse.Session {
	return &gatehouse.Session{
		ID: c.text(i), UserID: c.text(i + 1), TokenHash: c.blob(i + 2), TokenPrefix: c.text(i + 3),
		CreatedAt: fromMillis(c.integer(i + 4)), ExpiresAt: fromMillis(c.integer(i + 5)),
		LastSeenAt: fromMillis(c.integer(i + 6)), IP: c.text(i + 7), UserAgent: c.text(i + 8),
		RevokedAt: c.nullTime(i + 9), RevokeReason: c.text(i + 10),
		AuthenticatedAt: fromMillis(c.integer(i + 11)), AMR: gatehouse.ParseAMR(c.text(i + 12)),
	}
}

func (c *lookupConn) text(i int32) string {
	p := sqlite3.Xsqlite3_column_text(c.tls, c.stmt, i)
	n := sqlite3.Xsqlite3_column_bytes(c.tls, c.stmt, i)
	if p == 0 || n <= 0 {
		return ""
	}
	return string(libc.GoBytes(p, int(n))) // string() copies out of SQLite's buffer
}

func (c *lookupConn) blob(i int32) []byte {
	p := sqlite3.Xsqlite3_column_blob(c.tls, c.stmt, i)
	n := sqlite3.Xsqlite3_column_bytes(c.tls, c.stmt, i)
	if p == 0 || n <= 0 {
		return nil
	}
	return bytes.Clone(libc.GoBytes(p, int(n)))
}

func (c *lookupConn) integer(i int32) int64 {
	return sqlite3.Xsqlite3_column_int64(c.tls, c.stmt, i)
}

func (c *lookupConn) nullTime(i int32) *time.Time {
	if sqlite3.Xsqlite3_column_type(c.tls, c.stmt, i) == sqlite3.SQLITE_NULL {
		return nil
	}
	t := fromMillis(c.integer(i))
	return &t
}

func (c *lookupConn) nullInt(i int32) sql.NullInt64 {
	if sqlite3.Xsqlite3_column_type(c.tls, c.stmt, i) == sqlite3.SQLITE_NULL {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: c.integer(i), Valid: true}
}

// fromMillis converts a stored time back: UTC, millisecond precision.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// zeroTime reads a nullable time column: the zero time for NULL.
func (c *lookupConn) zeroTime(i int32) time.Time {
	if t := c.nullTime(i); t != nil {
		return *t
	}
	return time.Time{}
}
