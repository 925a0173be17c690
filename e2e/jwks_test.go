package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-auth/gatehouse/config"
)

// fetchJWKS gets /.well-known/jwks.json and checks its headers.
func fetchJWKS(t *testing.T, s *server) jose.JSONWebKeySet {
	t.Helper()
	res := s.do(http.MethodGet, "/.well-known/jwks.json", "", nil)
	mustStatus(t, res, http.StatusOK)
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json", ct)
	}
	if cc := res.header.Get("Cache-Control"); cc != "public, max-age=300" {
		t.Fatalf("Cache-Control = %q", cc)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(res.body, &set); err != nil {
		t.Fatalf("the JWKS is not a JWK Set: %v: %s", err, res.body)
	}
	for _, k := range set.Keys {
		// RS256 keys are RSA keys (ID tokens), ES256 keys P-256 keys (access tokens).
		_, isRSA := k.Key.(*rsa.PublicKey)
		ec, isEC := k.Key.(*ecdsa.PublicKey)
		fits := (k.Algorithm == "RS256" && isRSA) || (k.Algorithm == "ES256" && isEC && ec.Curve == elliptic.P256())
		if !k.IsPublic() || !k.Valid() || k.Use != "sig" || !fits || k.KeyID == "" {
			t.Fatalf("published key %q: public %v, valid %v, use %q, alg %q, key %T", k.KeyID, k.IsPublic(), k.Valid(), k.Use, k.Algorithm, k.Key)
		}
	}
	return set
}

func mustRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signJWT signs claims with the server's current ES256 signing key, as the token endpoint signs
// access tokens.
func signJWT(t *testing.T, s *server, claims jwt.Claims) (token, kid string) {
	t.Helper()
	kid, key, alg, err := s.m.Keys.Signer(context.Background(), "ES256")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	token, err = jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return token, kid
}

// verifyJWT verifies token against set the way a resource server does: by the kid in its header.
func verifyJWT(t *testing.T, set jose.JSONWebKeySet, token string) (jwt.Claims, error) {
	t.Helper()
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) == 0 {
		return jwt.Claims{}, errNoKey(parsed.Headers[0].KeyID)
	}
	var c jwt.Claims
	err = parsed.Claims(keys[0].Key, &c)
	return c, err
}

type errNoKey string

func (e errNoKey) Error() string { return "no published key " + string(e) }

func TestJWKSVerifiesSignedTokens(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, func(c *config.Config) { c.SecretKey = "e2e-secret-key-of-at-least-32-bytes!!" })
		set := fetchJWKS(t, s)
		if len(set.Keys) != 4 {
			t.Fatalf("a fresh server publishes %d keys, want 4 (current and next of ES256 and RS256)", len(set.Keys))
		}
		now := time.Now()
		claims := jwt.Claims{Issuer: s.base, Subject: "usr_test", IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}
		before, kidBefore := signJWT(t, s, claims)
		got, err := verifyJWT(t, set, before)
		if err != nil || got.Subject != "usr_test" {
			t.Fatalf("the published JWKS does not verify a token of the current key: %v, %+v", err, got)
		}

		// A token signed with an unpublished key is refused.
		otherEC, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		for name, other := range map[string]jose.SigningKey{
			"ES256": {Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: otherEC, KeyID: kidBefore}},
			"RS256": {Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: mustRSAKey(t), KeyID: kidBefore}},
		} {
			signer, _ := jose.NewSigner(other, nil)
			forged, _ := jwt.Signed(signer).Claims(claims).Serialize()
			if _, err := verifyJWT(t, set, forged); err == nil {
				t.Fatalf("a token signed %s by another key under the current kid verified", name)
			}
		}

		rot, err := s.m.Keys.Rotate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		after := fetchJWKS(t, s)
		if len(after.Keys) != 6 || len(after.Key(kidBefore)) != 1 {
			t.Fatalf("JWKS after rotation has %d keys; want 6 with the previous %s", len(after.Keys), kidBefore)
		}
		for _, alg := range []string{"ES256", "RS256"} {
			if len(after.Key(rot.Next[alg])) != 1 || len(after.Key(rot.Current[alg])) != 1 {
				t.Fatalf("JWKS after rotation lacks the %s current %s or next %s", alg, rot.Current[alg], rot.Next[alg])
			}
		}
		if _, err := verifyJWT(t, after, before); err != nil {
			t.Fatalf("a token signed just before the rotation fails verification after it: %v", err)
		}
		fresh, kidAfter := signJWT(t, s, claims)
		if kidAfter != rot.Current["ES256"] || kidAfter == kidBefore {
			t.Fatalf("after the rotation the server signs with %s, want %s", kidAfter, rot.Current["ES256"])
		}
		// The key that signs after a rotation was published before it.
		if _, err := verifyJWT(t, set, fresh); err != nil {
			t.Fatalf("a token of the new current key fails against the JWKS fetched before the rotation: %v", err)
		}
	})
}
