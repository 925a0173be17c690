package apiwire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestRequestBodiesJSON checks the request bodies the SDK sends byte for byte (field names and
// which optional fields are left out), and that a strict decoder (the server's, which refuses
// unknown fields) reads each back into the same value.
func TestRequestBodiesJSON(t *testing.T) {
	overlap := "1h"
	cases := []struct {
		name string
		in   any // a pointer to the value to encode
		want string
	}{
		{"login", &LoginRequest{Username: "ada", Password: "pw"}, `{"username":"ada","password":"pw"}`},
		{"login with empty fields", &LoginRequest{}, `{"username":"","password":""}`},
		{"agent sign-in", &AgentSignInRequest{AgentToken: "gth_agt_x"}, `{"agent_token":"gth_agt_x"}`},
		{"transfer agent", &TransferAgentRequest{NewOwner: "bob"}, `{"new_owner":"bob"}`},
		{"create org", &CreateOrgRequest{Name: "Acme"}, `{"name":"Acme"}`},
		{"set member role", &SetMemberRoleRequest{Role: "admin"}, `{"role":"admin"}`},
		{"add agent to org with a role", &AddAgentToOrgRequest{AgentID: "agt_1", Role: "admin"}, `{"agent_id":"agt_1","role":"admin"}`},
		{"add agent to org, default role", &AddAgentToOrgRequest{AgentID: "agt_1"}, `{"agent_id":"agt_1"}`},
		{"rotate API key with an overlap", &RotateAPIKeyRequest{Overlap: &overlap}, `{"overlap":"1h"}`},
		{"rotate API key, default overlap", &RotateAPIKeyRequest{}, `{}`},
		{"delete account with a password", &DeleteAccountRequest{Password: "pw"}, `{"password":"pw"}`},
		{"delete account without a password", &DeleteAccountRequest{}, `{}`},
		{"change password", &ChangePasswordRequest{CurrentPassword: "old", NewPassword: "new"}, `{"current_password":"old","new_password":"new"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkJSON(t, c.in, c.want) })
	}
}

// TestListAndAuditEventJSON checks the list envelope and an audit event byte for byte: empty
// optional audit fields are left out, next_cursor is always there.
func TestListAndAuditEventJSON(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name string
		v    List[AuditEvent]
		want string
	}{
		{"empty last page", List[AuditEvent]{Data: []AuditEvent{}}, `{"data":[],"next_cursor":""}`},
		{
			"bare event, more pages",
			List[AuditEvent]{Data: []AuditEvent{{ID: "evt_1", Type: "auth.failed", CreatedAt: at}}, NextCursor: "evt_1"},
			`{"data":[{"id":"evt_1","type":"auth.failed","created_at":"2030-01-02T03:04:05Z"}],"next_cursor":"evt_1"}`,
		},
		{
			"every field",
			List[AuditEvent]{Data: []AuditEvent{{
				ID: "evt_2", Type: "api_key.rotated", ActorID: "usr_1", SubjectID: "key_1", OrgID: "org_1",
				IP: "192.0.2.1", UserAgent: "curl", CreatedAt: at, Details: map[string]any{"prefix": "gth_sk"},
			}}},
			`{"data":[{"id":"evt_2","type":"api_key.rotated","actor_id":"usr_1","subject_id":"key_1","org_id":"org_1",` +
				`"ip":"192.0.2.1","user_agent":"curl","created_at":"2030-01-02T03:04:05Z","details":{"prefix":"gth_sk"}}],"next_cursor":""}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkJSON(t, &c.v, c.want) })
	}
}

// checkJSON encodes the value in points to, compares the bytes with want, and decodes them back
// strictly (unknown fields refused, as the server's DecodeJSON does) into an equal value.
func checkJSON(t *testing.T, in any, want string) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Fatalf("encoded\n got  %s\n want %s", b, want)
	}
	back := reflect.New(reflect.TypeOf(in).Elem())
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(back.Interface()); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	if !reflect.DeepEqual(back.Interface(), in) {
		t.Fatalf("round trip: got %+v, want %+v", back.Interface(), in)
	}
}
