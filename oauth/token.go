package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/token"
)

// TokenRequest is the form of /oauth2/token.
type TokenRequest struct {
	GrantType, Code, RedirectURI, CodeVerifier, RefreshToken, Scope, DeviceCode string
	Client                                                                      ClientAuth
}

// TokenResponse is the token endpoint's success body (RFC 6749 5.1).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

var (
	errInvalidGrant       = &gatehouse.Error{Code: gatehouse.CodeInvalidGrant, Message: "The grant is invalid, expired or already used."}
	errUnauthorizedClient = &gatehouse.Error{Code: gatehouse.CodeUnauthorizedClient, Message: "This client may not use this grant type."}
)

// Token serves every grant. Errors are *gatehouse.Error with the RFC 6749 5.2 / RFC 8628 3.5
// codes (invalid_client, invalid_grant, unauthorized_client, unsupported_grant_type,
// invalid_scope, invalid_request, authorization_pending, slow_down, access_denied,
// expired_token).
func (p *Provider) Token(ctx context.Context, req TokenRequest, meta auth.Meta) (*TokenResponse, error) {
	switch req.GrantType {
	case "":
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "grant_type is required.")
	case auth.GrantAuthorizationCode, auth.GrantRefreshToken, auth.GrantClientCredentials, auth.GrantDeviceCode:
	default:
		return nil, gatehouse.Errorf(gatehouse.CodeUnsupportedGrantType, "Unsupported grant_type.")
	}
	client, err := p.authenticateClient(ctx, req.Client)
	if err != nil {
		return nil, err
	}
	if !hasGrant(client, req.GrantType) {
		return nil, errUnauthorizedClient
	}
	switch req.GrantType {
	case auth.GrantAuthorizationCode:
		return p.exchangeCode(ctx, client, req, meta)
	case auth.GrantRefreshToken:
		return p.refresh(ctx, client, req, meta)
	case auth.GrantClientCredentials:
		return p.clientCredentials(ctx, client, req, meta)
	default:
		return p.pollDevice(ctx, client, req, meta)
	}
}

// exchangeCode redeems an authorization code (RFC 6749 4.1.3, RFC 7636 4.6).
//
// The code is consumed first, atomically, with what it will issue recorded (the access token's
// jti and expiry, and — when the client has the refresh_token grant and registered
// offline_access — a refresh family): of concurrent redemptions exactly one gets it, and a
// second redemption revokes what the first issued (RFC 6749 4.1.2). Then the code's client,
// redirect URI and PKCE verifier are checked; a mismatch answers invalid_grant and revokes the
// family, so a stolen code is burnt. A refresh token is handed out only when offline_access was
// granted; otherwise the family made up front is revoked at once.
func (p *Provider) exchangeCode(ctx context.Context, client *gatehouse.OAuthClient, req TokenRequest, meta auth.Meta) (*TokenResponse, error) {
	if req.Code == "" {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "code is required.")
	}
	if req.CodeVerifier == "" {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "code_verifier is required (PKCE).")
	}
	if req.RedirectURI == "" {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "redirect_uri is required.")
	}
	if !validVerifier(req.CodeVerifier) || len(req.Code) > 256 {
		return nil, errInvalidGrant
	}
	now := p.now()
	jti, err := p.newJTI()
	if err != nil {
		return nil, err
	}
	exp := p.accessExpiry(now)
	var first *gatehouse.RefreshToken
	var refreshRaw string
	if hasGrant(client, auth.GrantRefreshToken) && slices.Contains(client.Scopes, auth.ScopeOfflineAccess) {
		if first, refreshRaw, err = p.newRefreshToken(now); err != nil {
			return nil, err
		}
		first.FamilyID = p.newID(gatehouse.PrefixRefreshFamily)
	}
	code, err := p.store.RedeemAuthorizationCode(ctx, token.Hash(req.Code), now, jti, exp, first)
	switch {
	case errors.Is(err, gatehouse.ErrNotFound):
		return nil, errInvalidGrant
	case gatehouse.ErrorCode(err) == gatehouse.CodeConflict && code != nil:
		p.revokeCodeIssue(ctx, code, "authorization_code_reused", meta)
		return nil, errInvalidGrant
	case err != nil:
		return nil, fmt.Errorf("oauth: redeem code: %w", err)
	}
	familyID := ""
	if first != nil {
		familyID = first.FamilyID
	}
	burn := func() (*TokenResponse, error) {
		if familyID != "" {
			if err := p.store.RevokeRefreshFamily(ctx, familyID, now, "authorization_code_rejected"); err != nil {
				p.log.ErrorContext(ctx, "refresh family of a rejected code not revoked", "family_id", familyID, "err", err)
			}
		}
		return nil, errInvalidGrant
	}
	if code.ClientID != client.ID || code.RedirectURI != req.RedirectURI || !pkceMatches(req.CodeVerifier, code.CodeChallenge) {
		return burn()
	}
	u, err := p.store.UserByID(ctx, code.UserID)
	if errors.Is(err, gatehouse.ErrNotFound) || (err == nil && u.Disabled()) {
		return burn()
	}
	if err != nil {
		return nil, err
	}
	raw, err := p.mintAccessToken(ctx, jti, client.ID, u.ID, code.Scopes, code.AuthTime, exp, now, u.AccessTokenIssuedAt(now))
	if err != nil {
		return nil, err
	}
	resp := &TokenResponse{AccessToken: raw, TokenType: "Bearer", ExpiresIn: exp.Unix() - now.Unix(), Scope: strings.Join(code.Scopes, " ")}
	if familyID != "" {
		if wantsRefresh(client, code.Scopes) {
			resp.RefreshToken = refreshRaw
		} else if err := p.store.RevokeRefreshFamily(ctx, familyID, now, "offline_access_not_granted"); err != nil {
			return nil, fmt.Errorf("oauth: revoke unused refresh family: %w", err)
		}
	}
	if slices.Contains(code.Scopes, auth.ScopeOpenID) {
		if resp.IDToken, err = p.mintIDToken(ctx, u, client.ID, code.Scopes, code.AuthTime, code.Nonce, raw); err != nil {
			return nil, err
		}
	}
	details := map[string]any{"grant_type": auth.GrantAuthorizationCode, "client_id": client.ID, "jti": jti, "scopes": code.Scopes}
	if resp.RefreshToken != "" {
		details["family_id"] = familyID
	}
	p.audit(ctx, EventTokenIssued, u.ID, client.ID, client.OrgID, meta, details)
	return resp, nil
}

// revokeCodeIssue revokes what the first redemption of a reused code issued: its refresh family
// and its access token.
func (p *Provider) revokeCodeIssue(ctx context.Context, code *gatehouse.AuthorizationCode, reason string, meta auth.Meta) {
	ctx = context.WithoutCancel(ctx)
	now := p.now()
	if code.FamilyID != "" {
		if err := p.store.RevokeRefreshFamily(ctx, code.FamilyID, now, reason); err != nil {
			p.log.ErrorContext(ctx, "refresh family of a reused code not revoked", "family_id", code.FamilyID, "err", err)
		}
	}
	if code.AccessJTI != "" {
		exp := now.Add(p.cfg.AccessTokenTTL)
		if code.AccessExpiresAt != nil {
			exp = *code.AccessExpiresAt
		}
		if err := p.store.DenyAccessToken(ctx, code.AccessJTI, exp); err != nil {
			p.log.ErrorContext(ctx, "access token of a reused code not denied", "err", err)
		}
	}
	p.audit(ctx, EventTokenRevoked, code.UserID, code.ClientID, "", meta, map[string]any{
		"reason": reason, "client_id": code.ClientID, "family_id": code.FamilyID, "jti": code.AccessJTI,
	})
}

// validVerifier checks a PKCE code verifier: 43 to 128 unreserved characters (RFC 7636 4.1).
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		b := v[i]
		if !isBase64URL(b) && b != '.' && b != '~' {
			return false
		}
	}
	return true
}

// pkceMatches compares BASE64URL(SHA256(verifier)) with the challenge in constant time.
func pkceMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// newRefreshToken makes a refresh token (`<brand>_rt_…`) expiring RefreshTokenTTL after now; only
// its hash goes into the returned record.
func (p *Provider) newRefreshToken(now time.Time) (*gatehouse.RefreshToken, string, error) {
	raw, err := p.tokens.New(token.KindRefresh)
	if err != nil {
		return nil, "", err
	}
	return &gatehouse.RefreshToken{
		ID:        p.newID(gatehouse.PrefixRefreshToken),
		TokenHash: token.Hash(raw),
		CreatedAt: now,
		ExpiresAt: now.Add(p.cfg.RefreshTokenTTL),
	}, raw, nil
}

// issueUserTokens issues the tokens of a grant to a user (device flow): an access token, a
// refresh token (new family) when the client may refresh and offline_access was granted, and an
// ID token when openid was.
func (p *Provider) issueUserTokens(ctx context.Context, client *gatehouse.OAuthClient, u *gatehouse.User, scopes []string, authTime time.Time, nonce string) (*TokenResponse, string, string, error) {
	access, err := p.issueAccessToken(ctx, client.ID, u, scopes, authTime)
	if err != nil {
		return nil, "", "", err
	}
	now := p.now()
	resp := &TokenResponse{AccessToken: access.Raw, TokenType: "Bearer", ExpiresIn: access.expiresIn(), Scope: strings.Join(scopes, " ")}
	familyID := ""
	if wantsRefresh(client, scopes) {
		first, raw, err := p.newRefreshToken(now)
		if err != nil {
			return nil, "", "", err
		}
		f := &gatehouse.RefreshFamily{
			ID: p.newID(gatehouse.PrefixRefreshFamily), ClientID: client.ID, UserID: u.ID, Scopes: scopes,
			AuthTime: authTime, CreatedAt: now,
		}
		if err := p.store.CreateRefreshFamily(ctx, f, first); err != nil {
			return nil, "", "", fmt.Errorf("oauth: create refresh family: %w", err)
		}
		resp.RefreshToken, familyID = raw, f.ID
	}
	if slices.Contains(scopes, auth.ScopeOpenID) {
		if resp.IDToken, err = p.mintIDToken(ctx, u, client.ID, scopes, authTime, nonce, access.Raw); err != nil {
			return nil, "", "", err
		}
	}
	return resp, access.JTI, familyID, nil
}
