package e2e

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/authz"
	"github.com/gatehouse-auth/gatehouse/token"
)

// credential is one real credential of the table and the grant the layer must see in it.
type credential struct {
	name  string
	token string
	grant authz.Grant
}

// TestAuthorizationTable walks every route the server registered (not a hand-picked list)
// with a real credential of every kind, and checks each answer against authz.Decide: a route
// the grant does not satisfy answers 403 with Decide's code; one it satisfies never answers an
// authorization failure. It reproduces the review's attack too: a calls:read PAT creating a
// *:write API key and changing the account's email.
func TestAuthorizationTable(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := startAtOwnURLWith(t, dbURL, withProfiles("", servedProfiles...)) // profile routes too
		ctx := context.Background()
		alice, _ := s.register("alice", goodPassword, "alice@example.com")
		orgID := s.createOrg(alice, "Acme")

		stale := s.login("alice", goodPassword)
		staleSess, _, err := s.m.Store.SessionByTokenHash(ctx, token.Hash(stale))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.m.Store.ReauthenticateSession(ctx, staleSess.ID, time.Now().Add(-time.Hour), []string{"pwd"}); err != nil {
			t.Fatal(err)
		}
		pat := func(scopes ...string) string {
			body := map[string]any{"name": "table " + strings.Join(scopes, ","), "expires_in": "30d"}
			if len(scopes) > 0 {
				body["scopes"] = scopes
			}
			return s.patCreate(alice, body)["token"].(string)
		}
		cli := s.deviceTokens(t, alice, "openid")["access_token"].(string)
		tv := s.createOAuthClient(alice, orgID, map[string]any{
			"name": "TV app", "public": true,
			"grant_types": []string{"urn:ietf:params:oauth:grant-type:device_code"},
			"scopes":      []string{"openid", "profile", "calls:read"},
		})
		app := s.deviceTokensFor(t, alice, tv["client_id"].(string), "openid calls:read")["access_token"].(string)
		backend := s.createOAuthClient(alice, orgID, map[string]any{
			"name": "Backend", "grant_types": []string{"client_credentials"}, "scopes": []string{"calls:read"},
		})
		cc := formWith(t, s, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"calls:read"}},
			backend["client_id"].(string), backend["client_secret"].(string), "")
		mustStatus(t, cc, http.StatusOK)
		agentID, agentToken := s.makeAgent(alice, "helper")
		mustStatus(t, s.do("POST", "/v1/agents/"+agentID+"/verify", alice, nil), http.StatusOK)
		agent := s.agentMustExchange(agentToken)
		key := s.createKey(alice, orgID, map[string]any{"name": "backend", "environment": "live", "scopes": []string{"calls:read", "*:write"}})["key"].(string)

		root, rootID := s.register("root", goodPassword, "root@example.com")
		s.makeAdmin(rootID)
		rootOrg := s.createOrg(root, "Ops")
		verifier := s.createKey(root, rootOrg, map[string]any{"name": "verifier", "environment": "live", "scopes": []string{"gatehouse:verify"}})["key"].(string)

		creds := []credential{
			{"session (recent)", alice, authz.Grant{Kind: authz.KindSession, Recent: true}},
			{"session (not recent)", stale, authz.Grant{Kind: authz.KindSession}},
			{"admin session (recent)", root, authz.Grant{Kind: authz.KindSession, Recent: true, Admin: true}},
			{"pat (no scopes)", pat(), authz.Grant{Kind: authz.KindPAT}},
			{"pat gatehouse:read", pat("gatehouse:read"), authz.Grant{Kind: authz.KindPAT, Limited: true, Scopes: []string{"gatehouse:read"}}},
			{"pat gatehouse:write", pat("gatehouse:write"), authz.Grant{Kind: authz.KindPAT, Limited: true, Scopes: []string{"gatehouse:write"}}},
			{"pat calls:read *:write", pat("calls:read", "*:write"), authz.Grant{Kind: authz.KindPAT, Limited: true, Scopes: []string{"calls:read", "*:write"}}},
			{"cli token", cli, authz.Grant{Kind: authz.KindCLIToken}},
			{"app token", app, authz.Grant{Kind: authz.KindAppToken, Limited: true, Scopes: []string{"openid", "calls:read"}}},
			{"client token", cc.json(t)["access_token"].(string), authz.Grant{Kind: authz.KindClient, Limited: true, Scopes: []string{"calls:read"}}},
			{"agent session", agent, authz.Grant{Kind: authz.KindAgentSession}},
			{"api key", key, authz.Grant{Kind: authz.KindAPIKey, Limited: true, Scopes: []string{"calls:read", "*:write"}}},
			{"api key gatehouse:verify", verifier, authz.Grant{Kind: authz.KindAPIKey, Limited: true, Scopes: []string{"gatehouse:verify"}}},
		}
		// /v1/verify names an OAuth client's tokens by kind, client_id and the client's org.
		for _, c := range []struct {
			name, tok, kind, clientID string
		}{
			{"client_credentials", creds[9].token, "client", backend["client_id"].(string)},
			{"third-party app", app, "access_token", tv["client_id"].(string)},
		} {
			v := s.verifyRaw(verifier, map[string]any{"token": c.tok})
			mustStatus(t, v, http.StatusOK)
			got := v.json(t)
			if got["valid"] != true || got["kind"] != c.kind || got["client_id"] != c.clientID || got["org"] != orgID {
				t.Fatalf("verify of a %s token: %s", c.name, v.body)
			}
		}

		seen := map[authz.Kind]bool{}
		for _, c := range creds {
			seen[c.grant.Kind] = true
		}
		for _, k := range authz.Kinds {
			if !seen[k] {
				t.Fatalf("no credential of kind %s in the table", k)
			}
		}

		routes := s.m.Routes()
		// The routes that delete the account last, DELETE /v1/me the very last: its allowed
		// deletion ends alice's account.
		deletes := func(p string) int {
			switch p {
			case "DELETE /v1/me":
				return 2
			case "DELETE /api/auth/account":
				return 1
			}
			return 0
		}
		sort.SliceStable(routes, func(i, j int) bool { return deletes(routes[i].Pattern) < deletes(routes[j].Pattern) })
		checked := 0
		for _, rt := range routes {
			if rt.Permission == 0 {
				t.Errorf("%s declares no permission", rt.Pattern)
				continue
			}
			if rt.Permission == authz.Public || rt.Permission == authz.Page {
				continue
			}
			method, path, _ := strings.Cut(rt.Pattern, " ")
			path = strings.NewReplacer("{org}", orgID, "{id}", "nope_00000000000000000000000000", "{user}", "usr_00000000000000000000000000", "{client_id}", "cli_00000000000000000000000000").Replace(path)
			order := creds
			if deletes(rt.Pattern) > 0 { // the recent session, which may delete, goes last
				order = append(append([]credential{}, creds[1:]...), creds[0])
			}
			for _, c := range order {
				want := authz.Outcome(authz.Decide(c.grant, rt.Permission))
				if want == "ok" && rt.Permission == authz.SensitivePassword && !strings.HasPrefix(path, "/v1/auth/reauth") {
					// The body carries no current password: only a recent session passes.
					want = authz.Outcome(authz.RequireRecent(c.grant, false))
				}
				if deletes(rt.Pattern) > 0 && want == "ok" && (c.name != "session (recent)" || rt.Pattern != "DELETE /v1/me") {
					continue // one allowed deletion is enough (alice's recent session, the very last request)
				}
				checked++
				t.Run(rt.Pattern+"/"+c.name, func(t *testing.T) {
					r := s.do(method, path, c.token, map[string]any{})
					code := ""
					if r.status >= 400 && len(r.body) > 0 && r.body[0] == '{' {
						code = r.errorCode(t)
					}
					if want == "ok" {
						if r.status == http.StatusUnauthorized || code == "insufficient_permissions" || code == "reauth_required" {
							t.Fatalf("%s with %s: status %d %s, want it authorized: %s", rt.Pattern, c.name, r.status, code, r.body)
						}
						return
					}
					if r.status != http.StatusForbidden || code != want {
						t.Fatalf("%s with %s: status %d %q, want 403 %s: %s", rt.Pattern, c.name, r.status, code, want, r.body)
					}
				})
			}
		}
		if checked < 400 {
			t.Fatalf("only %d route × credential pairs checked", checked)
		}
	})
}

// TestScopedPATCannotTakeOverTheAccount is the review's attack: a PAT scoped to calls:read
// created a never-expiring *:write API key and changed the account's email (so that the reset
// link went to the attacker). Both must be refused, and nothing changed.
func TestScopedPATCannotTakeOverTheAccount(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		alice, _ := s.register("alice", goodPassword, "alice@example.com")
		orgID := s.createOrg(alice, "Acme")
		leaked := s.patCreate(alice, map[string]any{"name": "calls", "expires_in": "30d", "scopes": []string{"calls:read"}})["token"].(string)

		r := s.do("POST", "/v1/orgs/"+orgID+"/api-keys", leaked, map[string]any{"name": "mine", "environment": "live", "scopes": []string{"*:write"}})
		if r.status != http.StatusForbidden || r.errorCode(t) != "insufficient_permissions" {
			t.Fatalf("a calls:read PAT created an API key: %d %s", r.status, r.body)
		}
		r = s.do("PATCH", "/v1/me", leaked, map[string]any{"email": "attacker@example.net"})
		if r.status != http.StatusForbidden || r.errorCode(t) != "insufficient_permissions" {
			t.Fatalf("a calls:read PAT changed the email: %d %s", r.status, r.body)
		}
		r = s.do("PATCH", "/v1/me", s.patCreate(alice, map[string]any{"name": "all", "expires_in": "30d"})["token"].(string), map[string]any{"email": "attacker@example.net"})
		if r.status != http.StatusForbidden || r.errorCode(t) != "reauth_required" {
			t.Fatalf("an unscoped PAT changed the email: %d %s", r.status, r.body)
		}
		keys := s.do("GET", "/v1/orgs/"+orgID+"/api-keys", alice, nil)
		mustStatus(t, keys, http.StatusOK)
		if strings.Contains(string(keys.body), `"mine"`) {
			t.Fatalf("the key exists: %s", keys.body)
		}
		if me := s.me(alice); me["email"] != "alice@example.com" {
			t.Fatalf("email is now %v", me["email"])
		}
	})
}

// login signs in with a password and returns the session token.
func (s *server) login(username, password string) string {
	s.t.Helper()
	r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": username, "password": password})
	mustStatus(s.t, r, http.StatusOK)
	return r.json(s.t)["token"].(string)
}
