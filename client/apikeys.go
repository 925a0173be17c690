package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gatehouse-auth/gatehouse/apiwire"
)

// CreateAPIKey creates an organization API key (POST /v1/orgs/{org}/api-keys); owners and
// admins only. NewAPIKey.Key is the secret, returned only here.
func (c *Client) CreateAPIKey(ctx context.Context, orgID string, in CreateAPIKeyRequest) (*NewAPIKey, error) {
	path := "/v1/orgs/" + seg(orgID) + "/api-keys"
	body, err := in.wire()
	if err != nil {
		return nil, fmt.Errorf("gatehouse: encoding the POST %s request: %w", path, err)
	}
	var out NewAPIKey
	if err := c.do(ctx, http.MethodPost, path, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAPIKeys lists an organization's API keys (GET /v1/orgs/{org}/api-keys).
func (c *Client) ListAPIKeys(ctx context.Context, orgID string) ([]APIKey, error) {
	return listAll[APIKey](ctx, c, "/v1/orgs/"+seg(orgID)+"/api-keys")
}

// RevokeAPIKey revokes an API key at once (DELETE /v1/orgs/{org}/api-keys/{id}).
func (c *Client) RevokeAPIKey(ctx context.Context, orgID, keyID string) error {
	return c.do(ctx, http.MethodDelete, "/v1/orgs/"+seg(orgID)+"/api-keys/"+seg(keyID), nil, nil)
}

// RotateAPIKey replaces an API key (POST /v1/orgs/{org}/api-keys/{id}/rotate). The old key keeps
// working for overlap ("24h", "30m", "7d"; "" is the server's default) and then stops.
func (c *Client) RotateAPIKey(ctx context.Context, orgID, keyID, overlap string) (*RotatedAPIKey, error) {
	var in apiwire.RotateAPIKeyRequest
	if overlap != "" {
		in.Overlap = &overlap
	}
	var out RotatedAPIKey
	if err := c.do(ctx, http.MethodPost, "/v1/orgs/"+seg(orgID)+"/api-keys/"+seg(keyID)+"/rotate", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
