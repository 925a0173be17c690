package redis

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/ratelimit"
)

//go:embed gcra.lua
var gcraSource string

var gcra = goredis.NewScript(gcraSource)

// Limiter is a GCRA rate limiter whose state lives in Redis.
type Limiter struct {
	client goredis.Scripter
	prefix string
}

var _ gatehouse.RateLimiter = (*Limiter)(nil)

// New returns a Limiter that stores its keys in client (a *redis.Client, *redis.ClusterClient or
// *redis.Ring) under prefix, e.g. "gatehouse:ratelimit:".
func New(client goredis.Scripter, prefix string) *Limiter {
	return &Limiter{client: client, prefix: prefix}
}

// Allow counts one event for key under rate, atomically on the Redis server.
func (l *Limiter) Allow(ctx context.Context, key string, rate gatehouse.Rate) (gatehouse.RateDecision, error) {
	interval, burst, err := ratelimit.Interval(rate, time.Microsecond)
	if err != nil {
		return gatehouse.RateDecision{}, err
	}
	res, err := gcra.Run(ctx, l.client, []string{l.prefix + key}, interval.Microseconds(), burst.Microseconds()).Int64Slice()
	if err != nil {
		if ctx.Err() != nil {
			return gatehouse.RateDecision{}, fmt.Errorf("ratelimit/redis: %w", ctx.Err())
		}
		unavailable := &gatehouse.Error{Code: gatehouse.CodeUnavailable, Message: "Rate limiting is temporarily unavailable; try again shortly.", RetryAfter: time.Second}
		return gatehouse.RateDecision{}, fmt.Errorf("ratelimit/redis: %w: %w", unavailable, err)
	}
	if len(res) != 3 {
		return gatehouse.RateDecision{}, fmt.Errorf("ratelimit/redis: the script returned %d values, want 3", len(res))
	}
	return gatehouse.RateDecision{
		Allowed:    res[0] == 1,
		Remaining:  int(res[1]),
		RetryAfter: time.Duration(res[2]) * time.Microsecond,
	}, nil
}

// Open connects to the Redis server at rawURL (redis://[user:password@]host[:port][/db] or
// rediss://… for TLS) and checks it answers PING. The caller closes the client.
func Open(ctx context.Context, rawURL string) (*goredis.Client, error) {
	opts, err := goredis.ParseURL(rawURL)
	if err != nil {
		// url.Error repeats the whole URL, password included; keep only its reason.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("ratelimit/redis: invalid Redis URL: %w", err)
	}
	client := goredis.NewClient(opts)
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("ratelimit/redis: ping %s: %w", opts.Addr, err)
	}
	return client, nil
}
