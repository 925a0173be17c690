package token

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash/crc32"
	"regexp"
)

// Lengths of the parts of a token.
const (
	MinBrandLen  = 2
	MaxBrandLen  = 8
	RandomLen    = 32 // base62 characters of the random part
	ChecksumLen  = 6  // base62 characters of the checksum
	bodyLen      = RandomLen + ChecksumLen
	maxKindLen   = 7 // "sk_live"
	minKindLen   = 2 // "rt", "cs"
	MaxTokenLen  = MaxBrandLen + 1 + maxKindLen + 1 + bodyLen
	minTokenLen  = MinBrandLen + 1 + minKindLen + 1 + bodyLen
	displayHead  = 3 // random characters DisplayPrefix keeps
	displayTail  = 4 // trailing characters DisplayPrefix keeps
	displayElide = "…"
)

// alphabet is base62 in the order of the format: digits, upper case, lower case.
const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Parse errors. They never include the token or any part of it.
var (
	ErrMalformed = errors.New("token: malformed")
	ErrChecksum  = errors.New("token: checksum mismatch")
)

var errBrand = fmt.Errorf("token: the brand must be %d to %d lowercase ASCII letters", MinBrandLen, MaxBrandLen)

// Token is a parsed token. Its String method redacts the random part, so printing or logging a
// Token does not leak the secret.
type Token struct {
	Brand    string
	Kind     Kind
	Random   string // the 32 random characters: the secret
	Checksum string // the 6 checksum characters
}

// String returns the display prefix of the token, never the secret.
func (t Token) String() string {
	if len(t.Random) < displayHead || len(t.Checksum) < displayTail {
		return t.Brand + "_" + string(t.Kind) + "_" + displayElide
	}
	return t.Brand + "_" + string(t.Kind) + "_" + t.Random[:displayHead] + displayElide + t.Checksum[len(t.Checksum)-displayTail:]
}

// GoString redacts like String, for %#v.
func (t Token) GoString() string { return "token.Token(" + t.String() + ")" }

// Parse checks that s is a well-formed token and returns its parts. It accepts any valid brand;
// callers compare Brand and Kind with what they expect. The work is bounded (s longer than
// MaxTokenLen is rejected at once) and no database is involved. Errors match ErrMalformed or
// ErrChecksum (errors.Is) and never contain s.
func Parse(s string) (Token, error) {
	if len(s) < minTokenLen || len(s) > MaxTokenLen {
		return Token{}, fmt.Errorf("%w: wrong length", ErrMalformed)
	}
	// The brand has no underscore, the kind may have one, the body has none and is the last
	// bodyLen bytes.
	sep := -1
	for i := 0; i <= MaxBrandLen && i < len(s); i++ {
		if s[i] == '_' {
			sep = i
			break
		}
	}
	if sep < 0 {
		return Token{}, fmt.Errorf("%w: no brand separator", ErrMalformed)
	}
	brand := s[:sep]
	if ValidBrand(brand) != nil {
		return Token{}, fmt.Errorf("%w: invalid brand", ErrMalformed)
	}
	bodyStart := len(s) - bodyLen
	if s[bodyStart-1] != '_' || bodyStart-1 <= sep+1 {
		return Token{}, fmt.Errorf("%w: no kind separator", ErrMalformed)
	}
	kind := Kind(s[sep+1 : bodyStart-1])
	if !kind.Valid() {
		return Token{}, fmt.Errorf("%w: unknown kind", ErrMalformed)
	}
	body := s[bodyStart:]
	for i := 0; i < len(body); i++ {
		if !isBase62(body[i]) {
			return Token{}, fmt.Errorf("%w: character outside base62", ErrMalformed)
		}
	}
	random, sum := body[:RandomLen], body[RandomLen:]
	want := checksum(random)
	if subtle.ConstantTimeCompare(want[:], []byte(sum)) != 1 {
		return Token{}, ErrChecksum
	}
	return Token{Brand: brand, Kind: kind, Random: random, Checksum: sum}, nil
}

// Hash returns the SHA-256 of the whole token string (32 bytes): the only form stored.
func Hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// DisplayPrefix returns the part of a token that may be stored and shown in lists: brand, kind,
// the first 3 random characters, "…" and the last 4 characters (all from the checksum), e.g.
// "gth_pat_AbC…wxyz". It reveals 3 of the 32 random characters. It returns "" when s is not a
// valid token, so that nothing of an arbitrary secret is shown.
func DisplayPrefix(s string) string {
	t, err := Parse(s)
	if err != nil {
		return ""
	}
	return t.String()
}

// Pattern returns a regular expression, valid in RE2 (Go, GitHub custom patterns, gitleaks) and
// PCRE (trufflehog, grep -P), that matches tokens of the given brand and kind, delimited by word
// boundaries. brand should satisfy ValidBrand; it is quoted either way.
func Pattern(brand string, kind Kind) string {
	return `\b` + regexp.QuoteMeta(brand) + "_" + regexp.QuoteMeta(string(kind)) + `_[0-9A-Za-z]{` + fmt.Sprint(bodyLen) + `}\b`
}

// checksum is the base62 CRC32-IEEE of random, most significant digit first, padded with '0'.
func checksum(random string) [ChecksumLen]byte {
	v := crc32.ChecksumIEEE([]byte(random))
	var out [ChecksumLen]byte
	for i := ChecksumLen - 1; i >= 0; i-- {
		out[i] = alphabet[v%62]
		v /= 62
	}
	return out
}

func isBase62(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
}
