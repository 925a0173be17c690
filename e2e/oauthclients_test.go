package e2e

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
)

// createOAuthClient registers an OAuth client as the holder of tok and returns the answer.
func (s *server) createOAuthClient(tok, orgID string, body map[string]any) map[string]any {
	s.t.Helper()
	r := s.do("POST", "/v1/orgs/"+orgID+"/oauth-clients", tok, body)
	mustStatus(s.t, r, http.StatusCreated)
	return r.json(s.t)
}

// mustAuthenticateClient fails unless the service accepts (ok) or refuses (!ok, with the generic
// invalid_credentials error) the client's secret.
func (s *server) mustAuthenticateClient(t *testing.T, id, secret string, ok bool) {
	t.Helper()
	c, err := s.m.Auth.OAuthClients.Authenticate(context.Background(), id, secret)
	if ok {
		if err != nil || c.ID != id {
			t.Fatalf("AuthenticateOAuthClient(%s) = %v, %v; want the client", id, c, err)
		}
		return
	}
	if gatehouse.ErrorCode(err) != gatehouse.CodeInvalidCredentials || c != nil {
		t.Fatalf("AuthenticateOAuthClient(%s) = %v, %v; want invalid_credentials", id, c, err)
	}
}

func TestOAuthClients(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		alice, aliceID := s.register("alice", goodPassword, "")
		bob, _ := s.register("bob", goodPassword, "")
		carol, carolID := s.register("carol", goodPassword, "")
		mallory, _ := s.register("mallory", goodPassword, "")
		orgID := s.createOrg(alice, "Acme")
		mustStatus(t, s.do("POST", "/v1/orgs/"+orgID+"/members", alice, map[string]any{"username": "bob", "role": "member"}), http.StatusCreated)
		mustStatus(t, s.do("POST", "/v1/orgs/"+orgID+"/members", alice, map[string]any{"username": "carol", "role": "admin"}), http.StatusCreated)
		base := "/v1/orgs/" + orgID + "/oauth-clients"
		var secrets []string // every secret shown, to look for in lists, audit events and logs

		web := s.createOAuthClient(alice, orgID, map[string]any{
			"name": "Web app", "redirect_uris": []string{"https://app.example.com/callback", "http://127.0.0.1:8080/cb"},
			"grant_types": []string{"authorization_code", "refresh_token"}, "scopes": []string{"openid", "profile", "offline_access", "calls:read"},
		})
		webID, webSecret := web["client_id"].(string), web["client_secret"].(string)
		secrets = append(secrets, webSecret)

		t.Run("confidential client", func(t *testing.T) {
			if !regexp.MustCompile(`^cli_`).MatchString(webID) || !regexp.MustCompile(`^gth_cs_[0-9A-Za-z]{38}$`).MatchString(webSecret) {
				t.Fatalf("client_id %q, secret %q", webID, webSecret)
			}
			if web["public"] != false || web["name"] != "Web app" || web["created_at"] == nil ||
				canonical(t, web["redirect_uris"]) != `["https://app.example.com/callback","http://127.0.0.1:8080/cb"]` ||
				canonical(t, web["grant_types"]) != `["authorization_code","refresh_token"]` ||
				canonical(t, web["scopes"]) != `["openid","profile","offline_access","calls:read"]` {
				t.Fatalf("created client %v", web)
			}
			s.mustAuthenticateClient(t, webID, webSecret, true)
		})

		t.Run("public client", func(t *testing.T) {
			// A carol (admin) registers a native app with a custom scheme and a loopback redirect.
			pub := s.createOAuthClient(carol, orgID, map[string]any{
				"name": "Desktop", "public": true, "redirect_uris": []string{"com.example.desktop:/callback", "http://[::1]/cb"},
				"grant_types": []string{"authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"},
				"scopes":      []string{"openid", "email"},
			})
			if _, ok := pub["client_secret"]; ok || pub["public"] != true || pub["created_by"] != carolID {
				t.Fatalf("public client %v", pub)
			}
			// Public clients have no secret to authenticate with or rotate.
			s.mustAuthenticateClient(t, pub["client_id"].(string), webSecret, false)
			mustError(t, s.do("POST", base+"/"+pub["client_id"].(string)+"/rotate-secret", alice, nil), 400, "invalid_request")
			// Custom schemes are for public clients only.
			mustError(t, s.do("POST", base, alice, map[string]any{
				"name": "x", "redirect_uris": []string{"com.example.desktop:/callback"}, "grant_types": []string{"authorization_code"}, "scopes": []string{"openid"},
			}), 400, "invalid_request")
		})

		t.Run("secret shown once", func(t *testing.T) {
			r := s.do("GET", base, alice, nil)
			mustStatus(t, r, http.StatusOK)
			data := r.json(t)["data"].([]any)
			if len(data) != 2 {
				t.Fatalf("%d clients listed, want 2", len(data))
			}
			for _, c := range data {
				c := c.(map[string]any)
				if _, ok := c["client_secret"]; ok {
					t.Fatalf("list item has a secret: %v", c)
				}
				for _, f := range []string{"client_id", "name", "public", "redirect_uris", "grant_types", "scopes", "created_at"} {
					if _, ok := c[f]; !ok {
						t.Fatalf("list item lacks %s: %v", f, c)
					}
				}
			}
			g := s.do("GET", base+"/"+webID, alice, nil)
			mustStatus(t, g, http.StatusOK)
			if got := g.json(t); got["client_id"] != webID || got["created_by"] != aliceID {
				t.Fatalf("get %v", got)
			} else if _, ok := got["client_secret"]; ok {
				t.Fatalf("get shows a secret: %v", got)
			}
			for _, sec := range secrets {
				if contains(r.body, sec) || contains(r.body, sec[len("gth_cs_"):]) || contains(g.body, sec) {
					t.Fatal("a secret is shown after creation")
				}
			}
		})

		t.Run("validation", func(t *testing.T) {
			body := func(change func(map[string]any)) map[string]any {
				b := map[string]any{
					"name": "c", "redirect_uris": []string{"https://app.example.com/cb"},
					"grant_types": []string{"authorization_code"}, "scopes": []string{"openid"},
				}
				change(b)
				return b
			}
			cases := []struct {
				name string
				body map[string]any
			}{
				{"no name", body(func(b map[string]any) { delete(b, "name") })},
				{"name too long", body(func(b map[string]any) { b["name"] = strings.Repeat("n", 65) })},
				{"relative redirect URI", body(func(b map[string]any) { b["redirect_uris"] = []string{"/callback"} })},
				{"fragment", body(func(b map[string]any) { b["redirect_uris"] = []string{"https://app.example.com/cb#frag"} })},
				{"http on a non-loopback host", body(func(b map[string]any) { b["redirect_uris"] = []string{"http://app.example.com/cb"} })},
				{"no redirect URI with authorization_code", body(func(b map[string]any) { delete(b, "redirect_uris") })},
				{"21 redirect URIs", body(func(b map[string]any) { b["redirect_uris"] = slices.Repeat([]string{"https://a.example/cb"}, 21) })},
				{"implicit grant", body(func(b map[string]any) { b["grant_types"] = []string{"implicit"} })},
				{"password grant", body(func(b map[string]any) { b["grant_types"] = []string{"password"} })},
				{"no grant types", body(func(b map[string]any) { b["grant_types"] = []string{} })},
				{"refresh_token alone", body(func(b map[string]any) { b["grant_types"] = []string{"refresh_token"} })},
				{"public with client_credentials", map[string]any{"name": "c", "public": true, "grant_types": []string{"client_credentials"}, "scopes": []string{"calls:read"}}},
				{"unknown scope", body(func(b map[string]any) { b["scopes"] = []string{"openid", "admin"} })},
				{"unknown resource", body(func(b map[string]any) { b["scopes"] = []string{"billing:read"} })},
				{"reserved scope", body(func(b map[string]any) { b["scopes"] = []string{"gatehouse:verify"} })},
				{"unknown field", body(func(b map[string]any) { b["client_secret"] = "mine" })},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					mustError(t, s.do("POST", base, alice, c.body), 400, "invalid_request")
				})
			}
			r := s.do("POST", base, alice, body(func(b map[string]any) { b["grant_types"] = []string{"implicit"} }))
			if !contains(r.body, "implicit grant is not supported") {
				t.Fatalf("implicit refusal is not clear: %s", r.body)
			}
		})

		t.Run("permissions", func(t *testing.T) {
			svc := map[string]any{"name": "svc", "grant_types": []string{"client_credentials"}, "scopes": []string{"calls:read"}}
			// A member: 403 everywhere; someone outside the organization: 404.
			for who, want := range map[string]struct {
				tok    string
				status int
				code   string
			}{"member": {bob, 403, "insufficient_permissions"}, "non-member": {mallory, 404, "not_found"}} {
				t.Run(who, func(t *testing.T) {
					mustError(t, s.do("POST", base, want.tok, svc), want.status, want.code)
					mustError(t, s.do("GET", base, want.tok, nil), want.status, want.code)
					mustError(t, s.do("GET", base+"/"+webID, want.tok, nil), want.status, want.code)
					mustError(t, s.do("DELETE", base+"/"+webID, want.tok, nil), want.status, want.code)
					mustError(t, s.do("POST", base+"/"+webID+"/rotate-secret", want.tok, nil), want.status, want.code)
				})
			}
			// Another organization's client is not found through this one.
			other := s.createOrg(mallory, "Other")
			mustError(t, s.do("GET", "/v1/orgs/"+other+"/oauth-clients/"+webID, mallory, nil), 404, "not_found")
			mustError(t, s.do("DELETE", "/v1/orgs/"+other+"/oauth-clients/"+webID, mallory, nil), 404, "not_found")
			mustError(t, s.do("POST", "/v1/orgs/"+other+"/oauth-clients/"+webID+"/rotate-secret", mallory, nil), 404, "not_found")
			mustError(t, s.do("GET", base, "", nil), 401, "invalid_token")
			s.mustAuthenticateClient(t, webID, webSecret, true)
		})

		t.Run("rotate secret", func(t *testing.T) {
			svc := s.createOAuthClient(alice, orgID, map[string]any{"name": "svc", "grant_types": []string{"client_credentials"}, "scopes": []string{"calls:read", "calls:write"}})
			id, old := svc["client_id"].(string), svc["client_secret"].(string)
			secrets = append(secrets, old)
			s.mustAuthenticateClient(t, id, old, true)
			r := s.do("POST", base+"/"+id+"/rotate-secret", carol, nil)
			mustStatus(t, r, http.StatusOK)
			rot := r.json(t)
			fresh, _ := rot["client_secret"].(string)
			secrets = append(secrets, fresh)
			if rot["client_id"] != id || fresh == old || !regexp.MustCompile(`^gth_cs_[0-9A-Za-z]{38}$`).MatchString(fresh) {
				t.Fatalf("rotation answer %v", rot)
			}
			s.mustAuthenticateClient(t, id, old, false)
			s.mustAuthenticateClient(t, id, fresh, true)
			// A secret of one client does not authenticate another.
			s.mustAuthenticateClient(t, webID, fresh, false)
			if g := s.do("GET", base+"/"+id, alice, nil); contains(g.body, fresh) {
				t.Fatal("get shows the rotated secret")
			}
		})

		t.Run("delete", func(t *testing.T) {
			c := s.createOAuthClient(alice, orgID, map[string]any{"name": "doomed", "grant_types": []string{"client_credentials"}, "scopes": []string{"calls:read"}})
			id, sec := c["client_id"].(string), c["client_secret"].(string)
			secrets = append(secrets, sec)
			// An access token issued before the deletion is refused from the next request on.
			root, rootID := s.register("root", goodPassword, "")
			s.patPromote(rootID)
			r := formWith(t, s, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"calls:read"}}, id, sec, "")
			mustStatus(t, r, http.StatusOK)
			access, _ := r.json(t)["access_token"].(string)
			verified := func() any {
				r := s.verifyRaw(root, map[string]any{"token": access, "scopes": []string{"calls:read"}})
				mustStatus(t, r, http.StatusOK)
				v := r.json(t)
				if v["valid"] != true && v["code"] != "invalid_token" {
					t.Fatalf("verify answer %v", v)
				}
				return v["valid"]
			}
			if verified() != true {
				t.Fatal("the client's access token is not valid before the deletion")
			}
			mustStatus(t, s.do("DELETE", base+"/"+id, alice, nil), http.StatusNoContent)
			if verified() != false {
				t.Fatal("an access token of a deleted client is still valid")
			}
			s.mustAuthenticateClient(t, id, sec, false)
			mustError(t, s.do("GET", base+"/"+id, alice, nil), 404, "not_found")
			mustError(t, s.do("DELETE", base+"/"+id, alice, nil), 404, "not_found")
			mustError(t, s.do("POST", base+"/"+id+"/rotate-secret", alice, nil), 404, "not_found")
			if _, err := s.m.Auth.OAuthClients.Lookup(context.Background(), id); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
				t.Fatalf("OAuthClient of a deleted client: %v", err)
			}
		})

		t.Run("built-in client", func(t *testing.T) {
			c, err := s.m.Auth.OAuthClients.Lookup(context.Background(), gatehouse.BuiltInCLIClientID)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Public || c.OrgID != "" || len(c.RedirectURIs) != 0 ||
				!slices.Equal(c.Scopes, []string{"openid", "profile", "email", "offline_access"}) ||
				!slices.Equal(c.GrantTypes, []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"}) {
				t.Fatalf("built-in client %+v", c)
			}
			cli := "/" + gatehouse.BuiltInCLIClientID
			mustError(t, s.do("DELETE", base+cli, alice, nil), 404, "not_found")
			mustError(t, s.do("GET", base+cli, alice, nil), 404, "not_found")
			mustError(t, s.do("POST", base+cli+"/rotate-secret", alice, nil), 404, "not_found")
			if r := s.do("GET", base, alice, nil); contains(r.body, gatehouse.BuiltInCLIClientID) {
				t.Fatalf("the built-in client is listed in an organization: %s", r.body)
			}
			if _, err := s.m.Auth.OAuthClients.Lookup(context.Background(), gatehouse.BuiltInCLIClientID); err != nil {
				t.Fatalf("built-in client gone after a delete attempt: %v", err)
			}
			s.mustAuthenticateClient(t, gatehouse.BuiltInCLIClientID, webSecret, false)
			// A registered client can never take the built-in ID: client IDs are generated.
			r := s.createOAuthClient(alice, orgID, map[string]any{"name": "gatehouse-cli", "public": true, "grant_types": []string{"urn:ietf:params:oauth:grant-type:device_code"}, "scopes": []string{"openid"}})
			if r["client_id"] == gatehouse.BuiltInCLIClientID {
				t.Fatal("a registered client took the built-in ID")
			}
		})

		t.Run("audit events", func(t *testing.T) {
			for _, typ := range []string{"oauth_client.created", "oauth_client.deleted", "oauth_client.secret_rotated"} {
				r := s.do("GET", "/v1/orgs/"+orgID+"/audit-events?type="+typ, alice, nil)
				mustStatus(t, r, http.StatusOK)
				events := auditEvents(t, r)
				if len(events) == 0 {
					t.Fatalf("no %s event", typ)
				}
				for _, e := range events {
					if e["type"] != typ || e["org_id"] != orgID || e["subject_id"] == "" {
						t.Fatalf("event %v", e)
					}
				}
			}
			r := s.do("GET", "/v1/orgs/"+orgID+"/audit-events?limit=200", alice, nil)
			for _, sec := range secrets {
				if contains(r.body, sec) || contains(r.body, sec[len("gth_cs_"):]) {
					t.Fatal("an audit event holds a client secret")
				}
			}
		})

		t.Run("secrets never in the logs", func(t *testing.T) {
			logs := []byte(s.logText())
			if len(secrets) < 4 {
				t.Fatalf("only %d secrets collected", len(secrets))
			}
			for _, sec := range secrets {
				if contains(logs, sec) || contains(logs, sec[len("gth_cs_"):]) {
					t.Fatal("a client secret appears in the server's log")
				}
			}
		})
	})
}
