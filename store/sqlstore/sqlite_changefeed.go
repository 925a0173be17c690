package sqlstore

import (
	"context"
	"errors"
	"sync"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteFeed reports a generation that moves whenever any other connection commits to the
// file: this process's writer, or another process (`gatehouse admin`, a second server). It is
// the invalidation signal of store/credcache.
//
// It keeps one dedicated connection open, opened through SQLite's C API like the lookup
// pool's, and watches the database in one of two ways:
//
//   - The wal-index header (walindex.go), read in that connection's mapping of the -shm file,
//     which every connection of every process shares. Every commit rewrites it before it
//     returns; the feed's counter moves whenever the header differs from the one it last saw,
//     or is being written. A memory read of 96 bytes: no lock, no system call. This is the mode
//     whenever SQLite maps the file (always, with the Store's settings).
//   - Otherwise, PRAGMA data_version, prepared once on the connection. SQLite changes a
//     connection's data_version whenever a read transaction of that connection finds the
//     database changed by another connection; the PRAGMA starts such a read. The raw value is
//     per connection and restarts when the connection is reopened, so the counter moves when
//     the raw value differs from the last one read, and after every reopening. Concurrent
//     calls share queries, never results from before their arrival: a call waits for the
//     first query that STARTS after it arrived (running it itself when none is running) and
//     returns that query's or a later one's result. A failing query answers ok=false with the
//     error and marks the connection for reopening: the cache is bypassed meanwhile.
//
// Either way a commit that returned before Generation was called is always seen
// (BenchmarkChangeFeedGeneration has the cost of each).
type sqliteFeed struct {
	uri    string
	busyMs int32

	mu       sync.Mutex
	cond     sync.Cond // signalled when a query finishes; L is &mu
	running  bool      // a query is running (outside mu)
	started  uint64    // queries started so far
	finished uint64    // sequence number of the query whose result is in gen/err
	gen      uint64    // the generation the finished query returned
	err      error     // its error
	closed   bool

	// header mode: the wal-index headers in conn's mapping (nil in PRAGMA mode, and once
	// closed), and the header when the counter last moved. Read and written under mu.
	shm     *walIndexHeaders
	lastHdr walIndexHeader

	// Only the caller running a query (running true) touches these.
	conn    *lookupConn // nil until opened, and after a failure
	stmt    uintptr     // sqlite3_stmt* of PRAGMA data_version on conn
	lastRaw int64       // the data_version last read on conn
	counter uint64      // the generation: moved by every change of lastRaw and every reopening
}

// sqliteFeed opens the feed, in header mode when watchHeader is true and SQLite maps the
// wal-index; the tests use false to cover PRAGMA mode.
func (s *Store) sqliteFeed(watchHeader bool) (*sqliteFeed, error) {
	f := &sqliteFeed{uri: s.sqlite.lookups.uri, busyMs: s.sqlite.lookups.busyMs}
	f.cond.L = &f.mu
	if err := f.open(); err != nil {
		return nil, err
	}
	if watchHeader {
		// A mapping SQLite will not hand over leaves the feed in PRAGMA mode: as exact, slower.
		_ = f.watchHeader()
	}
	return f, nil
}

// Generation returns the current generation; ok is false (with err) when the database could
// not be asked.
func (f *sqliteFeed) Generation(ctx context.Context) (gen uint64, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.shm != nil {
		if h, stable := f.shm.read(); !stable || h != f.lastHdr {
			f.counter++
			f.lastHdr = h
			if !stable {
				f.lastHdr = walIndexHeader{} // no real header: the next call moves it again
			}
		}
		return f.counter, true, nil
	}
	need := f.started + 1 // the first query that starts from now on
	for f.finished < need {
		if f.closed {
			return 0, false, errClosed
		}
		if f.running {
			f.cond.Wait()
			continue
		}
		f.running = true
		f.started++
		seq := f.started
		f.mu.Unlock()
		g, err := f.query()
		f.mu.Lock()
		f.running = false
		f.finished, f.gen, f.err = seq, g, err
		f.cond.Broadcast()
	}
	if f.err != nil {
		return 0, false, f.err
	}
	return f.gen, true, nil
}

// Mode reports how the feed watches the database: "wal-index" or "data_version".
func (f *sqliteFeed) Mode() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.shm != nil {
		return "wal-index"
	}
	return "data_version"
}

// Close closes the feed's connection, once a running query has finished. It is safe to call
// more than once.
func (f *sqliteFeed) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	f.shm = nil // before the connection (and its mapping) goes
	for f.running {
		f.cond.Wait()
	}
	f.closeConn()
	f.cond.Broadcast()
	return nil
}

// query runs the PRAGMA, reopening the connection first when needed. The caller is the one
// running a query.
func (f *sqliteFeed) query() (uint64, error) {
	if f.conn == nil {
		if err := f.open(); err != nil {
			return 0, err
		}
	}
	raw, err := f.read()
	if err != nil {
		f.closeConn()
		return 0, err
	}
	if raw != f.lastRaw {
		f.lastRaw = raw
		f.counter++
	}
	return f.counter, nil
}

// open opens the connection, prepares the PRAGMA, reads the first value and moves the
// generation (the new connection's values have no relation to the old one's).
func (f *sqliteFeed) open() error {
	c, err := openLookupConn(f.uri, f.busyMs)
	if err != nil {
		return err
	}
	query, err := libc.CString("PRAGMA data_version")
	if err != nil {
		c.close()
		return err
	}
	rc := sqlite3.Xsqlite3_prepare_v3(c.tls, c.db, query, -1, sqlite3.SQLITE_PREPARE_PERSISTENT, c.scratch, 0)
	libc.Xfree(c.tls, query)
	f.stmt = c.out()
	if rc != sqlite3.SQLITE_OK {
		err := c.fail("prepare", rc)
		f.stmt = 0
		c.close()
		return err
	}
	f.conn = c
	raw, err := f.read()
	if err != nil {
		f.closeConn()
		return err
	}
	f.lastRaw = raw
	f.counter++
	return nil
}

// watchHeader switches the feed to header mode when SQLite maps the wal-index for the feed's
// connection (it has just read, in WAL mode). Called once, from changeFeed; on an error the
// feed stays in PRAGMA mode.
func (f *sqliteFeed) watchHeader() error {
	shm, err := mapWALIndexHeaders(f.conn)
	if err != nil || shm == nil {
		return err
	}
	h, stable := shm.read()
	if !stable {
		h = walIndexHeader{}
	}
	f.mu.Lock()
	f.shm, f.lastHdr = shm, h
	f.counter++
	f.mu.Unlock()
	return nil
}

// read runs the PRAGMA once.
func (f *sqliteFeed) read() (int64, error) {
	c := f.conn
	rc := sqlite3.Xsqlite3_step(c.tls, f.stmt)
	if rc != sqlite3.SQLITE_ROW {
		sqlite3.Xsqlite3_reset(c.tls, f.stmt)
		if rc == sqlite3.SQLITE_DONE {
			return 0, errors.New("sqlite: data_version: no row")
		}
		return 0, c.fail("data_version", rc)
	}
	v := sqlite3.Xsqlite3_column_int64(c.tls, f.stmt, 0)
	sqlite3.Xsqlite3_reset(c.tls, f.stmt)
	return v, nil
}

func (f *sqliteFeed) closeConn() {
	if f.conn == nil {
		return
	}
	if f.stmt != 0 {
		sqlite3.Xsqlite3_finalize(f.conn.tls, f.stmt)
		f.stmt = 0
	}
	f.conn.close()
	f.conn = nil
}
