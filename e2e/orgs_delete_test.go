package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAccountDeletionAndOrganizations reproduces the orphaned organization: deleting an account
// used to leave its organizations behind without an owner, their API keys and OAuth clients
// still working (a cached key kept verifying). Now the last owner of an organization with other
// members is refused (409 conflict naming it, nothing deleted), and an organization whose only
// member is the owner goes with the account: its keys stop verifying at once and its clients'
// tokens and secrets are refused.
func TestAccountDeletionAndOrganizations(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := startAtOwnURL(t, dbURL)
		omar, _ := s.register("omar", goodPassword, "omar@example.com")
		mina, minaID := s.register("mina", goodPassword, "mina@example.com")
		root, rootID := s.register("root", goodPassword, "")
		s.makeAdmin(rootID)
		verifier := s.createKey(root, s.createOrg(root, "Ops"), map[string]any{
			"name": "verifier", "environment": "live", "scopes": []string{"gatehouse:verify"},
		})["key"].(string)

		solo := s.createOrg(omar, "Solo Works")
		soloKey := s.createKey(omar, solo, map[string]any{"name": "backend", "environment": "live", "scopes": []string{"calls:read"}})["key"].(string)
		backend := s.createOAuthClient(omar, solo, map[string]any{
			"name": "Backend", "grant_types": []string{"client_credentials"}, "scopes": []string{"calls:read"},
		})
		clientID, secret := backend["client_id"].(string), backend["client_secret"].(string)
		ccForm := url.Values{"grant_type": {"client_credentials"}, "scope": {"calls:read"}}
		cc := formWith(t, s, "/oauth2/token", ccForm, clientID, secret, "")
		mustStatus(t, cc, http.StatusOK)
		ccToken := cc.json(t)["access_token"].(string)

		shared := s.createOrg(omar, "Shared Calls")
		mustStatus(t, s.do("POST", "/v1/orgs/"+shared+"/members", omar, map[string]string{"username": "mina", "role": "admin"}), http.StatusCreated)
		coOwned := s.createOrg(omar, "Co Owned")
		mustStatus(t, s.do("POST", "/v1/orgs/"+coOwned+"/members", omar, map[string]string{"username": "mina", "role": "owner"}), http.StatusCreated)
		// An organization omar only belongs to stays whatever happens.
		minas := s.createOrg(mina, "Mina's")
		mustStatus(t, s.do("POST", "/v1/orgs/"+minas+"/members", mina, map[string]string{"username": "omar", "role": "member"}), http.StatusCreated)

		// Warm the credential cache: both credentials verify.
		mustValid(t, s.verify(verifier, soloKey, ""))
		mustValid(t, s.verify(verifier, ccToken, ""))

		r := s.do("DELETE", "/v1/me", omar, map[string]string{"password": goodPassword})
		mustError(t, r, http.StatusConflict, "conflict")
		msg, _ := r.json(t)["error_description"].(string)
		if !strings.Contains(msg, "Shared Calls") || strings.Contains(msg, "Solo Works") || strings.Contains(msg, "Co Owned") || strings.Contains(msg, "Mina's") {
			t.Fatalf("conflict message %q: want it to name Shared Calls only", msg)
		}
		// Nothing was deleted.
		mustStatus(t, s.do("GET", "/v1/me", omar, nil), http.StatusOK)
		mustStatus(t, s.do("GET", "/v1/orgs/"+solo, omar, nil), http.StatusOK)
		mustValid(t, s.verify(verifier, soloKey, ""))

		// Once mina owns Shared Calls too, omar may go.
		mustStatus(t, s.do("PATCH", "/v1/orgs/"+shared+"/members/"+minaID, omar, map[string]string{"role": "owner"}), http.StatusOK)
		mustStatus(t, s.do("DELETE", "/v1/me", omar, map[string]string{"password": goodPassword}), http.StatusNoContent)

		if v := s.verify(verifier, soloKey, ""); v["valid"] != false {
			t.Fatalf("the deleted organization's key still verifies: %v", v)
		}
		if v := s.verify(verifier, ccToken, ""); v["valid"] != false {
			t.Fatalf("the deleted organization's client token still verifies: %v", v)
		}
		mustStatus(t, s.do("GET", "/v1/me", soloKey, nil), http.StatusUnauthorized)
		if r := formWith(t, s, "/oauth2/token", ccForm, clientID, secret, ""); r.status != http.StatusUnauthorized || r.json(t)["error"] != "invalid_client" {
			t.Fatalf("the deleted organization's client got a token: %d %s", r.status, r.body)
		}
		if _, err := s.m.Store.OrgByID(t.Context(), solo); err == nil {
			t.Fatal("the sole-member organization outlived its owner")
		}
		for _, org := range []string{shared, coOwned, minas} {
			got := s.members(mina, org)
			if len(got) != 1 || got[minaID] != "owner" {
				t.Fatalf("members of %s after omar left: %v", org, got)
			}
		}
	})
}
