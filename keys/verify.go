package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

// ErrUnknownKey is returned by PublicKey for a kid that is not published (never issued here,
// retired, or not yet seen by this instance's cached set).
var ErrUnknownKey = errors.New("keys: no published signing key with that kid")

// PublicKey returns the public half of a published key (next, current or previous) and its JWA
// algorithm, for verifying tokens this deployment signed. It reads the cached key set (the same
// one the JWKS document comes from), so a kid a resource server could not find in the JWKS is
// not accepted here either. An unknown kid is an error wrapping ErrUnknownKey.
func (m *Manager) PublicKey(ctx context.Context, kid string) (crypto.PublicKey, string, error) {
	set, err := m.set(ctx)
	if err != nil {
		return nil, "", err
	}
	k, ok := set.public[kid]
	if !ok {
		return nil, "", ErrUnknownKey
	}
	if k.err != nil {
		return nil, "", fmt.Errorf("keys: published key %s: %w", kid, k.err)
	}
	return k.key, k.alg, nil
}

// decodePublished decodes a published JWK once, when the key set is loaded.
func decodePublished(raw []byte) publishedKey {
	var k jwk
	if err := json.Unmarshal(raw, &k); err != nil {
		return publishedKey{err: fmt.Errorf("the JWK does not parse: %w", err)}
	}
	pub, err := k.publicKey()
	return publishedKey{key: pub, alg: k.Alg, err: err}
}

// publicKey decodes the JWK's public key, checking that it fits its algorithm.
func (k jwk) publicKey() (crypto.PublicKey, error) {
	dec := base64.RawURLEncoding.DecodeString
	switch {
	case k.Kty == "RSA" && k.Alg == RS256:
		n, err := dec(k.N)
		if err != nil || len(n) == 0 {
			return nil, errors.New("bad RSA modulus")
		}
		e, err := dec(k.E)
		if err != nil || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA exponent")
		}
		exp := new(big.Int).SetBytes(e)
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}, nil
	case k.Kty == "EC" && k.Alg == ES256 && k.Crv == "P-256":
		x, err1 := dec(k.X)
		y, err2 := dec(k.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("bad EC point")
		}
		raw := append(append([]byte{4}, x...), y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
		if err != nil {
			return nil, fmt.Errorf("bad EC point: %w", err)
		}
		return pub, nil
	}
	return nil, fmt.Errorf("unsupported key type %q with algorithm %q", k.Kty, k.Alg)
}

// compile-time check that Manager serves what verifiers need.
var _ interface {
	PublicKey(ctx context.Context, kid string) (crypto.PublicKey, string, error)
	Signer(ctx context.Context, alg string) (string, crypto.Signer, string, error)
} = (*Manager)(nil)
