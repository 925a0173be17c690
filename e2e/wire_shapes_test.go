package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/apiwire"
	"github.com/gatehouse-auth/gatehouse/client"
)

// The JSON shapes of the API's answers (apiwire): objects list their keys in the order the
// server writes them, each with the JSON type of its value; arrays show the shape of their
// elements. A renamed, added, dropped or reordered field, or a value of another JSON type, fails
// TestWireShapes.
const (
	shapeUser = `{id:string,kind:string,username:string,display_name:string,email:string,` +
		`email_verified:bool,avatar_url:string,banner_url:string,description:string,theme:string,` +
		`font:string,is_admin:bool,created_at:string}`
	shapeAgentUserWithOwner = `{id:string,kind:string,username:string,display_name:string,email:string,` +
		`email_verified:bool,avatar_url:string,banner_url:string,description:string,theme:string,` +
		`font:string,is_admin:bool,created_at:string,owner:{id:string,username:string}}`
	shapeSession     = `{token:string,expires_at:string,user:` + shapeUser + `}`
	shapeSessionInfo = `{id:string,prefix:string,created_at:string,expires_at:string,last_seen_at:string,` +
		`ip:string,user_agent:string,current:bool}`
	shapeNewTokenExpiring = `{id:string,name:string,token:string,prefix:string,scopes:[string],` +
		`created_at:string,expires_at:string}`
	shapeNewTokenNever = `{id:string,name:string,token:string,prefix:string,scopes:[],` +
		`created_at:string,expires_at:null}`
	shapeTokenUnused = `{id:string,name:string,prefix:string,scopes:[string],created_at:string,` +
		`expires_at:string,last_used_at:null}`
	shapeAgentUnverified = `{id:string,user_id:string,owner_id:string,name:string,role:string,` +
		`token_prefix:string,verified:bool,verified_at:null,created_at:string,updated_at:string}`
	shapeAgentVerified = `{id:string,user_id:string,owner_id:string,name:string,role:string,` +
		`token_prefix:string,verified:bool,verified_at:string,created_at:string,updated_at:string}`
	shapeOrg    = `{id:string,name:string,role:string,joined_at:string,created_at:string}`
	shapeMember = `{user_id:string,username:string,kind:string,role:string,joined_at:string}`
	// An API key with every option set, unused.
	shapeAPIKeyFull = `id:string,name:string,prefix:string,environment:string,scopes:[string],` +
		`allowed_cidrs:[string],rate_limit:string,created_at:string,expires_at:string,last_used_at:null,` +
		`last_used_ip:string,created_by:string`
	// An API key with no options, unused.
	shapeAPIKeyBare = `id:string,name:string,prefix:string,environment:string,scopes:[string],` +
		`allowed_cidrs:[],rate_limit:null,created_at:string,expires_at:null,last_used_at:null,` +
		`last_used_ip:string,created_by:string`
	// An API key with a rate limit only, unused.
	shapeAPIKeyLimited = `id:string,name:string,prefix:string,environment:string,scopes:[string],` +
		`allowed_cidrs:[],rate_limit:string,created_at:string,expires_at:null,last_used_at:null,` +
		`last_used_ip:string,created_by:string`
	// An audit event without org_id and details (omitted when empty).
	shapeAuditEventUser = `{id:string,type:string,actor_id:string,subject_id:string,ip:string,user_agent:string,` +
		`created_at:string}`
	// An API key rotation's audit event: every field set.
	shapeAuditEventRotatedKey = `{id:string,type:string,actor_id:string,subject_id:string,org_id:string,ip:string,` +
		`user_agent:string,created_at:string,details:{new_key_id:string,old_expires_at:string,prefix:string}}`
	shapeVerifyPrincipalUser  = `{id:string,kind:string,username:string}`
	shapeVerifyPrincipalAgent = `{id:string,kind:string,username:string,agent_id:string,owner_id:string}`
	shapeVerifyPrincipalKey   = `{org_id:string,key_id:string}`
)

// listShape is the envelope of list answers around items of shape item.
func listShape(item string) string { return `{data:[` + item + `],next_cursor:string}` }

// wireCase is one recorded answer: its wanted status and shape, and the SDK type that must
// decode it strictly (every field the server writes is one the SDK reads), nil to skip that.
// List answers decode into apiwire.List, the envelope the SDK reads them with; audit events,
// which the SDK does not list, into apiwire.AuditEvent.
type wireCase struct {
	name   string
	r      response
	status int
	shape  string
	sdk    any
}

// TestWireShapes records the answer of every endpoint whose JSON shape lives in apiwire, from a
// real server with fixed content, and compares its shape (keys in order, JSON value types) with
// the documented one, and decodes it strictly into the SDK's type.
func TestWireShapes(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		const pw = "correct horse battery staple"
		var cases []wireCase
		record := func(name string, r response, status int, shape string, sdk any) response {
			cases = append(cases, wireCase{name, r, status, shape, sdk})
			return r
		}
		field := func(r response, path ...string) string {
			t.Helper()
			var v any = r.json(t)
			for _, p := range path {
				m, _ := v.(map[string]any)
				v = m[p]
			}
			str, ok := v.(string)
			if !ok {
				t.Fatalf("%s: no string at %v: %s", r.body, path, r.body)
			}
			return str
		}

		// Accounts and sessions.
		reg := record("register", s.do("POST", "/v1/auth/register", "", map[string]string{
			"username": "wire-alice", "password": pw, "email": "alice@example.com", "display_name": "Alice",
		}), http.StatusCreated, shapeSession, &client.Session{})
		alice, aliceID := field(reg, "token"), field(reg, "user", "id")
		s.patPromote(aliceID) // the caller of /v1/verify
		bobReg := s.do("POST", "/v1/auth/register", "", map[string]string{"username": "wire-bob", "password": pw})
		mustStatus(t, bobReg, http.StatusCreated)
		login := record("login", s.do("POST", "/v1/auth/login", "", map[string]string{"username": "wire-bob", "password": pw}),
			http.StatusOK, shapeSession, &client.Session{})
		bob := field(login, "token")
		record("me", s.do("GET", "/v1/me", alice, nil), http.StatusOK, shapeUser, &client.User{})
		record("update profile", s.do("PATCH", "/v1/me", alice, map[string]string{"description": "wire shapes"}),
			http.StatusOK, shapeUser, &client.User{})
		record("change email", s.do("PATCH", "/v1/me", alice, map[string]string{"email": "alice.new@example.com"}),
			http.StatusAccepted, `{pending_email:string}`, &client.EmailChange{})
		record("list sessions", s.do("GET", "/v1/me/sessions", alice, nil),
			http.StatusOK, listShape(shapeSessionInfo), &apiwire.List[client.SessionInfo]{})
		// An audit event without an organization or details (omitted keys).
		record("list my audit events", s.do("GET", "/v1/me/audit-events?type=user.registered", alice, nil),
			http.StatusOK, listShape(shapeAuditEventUser), &apiwire.List[apiwire.AuditEvent]{})

		// Personal access tokens, listed before any use so last_used_at is null.
		pat := record("create token", s.do("POST", "/v1/auth/tokens", alice, map[string]any{
			"name": "ci", "expires_in": "30d", "scopes": []string{"calls:read"},
		}), http.StatusCreated, shapeNewTokenExpiring, &client.NewToken{})
		record("create token never expiring", s.do("POST", "/v1/auth/tokens", bob, map[string]any{
			"name": "forever", "expires_in": "never",
		}), http.StatusCreated, shapeNewTokenNever, &client.NewToken{})
		record("list tokens", s.do("GET", "/v1/auth/tokens", alice, nil),
			http.StatusOK, listShape(shapeTokenUnused), &apiwire.List[client.Token]{})

		// Agents.
		ag := record("create agent", s.do("POST", "/v1/agents", alice, map[string]string{"name": "Wire bot", "role": "support"}),
			http.StatusCreated, `{agent:`+shapeAgentUnverified+`,agent_token:string}`, &client.AgentWithToken{})
		agentID := field(ag, "agent", "id")
		record("list agents", s.do("GET", "/v1/agents", alice, nil),
			http.StatusOK, listShape(shapeAgentUnverified), &apiwire.List[client.Agent]{})
		record("get agent", s.do("GET", "/v1/agents/"+agentID, alice, nil), http.StatusOK, shapeAgentUnverified, &client.Agent{})
		record("verify agent", s.do("POST", "/v1/agents/"+agentID+"/verify", alice, nil), http.StatusOK, shapeAgentVerified, &client.Agent{})
		rot := record("rotate agent", s.do("POST", "/v1/agents/"+agentID+"/rotate", alice, nil),
			http.StatusOK, `{agent:`+shapeAgentVerified+`,agent_token:string}`, &client.AgentWithToken{})
		agentSignIn := record("agent sign-in", s.do("POST", "/v1/auth/agent", "", map[string]string{"agent_token": field(rot, "agent_token")}),
			http.StatusOK, shapeSession, &client.Session{})
		agentSession := field(agentSignIn, "token")
		record("me as agent", s.do("GET", "/v1/me", agentSession, nil), http.StatusOK, shapeAgentUserWithOwner, &client.User{})

		// Organizations and members.
		org := record("create org", s.do("POST", "/v1/orgs", alice, map[string]string{"name": "Wire Org"}),
			http.StatusCreated, shapeOrg, &client.Org{})
		orgID := field(org, "id")
		record("get org", s.do("GET", "/v1/orgs/"+orgID, alice, nil), http.StatusOK, shapeOrg, &client.Org{})
		record("list my orgs", s.do("GET", "/v1/me/orgs", alice, nil), http.StatusOK, listShape(shapeOrg), &apiwire.List[client.Org]{})
		record("add member", s.do("POST", "/v1/orgs/"+orgID+"/members", alice, map[string]string{"username": "wire-bob", "role": "member"}),
			http.StatusCreated, shapeMember, &client.Member{})
		record("set member role", s.do("PATCH", "/v1/orgs/"+orgID+"/members/"+field(login, "user", "id"), alice, map[string]string{"role": "admin"}),
			http.StatusOK, shapeMember, &client.Member{})
		record("add agent to org", s.do("POST", "/v1/orgs/"+orgID+"/agents", alice, map[string]string{"agent_id": agentID, "role": "member"}),
			http.StatusCreated, shapeMember, &client.Member{})
		record("list members", s.do("GET", "/v1/orgs/"+orgID+"/members", alice, nil),
			http.StatusOK, listShape(shapeMember), &apiwire.List[client.Member]{})

		// API keys, listed before any use so last_used_at is null.
		full := record("create API key", s.do("POST", "/v1/orgs/"+orgID+"/api-keys", alice, map[string]any{
			"name": "backend", "scopes": []string{"calls:read"}, "environment": "test",
			"allowed_cidrs": []string{"192.0.2.0/24"}, "expires_at": "2099-01-02T03:04:05Z", "rate_limit": "100/m",
		}), http.StatusCreated, `{`+shapeAPIKeyFull+`,key:string}`, &client.NewAPIKey{})
		nextMillisecond() // the list's order (newest first) is by creation time, then by ID
		bare := record("create bare API key", s.do("POST", "/v1/orgs/"+orgID+"/api-keys", alice, map[string]any{
			"name": "bare", "scopes": []string{"calls:read"}, "environment": "live",
		}), http.StatusCreated, `{`+shapeAPIKeyBare+`,key:string}`, &client.NewAPIKey{})
		nextMillisecond()
		limited := s.do("POST", "/v1/orgs/"+orgID+"/api-keys", alice, map[string]any{
			"name": "limited", "scopes": []string{"calls:read"}, "environment": "live", "rate_limit": "1/h",
		})
		mustStatus(t, limited, http.StatusCreated)
		record("list API keys", s.do("GET", "/v1/orgs/"+orgID+"/api-keys", alice, nil), http.StatusOK, // newest first
			`{data:[{`+shapeAPIKeyLimited+`}|{`+shapeAPIKeyBare+`}|{`+shapeAPIKeyFull+`}],next_cursor:string}`, &apiwire.List[client.APIKey]{})
		record("rotate API key", s.do("POST", "/v1/orgs/"+orgID+"/api-keys/"+field(full, "id")+"/rotate", alice, map[string]string{"overlap": "1h"}),
			http.StatusCreated, `{`+shapeAPIKeyFull+`,key:string,replaces:string,replaces_expires_at:string}`, &client.RotatedAPIKey{})
		// An audit event with every field set.
		record("list org audit events", s.do("GET", "/v1/orgs/"+orgID+"/audit-events?type=api_key.rotated", alice, nil),
			http.StatusOK, listShape(shapeAuditEventRotatedKey), &apiwire.List[apiwire.AuditEvent]{})

		// /v1/verify: the valid answers of each principal and the failures. The SDK reads these
		// through its own decoding (client.Verify), tested in package client.
		verify := func(name, tok string, shape string) {
			record(name, s.do("POST", "/v1/verify", alice, map[string]any{"token": tok}), http.StatusOK, shape, nil)
		}
		verify("verify session", bob,
			`{valid:bool,kind:string,principal:`+shapeVerifyPrincipalUser+`,org:null,scopes:null,environment:null,expires_at:string}`)
		verify("verify scoped token", field(pat, "token"),
			`{valid:bool,kind:string,principal:`+shapeVerifyPrincipalUser+`,org:null,scopes:[string],environment:null,expires_at:string}`)
		verify("verify agent session", agentSession,
			`{valid:bool,kind:string,principal:`+shapeVerifyPrincipalAgent+`,org:null,scopes:null,environment:null,expires_at:string}`)
		verify("verify API key", field(bare, "key"),
			`{valid:bool,kind:string,principal:`+shapeVerifyPrincipalKey+`,org:string,scopes:[string],environment:string,expires_at:null}`)
		verify("verify invalid token", "gh_pat_nonsense", `{valid:bool,code:string}`)
		verify("verify within rate limit", field(limited, "key"),
			`{valid:bool,kind:string,principal:`+shapeVerifyPrincipalKey+`,org:string,scopes:[string],environment:string,expires_at:null}`)
		verify("verify rate limited", field(limited, "key"), `{valid:bool,code:string,retry_after:number}`)

		// Changing the password signs in afresh (last: it ends bob's other sessions).
		record("change password", s.do("POST", "/v1/me/change-password", bob, map[string]string{
			"current_password": pw, "new_password": "another correct horse battery",
		}), http.StatusOK, shapeSession, &client.Session{})

		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.r.status != c.status {
					t.Fatalf("status %d, want %d; body: %s", c.r.status, c.status, c.r.body)
				}
				got, err := jsonShape(c.r.body)
				if err != nil {
					t.Fatalf("shape of %s: %v", c.r.body, err)
				}
				if got != c.shape {
					t.Errorf("shape moved:\n got  %s\n want %s\nbody: %s", got, c.shape, c.r.body)
				}
				if c.sdk != nil {
					dec := json.NewDecoder(bytes.NewReader(c.r.body))
					dec.DisallowUnknownFields()
					if err := dec.Decode(c.sdk); err != nil {
						t.Errorf("the SDK's %T does not read this answer: %v\nbody: %s", c.sdk, err, c.r.body)
					}
				}
			})
		}
	})
}

// TestWireShapeOf checks the shape renderer itself, so that TestWireShapes can fail.
func TestWireShapeOf(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"scalars in order", `{"b":1,"a":"x","c":true,"d":null}`, `{b:number,a:string,c:bool,d:null}`},
		{"nested object", `{"o":{"k":"v"}}`, `{o:{k:string}}`},
		{"empty array", `{"a":[]}`, `{a:[]}`},
		{"uniform array", `{"a":["x","y"]}`, `{a:[string]}`},
		{"mixed array", `{"a":[{"k":1},{"k":1},{"j":"x"}]}`, `{a:[{k:number}|{j:string}]}`},
		{"renamed key differs", `{"id2":"x"}`, `{id2:string}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := jsonShape([]byte(c.body))
			if err != nil || got != c.want {
				t.Fatalf("jsonShape(%s) = %q, %v; want %q", c.body, got, err, c.want)
			}
		})
	}
	if _, err := jsonShape([]byte(`{"a":1} {}`)); err == nil {
		t.Error("data after the value: no error")
	}
}

// jsonShape renders the shape of one JSON value: objects as {key:shape,...} in document order,
// arrays as [shape] with the distinct shapes of their elements joined by "|" in order of first
// appearance, scalars as string, number, bool or null.
func jsonShape(body []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	shape, err := readShape(dec)
	if err != nil {
		return "", err
	}
	if dec.More() {
		return "", fmt.Errorf("data after the JSON value")
	}
	return shape, nil
}

func readShape(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", fmt.Errorf("reading a value: %w", err)
	}
	switch v := tok.(type) {
	case json.Delim:
		var parts []string
		switch v {
		case '{':
			for dec.More() {
				key, err := dec.Token()
				if err != nil {
					return "", fmt.Errorf("reading a key: %w", err)
				}
				val, err := readShape(dec)
				if err != nil {
					return "", err
				}
				parts = append(parts, fmt.Sprintf("%s:%s", key, val))
			}
			if _, err := dec.Token(); err != nil {
				return "", fmt.Errorf("closing an object: %w", err)
			}
			return "{" + strings.Join(parts, ",") + "}", nil
		case '[':
			seen := map[string]bool{}
			for dec.More() {
				el, err := readShape(dec)
				if err != nil {
					return "", err
				}
				if !seen[el] {
					seen[el] = true
					parts = append(parts, el)
				}
			}
			if _, err := dec.Token(); err != nil {
				return "", fmt.Errorf("closing an array: %w", err)
			}
			return "[" + strings.Join(parts, "|") + "]", nil
		}
		return "", fmt.Errorf("unexpected delimiter %v", v)
	case string:
		return "string", nil
	case json.Number:
		return "number", nil
	case bool:
		return "bool", nil
	case nil:
		return "null", nil
	}
	return "", fmt.Errorf("unexpected token %T", tok)
}

// nextMillisecond waits until the clock has moved past the current millisecond, so that rows
// created before and after it differ in their stored creation time (kept in milliseconds): two
// creations within one millisecond would be listed in the order of their random IDs.
func nextMillisecond() {
	start := time.Now().Truncate(time.Millisecond)
	for !time.Now().Truncate(time.Millisecond).After(start) {
		time.Sleep(100 * time.Microsecond)
	}
}
