package gatehouse

import (
	"crypto/rand"
	"io"
	"time"
)

// ID prefixes (API.md: opaque strings with a type prefix that sort by creation time).
const (
	PrefixUser    = "usr"
	PrefixOrg     = "org"
	PrefixSession = "ses"
	PrefixEvent   = "evt"
)

const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// NewID returns prefix_ followed by 26 lowercase Crockford base32 characters: 48 bits of
// milliseconds since the Unix epoch, then 80 random bits (ULID layout). IDs made later sort
// after IDs made earlier (to the millisecond). random nil means crypto/rand.
func NewID(prefix string, now time.Time, random io.Reader) string {
	if random == nil {
		random = rand.Reader
	}
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	if _, err := io.ReadFull(random, b[6:]); err != nil {
		panic("gatehouse: random source failed: " + err.Error())
	}
	out := make([]byte, 0, len(prefix)+1+26)
	out = append(out, prefix...)
	out = append(out, '_')
	// 128 bits → 26 base32 digits, most significant first (the first digit carries 3 bits).
	var hi, lo uint64
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	var digits [26]byte
	for i := 25; i >= 0; i-- {
		digits[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(append(out, digits[:]...))
}
