package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// BenchmarkSign measures one signature with a generated key of each algorithm (the CPU cost of
// issuing a JWT, apart from JSON and base64): why access tokens are ES256 by default.
//
//	go test -run NONE -bench 'Sign|Verify' ./keys/
func BenchmarkSign(b *testing.B) {
	digest := sha256.Sum256([]byte("header.payload"))
	for _, alg := range Algorithms {
		b.Run(alg, func(b *testing.B) {
			key := benchKey(b, alg)
			for b.Loop() {
				if _, err := key.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify measures one signature check of each algorithm (the CPU cost of verifying a
// JWT access token at introspection or /v1/verify).
func BenchmarkVerify(b *testing.B) {
	digest := sha256.Sum256([]byte("header.payload"))
	for _, alg := range Algorithms {
		b.Run(alg, func(b *testing.B) {
			key := benchKey(b, alg)
			sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				var ok bool
				switch pub := key.Public().(type) {
				case *rsa.PublicKey:
					ok = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
				case *ecdsa.PublicKey:
					ok = ecdsa.VerifyASN1(pub, digest[:], sig)
				}
				if !ok {
					b.Fatal("signature does not verify")
				}
			}
		})
	}
}

// benchKey generates a key of alg as the Manager does.
func benchKey(b *testing.B, alg string) crypto.Signer {
	b.Helper()
	_, key, err := generate(sealer{}, alg, gatehouse.KeyStateCurrent, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	return key
}
