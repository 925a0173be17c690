package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestIntrospectionAnswersOnlyForTheCallersTokens reproduces the review's finding: any
// signed-in person could create an organization and a confidential client, then learn through
// /oauth2/introspect whether anyone's session, PAT or tokens were live and whose they were.
// Now a client sees only tokens issued to itself, unless an administrator gave it
// gatehouse:introspect (API.md "Introspection"); an API key holding gatehouse:verify keeps
// seeing every credential, as /v1/verify shows it them anyway.
func TestIntrospectionAnswersOnlyForTheCallersTokens(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		root, rootID := s.register("root", goodPassword, "root@example.com")
		s.patPromote(rootID)
		alice, _ := s.register("alice", goodPassword, "alice@example.com")
		mallory, _ := s.register("mallory", goodPassword, "mallory@example.com")

		alicePAT := s.patCreate(alice, map[string]any{"name": "ci", "expires_in": "30d"})["token"].(string)
		cli := s.deviceTokens(t, alice, "openid offline_access")
		victims := map[string]string{
			"session":              alice,
			"PAT":                  alicePAT,
			"CLI access token":     cli["access_token"].(string),
			"CLI refresh token":    cli["refresh_token"].(string),
			"another org's client": "",
		}

		service := map[string]any{"name": "svc", "grant_types": []string{"client_credentials"}, "scopes": []string{"calls:read"}}
		malloryOrg := s.createOrg(mallory, "Mallory Inc")
		spy := s.createOAuthClient(mallory, malloryOrg, service)
		spyID, spySecret := spy["client_id"].(string), spy["client_secret"].(string)
		rootOrg := s.createOrg(root, "Platform")
		other := s.createOAuthClient(root, rootOrg, service)
		otherToken := s.clientToken(t, other["client_id"].(string), other["client_secret"].(string), "")
		victims["another org's client"] = otherToken

		introspect := func(t *testing.T, id, secret, bearer, tok string) map[string]any {
			t.Helper()
			r := formWith(t, s, "/oauth2/introspect", url.Values{"token": {tok}}, id, secret, bearer)
			mustStatus(t, r, http.StatusOK)
			return r.json(t)
		}

		t.Run("a client sees its own tokens", func(t *testing.T) {
			own := s.clientToken(t, spyID, spySecret, "")
			if got := introspect(t, spyID, spySecret, "", own); got["active"] != true || got["client_id"] != spyID {
				t.Fatalf("own token: %v", got)
			}
		})
		for name, tok := range victims {
			t.Run("a client does not see "+name, func(t *testing.T) {
				if got := introspect(t, spyID, spySecret, "", tok); len(got) != 1 || got["active"] != false {
					t.Fatalf("mallory's client learnt %v", got)
				}
			})
		}

		t.Run("only an administrator grants gatehouse:introspect", func(t *testing.T) {
			body := map[string]any{"name": "auditor", "grant_types": []string{"client_credentials"}, "scopes": []string{"calls:read", "gatehouse:introspect"}}
			r := s.do("POST", "/v1/orgs/"+malloryOrg+"/oauth-clients", mallory, body)
			mustStatus(t, r, http.StatusForbidden)
			if r.errorCode(t) != "insufficient_permissions" {
				t.Fatalf("mallory granted herself introspection: %s", r.body)
			}
			auditor := s.createOAuthClient(root, rootOrg, body)
			id, secret := auditor["client_id"].(string), auditor["client_secret"].(string)
			for name, tok := range victims {
				if got := introspect(t, id, secret, "", tok); got["active"] != true {
					t.Errorf("the auditor client does not see %s: %v", name, got)
				}
			}
			// The grant is the client's, never a token's: client_credentials leaves it out by
			// default and refuses it by name.
			tok := s.clientToken(t, id, secret, "")
			if got := introspect(t, id, secret, "", tok); strings.Contains(got["scope"].(string), "gatehouse:") {
				t.Errorf("a client_credentials token carries %q", got["scope"])
			}
			named := formWith(t, s, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"gatehouse:introspect"}}, id, secret, "")
			mustStatus(t, named, http.StatusBadRequest)
		})

		t.Run("a verifier key sees every credential", func(t *testing.T) {
			key := s.createKey(root, rootOrg, map[string]any{"name": "verifier", "environment": "live", "scopes": []string{"gatehouse:verify"}})["key"].(string)
			for name, tok := range victims {
				if got := introspect(t, "", "", key, tok); got["active"] != true {
					t.Errorf("the verifier key does not see %s: %v", name, got)
				}
			}
		})
	})
}

// clientToken is a client_credentials access token of a confidential client.
func (s *server) clientToken(t *testing.T, id, secret, scope string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	r := formWith(t, s, "/oauth2/token", form, id, secret, "")
	mustStatus(t, r, http.StatusOK)
	return r.json(t)["access_token"].(string)
}
