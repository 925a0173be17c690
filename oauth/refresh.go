package oauth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/token"
)

// refresh serves the refresh_token grant (RFC 6749 6). Each use rotates the token: the store
// marks it used and inserts the next one of its family in one transaction touching a constant
// number of rows. A used token presented again means it leaked: the store revokes the whole
// family (the newest token included) and the answer is invalid_grant. Another client's token,
// an expired one, one of a revoked family and garbage are invalid_grant alike. A scope parameter
// may narrow the new access token's scopes to a subset of the family's (the family keeps its
// own). The token.refreshed event is aggregated per client and user (tokenaudit.go); a reuse's
// token.revoked is written at once.
func (p *Provider) refresh(ctx context.Context, client *gatehouse.OAuthClient, req TokenRequest, meta auth.Meta) (*TokenResponse, error) {
	if req.RefreshToken == "" {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "refresh_token is required.")
	}
	t, err := token.Parse(req.RefreshToken)
	if err != nil || t.Brand != p.cfg.Brand || t.Kind != token.KindRefresh {
		return nil, errInvalidGrant
	}
	hash := token.Hash(req.RefreshToken)
	narrowed := splitScope(req.Scope)
	if len(narrowed) > 0 {
		// Checked before the rotation, so that a refused scope does not spend the token.
		cur, err := p.store.RefreshTokenByHash(ctx, hash)
		if errors.Is(err, gatehouse.ErrNotFound) {
			return nil, errInvalidGrant
		}
		if err != nil {
			return nil, err
		}
		if cur.ClientID != client.ID {
			return nil, errInvalidGrant
		}
		for _, sc := range narrowed {
			if !slices.Contains(cur.Scopes, sc) {
				return nil, gatehouse.Errorf(gatehouse.CodeInvalidScope, "The scope %q was not granted.", truncate(sc, 64))
			}
		}
	}
	now := p.now()
	next, raw, err := p.newRefreshToken(now)
	if err != nil {
		return nil, err
	}
	old, err := p.store.RotateRefreshToken(ctx, hash, client.ID, next, now)
	switch {
	case errors.Is(err, gatehouse.ErrNotFound):
		return nil, errInvalidGrant
	case gatehouse.ErrorCode(err) == gatehouse.CodeConflict:
		// The store revoked the family already.
		details := map[string]any{"reason": "refresh_token_reused", "client_id": client.ID}
		actor := ""
		if old != nil {
			details["family_id"], actor = old.FamilyID, old.UserID
		}
		p.audit(ctx, EventTokenRevoked, actor, client.ID, client.OrgID, meta, details)
		return nil, errInvalidGrant
	case err != nil:
		return nil, fmt.Errorf("oauth: rotate refresh token: %w", err)
	}
	scopes := next.Scopes
	userID, authTime, familyID := next.UserID, next.AuthTime, next.FamilyID
	if old != nil && userID == "" {
		scopes, userID, authTime, familyID = old.Scopes, old.UserID, old.AuthTime, old.FamilyID
	}
	u, err := p.store.UserByID(ctx, userID)
	if errors.Is(err, gatehouse.ErrNotFound) || (err == nil && u.Disabled()) {
		if err := p.store.RevokeRefreshFamily(ctx, familyID, now, "user_gone"); err != nil {
			p.log.ErrorContext(ctx, "refresh family of a gone user not revoked", "family_id", familyID, "err", err)
		}
		return nil, errInvalidGrant
	}
	if err != nil {
		return nil, err
	}
	if len(narrowed) > 0 {
		scopes = narrowed
	}
	access, err := p.issueAccessToken(ctx, client.ID, u, scopes, authTime)
	if err != nil {
		return nil, err
	}
	resp := &TokenResponse{
		AccessToken: access.Raw, TokenType: "Bearer", ExpiresIn: access.expiresIn(),
		RefreshToken: raw, Scope: strings.Join(scopes, " "),
	}
	if slices.Contains(scopes, auth.ScopeOpenID) {
		if resp.IDToken, err = p.mintIDToken(ctx, u, client.ID, scopes, authTime, "", access.Raw); err != nil {
			return nil, err
		}
	}
	p.noteTokenEvent(EventTokenRefreshed, auth.GrantRefreshToken, client, u.ID, meta) // aggregated (tokenaudit.go)
	return resp, nil
}
