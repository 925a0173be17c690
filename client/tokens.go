package client

import (
	"context"
	"encoding/json"
	"net/http"
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

// Verify asks Gatehouse whether a credential is valid, holds the scopes and may be used from
// the IP (POST /v1/verify). The client must authenticate as an API key with the scope
// gatehouse:verify or as an instance administrator. A credential that is not valid is a normal
// answer (Valid false, Code set); the error is for a question that could not be answered.
func (c *Client) Verify(ctx context.Context, in VerifyRequest) (*Verification, error) {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodPost, "/v1/verify", in, &raw); err != nil {
		return nil, err
	}
	var v Verification // its UnmarshalJSON reads both shapes of the answer
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
