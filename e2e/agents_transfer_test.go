package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// agentUserID is the account ID of the owner's agent id.
func (s *server) agentUserID(owner, id string) string {
	s.t.Helper()
	r := s.do("GET", "/v1/agents/"+id, owner, nil)
	mustStatus(s.t, r, http.StatusOK)
	uid, _ := r.json(s.t)["user_id"].(string)
	if uid == "" {
		s.t.Fatalf("agent without an account: %s", r.body)
	}
	return uid
}

// memberIDs returns the user IDs of the organization's members, as its owner sees them.
func (s *server) memberIDs(owner, orgID string) []string {
	s.t.Helper()
	r := s.do("GET", "/v1/orgs/"+orgID+"/members", owner, nil)
	mustStatus(s.t, r, http.StatusOK)
	data, _ := r.json(s.t)["data"].([]any)
	var ids []string
	for _, m := range data {
		if m, ok := m.(map[string]any); ok {
			id, _ := m["user_id"].(string)
			ids = append(ids, id)
		}
	}
	return ids
}

// TestAgentTransferRotatesTheToken: the previous owner knows the agent's token, so a transfer
// must end it at once (through the credential cache too), with the agent's sessions; the new
// owner gets a token of their own by rotating, once the agent is theirs.
func TestAgentTransferRotatesTheToken(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		giver, _ := s.register("giver"+randomSuffix(), goodPassword, "")
		heir, heirID := s.register("heir"+randomSuffix(), goodPassword, "")
		id, oldToken := s.makeAgent(giver, "mover")
		mustStatus(t, s.do("POST", "/v1/agents/"+id+"/verify", giver, nil), http.StatusOK)
		oldSession := s.agentMustExchange(oldToken)
		s.agentMustExchange(oldToken) // the token's row is now in the credential cache
		mustStatus(t, s.do("GET", "/v1/me", oldSession, nil), http.StatusOK)

		oldPrefix := s.agentTokenPrefix(giver, id)
		r := s.do("POST", "/v1/agents/"+id+"/transfer", giver, map[string]string{"new_owner": heirID})
		mustStatus(t, r, http.StatusOK)
		v := r.json(t)
		if _, token := v["agent_token"]; v["owner_id"] != heirID || v["verified"] != false || token {
			t.Fatalf("transfer answered %s; want the agent, unverified, without a token", r.body)
		}
		if v["token_prefix"] == oldPrefix {
			t.Errorf("the transfer kept the token (prefix %v)", oldPrefix)
		}

		// The previous owner's token is dead at once, and its session.
		mustStatus(t, s.do("GET", "/v1/me", oldSession, nil), http.StatusUnauthorized)
		r = s.agentExchange(oldToken)
		if r.status != http.StatusUnauthorized || r.errorCode(t) != "invalid_token" {
			t.Errorf("the old token after the transfer: %d %s, want 401 invalid_token", r.status, r.body)
		}
		// Still dead once the new owner has verified the agent.
		mustStatus(t, s.do("POST", "/v1/agents/"+id+"/verify", heir, nil), http.StatusOK)
		r = s.agentExchange(oldToken)
		if r.status != http.StatusUnauthorized || r.errorCode(t) != "invalid_token" {
			t.Fatalf("the old token after the new owner verified: %d %s, want 401 invalid_token", r.status, r.body)
		}

		// The new owner rotates to get a token of their own; it works, for their agent.
		r = s.do("POST", "/v1/agents/"+id+"/rotate", heir, nil)
		mustStatus(t, r, http.StatusOK)
		newToken, _ := r.json(t)["agent_token"].(string)
		if !strings.HasPrefix(newToken, "gth_agt_") || newToken == oldToken {
			t.Fatalf("rotate after the transfer: %s", r.body)
		}
		r = s.do("GET", "/v1/me", s.agentMustExchange(newToken), nil)
		mustStatus(t, r, http.StatusOK)
		if o, _ := r.json(t)["owner"].(map[string]any); o["id"] != heirID {
			t.Fatalf("/v1/me of the transferred agent: %s", r.body)
		}
		mustStatus(t, s.agentExchange(oldToken), http.StatusUnauthorized)
	})
}

// agentTokenPrefix is the token prefix the owner sees on the agent.
func (s *server) agentTokenPrefix(owner, id string) string {
	s.t.Helper()
	r := s.do("GET", "/v1/agents/"+id, owner, nil)
	mustStatus(s.t, r, http.StatusOK)
	p, _ := r.json(s.t)["token_prefix"].(string)
	return p
}

// TestAgentTransferLeavesOrganizations: an agent given away is no longer a member of the
// previous owner's organizations (nor of any other); an agent that is the only owner of an
// organization is not transferred (409) until someone else owns it.
func TestAgentTransferLeavesOrganizations(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		giver, _ := s.register("giver"+randomSuffix(), goodPassword, "")
		heir, heirID := s.register("heir"+randomSuffix(), goodPassword, "")
		acme := s.createOrg(giver, "Acme "+randomSuffix())
		labs := s.createOrg(giver, "Labs "+randomSuffix())
		id, _ := s.makeAgent(giver, "worker")
		agentUser := s.agentUserID(giver, id)
		for org, role := range map[string]string{acme: "admin", labs: "member"} {
			mustStatus(t, s.do("POST", "/v1/orgs/"+org+"/agents", giver, map[string]string{"agent_id": id, "role": role}), http.StatusCreated)
			if !slices.Contains(s.memberIDs(giver, org), agentUser) {
				t.Fatalf("the agent is not a member of %s", org)
			}
		}

		mustStatus(t, s.do("POST", "/v1/agents/"+id+"/transfer", giver, map[string]string{"new_owner": heirID}), http.StatusOK)
		for _, org := range []string{acme, labs} {
			if slices.Contains(s.memberIDs(giver, org), agentUser) {
				t.Errorf("after the transfer the agent is still a member of the previous owner's organization %s", org)
			}
		}
		// The new owner may add it to an organization of theirs.
		mine := s.createOrg(heir, "Mine "+randomSuffix())
		mustStatus(t, s.do("POST", "/v1/orgs/"+mine+"/agents", heir, map[string]string{"agent_id": id}), http.StatusCreated)

		// An agent that is the only owner of an organization stays where it is.
		solo := s.createOrg(heir, "Solo "+randomSuffix())
		mustStatus(t, s.do("POST", "/v1/orgs/"+solo+"/agents", heir, map[string]string{"agent_id": id, "role": "owner"}), http.StatusCreated)
		mustStatus(t, s.do("DELETE", "/v1/orgs/"+solo+"/members/"+heirID, heir, nil), http.StatusNoContent)
		giverID := s.me(giver)["id"].(string)
		r := s.do("POST", "/v1/agents/"+id+"/transfer", heir, map[string]string{"new_owner": giverID})
		if r.status != http.StatusConflict || r.errorCode(t) != "conflict" {
			t.Fatalf("transfer of an organization's only owner: %d %s, want 409 conflict", r.status, r.body)
		}
		mustStatus(t, s.do("GET", "/v1/agents/"+id, heir, nil), http.StatusOK) // still the heir's
		if !slices.Contains(s.memberIDs(heir, mine), agentUser) {
			t.Fatal("a refused transfer removed the agent from an organization")
		}
	})
}

// TestAgentSessionCreatesNothing: an agent session — even of an agent that is an admin of an
// organization — creates no organization, API key, OAuth client, PAT or agent.
func TestAgentSessionCreatesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		owner, _ := s.register("owner"+randomSuffix(), goodPassword, "")
		orgID := s.createOrg(owner, "Acme "+randomSuffix())
		id, agentToken := s.makeAgent(owner, "admin bot")
		mustStatus(t, s.do("POST", "/v1/orgs/"+orgID+"/agents", owner, map[string]string{"agent_id": id, "role": "owner"}), http.StatusCreated)
		mustStatus(t, s.do("POST", "/v1/agents/"+id+"/verify", owner, nil), http.StatusOK)
		agent := s.agentMustExchange(agentToken)

		attempts := []struct {
			name, path string
			body       map[string]any
		}{
			{"organization", "/v1/orgs", map[string]any{"name": "Agent Corp " + randomSuffix()}},
			{"API key", "/v1/orgs/" + orgID + "/api-keys", map[string]any{"name": "agent key", "environment": "live", "scopes": []string{"calls:read"}}},
			{"OAuth client", "/v1/orgs/" + orgID + "/oauth-clients", map[string]any{"name": "Agent app", "grant_types": []string{"client_credentials"}, "scopes": []string{"calls:read"}}},
			{"PAT", "/v1/auth/tokens", map[string]any{"name": "agent pat", "expires_in": "30d"}},
			{"agent", "/v1/agents", map[string]any{"name": "child"}},
			{"member", "/v1/orgs/" + orgID + "/members", map[string]any{"username": "nobody", "role": "member"}},
		}
		for _, a := range attempts {
			t.Run(a.name, func(t *testing.T) {
				r := s.do("POST", a.path, agent, a.body)
				if r.status != http.StatusForbidden || r.errorCode(t) != "insufficient_permissions" {
					t.Fatalf("an agent session creating a %s: %d %s, want 403 insufficient_permissions", a.name, r.status, r.body)
				}
			})
		}
		// Nothing was made.
		for path, name := range map[string]string{
			"/v1/orgs/" + orgID + "/api-keys":      "agent key",
			"/v1/orgs/" + orgID + "/oauth-clients": "Agent app",
			"/v1/me/orgs":                          "Agent Corp",
		} {
			r := s.do("GET", path, owner, nil)
			mustStatus(t, r, http.StatusOK)
			if contains(r.body, name) {
				t.Errorf("%s lists %q: %s", path, name, r.body)
			}
		}
	})
}
