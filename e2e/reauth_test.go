package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/token"
)

// age makes the session of tok look signed in an hour ago (beyond GATEHOUSE_REAUTH_WINDOW).
func (s *server) age(tok string) {
	s.t.Helper()
	ctx := context.Background()
	sess, _, err := s.m.Store.SessionByTokenHash(ctx, token.Hash(tok))
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.m.Store.ReauthenticateSession(ctx, sess.ID, time.Now().Add(-time.Hour), []string{"pwd"}); err != nil {
		s.t.Fatal(err)
	}
}

// TestReauthentication: an old session's sensitive actions answer 403 reauth_required until
// POST /v1/auth/reauth (password) or the passkey pair makes it recent; a wrong password stays
// refused; tokens cannot re-authenticate.
func TestReauthentication(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := passkeyServer(t, dbURL)
		ses, _ := s.register("rhea", goodPassword, "rhea@example.com")
		pk, _ := registerPasskey(t, s, ses, "laptop") // while the sign-in is recent
		s.age(ses)

		sensitive := []struct {
			name         string
			method, path string
			body         any
		}{
			{"change the email", "PATCH", "/v1/me", map[string]any{"email": "rhea2@example.com"}},
			{"add a passkey", "POST", "/v1/auth/passkey/register/challenge", nil},
			{"change the password without the current one", "POST", "/v1/me/change-password", map[string]any{"new_password": "another correct horse staple"}},
			{"delete the account without the password", "DELETE", "/v1/me", map[string]any{}},
		}
		for _, c := range sensitive {
			mustError(t, s.do(c.method, c.path, ses, c.body), 403, "reauth_required")
		}
		// The profile fields themselves are not sensitive.
		mustStatus(t, s.do("PATCH", "/v1/me", ses, map[string]any{"display_name": "Rhea"}), http.StatusOK)

		mustError(t, s.do("POST", "/v1/auth/reauth", ses, map[string]any{"password": "wrong password here"}), 401, "invalid_credentials")
		mustError(t, s.do("PATCH", "/v1/me", ses, map[string]any{"email": "rhea2@example.com"}), 403, "reauth_required")
		pat := s.patCreate(s.login("rhea", goodPassword), map[string]any{"name": "ci", "expires_in": "30d"})["token"].(string)
		mustError(t, s.do("POST", "/v1/auth/reauth", pat, map[string]any{"password": goodPassword}), 403, "reauth_required")

		r := s.do("POST", "/v1/auth/reauth", ses, map[string]any{"password": goodPassword})
		mustStatus(t, r, http.StatusOK)
		at, err := time.Parse(time.RFC3339, r.json(t)["reauthenticated_at"].(string))
		if err != nil || time.Since(at) > time.Minute {
			t.Fatalf("reauthenticated_at %v (%v)", r.json(t)["reauthenticated_at"], err)
		}
		mustStatus(t, s.do("POST", "/v1/auth/passkey/register/challenge", ses, nil), http.StatusOK)

		// With the passkey.
		s.age(ses)
		mustError(t, s.do("POST", "/v1/auth/passkey/register/challenge", ses, nil), 403, "reauth_required")
		id, opts := ceremony(t, s.do("POST", "/v1/auth/reauth/passkey/challenge", ses, nil))
		r = s.do("POST", "/v1/auth/reauth/passkey", ses, map[string]any{"challenge_id": id, "credential": pk.assertion(t, opts, 1)})
		mustStatus(t, r, http.StatusOK)
		mustStatus(t, s.do("POST", "/v1/auth/passkey/register/challenge", ses, nil), http.StatusOK)
		// A challenge is single use.
		r = s.do("POST", "/v1/auth/reauth/passkey", ses, map[string]any{"challenge_id": id, "credential": pk.assertion(t, opts, 2)})
		mustError(t, r, 401, "invalid_credentials")

		// Someone else's passkey does not re-authenticate this session.
		other, _ := s.register("otto", goodPassword, "otto@example.com")
		opk, _ := registerPasskey(t, s, other, "otto's key")
		id, opts = ceremony(t, s.do("POST", "/v1/auth/reauth/passkey/challenge", ses, nil))
		mustError(t, s.do("POST", "/v1/auth/reauth/passkey", ses, map[string]any{"challenge_id": id, "credential": opk.assertion(t, opts, 1)}), 401, "invalid_credentials")
	})
}
