package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/keys"
)

// signWith signs claims with any key under the given alg, typ and kid (go-jose directly).
func signWith(t *testing.T, alg jose.SignatureAlgorithm, key any, typ, kid string, claims any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", kid)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func b64JSON(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestVerifyAccessTokenRejects(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		kid, signer, _, err := f.keys.Signer(ctx, keys.ES256) // access tokens are ES256 by default
		if err != nil {
			t.Fatal(err)
		}
		rsKid, rsSigner, _, err := f.keys.Signer(ctx, keys.RS256) // ID tokens' key
		if err != nil {
			t.Fatal(err)
		}
		pub := signer.Public()
		now := f.clock.now()
		sub := f.register(t, "subject").user.ID
		// changed's credentials changed a millisecond after now: its tokens of now's second are
		// refused, those with an iat of the next second work.
		changed := f.register(t, "changed").user.ID
		if err := f.store.SetCredentialsChangedAt(ctx, changed, now.Add(time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		valid := func() accessClaims {
			return accessClaims{Issuer: testIssuer, Subject: sub, Audience: audience{testIssuer}, Expiry: now.Add(time.Hour).Unix(),
				IssuedAt: now.Unix(), NotBefore: now.Unix(), JTI: "jti-" + t.Name(), ClientID: gatehouse.BuiltInCLIClientID, Scope: "openid"}
		}
		ours := func(typ string, change func(c *accessClaims)) string {
			c := valid()
			if change != nil {
				change(&c)
			}
			raw, err := f.p.sign(ctx, keys.ES256, typ, c)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		stranger, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		ecStranger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		rsDER, err := x509.MarshalPKIXPublicKey(rsSigner.Public())
		if err != nil {
			t.Fatal(err)
		}
		good := ours("at+jwt", nil)
		parts := strings.Split(good, ".")
		tampered := func() string {
			c := valid()
			c.Subject = "usr_admin"
			return parts[0] + "." + b64JSON(c) + "." + parts[2]
		}()
		none := b64JSON(map[string]string{"alg": "none", "typ": "at+jwt", "kid": kid}) + "." + b64JSON(valid()) + "."

		cases := []struct {
			name string
			raw  string
			want gatehouse.Code
		}{
			{"valid", good, ""},
			{"typ application/at+jwt", ours("application/at+jwt", nil), ""},
			{"typ upper case", ours("AT+JWT", nil), ""},
			{"alg none", none, gatehouse.CodeInvalidToken},
			{"HS256 keyed with the PEM public key", signWith(t, jose.HS256, pemKey, "at+jwt", kid, valid()), gatehouse.CodeInvalidToken},
			{"HS256 keyed with the DER public key", signWith(t, jose.HS256, der, "at+jwt", kid, valid()), gatehouse.CodeInvalidToken},
			{"typ JWT", ours("JWT", nil), gatehouse.CodeInvalidToken},
			{"HS256 keyed with the RSA key's DER", signWith(t, jose.HS256, rsDER, "at+jwt", rsKid, valid()), gatehouse.CodeInvalidToken},
			{"no typ", signWith(t, jose.ES256, signer, "", kid, valid()), gatehouse.CodeInvalidToken},
			{"our kid, a stranger's key", signWith(t, jose.ES256, ecStranger, "at+jwt", kid, valid()), gatehouse.CodeInvalidToken},
			{"our kid, a stranger's RSA key", signWith(t, jose.RS256, stranger, "at+jwt", kid, valid()), gatehouse.CodeInvalidToken},
			// A key verifies only the algorithm it was made for: the header's alg must match it.
			{"RS256 token by our RSA key, kid of our EC key", signWith(t, jose.RS256, rsSigner, "at+jwt", kid, valid()), gatehouse.CodeInvalidToken},
			{"ES256 token by our EC key, kid of our RSA key", signWith(t, jose.ES256, signer, "at+jwt", rsKid, valid()), gatehouse.CodeInvalidToken},
			{"RS256 token by our RSA key, its own kid", signWith(t, jose.RS256, rsSigner, "at+jwt", rsKid, valid()), ""},
			{"unknown kid", signWith(t, jose.RS256, stranger, "at+jwt", "sig_unknown", valid()), gatehouse.CodeInvalidToken},
			{"tampered claims", tampered, gatehouse.CodeInvalidToken},
			{"other issuer", ours("at+jwt", func(c *accessClaims) { c.Issuer = "https://evil.example" }), gatehouse.CodeInvalidToken},
			{"other audience", ours("at+jwt", func(c *accessClaims) { c.Audience = audience{"https://api.other"} }), gatehouse.CodeInvalidToken},
			{"audience array with ours", ours("at+jwt", func(c *accessClaims) { c.Audience = audience{"x", testIssuer} }), ""},
			{"expired", ours("at+jwt", func(c *accessClaims) { c.Expiry = now.Unix() }), gatehouse.CodeExpiredToken},
			{"not yet valid", ours("at+jwt", func(c *accessClaims) { c.NotBefore = now.Add(time.Hour).Unix() }), gatehouse.CodeInvalidToken},
			{"no jti", ours("at+jwt", func(c *accessClaims) { c.JTI = "" }), gatehouse.CodeInvalidToken},
			// A client that is not registered (or was deleted): its tokens are refused.
			{"unregistered client", ours("at+jwt", func(c *accessClaims) { c.ClientID = "cli_deleted" }), gatehouse.CodeInvalidToken},
			// The user must exist, and must not have changed credentials since the token's iat.
			{"unknown user", ours("at+jwt", func(c *accessClaims) { c.Subject = "usr_gone" }), gatehouse.CodeInvalidToken},
			{"issued before the user's credentials changed", ours("at+jwt", func(c *accessClaims) { c.Subject = changed }), gatehouse.CodeInvalidToken},
			{"issued after the user's credentials changed", ours("at+jwt", func(c *accessClaims) {
				c.Subject, c.IssuedAt = changed, now.Add(time.Second).Unix()
			}), ""},
			{"not a JWT", "gth_pat_abc", gatehouse.CodeInvalidToken},
			{"garbage with dots", "a.b.c", gatehouse.CodeInvalidToken},
			{"huge", strings.Repeat("a", maxJWTLen) + "..", gatehouse.CodeInvalidToken},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.p.VerifyAccessToken(ctx, c.raw)
				wantCode(t, err, c.want)
			})
		}
		t.Run("a verified token with its signature altered", func(t *testing.T) {
			if _, err := f.p.VerifyAccessToken(ctx, good); err != nil { // remembered as verified
				t.Fatal(err)
			}
			sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
			sig[len(sig)/2] ^= 1
			_, err := f.p.VerifyAccessToken(ctx, parts[0]+"."+parts[1]+"."+base64.RawURLEncoding.EncodeToString(sig))
			wantCode(t, err, gatehouse.CodeInvalidToken)
		})
		t.Run("denylisted", func(t *testing.T) {
			raw := ours("at+jwt", func(c *accessClaims) { c.JTI = "to-deny" })
			if _, err := f.p.VerifyAccessToken(ctx, raw); err != nil {
				t.Fatal(err)
			}
			if err := f.store.DenyAccessToken(ctx, "to-deny", now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			_, err := f.p.VerifyAccessToken(ctx, raw)
			wantCode(t, err, gatehouse.CodeInvalidToken)
		})
		t.Run("survives one rotation, not two", func(t *testing.T) {
			if _, err := f.keys.Rotate(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := f.p.VerifyAccessToken(ctx, good); err != nil {
				t.Fatalf("a token of the previous key: %v", err)
			}
			if _, err := f.keys.Rotate(ctx); err != nil {
				t.Fatal(err)
			}
			_, err := f.p.VerifyAccessToken(ctx, good)
			wantCode(t, err, gatehouse.CodeInvalidToken)
		})
	})
}

func TestAccessTokenExpiresWithTheClock(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		web, ca := f.webApp(t)
		alice := f.register(t, "alice")
		resp := f.codeTokens(t, alice, web, ca, "openid")
		f.clock.advance(DefaultAccessTokenTTL - time.Second)
		if _, err := f.p.VerifyAccessToken(ctx, resp.AccessToken); err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
		f.clock.advance(time.Second)
		_, err := f.p.VerifyAccessToken(ctx, resp.AccessToken)
		wantCode(t, err, gatehouse.CodeExpiredToken)
	})
}

// TestAccessTokenAlgorithm: access tokens are ES256 unless the provider is configured for RS256;
// ID tokens are RS256 either way; a token of either algorithm verifies (the kid's key decides).
func TestAccessTokenAlgorithm(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		_, svcCA := f.client(t, auth.OAuthClientInput{GrantTypes: []string{auth.GrantClientCredentials}, Scopes: []string{"calls:read"}})
		web, ca := f.webApp(t)
		alice := f.register(t, "alice")
		cases := []struct {
			name, configured, want string
		}{
			{"default", "", keys.ES256},
			{"ES256", keys.ES256, keys.ES256},
			{"RS256", keys.RS256, keys.RS256},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := New(f.store, f.svc.Sessions, f.clients, f.keys, Config{Issuer: testIssuer, Brand: "gth", AccessTokenAlg: c.configured}, Options{Now: f.clock.now})
				cc, err := p.Token(ctx, TokenRequest{GrantType: auth.GrantClientCredentials, Client: svcCA}, auth.Meta{})
				if err != nil {
					t.Fatal(err)
				}
				h, _ := jwtParts(t, cc.AccessToken)
				wantKid, _, _, err := f.keys.Signer(ctx, c.want)
				if err != nil {
					t.Fatal(err)
				}
				if h["alg"] != c.want || h["kid"] != wantKid || h["typ"] != "at+jwt" {
					t.Fatalf("client_credentials access token header %v, want alg %s kid %s", h, c.want, wantKid)
				}
				if _, err := f.p.VerifyAccessToken(ctx, cc.AccessToken); err != nil {
					t.Fatalf("VerifyAccessToken: %v", err)
				}
			})
		}
		resp := f.codeTokens(t, alice, web, ca, "openid")
		if h, _ := jwtParts(t, resp.IDToken); h["alg"] != keys.RS256 {
			t.Fatalf("ID token header %v, want RS256", h)
		}
		if h, _ := jwtParts(t, resp.AccessToken); h["alg"] != keys.ES256 {
			t.Fatalf("access token header %v, want ES256", h)
		}
	})
}
