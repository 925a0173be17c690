package apiwire

import (
	"encoding/json"
	"time"
)

// VerifyRequest is the body of POST /v1/verify: the credential to check, the scopes it must
// hold (none: any) and the address of the client that presented it (checked against API keys'
// allowed CIDRs; "": not checked).
type VerifyRequest struct {
	Token  string   `json:"token"`
	Scopes []string `json:"scopes,omitempty"`
	IP     string   `json:"ip,omitempty"`
}

// VerifiedPrincipal is who a verified credential acts as: a user (ID, Kind, Username; plus
// AgentID and OwnerID for an agent) or an organization's API key (OrgID, KeyID).
type VerifiedPrincipal struct {
	ID       string `json:"id,omitempty"`
	Kind     string `json:"kind,omitempty"`
	Username string `json:"username,omitempty"`
	AgentID  string `json:"agent_id,omitempty"`
	OwnerID  string `json:"owner_id,omitempty"`
	OrgID    string `json:"org_id,omitempty"`
	KeyID    string `json:"key_id,omitempty"`
}

// Verification is the answer of POST /v1/verify about a credential, as the SDK presents it. Its
// JSON is one of two shapes, VerifyValid and VerifyFailure (the server writes those directly;
// MarshalJSON and UnmarshalJSON convert):
//
//   - valid: {"valid": true, "kind", "principal", "org", "scopes", "environment", "expires_at"};
//     org and environment are null except for API keys, scopes is null when the credential is
//     not limited by scopes (Unrestricted), expires_at is null when it never expires;
//   - not valid: {"valid": false, "code"} and, with rate_limited, "retry_after" in whole
//     seconds.
type Verification struct {
	Valid bool
	// Code says why the credential is not valid: invalid_token, expired_token, invalid_api_key,
	// expired_api_key, insufficient_permissions, ip_not_allowed, agent_not_verified,
	// rate_limited.
	Code string
	// RetryAfter is how long to wait with rate_limited (whole seconds on the wire).
	RetryAfter time.Duration

	Kind      string // the credential kind: session, pat, api_key, access_token, client, ...
	Principal VerifiedPrincipal
	// ClientID is the OAuth client of an access token (kinds access_token and client).
	ClientID string
	// Org and Environment are set for API keys.
	Org         string
	Environment string
	// Scopes are the credential's scopes. Unrestricted is true when it is not limited by scopes
	// at all (a session, or a personal access token made without scopes).
	Scopes       []string
	Unrestricted bool
	ExpiresAt    *time.Time // nil: never expires
}

// VerifyValid is the answer about a valid credential, in the order the server writes it. Org
// and Environment are null except for API keys; Scopes is null when the credential is not
// limited by scopes (sessions, PATs made without scopes); ExpiresAt is null when it never
// expires.
type VerifyValid struct {
	Valid       bool              `json:"valid"`
	Kind        string            `json:"kind"`
	Principal   VerifiedPrincipal `json:"principal"`
	Org         *string           `json:"org"`
	Scopes      []string          `json:"scopes" openapi:"nullable"` // null: not limited by scopes
	Environment *string           `json:"environment"`
	ExpiresAt   *time.Time        `json:"expires_at"`
	ClientID    string            `json:"client_id,omitempty"` // OAuth access tokens
}

// VerifyFailure is the answer about an unusable credential: Valid false, the Code, and with
// rate_limited RetryAfter in whole seconds.
type VerifyFailure struct {
	Valid      bool   `json:"valid"`
	Code       string `json:"code"`
	RetryAfter int64  `json:"retry_after,omitempty"` // with rate_limited
}

// verifyAnswerJSON reads either shape.
type verifyAnswerJSON struct {
	Valid       bool              `json:"valid"`
	Code        string            `json:"code"`
	RetryAfter  int64             `json:"retry_after"`
	Kind        string            `json:"kind"`
	Principal   VerifiedPrincipal `json:"principal"`
	Org         *string           `json:"org"`
	Scopes      *[]string         `json:"scopes"`
	Environment *string           `json:"environment"`
	ExpiresAt   *time.Time        `json:"expires_at"`
	ClientID    string            `json:"client_id"`
}

// MarshalJSON writes the valid or the failure shape of the answer.
func (v Verification) MarshalJSON() ([]byte, error) {
	if !v.Valid {
		out := VerifyFailure{Code: v.Code}
		if v.RetryAfter > 0 {
			out.RetryAfter = int64((v.RetryAfter + time.Second - 1) / time.Second)
		}
		return json.Marshal(out)
	}
	out := VerifyValid{Valid: true, Kind: v.Kind, Principal: v.Principal, ExpiresAt: v.ExpiresAt, ClientID: v.ClientID}
	if v.Org != "" {
		org := v.Org
		out.Org = &org
	}
	if v.Environment != "" {
		env := v.Environment
		out.Environment = &env
	}
	if !v.Unrestricted {
		out.Scopes = v.Scopes
		if out.Scopes == nil {
			out.Scopes = []string{}
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads either shape of the answer.
func (v *Verification) UnmarshalJSON(data []byte) error {
	var a verifyAnswerJSON
	if err := json.Unmarshal(data, &a); err != nil {
		return err
	}
	*v = Verification{
		Valid: a.Valid, Code: a.Code, RetryAfter: time.Duration(a.RetryAfter) * time.Second,
		Kind: a.Kind, Principal: a.Principal, ExpiresAt: a.ExpiresAt, ClientID: a.ClientID,
	}
	if a.Org != nil {
		v.Org = *a.Org
	}
	if a.Environment != nil {
		v.Environment = *a.Environment
	}
	if a.Scopes != nil {
		v.Scopes = *a.Scopes
	} else if a.Valid {
		v.Unrestricted = true
	}
	return nil
}
