package client

import (
	"context"
	"net/http"

	"github.com/gatehouse-auth/gatehouse/apiwire"
)

// CreateAgent creates an agent owned by the caller (POST /v1/agents). The agent token, returned
// only here, cannot sign in until the owner calls VerifyAgent.
func (c *Client) CreateAgent(ctx context.Context, in CreateAgentRequest) (*AgentWithToken, error) {
	var out AgentWithToken
	if err := c.do(ctx, http.MethodPost, "/v1/agents", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAgents lists the caller's agents (GET /v1/agents).
func (c *Client) ListAgents(ctx context.Context) ([]Agent, error) {
	return listAll[Agent](ctx, c, "/v1/agents")
}

// GetAgent returns one of the caller's agents (GET /v1/agents/{id}).
func (c *Client) GetAgent(ctx context.Context, id string) (*Agent, error) {
	var out Agent
	if err := c.do(ctx, http.MethodGet, "/v1/agents/"+seg(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// VerifyAgent lets an agent exchange its token for sessions (POST /v1/agents/{id}/verify).
func (c *Client) VerifyAgent(ctx context.Context, id string) (*Agent, error) {
	var out Agent
	if err := c.do(ctx, http.MethodPost, "/v1/agents/"+seg(id)+"/verify", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RotateAgent issues a new agent token (POST /v1/agents/{id}/rotate); the old token and the
// agent's sessions are revoked.
func (c *Client) RotateAgent(ctx context.Context, id string) (*AgentWithToken, error) {
	var out AgentWithToken
	if err := c.do(ctx, http.MethodPost, "/v1/agents/"+seg(id)+"/rotate", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TransferAgent gives an agent to another person, named by username or user ID
// (POST /v1/agents/{id}/transfer): its token stops working, it leaves every organization, and
// it is unverified until the new owner verifies it; the new owner gets a token with RotateAgent.
func (c *Client) TransferAgent(ctx context.Context, id, newOwner string) (*Agent, error) {
	in := apiwire.TransferAgentRequest{NewOwner: newOwner}
	var out Agent
	if err := c.do(ctx, http.MethodPost, "/v1/agents/"+seg(id)+"/transfer", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteAgent deletes one of the caller's agents (DELETE /v1/agents/{id}).
func (c *Client) DeleteAgent(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/agents/"+seg(id), nil, nil)
}
