package clientip

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func prefixes(t *testing.T, ss ...string) []netip.Prefix {
	t.Helper()
	var ps []netip.Prefix
	for _, s := range ss {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}

func TestClientIP(t *testing.T) {
	lb := []string{"10.0.0.0/8"}                    // one load balancer network
	chain := []string{"10.0.0.0/8", "192.0.2.0/24"} // a CDN (192.0.2.x) in front of the load balancer
	tests := []struct {
		name    string
		trusted []string
		remote  string
		xff     []string // X-Forwarded-For header lines
		want    string   // "" for the zero Addr
	}{
		// No trusted proxies: the peer, whatever the header says.
		{"direct, no header", nil, "203.0.113.7:4711", nil, "203.0.113.7"},
		{"direct, spoofed header ignored", nil, "203.0.113.7:4711", []string{"1.1.1.1"}, "203.0.113.7"},
		{"untrusted peer's header ignored", lb, "203.0.113.7:4711", []string{"10.0.0.9, 8.8.8.8"}, "203.0.113.7"},
		{"untrusted peer cannot claim to be a trusted proxy", lb, "198.51.100.1:1", []string{"203.0.113.7"}, "198.51.100.1"},

		// One trusted proxy.
		{"proxy forwards the client", lb, "10.1.2.3:55000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"client's own header cannot choose its IP", lb, "10.1.2.3:55000", []string{"1.1.1.1, 203.0.113.7"}, "203.0.113.7"},
		{"client claims a trusted address in its own header", lb, "10.1.2.3:55000", []string{"10.9.9.9, 203.0.113.7"}, "203.0.113.7"},
		{"client sends a header line of its own", lb, "10.1.2.3:55000", []string{"1.1.1.1", "203.0.113.7"}, "203.0.113.7"},
		{"proxy without a header", lb, "10.1.2.3:55000", nil, "10.1.2.3"},
		{"proxy with an empty header", lb, "10.1.2.3:55000", []string{""}, "10.1.2.3"},

		// Several trusted hops.
		{"two trusted hops", chain, "10.1.2.3:55000", []string{"203.0.113.7, 192.0.2.10"}, "203.0.113.7"},
		{"two hops, spoofed entries to the left", chain, "10.1.2.3:55000", []string{"6.6.6.6, 7.7.7.7, 203.0.113.7, 192.0.2.10"}, "203.0.113.7"},
		{"hops on separate header lines", chain, "10.1.2.3:55000", []string{"203.0.113.7", "192.0.2.10"}, "203.0.113.7"},
		{"every entry trusted: the leftmost", chain, "10.1.2.3:55000", []string{"192.0.2.10, 10.4.4.4"}, "192.0.2.10"},
		{"untrusted hop in the middle wins", chain, "10.1.2.3:55000", []string{"203.0.113.7, 198.51.100.99, 192.0.2.10"}, "198.51.100.99"},

		// Malformed entries stop the walk at the last good address.
		{"garbage from the client is never reached", lb, "10.1.2.3:55000", []string{"<script>, 203.0.113.7"}, "203.0.113.7"},
		{"garbage right after the proxy", lb, "10.1.2.3:55000", []string{"203.0.113.7, unknown"}, "10.1.2.3"},
		{"garbage behind a trusted hop", chain, "10.1.2.3:55000", []string{"203.0.113.7, nonsense, 192.0.2.10"}, "192.0.2.10"},
		{"empty entry stops the walk", chain, "10.1.2.3:55000", []string{"203.0.113.7,, 192.0.2.10"}, "192.0.2.10"},
		{"trailing comma", lb, "10.1.2.3:55000", []string{"203.0.113.7,"}, "10.1.2.3"},
		{"hostname is not an address", lb, "10.1.2.3:55000", []string{"client.example.com"}, "10.1.2.3"},
		{"out-of-range octet", lb, "10.1.2.3:55000", []string{"203.0.113.256"}, "10.1.2.3"},

		// Formats.
		{"spaces around entries", lb, "10.1.2.3:55000", []string{"  203.0.113.7  ,10.0.0.2 "}, "203.0.113.7"},
		{"entry with a port", lb, "10.1.2.3:55000", []string{"203.0.113.7:4711"}, "203.0.113.7"},
		{"IPv6 entry", lb, "10.1.2.3:55000", []string{"2001:db8::7"}, "2001:db8::7"},
		{"bracketed IPv6 entry with a port", lb, "10.1.2.3:55000", []string{"[2001:db8::7]:443"}, "2001:db8::7"},
		{"bracketed IPv6 entry", lb, "10.1.2.3:55000", []string{"[2001:db8::7]"}, "2001:db8::7"},
		{"IPv6 peer", nil, "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"IPv6 trusted proxy", []string{"fd00::/8"}, "[fd00::5]:443", []string{"203.0.113.7"}, "203.0.113.7"},
		{"zone dropped", nil, "[fe80::1%eth0]:443", nil, "fe80::1"},
		{"peer without a port", nil, "203.0.113.7", nil, "203.0.113.7"},
		{"peer that is not an address", lb, "@unix", []string{"203.0.113.7"}, ""},
		{"empty peer", nil, "", nil, ""},

		// IPv4-mapped IPv6 is unmapped everywhere.
		{"mapped peer", nil, "[::ffff:203.0.113.7]:443", nil, "203.0.113.7"},
		{"mapped peer is a trusted IPv4 proxy", lb, "[::ffff:10.1.2.3]:443", []string{"203.0.113.7"}, "203.0.113.7"},
		{"mapped entry", lb, "10.1.2.3:55000", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"mapped trusted hop is skipped", chain, "10.1.2.3:55000", []string{"203.0.113.7, ::ffff:192.0.2.10"}, "203.0.113.7"},
		{"mapped trusted prefix", []string{"::ffff:10.0.0.0/104"}, "10.1.2.3:55000", []string{"203.0.113.7"}, "203.0.113.7"},

		// Bare-address prefixes.
		{"single trusted address", []string{"10.1.2.3/32"}, "10.1.2.3:55000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"neighbour of a single trusted address", []string{"10.1.2.3/32"}, "10.1.2.4:55000", []string{"203.0.113.7"}, "10.1.2.4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewResolver(prefixes(t, tt.trusted...))
			req := httptest.NewRequest(http.MethodPost, "/v1/auth/login", nil)
			req.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			got := r.ClientIP(req)
			if tt.want == "" {
				if got.IsValid() {
					t.Errorf("ClientIP = %v, want the zero Addr", got)
				}
				return
			}
			if want := netip.MustParseAddr(tt.want); got != want {
				t.Errorf("ClientIP = %v, want %v", got, want)
			}
		})
	}
}

func TestNilAndZeroResolverTrustNobody(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "10.1.2.3:1"
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	want := netip.MustParseAddr("10.1.2.3")
	for name, r := range map[string]*Resolver{"nil": nil, "zero": {}, "no prefixes": NewResolver(nil), "invalid prefix": NewResolver([]netip.Prefix{{}})} {
		if got := r.ClientIP(req); got != want {
			t.Errorf("%s resolver: ClientIP = %v, want %v", name, got, want)
		}
	}
}

func BenchmarkClientIP(b *testing.B) {
	r := NewResolver([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.0/24")})
	req := httptest.NewRequest(http.MethodPost, "/v1/auth/login", nil)
	req.RemoteAddr = "10.1.2.3:55000"
	req.Header.Set("X-Forwarded-For", "203.0.113.7, 192.0.2.10")
	for b.Loop() {
		if !r.ClientIP(req).IsValid() {
			b.Fatal("no address")
		}
	}
}

func ExampleResolver_ClientIP() {
	r := NewResolver([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "10.0.0.5:41000"                         // the load balancer
	req.Header.Set("X-Forwarded-For", "1.1.1.1, 203.0.113.7") // "1.1.1.1" was sent by the client
	fmt.Println(r.ClientIP(req))
	// Output: 203.0.113.7
}
