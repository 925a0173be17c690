package clientip

import (
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds the client address of requests. Its zero value and a nil *Resolver trust no
// proxy. It is safe for concurrent use.
type Resolver struct {
	trusted []netip.Prefix
}

// NewResolver returns a Resolver that believes X-Forwarded-For from peers inside trusted. Invalid
// prefixes are ignored; IPv4-mapped prefixes (::ffff:10.0.0.0/104) are treated as their IPv4
// form.
func NewResolver(trusted []netip.Prefix) *Resolver {
	r := &Resolver{}
	for _, p := range trusted {
		if !p.IsValid() {
			continue
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		r.trusted = append(r.trusted, p.Masked())
	}
	return r
}

// ClientIP returns the client address of req by the rules of the package documentation.
func (r *Resolver) ClientIP(req *http.Request) netip.Addr {
	peer, ok := parsePeer(req.RemoteAddr)
	if !ok {
		return netip.Addr{}
	}
	if !r.trusts(peer) {
		return peer
	}
	last := peer
	values := req.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		list := values[i]
		if strings.TrimSpace(list) == "" {
			continue // an empty header line adds no entries
		}
		for {
			entry := list
			comma := strings.LastIndexByte(list, ',')
			if comma >= 0 {
				entry, list = list[comma+1:], list[:comma]
			}
			addr, ok := parseEntry(strings.TrimSpace(entry))
			if !ok {
				return last
			}
			if !r.trusts(addr) {
				return addr
			}
			last = addr
			if comma < 0 {
				break
			}
		}
	}
	return last
}

func (r *Resolver) trusts(a netip.Addr) bool {
	if r == nil {
		return false
	}
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parsePeer parses Request.RemoteAddr: "ip:port" as net/http sets it, or a bare IP.
func parsePeer(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return normalize(ap.Addr()), true
	}
	return parseAddr(s)
}

// parseEntry parses one X-Forwarded-For entry: an IP, optionally with a port, IPv6 optionally in
// brackets.
func parseEntry(s string) (netip.Addr, bool) {
	if a, ok := parseAddr(s); ok {
		return a, true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return normalize(ap.Addr()), true
	}
	return netip.Addr{}, false
}

func parseAddr(s string) (netip.Addr, bool) {
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return normalize(a), true
}

func normalize(a netip.Addr) netip.Addr {
	return a.WithZone("").Unmap()
}

// RateKey is the form of a client address that per-address rate limits count by: an IPv4
// address as is, an IPv6 address by its /64 (one host, or one customer's network, holds a whole
// /64 and could otherwise spread its requests over 2^64 addresses). The zero address is "".
func RateKey(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip, 64).Masked().String()
}

// RateKeyString is RateKey for an address in text form (an unparsable string is kept as is).
func RateKeyString(s string) string {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return s
	}
	return RateKey(ip)
}
