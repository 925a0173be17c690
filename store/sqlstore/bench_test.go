package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
	"github.com/gatehouse-auth/gatehouse/store/pgtest"
	"github.com/gatehouse-auth/gatehouse/store/storetest"
)

// eachDialect runs fn on a fresh store of each dialect (PostgreSQL skipped without a server).
func eachDialect(b *testing.B, fn func(b *testing.B, s *Store)) {
	b.Run("sqlite", func(b *testing.B) {
		s := openSQLiteTemp(b)
		defer s.Close()
		fn(b, s)
	})
	b.Run("postgres", func(b *testing.B) {
		s := openPostgresTemp(b)
		defer s.Close()
		fn(b, s)
	})
}

// The hot lookups (docs/benchmarks.md).

func BenchmarkSessionByTokenHash(b *testing.B) {
	eachDialect(b, func(b *testing.B, s *Store) { storetest.BenchSessionByTokenHash(b, s) })
}

// BenchmarkSQLiteLookupPool is what the lookup pool (sqlite_lookup.go: C-API connections that
// keep the statement prepared) buys on SQLite's hottest lookup, in the same run: the session
// lookup through the pool against the same query through database/sql, whose Stmt the modernc
// driver prepares again on every execution.
func BenchmarkSQLiteLookupPool(b *testing.B) {
	b.Run("prepared-pool", func(b *testing.B) {
		s := openSQLiteTemp(b)
		defer s.Close()
		storetest.BenchSessionByTokenHash(b, s)
	})
	b.Run("database-sql", func(b *testing.B) {
		s := openSQLiteTemp(b)
		defer s.Close()
		storetest.BenchSessionByTokenHash(b, databaseSQLPath{s})
	})
}

// databaseSQLPath is a Store whose session lookup bypasses the lookup pool.
type databaseSQLPath struct{ *Store }

func (s databaseSQLPath) SessionByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Session, *gatehouse.User, error) {
	return s.sessionByHash(ctx, hash)
}

func BenchmarkPATByTokenHash(b *testing.B) {
	eachDialect(b, func(b *testing.B, s *Store) { storetest.BenchPATByTokenHash(b, s) })
}

// BenchmarkAPIKeyByTokenHash compares the key lookup over 1,000 and 1,000,000 keys (the larger
// is skipped with -short). Each size is seeded once, in one transaction.
func BenchmarkAPIKeyByTokenHash(b *testing.B) {
	dir := b.TempDir() // the outer benchmark's: it outlives the runs of each size
	open := map[string]func(b *testing.B, n int) *Store{
		"sqlite": func(b *testing.B, n int) *Store {
			s, err := OpenSQLite(context.Background(), filepath.Join(dir, fmt.Sprintf("keys%d.db", n)))
			if err != nil {
				b.Fatalf("OpenSQLite: %v", err)
			}
			return s
		},
		"postgres": func(b *testing.B, n int) *Store { return openPostgresTemp(b) },
	}
	// open is called with the dialect's benchmark, not a size's: what it makes (the file, the
	// schema, dropped at cleanup) must outlive the runs of growing b.N.
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			if dialect == "postgres" {
				pgtest.RequireServer(b)
			}
			outer := b
			for _, n := range []int{1_000, 1_000_000} {
				var s *Store
				var hashes [][]byte
				b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
					if n > 1_000 && testing.Short() {
						b.Skip("seeding a million keys is skipped in -short mode")
					}
					if s == nil { // the first of the runs with growing b.N
						s = open[dialect](outer, n)
						hashes = storetest.SeedAPIKeys(b, s, n, s.seedAPIKeys)
					}
					storetest.BenchAPIKeyByTokenHash(b, s, hashes)
				})
				if s != nil {
					s.Close()
				}
			}
		})
	}
}

func TestSeedAPIKeys(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *Store{
		"sqlite":   func(t testing.TB) *Store { return openSQLiteTemp(t) },
		"postgres": func(t testing.TB) *Store { return openPostgresTemp(t) },
	} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			if got := len(storetest.SeedAPIKeys(t, s, 5000, s.seedAPIKeys)); got != 4096 {
				t.Fatalf("SeedAPIKeys returned %d hashes, want 4096", got)
			}
		})
	}
}

// seedAPIKeys is the store's storetest.APIKeySeeder: multi-row INSERTs of seedRows keys in one
// transaction (on SQLite with a page cache of up to 512 MiB meanwhile: the token_hash index's
// inserts land at random places).
func (s *Store) seedAPIKeys(ctx context.Context, n int, key func(i int) *gatehouse.APIKey) error {
	const seedRows, columns = 500, 18 // 9,000 parameters a statement: below both databases' limits
	if s.sqlite != nil {
		if _, err := s.exec(ctx, `PRAGMA cache_size = -524288`); err != nil {
			return err
		}
		defer s.exec(context.WithoutCancel(ctx), `PRAGMA cache_size = -2000`) //nolint:errcheck // back to the default
	}
	return s.inTx(ctx, func(tx conn) error {
		for start := 0; start < n; start += seedRows {
			m := min(seedRows, n-start)
			var p params
			rows := make([]string, m)
			for i := range m {
				k := key(start + i)
				if err := record.FillAPIKey(k); err != nil {
					return err
				}
				limit, period := rateColumns(k.RateLimit)
				row := make([]string, 0, columns)
				for _, v := range []any{k.ID, k.OrgID, k.Name, k.Environment, k.Prefix, k.TokenHash,
					k.Scopes, k.AllowedCIDRs, limit, period, k.CreatedBy, k.CreatedAt, k.ExpiresAt,
					k.ReplacedBy, k.LastUsedAt, k.LastUsedIP, k.RevokedAt, k.RevokeReason} {
					row = append(row, p.add(v))
				}
				rows[i] = "(" + strings.Join(row, ", ") + ")"
			}
			if _, err := tx.exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES `+strings.Join(rows, ", "), p...); err != nil {
				return tx.d.mapError(err, "API key")
			}
		}
		return nil
	})
}
