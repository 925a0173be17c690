package apiwire

import "time"

// CreateTokenRequest is the body of POST /v1/auth/tokens.
type CreateTokenRequest struct {
	Name      string   `json:"name"`
	ExpiresIn string   `json:"expires_in"`       // "30d", "90d", "1y" or "never"
	Scopes    []string `json:"scopes,omitempty"` // "resource:action"; none (nil, null): not limited by scopes
}

// Token is a personal access token as lists show it (never the token itself).
type Token struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"` // nil: never expires
	LastUsedAt *time.Time `json:"last_used_at"`
}

// NewToken is a personal access token just created; Token is the secret, shown only here.
type NewToken struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Token     string     `json:"token"`
	Prefix    string     `json:"prefix"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
}
