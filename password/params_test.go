package password

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// cheap parameters keep the tests fast; the format and logic are the same as with the defaults.
var cheap = Params{Memory: 8, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func newCheapHasher(opts HasherOptions) *Hasher { return NewHasher(cheap, opts) }

func TestPHCRoundTrip(t *testing.T) {
	ctx := context.Background()
	h := newCheapHasher(HasherOptions{})
	phc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	shape := regexp.MustCompile(`^\$argon2id\$v=19\$m=8,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !shape.MatchString(phc) {
		t.Fatalf("PHC string %q has the wrong shape", phc)
	}
	p, salt, key, err := ParsePHC(phc)
	if err != nil || p != cheap || len(salt) != 16 || len(key) != 32 {
		t.Fatalf("ParsePHC: %+v, %d, %d, %v", p, len(salt), len(key), err)
	}
	if EncodePHC(p, salt, key) != phc {
		t.Fatal("EncodePHC(ParsePHC(s)) != s")
	}
	ok, rehash, err := h.Verify(ctx, "correct horse battery staple", phc)
	if !ok || rehash || err != nil {
		t.Fatalf("Verify(right password) = %v, %v, %v", ok, rehash, err)
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple", "correct horse battery staple "} {
		if ok, rehash, err := h.Verify(ctx, wrong, phc); ok || rehash || err != nil {
			t.Fatalf("Verify(%q) = %v, %v, %v; want false", wrong, ok, rehash, err)
		}
	}
	again, _ := h.Hash(ctx, "correct horse battery staple")
	if again == phc {
		t.Fatal("two hashes of one password must differ (random salt)")
	}
}

func TestDefaultParamsPHC(t *testing.T) {
	if DefaultParams != (Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}) {
		t.Fatalf("DefaultParams = %+v", DefaultParams)
	}
	h := NewHasher(Params{}, HasherOptions{Workers: 1})
	if h.Params() != DefaultParams {
		t.Fatalf("zero Params must mean DefaultParams, got %+v", h.Params())
	}
	phc, err := h.Hash(context.Background(), "a default-params password")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("default PHC prefix: %q", phc)
	}
	if ok, rehash, err := h.Verify(context.Background(), "a default-params password", phc); !ok || rehash || err != nil {
		t.Fatalf("Verify = %v, %v, %v", ok, rehash, err)
	}
}

// TestInteropVector verifies a hash made by another implementation (argon2-cffi's documented
// example, reference C implementation underneath).
func TestInteropVector(t *testing.T) {
	const phc = "$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg"
	h := NewHasher(DefaultParams, HasherOptions{Workers: 1})
	ok, rehash, err := h.Verify(context.Background(), "correct horse battery staple", phc)
	if !ok || err != nil {
		t.Fatalf("Verify(argon2-cffi vector) = %v, %v, %v", ok, rehash, err)
	}
	if !rehash {
		t.Fatal("m=65536,t=3,p=4 differs from the defaults: needsRehash must be true")
	}
	if ok, _, _ := h.Verify(context.Background(), "Tr0ub4dor&3", phc); ok {
		t.Fatal("wrong password verified")
	}
}

func TestNeedsRehash(t *testing.T) {
	ctx := context.Background()
	old := newCheapHasher(HasherOptions{})
	phc, err := old.Hash(ctx, "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		params Params
		rehash bool
	}{
		{"same", cheap, false},
		{"more time", Params{Memory: 8, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"more memory", Params{Memory: 16, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"more threads", Params{Memory: 16, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}, true},
		{"longer salt", Params{Memory: 8, Time: 1, Threads: 1, SaltLen: 32, KeyLen: 32}, true},
		{"longer key", Params{Memory: 8, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := NewHasher(c.params, HasherOptions{})
			ok, rehash, err := h.Verify(ctx, "a long enough password", phc)
			if !ok || rehash != c.rehash || err != nil {
				t.Fatalf("Verify = %v, %v, %v; want true, %v, nil", ok, rehash, err, c.rehash)
			}
			if ok, rehash, _ := h.Verify(ctx, "a wrong password", phc); ok || rehash {
				t.Fatalf("wrong password: ok=%v needsRehash=%v, want both false", ok, rehash)
			}
			if c.rehash {
				fresh, err := h.Hash(ctx, "a long enough password")
				if err != nil {
					t.Fatal(err)
				}
				if ok, rehash, _ := h.Verify(ctx, "a long enough password", fresh); !ok || rehash {
					t.Fatalf("a re-encoded hash must verify without needing a rehash: %v %v", ok, rehash)
				}
			}
		})
	}
}

func TestParsePHCErrors(t *testing.T) {
	const salt = "MIIRqgvgQbgj220jfp0MPA"
	const key = "YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg"
	good := "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key
	if _, _, _, err := ParsePHC(good); err != nil {
		t.Fatalf("the base case must parse: %v", err)
	}
	cases := []struct{ name, phc string }{
		{"empty", ""},
		{"no leading dollar", "argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"bcrypt", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"},
		{"old version", "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key},
		{"no version", "$argon2id$m=19456,t=2,p=1$" + salt + "$" + key},
		{"params out of order", "$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + key},
		{"missing p", "$argon2id$v=19$m=19456,t=2$" + salt + "$" + key},
		{"extra param", "$argon2id$v=19$m=19456,t=2,p=1,keyid=x$" + salt + "$" + key},
		{"leading zero", "$argon2id$v=19$m=019456,t=2,p=1$" + salt + "$" + key},
		{"signed", "$argon2id$v=19$m=+19456,t=2,p=1$" + salt + "$" + key},
		{"not a number", "$argon2id$v=19$m=lots,t=2,p=1$" + salt + "$" + key},
		{"overflow", "$argon2id$v=19$m=99999999999,t=2,p=1$" + salt + "$" + key},
		{"zero time", "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key},
		{"zero threads", "$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key},
		{"too many threads", "$argon2id$v=19$m=19456,t=2,p=300$" + salt + "$" + key},
		{"memory below 8p", "$argon2id$v=19$m=15,t=2,p=2$" + salt + "$" + key},
		{"memory too large", "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key},
		{"padded salt", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "==$" + key},
		{"url-safe base64", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + strings.ReplaceAll(key, "/", "_")},
		{"non-canonical base64", "$argon2id$v=19$m=19456,t=2,p=1$" + salt[:len(salt)-1] + "B$" + key},
		{"short salt", "$argon2id$v=19$m=19456,t=2,p=1$AAAA$" + key},
		{"short key", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$AAAAAAAA"},
		{"no key", "$argon2id$v=19$m=19456,t=2,p=1$" + salt},
		{"empty key", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$"},
		{"trailing field", good + "$x"},
		{"far too long", good + strings.Repeat("A", 1000)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, s, k, err := ParsePHC(c.phc)
			if !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("ParsePHC: %+v, %v; want ErrInvalidHash", p, err)
			}
			if p != (Params{}) || s != nil || k != nil {
				t.Fatal("a failed parse must return zero values")
			}
			if strings.Contains(err.Error(), salt) || strings.Contains(err.Error(), key[:10]) {
				t.Fatalf("error %q leaks the hash", err)
			}
			h := newCheapHasher(HasherOptions{})
			if ok, _, err := h.Verify(context.Background(), "pw", c.phc); ok || !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("Verify with a malformed hash: %v, %v", ok, err)
			}
		})
	}
}

func TestParamsValidate(t *testing.T) {
	cases := []struct {
		name string
		p    Params
		ok   bool
	}{
		{"defaults", DefaultParams, true},
		{"cheap", cheap, true},
		{"zero", Params{}, false},
		{"no threads", Params{Memory: 8, Time: 1, SaltLen: 16, KeyLen: 32}, false},
		{"memory below 8 per thread", Params{Memory: 15, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}, false},
		{"no time", Params{Memory: 8, Threads: 1, SaltLen: 16, KeyLen: 32}, false},
		{"short salt", Params{Memory: 8, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32}, false},
		{"short key", Params{Memory: 8, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.p.Validate(); (err == nil) != c.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, c.ok)
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Fatal("NewHasher with invalid params must panic")
		}
	}()
	NewHasher(Params{Memory: 8}, HasherOptions{})
}
