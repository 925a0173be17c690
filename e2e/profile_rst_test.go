package e2e

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/config"
)

// keysOf is the sorted member names of an answer.
func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestRstProfile sends the requests of the rst_ API's Auth & Account docs (seed 003) as a
// developer reading them would — its login body, POST /v1/auth/api-keys {name}, the account
// summary — and checks the documented answers, on both stores.
func TestRstProfile(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, withProfiles("rst", "rst"))
		mustStatus(t, s.do("POST", "/v1/auth/register", "", map[string]any{"username": "hershel", "password": "secureP@ss123", "email": "hershel@example.com"}), http.StatusCreated)

		// POST /v1/auth/login {username, password} → {access_token, token_type: "bearer"} (and
		// the native members); the username may be the email address.
		r := s.do("POST", "/v1/auth/login", "", map[string]any{"username": "hershel", "password": "secureP@ss123"})
		mustStatus(t, r, http.StatusOK)
		login := r.json(t)
		jwt, _ := login["access_token"].(string)
		if !strings.HasPrefix(jwt, "rst_") || login["token_type"] != "bearer" || login["token"] != jwt {
			t.Fatalf("login: %s", r.body)
		}
		r = s.do("POST", "/v1/auth/login", "", map[string]any{"username": "hershel@example.com", "password": "secureP@ss123"})
		mustStatus(t, r, http.StatusOK)
		if r.json(t)["token_type"] != "bearer" {
			t.Fatalf("login by email: %s", r.body)
		}
		mustError(t, s.do("POST", "/v1/auth/login", "", map[string]any{"username": "hershel", "password": "wrong-password"}), 401, "invalid_credentials")
		if me := s.me(jwt); me["username"] != "hershel" {
			t.Fatalf("the access_token does not authenticate: %v", me)
		}

		// POST /v1/auth/api-keys {name} → 201 {id, raw_key, prefix, created_at}: shown once.
		r = s.do("POST", "/v1/auth/api-keys", jwt, map[string]any{"name": "laptop cli"})
		mustStatus(t, r, http.StatusCreated)
		key := r.json(t)
		raw, _ := key["raw_key"].(string)
		keyID, _ := key["id"].(string)
		if got := keysOf(key); !slices.Equal(got, []string{"created_at", "id", "prefix", "raw_key"}) {
			t.Fatalf("api key answer members %v: %s", got, r.body)
		}
		shown, _, _ := strings.Cut(key["prefix"].(string), "…") // the display prefix: start…end
		if !strings.HasPrefix(raw, "rst_") || len(shown) < len("rst_pat_") || !strings.HasPrefix(raw, shown) {
			t.Fatalf("api key %q, prefix %v", raw, key["prefix"])
		}
		// The key authenticates as its owner (GET /v1/me/account: "a JWT token or API key").
		r = s.do("GET", "/v1/me/account", raw, nil)
		mustStatus(t, r, http.StatusOK)
		if r.json(t)["username"] != "hershel" {
			t.Fatalf("account by API key: %s", r.body)
		}
		// A key cannot mint keys (as a PAT cannot mint PATs).
		mustError(t, s.do("POST", "/v1/auth/api-keys", raw, map[string]any{"name": "child"}), 403, "insufficient_permissions")

		// GET /v1/auth/api-keys → {data: [{id, name, prefix, created_at, last_used_at}]}.
		r = s.do("GET", "/v1/auth/api-keys", jwt, nil)
		mustStatus(t, r, http.StatusOK)
		data, _ := r.json(t)["data"].([]any)
		if len(data) != 1 || contains(r.body, raw) {
			t.Fatalf("list: %s", r.body)
		}
		listed := data[0].(map[string]any)
		if !slices.Equal(keysOf(listed), []string{"created_at", "id", "last_used_at", "name", "prefix"}) || listed["id"] != keyID || listed["name"] != "laptop cli" {
			t.Fatalf("listed key %v", listed)
		}
		// It is a PAT: the native list shows it, never expiring, and it counts against the limit.
		r = s.do("GET", "/v1/auth/tokens", jwt, nil)
		mustStatus(t, r, http.StatusOK)
		if !contains(r.body, `"id":"`+keyID+`"`) || !contains(r.body, `"expires_at":null`) {
			t.Fatalf("native PAT list: %s", r.body)
		}
		for i := 1; i < gatehouse.MaxActivePATs; i++ {
			s.patCreate(jwt, map[string]any{"name": "filler", "expires_in": "30d"})
		}
		mustError(t, s.do("POST", "/v1/auth/api-keys", jwt, map[string]any{"name": "one too many"}), 409, "token_limit_reached")

		// DELETE /v1/auth/api-keys/{key_id}: 204, the key stops working; again: 404.
		mustStatus(t, s.do("DELETE", "/v1/auth/api-keys/"+keyID, jwt, nil), http.StatusNoContent)
		mustError(t, s.do("GET", "/v1/me/account", raw, nil), 401, "invalid_token")
		mustError(t, s.do("DELETE", "/v1/auth/api-keys/"+keyID, jwt, nil), 404, "not_found")
		mustStatus(t, s.do("POST", "/v1/auth/api-keys", jwt, map[string]any{"name": "replacement"}), http.StatusCreated)

		// GET /v1/me/account: the documented members; plan_source from the account.
		a := s.account(jwt)
		want := map[string]any{"username": "hershel", "google_linked": false, "has_password": true, "can_unlink_google": false, "plan_source": "free"}
		for k, v := range want {
			if a[k] != v {
				t.Errorf("account %s = %v, want %v", k, a[k], v)
			}
		}
		if m := methodsOf(a); !slices.Equal(m, []string{"password"}) {
			t.Errorf("available_sign_in_methods %v", m)
		}
		if err := s.m.Auth.Admin.SetPlanSource(context.Background(), "hershel", "stripe"); err != nil { // gatehouse admin set-plan
			t.Fatal(err)
		}
		if a := s.account(jwt); a["plan_source"] != "stripe" {
			t.Errorf("plan_source after set-plan: %v", a["plan_source"])
		}
	})
}

// TestRstProfileGoogleUnlink: POST /v1/me/google/unlink "when password sign-in is already
// available" — with the rst profile an account whose other way in is a magic link (natively
// enough) is refused 409, and GET /v1/me/account says it cannot unlink; with a password it can.
func TestRstProfileGoogleUnlink(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		idp := startMockIssuer(t)
		s, _ := startWithMail(t, dbURL, func(c *config.Config) {
			c.GoogleClientID, c.GoogleClientSecret, c.GoogleIssuer = googleClientID, googleClientSecret, idp.issuer()
			withProfiles("rst", "rst")(c)
		})
		// POST /v1/auth/google: a password-less account with a verified address (magic links).
		r := s.googleSignIn("", idp.idToken(googlePerson{sub: "g-1", email: "nopass@example.com", verified: true}, nil), "")
		mustStatus(t, r, http.StatusOK)
		tok, _, _ := grantUser(t, r)
		a := s.account(tok)
		if !slices.Equal(methodsOf(a), []string{"google", "magic_link"}) || a["has_password"] != false || a["can_unlink_google"] != false {
			t.Fatalf("password-less account %v", a)
		}
		mustError(t, s.do("POST", "/v1/me/google/unlink", tok, nil), 409, "conflict")
		if a := s.account(tok); a["google_linked"] != true {
			t.Fatalf("refused unlink unlinked: %v", a)
		}

		// An account with a password links Google, then unlinks it.
		pw, _ := s.register("hershel", "secureP@ss123", "")
		mustStatus(t, s.googleSignIn(pw, idp.idToken(googlePerson{sub: "g-2", email: "hershel.g@example.com", verified: true}, nil), ""), http.StatusOK)
		if a := s.account(pw); a["google_linked"] != true || a["can_unlink_google"] != true {
			t.Fatalf("linked account %v", a)
		}
		mustStatus(t, s.do("POST", "/v1/me/google/unlink", pw, nil), http.StatusNoContent)
		if a := s.account(pw); a["google_linked"] != false {
			t.Fatalf("after unlink %v", a)
		}
	})
}
