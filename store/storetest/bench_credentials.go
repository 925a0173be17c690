package storetest

import (
	"context"
	"crypto/sha256"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// BenchPATByTokenHash measures the hot path of every request with a personal access token:
// looking up the token and its user by token hash, from parallel goroutines. s must be empty; it
// is not closed.
func BenchPATByTokenHash(b *testing.B, s gatehouse.Store) {
	ctx := context.Background()
	const users, perUser = 16, 10
	var hashes [][]byte
	for i := 0; i < users; i++ {
		u := newUser("bench"+string(rune('a'+i)), base)
		if err := s.CreateUser(ctx, u); err != nil {
			b.Fatalf("CreateUser: %v", err)
		}
		for j := 0; j < perUser; j++ {
			p := newPAT(u.ID, base)
			if err := s.CreatePAT(ctx, p, 0, base); err != nil {
				b.Fatalf("CreatePAT: %v", err)
			}
			hashes = append(hashes, p.TokenHash)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	lookupParallel(b, hashes, func(h []byte) error {
		_, _, err := s.PATByTokenHash(ctx, h)
		return err
	})
}

// APIKeySeeder inserts n API keys in one transaction; key(i) returns the i-th key (i in
// [0,n)), ready to insert: every field set, ID included. Backends provide one (a multi-row
// INSERT, COPY ...) so that SeedAPIKeys can fill a store with a million keys in seconds.
type APIKeySeeder func(ctx context.Context, n int, key func(i int) *gatehouse.APIKey) error

// seedSamples is how many of the seeded keys' hashes SeedAPIKeys returns.
const seedSamples = 4096

// seedHash is the token hash of the i-th seeded key.
func seedHash(i int) []byte {
	h := sha256.Sum256([]byte("storetest-seed-key-" + strconv.Itoa(i)))
	return h[:]
}

// SeedAPIKeys creates an organization with n API keys in s, through seed (or CreateAPIKey one
// at a time when seed is nil), checks that a few of them can be found, and returns the token
// hashes of up to 4096 keys spread evenly over the n, for BenchAPIKeyByTokenHash.
func SeedAPIKeys(tb testing.TB, s gatehouse.Store, n int, seed APIKeySeeder) [][]byte {
	tb.Helper()
	ctx := context.Background()
	o := &gatehouse.Org{Name: "bench-keys-" + strconv.Itoa(n), CreatedAt: base}
	if err := s.CreateOrg(ctx, o); err != nil {
		tb.Fatalf("CreateOrg: %v", err)
	}
	cidrs := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	key := func(i int) *gatehouse.APIKey {
		created := base.Add(time.Duration(i) * time.Millisecond)
		return &gatehouse.APIKey{
			ID: gatehouse.NewID(gatehouse.PrefixAPIKey, created, nil), OrgID: o.ID, Name: "key " + strconv.Itoa(i),
			Environment: gatehouse.EnvironmentLive, Prefix: "sk_live_bench", TokenHash: seedHash(i),
			Scopes: []string{"calls:read", "calls:write"}, AllowedCIDRs: cidrs,
			RateLimit: &gatehouse.Rate{Limit: 100, Period: time.Minute}, CreatedBy: "usr_bench",
			CreatedAt: created,
		}
	}
	if seed == nil {
		seed = func(ctx context.Context, n int, key func(i int) *gatehouse.APIKey) error {
			for i := 0; i < n; i++ {
				if err := s.CreateAPIKey(ctx, key(i)); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if err := seed(ctx, n, key); err != nil {
		tb.Fatalf("seeding %d API keys: %v", n, err)
	}
	samples := min(n, seedSamples)
	hashes := make([][]byte, samples)
	for j := range hashes {
		hashes[j] = seedHash(j * n / samples)
	}
	for _, i := range []int{0, n / 2, n - 1} {
		k, err := s.APIKeyByTokenHash(ctx, seedHash(i))
		if err != nil {
			tb.Fatalf("seeded key %d: %v", i, err)
		}
		if want := key(i); k.Name != want.Name || k.RateLimit == nil || len(k.AllowedCIDRs) != 2 {
			tb.Fatalf("seeded key %d = %+v, want %+v", i, k, want)
		}
	}
	return hashes
}

// BenchAPIKeyByTokenHash measures the hot path of every request with an API key (and every
// /v1/verify check): looking up keys by token hash, from parallel goroutines. hashes come from
// SeedAPIKeys, so the cost can be compared across table sizes.
func BenchAPIKeyByTokenHash(b *testing.B, s gatehouse.Store, hashes [][]byte) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	lookupParallel(b, hashes, func(h []byte) error {
		_, err := s.APIKeyByTokenHash(ctx, h)
		return err
	})
}

// lookupParallel calls lookup with the hashes in turn from parallel goroutines, each starting
// at a different place.
func lookupParallel(b *testing.B, hashes [][]byte, lookup func(hash []byte) error) {
	var next atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(7919)
		for pb.Next() {
			i++
			if err := lookup(hashes[i%uint64(len(hashes))]); err != nil {
				b.Errorf("lookup: %v", err)
				return
			}
		}
	})
}
