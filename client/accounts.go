package client

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse-auth/gatehouse/apiwire"
)

// Register creates an account (POST /v1/auth/register) and returns its first session.
func (c *Client) Register(ctx context.Context, in RegisterRequest) (*Session, error) {
	var out Session
	if err := c.do(ctx, http.MethodPost, "/v1/auth/register", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Login signs in with a username (or email address) and password (POST /v1/auth/login). Every
// kind of failure is CodeInvalidCredentials.
func (c *Client) Login(ctx context.Context, username, password string) (*Session, error) {
	in := apiwire.LoginRequest{Username: username, Password: password}
	var out Session
	if err := c.do(ctx, http.MethodPost, "/v1/auth/login", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AgentSignIn exchanges an agent token for an agent session (POST /v1/auth/agent). An agent
// its owner has not verified gets CodeAgentNotVerified.
func (c *Client) AgentSignIn(ctx context.Context, agentToken string) (*Session, error) {
	in := apiwire.AgentSignInRequest{AgentToken: agentToken}
	var out Session
	if err := c.do(ctx, http.MethodPost, "/v1/auth/agent", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ChangePassword sets a new password (POST /v1/me/change-password). The answer is a new session:
// the others, the client's own included, are revoked, so use the returned token from now on. A
// wrong current password is CodeInvalidCredentials.
func (c *Client) ChangePassword(ctx context.Context, current, next string) (*Session, error) {
	in := apiwire.ChangePasswordRequest{CurrentPassword: current, NewPassword: next}
	var out Session
	if err := c.do(ctx, http.MethodPost, "/v1/me/change-password", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteAccount deletes the caller's account and everything it owns (DELETE /v1/me). password
// confirms it; an account without a password passes "" and must have signed in recently.
func (c *Client) DeleteAccount(ctx context.Context, password string) error {
	return c.do(ctx, http.MethodDelete, "/v1/me", apiwire.DeleteAccountRequest{Password: password}, nil)
}

// Logout revokes the client's session (POST /v1/auth/logout). Logging out with a dead
// credential is not an error.
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/auth/logout", nil, nil)
}

// Me returns the caller's profile (GET /v1/me); for an agent, User.Owner names its owner.
func (c *Client) Me(ctx context.Context) (*User, error) {
	var out User
	if err := c.do(ctx, http.MethodGet, "/v1/me", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateProfile changes the fields of upd that are set (PATCH /v1/me) and returns the profile.
// It does not change the email address (a confirmed change): use ChangeEmail; an upd with Email
// set is refused without a request.
func (c *Client) UpdateProfile(ctx context.Context, upd ProfileUpdate) (*User, error) {
	if upd.Email != nil {
		return nil, errors.New("gatehouse: UpdateProfile does not change the email address; use ChangeEmail")
	}
	var out User
	if err := c.do(ctx, http.MethodPatch, "/v1/me", upd, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ChangeEmail asks to move the account to a new address (PATCH /v1/me {email}; the session must
// be recent, else CodeReauthRequired). Nothing changes yet: a code goes to the new address and the
// account keeps its address until VerifyEmail takes the code.
func (c *Client) ChangeEmail(ctx context.Context, email string) (*EmailChange, error) {
	var out EmailChange
	if err := c.do(ctx, http.MethodPatch, "/v1/me", ProfileUpdate{Email: &email}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// VerifyEmail types a mailed six-digit code (POST /v1/auth/verify-email): the code of the
// account's address marks it verified; the code of a pending ChangeEmail makes the new address
// the account's, verified. It returns the profile. A wrong or dead code is CodeInvalidRequest.
func (c *Client) VerifyEmail(ctx context.Context, code string) (*User, error) {
	var out User
	if err := c.do(ctx, http.MethodPost, "/v1/auth/verify-email", map[string]string{"code": code}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListSessions lists the caller's sessions (GET /v1/me/sessions).
func (c *Client) ListSessions(ctx context.Context) ([]SessionInfo, error) {
	return listAll[SessionInfo](ctx, c, "/v1/me/sessions")
}

// RevokeSession revokes one of the caller's sessions (DELETE /v1/me/sessions/{id}).
func (c *Client) RevokeSession(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/me/sessions/"+seg(id), nil, nil)
}

// ListMyOrgs lists the caller's organizations with the caller's role (GET /v1/me/orgs).
func (c *Client) ListMyOrgs(ctx context.Context) ([]Org, error) {
	return listAll[Org](ctx, c, "/v1/me/orgs")
}
