package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/gatehouse-auth/gatehouse/config"
)

// Passkeys against the real API with a virtual authenticator in Go (descope/virtualwebauthn):
// registration, discoverable and username-first sign-in, list, rename, delete, and the refusals
// (a sign count going backwards, a reused challenge, another user's passkey).

const passkeyTestOrigin = "http://localhost:8080"

// passkeyServer starts a server whose public URL is passkeyTestOrigin (RP ID "localhost").
func passkeyServer(t *testing.T, dbURL string) *server {
	t.Helper()
	return start(t, dbURL, func(c *config.Config) {
		u, err := url.Parse(passkeyTestOrigin)
		if err != nil {
			t.Fatal(err)
		}
		c.PublicURL = u
	})
}

// virtualPasskey is one authenticator holding one credential.
type virtualPasskey struct {
	rp   virtualwebauthn.RelyingParty
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
}

// ceremony returns the challenge_id and the options (as JSON) of a ceremony start.
func ceremony(t *testing.T, r response) (string, string) {
	t.Helper()
	mustStatus(t, r, http.StatusOK)
	v := r.json(t)
	id, _ := v["challenge_id"].(string)
	if id == "" {
		t.Fatalf("no challenge_id: %s", r.body)
	}
	opts, err := json.Marshal(v["options"])
	if err != nil {
		t.Fatal(err)
	}
	return id, string(opts)
}

// registerPasskey adds a passkey named name to the account of token and returns the
// authenticator and the API's answer.
func registerPasskey(t *testing.T, s *server, token, name string) (*virtualPasskey, map[string]any) {
	t.Helper()
	return registerPasskeyAt(t, s, "/v1/auth/passkey", token, name)
}

// registerPasskeyAt is registerPasskey through the routes under base (a profile's).
func registerPasskeyAt(t *testing.T, s *server, base, token, name string) (*virtualPasskey, map[string]any) {
	t.Helper()
	id, opts := ceremony(t, s.do("POST", base+"/register/challenge", token, nil))
	att, err := virtualwebauthn.ParseAttestationOptions(opts)
	if err != nil {
		t.Fatalf("parse creation options: %v\n%s", err, opts)
	}
	if att.RelyingPartyID != "localhost" {
		t.Fatalf("rp.id %q, want localhost", att.RelyingPartyID)
	}
	pk := &virtualPasskey{
		rp:   virtualwebauthn.RelyingParty{ID: "localhost", Name: "Gatehouse", Origin: passkeyTestOrigin},
		auth: virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(att.UserID)}),
		cred: virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2),
	}
	resp := virtualwebauthn.CreateAttestationResponse(pk.rp, pk.auth, pk.cred, *att)
	r := s.do("POST", base+"/register", token, map[string]any{"challenge_id": id, "credential": json.RawMessage(resp), "name": name})
	mustStatus(t, r, http.StatusCreated)
	pk.auth.AddCredential(pk.cred)
	return pk, r.json(t)
}

// assertion answers a sign-in challenge's options with the passkey at the given sign count.
func (pk *virtualPasskey) assertion(t *testing.T, opts string, counter uint32) json.RawMessage {
	t.Helper()
	a, err := virtualwebauthn.ParseAssertionOptions(opts)
	if err != nil {
		t.Fatalf("parse request options: %v\n%s", err, opts)
	}
	cred := pk.cred
	cred.Counter = counter
	return json.RawMessage(virtualwebauthn.CreateAssertionResponse(pk.rp, pk.auth, cred, *a))
}

// passkeyLogin runs a whole sign-in (username "" for a discoverable one) and returns the answer.
func passkeyLogin(t *testing.T, s *server, pk *virtualPasskey, username string, counter uint32) response {
	t.Helper()
	var body any
	if username != "" {
		body = map[string]string{"username": username}
	}
	id, opts := ceremony(t, s.do("POST", "/v1/auth/passkey/login/challenge", "", body))
	return s.do("POST", "/v1/auth/passkey/login", "", map[string]any{"challenge_id": id, "credential": pk.assertion(t, opts, counter)})
}

// allowCredentials returns the credential IDs the request options allow.
func allowCredentials(t *testing.T, opts string) []string {
	t.Helper()
	a, err := virtualwebauthn.ParseAssertionOptions(opts)
	if err != nil {
		t.Fatal(err)
	}
	return a.AllowCredentials
}

func passkeyList(t *testing.T, s *server, token string) []any {
	t.Helper()
	r := s.do("GET", "/v1/auth/passkeys", token, nil)
	mustStatus(t, r, http.StatusOK)
	data, _ := r.json(t)["data"].([]any)
	return data
}

func signedInAs(t *testing.T, s *server, r response, username string) {
	t.Helper()
	mustStatus(t, r, http.StatusOK)
	v := r.json(t)
	tok, _ := v["token"].(string)
	me := s.do("GET", "/v1/me", tok, nil)
	mustStatus(t, me, http.StatusOK)
	if got := me.json(t)["username"]; got != username {
		t.Fatalf("signed in as %v, want %s", got, username)
	}
}

func TestPasskeysAPI(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := passkeyServer(t, dbURL)
		alice := "alice" + randomSuffix()
		aliceTok, _ := s.register(alice, "correct horse battery staple", "")
		bob := "bob" + randomSuffix()
		bobTok, bobID := s.register(bob, "correct horse battery staple", "")

		pk, created := registerPasskey(t, s, aliceTok, "laptop")
		pkID, _ := created["id"].(string)
		if created["name"] != "laptop" || pkID == "" || created["created_at"] == nil || created["last_used_at"] != nil {
			t.Fatalf("created passkey: %v", created)
		}
		for _, k := range []string{"backup_eligible", "backup_state"} {
			if _, ok := created[k].(bool); !ok {
				t.Errorf("created passkey lacks boolean %s: %v", k, created)
			}
		}
		if _, ok := created["credential"]; ok {
			t.Errorf("the API shows the credential record: %v", created)
		}
		counter := uint32(0)
		next := func() uint32 { counter++; return counter }

		t.Run("list", func(t *testing.T) {
			list := passkeyList(t, s, aliceTok)
			if len(list) != 1 || list[0].(map[string]any)["id"] != pkID {
				t.Fatalf("alice's passkeys: %v", list)
			}
			if list := passkeyList(t, s, bobTok); len(list) != 0 {
				t.Fatalf("bob's passkeys: %v", list)
			}
		})

		t.Run("discoverable sign-in", func(t *testing.T) {
			signedInAs(t, s, passkeyLogin(t, s, pk, "", next()), alice)
			list := passkeyList(t, s, aliceTok)
			if list[0].(map[string]any)["last_used_at"] == nil {
				t.Errorf("last_used_at not set after a sign-in: %v", list)
			}
		})

		t.Run("a user handle that does not own the credential is refused", func(t *testing.T) {
			wrong := *pk
			wrong.auth.Options.UserHandle = []byte(bobID)
			mustStatus(t, passkeyLogin(t, s, &wrong, "", next()), http.StatusUnauthorized)
		})

		t.Run("username-first sign-in", func(t *testing.T) {
			signedInAs(t, s, passkeyLogin(t, s, pk, alice, next()), alice)
		})

		// Enumeration (API.md "Enumeration"): the challenge for a username has one shape whether
		// the name is unknown, has no passkeys or has some — it never lists credential IDs.
		t.Run("the challenge has one shape for every username", func(t *testing.T) {
			shapes := map[string]string{}
			for _, name := range []string{"nobody" + randomSuffix(), bob, alice, ""} { // unknown; no passkeys; passkeys; none
				_, opts := ceremony(t, s.do("POST", "/v1/auth/passkey/login/challenge", "", map[string]string{"username": name}))
				if got := allowCredentials(t, opts); len(got) != 0 {
					t.Errorf("%q: allowCredentials %v, want none", name, got)
				}
				var v map[string]any
				if err := json.Unmarshal([]byte(opts), &v); err != nil {
					t.Fatal(err)
				}
				if pk, ok := v["publicKey"].(map[string]any); ok {
					pk["challenge"] = "…"
				}
				shapes[name] = canonical(t, v)
			}
			if shapes[alice] != shapes[bob] || shapes[bob] != shapes[""] {
				t.Errorf("the options differ by username:\n%v", shapes)
			}
		})

		t.Run("username-first for another user is refused", func(t *testing.T) {
			// Bob's username (bob now has a passkey), alice's passkey: a challenge bound to a user
			// must not accept another user's key.
			registerPasskey(t, s, bobTok, "bob's key")
			id, opts := ceremony(t, s.do("POST", "/v1/auth/passkey/login/challenge", "", map[string]string{"username": bob}))
			r := s.do("POST", "/v1/auth/passkey/login", "", map[string]any{"challenge_id": id, "credential": pk.assertion(t, opts, next())})
			mustStatus(t, r, http.StatusUnauthorized)
		})

		t.Run("a challenge cannot be reused", func(t *testing.T) {
			id, opts := ceremony(t, s.do("POST", "/v1/auth/passkey/login/challenge", "", nil))
			first := s.do("POST", "/v1/auth/passkey/login", "", map[string]any{"challenge_id": id, "credential": pk.assertion(t, opts, next())})
			mustStatus(t, first, http.StatusOK)
			again := s.do("POST", "/v1/auth/passkey/login", "", map[string]any{"challenge_id": id, "credential": pk.assertion(t, opts, next())})
			mustStatus(t, again, http.StatusUnauthorized)
			if c := again.errorCode(t); c != "invalid_credentials" {
				t.Errorf("error %q", c)
			}
		})

		t.Run("a sign count going backwards is refused", func(t *testing.T) {
			signedInAs(t, s, passkeyLogin(t, s, pk, "", next()), alice) // the server now holds counter
			for _, c := range []uint32{counter, counter - 1} {          // the same count, then a lower one
				r := passkeyLogin(t, s, pk, "", c)
				mustStatus(t, r, http.StatusUnauthorized)
				if code := r.errorCode(t); code != "invalid_credentials" {
					t.Errorf("count %d: error %q", c, code)
				}
			}
			r := s.do("GET", "/v1/me/audit-events", aliceTok, nil)
			mustStatus(t, r, http.StatusOK)
			found := false
			for _, e := range r.json(t)["data"].([]any) {
				ev := e.(map[string]any)
				d, _ := ev["details"].(map[string]any)
				if ev["type"] == "auth.failed" && d["reason"] == "cloned_authenticator" && d["method"] == "passkey" {
					found = true
				}
			}
			if !found {
				t.Errorf("no auth.failed event with reason cloned_authenticator: %s", r.body)
			}
			// The authenticator going on from the highest count still works.
			signedInAs(t, s, passkeyLogin(t, s, pk, "", next()), alice)
		})

		t.Run("rename", func(t *testing.T) {
			r := s.do("PATCH", "/v1/auth/passkeys/"+pkID, aliceTok, map[string]string{"name": "work laptop"})
			mustStatus(t, r, http.StatusOK)
			if got := r.json(t)["name"]; got != "work laptop" {
				t.Fatalf("renamed to %v", got)
			}
			if got := passkeyList(t, s, aliceTok)[0].(map[string]any)["name"]; got != "work laptop" {
				t.Fatalf("listed as %v", got)
			}
			mustStatus(t, s.do("PATCH", "/v1/auth/passkeys/"+pkID, aliceTok, map[string]string{"name": " "}), http.StatusBadRequest)
			mustStatus(t, s.do("PATCH", "/v1/auth/passkeys/"+pkID, bobTok, map[string]string{"name": "mine"}), http.StatusNotFound)
		})

		t.Run("another user's passkey cannot be deleted", func(t *testing.T) {
			r := s.do("DELETE", "/v1/auth/passkeys/"+pkID, bobTok, nil)
			mustStatus(t, r, http.StatusNotFound)
			if len(passkeyList(t, s, aliceTok)) != 1 {
				t.Fatal("bob's request removed alice's passkey")
			}
		})

		t.Run("delete", func(t *testing.T) {
			mustStatus(t, s.do("DELETE", "/v1/auth/passkeys/"+pkID, aliceTok, nil), http.StatusNoContent)
			if list := passkeyList(t, s, aliceTok); len(list) != 0 {
				t.Fatalf("after delete: %v", list)
			}
			mustStatus(t, passkeyLogin(t, s, pk, "", next()), http.StatusUnauthorized)
			mustStatus(t, s.do("DELETE", "/v1/auth/passkeys/"+pkID, aliceTok, nil), http.StatusNotFound)
		})

		t.Run("a registration challenge is bound to its user", func(t *testing.T) {
			id, opts := ceremony(t, s.do("POST", "/v1/auth/passkey/register/challenge", aliceTok, nil))
			att, err := virtualwebauthn.ParseAttestationOptions(opts)
			if err != nil {
				t.Fatal(err)
			}
			a := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(att.UserID)})
			resp := virtualwebauthn.CreateAttestationResponse(pk.rp, a, virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2), *att)
			r := s.do("POST", "/v1/auth/passkey/register", bobTok, map[string]any{"challenge_id": id, "credential": json.RawMessage(resp)})
			mustStatus(t, r, http.StatusBadRequest)
		})

		t.Run("registration needs a session", func(t *testing.T) {
			mustStatus(t, s.do("POST", "/v1/auth/passkey/register/challenge", "", nil), http.StatusUnauthorized)
		})
	})
}

// An IP address cannot be a relying-party ID: passkeys are refused with a clear error.
func TestPasskeysRefusedOnIPPublicURL(t *testing.T) {
	s := start(t, "sqlite://"+t.TempDir()+"/gatehouse.db", func(c *config.Config) {
		u, _ := url.Parse("http://127.0.0.1:8080")
		c.PublicURL = u
	})
	tok, _ := s.register("carol"+randomSuffix(), "correct horse battery staple", "")
	for _, path := range []string{"/v1/auth/passkey/register/challenge", "/v1/auth/passkey/login/challenge"} {
		r := s.do("POST", path, tok, nil)
		mustStatus(t, r, http.StatusServiceUnavailable)
		if d, _ := r.json(t)["error_description"].(string); !contains([]byte(d), "IP address") {
			t.Errorf("%s: description %q does not explain the IP address", path, d)
		}
	}
}

// The sign-in endpoints share the per-IP limit of the credential endpoints.
func TestPasskeyLoginRateLimited(t *testing.T) {
	s := start(t, backends()[0].dbURL(t), func(c *config.Config) {
		u, _ := url.Parse(passkeyTestOrigin)
		c.PublicURL = u
		rate, err := gatehouseRate("3/m")
		if err != nil {
			t.Fatal(err)
		}
		c.AuthRateLimit = rate
	})
	for range 3 {
		mustStatus(t, s.do("POST", "/v1/auth/passkey/login/challenge", "", nil), http.StatusOK)
	}
	for _, path := range []string{"/v1/auth/passkey/login/challenge", "/v1/auth/passkey/login"} {
		r := s.do("POST", path, "", map[string]any{"challenge_id": "chl_x", "credential": map[string]any{}})
		mustStatus(t, r, http.StatusTooManyRequests)
		if r.header.Get("Retry-After") == "" {
			t.Errorf("%s: 429 without Retry-After", path)
		}
	}
}
