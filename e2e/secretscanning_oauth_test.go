package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
)

// TestSecretScanningClientSecretsAndRefreshTokens reproduces the review's finding that a leaked
// OAuth client secret (`cs`) or refresh token (`rt`) was a false positive to secret scanning and
// stayed usable: now the secret is rotated out (it stops working, the organization's trail
// records it) and the refresh token's family is revoked (API.md "Leaked-token reports").
func TestSecretScanningClientSecretsAndRefreshTokens(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		github := newScanSigner(t, "github-key-1")
		keys := writeScanKeys(t, github)
		s := start(t, dbURL, func(c *configT) { c.SecretScanningKeys = keys })
		ctx := context.Background()
		owner, ownerID := s.register("owner", goodPassword, "owner@example.com")
		orgID := s.createOrg(owner, "Acme")
		client := s.createOAuthClient(owner, orgID, map[string]any{
			"name": "backend", "grant_types": []string{"client_credentials"}, "scopes": []string{"calls:read"},
		})
		clientID, secret := client["client_id"].(string), client["client_secret"].(string)
		s.clientToken(t, clientID, secret, "") // the secret works before the report
		cli := s.deviceTokens(t, owner, "openid offline_access")
		refresh := cli["refresh_token"].(string)
		sibling := cli["access_token"].(string)

		matches := []leakMatchJSON{
			{secret, "gatehouse_oauth_client_secret", "https://github.com/o/r/blob/1/.env", "content"},
			{refresh, "gatehouse_refresh_token", "https://github.com/o/r/blob/1/creds.json", "commit"},
		}
		body, _ := json.Marshal(matches)
		r := s.report(body, github.id, github.sign(t, body))
		mustStatus(t, r, http.StatusOK)
		var labels []leakLabelJSON
		if err := json.Unmarshal(r.body, &labels); err != nil {
			t.Fatalf("answer: %v: %s", err, r.body)
		}
		if len(labels) != 2 || labels[0].Label != "true_positive" || labels[1].Label != "true_positive" {
			t.Fatalf("labels %s, want two true positives", r.body)
		}

		t.Run("the client secret stopped working", func(t *testing.T) {
			r := formWith(t, s, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, clientID, secret, "")
			mustStatus(t, r, http.StatusUnauthorized)
			// The owner rotates to get a working secret again.
			rot := s.do("POST", "/v1/orgs/"+orgID+"/oauth-clients/"+clientID+"/rotate-secret", owner, nil)
			mustStatus(t, rot, http.StatusOK)
			s.clientToken(t, clientID, rot.json(t)["client_secret"].(string), "")
		})
		t.Run("the refresh family is revoked", func(t *testing.T) {
			r := formWith(t, s, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {"gatehouse-cli"}}, "", "", "")
			mustStatus(t, r, http.StatusBadRequest)
			if r.errorCode(t) != "invalid_grant" {
				t.Fatalf("refresh with a leaked token: %s", r.body)
			}
			// The family's access token lives until it expires (a JWT); the refresh token that
			// would renew it is dead.
			mustStatus(t, s.do("GET", "/v1/me", sibling, nil), http.StatusOK)
		})
		t.Run("the organization and the owner are told", func(t *testing.T) {
			events, err := s.m.Store.ListAuditEvents(ctx, gatehouse.AuditFilter{Types: []string{"credential.leaked"}, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]gatehouse.AuditEvent{}
			for _, e := range events {
				kinds[e.Details["kind"].(string)] = e
			}
			cs, rt := kinds["client_secret"], kinds["refresh_token"]
			if cs.OrgID != orgID || cs.SubjectID != clientID || cs.Details["revoked"] != true || cs.Details["owner_id"] != ownerID {
				t.Errorf("client secret event %+v", cs)
			}
			if rt.SubjectID != ownerID || rt.Details["revoked"] != true || rt.Details["client_id"] != "gatehouse-cli" {
				t.Errorf("refresh token event %+v", rt)
			}
			r := s.do("GET", "/v1/orgs/"+orgID+"/audit-events?type=credential.leaked", owner, nil)
			mustStatus(t, r, http.StatusOK)
			if n := len(r.json(t)["data"].([]any)); n != 1 {
				t.Errorf("the organization's trail shows %d leaks, want 1: %s", n, r.body)
			}
			logs := s.logText()
			if strings.Contains(logs, secret) || strings.Contains(logs, refresh) {
				t.Error("a reported secret reached the log")
			}
		})
		// Reported again: the refresh token is still ours (its family stays revoked); the
		// rotated-out secret is no longer known at all (no hash of an old secret is kept), so it
		// is a false positive now — and still unusable.
		t.Run("reported again", func(t *testing.T) {
			r := s.report(body, github.id, github.sign(t, body))
			mustStatus(t, r, http.StatusOK)
			labels = nil
			if err := json.Unmarshal(r.body, &labels); err != nil || len(labels) != 2 || labels[0].Label != "false_positive" || labels[1].Label != "true_positive" {
				t.Fatalf("second report: %s", r.body)
			}
			mustStatus(t, formWith(t, s, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, clientID, secret, ""), http.StatusUnauthorized)
		})
	})
}
