package token

import "testing"

func BenchmarkNew(b *testing.B) {
	g := Generator{Brand: "gth"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.New(KindSession); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	s := mustNew(b, "gth", KindAPIKeyLive)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	s := mustNew(b, "gth", KindSession)
	b.ReportAllocs()
	for b.Loop() {
		_ = Hash(s)
	}
}
