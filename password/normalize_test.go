package password

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"ascii unchanged", "Tr0ub4dor&3", "Tr0ub4dor&3"},
		{"decomposed é composes", "cafe\u0301", "caf\u00e9"},
		{"precomposed é unchanged", "caf\u00e9", "caf\u00e9"},
		{"fullwidth to ascii", "ｐａｓｓｗｏｒｄ１２３", "password123"},
		{"ligature expands", "\ufb01le", "file"},
		{"superscript two", "x\u00b2", "x2"},
		{"case kept", "PassWord", "PassWord"},
		{"spaces kept", "  two  spaces  ", "  two  spaces  "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Normalize(c.in); got != c.want {
				t.Fatalf("Normalize(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
	long := strings.Repeat("a", 5000)
	if Normalize(long) != long {
		t.Fatal("Normalize must not truncate")
	}
}

func TestNormalisedPasswordsVerifyTheSame(t *testing.T) {
	ctx := context.Background()
	h := newCheapHasher(HasherOptions{})
	cases := []struct{ name, set, check string }{
		{"precomposed set, decomposed check", "caf\u00e9 au lait", "cafe\u0301 au lait"},
		{"decomposed set, precomposed check", "cafe\u0301 au lait", "caf\u00e9 au lait"},
		{"fullwidth set, ascii check", "ｓｅｃｒｅｔ－ｐａｓｓ１", "secret-pass1"},
		{"ascii set, fullwidth check", "secret-pass1", "ｓｅｃｒｅｔ－ｐａｓｓ１"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			phc, err := h.Hash(ctx, c.set)
			if err != nil {
				t.Fatal(err)
			}
			if ok, _, err := h.Verify(ctx, c.check, phc); !ok || err != nil {
				t.Fatalf("Verify(%q) against a hash of %q = %v, %v", c.check, c.set, ok, err)
			}
		})
	}
	// Normalisation is not case folding.
	phc, _ := h.Hash(ctx, "secret-pass1")
	if ok, _, _ := h.Verify(ctx, "SECRET-PASS1", phc); ok {
		t.Fatal("passwords must stay case-sensitive")
	}
}

func TestNoTruncation(t *testing.T) {
	ctx := context.Background()
	h := newCheapHasher(HasherOptions{})
	a := strings.Repeat("x", MaxBytes-1) + "a"
	b := strings.Repeat("x", MaxBytes-1) + "b"
	phc, err := h.Hash(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := h.Verify(ctx, a, phc); !ok {
		t.Fatal("a 1024-byte password must verify")
	}
	if ok, _, _ := h.Verify(ctx, b, phc); ok {
		t.Fatal("passwords differing only in byte 1024 must not verify each other")
	}
}

func TestCommonList(t *testing.T) {
	list := commonList()
	if len(list) < 10000 {
		t.Fatalf("common list has %d entries, want at least 10,000", len(list))
	}
	if len(list) != 49233 {
		t.Fatalf("common list has %d entries; commonlist/SOURCE.md says 49,233", len(list))
	}
	if !slices.IsSorted(list) {
		t.Fatal("the loaded list must be sorted for binary search")
	}
	for _, e := range list {
		if e == "" || e != strings.ToLower(e) || strings.ContainsAny(e, "\r\n") {
			t.Fatalf("bad entry %q", e)
		}
	}
	cases := []struct {
		pw     string
		common bool
	}{
		{"password", true},
		{"123456", true},
		{"qwerty", true},
		{"PASSWORD", true},
		{"PassWord", true},
		{"ｐａｓｓｗｏｒｄ", true}, // fullwidth: normalised first
		{"letmein", true},
		{"", false},
		{"password ", false},
		{"correct horse battery staple 42", false},
		{"zq8-Lm2!vX", false},
	}
	for _, c := range cases {
		if got := IsCommon(c.pw); got != c.common {
			t.Errorf("IsCommon(%q) = %v, want %v", c.pw, got, c.common)
		}
	}
}
