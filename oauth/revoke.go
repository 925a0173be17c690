package oauth

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/token"
)

// Revoke implements RFC 7009: unknown tokens are not an error.
//
// The client authenticates (a public client by its client_id). A refresh token issued to that
// client revokes its whole family; an access token (JWT) issued to that client goes on the
// denylist until it expires. Another client's tokens, unknown or expired tokens and tokens of
// other kinds are left alone without an error (RFC 7009 2.2), so that nothing is revealed.
func (p *Provider) Revoke(ctx context.Context, client ClientAuth, tok, hint string, meta auth.Meta) error {
	c, err := p.authenticateClient(ctx, client)
	if err != nil {
		return err
	}
	_ = hint // every token is recognised by its form
	switch {
	case tok == "":
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "token is required.")
	case looksLikeJWT(tok):
		at, err := p.VerifyAccessToken(ctx, tok)
		if err != nil {
			if isDomainError(err) {
				return nil
			}
			return err
		}
		if at.ClientID != c.ID {
			return nil
		}
		if err := p.store.DenyAccessToken(ctx, at.JTI, at.ExpiresAt); err != nil {
			return fmt.Errorf("oauth: deny access token: %w", err)
		}
		p.audit(ctx, EventTokenRevoked, at.Subject, c.ID, c.OrgID, meta, map[string]any{
			"kind": gatehouse.CredentialAccessToken, "client_id": c.ID, "jti": at.JTI, "reason": "revoked_by_client",
		})
	case isRefreshToken(tok, p.cfg.Brand):
		rt, err := p.store.RefreshTokenByHash(ctx, token.Hash(tok))
		if errors.Is(err, gatehouse.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if rt.ClientID != c.ID || rt.FamilyRevokedAt != nil {
			return nil
		}
		if err := p.store.RevokeRefreshFamily(ctx, rt.FamilyID, p.now(), "revoked_by_client"); err != nil {
			return fmt.Errorf("oauth: revoke refresh family: %w", err)
		}
		p.audit(ctx, EventTokenRevoked, rt.UserID, c.ID, c.OrgID, meta, map[string]any{
			"kind": "refresh_token", "client_id": c.ID, "family_id": rt.FamilyID, "reason": "revoked_by_client",
		})
	}
	return nil
}
