package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Signing algorithms (JWA names, RFC 7518).
const (
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256, RSA 2048: ID tokens (and access tokens when so configured)
	ES256 = "ES256" // ECDSA P-256 with SHA-256: access tokens by default
)

// Algorithms are the algorithms a Manager keeps keys of, each with its own next, current and
// previous key (see the package documentation for why both).
var Algorithms = []string{RS256, ES256}

// rsaBits is the size of generated RSA keys.
const rsaBits = 2048

// generate makes a new key in state next (or the given state) with its private half as PKCS#8
// DER, sealed when s is enabled, and its public half as a JWK.
func generate(s sealer, alg, state string, now time.Time) (*gatehouse.SigningKey, crypto.Signer, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case RS256:
		priv, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return nil, nil, fmt.Errorf("unsupported signing algorithm %q", alg)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("generate %s signing key: %w", alg, err)
	}
	kid := gatehouse.NewID(gatehouse.PrefixSigningKey, now, nil)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("encode signing key: %w", err)
	}
	jwk, err := PublicJWK(priv.Public(), kid, alg)
	if err != nil {
		return nil, nil, err
	}
	k := &gatehouse.SigningKey{
		ID:         kid,
		Algorithm:  alg,
		State:      state,
		PrivateKey: der,
		PublicJWK:  jwk,
		CreatedAt:  now,
	}
	if s.enabled() {
		if k.PrivateKey, err = s.seal(kid, der); err != nil {
			return nil, nil, err
		}
		k.Sealed = true
	}
	return k, priv, nil
}

// privateKey opens (when sealed) and parses the private half of k, checking that it matches
// the algorithm k claims.
func privateKey(s sealer, k *gatehouse.SigningKey) (crypto.Signer, error) {
	der := k.PrivateKey
	if k.Sealed {
		var err error
		if der, err = s.open(k.ID, der); err != nil {
			return nil, err
		}
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: the private key is not valid PKCS#8", k.ID)
	}
	switch p := parsed.(type) {
	case *rsa.PrivateKey:
		if k.Algorithm == RS256 {
			return p, nil
		}
	case *ecdsa.PrivateKey:
		if k.Algorithm == ES256 && p.Curve == elliptic.P256() {
			return p, nil
		}
	}
	return nil, fmt.Errorf("signing key %s: the private key does not fit algorithm %q", k.ID, k.Algorithm)
}
