package e2e

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
)

// agentExchange posts an agent token to POST /v1/auth/agent.
func (s *server) agentExchange(agentToken string) response {
	s.t.Helper()
	return s.do("POST", "/v1/auth/agent", "", map[string]string{"agent_token": agentToken})
}

// makeAgent makes an agent for the owner's token and returns its ID and token.
func (s *server) makeAgent(owner, name string) (id, agentToken string) {
	s.t.Helper()
	r := s.do("POST", "/v1/agents", owner, map[string]string{"name": name, "role": "support"})
	mustStatus(s.t, r, http.StatusCreated)
	v := r.json(s.t)
	agent, _ := v["agent"].(map[string]any)
	id, _ = agent["id"].(string)
	agentToken, _ = v["agent_token"].(string)
	if id == "" || agentToken == "" {
		s.t.Fatalf("create agent: no id or token: %s", r.body)
	}
	return id, agentToken
}

// agentAuditTypes returns the types of the audit events about subject, oldest first.
func (s *server) agentAuditTypes(subject string) []string {
	s.t.Helper()
	events, err := s.m.Store.ListAuditEvents(context.Background(), gatehouse.AuditFilter{Limit: 1000})
	if err != nil {
		s.t.Fatal(err)
	}
	var types []string
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].SubjectID == subject {
			types = append(types, events[i].Type)
		}
	}
	return types
}

func TestAgentLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		owner, ownerID := s.register("owner"+randomSuffix(), goodPassword, "")
		other, otherID := s.register("other"+randomSuffix(), goodPassword, "")
		const me = "/v1/me"

		// Create: the token is shown once, branded agt, and the agent starts unverified.
		r := s.do("POST", "/v1/agents", owner, map[string]string{"name": "Support bot", "role": "support"})
		mustStatus(t, r, http.StatusCreated)
		v := r.json(t)
		agentToken, _ := v["agent_token"].(string)
		agent, _ := v["agent"].(map[string]any)
		id, _ := agent["id"].(string)
		if !strings.HasPrefix(agentToken, "gth_agt_") || !strings.HasPrefix(id, "agt_") {
			t.Fatalf("create agent: %s", r.body)
		}
		if agent["verified"] != false || agent["owner_id"] != ownerID || agent["name"] != "Support bot" || agent["role"] != "support" {
			t.Fatalf("new agent: %v", agent)
		}

		// The token never appears again: not in the list, not in the agent.
		r = s.do("GET", "/v1/agents", owner, nil)
		mustStatus(t, r, http.StatusOK)
		if contains(r.body, agentToken) || !contains(r.body, id) {
			t.Fatalf("list: %s", r.body)
		}
		r = s.do("GET", "/v1/agents/"+id, owner, nil)
		mustStatus(t, r, http.StatusOK)
		if contains(r.body, agentToken) {
			t.Fatal("the agent shows its token")
		}

		// Before verification the exchange is refused; a wrong token is invalid.
		r = s.agentExchange(agentToken)
		mustStatus(t, r, http.StatusForbidden)
		if c := r.errorCode(t); c != "agent_not_verified" {
			t.Fatalf("unverified exchange: %s", c)
		}
		for name, bad := range map[string]string{
			"one character changed": agentFlipLast(agentToken),
			"a session token":       owner,
			"garbage":               "not-a-token",
		} {
			r = s.agentExchange(bad)
			mustStatus(t, r, http.StatusUnauthorized)
			if c := r.errorCode(t); c != "invalid_token" {
				t.Fatalf("%s: %s", name, c)
			}
		}

		// Another user sees nothing and can do nothing: 404 everywhere.
		for _, req := range []struct{ method, path string }{
			{"GET", "/v1/agents/" + id}, {"POST", "/v1/agents/" + id + "/verify"},
			{"POST", "/v1/agents/" + id + "/rotate"}, {"DELETE", "/v1/agents/" + id},
		} {
			mustStatus(t, s.do(req.method, req.path, other, nil), http.StatusNotFound)
		}
		mustStatus(t, s.do("POST", "/v1/agents/"+id+"/transfer", other, map[string]string{"new_owner": otherID}), http.StatusNotFound)
		r = s.do("GET", "/v1/agents", other, nil)
		mustStatus(t, r, http.StatusOK)
		if contains(r.body, id) {
			t.Fatal("another user lists the agent")
		}

		// Verify; then the exchange gives an agent session and /v1/me shows the owner.
		r = s.do("POST", "/v1/agents/"+id+"/verify", owner, nil)
		mustStatus(t, r, http.StatusOK)
		if r.json(t)["verified"] != true {
			t.Fatalf("verify: %s", r.body)
		}
		agentSession := s.agentMustExchange(agentToken)
		r = s.do("GET", me, agentSession, nil)
		mustStatus(t, r, http.StatusOK)
		v = r.json(t)
		ownerJSON, _ := v["owner"].(map[string]any)
		agentName, _ := v["username"].(string)
		if v["kind"] != "agent" || ownerJSON["id"] != ownerID || !strings.HasPrefix(agentName, "agent-") {
			t.Fatalf("/v1/me of the agent: %s", r.body)
		}
		r = s.do("GET", me, owner, nil)
		if _, ok := r.json(t)["owner"]; ok || r.json(t)["kind"] != "user" {
			t.Fatalf("/v1/me of a person: %s", r.body)
		}

		// Agents do not manage agents.
		r = s.do("POST", "/v1/agents", agentSession, map[string]string{"name": "child"})
		mustStatus(t, r, http.StatusForbidden)
		mustStatus(t, s.do("GET", "/v1/agents", agentSession, nil), http.StatusForbidden)

		// Rotate: the old token and the agent's sessions stop working; the new token works.
		r = s.do("POST", "/v1/agents/"+id+"/rotate", owner, nil)
		mustStatus(t, r, http.StatusOK)
		newToken, _ := r.json(t)["agent_token"].(string)
		if !strings.HasPrefix(newToken, "gth_agt_") || newToken == agentToken {
			t.Fatalf("rotate: %s", r.body)
		}
		mustStatus(t, s.do("GET", me, agentSession, nil), http.StatusUnauthorized)
		r = s.agentExchange(agentToken)
		mustStatus(t, r, http.StatusUnauthorized)
		agentSession = s.agentMustExchange(newToken)
		mustStatus(t, s.do("GET", me, agentSession, nil), http.StatusOK)

		// Transfer to the other user (by username): the token the previous owner knows dies, and
		// the agent is unverified until the new owner verifies it and rotates to get a token.
		otherName := s.do("GET", me, other, nil).json(t)["username"].(string)
		r = s.do("POST", "/v1/agents/"+id+"/transfer", owner, map[string]string{"new_owner": otherName})
		mustStatus(t, r, http.StatusOK)
		if v := r.json(t); v["owner_id"] != otherID || v["verified"] != false {
			t.Fatalf("transfer: %s", r.body)
		}
		mustStatus(t, s.do("GET", me, agentSession, nil), http.StatusUnauthorized)
		r = s.agentExchange(newToken)
		mustStatus(t, r, http.StatusUnauthorized)
		if c := r.errorCode(t); c != "invalid_token" {
			t.Fatalf("exchange after transfer: %s", c)
		}
		mustStatus(t, s.do("GET", "/v1/agents/"+id, owner, nil), http.StatusNotFound) // no longer the owner's
		mustStatus(t, s.do("POST", "/v1/agents/"+id+"/verify", other, nil), http.StatusOK)
		mustStatus(t, s.agentExchange(newToken), http.StatusUnauthorized)
		r = s.do("POST", "/v1/agents/"+id+"/rotate", other, nil)
		mustStatus(t, r, http.StatusOK)
		transferredToken, _ := r.json(t)["agent_token"].(string)
		agentSession = s.agentMustExchange(transferredToken)
		r = s.do("GET", me, agentSession, nil)
		mustStatus(t, r, http.StatusOK)
		if o, _ := r.json(t)["owner"].(map[string]any); o["id"] != otherID || o["username"] != otherName {
			t.Fatalf("/v1/me after transfer: %s", r.body)
		}

		// Transfers to nobody, to oneself or to an agent are refused.
		for name, c := range map[string]struct {
			to     string
			status int
		}{
			"unknown user": {"nobody" + randomSuffix(), http.StatusNotFound},
			"same owner":   {otherID, http.StatusBadRequest},
			"empty":        {"", http.StatusBadRequest},
			"an agent":     {agentName, http.StatusBadRequest},
		} {
			r = s.do("POST", "/v1/agents/"+id+"/transfer", other, map[string]string{"new_owner": c.to})
			if r.status != c.status {
				t.Fatalf("transfer to %s: %d %s", name, r.status, r.body)
			}
		}

		// Delete: its sessions fail, its token fails, it is gone.
		mustStatus(t, s.do("DELETE", "/v1/agents/"+id, other, nil), http.StatusNoContent)
		mustStatus(t, s.do("GET", me, agentSession, nil), http.StatusUnauthorized)
		mustStatus(t, s.agentExchange(transferredToken), http.StatusUnauthorized)
		mustStatus(t, s.do("GET", "/v1/agents/"+id, other, nil), http.StatusNotFound)

		// Audit trail of the agent.
		want := []string{"agent.created", "agent.verified", "agent.rotated", "agent.transferred", "agent.verified", "agent.rotated", "agent.deleted"}
		if got := s.agentAuditTypes(id); !slices.Equal(got, want) {
			t.Fatalf("agent audit events %v, want %v", got, want)
		}
		if !strings.Contains(canonical(t, s.agentAuthFailures()), "agent_token") {
			t.Fatal("no auth.failed event for bad agent tokens")
		}

		// The token never reached a log line.
		for _, tok := range []string{agentToken, newToken, transferredToken} {
			if strings.Contains(s.logText(), tok) {
				t.Fatal("an agent token was logged")
			}
		}
	})
}

func TestAgentValidation(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		owner, _ := s.register("val"+randomSuffix(), goodPassword, "")
		for name, c := range map[string]struct {
			body   any
			status int
		}{
			"no name":       {map[string]string{"role": "x"}, http.StatusBadRequest},
			"blank name":    {map[string]string{"name": "   "}, http.StatusBadRequest},
			"long name":     {map[string]string{"name": strings.Repeat("n", 101)}, http.StatusBadRequest},
			"long role":     {map[string]string{"name": "ok", "role": strings.Repeat("r", 65)}, http.StatusBadRequest},
			"unknown field": {map[string]string{"name": "ok", "owner": "x"}, http.StatusBadRequest},
			"name only":     {map[string]string{"name": "ok"}, http.StatusCreated},
		} {
			t.Run(name, func(t *testing.T) {
				mustStatus(t, s.do("POST", "/v1/agents", owner, c.body), c.status)
			})
		}
		mustStatus(t, s.do("POST", "/v1/agents", "", map[string]string{"name": "x"}), http.StatusUnauthorized)
		mustStatus(t, s.do("GET", "/v1/agents/agt_doesnotexist", owner, nil), http.StatusNotFound)
		mustStatus(t, s.do("GET", "/v1/agents/usr_wrongprefix", owner, nil), http.StatusNotFound)
	})
}

func TestAgentExchangeRateLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, func(c *configT) {
			c.AuthRateLimit, _ = gatehouseRate("3/m")
		})
		var last response
		for i := 0; i < 4; i++ {
			last = s.agentExchange("gth_agt_nope")
		}
		mustStatus(t, last, http.StatusTooManyRequests)
		if after, err := strconv.Atoi(last.header.Get("Retry-After")); err != nil || after < 1 {
			t.Fatalf("Retry-After %q", last.header.Get("Retry-After"))
		}
		if c := last.errorCode(t); c != "rate_limited" {
			t.Fatalf("code %s", c)
		}
	})
}

// agentMustExchange exchanges a verified agent's token for a session token.
func (s *server) agentMustExchange(agentToken string) string {
	s.t.Helper()
	r := s.agentExchange(agentToken)
	mustStatus(s.t, r, http.StatusOK)
	v := r.json(s.t)
	tok, _ := v["token"].(string)
	user, _ := v["user"].(map[string]any)
	if !strings.HasPrefix(tok, "gth_ses_") || user["kind"] != "agent" {
		s.t.Fatalf("exchange: %s", r.body)
	}
	if r.header.Get("Set-Cookie") != "" {
		s.t.Fatal("the agent exchange set a cookie")
	}
	return tok
}

// agentAuthFailures returns the details of every auth.failed event.
func (s *server) agentAuthFailures() []map[string]any {
	s.t.Helper()
	events, err := s.m.Store.ListAuditEvents(context.Background(), gatehouse.AuditFilter{Types: []string{gatehouse.EventLoginFailed}, Limit: 1000})
	if err != nil {
		s.t.Fatal(err)
	}
	out := make([]map[string]any, 0, len(events))
	for _, e := range events {
		out = append(out, e.Details)
	}
	return out
}

// agentFlipLast changes the last character of a token (keeping it base62).
func agentFlipLast(tok string) string {
	last := tok[len(tok)-1]
	repl := byte('A')
	if last == 'A' {
		repl = 'B'
	}
	return tok[:len(tok)-1] + string(repl)
}
