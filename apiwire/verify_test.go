package apiwire

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestVerificationJSON checks both shapes of /v1/verify's answer byte for byte, and that
// reading them back gives the same Verification.
func TestVerificationJSON(t *testing.T) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name string
		v    Verification
		want string
	}{
		{
			"session: unrestricted, no org",
			Verification{Valid: true, Kind: "session", Principal: VerifiedPrincipal{ID: "usr_1", Kind: "user", Username: "ada"}, Unrestricted: true, ExpiresAt: &exp},
			`{"valid":true,"kind":"session","principal":{"id":"usr_1","kind":"user","username":"ada"},"org":null,"scopes":null,"environment":null,"expires_at":"2030-01-02T03:04:05Z"}`,
		},
		{
			"agent session",
			Verification{Valid: true, Kind: "agent_session", Principal: VerifiedPrincipal{ID: "usr_2", Kind: "agent", Username: "bot", AgentID: "agt_1", OwnerID: "usr_1"}, Unrestricted: true, ExpiresAt: &exp},
			`{"valid":true,"kind":"agent_session","principal":{"id":"usr_2","kind":"agent","username":"bot","agent_id":"agt_1","owner_id":"usr_1"},"org":null,"scopes":null,"environment":null,"expires_at":"2030-01-02T03:04:05Z"}`,
		},
		{
			"scoped token",
			Verification{Valid: true, Kind: "pat", Principal: VerifiedPrincipal{ID: "usr_1", Kind: "user", Username: "ada"}, Scopes: []string{"calls:read"}},
			`{"valid":true,"kind":"pat","principal":{"id":"usr_1","kind":"user","username":"ada"},"org":null,"scopes":["calls:read"],"environment":null,"expires_at":null}`,
		},
		{
			"API key: org and environment, never expires",
			Verification{Valid: true, Kind: "api_key", Principal: VerifiedPrincipal{OrgID: "org_1", KeyID: "key_1"}, Org: "org_1", Environment: "live", Scopes: []string{"calls:read", "*:write"}},
			`{"valid":true,"kind":"api_key","principal":{"org_id":"org_1","key_id":"key_1"},"org":"org_1","scopes":["calls:read","*:write"],"environment":"live","expires_at":null}`,
		},
		{
			"limited to no scopes",
			Verification{Valid: true, Kind: "pat", Scopes: []string{}},
			`{"valid":true,"kind":"pat","principal":{},"org":null,"scopes":[],"environment":null,"expires_at":null}`,
		},
		{
			"not valid",
			Verification{Code: "invalid_token"},
			`{"valid":false,"code":"invalid_token"}`,
		},
		{
			"rate limited",
			Verification{Code: "rate_limited", RetryAfter: time.Hour},
			`{"valid":false,"code":"rate_limited","retry_after":3600}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := json.Marshal(c.v)
			if err != nil || string(got) != c.want {
				t.Fatalf("Marshal = %s, %v\nwant %s", got, err, c.want)
			}
			var back Verification
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, c.v) {
				t.Fatalf("read back %+v, want %+v", back, c.v)
			}
		})
	}
}

// TestVerificationMarshalRoundsRetryUp checks that a partial second of RetryAfter is written as
// the next whole second, never as 0 (which would drop the field).
func TestVerificationMarshalRoundsRetryUp(t *testing.T) {
	cases := []struct {
		name  string
		retry time.Duration
		want  string
	}{
		{"half a second", 500 * time.Millisecond, `{"valid":false,"code":"rate_limited","retry_after":1}`},
		{"one and a half", 1500 * time.Millisecond, `{"valid":false,"code":"rate_limited","retry_after":2}`},
		{"none", 0, `{"valid":false,"code":"rate_limited"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := json.Marshal(&Verification{Code: "rate_limited", RetryAfter: c.retry})
			if err != nil || string(got) != c.want {
				t.Fatalf("Marshal = %s, %v; want %s", got, err, c.want)
			}
		})
	}
}

// TestVerificationUnmarshalRejectsWrongTypes checks that a malformed answer is an error, not a
// silently empty Verification.
func TestVerificationUnmarshalRejectsWrongTypes(t *testing.T) {
	cases := []struct{ name, body string }{
		{"valid not a boolean", `{"valid":"yes"}`},
		{"scopes not an array", `{"valid":true,"scopes":"calls:read"}`},
		{"retry_after not a number", `{"valid":false,"code":"rate_limited","retry_after":"soon"}`},
		{"not an object", `[]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v Verification
			if err := json.Unmarshal([]byte(c.body), &v); err == nil {
				t.Fatalf("Unmarshal(%s) = %+v, nil; want an error", c.body, v)
			}
		})
	}
}
