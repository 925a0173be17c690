package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func TestConnectionSettings(t *testing.T) {
	s := openSQLiteTemp(t, WithReadConns(3), WithBusyTimeout(1500*time.Millisecond))
	defer s.Close()
	cases := []struct {
		name  string
		db    *sql.DB
		query string
		want  string
	}{
		{"writer journal mode", s.w, "PRAGMA journal_mode", "wal"},
		{"writer synchronous FULL", s.w, "PRAGMA synchronous", "2"},
		{"writer foreign keys", s.w, "PRAGMA foreign_keys", "1"},
		{"writer busy timeout", s.w, "PRAGMA busy_timeout", "1500"},
		{"writer not query only", s.w, "PRAGMA query_only", "0"},
		{"reader journal mode", s.r, "PRAGMA journal_mode", "wal"},
		{"reader query only", s.r, "PRAGMA query_only", "1"},
		{"reader busy timeout", s.r, "PRAGMA busy_timeout", "1500"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got string
			if err := c.db.QueryRow(c.query).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("%s = %s, want %s", c.query, got, c.want)
			}
		})
	}
	if n := s.w.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer pool allows %d connections, want 1", n)
	}
	if n := s.r.Stats().MaxOpenConnections; n != 3 {
		t.Errorf("read pool allows %d connections, want 3", n)
	}
	if _, err := s.r.Exec(`DELETE FROM users`); err == nil {
		t.Errorf("a write through the read pool succeeded, want it refused")
	}
}

func TestOpenRejectsNonFiles(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file::memory:?cache=shared"} {
		t.Run(path, func(t *testing.T) {
			if s, err := OpenSQLite(t.Context(), path); err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", path)
			}
		})
	}
}

func TestPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?with#odd%chars")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "gate house.db")
	s, err := OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at the given path: %v", err)
	}
}

func TestLockedDatabaseIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.db")
	s, err := OpenSQLite(t.Context(), path, WithBusyTimeout(20*time.Millisecond))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	// Another process (here: another connection) holds the write lock.
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK") //nolint:errcheck

	err = s.CreateUser(t.Context(), &gatehouse.User{Username: "blocked"})
	if gatehouse.ErrorCode(err) != gatehouse.CodeUnavailable {
		t.Fatalf("CreateUser while locked: %v (code %q), want %q", err, gatehouse.ErrorCode(err), gatehouse.CodeUnavailable)
	}
	// Reads still work: WAL readers do not wait for writers.
	if _, err := s.UserByUsername(t.Context(), "nobody"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Fatalf("read while locked: %v", err)
	}
}

func TestCloseTwiceSQLite(t *testing.T) {
	s := openSQLiteTemp(t)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
