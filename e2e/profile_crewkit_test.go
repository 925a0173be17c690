package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/config"
)

// TestCrewkitProfile sends the requests of crewkit's authentication docs (seed 002) as its CLI
// would — JSON bodies under /api/v1/auth — and checks the documented answers, on both stores.
func TestCrewkitProfile(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, withProfiles("", "crewkit"))
		alice, _ := s.register("alice", goodPassword, "alice@example.com")
		orgID := s.createOrg(alice, "Karibew Inc")

		// 1. Initiate: POST /api/v1/auth/device (no body, and {}).
		r := s.do("POST", "/api/v1/auth/device", "", nil)
		mustStatus(t, r, http.StatusOK)
		r = s.do("POST", "/api/v1/auth/device", "", map[string]any{})
		mustStatus(t, r, http.StatusOK)
		d := r.json(t)
		if !regexp.MustCompile(`^[A-Z]{4}-[A-Z]{4}$`).MatchString(d["user_code"].(string)) ||
			d["expires_in"] != float64(600) || d["interval"] != float64(5) || !strings.HasSuffix(d["verification_uri"].(string), "/device") {
			t.Fatalf("device: %s", r.body)
		}
		deviceCode := d["device_code"].(string)

		// 2. Poll: pending until the user approves in the browser (another flow: two polls
		// within the interval would be slow_down).
		r = s.do("POST", "/api/v1/auth/device", "", map[string]any{})
		mustStatus(t, r, http.StatusOK)
		r = s.do("POST", "/api/v1/auth/token", "", map[string]any{"device_code": r.json(t)["device_code"]})
		if r.status != http.StatusBadRequest || r.errorCode(t) != "authorization_pending" {
			t.Fatalf("pending poll: %d %s", r.status, r.body)
		}
		mustStatus(t, s.do("POST", "/v1/device/approve", alice, map[string]any{"user_code": d["user_code"]}), http.StatusOK)
		r = s.do("POST", "/api/v1/auth/token", "", map[string]any{"device_code": deviceCode})
		mustStatus(t, r, http.StatusOK)
		tok := r.json(t)
		access, _ := tok["access_token"].(string)
		refresh, _ := tok["refresh_token"].(string)
		if strings.Count(access, ".") != 2 || tok["token_type"] != "Bearer" || tok["expires_in"] != float64(14400) || refresh == "" {
			t.Fatalf("token: %v", tok)
		}
		// A used device code gives nothing more.
		mustStatus(t, s.do("POST", "/api/v1/auth/token", "", map[string]any{"device_code": deviceCode}), http.StatusBadRequest)

		// GET /api/v1/auth/me, PATCH it, GET /api/v1/auth/organizations.
		r = s.do("GET", "/api/v1/auth/me", access, nil)
		mustStatus(t, r, http.StatusOK)
		if r.json(t)["username"] != "alice" {
			t.Fatalf("me: %s", r.body)
		}
		r = s.do("PATCH", "/api/v1/auth/me", access, map[string]any{"display_name": "Alice K"})
		mustStatus(t, r, http.StatusOK)
		if r.json(t)["display_name"] != "Alice K" {
			t.Fatalf("patch me: %s", r.body)
		}
		r = s.do("GET", "/api/v1/auth/organizations", access, nil)
		mustStatus(t, r, http.StatusOK)
		if !strings.Contains(string(r.body), `"id":"`+orgID+`","name":"Karibew Inc","slug":"karibew-inc","role":"owner"`) {
			t.Fatalf("organizations: %s", r.body)
		}

		// Token refresh: single use, each answer a new refresh token.
		r = s.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": refresh})
		mustStatus(t, r, http.StatusOK)
		next := r.json(t)
		newRefresh, _ := next["refresh_token"].(string)
		if newRefresh == "" || newRefresh == refresh || next["expires_in"] != float64(14400) || next["access_token"] == "" {
			t.Fatalf("refresh: %s", r.body)
		}
		// Reusing the old one fails and revokes the family: the new one is dead too.
		r = s.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": refresh})
		if r.status != http.StatusBadRequest || r.errorCode(t) != "invalid_grant" {
			t.Fatalf("reused refresh token: %d %s", r.status, r.body)
		}
		mustStatus(t, s.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": newRefresh}), http.StatusBadRequest)

		// Revocation: POST /api/v1/auth/revoke and DELETE /api/v1/auth/logout with the bearer.
		for _, end := range []struct{ method, path string }{{"POST", "/api/v1/auth/revoke"}, {"DELETE", "/api/v1/auth/logout"}} {
			tk := s.deviceTokens(t, alice, "profile offline_access")
			at, rt := tk["access_token"].(string), tk["refresh_token"].(string)
			mustStatus(t, s.do("GET", "/api/v1/auth/me", at, nil), http.StatusOK)
			mustStatus(t, s.do(end.method, end.path, at, nil), http.StatusNoContent)
			mustStatus(t, s.do("GET", "/api/v1/auth/me", at, nil), http.StatusUnauthorized)
			if r := s.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": rt}); r.status != http.StatusBadRequest {
				t.Fatalf("%s %s left the refresh token alive: %d %s", end.method, end.path, r.status, r.body)
			}
		}

		// A denied device flow answers access_denied.
		r = s.do("POST", "/api/v1/auth/device", "", map[string]any{})
		d = r.json(t)
		mustStatus(t, s.do("POST", "/v1/device/deny", alice, map[string]any{"user_code": d["user_code"]}), http.StatusOK)
		r = s.do("POST", "/api/v1/auth/token", "", map[string]any{"device_code": d["device_code"]})
		if r.status != http.StatusBadRequest || r.errorCode(t) != "access_denied" {
			t.Fatalf("denied poll: %d %s", r.status, r.body)
		}
		// The profile's tokens are in the native audit trail.
		if r := s.do("GET", "/v1/me/audit-events", alice, nil); !strings.Contains(string(r.body), `"token.issued"`) {
			t.Errorf("no token.issued event: %s", truncateBody(r.body))
		}
	})
}

// cliTokensWork checks a crewkit sign-in answer: access and refresh tokens of the CLI client,
// the access token signing in as username, the refresh token refreshing.
func cliTokensWork(t *testing.T, s *server, r response, username string) {
	t.Helper()
	mustStatus(t, r, http.StatusOK)
	v := r.json(t)
	access, _ := v["access_token"].(string)
	refresh, _ := v["refresh_token"].(string)
	if strings.Count(access, ".") != 2 || refresh == "" || v["token_type"] != "Bearer" || v["expires_in"] != float64(14400) {
		t.Fatalf("sign-in answer: %s", r.body)
	}
	me := s.do("GET", "/api/v1/auth/me", access, nil)
	mustStatus(t, me, http.StatusOK)
	if me.json(t)["username"] != username {
		t.Fatalf("signed in as %s", me.body)
	}
	mustStatus(t, s.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": refresh}), http.StatusOK)
}

// TestCrewkitMagicLinks: POST /api/v1/auth/magic_link {email} → 202, the mailed token at
// /magic_link/verify {token} → access and refresh tokens, once.
func TestCrewkitMagicLinks(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, in := startWithMail(t, dbURL, withProfiles("", "crewkit"))
		s.register("milo", recoveryPassword, "milo@example.com")
		in.code("milo@example.com")
		mustStatus(t, s.do("POST", "/api/v1/auth/magic_link", "", map[string]any{"email": "user@example.com"}), http.StatusAccepted)
		mustStatus(t, s.do("POST", "/api/v1/auth/magic_link", "", map[string]any{"email": "milo@example.com"}), http.StatusAccepted)
		tok := linkToken(t, in.link("milo@example.com", "/magic-link"))
		cliTokensWork(t, s, s.do("POST", "/api/v1/auth/magic_link/verify", "", map[string]any{"token": tok}), "milo")
		r := s.do("POST", "/api/v1/auth/magic_link/verify", "", map[string]any{"token": tok})
		if r.status < 400 {
			t.Fatalf("a used magic link signed in again: %d %s", r.status, r.body)
		}
	})
}

// TestCrewkitPasskeys: the passkey routes under /api/v1/auth, /login answering access and
// refresh tokens.
func TestCrewkitPasskeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, func(c *config.Config) {
			withProfiles("", "crewkit")(c)
			u, _ := url.Parse(passkeyTestOrigin)
			c.PublicURL = u
		})
		alice, _ := s.register("alice", goodPassword, "alice@example.com")
		pk, _ := registerPasskeyAt(t, s, "/api/v1/auth/passkey", alice, "laptop")

		r := s.do("GET", "/api/v1/auth/passkeys", alice, nil)
		mustStatus(t, r, http.StatusOK)
		keys, _ := r.json(t)["data"].([]any)
		if len(keys) != 1 {
			t.Fatalf("passkeys: %s", r.body)
		}
		id, opts := ceremony(t, s.do("POST", "/api/v1/auth/passkey/login/challenge", "", map[string]any{"username": "alice"}))
		cliTokensWork(t, s, s.do("POST", "/api/v1/auth/passkey/login", "", map[string]any{"challenge_id": id, "credential": pk.assertion(t, opts, 1)}), "alice")

		mustStatus(t, s.do("DELETE", "/api/v1/auth/passkeys/"+keys[0].(map[string]any)["id"].(string), alice, nil), http.StatusNoContent)
		id, opts = ceremony(t, s.do("POST", "/api/v1/auth/passkey/login/challenge", "", nil))
		if r := s.do("POST", "/api/v1/auth/passkey/login", "", map[string]any{"challenge_id": id, "credential": pk.assertion(t, opts, 2)}); r.status != http.StatusUnauthorized {
			t.Fatalf("a deleted passkey signed in: %d %s", r.status, r.body)
		}
	})
}
