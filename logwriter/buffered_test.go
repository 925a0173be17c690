package logwriter

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// destination records each write it receives; fail makes writes fail.
type destination struct {
	mu     sync.Mutex
	writes []string
	fail   error
}

func (d *destination) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return 0, d.fail
	}
	d.writes = append(d.writes, string(p))
	return len(p), nil
}

func (d *destination) all() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.writes, "")
}

func (d *destination) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.writes)
}

func write(t *testing.T, b *Buffered, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if _, err := b.Write([]byte(l)); err != nil {
			t.Fatalf("Write(%q): %v", l, err)
		}
	}
}

func TestBuffered(t *testing.T) {
	const never = time.Hour
	tests := []struct {
		name string
		run  func(t *testing.T, b *Buffered, d *destination)
	}{
		{"nothing written before a flush", func(t *testing.T, b *Buffered, d *destination) {
			write(t, b, "a\n", "b\n")
			if d.count() != 0 {
				t.Errorf("written before any flush: %q", d.writes)
			}
		}},
		{"flush writes the lines in order, in one write", func(t *testing.T, b *Buffered, d *destination) {
			write(t, b, "a\n", "b\n", "c\n")
			if err := b.Flush(); err != nil {
				t.Fatal(err)
			}
			if len(d.writes) != 1 || d.writes[0] != "a\nb\nc\n" {
				t.Errorf("writes %q", d.writes)
			}
		}},
		{"a full buffer is written at a line boundary", func(t *testing.T, b *Buffered, d *destination) {
			line := strings.Repeat("x", 999) + "\n"
			n := MaxBuffered/len(line) + 1
			for range n {
				write(t, b, line)
			}
			if d.count() != 1 {
				t.Fatalf("%d writes, want 1", d.count())
			}
			if got := d.writes[0]; len(got)%len(line) != 0 || len(got) > MaxBuffered {
				t.Errorf("first write of %d bytes: not whole lines within %d", len(got), MaxBuffered)
			}
			_ = b.Flush()
			if d.all() != strings.Repeat(line, n) {
				t.Error("lines lost or reordered")
			}
		}},
		{"a line larger than the buffer goes through after the buffered ones", func(t *testing.T, b *Buffered, d *destination) {
			big := strings.Repeat("y", MaxBuffered+10) + "\n"
			write(t, b, "small\n", big)
			if len(d.writes) != 2 || d.writes[0] != "small\n" || d.writes[1] != big {
				t.Errorf("%d writes", len(d.writes))
			}
		}},
		{"close flushes, then writes go straight through", func(t *testing.T, b *Buffered, d *destination) {
			write(t, b, "before\n")
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			write(t, b, "after\n")
			if got := d.writes; len(got) != 2 || got[0] != "before\n" || got[1] != "after\n" {
				t.Errorf("writes %q", got)
			}
			if err := b.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		}},
		{"a write error is kept and reported", func(t *testing.T, b *Buffered, d *destination) {
			d.fail = errors.New("disk full")
			write(t, b, "lost\n")
			if err := b.Flush(); err == nil || err.Error() != "disk full" {
				t.Errorf("Flush: %v", err)
			}
			if _, err := b.Write([]byte("next\n")); err == nil {
				t.Error("Write after a failed flush succeeded")
			}
			if err := b.Close(); err == nil {
				t.Error("Close after a failed flush succeeded")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &destination{}
			b := New(d, never)
			defer b.Close()
			tt.run(t, b, d)
		})
	}
}

// TestBufferedTimer: a buffered line is written without a flush once the interval has passed.
func TestBufferedTimer(t *testing.T) {
	d := &destination{}
	b := New(d, 5*time.Millisecond)
	defer b.Close()
	write(t, b, "late\n")
	deadline := time.Now().Add(10 * time.Second)
	for d.count() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the line was never written")
		}
		time.Sleep(time.Millisecond)
	}
	if d.all() != "late\n" {
		t.Errorf("written %q", d.all())
	}
}

func TestFlushingHandler(t *testing.T) {
	tests := []struct {
		name      string
		level     slog.Level
		wantFlush bool
	}{
		{"debug waits", slog.LevelDebug, false},
		{"info waits", slog.LevelInfo, false},
		{"warn flushes", slog.LevelWarn, true},
		{"error flushes", slog.LevelError, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &destination{}
			b := New(d, time.Hour)
			defer b.Close()
			log := slog.New(FlushingHandler(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}), b)).
				With("request_id", "r1").WithGroup("g")
			log.Info("earlier")
			log.Log(t.Context(), tt.level, "this one", "k", "v")
			flushed := d.count() > 0
			if flushed != tt.wantFlush {
				t.Fatalf("flushed %v, want %v", flushed, tt.wantFlush)
			}
			if flushed && (!strings.Contains(d.all(), "msg=earlier") || !strings.Contains(d.all(), "request_id=r1 g.k=v")) {
				t.Errorf("written %q", d.all())
			}
		})
	}
}

// TestBufferedConcurrent: lines written from many goroutines all arrive, each whole (run with
// -race).
func TestBufferedConcurrent(t *testing.T) {
	d := &destination{}
	b := New(d, time.Millisecond)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				fmt.Fprintf(b, "goroutine %d line %d %s\n", g, i, strings.Repeat("z", 50))
			}
		})
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(d.all(), "\n"), "\n") {
		var g, i int
		var z string
		if _, err := fmt.Sscanf(l, "goroutine %d line %d %s", &g, &i, &z); err != nil || len(z) != 50 {
			t.Fatalf("broken line %q", l)
		}
		seen[l] = true
	}
	if len(seen) != 8*2000 {
		t.Errorf("%d distinct lines, want %d", len(seen), 8*2000)
	}
	if !bytes.Contains([]byte(d.all()), []byte("goroutine 7 line 1999 ")) {
		t.Error("the last line is missing")
	}
}
