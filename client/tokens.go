package client

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// CreateToken creates a personal access token (POST /v1/auth/tokens). NewToken.Token is the
// secret, returned only here. An eleventh active token gets CodeTokenLimitReached.
func (c *Client) CreateToken(ctx context.Context, in CreateTokenRequest) (*NewToken, error) {
	var out NewToken
	if err := c.do(ctx, http.MethodPost, "/v1/auth/tokens", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListTokens lists the caller's personal access tokens (GET /v1/auth/tokens).
func (c *Client) ListTokens(ctx context.Context) ([]Token, error) {
	return listAll[Token](ctx, c, "/v1/auth/tokens")
}

// RevokeToken revokes one of the caller's personal access tokens (DELETE /v1/auth/tokens/{id});
// it fails from the next request on.
func (c *Client) RevokeToken(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/auth/tokens/"+seg(id), nil, nil)
}

// verifyAnswer is the wire form of /v1/verify's answer.
type verifyAnswer struct {
	Valid       bool              `json:"valid"`
	Code        string            `json:"code"`
	RetryAfter  int64             `json:"retry_after"`
	Kind        string            `json:"kind"`
	Principal   VerifiedPrincipal `json:"principal"`
	Org         *string           `json:"org"`
	Scopes      *[]string         `json:"scopes"`
	Environment *string           `json:"environment"`
	ExpiresAt   *time.Time        `json:"expires_at"`
}

// Verify asks Gatehouse whether a credential is valid, holds the scopes and may be used from
// the IP (POST /v1/verify). The client must authenticate as an API key with the scope
// gatehouse:verify or as an instance administrator. A credential that is not valid is a normal
// answer (Valid false, Code set); the error is for a question that could not be answered.
func (c *Client) Verify(ctx context.Context, in VerifyRequest) (*Verification, error) {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodPost, "/v1/verify", in, &raw); err != nil {
		return nil, err
	}
	var a verifyAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	v := &Verification{
		Valid: a.Valid, Code: a.Code, RetryAfter: time.Duration(a.RetryAfter) * time.Second,
		Kind: a.Kind, Principal: a.Principal, ExpiresAt: a.ExpiresAt,
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
	return v, nil
}
