package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/config"
)

// servedProfiles are the seed API profiles this build serves: the authorization table and the
// OpenAPI coverage test mount them all.
var servedProfiles = []string{"crustocean", "crewkit", "crew", "rst"}

// withProfiles mounts the named seed API profiles.
func withProfiles(brand string, names ...string) func(*config.Config) {
	return func(c *config.Config) {
		c.APIProfiles = names
		if brand != "" {
			c.TokenBrand = brand
		}
	}
}

// TestCrustoceanProfile sends the requests of Crustocean's auth docs (seeds 000, 001) as a
// developer reading them would write them, and checks the documented answers, on both stores.
func TestCrustoceanProfile(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, withProfiles("cru", "crustocean"))

		// POST /api/auth/register: { token, user }, camelCase, auto-joined to the Lobby.
		r := s.do("POST", "/api/auth/register", "", map[string]any{"username": "myuser", "password": "secure-password", "displayName": "My User"})
		mustStatus(t, r, http.StatusCreated)
		reg := r.json(t)
		session, _ := reg["token"].(string)
		user, _ := reg["user"].(map[string]any)
		if session == "" || user["displayName"] != "My User" || user["type"] != "user" || user["username"] != "myuser" {
			t.Fatalf("register: %s", r.body)
		}
		for _, k := range []string{"id", "avatarUrl", "bannerUrl", "description", "theme", "font", "createdAt"} {
			if _, ok := user[k]; !ok {
				t.Errorf("user has no %s: %s", k, r.body)
			}
		}
		if strings.Contains(string(r.body), "display_name") {
			t.Errorf("snake_case in a Crustocean answer: %s", r.body)
		}
		agencies := s.do("GET", "/api/agencies", session, nil)
		mustStatus(t, agencies, http.StatusOK)
		if !strings.Contains(strings.ToLower(string(agencies.body)), `"slug":"lobby"`) {
			t.Fatalf("the new user is not in the Lobby: %s", agencies.body)
		}

		// POST /api/auth/login.
		r = s.do("POST", "/api/auth/login", "", map[string]any{"username": "myuser", "password": "secure-password"})
		mustStatus(t, r, http.StatusOK)
		login := r.json(t)["token"].(string)
		r = s.do("POST", "/api/auth/login", "", map[string]any{"username": "myuser", "password": "wrong-password"})
		mustStatus(t, r, http.StatusUnauthorized)

		// POST /api/auth/tokens: { "name": "ci-deploy", "expiresIn": "90d" }, a cru_ token once.
		r = s.do("POST", "/api/auth/tokens", login, map[string]any{"name": "ci-deploy", "expiresIn": "90d"})
		mustStatus(t, r, http.StatusCreated)
		created := r.json(t)
		pat, _ := created["token"].(string)
		if !strings.HasPrefix(pat, "cru_") || created["name"] != "ci-deploy" || created["expiresAt"] == nil || created["prefix"] == "" {
			t.Fatalf("create token: %s", r.body)
		}
		// The docs' curl: GET /api/agencies with the PAT as a bearer.
		mustStatus(t, s.do("GET", "/api/agencies", pat, nil), http.StatusOK)
		r = s.do("GET", "/api/auth/tokens", session, nil)
		mustStatus(t, r, http.StatusOK)
		toks, _ := r.json(t)["tokens"].([]any)
		if len(toks) != 1 || strings.Contains(string(r.body), pat) {
			t.Fatalf("list tokens: %s", r.body)
		}
		if tk := toks[0].(map[string]any); tk["id"] != created["id"] || tk["prefix"] != created["prefix"] {
			t.Fatalf("listed token: %s", r.body)
		} else if _, ok := tk["lastUsedAt"]; !ok {
			t.Fatalf("listed token without lastUsedAt: %s", r.body)
		}

		// createAgent / verifyAgent with the PAT (SDK doc), the agent exchange's statuses.
		r = s.do("POST", "/api/agents", pat, map[string]any{"name": "mybot", "role": "Assistant"})
		mustStatus(t, r, http.StatusCreated)
		ca := r.json(t)
		agent, _ := ca["agent"].(map[string]any)
		agentToken, _ := ca["agentToken"].(string)
		if agentToken == "" || agent["name"] != "mybot" || agent["role"] != "Assistant" || agent["verified"] != false {
			t.Fatalf("create agent: %s", r.body)
		}
		agentID := agent["id"].(string)
		r = s.do("POST", "/api/auth/agent", "", map[string]any{"agentToken": agentToken})
		if r.status != http.StatusForbidden || r.errorCode(t) != "agent_not_verified" {
			t.Fatalf("unverified agent exchange: %d %s", r.status, r.body)
		}
		mustStatus(t, s.do("POST", "/api/auth/agent", "", map[string]any{"agentToken": "cru_agt_nonsense"}), http.StatusUnauthorized)
		r = s.do("POST", "/api/agents/"+agentID+"/verify", pat, nil)
		mustStatus(t, r, http.StatusOK)
		if r.json(t)["agent"].(map[string]any)["verified"] != true {
			t.Fatalf("verify: %s", r.body)
		}
		r = s.do("POST", "/api/auth/agent", "", map[string]any{"agentToken": agentToken})
		mustStatus(t, r, http.StatusOK)
		agentSession := r.json(t)["token"].(string)
		r = s.do("GET", "/api/auth/me", agentSession, nil)
		mustStatus(t, r, http.StatusOK)
		if r.json(t)["type"] != "agent" {
			t.Fatalf("an agent's /api/auth/me: %s", r.body)
		}

		// Agencies are organizations: add the agent to one the caller owns.
		orgID := s.createOrg(session, "Crab Shack")
		r = s.do("POST", "/api/agencies/"+orgID+"/agents", pat, map[string]any{"agentId": agentID})
		mustStatus(t, r, http.StatusCreated)
		if m := r.json(t); m["agencyId"] != orgID || m["type"] != "agent" {
			t.Fatalf("add agent to agency: %s", r.body)
		}
		r = s.do("GET", "/api/agencies", pat, nil)
		if !strings.Contains(string(r.body), `"slug":"crab-shack","role":"owner"`) {
			t.Fatalf("agencies: %s", r.body)
		}

		// PATCH /api/auth/me takes the camelCase fields.
		r = s.do("PATCH", "/api/auth/me", session, map[string]any{"displayName": "Crab", "theme": "dark", "avatarUrl": "https://example.com/a.png"})
		mustStatus(t, r, http.StatusOK)
		if me := r.json(t); me["displayName"] != "Crab" || me["theme"] != "dark" || me["avatarUrl"] != "https://example.com/a.png" {
			t.Fatalf("patch me: %s", r.body)
		}
		// The native API sees the same account.
		if me := s.me(pat); me["display_name"] != "Crab" {
			t.Fatalf("native /v1/me: %v", me)
		}

		// transferAgent to a username: unverified again under the new owner.
		s.do("POST", "/api/auth/register", "", map[string]any{"username": "bob", "password": "secure-password"})
		r = s.do("POST", "/api/agents/"+agentID+"/transfer", pat, map[string]any{"newOwner": "bob"})
		mustStatus(t, r, http.StatusOK)
		if r.json(t)["agent"].(map[string]any)["verified"] != false {
			t.Fatalf("transfer: %s", r.body)
		}

		// Max 10 PATs per user.
		for i := 1; i < 10; i++ {
			mustStatus(t, s.do("POST", "/api/auth/tokens", session, map[string]any{"name": "t", "expiresIn": "30d"}), http.StatusCreated)
		}
		r = s.do("POST", "/api/auth/tokens", session, map[string]any{"name": "eleventh", "expiresIn": "never"})
		if r.status != http.StatusConflict || r.errorCode(t) != "token_limit_reached" {
			t.Fatalf("11th token: %d %s", r.status, r.body)
		}
		// DELETE /api/auth/tokens/:id: immediate invalidation.
		mustStatus(t, s.do("DELETE", "/api/auth/tokens/"+created["id"].(string), session, nil), http.StatusNoContent)
		mustStatus(t, s.do("GET", "/api/auth/me", pat, nil), http.StatusUnauthorized)

		// change-password: every other session ends; the answer's token works.
		r = s.do("POST", "/api/auth/change-password", session, map[string]any{"currentPassword": "secure-password", "newPassword": "another-secure-password"})
		mustStatus(t, r, http.StatusOK)
		fresh := r.json(t)["token"].(string)
		mustStatus(t, s.do("GET", "/api/auth/me", login, nil), http.StatusUnauthorized)
		mustStatus(t, s.do("GET", "/api/auth/me", fresh, nil), http.StatusOK)

		// The profile's requests are in the native audit trail.
		r = s.do("GET", "/v1/me/audit-events", fresh, nil)
		for _, ev := range []string{"user.registered", "agent.created", "password.changed"} {
			if !strings.Contains(string(r.body), `"`+ev+`"`) {
				t.Errorf("no %s event: %s", ev, truncateBody(r.body))
			}
		}

		// POST /api/auth/logout revokes; GET /api/auth/logout redirects.
		mustStatus(t, s.do("POST", "/api/auth/logout", fresh, nil), http.StatusNoContent)
		mustStatus(t, s.do("GET", "/api/auth/me", fresh, nil), http.StatusUnauthorized)
		req, _ := http.NewRequest("GET", s.base+"/api/auth/logout", nil)
		if res := s.send(browser(t), req); res.status != http.StatusSeeOther || res.header.Get("Location") == "" {
			t.Fatalf("GET /api/auth/logout: %d %q", res.status, res.header.Get("Location"))
		}

		// DELETE /api/auth/account with { "password": "..." }.
		r = s.do("POST", "/api/auth/login", "", map[string]any{"username": "myuser", "password": "another-secure-password"})
		mustStatus(t, r, http.StatusOK)
		last := r.json(t)["token"].(string)
		mustStatus(t, s.do("DELETE", "/api/auth/account", last, map[string]any{"password": "another-secure-password"}), http.StatusNoContent)
		mustStatus(t, s.do("POST", "/api/auth/login", "", map[string]any{"username": "myuser", "password": "another-secure-password"}), http.StatusUnauthorized)
	})
}

// TestCrustoceanRateLimits: "Rate limited: 10 requests/min per IP" — the native credential
// limit, 429 with Retry-After, on the profile's register, login and agent routes.
func TestCrustoceanRateLimits(t *testing.T) {
	s := start(t, "sqlite://"+t.TempDir()+"/gatehouse.db", func(c *config.Config) {
		withProfiles("cru", "crustocean")(c)
		c.AuthRateLimit, _ = gatehouseRate("2/m")
	})
	for i := 0; i < 2; i++ {
		mustStatus(t, s.do("POST", "/api/auth/agent", "", map[string]any{"agentToken": "sk_nope"}), http.StatusUnauthorized)
	}
	r := s.do("POST", "/api/auth/agent", "", map[string]any{"agentToken": "sk_nope"})
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("third agent exchange: %d %v %s", r.status, r.header, r.body)
	}
}
