package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams are the parameters new hashes use unless configured otherwise: 19 MiB, 2 passes,
// 1 lane (the OWASP argon2id baseline), a 16-byte salt and a 32-byte key.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Sanity bounds for parameters, configured or read from a stored hash. A stored hash outside them
// is rejected rather than allowed to run the machine out of memory or time.
const (
	maxMemory  = 1 << 20 // KiB: 1 GiB
	maxTime    = 100
	maxThreads = 64
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 128
)

// ErrInvalidHash is returned (wrapped) for a stored hash that is not a supported argon2id PHC
// string. Its messages never contain the hash.
var ErrInvalidHash = errors.New("password: invalid argon2id PHC hash")

// Validate reports whether p can be used to make hashes.
func (p Params) Validate() error {
	switch {
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("password: argon2 threads must be 1 to %d, got %d", maxThreads, p.Threads)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("password: argon2 memory must be %d to %d KiB, got %d", 8*uint32(p.Threads), maxMemory, p.Memory)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("password: argon2 time must be 1 to %d, got %d", maxTime, p.Time)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("password: salt length must be %d to %d bytes, got %d", minSaltLen, maxSaltLen, p.SaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("password: key length must be %d to %d bytes, got %d", minKeyLen, maxKeyLen, p.KeyLen)
	}
	return nil
}

// b64 is the PHC encoding: standard alphabet, no padding, canonical (strict) decoding.
var b64 = base64.RawStdEncoding.Strict()

// EncodePHC formats an argon2id hash as a PHC string. p.SaltLen and p.KeyLen are ignored: the
// lengths are those of salt and key.
func EncodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// ParsePHC parses "$argon2id$v=19$m=M,t=T,p=P$salt$key" strictly: only argon2id version 19, the
// parameters in that order as plain decimal numbers, canonical unpadded base64, and values within
// sane bounds. The returned Params carry the salt and key lengths. Errors wrap ErrInvalidHash.
func ParsePHC(phc string) (Params, []byte, []byte, error) {
	fail := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: %s", ErrInvalidHash, why)
	}
	if len(phc) > 512 {
		return fail("too long")
	}
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" {
		return fail("want $argon2id$v=19$m=…,t=…,p=…$salt$hash")
	}
	if parts[1] != "argon2id" {
		return fail("unsupported algorithm")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return fail("unsupported version")
	}
	var p Params
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return fail("want the parameters m, t and p")
	}
	for i, name := range []string{"m", "t", "p"} {
		value, ok := strings.CutPrefix(fields[i], name+"=")
		if !ok {
			return fail("want the parameters m, t and p in that order")
		}
		n, ok := parseDecimal(value)
		if !ok {
			return fail("parameter " + name + " is not a plain decimal number")
		}
		switch name {
		case "m":
			p.Memory = n
		case "t":
			p.Time = n
		case "p":
			if n > maxThreads {
				return fail("parameter p out of range")
			}
			p.Threads = uint8(n)
		}
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return fail("salt is not canonical unpadded base64")
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil {
		return fail("hash is not canonical unpadded base64")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.Validate(); err != nil {
		return fail("parameters out of range")
	}
	return p, salt, key, nil
}

// parseDecimal accepts 1 to 10 ASCII digits without a sign or leading zero that fit in uint32.
func parseDecimal(s string) (uint32, bool) {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err == nil
}
