package keys

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const (
	testSecret  = "0123456789abcdef0123456789abcdef-secret"
	otherSecret = "fedcba9876543210fedcba9876543210-secret"
)

func TestSealOpen(t *testing.T) {
	right, err := newSealer(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := newSealer(otherSecret)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("pkcs8 private key bytes")
	blob, err := right.seal("sig_a", plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, plain) {
		t.Fatal("the sealed blob contains the plaintext")
	}
	again, _ := right.seal("sig_a", plain)
	if bytes.Equal(blob, again) {
		t.Fatal("two seals of one plaintext are equal: the nonce is not random")
	}
	tampered := bytes.Clone(blob)
	tampered[len(tampered)-1] ^= 1

	tests := []struct {
		name    string
		s       sealer
		kid     string
		blob    []byte
		wantErr string // "" means it opens
	}{
		{"round trip", right, "sig_a", blob, ""},
		{"wrong secret", wrong, "sig_a", blob, "GATEHOUSE_SECRET_KEY cannot open the token signing keys: key sig_a was sealed with a different secret key"},
		{"no secret", sealer{}, "sig_a", blob, "GATEHOUSE_SECRET_KEY cannot open the token signing keys: key sig_a is sealed and the variable is not set"},
		{"blob moved to another key ID", right, "sig_b", blob, "GATEHOUSE_SECRET_KEY cannot open the token signing keys: key sig_b was sealed with a different secret key"},
		{"altered ciphertext", right, "sig_a", tampered, "GATEHOUSE_SECRET_KEY cannot open the token signing keys: key sig_a was sealed with a different secret key"},
		{"truncated", right, "sig_a", blob[:10], "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.open(tt.kid, tt.blob)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("open = %q, want %q", got, plain)
				}
				return
			}
			if err == nil {
				t.Fatal("open succeeded, want an error")
			}
			if !errors.Is(err, ErrSecretKey) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %q: want ErrSecretKey containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), otherSecret) {
				t.Fatalf("error %q reveals the secret", err)
			}
		})
	}
}

func TestSealerDerivesDistinctKeys(t *testing.T) {
	// The same secret must give the same key (sealed rows survive restarts).
	a, _ := newSealer(testSecret)
	b, _ := newSealer(testSecret)
	blob, err := a.seal("sig_x", []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.open("sig_x", blob); err != nil {
		t.Fatalf("a sealer built from the same secret cannot open: %v", err)
	}
	if (sealer{}).enabled() {
		t.Fatal("the zero sealer claims to seal")
	}
}
