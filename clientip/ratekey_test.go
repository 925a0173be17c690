package clientip

import (
	"net/netip"
	"testing"
)

func TestRateKey(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"IPv4 as is", "198.51.100.7", "198.51.100.7"},
		{"IPv4-mapped IPv6 as its IPv4", "::ffff:198.51.100.7", "198.51.100.7"},
		{"IPv6 by its /64", "2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"the other end of the same /64", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"the next /64", "2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"a zone is dropped", "fe80::1%eth0", "fe80::/64"},
		{"loopback", "::1", "::/64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := RateKey(netip.MustParseAddr(c.in)); got != c.want {
				t.Errorf("RateKey(%s) = %q, want %q", c.in, got, c.want)
			}
			if got := RateKeyString(c.in); got != c.want {
				t.Errorf("RateKeyString(%s) = %q, want %q", c.in, got, c.want)
			}
		})
	}
	if got := RateKey(netip.Addr{}); got != "" {
		t.Errorf("RateKey(zero) = %q", got)
	}
	if got := RateKeyString("not an address"); got != "not an address" {
		t.Errorf("RateKeyString(garbage) = %q", got)
	}
}
