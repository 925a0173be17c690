package token

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"hash/crc32"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// fixed is a valid token computed independently (Python: zlib.crc32 and the same base62 rules);
// see TestKnownAnswer for how it comes about.
const fixed = "gth_sk_live_0Nk7UrEbyLiKh4RoBYvIfHe1Ol8VsFcz0A1obt"

func mustNew(t testing.TB, brand string, kind Kind) string {
	t.Helper()
	s, err := Generator{Brand: brand}.New(kind)
	if err != nil {
		t.Fatalf("New(%q, %q): %v", brand, kind, err)
	}
	return s
}

func TestRoundTripEveryKind(t *testing.T) {
	for _, brand := range []string{"gth", "cr", "abcdefgh"} {
		for _, kind := range Kinds {
			t.Run(brand+"/"+string(kind), func(t *testing.T) {
				s := mustNew(t, brand, kind)
				want := brand + "_" + string(kind) + "_"
				if !strings.HasPrefix(s, want) || len(s) != len(want)+RandomLen+ChecksumLen {
					t.Fatalf("shape of %q: want prefix %q and %d body characters", s, want, RandomLen+ChecksumLen)
				}
				tok, err := Parse(s)
				if err != nil {
					t.Fatalf("Parse(New()): %v", err)
				}
				if tok.Brand != brand || tok.Kind != kind || tok.Brand+"_"+string(tok.Kind)+"_"+tok.Random+tok.Checksum != s {
					t.Fatalf("parts %+v do not rebuild %q", tok, s)
				}
			})
		}
	}
}

func TestKindsAllValid(t *testing.T) {
	if len(Kinds) != 7 {
		t.Fatalf("want 7 kinds, got %d", len(Kinds))
	}
	for _, k := range Kinds {
		if !k.Valid() {
			t.Errorf("%q should be valid", k)
		}
	}
	for _, k := range []Kind{"", "PAT", "sk", "sk_", "live", "pat_"} {
		if k.Valid() {
			t.Errorf("%q should not be valid", k)
		}
	}
}

func TestNewIsRandom(t *testing.T) {
	seen := map[string]bool{}
	counts := map[byte]int{}
	for i := 0; i < 2000; i++ {
		s := mustNew(t, "gth", KindSession)
		if seen[s] {
			t.Fatalf("duplicate token after %d draws", i)
		}
		seen[s] = true
		tok, _ := Parse(s)
		for j := 0; j < RandomLen; j++ {
			counts[tok.Random[j]]++
		}
	}
	// 64,000 characters over 62 symbols: about 1032 each. Every symbol must occur, and none may
	// be wildly over-represented (a modulo bias of 256%62 would give some symbols +25%).
	if len(counts) != 62 {
		t.Fatalf("only %d of 62 symbols drawn", len(counts))
	}
	for c, n := range counts {
		if n < 800 || n > 1270 {
			t.Errorf("symbol %q drawn %d times, expected about 1032", c, n)
		}
	}
}

func TestKnownAnswer(t *testing.T) {
	// 48 bytes: the generator reads 48 at a time. Bytes >= 248 (positions 0, 1, 13, 24) are
	// rejected; every other byte b gives alphabet[b%62].
	stream := []byte{255, 248}
	for i := 0; i < 46; i++ {
		stream = append(stream, byte(i*23))
	}
	got, err := Generator{Brand: "gth", Rand: bytes.NewReader(stream)}.New(KindAPIKeyLive)
	if err != nil {
		t.Fatal(err)
	}
	if got != fixed {
		t.Fatalf("known answer: got %q, want %q", got, fixed)
	}

	// Rebuild it independently of the package's helpers.
	var random []byte
	for _, b := range stream {
		if b < 248 && len(random) < 32 {
			random = append(random, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[b%62])
		}
	}
	crc := crc32.ChecksumIEEE(random)
	if crc != 0x08d54b8d {
		t.Fatalf("CRC32-IEEE of the random part: got %#x", crc)
	}
	// 0x08d54b8d = 148196237 = 0·62^5 + 10·62^4 + 1·62^3 + 50·62^2 + 37·62 + 55 → "0A1obt".
	digits := []int{0, 10, 1, 50, 37, 55}
	v := 0
	for _, d := range digits {
		v = v*62 + d
	}
	if uint32(v) != crc {
		t.Fatalf("digit expansion %v = %d, want %d", digits, v, crc)
	}
	want := "gth_sk_live_" + string(random) + "0A1obt"
	if got != want {
		t.Fatalf("independent rebuild %q != %q", want, got)
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name  string
		gen   Generator
		kind  Kind
		match string
	}{
		{"bad brand", Generator{Brand: "GTH"}, KindPAT, "brand"},
		{"short brand", Generator{Brand: "g"}, KindPAT, "brand"},
		{"unknown kind", Generator{Brand: "gth"}, "xyz", "kind"},
		{"short random source", Generator{Brand: "gth", Rand: bytes.NewReader(make([]byte, 10))}, KindPAT, "randomness"},
		{"random source all rejected", Generator{Brand: "gth", Rand: bytes.NewReader(bytes.Repeat([]byte{255}, 96))}, KindPAT, "randomness"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := c.gen.New(c.kind)
			if err == nil || !strings.Contains(err.Error(), c.match) || s != "" {
				t.Fatalf("New: got %q, %v; want an error about %s", s, err, c.match)
			}
		})
	}
}

func TestValidBrand(t *testing.T) {
	cases := []struct {
		brand string
		ok    bool
	}{
		{"gth", true}, {"cr", true}, {"crew", true}, {"abcdefgh", true},
		{"", false}, {"g", false}, {"abcdefghi", false}, {"Gth", false}, {"gt1", false},
		{"g_h", false}, {"gté", false}, {"gth ", false},
	}
	for _, c := range cases {
		if err := ValidBrand(c.brand); (err == nil) != c.ok {
			t.Errorf("ValidBrand(%q) = %v, want ok=%v", c.brand, err, c.ok)
		}
	}
}

func TestParseMalformed(t *testing.T) {
	body := fixed[len("gth_sk_live_"):]
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrMalformed},
		{"body one short", fixed[:len(fixed)-1], ErrMalformed},
		{"body one long", fixed + "0", ErrMalformed},
		{"far too long", fixed + strings.Repeat("a", 10000), ErrMalformed},
		{"no kind", "gth_" + body, ErrMalformed},
		{"empty kind", "gth__" + body, ErrMalformed},
		{"unknown kind", "gth_xyz_" + body, ErrMalformed},
		{"kind upper case", "gth_SK_LIVE_" + body, ErrMalformed},
		{"half kind", "gth_sk_" + body, ErrMalformed},
		{"kind suffix", "gth_sk_live_x_" + body, ErrMalformed},
		{"brand upper case", "GTH_sk_live_" + body, ErrMalformed},
		{"brand one letter", "g_sk_live_" + body, ErrMalformed},
		{"brand nine letters", "abcdefghi_sk_live_" + body, ErrMalformed},
		{"brand digit", "gt1_sk_live_" + body, ErrMalformed},
		{"no brand", "_sk_live_" + body, ErrMalformed},
		{"dash separators", "gth-sk_live-" + body, ErrMalformed},
		{"underscore in body", "gth_sk_live_" + body[:10] + "_" + body[11:], ErrMalformed},
		{"dash in body", "gth_sk_live_" + body[:10] + "-" + body[11:], ErrMalformed},
		{"non-ASCII in body", "gth_sk_live_" + body[:30] + "é" + body[32:], ErrMalformed},
		{"NUL in body", "gth_sk_live_" + body[:5] + "\x00" + body[6:], ErrMalformed},
		{"space before", " " + fixed, ErrMalformed},
		{"newline after", fixed[:len(fixed)-1] + "\n", ErrMalformed},
		{"checksum of another token", "gth_sk_live_" + body[:32] + "000000", ErrChecksum},
		{"swapped halves", "gth_sk_live_" + body[16:32] + body[:16] + body[32:], ErrChecksum},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, err := Parse(c.in)
			if !errors.Is(err, c.want) {
				t.Fatalf("Parse: got %+v, %v; want %v", tok, err, c.want)
			}
			if tok != (Token{}) {
				t.Fatalf("a failed Parse must return the zero Token, got %+v", tok)
			}
			if c.want == ErrMalformed && errors.Is(err, ErrChecksum) || c.want == ErrChecksum && errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v matches both sentinels", err)
			}
			assertNoLeak(t, err.Error(), body)
		})
	}
}

// assertNoLeak fails when msg contains any 6-character run of secret.
func assertNoLeak(t *testing.T, msg, secret string) {
	t.Helper()
	for i := 0; i+6 <= len(secret); i++ {
		if strings.Contains(msg, secret[i:i+6]) {
			t.Fatalf("error message %q leaks part of the token", msg)
		}
	}
}

func TestParseEveryChangedCharacter(t *testing.T) {
	if _, err := Parse(fixed); err != nil {
		t.Fatalf("the fixed token must parse: %v", err)
	}
	start := len("gth_sk_live_")
	for pos := start; pos < len(fixed); pos++ {
		for _, c := range []byte(alphabet) {
			if c == fixed[pos] {
				continue
			}
			changed := fixed[:pos] + string(c) + fixed[pos+1:]
			if _, err := Parse(changed); !errors.Is(err, ErrChecksum) {
				t.Fatalf("position %d changed to %q: got %v, want ErrChecksum", pos, c, err)
			}
		}
	}
}

func TestHash(t *testing.T) {
	want := sha256.Sum256([]byte(fixed))
	got := Hash(fixed)
	if len(got) != 32 || !bytes.Equal(got, want[:]) {
		t.Fatalf("Hash = %x, want %x", got, want)
	}
	if bytes.Equal(Hash(fixed), Hash(fixed[:len(fixed)-1]+"u")) {
		t.Fatal("different tokens must hash differently")
	}
}

func TestDisplayPrefix(t *testing.T) {
	for _, kind := range Kinds {
		s := mustNew(t, "crew", kind)
		tok, _ := Parse(s)
		d := DisplayPrefix(s)
		if d != "crew_"+string(kind)+"_"+tok.Random[:3]+"…"+s[len(s)-4:] {
			t.Fatalf("DisplayPrefix(%s) = %q", kind, d)
		}
		if !utf8.ValidString(d) {
			t.Fatalf("DisplayPrefix is not valid UTF-8: %q", d)
		}
		// No more than 7 characters of the body (3 random + 4 checksum) may appear.
		body := strings.TrimPrefix(d, "crew_"+string(kind)+"_")
		if n := len(strings.ReplaceAll(body, "…", "")); n > 7 {
			t.Fatalf("DisplayPrefix reveals %d body characters: %q", n, d)
		}
		if strings.Contains(d, tok.Random[:4]) || strings.Contains(d, tok.Random[RandomLen-4:]) {
			t.Fatalf("DisplayPrefix reveals more of the random part than 3 characters: %q", d)
		}
		if got := tok.String(); got != d {
			t.Fatalf("Token.String() = %q, want the display prefix %q", got, d)
		}
	}
	for _, bad := range []string{"", "not a token", fixed[:len(fixed)-1] + "x", strings.Repeat("a", 60)} {
		if d := DisplayPrefix(bad); d != "" {
			t.Errorf("DisplayPrefix(%q) = %q, want \"\"", bad, d)
		}
	}
}

func TestDisplayPrefixExact(t *testing.T) {
	// The last 4 characters of fixed are the last 4 of its checksum "0A1obt".
	if got, want := DisplayPrefix(fixed), "gth_sk_live_0Nk…1obt"; got != want {
		t.Fatalf("DisplayPrefix(fixed) = %q, want %q", got, want)
	}
}

func TestTokenPrintingRedacts(t *testing.T) {
	tok, err := Parse(fixed)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{tok.String(), tok.GoString()} {
		if strings.Contains(s, tok.Random) || strings.Contains(s, tok.Random[3:10]) {
			t.Fatalf("printing a Token leaks the secret: %q", s)
		}
	}
	if (Token{}).String() != "__…" {
		t.Fatalf("zero Token prints %q", Token{}.String())
	}
}

func TestPattern(t *testing.T) {
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			re := regexp.MustCompile(Pattern("gth", kind))
			s := mustNew(t, "gth", kind)
			for _, text := range []string{s, "token=" + s + "\n", `"` + s + `"`, "Bearer " + s} {
				if got := re.FindString(text); got != s {
					t.Errorf("Pattern must find %q in %q, found %q", s, text, got)
				}
			}
			misses := []string{
				s[:len(s)-1], // one character short
				s + "x",      // one character long
				"x" + s,      // glued to a word before
				s + "_",      // glued to a word after
				strings.Replace(s, "gth", "gthx", 1),
				strings.Replace(s, "gth", "GTH", 1),
				strings.Replace(s, "_"+string(kind)+"_", "_"+string(kind)+"x_", 1),
				s[:len(s)-10] + "-" + s[len(s)-9:], // a character outside base62
			}
			for _, m := range misses {
				if re.MatchString(m) {
					t.Errorf("Pattern %s must not match near miss %q", re, m)
				}
			}
			// Another kind never matches.
			for _, other := range Kinds {
				if other != kind && re.MatchString(mustNew(t, "gth", other)) {
					t.Errorf("Pattern for %s matches a %s token", kind, other)
				}
			}
		})
	}
	if got, want := Pattern("gth", KindAPIKeyLive), `\bgth_sk_live_[0-9A-Za-z]{38}\b`; got != want {
		t.Fatalf("Pattern = %q, want %q", got, want)
	}
}
