package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
	"github.com/gatehouse-auth/gatehouse/store/storetest"
	"github.com/jackc/pgx/v5"
)

func BenchmarkPATByTokenHash(b *testing.B) {
	s := openFresh(b)
	defer s.Close()
	storetest.BenchPATByTokenHash(b, s)
}

// BenchmarkAPIKeyByTokenHash compares the key lookup over 1,000 and 1,000,000 keys (the larger
// is skipped with -short). Each size is seeded once, in one transaction (COPY).
func BenchmarkAPIKeyByTokenHash(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		s := openFresh(b) // its schema is dropped when the benchmark ends
		var hashes [][]byte
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			if n > 1_000 && testing.Short() {
				b.Skip("seeding a million keys is skipped in -short mode")
			}
			if hashes == nil { // the first of the runs with growing b.N
				hashes = storetest.SeedAPIKeys(b, s, n, s.seedAPIKeys)
				if _, err := s.pool.Exec(context.Background(), `ANALYZE api_keys`); err != nil {
					b.Fatalf("ANALYZE: %v", err)
				}
			}
			storetest.BenchAPIKeyByTokenHash(b, s, hashes)
		})
		s.Close()
	}
}

func TestSeedAPIKeys(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	if got := len(storetest.SeedAPIKeys(t, s, 5000, s.seedAPIKeys)); got != 4096 {
		t.Fatalf("SeedAPIKeys returned %d hashes, want 4096", got)
	}
}

// seedAPIKeys is the store's storetest.APIKeySeeder: one COPY in one transaction.
func (s *Store) seedAPIKeys(ctx context.Context, n int, key func(i int) *gatehouse.APIKey) error {
	columns := strings.Fields(strings.ReplaceAll(apiKeyColumns, ",", " "))
	return s.inTx(ctx, func(tx pgx.Tx) error {
		i := 0
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"api_keys"}, columns, pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			k := key(i)
			i++
			if err := record.FillAPIKey(k); err != nil {
				return nil, err
			}
			return apiKeyValues(k), nil
		}))
		return mapError(err, "API key")
	})
}
