package oauth

import (
	"context"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
)

// clientCredentials serves the client_credentials grant (RFC 6749 4.4): a confidential client
// (authenticated with its secret; public clients cannot register this grant, and are refused
// here too) gets an access token whose subject is its client_id, for resource scopes only (the
// OpenID scopes describe a user; there is none). No refresh token, no ID token. An empty scope
// parameter means all of the client's resource scopes. No database write: the token.issued
// event is aggregated per client (tokenaudit.go).
func (p *Provider) clientCredentials(ctx context.Context, client *gatehouse.OAuthClient, req TokenRequest, meta auth.Meta) (*TokenResponse, error) {
	if client.Public {
		return nil, errUnauthorizedClient
	}
	var resource []string
	for _, sc := range client.Scopes {
		if !isOIDCScope(sc) {
			resource = append(resource, sc)
		}
	}
	for _, sc := range splitScope(req.Scope) {
		if isOIDCScope(sc) {
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidScope, "The scope %q needs a user; client_credentials has none.", sc)
		}
	}
	scopes, err := requestedScopes(req.Scope, resource)
	if err != nil {
		return nil, err
	}
	access, err := p.issueAccessToken(ctx, client.ID, nil, scopes, time.Time{})
	if err != nil {
		return nil, err
	}
	p.noteTokenEvent(EventTokenIssued, auth.GrantClientCredentials, client, "", meta) // aggregated (tokenaudit.go)
	return &TokenResponse{
		AccessToken: access.Raw, TokenType: "Bearer", ExpiresIn: access.expiresIn(),
		Scope: strings.Join(scopes, " "),
	}, nil
}
