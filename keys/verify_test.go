package keys_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/keys"
)

// verifySig checks sig over digest with a public key from PublicKey.
func verifySig(pub crypto.PublicKey, digest, sig []byte) bool {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig) == nil
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, digest, sig)
	}
	return false
}

func TestPublicKey(t *testing.T) {
	for _, alg := range []string{keys.RS256, keys.ES256} {
		t.Run(alg, func(t *testing.T) {
			eachStore(t, func(t *testing.T, open opener) {
				ctx := context.Background()
				store := open(t)
				m := newManager(t, store, keys.Options{})
				if err := m.Init(ctx); err != nil {
					t.Fatal(err)
				}
				kid, signer, gotAlg, err := m.Signer(ctx, alg)
				if err != nil || gotAlg != alg {
					t.Fatalf("Signer: %v, %s", err, gotAlg)
				}
				digest := sha256.Sum256([]byte("payload"))
				sig, err := signer.Sign(rand.Reader, digest[:], crypto.SHA256)
				if err != nil {
					t.Fatal(err)
				}
				next := kidOf(t, store, alg, gatehouse.KeyStateNext)
				cases := []struct {
					name    string
					kid     string
					err     error
					signsIt bool
				}{
					{"current", kid, nil, true},
					{"next", next, nil, false},
					{"unknown", "sig_nope", keys.ErrUnknownKey, false},
					{"empty", "", keys.ErrUnknownKey, false},
				}
				for _, c := range cases {
					t.Run(c.name, func(t *testing.T) {
						pub, a, err := m.PublicKey(ctx, c.kid)
						if !errors.Is(err, c.err) {
							t.Fatalf("PublicKey: %v, want %v", err, c.err)
						}
						if err != nil {
							return
						}
						if a != alg {
							t.Fatalf("alg %s, want %s", a, alg)
						}
						if verifySig(pub, digest[:], sig) != c.signsIt {
							t.Fatalf("signature verifies: %v, want %v", !c.signsIt, c.signsIt)
						}
					})
				}
				// The signing key stays verifiable as previous, and is gone once retired.
				if _, err := m.Rotate(ctx); err != nil {
					t.Fatal(err)
				}
				if pub, _, err := m.PublicKey(ctx, kid); err != nil || !verifySig(pub, digest[:], sig) {
					t.Fatalf("previous key: %v", err)
				}
				if _, err := m.Rotate(ctx); err != nil {
					t.Fatal(err)
				}
				if _, _, err := m.PublicKey(ctx, kid); !errors.Is(err, keys.ErrUnknownKey) {
					t.Fatalf("retired key: %v, want ErrUnknownKey", err)
				}
			})
		})
	}
}
