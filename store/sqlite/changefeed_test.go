package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func TestChangeFeed(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := Open(ctx, path) // another process, as far as SQLite knows
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	f, err := s.ChangeFeed()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	gen := func() uint64 {
		t.Helper()
		g, ok, err := f.Generation(ctx)
		if err != nil || !ok {
			t.Fatalf("Generation: ok %v, err %v", ok, err)
		}
		return g
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	newUser := func() *gatehouse.User {
		n++
		name := fmt.Sprintf("user%d", n)
		return &gatehouse.User{ID: gatehouse.NewID(gatehouse.PrefixUser, now, nil), Kind: gatehouse.KindUser,
			Username: name, CreatedAt: now, UpdatedAt: now}
	}
	tests := []struct {
		name   string
		change func(t *testing.T) // nil: nothing happens
		moves  bool
	}{
		{"nothing committed", nil, false},
		{"this store's writer commits", func(t *testing.T) {
			if err := s.CreateUser(ctx, newUser()); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a read", func(t *testing.T) {
			if _, err := s.UserByUsername(ctx, "user1"); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"another process commits", func(t *testing.T) {
			if err := other.CreateUser(ctx, newUser()); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a failed write (rolled back)", func(t *testing.T) {
			u := newUser()
			u.Username = "user1" // taken: the insert fails
			if err := other.CreateUser(ctx, u); err == nil {
				t.Fatal("duplicate user created")
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := gen()
			if tt.change != nil {
				tt.change(t)
			}
			if moved := gen() != before; moved != tt.moves {
				t.Errorf("generation moved: %v, want %v", moved, tt.moves)
			}
		})
	}

	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := f.Generation(ctx); ok || err == nil {
		t.Errorf("after Close: ok %v, err %v; want an error", ok, err)
	}
}

// BenchmarkChangeFeedGeneration is the cost the cache adds to every lookup on SQLite: one PRAGMA
// data_version on the feed's connection, shared by the calls that arrive while one runs.
func BenchmarkChangeFeedGeneration(b *testing.B) {
	s := openTemp(b)
	defer s.Close()
	f, err := s.ChangeFeed()
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, ok, err := f.Generation(ctx); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(32) // 32 goroutines per CPU: like the server's 64 connections on 2 cores
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok, err := f.Generation(ctx); !ok || err != nil {
					b.Error(ok, err)
					return
				}
			}
		})
	})
}

// TestChangeFeedSharedQueriesAreFresh: while other goroutines keep a query running at all times,
// a Generation called after a commit returned must still see it (it may share a query only if
// that query started after the call).
func TestChangeFeedSharedQueriesAreFresh(t *testing.T) {
	ctx := t.Context()
	s := openTemp(t)
	defer s.Close()
	f, err := s.ChangeFeed()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, ok, err := f.Generation(ctx); !ok || err != nil {
					t.Errorf("Generation: ok %v, err %v", ok, err)
					return
				}
			}
		}()
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 200 {
		before, _, _ := f.Generation(ctx)
		u := &gatehouse.User{ID: gatehouse.NewID(gatehouse.PrefixUser, now, nil), Kind: gatehouse.KindUser,
			Username: fmt.Sprintf("fresh%d", i), CreatedAt: now, UpdatedAt: now}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if after, ok, err := f.Generation(ctx); !ok || err != nil || after == before {
			t.Fatalf("commit %d: generation %d before, %d after (ok %v, err %v)", i, before, after, ok, err)
		}
	}
	close(stop)
	wg.Wait()
}
