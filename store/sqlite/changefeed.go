package sqlite

import (
	"context"
	"errors"
	"sync"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// ChangeFeed reports a generation that moves whenever any other connection commits to the
// file: this process's writer, or another process (`gatehouse admin`, a second server). It is
// the invalidation signal of store/credcache.
//
// It runs PRAGMA data_version, prepared once, on one dedicated connection opened through
// SQLite's C API like the lookup pool's. SQLite changes a connection's data_version whenever
// a read transaction of that connection finds the database changed by another connection; the
// PRAGMA starts such a read, so a commit that returned before Generation was called is always
// seen. The raw value is per connection and restarts when the connection is reopened, so the
// feed keeps its own counter: it moves when the raw value differs from the last one read, and
// after every reopening.
//
// Concurrent calls share queries, never results from before their arrival: a call waits for
// the first query that STARTS after it arrived (running it itself when none is running) and
// returns that query's or a later one's result. So a commit that returned before a call
// arrived is always seen, and under load one query serves every call that arrived while the
// previous one ran (BenchmarkChangeFeedGeneration). A failing query answers ok=false with the
// error and marks the connection for reopening: the cache is bypassed meanwhile.
type ChangeFeed struct {
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

	// Only the caller running a query (running true) touches these.
	conn    *lookupConn // nil until opened, and after a failure
	stmt    uintptr     // sqlite3_stmt* of PRAGMA data_version on conn
	lastRaw int64       // the data_version last read on conn
	counter uint64      // the generation: moved by every change of lastRaw and every reopening
}

// ChangeFeed opens the change feed of the store's file. The caller closes it (store/credcache
// does, before it closes the store).
func (s *Store) ChangeFeed() (*ChangeFeed, error) {
	f := &ChangeFeed{uri: s.lookups.uri, busyMs: s.lookups.busyMs}
	f.cond.L = &f.mu
	if err := f.open(); err != nil {
		return nil, err
	}
	return f, nil
}

// Generation returns the current generation; ok is false (with err) when the database could
// not be asked.
func (f *ChangeFeed) Generation(ctx context.Context) (gen uint64, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
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

// Close closes the feed's connection, once a running query has finished. It is safe to call
// more than once.
func (f *ChangeFeed) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for f.running {
		f.cond.Wait()
	}
	f.closeConn()
	f.cond.Broadcast()
	return nil
}

// query runs the PRAGMA, reopening the connection first when needed. The caller is the one
// running a query.
func (f *ChangeFeed) query() (uint64, error) {
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
func (f *ChangeFeed) open() error {
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

// read runs the PRAGMA once.
func (f *ChangeFeed) read() (int64, error) {
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

func (f *ChangeFeed) closeConn() {
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
