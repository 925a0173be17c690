package sqlstore

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// CredentialsChannel is the channel the triggers of migration 0007 notify on every change of a
// row a credential check reads.
const CredentialsChannel = "gatehouse_credentials"

// Tuning of the listener.
const (
	feedHeartbeat   = time.Second            // a silent connection is pinged this often
	feedPingTimeout = time.Second            // a ping slower than this counts as a lost connection
	feedMinBackoff  = 50 * time.Millisecond  // first wait before reconnecting
	feedMaxBackoff  = 5 * time.Second        // longest wait between reconnections
	feedDialTimeout = 10 * time.Second       // bound of one connection attempt
	feedCloseWait   = 100 * time.Millisecond // bound of the polite close of a connection
)

// postgresFeed reports a generation that moves on every notification of CredentialsChannel about
// the store's schema: the invalidation signal of store/credcache. A goroutine holds a dedicated
// connection (outside the pool) that LISTENs and waits for notifications; each one whose payload
// (the changed table's schema) is the connection's current_schema(), or is empty, moves the
// generation. Notifications about other schemas sharing the database are ignored.
//
// Failing closed: as soon as the connection fails (an error from the wait, a heartbeat ping
// that fails or takes longer than feedPingTimeout) Generation answers ok=false, and the cache
// is bypassed; the generation moves then too. The listener reconnects with exponential backoff;
// once LISTEN has succeeded again it moves the generation (notifications may have been missed
// meanwhile) and only then answers ok=true again. Generation reads ok before the generation, so
// a request that saw the feed up never pairs that with a generation from before an outage: no
// entry cached before an outage is served after it. A connection that dies silently is noticed
// within feedHeartbeat + feedPingTimeout (2 s); the cache's TTL bounds the rest.
//
// Other instances' commits arrive asynchronously, within PostgreSQL's delivery time
// (sub-millisecond on one host); see store/credcache for the residual window.
type postgresFeed struct {
	cfg        *pgx.ConnConfig
	minBackoff time.Duration

	schema string // the schema the store's tables are in, learnt at each connection

	gen atomic.Uint64
	ok  atomic.Bool
	pid atomic.Uint32 // backend PID of the current listening connection (tests terminate it)

	cancel context.CancelFunc
	done   chan struct{}
}

// postgresFeed starts listening on a dedicated connection configured like the store's pool,
// with minBackoff the first wait before a reconnection (tests lengthen it to observe an
// outage). It tries the first connection before it returns (bounded by ctx), so that the feed
// is usually available at once; when that fails the listener keeps trying in the background and
// the feed answers ok=false meanwhile.
func (s *Store) postgresFeed(ctx context.Context, minBackoff time.Duration) (*postgresFeed, error) {
	cfg, _, err := postgresConfig(s.pgURL)
	if err != nil {
		return nil, err
	}
	f := &postgresFeed{cfg: cfg, minBackoff: minBackoff, done: make(chan struct{})}
	runCtx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	conn, err := f.listen(ctx)
	if err != nil {
		conn = nil
	}
	go f.run(runCtx, conn)
	return f, nil
}

// Generation returns the current generation, ok=false while the listener is not connected.
// It reads ok first: the listener moves the generation when it goes down (after clearing ok)
// and when it is up again (before setting ok), so a generation read after ok=true is never the
// one of entries cached before an outage that ended in between.
func (f *postgresFeed) Generation(context.Context) (gen uint64, ok bool, err error) {
	if !f.ok.Load() {
		return 0, false, nil
	}
	return f.gen.Load(), true, nil
}

// down marks the feed unavailable, then moves the generation: whatever was cached until now
// may miss notifications lost with the connection.
func (f *postgresFeed) down() {
	f.ok.Store(false)
	f.gen.Add(1)
}

// Close stops the listener and closes its connection. It is safe to call more than once.
func (f *postgresFeed) Close() error {
	f.cancel()
	<-f.done
	return nil
}

// run keeps a listening connection until ctx ends. conn, when not nil, is already listening.
// After a lost connection it waits (f.minBackoff, doubling up to feedMaxBackoff while attempts
// fail) before it connects again.
func (f *postgresFeed) run(ctx context.Context, conn *pgx.Conn) {
	defer close(f.done)
	backoff := f.minBackoff
	for {
		if conn != nil {
			backoff = f.minBackoff
			f.wait(ctx, conn) // returns when the connection fails or ctx ends; f.ok is false then
			closeCtx, cancel := context.WithTimeout(context.Background(), feedCloseWait)
			_ = conn.Close(closeCtx)
			cancel()
			conn = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		var err error
		if conn, err = f.listen(ctx); err != nil {
			conn = nil
			backoff = min(2*backoff, feedMaxBackoff)
		}
	}
}

// listen connects and LISTENs; on success it moves the generation, then says ok.
func (f *postgresFeed) listen(ctx context.Context) (*pgx.Conn, error) {
	dialCtx, cancel := context.WithTimeout(ctx, feedDialTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(dialCtx, f.cfg)
	if err != nil {
		return nil, err
	}
	var schema *string // NULL when the search_path names no existing schema
	err = conn.QueryRow(dialCtx, "SELECT current_schema()").Scan(&schema)
	if err == nil {
		_, err = conn.Exec(dialCtx, "LISTEN "+CredentialsChannel)
	}
	if err != nil {
		_ = conn.Close(context.Background())
		return nil, err
	}
	f.schema = ""
	if schema != nil {
		f.schema = *schema
	}
	f.pid.Store(conn.PgConn().PID())
	f.gen.Add(1) // what was cached before this connection may have missed notifications
	f.ok.Store(true)
	return conn, nil
}

// wait moves the generation for each notification until the connection fails or ctx ends,
// pinging a silent connection every feedHeartbeat. It marks the feed down before it returns.
func (f *postgresFeed) wait(ctx context.Context, conn *pgx.Conn) {
	defer f.down()
	for {
		waitCtx, cancel := context.WithTimeout(ctx, feedHeartbeat)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case err == nil:
			if n.Payload == "" || f.schema == "" || n.Payload == f.schema {
				f.gen.Add(1)
			}
			continue
		case ctx.Err() != nil:
			return
		case !pgconn.Timeout(err) && !errors.Is(err, context.DeadlineExceeded):
			return
		}
		// Silent for feedHeartbeat: make sure the connection is alive.
		pingCtx, cancel := context.WithTimeout(ctx, feedPingTimeout)
		err = conn.Ping(pingCtx)
		cancel()
		if err != nil {
			return
		}
	}
}
