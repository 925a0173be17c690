package gatehouse

import (
	"testing"
	"time"
)

func TestDeviceAuthorizationPoll(t *testing.T) {
	created := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	expires := created.Add(10 * time.Minute)
	at := func(d time.Duration) time.Time { return created.Add(d) }
	ptr := func(t time.Time) *time.Time { return &t }
	cases := []struct {
		name         string
		state        string
		interval     time.Duration
		lastPolled   *time.Time
		now          time.Time
		want         DevicePoll
		wantState    string
		wantInterval time.Duration
		wantPolled   *time.Time // nil: LastPolledAt unchanged
	}{
		{"first poll of a pending flow", DeviceStatePending, 5 * time.Second, nil, at(time.Second),
			DevicePollPending, DeviceStatePending, 5 * time.Second, ptr(at(time.Second))},
		{"pending, exactly one interval later", DeviceStatePending, 5 * time.Second, ptr(at(0)), at(5 * time.Second),
			DevicePollPending, DeviceStatePending, 5 * time.Second, ptr(at(5 * time.Second))},
		{"pending, too early", DeviceStatePending, 5 * time.Second, ptr(at(0)), at(4999 * time.Millisecond),
			DevicePollSlowDown, DeviceStatePending, 10 * time.Second, ptr(at(4999 * time.Millisecond))},
		{"a grown interval counts", DeviceStatePending, 10 * time.Second, ptr(at(0)), at(9 * time.Second),
			DevicePollSlowDown, DeviceStatePending, 15 * time.Second, ptr(at(9 * time.Second))},
		{"a grown interval stays after a good poll", DeviceStatePending, 15 * time.Second, ptr(at(0)), at(15 * time.Second),
			DevicePollPending, DeviceStatePending, 15 * time.Second, ptr(at(15 * time.Second))},
		{"zero interval is never early", DeviceStatePending, 0, ptr(at(time.Second)), at(time.Second),
			DevicePollPending, DeviceStatePending, 0, ptr(at(time.Second))},
		{"approved: issue and consume", DeviceStateApproved, 5 * time.Second, ptr(at(0)), at(6 * time.Second),
			DevicePollApproved, DeviceStateConsumed, 5 * time.Second, ptr(at(6 * time.Second))},
		{"approved but too early: slow down, not consumed", DeviceStateApproved, 5 * time.Second, ptr(at(0)), at(time.Second),
			DevicePollSlowDown, DeviceStateApproved, 10 * time.Second, ptr(at(time.Second))},
		{"denied", DeviceStateDenied, 5 * time.Second, nil, at(time.Minute),
			DevicePollDenied, DeviceStateDenied, 5 * time.Second, ptr(at(time.Minute))},
		{"denied but too early", DeviceStateDenied, 5 * time.Second, ptr(at(0)), at(time.Second),
			DevicePollSlowDown, DeviceStateDenied, 10 * time.Second, ptr(at(time.Second))},
		{"expired at the expiry instant", DeviceStatePending, 5 * time.Second, ptr(at(0)), expires,
			DevicePollExpired, DeviceStatePending, 5 * time.Second, nil},
		{"approved but expired is not issued", DeviceStateApproved, 5 * time.Second, ptr(at(0)), expires.Add(time.Second),
			DevicePollExpired, DeviceStateApproved, 5 * time.Second, nil},
		{"consumed", DeviceStateConsumed, 5 * time.Second, ptr(at(0)), at(time.Minute),
			DevicePollConsumed, DeviceStateConsumed, 5 * time.Second, nil},
		{"consumed, even too early", DeviceStateConsumed, 5 * time.Second, ptr(at(0)), at(time.Second),
			DevicePollConsumed, DeviceStateConsumed, 5 * time.Second, nil},
		{"consumed, even after expiry", DeviceStateConsumed, 5 * time.Second, ptr(at(0)), expires.Add(time.Hour),
			DevicePollConsumed, DeviceStateConsumed, 5 * time.Second, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &DeviceAuthorization{State: c.state, Interval: c.interval, LastPolledAt: c.lastPolled,
				CreatedAt: created, ExpiresAt: expires}
			if got := d.Poll(c.now); got != c.want {
				t.Errorf("Poll = %q, want %q", got, c.want)
			}
			if d.State != c.wantState || d.Interval != c.wantInterval {
				t.Errorf("after Poll: state %q, interval %v; want %q, %v", d.State, d.Interval, c.wantState, c.wantInterval)
			}
			wantPolled := c.lastPolled
			if c.wantPolled != nil {
				wantPolled = c.wantPolled
			}
			switch {
			case (d.LastPolledAt == nil) != (wantPolled == nil):
				t.Errorf("LastPolledAt = %v, want %v", d.LastPolledAt, wantPolled)
			case d.LastPolledAt != nil && !d.LastPolledAt.Equal(*wantPolled):
				t.Errorf("LastPolledAt = %v, want %v", *d.LastPolledAt, *wantPolled)
			}
		})
	}
}

// TestDeviceAuthorizationPollSequence follows one client that polls too fast: every early poll
// adds DeviceSlowDownStep for good, and the approval is issued once.
func TestDeviceAuthorizationPollSequence(t *testing.T) {
	created := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	d := &DeviceAuthorization{State: DeviceStatePending, Interval: 5 * time.Second, CreatedAt: created,
		ExpiresAt: created.Add(10 * time.Minute)}
	steps := []struct {
		name     string
		at       time.Duration
		approve  bool
		want     DevicePoll
		interval time.Duration
	}{
		{"first", 0, false, DevicePollPending, 5 * time.Second},
		{"1 s later", time.Second, false, DevicePollSlowDown, 10 * time.Second},
		{"2 s later", 2 * time.Second, false, DevicePollSlowDown, 15 * time.Second},
		{"15 s later", 17 * time.Second, false, DevicePollPending, 15 * time.Second},
		{"approved, 15 s later", 32 * time.Second, true, DevicePollApproved, 15 * time.Second},
		{"again", 60 * time.Second, false, DevicePollConsumed, 15 * time.Second},
	}
	for _, st := range steps {
		if st.approve {
			d.State = DeviceStateApproved
		}
		if got := d.Poll(created.Add(st.at)); got != st.want || d.Interval != st.interval {
			t.Fatalf("%s: Poll = %q, interval %v; want %q, %v", st.name, got, d.Interval, st.want, st.interval)
		}
	}
}
