package apiwire

import "time"

// CreateAPIKeyRequest is the body of POST /v1/orgs/{org}/api-keys as the server reads it.
// ExpiresAt is an RFC 3339 time (nil or "": never expires) and RateLimit a rate such as "100/m"
// (nil: none); both stay strings here so that the server reports a malformed value itself.
type CreateAPIKeyRequest struct {
	Name         string   `json:"name"`
	Scopes       []string `json:"scopes"`        // "resource:action"; "*:read", "*:write"
	Environment  string   `json:"environment"`   // "live" or "test"
	AllowedCIDRs []string `json:"allowed_cidrs"` // IPv4 and IPv6 prefixes; none: any address
	ExpiresAt    *string  `json:"expires_at"`
	RateLimit    *string  `json:"rate_limit"`
}

// APIKey is an organization's API key as lists show it (never the key itself).
type APIKey struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Prefix       string     `json:"prefix"`
	Environment  string     `json:"environment"`
	Scopes       []string   `json:"scopes"`
	AllowedCIDRs []string   `json:"allowed_cidrs"`
	RateLimit    *string    `json:"rate_limit"` // nil: no rate limit
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    *time.Time `json:"expires_at"` // nil: never expires
	LastUsedAt   *time.Time `json:"last_used_at"`
	LastUsedIP   string     `json:"last_used_ip"`
	CreatedBy    string     `json:"created_by"`
}

// NewAPIKey is an API key just created; Key is the secret, shown only here.
type NewAPIKey struct {
	APIKey
	Key string `json:"key"`
}

// RotatedAPIKey is the answer of a rotation: the new key (Key shown only here) and when the key
// it replaces stops working.
type RotatedAPIKey struct {
	NewAPIKey
	Replaces          string    `json:"replaces"`
	ReplacesExpiresAt time.Time `json:"replaces_expires_at"`
}

// RotateAPIKeyRequest is the body of POST /v1/orgs/{org}/api-keys/{id}/rotate (the body itself
// is optional). Overlap is how long the old key keeps working: a duration such as "24h", "30m"
// or "7d", at most 7 days (nil: the server's default).
type RotateAPIKeyRequest struct {
	Overlap *string `json:"overlap,omitempty"`
}
