package sqlstore

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// feedModes are the ChangeFeed's two ways of watching the file; every test runs in both.
var feedModes = []struct {
	name        string
	watchHeader bool
}{
	{"wal-index", true},
	{"data_version", false},
}

func openFeed(t testing.TB, s *Store, mode string, watchHeader bool) *sqliteFeed {
	t.Helper()
	f, err := s.sqliteFeed(watchHeader)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Mode(); got != mode {
		f.Close()
		t.Fatalf("feed mode %q, want %q", got, mode)
	}
	return f
}

// changeFeedHelperEnv names the database a re-executed test binary commits to (see
// TestChangeFeedHelperProcess).
const changeFeedHelperEnv = "GATEHOUSE_TEST_CHANGEFEED_COMMIT_TO"

// TestChangeFeedHelperProcess is not a test: run by TestChangeFeed in a child process with
// changeFeedHelperEnv set, it creates one user in that database and exits.
func TestChangeFeedHelperProcess(t *testing.T) {
	path := os.Getenv(changeFeedHelperEnv)
	if path == "" {
		t.Skip("helper process for TestChangeFeed; runs only when " + changeFeedHelperEnv + " is set")
	}
	s, err := OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now().UTC()
	u := &gatehouse.User{ID: gatehouse.NewID(gatehouse.PrefixUser, now, nil), Kind: gatehouse.KindUser,
		Username: "from-another-process", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
}

func TestChangeFeed(t *testing.T) {
	for _, mode := range feedModes {
		t.Run(mode.name, func(t *testing.T) { testChangeFeed(t, mode.name, mode.watchHeader) })
	}
}

func testChangeFeed(t *testing.T, mode string, watchHeader bool) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := OpenSQLite(ctx, path) // another connection pool in this process
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	f := openFeed(t, s, mode, watchHeader)
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
		{"another store in this process commits", func(t *testing.T) {
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
		{"a passive checkpoint", func(t *testing.T) {
			if _, err := other.w.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"a commit after the checkpoint (the WAL may restart)", func(t *testing.T) {
			if err := other.CreateUser(ctx, newUser()); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"another process commits", func(t *testing.T) {
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestChangeFeedHelperProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), changeFeedHelperEnv+"="+path)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("helper process: %v\n%s", err, out)
			}
			if _, err := s.UserByUsername(ctx, "from-another-process"); err != nil {
				t.Fatalf("the helper's user: %v", err)
			}
		}, true},
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

// TestWALIndexHeadersRead: a header is taken only when both copies agree; a commit writing them
// (copies differ) must read as unstable.
func TestWALIndexHeadersRead(t *testing.T) {
	var base walIndexHeader
	for i := range base {
		base[i] = uint32(i * 7)
	}
	tests := []struct {
		name       string
		first      walIndexHeader
		second     walIndexHeader
		wantStable bool
	}{
		{"both copies equal", base, base, true},
		{"second copy already rewritten", base, with(base, 2, 99), false},
		{"first copy half rewritten", with(base, 11, 5), base, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m walIndexHeaders
			copy(m[:walIndexHeaderWords], tt.first[:])
			copy(m[walIndexHeaderWords:], tt.second[:])
			h, stable := m.read()
			if stable != tt.wantStable || h != tt.first {
				t.Errorf("read: %v stable %v; want %v stable %v", h, stable, tt.first, tt.wantStable)
			}
		})
	}
}

func with(h walIndexHeader, i int, v uint32) walIndexHeader {
	h[i] = v
	return h
}

// BenchmarkChangeFeedGeneration is the cost the cache adds to every lookup on SQLite: one PRAGMA
// data_version on the feed's connection, shared by the calls that arrive while one runs.
func BenchmarkChangeFeedGeneration(b *testing.B) {
	s := openSQLiteTemp(b)
	defer s.Close()
	ctx := context.Background()
	for _, mode := range feedModes {
		f := openFeed(b, s, mode.name, mode.watchHeader)
		b.Run(mode.name+"/serial", func(b *testing.B) {
			for b.Loop() {
				if _, ok, err := f.Generation(ctx); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
		b.Run(mode.name+"/parallel", func(b *testing.B) {
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
		f.Close()
	}
}

// TestChangeFeedSharedQueriesAreFresh: while other goroutines call Generation all the time, a
// Generation called after a commit returned must still see it (in PRAGMA mode it may share a
// query only if that query started after the call).
func TestChangeFeedSharedQueriesAreFresh(t *testing.T) {
	for _, mode := range feedModes {
		t.Run(mode.name, func(t *testing.T) {
			ctx := t.Context()
			s := openSQLiteTemp(t)
			defer s.Close()
			f := openFeed(t, s, mode.name, mode.watchHeader)
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
			defer func() {
				close(stop)
				wg.Wait()
			}()
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
		})
	}
}
