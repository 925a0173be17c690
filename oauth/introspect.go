package oauth

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/authz"
	"github.com/gatehouse-auth/gatehouse/token"
)

// IntrospectionCaller is who asks /oauth2/introspect: a client (secret, Basic or POST) or a
// bearer credential (an API key holding gatehouse:verify, or an instance administrator).
type IntrospectionCaller struct {
	Client *ClientAuth
	Bearer string
}

// inactive is the one answer for every token that is not usable (RFC 7662 2.2).
func inactive() map[string]any { return map[string]any{"active": false} }

// Introspect answers RFC 7662 for every token kind; an unknown, expired or revoked token gives
// {"active": false}. A failed caller authentication is an error (invalid_client).
//
// Callers: a confidential client (its secret checked), or a bearer that auth.Sessions accepts
// under the rule of /v1/verify (AuthorizeVerifier: an API key holding gatehouse:verify, or an
// instance administrator), or an API key holding gatehouse:introspect. A client sees only the
// access and refresh tokens issued to it, unless an administrator gave it gatehouse:introspect;
// every other token is {"active": false} to it (API.md "Introspection"). Bearer callers see
// every token: /v1/verify shows them every credential anyway. The token: a JWT is an access
// token (VerifyAccessToken); a `<brand>_rt_` token is a refresh token (active while unused,
// unexpired, and its family not revoked); every other Gatehouse token goes through
// auth.Sessions.Verify with no scopes and no address. Active answers carry active, scope,
// client_id (access and refresh tokens), sub, username, token_type, exp, iat, iss, jti (access
// tokens) and gatehouse_kind (the credential kind). The hint is only a hint: every token is
// recognised by its form.
func (p *Provider) Introspect(ctx context.Context, caller IntrospectionCaller, tok, hint string, meta auth.Meta) (map[string]any, error) {
	onlyClient, err := p.authenticateIntrospector(ctx, caller, meta)
	if err != nil {
		return nil, err
	}
	_ = hint
	if tok == "" || len(tok) > maxJWTLen {
		return inactive(), nil
	}
	var out map[string]any
	switch {
	case looksLikeJWT(tok):
		out, err = p.introspectAccessToken(ctx, tok)
	case isRefreshToken(tok, p.cfg.Brand):
		out, err = p.introspectRefreshToken(ctx, tok)
	case onlyClient != "":
		return inactive(), nil // no client was issued a session, PAT or key
	default:
		out, err = p.introspectCredential(ctx, tok, meta)
	}
	if err != nil && !isDomainError(err) {
		return nil, err // the store failed: an error, not a wrong "inactive"
	}
	if err != nil || out == nil {
		return inactive(), nil
	}
	if onlyClient != "" && out["client_id"] != onlyClient {
		return inactive(), nil // another client's token: nothing to say about it
	}
	out["active"] = true
	out["iss"] = p.cfg.Issuer
	return out, nil
}

// authenticateIntrospector checks the caller; every failure is invalid_client. It returns the
// client_id whose tokens alone the caller may see, or "" when it may see every token.
func (p *Provider) authenticateIntrospector(ctx context.Context, caller IntrospectionCaller, meta auth.Meta) (onlyClient string, err error) {
	switch {
	case caller.Client != nil && caller.Bearer == "":
		if caller.Client.Secret == "" {
			return "", errInvalidClient // public clients may not introspect
		}
		c, err := p.clients.Authenticate(ctx, caller.Client.ClientID, caller.Client.Secret)
		if err != nil {
			if isDomainError(err) {
				return "", errInvalidClient
			}
			return "", err
		}
		if slices.Contains(c.Scopes, gatehouse.ReservedScopeIntrospect) {
			return "", nil
		}
		return c.ID, nil
	case caller.Bearer != "" && caller.Client == nil:
		pr, err := p.svc.Authenticate(ctx, caller.Bearer, meta)
		if err == nil && (pr.APIKey == nil || !slices.Contains(pr.APIKey.Scopes, gatehouse.ReservedScopeIntrospect)) {
			err = p.svc.Authorize(pr, authz.Verify)
		}
		if err != nil {
			if isDomainError(err) {
				return "", errInvalidClient
			}
			return "", err
		}
		return "", nil
	}
	return "", errInvalidClient
}

func isRefreshToken(s, brand string) bool {
	t, err := token.Parse(s)
	return err == nil && t.Brand == brand && t.Kind == token.KindRefresh
}

func (p *Provider) introspectAccessToken(ctx context.Context, raw string) (map[string]any, error) {
	at, err := p.VerifyAccessToken(ctx, raw)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"scope": strings.Join(at.Scopes, " "), "client_id": at.ClientID, "sub": at.Subject,
		"token_type": "Bearer", "exp": at.ExpiresAt.Unix(), "iat": at.IssuedAt.Unix(), "jti": at.JTI,
		"aud": at.Audience, "gatehouse_kind": gatehouse.CredentialAccessToken,
	}
	if at.Subject == at.ClientID { // client_credentials: no user
		return out, nil
	}
	u, err := p.activeUser(ctx, at.Subject)
	if err != nil {
		return nil, err
	}
	out["username"] = u.Username
	return out, nil
}

func (p *Provider) introspectRefreshToken(ctx context.Context, raw string) (map[string]any, error) {
	rt, err := p.store.RefreshTokenByHash(ctx, token.Hash(raw))
	if err != nil {
		return nil, err
	}
	if rt.UsedAt != nil || rt.FamilyRevokedAt != nil || !p.now().Before(rt.ExpiresAt) {
		return nil, errInvalidGrant
	}
	u, err := p.activeUser(ctx, rt.UserID)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"scope": strings.Join(rt.Scopes, " "), "client_id": rt.ClientID, "sub": rt.UserID, "username": u.Username,
		"token_type": "refresh_token", "exp": rt.ExpiresAt.Unix(), "iat": rt.CreatedAt.Unix(),
		"gatehouse_kind": "refresh_token",
	}, nil
}

// introspectCredential describes a session, agent session, PAT or API key.
func (p *Provider) introspectCredential(ctx context.Context, raw string, meta auth.Meta) (map[string]any, error) {
	v, err := p.svc.Verify(ctx, auth.VerifyInput{Token: raw}, meta)
	if err != nil {
		return nil, err
	}
	pr := v.Principal
	out := map[string]any{"token_type": "Bearer", "gatehouse_kind": v.Kind}
	if len(v.Scopes) > 0 {
		out["scope"] = strings.Join(v.Scopes, " ")
	}
	if v.ExpiresAt != nil {
		out["exp"] = v.ExpiresAt.Unix()
	}
	switch {
	case pr.APIKey != nil:
		out["sub"] = pr.APIKey.ID
		out["org_id"] = pr.APIKey.OrgID
		out["environment"] = pr.APIKey.Environment
		out["iat"] = pr.APIKey.CreatedAt.Unix()
	case pr.User != nil:
		out["sub"] = pr.User.ID
		out["username"] = pr.User.Username
		switch {
		case pr.Session != nil:
			out["iat"] = pr.Session.CreatedAt.Unix()
		case pr.PAT != nil:
			out["iat"] = pr.PAT.CreatedAt.Unix()
		}
	default:
		return nil, errInvalidAccessToken
	}
	return out, nil
}

// activeUser returns the user if it exists and is not disabled, else invalid_token.
func (p *Provider) activeUser(ctx context.Context, id string) (*gatehouse.User, error) {
	u, err := p.store.UserByID(ctx, id)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errInvalidAccessToken
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled() {
		return nil, errInvalidAccessToken
	}
	return u, nil
}
