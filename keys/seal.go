package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/hkdf"
)

// hkdfInfo binds the derived key to its purpose; a new sealing format gets a new info string.
const hkdfInfo = "gatehouse signing keys v1"

// secretKeyEnv names the setting in errors, so that operators know what to fix.
const secretKeyEnv = "GATEHOUSE_SECRET_KEY"

// ErrSecretKey is wrapped by every error about a sealed key that cannot be opened: the secret
// key is missing or is not the one the key was sealed with. Its text never contains key material.
var ErrSecretKey = errors.New(secretKeyEnv + " cannot open the token signing keys")

// sealer seals and opens private keys. The zero value (no secret key) stores them as is.
type sealer struct {
	aead cipher.AEAD // nil: no secret key configured
}

// newSealer derives the AES-256-GCM key from secret (empty: no sealing).
func newSealer(secret string) (sealer, error) {
	if secret == "" {
		return sealer{}, nil
	}
	var key [32]byte
	if _, err := io.ReadFull(hkdf.New(sha256.New, []byte(secret), nil, []byte(hkdfInfo)), key[:]); err != nil {
		return sealer{}, fmt.Errorf("derive the signing-key encryption key: %w", err)
	}
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return sealer{}, fmt.Errorf("signing-key cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, fmt.Errorf("signing-key cipher: %w", err)
	}
	return sealer{aead: aead}, nil
}

// enabled reports whether new keys are sealed.
func (s sealer) enabled() bool { return s.aead != nil }

// seal encrypts plain for the key kid: a random nonce followed by the ciphertext; kid is the
// additional data, so that a blob copied onto another row does not open.
func (s sealer) seal(kid string, plain []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal signing key: %w", err)
	}
	return s.aead.Seal(nonce, nonce, plain, []byte(kid)), nil
}

// open decrypts a blob made by seal for kid.
func (s sealer) open(kid string, blob []byte) ([]byte, error) {
	if s.aead == nil {
		return nil, fmt.Errorf("%w: key %s is sealed and the variable is not set", ErrSecretKey, kid)
	}
	n := s.aead.NonceSize()
	if len(blob) < n+s.aead.Overhead() {
		return nil, fmt.Errorf("%w: the sealed data of key %s is truncated", ErrSecretKey, kid)
	}
	plain, err := s.aead.Open(nil, blob[:n], blob[n:], []byte(kid))
	if err != nil {
		return nil, fmt.Errorf("%w: key %s was sealed with a different secret key (or its sealed data was altered)", ErrSecretKey, kid)
	}
	return plain, nil
}
