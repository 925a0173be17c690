package e2e

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
)

// createKey creates an API key as the holder of tok and returns the answer's fields.
func (s *server) createKey(tok, orgID string, body map[string]any) map[string]any {
	s.t.Helper()
	r := s.do("POST", "/v1/orgs/"+orgID+"/api-keys", tok, body)
	mustStatus(s.t, r, http.StatusCreated)
	return r.json(s.t)
}

// verify asks POST /v1/verify about tok as caller and returns the 200 answer.
func (s *server) verify(caller, tok, ip string, scopes ...string) map[string]any {
	s.t.Helper()
	body := map[string]any{"token": tok}
	if ip != "" {
		body["ip"] = ip
	}
	if len(scopes) > 0 {
		body["scopes"] = scopes
	}
	r := s.do("POST", "/v1/verify", caller, body)
	mustStatus(s.t, r, http.StatusOK)
	return r.json(s.t)
}

// mustValid fails unless a verify answer is valid; mustInvalid unless it fails with code.
func mustValid(t *testing.T, v map[string]any) {
	t.Helper()
	if v["valid"] != true {
		t.Fatalf("not valid: %v", v)
	}
}

func mustInvalid(t *testing.T, v map[string]any, code string) {
	t.Helper()
	if v["valid"] != false || v["code"] != code {
		t.Fatalf("answer %v, want valid false with code %s", v, code)
	}
}

// keyWithCharChanged returns key with the character at i replaced by another base62 character.
func keyWithCharChanged(key string, i int) string {
	c := byte('A')
	if key[i] == 'A' {
		c = 'B'
	}
	return key[:i] + string(c) + key[i+1:]
}

func TestAPIKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		alice, aliceID := s.register("alice", goodPassword, "")
		bob, _ := s.register("bob", goodPassword, "")
		root, rootID := s.register("root", goodPassword, "")
		s.makeAdmin(rootID)
		orgID := s.createOrg(alice, "Acme")
		var secrets []string // every key shown, to look for in the logs at the end

		live := s.createKey(alice, orgID, map[string]any{"name": "backend", "scopes": []string{"calls:read", "*:write"}, "environment": "live"})
		liveKey := live["key"].(string)
		secrets = append(secrets, liveKey)

		t.Run("created and shown once", func(t *testing.T) {
			if !regexp.MustCompile(`^gth_sk_live_[0-9A-Za-z]{38}$`).MatchString(liveKey) {
				t.Fatalf("key %q does not have the documented format", liveKey)
			}
			id := live["id"].(string)
			if id[:4] != "key_" || live["environment"] != "live" || live["created_by"] != aliceID || live["prefix"] == "" {
				t.Fatalf("created key %v", live)
			}
			test := s.createKey(alice, orgID, map[string]any{"name": "staging", "scopes": []string{"calls:read"}, "environment": "test"})
			secrets = append(secrets, test["key"].(string))
			if !regexp.MustCompile(`^gth_sk_test_[0-9A-Za-z]{38}$`).MatchString(test["key"].(string)) {
				t.Fatalf("test key %q", test["key"])
			}
			r := s.do("GET", "/v1/orgs/"+orgID+"/api-keys", alice, nil)
			mustStatus(t, r, http.StatusOK)
			for _, sec := range secrets {
				if contains(r.body, sec) {
					t.Fatal("the list shows a key")
				}
			}
			data := r.json(t)["data"].([]any)
			if len(data) != 2 {
				t.Fatalf("%d keys listed, want 2", len(data))
			}
			for _, k := range data {
				k := k.(map[string]any)
				if _, ok := k["key"]; ok {
					t.Fatalf("list item has a key field: %v", k)
				}
				for _, f := range []string{"id", "name", "prefix", "environment", "scopes", "allowed_cidrs", "rate_limit", "created_at", "expires_at", "last_used_at", "last_used_ip", "created_by"} {
					if _, ok := k[f]; !ok {
						t.Fatalf("list item lacks %s: %v", f, k)
					}
				}
			}
			v := s.verify(root, test["key"].(string), "")
			mustValid(t, v)
			if v["environment"] != "test" || v["kind"] != "api_key" || v["org"] != orgID {
				t.Fatalf("verify answer %v", v)
			}
		})

		t.Run("validation", func(t *testing.T) {
			past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
			base := func(change func(map[string]any)) map[string]any {
				b := map[string]any{"name": "k", "scopes": []string{"calls:read"}, "environment": "live"}
				change(b)
				return b
			}
			cases := []struct {
				name   string
				body   map[string]any
				status int
				code   string
			}{
				{"no name", base(func(b map[string]any) { delete(b, "name") }), 400, "invalid_request"},
				{"no scopes", base(func(b map[string]any) { delete(b, "scopes") }), 400, "invalid_request"},
				{"scope without action", base(func(b map[string]any) { b["scopes"] = []string{"calls"} }), 400, "invalid_request"},
				{"unknown action", base(func(b map[string]any) { b["scopes"] = []string{"calls:delete"} }), 400, "invalid_request"},
				{"unknown resource", base(func(b map[string]any) { b["scopes"] = []string{"billing:read"} }), 400, "invalid_request"},
				{"reserved scope by a non-admin", base(func(b map[string]any) { b["scopes"] = []string{"gatehouse:verify"} }), 403, "insufficient_permissions"},
				{"bad environment", base(func(b map[string]any) { b["environment"] = "prod" }), 400, "invalid_request"},
				{"no environment", base(func(b map[string]any) { delete(b, "environment") }), 400, "invalid_request"},
				{"bad prefix length", base(func(b map[string]any) { b["allowed_cidrs"] = []string{"10.0.0.0/33"} }), 400, "invalid_request"},
				{"not an address", base(func(b map[string]any) { b["allowed_cidrs"] = []string{"localhost"} }), 400, "invalid_request"},
				{"bad IPv6", base(func(b map[string]any) { b["allowed_cidrs"] = []string{"2001:db8::/129"} }), 400, "invalid_request"},
				{"expiry in the past", base(func(b map[string]any) { b["expires_at"] = past }), 400, "invalid_request"},
				{"expiry not RFC 3339", base(func(b map[string]any) { b["expires_at"] = "tomorrow" }), 400, "invalid_request"},
				{"bad rate limit", base(func(b map[string]any) { b["rate_limit"] = "fast" }), 400, "invalid_request"},
				{"unknown field", base(func(b map[string]any) { b["key"] = "mine" }), 400, "invalid_request"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/api-keys", alice, c.body), c.status, c.code)
				})
			}
		})

		t.Run("verify and a changed character", func(t *testing.T) {
			v := s.verify(root, liveKey, "", "calls:read", "agents:write")
			mustValid(t, v)
			if v["kind"] != "api_key" || v["org"] != orgID || v["environment"] != "live" {
				t.Fatalf("verify answer %v", v)
			}
			mustInvalid(t, s.verify(root, liveKey, "", "agents:read"), "insufficient_permissions")
			for _, i := range []int{len("gth_sk_live_"), len("gth_sk_live_") + 20, len(liveKey) - 1} {
				mustInvalid(t, s.verify(root, keyWithCharChanged(liveKey, i), ""), "invalid_api_key")
			}
			// Well-formed keys that were never issued (a fresh one; the live key relabelled as a
			// test key, which keeps a valid checksum) reach the database and fail there.
			fresh, _ := token.Generator{Brand: "gth"}.New(token.KindAPIKeyLive)
			mustInvalid(t, s.verify(root, fresh, ""), "invalid_api_key")
			relabelled := "gth_sk_test_" + liveKey[len("gth_sk_live_"):]
			mustInvalid(t, s.verify(root, relabelled, ""), "invalid_api_key")
			mustInvalid(t, s.verify(root, "gth_sk_live_short", ""), "invalid_api_key")
			// An API key is valid but acts for an organization only through /v1/verify: nothing
			// else of Gatehouse's own API (the authorization table).
			mustError(t, s.do("GET", "/v1/orgs/"+orgID+"/api-keys", liveKey, nil), 403, "insufficient_permissions")
			mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/api-keys", liveKey, map[string]any{"name": "k", "scopes": []string{"calls:read"}, "environment": "live"}), 403, "insufficient_permissions")
		})

		t.Run("allowed CIDRs", func(t *testing.T) {
			k := s.createKey(alice, orgID, map[string]any{
				"name": "office", "scopes": []string{"calls:read"}, "environment": "live",
				"allowed_cidrs": []string{"10.1.0.0/16", "2001:db8::/32", "192.0.2.7", "2001:db8:ffff::1:2"},
			})
			key := k["key"].(string)
			secrets = append(secrets, key)
			if got := canonical(t, k["allowed_cidrs"]); got != `["10.1.0.0/16","2001:db8::/32","192.0.2.7/32","2001:db8:ffff::1:2/128"]` {
				t.Fatalf("allowed_cidrs %s", got)
			}
			cases := []struct {
				ip   string
				code string // "" for valid
			}{
				{"10.1.2.3", ""},
				{"10.2.0.1", "ip_not_allowed"},
				{"192.0.2.7", ""},
				{"192.0.2.8", "ip_not_allowed"},
				{"2001:db8::1", ""},
				{"2001:db9::1", "ip_not_allowed"},
				{"::ffff:10.1.9.9", ""}, // IPv4-mapped: the IPv4 address counts
				{"", "ip_not_allowed"},  // no address: fail closed
			}
			for _, c := range cases {
				t.Run("ip "+c.ip, func(t *testing.T) {
					v := s.verify(root, key, c.ip)
					if c.code == "" {
						mustValid(t, v)
					} else {
						mustInvalid(t, v, c.code)
					}
				})
			}
			// The last use is kept (batched: flush now instead of waiting for the interval).
			mustValid(t, s.verify(root, key, "10.1.2.3"))
			if err := s.m.Auth.Sessions.FlushUsage(context.Background()); err != nil {
				t.Fatal(err)
			}
			r := s.do("GET", "/v1/orgs/"+orgID+"/api-keys", alice, nil)
			mustStatus(t, r, http.StatusOK)
			for _, x := range r.json(t)["data"].([]any) {
				x := x.(map[string]any)
				if x["id"] == k["id"] && (x["last_used_ip"] != "10.1.2.3" || x["last_used_at"] == nil) {
					t.Fatalf("last use not recorded: %v", x)
				}
			}
		})

		t.Run("revoke", func(t *testing.T) {
			k := s.createKey(alice, orgID, map[string]any{"name": "doomed", "scopes": []string{"calls:read"}, "environment": "live"})
			key, id := k["key"].(string), k["id"].(string)
			secrets = append(secrets, key)
			mustValid(t, s.verify(root, key, ""))
			otherOrg := s.createOrg(bob, "Other")
			mustError(t, s.do("DELETE", "/v1/orgs/"+otherOrg+"/api-keys/"+id, bob, nil), 404, "not_found")
			mustError(t, s.do("DELETE", "/v1/orgs/"+orgID+"/api-keys/"+id, bob, nil), 404, "not_found")
			mustStatus(t, s.do("DELETE", "/v1/orgs/"+orgID+"/api-keys/"+id, alice, nil), http.StatusNoContent)
			mustInvalid(t, s.verify(root, key, ""), "invalid_api_key")
			mustError(t, s.do("DELETE", "/v1/orgs/"+orgID+"/api-keys/"+id, alice, nil), 404, "not_found")
			r := s.do("GET", "/v1/orgs/"+orgID+"/api-keys", alice, nil)
			if contains(r.body, id) {
				t.Fatal("a revoked key is still listed")
			}
		})

		t.Run("rotation overlap", func(t *testing.T) {
			k := s.createKey(alice, orgID, map[string]any{
				"name": "rotating", "scopes": []string{"calls:read"}, "environment": "live", "allowed_cidrs": []string{"10.0.0.0/8"},
			})
			oldKey, oldID := k["key"].(string), k["id"].(string)
			secrets = append(secrets, oldKey)
			for _, bad := range []string{"8d", "-1h", "soon", "200h"} {
				mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/api-keys/"+oldID+"/rotate", alice, map[string]string{"overlap": bad}), 400, "invalid_request")
			}
			mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/api-keys/"+oldID+"/rotate", bob, map[string]string{"overlap": "1h"}), 404, "not_found")
			before := time.Now()
			r := s.do("POST", "/v1/orgs/"+orgID+"/api-keys/"+oldID+"/rotate", alice, map[string]string{"overlap": "1h"})
			mustStatus(t, r, http.StatusCreated)
			rot := r.json(t)
			newKey, newID := rot["key"].(string), rot["id"].(string)
			secrets = append(secrets, newKey)
			if newKey == oldKey || newID == oldID || rot["replaces"] != oldID || canonical(t, rot["allowed_cidrs"]) != `["10.0.0.0/8"]` || rot["name"] != "rotating" {
				t.Fatalf("rotation answer %v", rot)
			}
			end, err := time.Parse(time.RFC3339, rot["replaces_expires_at"].(string))
			if err != nil || end.Before(before.Add(59*time.Minute)) || end.After(time.Now().Add(61*time.Minute)) {
				t.Fatalf("replaces_expires_at %v, want about an hour from now", rot["replaces_expires_at"])
			}
			// During the overlap both keys work.
			mustValid(t, s.verify(root, oldKey, "10.0.0.1"))
			mustValid(t, s.verify(root, newKey, "10.0.0.1"))
			// A rotated key cannot be rotated twice.
			mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/api-keys/"+oldID+"/rotate", alice, nil), 409, "conflict")
			// End the overlap as time would: the store sets the old key's expiry in the past.
			endOverlap(t, s, orgID, oldID)
			mustInvalid(t, s.verify(root, oldKey, "10.0.0.1"), "expired_api_key")
			mustValid(t, s.verify(root, newKey, "10.0.0.1"))

			// Without an overlap given, the old key works for 24 hours.
			r = s.do("POST", "/v1/orgs/"+orgID+"/api-keys/"+newID+"/rotate", alice, nil)
			mustStatus(t, r, http.StatusCreated)
			rot = r.json(t)
			secrets = append(secrets, rot["key"].(string))
			end, _ = time.Parse(time.RFC3339, rot["replaces_expires_at"].(string))
			if end.Before(before.Add(23*time.Hour)) || end.After(time.Now().Add(25*time.Hour)) {
				t.Fatalf("default overlap ends %v", end)
			}
			// overlap 0 ends the old key at once.
			r = s.do("POST", "/v1/orgs/"+orgID+"/api-keys/"+rot["id"].(string)+"/rotate", alice, map[string]string{"overlap": "0s"})
			mustStatus(t, r, http.StatusCreated)
			secrets = append(secrets, r.json(t)["key"].(string))
			mustInvalid(t, s.verify(root, rot["key"].(string), "10.0.0.1"), "expired_api_key")
			mustValid(t, s.verify(root, r.json(t)["key"].(string), "10.0.0.1"))
		})

		t.Run("only admins grant gatehouse:verify", func(t *testing.T) {
			mustError(t, s.do("POST", "/v1/orgs/"+orgID+"/api-keys", alice, map[string]any{"name": "v", "scopes": []string{"gatehouse:verify"}, "environment": "live"}), 403, "insufficient_permissions")
			platform := s.createOrg(root, "Platform")
			k := s.createKey(root, platform, map[string]any{"name": "verifier", "scopes": []string{"gatehouse:verify", "calls:read"}, "environment": "live", "rate_limit": "2/m"})
			verifier := k["key"].(string)
			secrets = append(secrets, verifier)
			if k["rate_limit"] != "2/m" {
				t.Fatalf("rate_limit %v", k["rate_limit"])
			}
			// The key itself may now ask /v1/verify.
			mustValid(t, s.verify(verifier, liveKey, ""))
			mustInvalid(t, s.verify(verifier, keyWithCharChanged(liveKey, len(liveKey)-2), ""), "invalid_api_key")
			// A key without the reserved scope may not.
			mustStatus(t, s.do("POST", "/v1/verify", liveKey, map[string]any{"token": liveKey}), http.StatusForbidden)
			// The verifier's own rate limit: its third call within the minute is refused.
			r := s.do("POST", "/v1/verify", verifier, map[string]any{"token": liveKey})
			mustError(t, r, http.StatusTooManyRequests, "rate_limited")
			if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 {
				t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
			}
		})

		t.Run("per-key rate limit", func(t *testing.T) {
			k := s.createKey(alice, orgID, map[string]any{"name": "limited", "scopes": []string{"calls:read"}, "environment": "live", "rate_limit": "2/h"})
			key := k["key"].(string)
			secrets = append(secrets, key)
			mustValid(t, s.verify(root, key, ""))
			mustValid(t, s.verify(root, key, ""))
			v := s.verify(root, key, "")
			mustInvalid(t, v, "rate_limited")
			if n, _ := v["retry_after"].(float64); n < 1 {
				t.Fatalf("retry_after %v", v["retry_after"])
			}
			// Other keys are not affected.
			mustValid(t, s.verify(root, liveKey, ""))
		})

		t.Run("audit events", func(t *testing.T) {
			for _, typ := range []string{"api_key.created", "api_key.revoked", "api_key.rotated"} {
				r := s.do("GET", "/v1/orgs/"+orgID+"/audit-events?type="+typ, alice, nil)
				mustStatus(t, r, http.StatusOK)
				events := auditEvents(t, r)
				if len(events) == 0 {
					t.Fatalf("no %s event", typ)
				}
				for _, e := range events {
					if e["type"] != typ || e["org_id"] != orgID || e["actor_id"] != aliceID {
						t.Fatalf("event %v", e)
					}
				}
			}
			for _, sec := range secrets {
				if r := s.do("GET", "/v1/orgs/"+orgID+"/audit-events?limit=200", alice, nil); contains(r.body, sec) {
					t.Fatal("an audit event holds a key")
				}
			}
		})

		t.Run("keys never in the logs", func(t *testing.T) {
			logs := s.logText()
			if len(secrets) < 8 {
				t.Fatalf("only %d keys collected", len(secrets))
			}
			for _, sec := range secrets {
				if contains([]byte(logs), sec) || contains([]byte(logs), sec[len(sec)-38:]) {
					t.Fatal("a key appears in the server's log")
				}
			}
		})
	})
}

// endOverlap ends a rotated key's overlap now through the store: a rotation of the old key to a
// throw-away successor with an end in the past (the old key's own expiry is kept when earlier).
func endOverlap(t *testing.T, s *server, orgID, oldID string) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	tok, err := token.Generator{Brand: "gth"}.New(token.KindAPIKeyLive)
	if err != nil {
		t.Fatal(err)
	}
	next := &gatehouse.APIKey{
		ID: gatehouse.NewID(gatehouse.PrefixAPIKey, now, nil), OrgID: orgID, Name: "throw-away", Environment: gatehouse.EnvironmentLive,
		Prefix: token.DisplayPrefix(tok), TokenHash: token.Hash(tok), Scopes: []string{"calls:read"}, CreatedAt: now,
	}
	if err := s.m.Store.RotateAPIKey(context.Background(), orgID, oldID, next, now.Add(-time.Second)); err != nil {
		t.Fatalf("end the overlap: %v", err)
	}
}
