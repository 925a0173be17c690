package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
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
