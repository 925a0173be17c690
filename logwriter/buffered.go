package logwriter

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// MaxBuffered is how many bytes the buffer holds before a Write flushes it.
const MaxBuffered = 64 << 10

// DefaultEvery is how long a line may wait in the buffer by default.
const DefaultEvery = 100 * time.Millisecond

// Buffered is an io.Writer that batches what is written to it (see the package doc). It is safe
// for concurrent use.
type Buffered struct {
	every time.Duration

	mu     sync.Mutex
	dst    io.Writer
	buf    []byte
	timer  *time.Timer // flushes the buffer every after its first unwritten line; nil when idle
	err    error       // the first write error, returned from then on
	closed bool
}

// New returns a Buffered writing to dst, a line waiting at most every (DefaultEvery when 0).
func New(dst io.Writer, every time.Duration) *Buffered {
	if every <= 0 {
		every = DefaultEvery
	}
	return &Buffered{dst: dst, every: every, buf: make([]byte, 0, MaxBuffered)}
}

// Write buffers p. After Close it writes p through at once.
func (b *Buffered) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	if b.closed {
		if _, err := b.dst.Write(p); err != nil {
			b.err = err
			return 0, err
		}
		return len(p), nil
	}
	if len(b.buf)+len(p) > MaxBuffered {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > MaxBuffered { // a line larger than the buffer goes straight through
			if _, err := b.dst.Write(p); err != nil {
				b.err = err
				return 0, err
			}
			return len(p), nil
		}
	}
	b.buf = append(b.buf, p...)
	if b.timer == nil {
		b.timer = time.AfterFunc(b.every, b.flushFromTimer)
	}
	return len(p), nil
}

// Flush writes what is buffered.
func (b *Buffered) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

// Close flushes and stops the timer; later writes go straight through. Safe to call more than
// once.
func (b *Buffered) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	err := b.flushLocked()
	b.closed = true
	return err
}

func (b *Buffered) flushFromTimer() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.flushLocked() // kept in b.err
}

func (b *Buffered) flushLocked() error {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if b.err != nil {
		return b.err
	}
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.dst.Write(b.buf)
	b.buf = b.buf[:0]
	if err != nil {
		b.err = err
	}
	return err
}

// FlushingHandler wraps h so that every record at slog.LevelWarn or above is flushed to b's
// destination before Handle returns.
func FlushingHandler(h slog.Handler, b *Buffered) slog.Handler {
	return &flushingHandler{inner: h, b: b}
}

type flushingHandler struct {
	inner slog.Handler
	b     *Buffered
}

func (h *flushingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.inner.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.b.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h *flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &flushingHandler{inner: h.inner.WithAttrs(attrs), b: h.b}
}

func (h *flushingHandler) WithGroup(name string) slog.Handler {
	return &flushingHandler{inner: h.inner.WithGroup(name), b: h.b}
}
