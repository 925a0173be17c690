package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
)

// createOrg makes an organization as the holder of tok and returns its ID.
func (s *server) createOrg(tok, name string) string {
	s.t.Helper()
	r := s.do("POST", "/v1/orgs", tok, map[string]string{"name": name})
	mustStatus(s.t, r, http.StatusCreated)
	return r.json(s.t)["id"].(string)
}

// makeAdmin flags a user as an instance administrator, as the operator's CLI does.
func (s *server) makeAdmin(userID string) {
	s.t.Helper()
	yes := true
	if _, err := s.m.Store.UpdateUser(context.Background(), userID, gatehouse.UserUpdate{IsAdmin: &yes, UpdatedAt: time.Now()}); err != nil {
		s.t.Fatalf("make admin: %v", err)
	}
}

// createAgent stores an agent of ownerID directly (the agents' endpoints are another file's
// subject) and returns its ID and its account's ID.
func (s *server) createAgent(ownerID, username string) (agentID, accountID string) {
	s.t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	tok, err := token.Generator{Brand: "gth"}.New(token.KindAgent)
	if err != nil {
		s.t.Fatal(err)
	}
	u := &gatehouse.User{ID: gatehouse.NewID(gatehouse.PrefixUser, now, nil), Kind: gatehouse.KindAgent, Username: username, CreatedAt: now, UpdatedAt: now}
	a := &gatehouse.Agent{
		ID: gatehouse.NewID(gatehouse.PrefixAgent, now, nil), UserID: u.ID, OwnerID: ownerID, Name: username,
		TokenHash: token.Hash(tok), TokenPrefix: token.DisplayPrefix(tok), CreatedAt: now, UpdatedAt: now,
	}
	if err := s.m.Store.CreateAgent(context.Background(), a, u); err != nil {
		s.t.Fatalf("create agent: %v", err)
	}
	return a.ID, u.ID
}

// members returns the organization's members as user ID → role.
func (s *server) members(tok, orgID string) map[string]string {
	s.t.Helper()
	r := s.do("GET", "/v1/orgs/"+orgID+"/members", tok, nil)
	mustStatus(s.t, r, http.StatusOK)
	out := map[string]string{}
	for _, m := range r.json(s.t)["data"].([]any) {
		m := m.(map[string]any)
		out[m["user_id"].(string)] = m["role"].(string)
	}
	return out
}

// mustError fails unless r has the status and error code.
func mustError(t *testing.T, r response, status int, code string) {
	t.Helper()
	mustStatus(t, r, status)
	if got := r.errorCode(t); got != code {
		t.Fatalf("error %q, want %q: %s", got, code, r.body)
	}
}

func TestOrganizationsAndMembers(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		alice, aliceID := s.register("alice", goodPassword, "")
		bob, bobID := s.register("bob", goodPassword, "")
		carol, carolID := s.register("carol", goodPassword, "")
		dave, _ := s.register("dave", goodPassword, "")

		r := s.do("POST", "/v1/orgs", alice, map[string]string{"name": "Acme Calls"})
		mustStatus(t, r, http.StatusCreated)
		org := r.json(t)
		orgID := org["id"].(string)
		if org["name"] != "Acme Calls" || org["role"] != "owner" || len(orgID) < 5 || orgID[:4] != "org_" {
			t.Fatalf("created org %v", org)
		}

		t.Run("creator is the owner", func(t *testing.T) {
			if got := s.members(alice, orgID); len(got) != 1 || got[aliceID] != "owner" {
				t.Fatalf("members %v", got)
			}
			r := s.do("GET", "/v1/orgs/"+orgID, alice, nil)
			mustStatus(t, r, http.StatusOK)
			if v := r.json(t); v["role"] != "owner" || v["name"] != "Acme Calls" {
				t.Fatalf("org %v", v)
			}
			r = s.do("GET", "/v1/me/orgs", alice, nil)
			mustStatus(t, r, http.StatusOK)
			if !contains(r.body, orgID) {
				t.Fatalf("/v1/me/orgs lacks the new org: %s", r.body)
			}
		})

		t.Run("names", func(t *testing.T) {
			cases := []struct {
				name, orgName string
				status        int
				code          string
			}{
				{"taken, other case", "ACME calls", 409, "conflict"},
				{"too short", "a", 400, "invalid_request"},
				{"too long", strings.Repeat("a", 65), 400, "invalid_request"},
				{"control character", "ac\x01me", 400, "invalid_request"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					mustError(t, s.do("POST", "/v1/orgs", bob, map[string]string{"name": c.orgName}), c.status, c.code)
				})
			}
		})

		t.Run("add members by username and by user_id", func(t *testing.T) {
			r := s.do("POST", "/v1/orgs/"+orgID+"/members", alice, map[string]string{"username": "BOB", "role": "member"})
			mustStatus(t, r, http.StatusCreated)
			if v := r.json(t); v["user_id"] != bobID || v["username"] != "bob" || v["kind"] != "user" || v["role"] != "member" || v["joined_at"] == "" {
				t.Fatalf("member %v", v)
			}
			r = s.do("POST", "/v1/orgs/"+orgID+"/members", alice, map[string]string{"user_id": carolID, "role": "admin"})
			mustStatus(t, r, http.StatusCreated)
			mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/members", alice, map[string]string{"user_id": carolID}), 409, "conflict")
			mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/members", alice, map[string]string{"username": "nobody"}), 404, "not_found")
			mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/members", alice, map[string]string{"username": "dave", "role": "king"}), 400, "invalid_request")
			mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/members", alice, map[string]string{"username": "dave", "user_id": carolID}), 400, "invalid_request")
			got := s.members(bob, orgID)
			want := map[string]string{aliceID: "owner", bobID: "member", carolID: "admin"}
			if canonical(t, got) != canonical(t, want) {
				t.Fatalf("members %v, want %v", got, want)
			}
		})

		t.Run("a member cannot manage", func(t *testing.T) {
			mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/members", bob, map[string]string{"username": "dave"}), 403, "insufficient_permissions")
			mustError(t, s.do("PATCH", "/v1/orgs/"+orgID+"/members/"+carolID, bob, map[string]string{"role": "member"}), 403, "insufficient_permissions")
			mustError(t, s.do("DELETE", "/v1/orgs/"+orgID+"/members/"+carolID, bob, nil), 403, "insufficient_permissions")
			mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/api-keys", bob, map[string]any{"name": "k", "scopes": []string{"calls:read"}, "environment": "live"}), 403, "insufficient_permissions")
			mustError(t, s.do("GET", "/v1/orgs/"+orgID+"/api-keys", bob, nil), 403, "insufficient_permissions")
			mustError(t, s.do("GET", "/v1/orgs/"+orgID+"/audit-events", bob, nil), 403, "insufficient_permissions")
			r := s.do("GET", "/v1/orgs/"+orgID, bob, nil)
			mustStatus(t, r, http.StatusOK)
			if r.json(t)["role"] != "member" {
				t.Fatalf("bob's org view %s", r.body)
			}
		})

		t.Run("a non-member sees nothing", func(t *testing.T) {
			for _, c := range []struct {
				name, method, path string
				body               any
			}{
				{"org", "GET", "/v1/orgs/" + orgID, nil},
				{"members", "GET", "/v1/orgs/" + orgID + "/members", nil},
				{"add member", "POST", "/v1/orgs/" + orgID + "/members", map[string]string{"username": "dave"}},
				{"api keys", "GET", "/v1/orgs/" + orgID + "/api-keys", nil},
				{"audit", "GET", "/v1/orgs/" + orgID + "/audit-events", nil},
				{"remove", "DELETE", "/v1/orgs/" + orgID + "/members/" + bobID, nil},
				{"unknown org", "GET", "/v1/orgs/org_00000000000000000000000000", nil},
			} {
				t.Run(c.name, func(t *testing.T) {
					mustError(t, s.do(c.method, c.path, dave, c.body), 404, "not_found")
				})
			}
			mustError(t, s.do("GET", "/v1/orgs/"+orgID, "", nil), 401, "invalid_token")
		})

		t.Run("roles", func(t *testing.T) {
			// An admin may not grant or remove the owner role.
			mustError(t, s.do("PATCH", "/v1/orgs/"+orgID+"/members/"+bobID, carol, map[string]string{"role": "owner"}), 403, "insufficient_permissions")
			mustError(t, s.do("PATCH", "/v1/orgs/"+orgID+"/members/"+aliceID, carol, map[string]string{"role": "member"}), 403, "insufficient_permissions")
			mustError(t, s.do("DELETE", "/v1/orgs/"+orgID+"/members/"+aliceID, carol, nil), 403, "insufficient_permissions")
			mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/members", carol, map[string]string{"username": "dave", "role": "owner"}), 403, "insufficient_permissions")
			// But may manage admins and members.
			r := s.do("PATCH", "/v1/orgs/"+orgID+"/members/"+bobID, carol, map[string]string{"role": "admin"})
			mustStatus(t, r, http.StatusOK)
			if v := r.json(t); v["role"] != "admin" || v["user_id"] != bobID {
				t.Fatalf("patched member %v", v)
			}
			mustError(t, s.do("PATCH", "/v1/orgs/"+orgID+"/members/"+bobID, carol, map[string]string{"role": "boss"}), 400, "invalid_request")
			mustError(t, s.do("PATCH", "/v1/orgs/"+orgID+"/members/usr_00000000000000000000000000", carol, map[string]string{"role": "member"}), 404, "not_found")
		})

		t.Run("the last owner cannot leave or be removed", func(t *testing.T) {
			mustError(t, s.do("DELETE", "/v1/orgs/"+orgID+"/members/"+aliceID, alice, nil), 409, "conflict")
			mustError(t, s.do("PATCH", "/v1/orgs/"+orgID+"/members/"+aliceID, alice, map[string]string{"role": "admin"}), 409, "conflict")
			// With a second owner, alice may leave; carol is then the last owner.
			mustStatus(t, s.do("PATCH", "/v1/orgs/"+orgID+"/members/"+carolID, alice, map[string]string{"role": "owner"}), http.StatusOK)
			mustStatus(t, s.do("DELETE", "/v1/orgs/"+orgID+"/members/"+aliceID, alice, nil), http.StatusNoContent)
			mustError(t, s.do("GET", "/v1/orgs/"+orgID, alice, nil), 404, "not_found")
			mustError(t, s.do("DELETE", "/v1/orgs/"+orgID+"/members/"+carolID, carol, nil), 409, "conflict")
			mustError(t, s.do("DELETE", "/v1/orgs/"+orgID+"/members/"+carolID, bob, nil), 403, "insufficient_permissions")
			// bob (admin) leaves on his own.
			mustStatus(t, s.do("DELETE", "/v1/orgs/"+orgID+"/members/"+bobID, bob, nil), http.StatusNoContent)
			if got := s.members(carol, orgID); len(got) != 1 || got[carolID] != "owner" {
				t.Fatalf("members %v", got)
			}
		})

		t.Run("agents are added by their owner", func(t *testing.T) {
			agentID, accountID := s.createAgent(carolID, "carols-bot")
			aliceAgent, _ := s.createAgent(aliceID, "alices-bot")
			// A person's endpoint does not take agents.
			mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/members", carol, map[string]string{"user_id": accountID}), 400, "invalid_request")
			// Someone else's agent is not found.
			mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/agents", carol, map[string]string{"agent_id": aliceAgent}), 404, "not_found")
			mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/agents", carol, map[string]string{"agent_id": "agt_00000000000000000000000000"}), 404, "not_found")
			r := s.do("POST", "/v1/orgs/"+orgID+"/agents", carol, map[string]string{"agent_id": agentID})
			mustStatus(t, r, http.StatusCreated)
			if v := r.json(t); v["user_id"] != accountID || v["kind"] != "agent" || v["role"] != "member" {
				t.Fatalf("agent member %v", v)
			}
			mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/agents", carol, map[string]string{"agent_id": agentID}), 409, "conflict")
			// The owner of the agent must manage the organization.
			otherOrg := s.createOrg(alice, "Alice Labs")
			mustStatus(t, s.do("POST", "/v1/orgs/"+otherOrg+"/members", alice, map[string]string{"username": "carol"}), http.StatusCreated)
			mustError(t, s.do("POST", "/v1/orgs/"+otherOrg+"/agents", carol, map[string]string{"agent_id": agentID}), 403, "insufficient_permissions")
		})

		t.Run("audit events", func(t *testing.T) {
			r := s.do("GET", "/v1/orgs/"+orgID+"/audit-events", carol, nil)
			mustStatus(t, r, http.StatusOK)
			all := auditEvents(t, r)
			var types []string
			for _, e := range all {
				if e["org_id"] != orgID {
					t.Fatalf("event of another org: %v", e)
				}
				types = append(types, e["type"].(string))
			}
			for _, want := range []string{"org.created", "org.member_added", "org.member_role_changed", "org.member_removed"} {
				if !slices.Contains(types, want) {
					t.Fatalf("no %s in %v", want, types)
				}
			}
			for i := 1; i < len(all); i++ {
				if all[i-1]["id"].(string) <= all[i]["id"].(string) {
					t.Fatalf("events not newest first: %v", types)
				}
			}

			r = s.do("GET", "/v1/orgs/"+orgID+"/audit-events?type=org.member_removed", carol, nil)
			mustStatus(t, r, http.StatusOK)
			removed := auditEvents(t, r)
			if len(removed) != 2 {
				t.Fatalf("%d member_removed events, want 2 (alice and bob left): %s", len(removed), r.body)
			}
			r = s.do("GET", "/v1/orgs/"+orgID+"/audit-events?actor="+aliceID+"&type=org.member_added", carol, nil)
			mustStatus(t, r, http.StatusOK)
			for _, e := range auditEvents(t, r) {
				if e["actor_id"] != aliceID || e["type"] != "org.member_added" {
					t.Fatalf("actor filter leaked %v", e)
				}
			}
			if n := len(auditEvents(t, r)); n != 2 {
				t.Fatalf("%d events added by alice, want 2", n)
			}
			future := urlQueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
			r = s.do("GET", "/v1/orgs/"+orgID+"/audit-events?since="+future, carol, nil)
			mustStatus(t, r, http.StatusOK)
			if n := len(auditEvents(t, r)); n != 0 {
				t.Fatalf("%d events since the future", n)
			}
			r = s.do("GET", "/v1/orgs/"+orgID+"/audit-events?until="+future, carol, nil)
			mustStatus(t, r, http.StatusOK)
			if n := len(auditEvents(t, r)); n != len(all) {
				t.Fatalf("%d events until the future, want %d", n, len(all))
			}
			mustError(t, s.do("GET", "/v1/orgs/"+orgID+"/audit-events?since=yesterday", carol, nil), 400, "invalid_request")

			// Pages of 2 give every event once, in order.
			var paged []string
			cursor := ""
			for range 100 {
				r := s.do("GET", "/v1/orgs/"+orgID+"/audit-events?limit=2&cursor="+cursor, carol, nil)
				mustStatus(t, r, http.StatusOK)
				for _, e := range auditEvents(t, r) {
					paged = append(paged, e["id"].(string))
				}
				cursor, _ = r.json(t)["next_cursor"].(string)
				if cursor == "" {
					break
				}
			}
			var ids []string
			for _, e := range all {
				ids = append(ids, e["id"].(string))
			}
			if !slices.Equal(paged, ids) {
				t.Fatalf("paged %v, want %v", paged, ids)
			}
		})
	})
}

// auditEvents returns the data of an audit-events list.
func auditEvents(t *testing.T, r response) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, e := range r.json(t)["data"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}
