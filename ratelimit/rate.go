package ratelimit

import (
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// ErrInvalidRate is wrapped by the error Allow returns for a rate with a non-positive limit or
// period.
var ErrInvalidRate = errors.New("ratelimit: invalid rate")

// Interval checks rate and returns its GCRA emission interval, Period/Limit rounded down to the
// given resolution, and the burst, Limit × interval. Implementations use it so that they agree on
// rounding: memory works in nanoseconds, redis in microseconds. A rate finer than one event per
// resolution unit is capped at that (interval = resolution, burst <= Period).
func Interval(rate gatehouse.Rate, resolution time.Duration) (interval, burst time.Duration, err error) {
	if rate.Limit <= 0 || rate.Period <= 0 {
		return 0, 0, fmt.Errorf("%w: %d per %s", ErrInvalidRate, rate.Limit, rate.Period)
	}
	limit := time.Duration(rate.Limit)
	interval = rate.Period / limit
	interval -= interval % resolution
	if interval < resolution {
		interval = resolution
		limit = max(rate.Period/resolution, 1)
	}
	return interval, interval * limit, nil
}
