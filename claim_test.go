package gatehouse

import (
	"testing"
	"time"
)

func TestOutstandingAccessTokens(t *testing.T) {
	sec := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	// The store keeps CredentialsChangedAt in whole seconds: CeilSecond of the change.
	changed := CeilSecond(sec.Add(400 * time.Millisecond)) // a change at 10:00:00.400
	if !changed.Equal(sec.Add(time.Second)) {
		t.Fatalf("CeilSecond(10:00:00.400) = %v", changed)
	}
	if got := CeilSecond(sec); !got.Equal(sec) {
		t.Fatalf("CeilSecond of a whole second = %v", got)
	}
	u := &User{CredentialsChangedAt: changed}
	cases := []struct {
		name    string
		user    *User
		iat     time.Time
		revoked bool
	}{
		{"never changed", &User{}, sec, false},
		{"issued a second before the change", u, sec.Add(-time.Second), true},
		{"issued in the second of the change (before or after it)", u, sec, true},
		{"iat of the second after the change", u, sec.Add(time.Second), false},
		{"issued later", u, sec.Add(time.Hour), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.user.AccessTokenRevoked(c.iat); got != c.revoked {
				t.Errorf("AccessTokenRevoked(%v) = %v, want %v", c.iat, got, c.revoked)
			}
		})
	}
	issued := []struct {
		name string
		user *User
		now  time.Time
		want time.Time
	}{
		{"never changed: now in whole seconds", &User{}, sec.Add(700 * time.Millisecond), sec},
		{"right after the change, in its second: the next second", u, sec.Add(500 * time.Millisecond), sec.Add(time.Second)},
		{"a later second: now", u, sec.Add(2500 * time.Millisecond), sec.Add(2 * time.Second)},
	}
	for _, c := range issued {
		t.Run("issued at: "+c.name, func(t *testing.T) {
			got := c.user.AccessTokenIssuedAt(c.now)
			if !got.Equal(c.want) {
				t.Errorf("AccessTokenIssuedAt(%v) = %v, want %v", c.now, got, c.want)
			}
			if c.user.AccessTokenRevoked(got) {
				t.Error("a token issued now is revoked at once")
			}
		})
	}
}
