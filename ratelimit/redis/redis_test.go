package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/ratelimit/ratelimittest"
)

// testClient connects to GATEHOUSE_TEST_REDIS_URL, or skips the test when it is unset.
func testClient(t testing.TB) *goredis.Client {
	t.Helper()
	u := os.Getenv("GATEHOUSE_TEST_REDIS_URL")
	if u == "" {
		t.Skip("GATEHOUSE_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/0): skipping the Redis tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	client, err := Open(ctx, u)
	if err != nil {
		t.Fatalf("Open(GATEHOUSE_TEST_REDIS_URL): %v", err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// testPrefix returns a random key prefix and deletes its keys when the test ends.
func testPrefix(t testing.TB, client *goredis.Client) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	prefix := "gatehouse-test:ratelimit:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("cleaning up %s*: %v", prefix, err)
		}
	})
	return prefix
}

func TestConformance(t *testing.T) {
	client := testClient(t)
	ratelimittest.Run(t, func(t *testing.T) gatehouse.RateLimiter { return New(client, testPrefix(t, client)) })
}

func TestLimitsHoldAcrossInstances(t *testing.T) {
	// Two instances: two connection pools, one Redis.
	a, b := testClient(t), testClient(t)
	prefix := testPrefix(t, a)
	instances := []*Limiter{New(a, prefix), New(b, prefix)}
	rate := gatehouse.Rate{Limit: 7, Period: time.Hour}
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			d, err := instances[i%2].Allow(context.Background(), "login-ip:203.0.113.7", rate)
			if err != nil {
				t.Error(err)
				return
			}
			if d.Allowed {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != rate.Limit {
		t.Errorf("%d of 60 events through two instances allowed, want %d", allowed, rate.Limit)
	}
}

func TestKeyExpiresWhenTheBucketIsFull(t *testing.T) {
	client := testClient(t)
	prefix := testPrefix(t, client)
	l := New(client, prefix)
	ctx := context.Background()
	tests := []struct {
		name   string
		events int
		rate   gatehouse.Rate
		maxTTL time.Duration
	}{
		{"one event holds one interval", 1, gatehouse.Rate{Limit: 10, Period: time.Hour}, 6 * time.Minute},
		{"a full burst holds the period", 10, gatehouse.Rate{Limit: 10, Period: time.Hour}, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := strings.ReplaceAll(tt.name, " ", "-")
			for range tt.events {
				if _, err := l.Allow(ctx, key, tt.rate); err != nil {
					t.Fatal(err)
				}
			}
			ttl, err := client.PTTL(ctx, prefix+key).Result()
			if err != nil {
				t.Fatal(err)
			}
			if ttl <= tt.maxTTL-time.Minute || ttl > tt.maxTTL {
				t.Errorf("PTTL = %v, want just under %v", ttl, tt.maxTTL)
			}
		})
	}
}

// TestRefillAfterRetryAfter waits out a real RetryAfter. It cannot flake: the wait starts after
// Redis answered, so when the next event reaches Redis its clock has advanced by more than
// RetryAfter since the denial.
func TestRefillAfterRetryAfter(t *testing.T) {
	client := testClient(t)
	l := New(client, testPrefix(t, client))
	ctx := context.Background()
	rate := gatehouse.Rate{Limit: 2, Period: 200 * time.Millisecond}
	for i := range 2 {
		if d, err := l.Allow(ctx, "k", rate); err != nil || !d.Allowed {
			t.Fatalf("event %d: %+v, %v", i+1, d, err)
		}
	}
	d, err := l.Allow(ctx, "k", rate)
	if err != nil || d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 100*time.Millisecond {
		t.Fatalf("third event: %+v, %v; want denied with 0 < RetryAfter <= 100ms", d, err)
	}
	time.Sleep(d.RetryAfter + time.Millisecond)
	if d, err := l.Allow(ctx, "k", rate); err != nil || !d.Allowed {
		t.Fatalf("after waiting RetryAfter: %+v, %v; want allowed", d, err)
	}
}

func TestUnreachableRedisIsUnavailable(t *testing.T) {
	// Nothing listens on port 1; no server is needed for this test.
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	defer client.Close()
	l := New(client, "x:")
	d, err := l.Allow(context.Background(), "k", gatehouse.Rate{Limit: 1, Period: time.Minute})
	if err == nil || d.Allowed {
		t.Fatalf("Allow against a dead Redis = %+v, %v; want an error", d, err)
	}
	if code := gatehouse.ErrorCode(err); code != gatehouse.CodeUnavailable {
		t.Errorf("ErrorCode = %q, want %q (error %v)", code, gatehouse.CodeUnavailable, err)
	}
	var gerr *gatehouse.Error
	if errors.As(err, &gerr) && gerr.RetryAfter <= 0 {
		t.Errorf("RetryAfter = %v, want > 0", gerr.RetryAfter)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Allow(ctx, "k", gatehouse.Rate{Limit: 1, Period: time.Minute}); !errors.Is(err, context.Canceled) {
		t.Errorf("Allow with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestOpenErrorsHideThePassword(t *testing.T) {
	const secret = "S3cretPassw0rd"
	tests := []struct {
		name, url, want string
	}{
		{"bad scheme", "http://:" + secret + "@127.0.0.1:6379", "invalid URL scheme"},
		{"bad port", "redis://:" + secret + "@127.0.0.1:port/0", "invalid port"},
		{"bad database", "redis://:" + secret + "@127.0.0.1:6379/db", "invalid database"},
		{"unreachable", "redis://:" + secret + "@127.0.0.1:1/0", "ping 127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			client, err := Open(ctx, tt.url)
			if err == nil {
				client.Close()
				t.Fatal("Open succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error echoes the password: %v", err)
			}
		})
	}
}

func BenchmarkAllow(b *testing.B) {
	client := testClient(b)
	l := New(client, testPrefix(b, client))
	rate := gatehouse.Rate{Limit: 1_000_000, Period: time.Second}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Allow(context.Background(), "203.0.113.7", rate); err != nil {
				b.Fatal(err)
			}
		}
	})
}
