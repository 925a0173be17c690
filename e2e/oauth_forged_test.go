package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// deviceTokens signs in to the built-in CLI client through the device flow, approved with the
// session token, and returns the token response (access, refresh and ID tokens).
func (s *server) deviceTokens(t *testing.T, session, scope string) map[string]any {
	t.Helper()
	return s.deviceTokensFor(t, session, "gatehouse-cli", scope)
}

// deviceTokensFor is deviceTokens for any public client with the device grant.
func (s *server) deviceTokensFor(t *testing.T, session, clientID, scope string) map[string]any {
	t.Helper()
	start := formWith(t, s, "/oauth2/device_authorization", url.Values{"client_id": {clientID}, "scope": {scope}}, "", "", "")
	mustStatus(t, start, http.StatusOK)
	d := start.json(t)
	mustStatus(t, s.do("POST", "/v1/device/approve", session, map[string]any{"user_code": d["user_code"]}), http.StatusOK)
	tok := formWith(t, s, "/oauth2/token", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {d["device_code"].(string)},
		"client_id": {clientID},
	}, "", "", "")
	mustStatus(t, tok, http.StatusOK)
	return tok.json(t)
}

// jwtParts splits a compact JWS and decodes its header and payload.
func jwtParts(t *testing.T, raw string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", raw)
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, payload
}

// forge encodes header and payload and signs them with HMAC-SHA256 under key (nil key: no
// signature, as alg none has).
func forge(t *testing.T, header, payload map[string]any, key []byte) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(header) + "." + enc(payload)
	if key == nil {
		return input + "."
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// TestForgedAccessTokensRefusedEverywhere: tokens that an attacker can make without the private
// key — alg none, HS256 keyed with the published public key (as PEM and as the JWK's JSON), a
// real token with its claims changed, and a real ID token presented as an access token — are
// refused by every place that accepts access tokens: the account API, userinfo, introspection
// and /v1/verify; the genuine token is accepted by all four.
func TestForgedAccessTokensRefusedEverywhere(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		root, rootID := s.register("root", goodPassword, "root@example.com")
		s.patPromote(rootID)
		alice, _ := s.register("alice", goodPassword, "alice@example.com")
		orgID := s.createOrg(root, "resource-servers")
		rs := s.createOAuthClient(root, orgID, map[string]any{
			"name": "API gateway", "grant_types": []string{"client_credentials"}, "scopes": []string{"calls:read", "gatehouse:introspect"},
		})
		rsID, rsSecret := rs["client_id"].(string), rs["client_secret"].(string)

		toks := s.deviceTokens(t, alice, "openid profile offline_access")
		genuine, idToken := toks["access_token"].(string), toks["id_token"].(string)
		header, payload := jwtParts(t, genuine)

		jwksResp := s.do("GET", "/.well-known/jwks.json", "", nil)
		mustStatus(t, jwksResp, http.StatusOK)
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(jwksResp.body, &set); err != nil {
			t.Fatal(err)
		}
		pub := set.Key(header["kid"].(string))
		if len(pub) != 1 {
			t.Fatalf("the token's kid %v is not in the JWKS", header["kid"])
		}
		der, err := x509.MarshalPKIXPublicKey(pub[0].Key)
		if err != nil {
			t.Fatal(err)
		}
		pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		jwkJSON, err := pub[0].MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}

		with := func(h map[string]any, kv ...any) map[string]any {
			out := map[string]any{}
			for k, v := range h {
				out[k] = v
			}
			for i := 0; i < len(kv); i += 2 {
				out[kv[i].(string)] = kv[i+1]
			}
			return out
		}
		parts := strings.Split(genuine, ".")
		elevated := with(payload, "scope", "openid profile offline_access calls:write", "sub", rootID)
		// The genuine signature, over other claims.
		tampered := strings.TrimSuffix(forge(t, header, elevated, nil), ".") + "." + parts[2]

		forged := []struct{ name, token string }{
			{"alg none", forge(t, with(header, "alg", "none"), payload, nil)},
			{"alg none, no typ", forge(t, map[string]any{"alg": "none"}, payload, nil)},
			{"HS256 keyed with the public key as PEM", forge(t, with(header, "alg", "HS256"), payload, pemKey)},
			{"HS256 keyed with the public JWK", forge(t, with(header, "alg", "HS256"), payload, jwkJSON)},
			{"claims changed under the genuine signature", tampered},
			{"an ID token presented as an access token", idToken},
		}

		type check struct {
			name string
			ok   func(tok string) bool
		}
		checks := []check{
			{"GET /v1/me", func(tok string) bool { return s.do("GET", "/v1/me", tok, nil).status == http.StatusOK }},
			{"/oauth2/userinfo", func(tok string) bool { return s.do("GET", "/oauth2/userinfo", tok, nil).status == http.StatusOK }},
			{"/oauth2/introspect", func(tok string) bool {
				r := formWith(t, s, "/oauth2/introspect", url.Values{"token": {tok}}, rsID, rsSecret, "")
				mustStatus(t, r, http.StatusOK)
				return r.json(t)["active"] == true
			}},
			{"/v1/verify", func(tok string) bool {
				r := s.verifyRaw(root, map[string]any{"token": tok})
				mustStatus(t, r, http.StatusOK)
				return r.json(t)["valid"] == true
			}},
		}
		for _, c := range checks {
			t.Run("genuine token at "+c.name, func(t *testing.T) {
				if !c.ok(genuine) {
					t.Fatal("the genuine access token was refused")
				}
			})
			for _, f := range forged {
				t.Run(f.name+" at "+c.name, func(t *testing.T) {
					if c.ok(f.token) {
						t.Fatal("accepted")
					}
				})
			}
		}
	})
}
