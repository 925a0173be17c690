package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
	"github.com/gatehouse-auth/gatehouse/store/storetest"
)

func BenchmarkPATByTokenHash(b *testing.B) {
	s := openTemp(b)
	defer s.Close()
	storetest.BenchPATByTokenHash(b, s)
}

// BenchmarkAPIKeyByTokenHash compares the key lookup over 1,000 and 1,000,000 keys (the larger
// is skipped with -short). Each size is seeded once, in one transaction.
func BenchmarkAPIKeyByTokenHash(b *testing.B) {
	dir := b.TempDir()
	for _, n := range []int{1_000, 1_000_000} {
		var s *Store
		var hashes [][]byte
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			if n > 1_000 && testing.Short() {
				b.Skip("seeding a million keys is skipped in -short mode")
			}
			if s == nil { // the first of the runs with growing b.N
				var err error
				if s, err = Open(context.Background(), filepath.Join(dir, fmt.Sprintf("keys%d.db", n))); err != nil {
					b.Fatalf("Open: %v", err)
				}
				hashes = storetest.SeedAPIKeys(b, s, n, s.seedAPIKeys)
			}
			storetest.BenchAPIKeyByTokenHash(b, s, hashes)
		})
		if s != nil {
			s.Close()
		}
	}
}

func TestSeedAPIKeys(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	if got := len(storetest.SeedAPIKeys(t, s, 5000, s.seedAPIKeys)); got != 4096 {
		t.Fatalf("SeedAPIKeys returned %d hashes, want 4096", got)
	}
}

// seedAPIKeys is the store's storetest.APIKeySeeder: multi-row INSERTs of seedRows keys in one
// transaction, with a page cache of up to 512 MiB on the writer meanwhile.
func (s *Store) seedAPIKeys(ctx context.Context, n int, key func(i int) *gatehouse.APIKey) error {
	const seedRows = 500 // 18 parameters a row: well below SQLite's 32766
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", 18), ", ") + ")"
	// A page cache that holds the token_hash index: its inserts land at random places.
	if _, err := s.w.ExecContext(ctx, `PRAGMA cache_size = -524288`); err != nil {
		return err
	}
	defer s.w.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -2000`) //nolint:errcheck // back to the default
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < n; start += seedRows {
			m := min(seedRows, n-start)
			args := make([]any, 0, 18*m)
			for i := start; i < start+m; i++ {
				k := key(i)
				if err := record.FillAPIKey(k); err != nil {
					return err
				}
				limit, period := rateColumns(k.RateLimit)
				args = append(args, k.ID, k.OrgID, k.Name, k.Environment, k.Prefix, k.TokenHash,
					encodeList(k.Scopes), encodePrefixes(k.AllowedCIDRs), limit, period, k.CreatedBy,
					millis(k.CreatedAt), nullMillis(k.ExpiresAt), k.ReplacedBy, nullMillis(k.LastUsedAt),
					k.LastUsedIP, nullMillis(k.RevokedAt), k.RevokeReason)
			}
			values := strings.TrimSuffix(strings.Repeat(row+", ", m), ", ")
			if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES `+values, args...); err != nil {
				return mapError(err, "API key")
			}
		}
		return nil
	})
}
