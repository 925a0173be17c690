package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/token"
)

// TestCrewProfileKeyErrors checks Crew's error codes of its API keys (seed 004, "Error Codes"):
// a revoked or expired key answers expired_api_key ("Key has been revoked"), a malformed or
// unknown one invalid_api_key — on /v1/verify (as the checked token and as its caller) and on
// an authenticated route, on both stores; without the profile a revoked key stays
// invalid_api_key.
func TestCrewProfileKeyErrors(t *testing.T) {
	for _, tc := range []struct {
		name        string
		profiles    []string
		revokedCode string
	}{
		{"crew", []string{"crew"}, "expired_api_key"},
		{"native", nil, "invalid_api_key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, dbURL string) {
				s := start(t, dbURL, withProfiles("crew", tc.profiles...))
				root, rootID := s.register("root", goodPassword, "root@example.com")
				s.makeAdmin(rootID)
				orgID := s.createOrg(root, "Acme Calls")
				newKey := func(name string, scopes ...string) (key, id string) {
					k := s.createKey(root, orgID, map[string]any{"name": name, "scopes": scopes, "environment": "live"})
					key, id = k["key"].(string), k["id"].(string)
					if !strings.HasPrefix(key, "crew_sk_live_") {
						t.Fatalf("key %q, want Crew's crew_sk_live_ prefix", key)
					}
					return key, id
				}
				checked, checkedID := newKey("backend", "calls:read")
				verifier, verifierID := newKey("verifier", "gatehouse:verify")
				mustValid(t, s.verify(verifier, checked, ""))
				// An authenticated route answers for the key (GET /v1/verify's caller, GET /v1/me).
				mustStatus(t, s.do("POST", "/v1/verify", verifier, map[string]any{"token": checked}), http.StatusOK)

				// Expired: a rotation without overlap ends the old key at once.
				r := s.do("POST", "/v1/orgs/"+orgID+"/api-keys/"+checkedID+"/rotate", root, map[string]string{"overlap": "0s"})
				mustStatus(t, r, http.StatusCreated)
				rotated := r.json(t)["key"].(string)
				mustInvalid(t, s.verify(verifier, checked, ""), "expired_api_key")
				mustValid(t, s.verify(verifier, rotated, ""))

				// Revoked ("Delete the old key").
				mustStatus(t, s.do("DELETE", "/v1/orgs/"+orgID+"/api-keys/"+r.json(t)["id"].(string), root, nil), http.StatusNoContent)
				mustInvalid(t, s.verify(verifier, rotated, ""), tc.revokedCode)

				// Malformed and unknown keys.
				unknown, err := token.Generator{Brand: "crew"}.New(token.KindAPIKeyLive)
				if err != nil {
					t.Fatal(err)
				}
				mustInvalid(t, s.verify(verifier, "crew_sk_live_not-a-key", ""), "invalid_api_key")
				mustInvalid(t, s.verify(verifier, unknown, ""), "invalid_api_key")
				mustInvalid(t, s.verify(verifier, keyWithCharChanged(verifier, len(verifier)-3), ""), "invalid_api_key")

				// The same codes where the key itself authenticates: the caller of /v1/verify and
				// an authenticated route.
				mustError(t, s.do("GET", "/v1/me", unknown, nil), 401, "invalid_api_key")
				mustError(t, s.do("GET", "/v1/me", "crew_sk_live_not-a-key", nil), 401, "invalid_api_key")
				mustError(t, s.do("GET", "/v1/me", rotated, nil), 401, tc.revokedCode)
				mustError(t, s.do("GET", "/v1/me", checked, nil), 401, "expired_api_key")
				mustStatus(t, s.do("DELETE", "/v1/orgs/"+orgID+"/api-keys/"+verifierID, root, nil), http.StatusNoContent)
				mustError(t, s.do("POST", "/v1/verify", verifier, map[string]any{"token": rotated}), 401, tc.revokedCode)
				mustError(t, s.do("GET", "/v1/me", verifier, nil), 401, tc.revokedCode)
			})
		})
	}
}
