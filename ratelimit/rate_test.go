package ratelimit

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func TestInterval(t *testing.T) {
	tests := []struct {
		name            string
		rate            gatehouse.Rate
		resolution      time.Duration
		interval, burst time.Duration
	}{
		{"10/m", gatehouse.Rate{Limit: 10, Period: time.Minute}, time.Nanosecond, 6 * time.Second, time.Minute},
		{"7/m rounds down", gatehouse.Rate{Limit: 7, Period: time.Minute}, time.Microsecond, 8571428 * time.Microsecond, 7 * 8571428 * time.Microsecond},
		{"1/d", gatehouse.Rate{Limit: 1, Period: 24 * time.Hour}, time.Microsecond, 24 * time.Hour, 24 * time.Hour},
		{"finer than the resolution", gatehouse.Rate{Limit: 5_000_000, Period: time.Second}, time.Microsecond, time.Microsecond, time.Second},
		{"period below the resolution", gatehouse.Rate{Limit: 3, Period: time.Nanosecond}, time.Microsecond, time.Microsecond, time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			interval, burst, err := Interval(tt.rate, tt.resolution)
			if err != nil || interval != tt.interval || burst != tt.burst {
				t.Errorf("Interval = %v, %v, %v; want %v, %v", interval, burst, err, tt.interval, tt.burst)
			}
		})
	}
}

func TestIntervalRejectsInvalidRates(t *testing.T) {
	for _, r := range []gatehouse.Rate{{}, {Limit: 0, Period: time.Minute}, {Limit: -1, Period: time.Minute}, {Limit: 1}, {Limit: 1, Period: -time.Second}} {
		if _, _, err := Interval(r, time.Nanosecond); !errors.Is(err, ErrInvalidRate) {
			t.Errorf("Interval(%+v) error = %v, want ErrInvalidRate", r, err)
		}
	}
}
