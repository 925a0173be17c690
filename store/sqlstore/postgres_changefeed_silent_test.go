package sqlstore

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/store/pgtest"
)

// freezingProxy forwards TCP connections to a PostgreSQL server until it is frozen: then it
// stops forwarding in both directions but keeps every connection open, as a network that drops
// packets silently (no RST, no FIN) would.
type freezingProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	frozen bool
	conns  []net.Conn
}

func startFreezingProxy(t *testing.T, target string) *freezingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &freezingProxy{ln: ln, target: target}
	t.Cleanup(p.close)
	go p.accept()
	return p
}

func (p *freezingProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

// pipe copies src to dst until either fails; once frozen it reads nothing more.
func (p *freezingProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			frozen := p.frozen
			p.mu.Unlock()
			if frozen {
				return // drop it, keep both ends open
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			return
		}
	}
}

func (p *freezingProxy) freeze() {
	p.mu.Lock()
	p.frozen = true
	p.mu.Unlock()
}

func (p *freezingProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// TestChangeFeedNoticesASilentConnectionLoss reproduces the review's finding that a listener
// whose connection went silent (no error, no notification) kept answering ok for up to 8 s while
// notifications were lost: the heartbeat now notices it within 2 s (feedHeartbeat +
// feedPingTimeout), marks the feed down and moves the generation.
func TestChangeFeedNoticesASilentConnectionLoss(t *testing.T) {
	if bound := feedHeartbeat + feedPingTimeout; bound > 2*time.Second {
		t.Fatalf("a silent connection loss is noticed within %v, want at most 2s", bound)
	}
	base, err := url.Parse(pgtest.FreshSchema(t, "gatehouse_test_"))
	if err != nil {
		t.Fatal(err)
	}
	proxy := startFreezingProxy(t, base.Host)
	through := *base
	through.Host = proxy.ln.Addr().String()
	b := openCachedInstance(t, through.String(), time.Hour) // no reconnection during the test
	before := b.gen(t)
	proxy.freeze()
	start := time.Now()
	waitFor(t, "the feed to notice the silent connection", func() bool {
		_, ok, _ := b.feed.Generation(t.Context())
		return !ok
	})
	t.Logf("noticed after %v", time.Since(start).Round(time.Millisecond))
	if g := b.feed.gen.Load(); g == before {
		t.Errorf("the generation did not move when the feed went down (still %d)", g)
	}
}

// TestChangeFeedGenerationMovesWhenTheFeedGoesDown reproduces the window of the review: a
// request that read the generation just before an outage and ok just after the reconnection
// was served entries cached before the outage. The generation now moves when the feed goes
// down, and Generation reads ok first.
func TestChangeFeedGenerationMovesWhenTheFeedGoesDown(t *testing.T) {
	url := pgtest.FreshSchema(t, "gatehouse_test_")
	ctx := t.Context()
	a := openCachedInstance(t, url, feedMinBackoff)
	b := openCachedInstance(t, url, time.Hour) // stays down: only the down transition is observed
	before := b.gen(t)
	if _, err := a.plain.w.ExecContext(ctx, "SELECT pg_terminate_backend($1)", int32(b.feed.pid.Load())); err != nil {
		t.Fatalf("terminate the listener: %v", err)
	}
	waitFor(t, "the feed to notice the outage", func() bool {
		_, ok, _ := b.feed.Generation(ctx)
		return !ok
	})
	if g := b.feed.gen.Load(); g == before {
		t.Fatalf("the generation is still %d after the feed went down: a request that read it before the outage would match entries cached before it", g)
	}
}
