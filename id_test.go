package gatehouse

import (
	"bytes"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestNewIDSortsByTime(t *testing.T) {
	base := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	var ids []string
	for i := 0; i < 100; i++ {
		ids = append(ids, NewID(PrefixUser, base.Add(time.Duration(i)*time.Millisecond), nil))
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatalf("ids made later must sort later: %v", ids[:3])
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "usr_") || len(id) != 4+26 {
			t.Fatalf("bad id shape %q", id)
		}
	}
}

func TestNewIDDeterministicWithInjectedRandom(t *testing.T) {
	now := time.UnixMilli(0)
	got := NewID("x", now, bytes.NewReader(make([]byte, 10)))
	if got != "x_"+strings.Repeat("0", 26) {
		t.Fatalf("zero time and zero random should give all zeros, got %q", got)
	}
	got = NewID("x", time.UnixMilli(1), bytes.NewReader(bytes.Repeat([]byte{0xff}, 10)))
	if got != "x_000000000"+"1"+strings.Repeat("z", 16) {
		t.Fatalf("got %q", got)
	}
}

func TestLoginThrottleDelay(t *testing.T) {
	p := LoginThrottlePolicy{Free: 2, Base: time.Second, Max: 5 * time.Second}
	cases := []struct {
		name     string
		failures int
		want     time.Duration
	}{
		{"within free", 2, 0},
		{"first paid", 3, time.Second},
		{"doubles", 4, 2 * time.Second},
		{"doubles again", 5, 4 * time.Second},
		{"capped", 6, 5 * time.Second},
		{"stays capped", 60, 5 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := p.Delay(c.failures); got != c.want {
				t.Fatalf("Delay(%d) = %v, want %v", c.failures, got, c.want)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	cases := []struct {
		in      string
		want    Rate
		wantErr bool
	}{
		{"10/m", Rate{10, time.Minute}, false},
		{"5/s", Rate{5, time.Second}, false},
		{"100/h", Rate{100, time.Hour}, false},
		{"0/m", Rate{}, true},
		{"ten/m", Rate{}, true},
		{"10/w", Rate{}, true},
		{"10", Rate{}, true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseRate(c.in)
			if (err != nil) != c.wantErr || got != c.want {
				t.Fatalf("ParseRate(%q) = %v, %v", c.in, got, err)
			}
		})
	}
}

func TestLoginThrottleClaim(t *testing.T) {
	p := LoginThrottlePolicy{Free: 2, Base: time.Minute, Max: time.Hour, Forget: 24 * time.Hour}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var a LoginAttempts
	steps := []struct {
		name     string
		at       time.Duration
		wantWait time.Duration
		wantFail int
	}{
		{"first free", 10 * time.Millisecond, 0, 1},
		{"second free, earlier clock (parallel request)", 0, 0, 2},
		{"third blocks afterwards", 5 * time.Millisecond, 0, 3},
		{"blocked", 10 * time.Second, time.Minute - 10*time.Second + 5*time.Millisecond, 3},
		{"after the delay", time.Minute + 5*time.Millisecond, 0, 4},
		{"forgotten a day later", 25 * time.Hour, 0, 1},
	}
	for _, s := range steps {
		wait, next := p.Claim(a, t0.Add(s.at))
		if wait != s.wantWait || next.Failures != s.wantFail {
			t.Fatalf("%s: wait %v failures %d, want %v and %d", s.name, wait, next.Failures, s.wantWait, s.wantFail)
		}
		a = next
	}
}
