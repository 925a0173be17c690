package password

import (
	"context"
	"testing"
)

// BenchmarkHash measures one argon2id hash with DefaultParams (19 MiB, t=2, p=1).
func BenchmarkHash(b *testing.B) {
	h := NewHasher(DefaultParams, HasherOptions{Workers: 1})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures one verification with DefaultParams.
func BenchmarkVerify(b *testing.B) {
	h := NewHasher(DefaultParams, HasherOptions{Workers: 1})
	ctx := context.Background()
	phc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, "correct horse battery staple", phc); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkVerifyParallel measures throughput with one worker per core and callers queueing:
// compare ns/op with BenchmarkVerify ÷ cores.
func BenchmarkVerifyParallel(b *testing.B) {
	h := NewHasher(DefaultParams, HasherOptions{MaxQueue: 1 << 16, MaxWait: 1 << 40})
	ctx := context.Background()
	phc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _, err := h.Verify(ctx, "correct horse battery staple", phc); !ok || err != nil {
				b.Error(ok, err)
				return
			}
		}
	})
}

// BenchmarkPolicyCheck measures a full policy check (list already loaded).
func BenchmarkPolicyCheck(b *testing.B) {
	p := Policy{}
	_ = p.Check("warm up the list")
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Check("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
