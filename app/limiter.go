package app

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/config"
	"github.com/gatehouse-auth/gatehouse/ratelimit/memory"
	ratelimitredis "github.com/gatehouse-auth/gatehouse/ratelimit/redis"
)

// limiter is the rate limiter of the instance: Redis when configured (limits hold across
// instances), else in memory.
type limiter struct {
	gatehouse.RateLimiter
	close func()
}

func newLimiter(ctx context.Context, cfg *config.Config) (*limiter, error) {
	if cfg.RedisURL == "" {
		return &limiter{RateLimiter: memory.New(time.Now), close: func() {}}, nil
	}
	client, err := ratelimitredis.Open(ctx, cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	return &limiter{RateLimiter: ratelimitredis.New(client, "gatehouse:rl:"), close: func() { _ = client.Close() }}, nil
}

func (l *limiter) Close() { l.close() }
