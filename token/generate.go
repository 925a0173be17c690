package token

import (
	"crypto/rand"
	"fmt"
	"io"
)

// acceptBelow is the largest multiple of 62 not above 256: bytes at or above it are rejected so
// that every base62 character is equally likely.
const acceptBelow = 62 * (256 / 62) // 248

// Generator makes tokens of one brand.
type Generator struct {
	Brand string    // 2–8 lowercase ASCII letters
	Rand  io.Reader // source of randomness; nil means crypto/rand
}

// New returns a fresh token of the given kind: 32 characters uniformly random over base62
// (rejection sampling: each byte below 248 gives alphabet[b%62], other bytes are skipped, so the
// random part carries 32·log2(62) ≈ 190.5 bits), followed by the checksum.
func (g Generator) New(kind Kind) (string, error) {
	if err := ValidBrand(g.Brand); err != nil {
		return "", err
	}
	if !kind.Valid() {
		return "", fmt.Errorf("token: unknown kind %q", string(kind))
	}
	r := g.Rand
	if r == nil {
		r = rand.Reader
	}
	var random [RandomLen]byte
	// 48 bytes cover 32 characters unless more than 16 bytes are rejected (p ≈ 1e-7); then read
	// again. Bytes are consumed strictly in order, so a given stream always gives the same token.
	var buf [48]byte
	n := 0
	for n < RandomLen {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return "", fmt.Errorf("token: reading randomness: %w", err)
		}
		for _, b := range buf {
			if b >= acceptBelow {
				continue
			}
			random[n] = alphabet[b%62]
			n++
			if n == RandomLen {
				break
			}
		}
	}
	sum := checksum(string(random[:]))
	out := make([]byte, 0, len(g.Brand)+1+len(kind)+1+bodyLen)
	out = append(out, g.Brand...)
	out = append(out, '_')
	out = append(out, kind...)
	out = append(out, '_')
	out = append(out, random[:]...)
	out = append(out, sum[:]...)
	return string(out), nil
}
