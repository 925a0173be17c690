package app

import (
	"context"
	"log/slog"
	"time"
)

// janitorEvery is how often the background clean-up runs.
const janitorEvery = time.Hour

// usageFlushEvery is how often recorded credential uses are written; a crash loses at most this
// much of last-used times.
const usageFlushEvery = 10 * time.Second

// startJanitor runs periodic clean-up until ctx ends: pruning login-throttle state that has
// outlived its window (keys for names that never existed would otherwise pile up) and the
// challenges of abandoned ceremonies.
func startJanitor(ctx context.Context, log *slog.Logger, prune func(context.Context) (int, error)) (done <-chan struct{}) {
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(janitorEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				n, err := prune(ctx)
				if err != nil && ctx.Err() == nil {
					log.Warn("pruning expired state failed", "err", err)
				} else if n > 0 {
					log.Info("pruned expired state", "rows", n)
				}
			}
		}
	}()
	return finished
}
