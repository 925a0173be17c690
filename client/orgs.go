package client

import (
	"context"
	"net/http"

	"github.com/gatehouse-auth/gatehouse/apiwire"
)

// CreateOrg creates an organization with the caller as its owner (POST /v1/orgs).
func (c *Client) CreateOrg(ctx context.Context, name string) (*Org, error) {
	in := apiwire.CreateOrgRequest{Name: name}
	var out Org
	if err := c.do(ctx, http.MethodPost, "/v1/orgs", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetOrg returns an organization the caller belongs to (GET /v1/orgs/{org}).
func (c *Client) GetOrg(ctx context.Context, orgID string) (*Org, error) {
	var out Org
	if err := c.do(ctx, http.MethodGet, "/v1/orgs/"+seg(orgID), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListMembers lists an organization's members (GET /v1/orgs/{org}/members).
func (c *Client) ListMembers(ctx context.Context, orgID string) ([]Member, error) {
	return listAll[Member](ctx, c, "/v1/orgs/"+seg(orgID)+"/members")
}

// AddMember adds a person to an organization (POST /v1/orgs/{org}/members); owners and admins
// only.
func (c *Client) AddMember(ctx context.Context, orgID string, in AddMemberRequest) (*Member, error) {
	var out Member
	if err := c.do(ctx, http.MethodPost, "/v1/orgs/"+seg(orgID)+"/members", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetMemberRole changes a member's role (PATCH /v1/orgs/{org}/members/{user}).
func (c *Client) SetMemberRole(ctx context.Context, orgID, userID, role string) (*Member, error) {
	in := apiwire.SetMemberRoleRequest{Role: role}
	var out Member
	if err := c.do(ctx, http.MethodPatch, "/v1/orgs/"+seg(orgID)+"/members/"+seg(userID), in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RemoveMember removes a member (DELETE /v1/orgs/{org}/members/{user}); the last owner cannot
// be removed.
func (c *Client) RemoveMember(ctx context.Context, orgID, userID string) error {
	return c.do(ctx, http.MethodDelete, "/v1/orgs/"+seg(orgID)+"/members/"+seg(userID), nil, nil)
}

// AddAgentToOrg adds one of the caller's agents to an organization (POST /v1/orgs/{org}/agents);
// role "" is the server's default.
func (c *Client) AddAgentToOrg(ctx context.Context, orgID, agentID, role string) (*Member, error) {
	in := apiwire.AddAgentToOrgRequest{AgentID: agentID, Role: role}
	var out Member
	if err := c.do(ctx, http.MethodPost, "/v1/orgs/"+seg(orgID)+"/agents", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
