package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// publicKeyFromJWK decodes a public JWK with the standard library only.
func publicKeyFromJWK(t *testing.T, doc []byte) (crypto.PublicKey, jwk) {
	t.Helper()
	var k jwk
	if err := json.Unmarshal(doc, &k); err != nil {
		t.Fatalf("JWK %s: %v", doc, err)
	}
	num := func(s string) *big.Int {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("JWK member %q is not base64url: %v", s, err)
		}
		return new(big.Int).SetBytes(b)
	}
	switch k.Kty {
	case "RSA":
		return &rsa.PublicKey{N: num(k.N), E: int(num(k.E).Int64())}, k
	case "EC":
		x, y := num(k.X), num(k.Y)
		raw := append([]byte{4}, append(x.FillBytes(make([]byte, 32)), y.FillBytes(make([]byte, 32))...)...)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
		if err != nil {
			t.Fatalf("EC JWK: %v", err)
		}
		return pub, k
	}
	t.Fatalf("unexpected kty %q", k.Kty)
	return nil, k
}

func TestGeneratedKeyJWKVerifiesSignature(t *testing.T) {
	sealed, _ := newSealer(testSecret)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		s      sealer
		alg    string
		kty    string
		verify func(pub crypto.PublicKey, digest, sig []byte) bool
	}{
		{"RS256 unsealed", sealer{}, RS256, "RSA", func(pub crypto.PublicKey, d, sig []byte) bool {
			return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, d, sig) == nil
		}},
		{"RS256 sealed", sealed, RS256, "RSA", func(pub crypto.PublicKey, d, sig []byte) bool {
			return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, d, sig) == nil
		}},
		{"ES256 sealed", sealed, ES256, "EC", func(pub crypto.PublicKey, d, sig []byte) bool {
			return ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), d, sig)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, _, err := generate(tt.s, tt.alg, gatehouse.KeyStateNext, now)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(k.ID, gatehouse.PrefixSigningKey+"_") || k.Sealed != tt.s.enabled() || k.Algorithm != tt.alg {
				t.Fatalf("key = {ID %s, Sealed %v, Algorithm %s}", k.ID, k.Sealed, k.Algorithm)
			}
			// The stored private half, opened again, signs.
			priv, err := privateKey(tt.s, k)
			if err != nil {
				t.Fatal(err)
			}
			digest := sha256.Sum256([]byte("header.payload"))
			sig, err := priv.Sign(rand.Reader, digest[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			pub, j := publicKeyFromJWK(t, k.PublicJWK)
			if j.Kty != tt.kty || j.Kid != k.ID || j.Alg != tt.alg || j.Use != "sig" {
				t.Fatalf("JWK = %+v", j)
			}
			if !tt.verify(pub, digest[:], sig) {
				t.Fatal("the JWK does not verify a signature of the private key")
			}
			if strings.Contains(string(k.PublicJWK), `"d"`) {
				t.Fatalf("the public JWK has a private member: %s", k.PublicJWK)
			}
		})
	}
}

func TestPrivateKeyRefusesMismatch(t *testing.T) {
	k, _, err := generate(sealer{}, RS256, gatehouse.KeyStateNext, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	k.Algorithm = ES256
	if _, err := privateKey(sealer{}, k); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Fatalf("privateKey of an RSA key claiming ES256: %v", err)
	}
	if _, err := PublicJWK(&ecdsa.PublicKey{Curve: elliptic.P384()}, "sig_x", ES256); err == nil {
		t.Fatal("PublicJWK accepted a P-384 key for ES256")
	}
}
