package postgres

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
	"github.com/jackc/pgx/v5"
)

// The OAuth grants (gatehouse.OAuthGrantStore): authorization codes, refresh tokens, the
// access token denylist and pruning here, device flows in oauth_device.go, consents in
// oauth_consents.go. Every single-use step runs in one transaction that first locks the
// artefact's row (SELECT ... FOR UPDATE): concurrent steps, on any number of instances, queue
// on the row lock, and each after the first reads the row as the one before left it.

// authCodeColumns is the column list scanAuthCode reads, in order.
const authCodeColumns = `id, code_hash, client_id, user_id, redirect_uri, scopes, nonce, code_challenge,
	auth_time, created_at, expires_at, used_at, family_id, access_jti, access_expires_at`

// scanAuthCode reads one row of authCodeColumns.
func scanAuthCode(row pgx.Row) (*gatehouse.AuthorizationCode, error) {
	var c gatehouse.AuthorizationCode
	var authTime *time.Time
	err := row.Scan(&c.ID, &c.CodeHash, &c.ClientID, &c.UserID, &c.RedirectURI, &c.Scopes, &c.Nonce,
		&c.CodeChallenge, &authTime, &c.CreatedAt, &c.ExpiresAt, &c.UsedAt, &c.FamilyID, &c.AccessJTI,
		&c.AccessExpiresAt)
	if err != nil {
		return nil, mapError(err, "Authorization code")
	}
	c.Scopes, c.AuthTime = orEmpty(c.Scopes), fromNullTS(authTime)
	c.CreatedAt, c.ExpiresAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC()
	c.UsedAt, c.AccessExpiresAt = utcPtr(c.UsedAt), utcPtr(c.AccessExpiresAt)
	return &c, nil
}

// refreshTokenColumns is the column list scanRefreshToken reads, in order: the token (t) with
// its family (f).
const refreshTokenColumns = `t.id, t.family_id, t.token_hash, t.created_at, t.expires_at, t.used_at,
	f.client_id, f.user_id, f.scopes, f.auth_time, f.revoked_at`

// refreshTokenFrom joins a token to its family.
const refreshTokenFrom = ` FROM oauth_refresh_tokens t JOIN oauth_refresh_families f ON f.id = t.family_id`

// scanRefreshToken reads one row of refreshTokenColumns.
func scanRefreshToken(row pgx.Row) (*gatehouse.RefreshToken, error) {
	var t gatehouse.RefreshToken
	var authTime *time.Time
	err := row.Scan(&t.ID, &t.FamilyID, &t.TokenHash, &t.CreatedAt, &t.ExpiresAt, &t.UsedAt,
		&t.ClientID, &t.UserID, &t.Scopes, &authTime, &t.FamilyRevokedAt)
	if err != nil {
		return nil, mapError(err, "Refresh token")
	}
	t.Scopes, t.AuthTime = orEmpty(t.Scopes), fromNullTS(authTime)
	t.CreatedAt, t.ExpiresAt, t.UsedAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC(), utcPtr(t.UsedAt)
	t.FamilyRevokedAt = utcPtr(t.FamilyRevokedAt)
	return &t, nil
}

// CreateAuthorizationCode inserts c (filled as record.FillAuthorizationCode says). An unknown
// user is not found; a code hash or ID in use CodeConflict.
func (s *Store) CreateAuthorizationCode(ctx context.Context, c *gatehouse.AuthorizationCode) error {
	if err := record.FillAuthorizationCode(c); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO oauth_authorization_codes (`+authCodeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		c.ID, c.CodeHash, c.ClientID, c.UserID, c.RedirectURI, c.Scopes, c.Nonce, c.CodeChallenge,
		nullTS(c.AuthTime), c.CreatedAt, c.ExpiresAt, c.UsedAt, c.FamilyID, c.AccessJTI, c.AccessExpiresAt)
	return mapError(err, "User") // the one foreign key is the user
}

// RedeemAuthorizationCode marks the unexpired code with that hash used at now and records what
// the redemption issued, in one transaction holding the code's row lock that also starts the
// refresh family of first (when not nil: ID first.FamilyID, a new one when empty) with first as
// its first token; first is filled as record.FillRefreshToken says. It returns the code as
// stored before. Unknown or expired → not found; used → the stored code and
// record.ErrCodeUsed (CodeConflict).
func (s *Store) RedeemAuthorizationCode(ctx context.Context, hash []byte, now time.Time, accessJTI string, accessExpiresAt time.Time, first *gatehouse.RefreshToken) (*gatehouse.AuthorizationCode, error) {
	now = ts(now)
	var code *gatehouse.AuthorizationCode
	var used bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		code, err = scanAuthCode(tx.QueryRow(ctx, `SELECT `+authCodeColumns+` FROM oauth_authorization_codes
			WHERE code_hash = $1 FOR UPDATE`, hash))
		if err != nil {
			return err
		}
		if !now.Before(code.ExpiresAt) {
			return notFound("Authorization code")
		}
		if used = code.UsedAt != nil; used {
			return nil // nothing to write
		}
		familyID := ""
		if first != nil {
			f := record.FamilyFromCode(code, first.FamilyID, now)
			if err := record.FillRefreshToken(first, f, now); err != nil {
				return err
			}
			if err := insertFamily(ctx, tx, f, first); err != nil {
				return err
			}
			familyID = f.ID
		}
		_, err = tx.Exec(ctx, `UPDATE oauth_authorization_codes SET used_at = $2, family_id = $3,
			access_jti = $4, access_expires_at = $5 WHERE id = $1`,
			code.ID, now, familyID, accessJTI, ts(accessExpiresAt))
		return mapError(err, "Authorization code")
	})
	switch {
	case err != nil:
		return nil, err
	case used:
		return code, record.ErrCodeUsed
	}
	return code, nil
}

// insertFamily inserts the family f and its first token (filled by the caller).
func insertFamily(ctx context.Context, tx pgx.Tx, f *gatehouse.RefreshFamily, first *gatehouse.RefreshToken) error {
	_, err := tx.Exec(ctx, `INSERT INTO oauth_refresh_families (id, client_id, user_id, scopes,
		auth_time, created_at, revoked_at, revoke_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		f.ID, f.ClientID, f.UserID, f.Scopes, nullTS(f.AuthTime), f.CreatedAt, f.RevokedAt, f.RevokeReason)
	if err != nil {
		return mapError(err, "User") // the one foreign key is the user
	}
	return insertRefreshToken(ctx, tx, first)
}

// insertRefreshToken inserts t (filled by record.FillRefreshToken).
func insertRefreshToken(ctx context.Context, tx pgx.Tx, t *gatehouse.RefreshToken) error {
	_, err := tx.Exec(ctx, `INSERT INTO oauth_refresh_tokens (id, family_id, token_hash, created_at,
		expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.ID, t.FamilyID, t.TokenHash, t.CreatedAt, t.ExpiresAt, t.UsedAt)
	return mapError(err, "Refresh family")
}

// CreateRefreshFamily inserts f and its first token in one transaction (filled as
// record.FillRefreshFamily and record.FillRefreshToken say: first becomes a token of f). An
// unknown user is not found; an ID or token hash in use CodeConflict.
func (s *Store) CreateRefreshFamily(ctx context.Context, f *gatehouse.RefreshFamily, first *gatehouse.RefreshToken) error {
	if err := record.FillRefreshFamily(f); err != nil {
		return err
	}
	if err := record.FillRefreshToken(first, f, f.CreatedAt); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx) error { return insertFamily(ctx, tx, f, first) })
}

// RefreshTokenByHash returns the token with that hash and its family's fields, whatever its
// state.
func (s *Store) RefreshTokenByHash(ctx context.Context, hash []byte) (*gatehouse.RefreshToken, error) {
	return scanRefreshToken(s.pool.QueryRow(ctx, `SELECT `+refreshTokenColumns+refreshTokenFrom+`
		WHERE t.token_hash = $1`, hash))
}

// RotateRefreshToken applies record.DecideRotation to the token with that hash in one
// transaction that locks the token's row and then its family's (FOR UPDATE OF t, f, so a
// waiting rotation reads both as the one before left them) and writes at most two rows: the
// used token and next, or the revoked family. On success it returns the token as stored now
// (used at now) and next is filled as record.FillRefreshToken says; on reuse it returns the
// token (its family revoked at now) and record.ErrRefreshReused (CodeConflict).
func (s *Store) RotateRefreshToken(ctx context.Context, hash []byte, clientID string, next *gatehouse.RefreshToken, now time.Time) (*gatehouse.RefreshToken, error) {
	now = ts(now)
	var tok *gatehouse.RefreshToken
	var reused bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		tok, err = scanRefreshToken(tx.QueryRow(ctx, `SELECT `+refreshTokenColumns+refreshTokenFrom+`
			WHERE t.token_hash = $1 FOR UPDATE OF t, f`, hash))
		if err != nil {
			return err
		}
		switch record.DecideRotation(tok, clientID, now) {
		case record.RotateNotFound:
			return notFound("Refresh token")
		case record.RotateReused:
			if _, err := tx.Exec(ctx, `UPDATE oauth_refresh_families SET revoked_at = $2, revoke_reason = $3
				WHERE id = $1 AND revoked_at IS NULL`, tok.FamilyID, now, record.ReasonRefreshReused); err != nil {
				return mapError(err, "Refresh family")
			}
			tok.FamilyRevokedAt, reused = &now, true
			return nil // commit the revocation
		}
		f := &gatehouse.RefreshFamily{ID: tok.FamilyID, ClientID: tok.ClientID, UserID: tok.UserID,
			Scopes: tok.Scopes, AuthTime: tok.AuthTime}
		if err := record.FillRefreshToken(next, f, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE oauth_refresh_tokens SET used_at = $2 WHERE id = $1`, tok.ID, now); err != nil {
			return mapError(err, "Refresh token")
		}
		tok.UsedAt = &now
		return insertRefreshToken(ctx, tx, next)
	})
	switch {
	case err != nil:
		return nil, err
	case reused:
		return tok, record.ErrRefreshReused
	}
	return tok, nil
}

// RevokeRefreshFamily revokes the family at at for reason; a revoked or unknown family is no
// error (the first revocation's time and reason stay).
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, at time.Time, reason string) error {
	_, err := s.pool.Exec(ctx, `UPDATE oauth_refresh_families SET revoked_at = $2, revoke_reason = $3
		WHERE id = $1 AND revoked_at IS NULL`, familyID, ts(at), reason)
	return mapError(err, "Refresh family")
}

// RevokeUserRefreshFamilies revokes the user's unrevoked families (of clientID only, when not
// empty) at at for reason and returns how many.
func (s *Store) RevokeUserRefreshFamilies(ctx context.Context, userID, clientID string, at time.Time, reason string) (int, error) {
	return revokeUserFamilies(ctx, s.pool, userID, clientID, at, reason)
}

// revokeUserFamilies is RevokeUserRefreshFamilies on q.
func revokeUserFamilies(ctx context.Context, q querier, userID, clientID string, at time.Time, reason string) (int, error) {
	tag, err := q.Exec(ctx, `UPDATE oauth_refresh_families SET revoked_at = $3, revoke_reason = $4
		WHERE user_id = $1 AND ($2 = '' OR client_id = $2) AND revoked_at IS NULL`,
		userID, clientID, ts(at), reason)
	if err != nil {
		return 0, mapError(err, "Refresh family")
	}
	return int(tag.RowsAffected()), nil
}

// errNoJTI is DenyAccessToken's answer for an empty jti.
var errNoJTI = gatehouse.Errorf(gatehouse.CodeInvalidRequest, "An access token to deny needs a jti.")

// DenyAccessToken puts jti on the denylist until expiresAt (the later expiry, when it is there
// already). An empty jti is CodeInvalidRequest.
func (s *Store) DenyAccessToken(ctx context.Context, jti string, expiresAt time.Time) error {
	if jti == "" {
		return errNoJTI
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO oauth_access_denylist AS d (jti, expires_at) VALUES ($1, $2)
		ON CONFLICT (jti) DO UPDATE SET expires_at = greatest(d.expires_at, excluded.expires_at)`,
		jti, ts(expiresAt))
	return mapError(err, "Access token")
}

// AccessTokenDenied reports whether jti is on the denylist.
func (s *Store) AccessTokenDenied(ctx context.Context, jti string) (bool, error) {
	var denied bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM oauth_access_denylist WHERE jti = $1)`, jti).
		Scan(&denied)
	if err != nil {
		return false, mapError(err, "Access token")
	}
	return denied, nil
}

// PruneOAuthGrants deletes, in one transaction, the codes, device flows and denylist entries
// that expire at or before cutoff, the refresh tokens that do, and then the families left with
// no token; it returns how many rows it deleted.
func (s *Store) PruneOAuthGrants(ctx context.Context, cutoff time.Time) (int, error) {
	var total int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		for _, q := range []string{
			`DELETE FROM oauth_authorization_codes WHERE expires_at <= $1`,
			`DELETE FROM oauth_device_authorizations WHERE expires_at <= $1`,
			`DELETE FROM oauth_access_denylist WHERE expires_at <= $1`,
			`DELETE FROM oauth_refresh_tokens WHERE expires_at <= $1`,
		} {
			tag, err := tx.Exec(ctx, q, cutoff)
			if err != nil {
				return mapError(err, "OAuth grant")
			}
			total += int(tag.RowsAffected())
		}
		tag, err := tx.Exec(ctx, `DELETE FROM oauth_refresh_families f
			WHERE NOT EXISTS (SELECT 1 FROM oauth_refresh_tokens t WHERE t.family_id = f.id)`)
		if err != nil {
			return mapError(err, "Refresh family")
		}
		total += int(tag.RowsAffected())
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}

// nullTS stores a zero time (not given) as NULL, any other as ts does.
func nullTS(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := ts(t)
	return &v
}

// fromNullTS reads a time stored by nullTS: NULL is the zero time.
func fromNullTS(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
