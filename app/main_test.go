package app_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/config"
)

// TestStartReleasesOnFailure makes a late step of Start fail and checks that what the earlier
// steps opened is closed again: the SQLite files and the change feed (file descriptors), the
// rate limiter (Redis connections when GATEHOUSE_TEST_REDIS_URL is set), the listener, and every
// goroutine they ran; and that Close after the failed Start has nothing left to do.
func TestStartReleasesOnFailure(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares cfg so that Start fails after the store and the limiter are open.
		setup   func(t *testing.T, cfg *config.Config)
		wantErr string
	}{
		{"the listen address is taken", func(t *testing.T, cfg *config.Config) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			cfg.Addr = ln.Addr().String()
		}, "listen on"},
		{"a mail template override does not parse", func(t *testing.T, cfg *config.Config) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "verify_email.txt"), []byte("{{ .Code"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg.MailTemplates = dir
		}, "mail:"},
		{"the signing keys were sealed under another secret key", func(t *testing.T, cfg *config.Config) {
			first := *cfg
			first.SecretKey = strings.Repeat("a", 32)
			m := app.New(&first, nil)
			if err := m.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := m.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			cfg.SecretKey = strings.Repeat("b", 32)
		}, "secret key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := config.Default()
			cfg.Addr = "127.0.0.1:0"
			cfg.DatabaseURL = "sqlite://" + filepath.Join(dir, "gatehouse.db")
			cfg.MailOutboxDir = filepath.Join(dir, "outbox")
			cfg.RedisURL = os.Getenv("GATEHOUSE_TEST_REDIS_URL")
			tt.setup(t, &cfg)
			goroutines, fds := settled(t, -1, -1)

			m := app.New(&cfg, nil)
			err := m.Start(context.Background())
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), tt.wantErr) {
				m.Close(context.Background())
				t.Fatalf("Start: %v, want an error containing %q", err, tt.wantErr)
			}
			if m.Store != nil || m.Auth != nil {
				t.Error("a failed Start left its store or services on Main")
			}
			if g, f := settled(t, goroutines, fds); g > goroutines || f > fds {
				t.Errorf("after the failed Start: %d goroutines (before: %d), %d open files (before: %d)", g, goroutines, f, fds)
			}
			if err := m.Close(context.Background()); err != nil {
				t.Errorf("Close after a failed Start: %v", err)
			}
		})
	}
}

// settled returns the number of goroutines and open file descriptors of the process once they
// are at most wantG and wantFD (or after 5 s; -1: at once, for a baseline). Closed resources may
// take a moment to wind down their goroutines.
func settled(t *testing.T, wantG, wantFD int) (goroutines, fds int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skipf("no /proc/self/fd to count open files: %v", err)
		}
		goroutines, fds = runtime.NumGoroutine(), len(entries)
		if wantG < 0 || goroutines <= wantG && fds <= wantFD || time.Now().After(deadline) {
			return goroutines, fds
		}
		time.Sleep(10 * time.Millisecond)
	}
}
