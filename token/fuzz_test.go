package token

import (
	"regexp"
	"strings"
	"testing"
)

// FuzzParse: go test -fuzz=FuzzParse ./token
//
// Parse must never panic, and whatever it accepts must be a real token: its checksum recomputes,
// its parts rebuild the input, and the published Pattern for its brand and kind matches it whole.
func FuzzParse(f *testing.F) {
	f.Add(fixed)
	for _, kind := range Kinds {
		f.Add(mustNew(f, "gth", kind))
		f.Add(mustNew(f, "abcdefgh", kind))
	}
	body := fixed[len("gth_sk_live_"):]
	for _, s := range []string{
		"", "_", "__", "gth_", "gth_pat_", "gth__" + body, "gth_sk_" + body, "gth_sk_live__" + body,
		"g_pat_" + body, "GTH_pat_" + body, fixed[:len(fixed)-1], fixed + "0",
		"gth_sk_live_" + body[:37] + "é", "gth_pat_" + strings.Repeat("_", 38),
		strings.Repeat("a", MaxTokenLen), strings.Repeat("_", MaxTokenLen), "\xff\xfe_pat_" + body,
	} {
		f.Add(s)
	}
	patterns := map[string]*regexp.Regexp{}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := Parse(s)
		if err != nil {
			if tok != (Token{}) {
				t.Fatalf("error %v with non-zero Token", err)
			}
			return
		}
		if ValidBrand(tok.Brand) != nil || !tok.Kind.Valid() || len(tok.Random) != RandomLen {
			t.Fatalf("accepted invalid parts %q %q %d", tok.Brand, tok.Kind, len(tok.Random))
		}
		if sum := checksum(tok.Random); string(sum[:]) != tok.Checksum {
			t.Fatalf("accepted checksum %q, recomputed %q", tok.Checksum, sum[:])
		}
		if tok.Brand+"_"+string(tok.Kind)+"_"+tok.Random+tok.Checksum != s {
			t.Fatalf("parts do not rebuild the input")
		}
		key := tok.Brand + "/" + string(tok.Kind)
		re, ok := patterns[key]
		if !ok {
			re = regexp.MustCompile("^(?:" + Pattern(tok.Brand, tok.Kind) + ")$")
			patterns[key] = re
		}
		if !re.MatchString(s) {
			t.Fatalf("accepted token does not match its Pattern")
		}
	})
}
