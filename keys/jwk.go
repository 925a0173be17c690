package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
)

// jwk is a public JSON Web Key (RFC 7517, 7518 §6): RSA (n, e) or EC P-256 (crv, x, y).
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// PublicJWK encodes pub as a JWK with use "sig" and the given kid and alg.
func PublicJWK(pub crypto.PublicKey, kid, alg string) ([]byte, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	k := jwk{Use: "sig", Alg: alg, Kid: kid}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if alg != RS256 {
			return nil, fmt.Errorf("an RSA key cannot be used with %q", alg)
		}
		k.Kty = "RSA"
		k.N = b64(p.N.Bytes())
		k.E = b64(big.NewInt(int64(p.E)).Bytes())
	case *ecdsa.PublicKey:
		if alg != ES256 || p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("an ECDSA key on %s cannot be used with %q", p.Curve.Params().Name, alg)
		}
		ecdh, err := p.ECDH()
		if err != nil {
			return nil, fmt.Errorf("encode EC public key: %w", err)
		}
		raw := ecdh.Bytes() // 0x04 || X (32 bytes) || Y (32 bytes)
		k.Kty = "EC"
		k.Crv = "P-256"
		k.X = b64(raw[1:33])
		k.Y = b64(raw[33:])
	default:
		return nil, fmt.Errorf("unsupported public key type %T", pub)
	}
	return json.Marshal(k)
}
