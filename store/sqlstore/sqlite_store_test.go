package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
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

// TestSQLiteOnDiskFormat: the store keeps the format files written before it have (times as
// INTEGER Unix milliseconds, lists as JSON text), so existing databases keep working: what it
// writes is stored in that form, and rows written in that form by hand read back.
func TestSQLiteOnDiskFormat(t *testing.T) {
	ctx := t.Context()
	s := openSQLiteTemp(t)
	defer s.Close()
	at := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.UTC)
	u := &gatehouse.User{Username: "format", CreatedAt: at, UpdatedAt: at}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	pat := &gatehouse.PersonalAccessToken{UserID: u.ID, TokenHash: []byte("0123456789abcdef0123456789abcdef"),
		Scopes: []string{"a:b", "c d"}, CreatedAt: at}
	if err := s.CreatePAT(ctx, pat, 0, at); err != nil {
		t.Fatal(err)
	}
	var kind, scopes string
	var ms int64
	if err := s.r.QueryRowContext(ctx, `SELECT typeof(created_at), created_at, scopes FROM personal_access_tokens WHERE id = $1`,
		pat.ID).Scan(&kind, &ms, &scopes); err != nil {
		t.Fatal(err)
	}
	if kind != "integer" || ms != at.UnixMilli() || scopes != `["a:b","c d"]` {
		t.Errorf("stored created_at %s %d, scopes %s; want integer %d, [\"a:b\",\"c d\"]", kind, ms, scopes, at.UnixMilli())
	}
	// A row as an earlier version wrote it, by hand.
	if _, err := s.exec(ctx, `INSERT INTO personal_access_tokens (id, user_id, name, token_hash, prefix, scopes,
		created_at, expires_at) VALUES ('pat_byhand', $1, 'old', X'00112233445566778899aabbccddeeff', '', '["x"]', $2, NULL)`,
		u.ID, at.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.PATByTokenHash(ctx, []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff})
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(at.Truncate(time.Millisecond)) || got.CreatedAt.Location() != time.UTC ||
		!reflect.DeepEqual(got.Scopes, []string{"x"}) || got.ExpiresAt != nil {
		t.Errorf("read back %v %v %v %v", got.CreatedAt, got.CreatedAt.Location(), got.Scopes, got.ExpiresAt)
	}
}
