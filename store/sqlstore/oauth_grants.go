package sqlstore

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// The OAuth grants (gatehouse.OAuthGrantStore): authorization codes, refresh tokens, the
// access token denylist and pruning here, device flows in oauth_device.go, consents in
// oauth_consents.go. Every single-use step is one write transaction that reads the artefact's
// row locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite's writer holds the file's write lock
// from BEGIN IMMEDIATE, and a refresh token rotation is one savepoint in a group-committed
// transaction, sqlite_groupcommit.go), so concurrent steps, on any number of instances or
// processes, run one after the other and exactly one finds an artefact unused.

// authCodeColumns is the column list authCodeTargets reads, in order.
const authCodeColumns = `id, code_hash, client_id, user_id, redirect_uri, scopes, nonce, code_challenge,
	auth_time, created_at, expires_at, used_at, family_id, access_jti, access_expires_at`

func authCodeTargets(c *gatehouse.AuthorizationCode) []any {
	return []any{&c.ID, &c.CodeHash, &c.ClientID, &c.UserID, &c.RedirectURI, listCol{&c.Scopes},
		&c.Nonce, &c.CodeChallenge, zeroTimeCol{&c.AuthTime}, timeCol{&c.CreatedAt}, timeCol{&c.ExpiresAt},
		nullTimeCol{&c.UsedAt}, &c.FamilyID, &c.AccessJTI, nullTimeCol{&c.AccessExpiresAt}}
}

// refreshTokenColumns is the column list scanRefreshToken reads, in order: the token (t) with
// its family (f).
const refreshTokenColumns = `t.id, t.family_id, t.token_hash, t.created_at, t.expires_at, t.used_at,
	f.client_id, f.user_id, f.scopes, f.auth_time, f.revoked_at`

// refreshTokenFrom joins a token to its family.
const refreshTokenFrom = ` FROM oauth_refresh_tokens t JOIN oauth_refresh_families f ON f.id = t.family_id`

// scanRefreshToken reads one row of refreshTokenColumns.
func scanRefreshToken(row rowScanner) (*gatehouse.RefreshToken, error) {
	var t gatehouse.RefreshToken
	if err := row.Scan(&t.ID, &t.FamilyID, &t.TokenHash, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt},
		nullTimeCol{&t.UsedAt}, &t.ClientID, &t.UserID, listCol{&t.Scopes}, zeroTimeCol{&t.AuthTime},
		nullTimeCol{&t.FamilyRevokedAt}); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateAuthorizationCode inserts c (filled as record.FillAuthorizationCode says). An unknown
// user is not found; a code hash or ID in use CodeConflict.
func (s *Store) CreateAuthorizationCode(ctx context.Context, c *gatehouse.AuthorizationCode) error {
	if err := record.FillAuthorizationCode(c); err != nil {
		return err
	}
	_, err := s.exec(ctx, `INSERT INTO oauth_authorization_codes (`+authCodeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		c.ID, c.CodeHash, c.ClientID, c.UserID, c.RedirectURI, c.Scopes, c.Nonce,
		c.CodeChallenge, zeroAsNil(c.AuthTime), c.CreatedAt, c.ExpiresAt,
		c.UsedAt, c.FamilyID, c.AccessJTI, c.AccessExpiresAt)
	return s.d.mapError(err, "User") // the one foreign key is the user
}

// RedeemAuthorizationCode marks the unexpired code with that hash used at now and records what
// the redemption issued, in one BEGIN IMMEDIATE transaction that also starts the refresh family
// of first (when not nil: ID first.FamilyID, a new one when empty) with first as its first
// token; first is filled as record.FillRefreshToken says. It returns the code as stored before.
// Unknown or expired → not found; used → the stored code and record.ErrCodeUsed (CodeConflict).
func (s *Store) RedeemAuthorizationCode(ctx context.Context, hash []byte, now time.Time, accessJTI string, accessExpiresAt time.Time, first *gatehouse.RefreshToken) (*gatehouse.AuthorizationCode, error) {
	now = norm(now)
	var code *gatehouse.AuthorizationCode
	var used bool
	err := s.inTx(ctx, func(tx conn) error {
		code = &gatehouse.AuthorizationCode{}
		err := tx.row(ctx, `SELECT `+authCodeColumns+` FROM oauth_authorization_codes
			WHERE code_hash = $1`+tx.d.lock("FOR UPDATE"), hash).Scan(authCodeTargets(code)...)
		if err != nil {
			code = nil
			return tx.d.mapError(err, "Authorization code")
		}
		if !now.Before(code.ExpiresAt) {
			code = nil
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
		_, err = tx.exec(ctx, `UPDATE oauth_authorization_codes SET used_at = $1, family_id = $2,
			access_jti = $3, access_expires_at = $4 WHERE id = $5`,
			now, familyID, accessJTI, accessExpiresAt, code.ID)
		return tx.d.mapError(err, "Authorization code")
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
func insertFamily(ctx context.Context, tx conn, f *gatehouse.RefreshFamily, first *gatehouse.RefreshToken) error {
	_, err := tx.exec(ctx, `INSERT INTO oauth_refresh_families (id, client_id, user_id, scopes,
		auth_time, created_at, revoked_at, revoke_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		f.ID, f.ClientID, f.UserID, f.Scopes, zeroAsNil(f.AuthTime), f.CreatedAt,
		f.RevokedAt, f.RevokeReason)
	if err != nil {
		return tx.d.mapError(err, "User") // the one foreign key is the user
	}
	return insertRefreshToken(ctx, tx, first)
}

// insertRefreshToken inserts t (filled by record.FillRefreshToken).
func insertRefreshToken(ctx context.Context, tx conn, t *gatehouse.RefreshToken) error {
	_, err := tx.exec(ctx, `INSERT INTO oauth_refresh_tokens (id, family_id, token_hash,
		created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.ID, t.FamilyID, t.TokenHash, t.CreatedAt, t.ExpiresAt, t.UsedAt)
	return tx.d.mapError(err, "Refresh family")
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
	return s.inTx(ctx, func(tx conn) error { return insertFamily(ctx, tx, f, first) })
}

// RefreshTokenByHash returns the token with that hash and its family's fields, whatever its
// state.
func (s *Store) RefreshTokenByHash(ctx context.Context, hash []byte) (*gatehouse.RefreshToken, error) {
	t, err := scanRefreshToken(s.read().row(ctx, `SELECT `+refreshTokenColumns+refreshTokenFrom+`
		WHERE t.token_hash = $1`, hash))
	return t, s.d.mapError(err, "Refresh token")
}

// RotateRefreshToken applies record.DecideRotation to the token with that hash in one step of a
// group commit (groupcommit.go: concurrent rotations share one BEGIN IMMEDIATE transaction and
// one commit, each in its own savepoint, run one after the other) that reads one token and its
// family and writes at most two rows: the used token and next, or the revoked family. On success
// it returns the token as stored now (used at now) and next is filled as record.FillRefreshToken
// says; on reuse it returns the token (its family revoked at now) and record.ErrRefreshReused
// (CodeConflict). Either answer comes only once the group committed.
func (s *Store) RotateRefreshToken(ctx context.Context, hash []byte, clientID string, next *gatehouse.RefreshToken, now time.Time) (*gatehouse.RefreshToken, error) {
	var r rotation
	step := r.step(hash, clientID, next, norm(now))
	if s.sqlite != nil {
		return r.answer(s.sqlite.rotations.do(ctx, step))
	}
	return r.answer(s.inTx(ctx, func(tx conn) error { return step(ctx, tx) }))
}

// rotation is the outcome of one rotation step: the token as stored now, and whether it was a
// reuse (the family revoked, committed, answered with record.ErrRefreshReused).
type rotation struct {
	tok    *gatehouse.RefreshToken
	reused bool
}

// answer is RotateRefreshToken's answer given the group's answer err to the step.
func (r *rotation) answer(err error) (*gatehouse.RefreshToken, error) {
	switch {
	case err != nil:
		return nil, err
	case r.reused:
		return r.tok, record.ErrRefreshReused
	}
	return r.tok, nil
}

// step returns the group step of RotateRefreshToken (now normalised), which fills r.
func (r *rotation) step(hash []byte, clientID string, next *gatehouse.RefreshToken, now time.Time) groupStep {
	return func(ctx context.Context, tx conn) error {
		tok, err := scanRefreshToken(tx.row(ctx, `SELECT `+refreshTokenColumns+refreshTokenFrom+`
			WHERE t.token_hash = $1`+tx.d.lock("FOR UPDATE OF t, f"), hash))
		if err != nil {
			return tx.d.mapError(err, "Refresh token")
		}
		switch record.DecideRotation(tok, clientID, now) {
		case record.RotateNotFound:
			return notFound("Refresh token")
		case record.RotateReused:
			if _, err := tx.exec(ctx, `UPDATE oauth_refresh_families SET revoked_at = $1, revoke_reason = $2
				WHERE id = $3 AND revoked_at IS NULL`, now, record.ReasonRefreshReused, tok.FamilyID); err != nil {
				return tx.d.mapError(err, "Refresh family")
			}
			tok.FamilyRevokedAt = &now
			r.tok, r.reused = tok, true
			return nil // commit the revocation
		}
		f := &gatehouse.RefreshFamily{ID: tok.FamilyID, ClientID: tok.ClientID, UserID: tok.UserID,
			Scopes: tok.Scopes, AuthTime: tok.AuthTime}
		if err := record.FillRefreshToken(next, f, now); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE oauth_refresh_tokens SET used_at = $1 WHERE id = $2`,
			now, tok.ID); err != nil {
			return tx.d.mapError(err, "Refresh token")
		}
		if err := insertRefreshToken(ctx, tx, next); err != nil {
			return err
		}
		tok.UsedAt = &now
		r.tok = tok
		return nil
	}
}

// RevokeRefreshFamily revokes the family at at for reason; a revoked or unknown family is no
// error (the first revocation's time and reason stay).
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, at time.Time, reason string) error {
	_, err := s.exec(ctx, `UPDATE oauth_refresh_families SET revoked_at = $1, revoke_reason = $2
		WHERE id = $3 AND revoked_at IS NULL`, at, reason, familyID)
	return s.d.mapError(err, "Refresh family")
}

// RevokeUserRefreshFamilies revokes the user's unrevoked families (of clientID only, when not
// empty) at at for reason and returns how many.
func (s *Store) RevokeUserRefreshFamilies(ctx context.Context, userID, clientID string, at time.Time, reason string) (int, error) {
	var n int
	err := s.autocommit(func(w conn) error {
		var err error
		n, err = revokeUserFamilies(ctx, w, userID, clientID, at, reason)
		return err
	})
	return n, err
}

// revokeUserFamilies is RevokeUserRefreshFamilies in tx.
func revokeUserFamilies(ctx context.Context, tx conn, userID, clientID string, at time.Time, reason string) (int, error) {
	res, err := tx.exec(ctx, `UPDATE oauth_refresh_families SET revoked_at = $1, revoke_reason = $2
		WHERE user_id = $3 AND ($4 = '' OR client_id = $4) AND revoked_at IS NULL`,
		at, reason, userID, clientID)
	return rowsAffected(tx.d, res, err, "Refresh family")
}

// DenyAccessToken puts jti on the denylist until expiresAt (the later expiry, when it is there
// already). An empty jti is CodeInvalidRequest.
func (s *Store) DenyAccessToken(ctx context.Context, jti string, expiresAt time.Time) error {
	if jti == "" {
		return errNoJTI
	}
	_, err := s.exec(ctx, `INSERT INTO oauth_access_denylist AS d (jti, expires_at) VALUES ($1, $2)
		ON CONFLICT (jti) DO UPDATE SET expires_at = `+s.d.pick(`max`, `greatest`)+`(d.expires_at, excluded.expires_at)`, jti, expiresAt)
	return s.d.mapError(err, "Access token")
}

// errNoJTI is DenyAccessToken's answer for an empty jti.
var errNoJTI = gatehouse.Errorf(gatehouse.CodeInvalidRequest, "An access token to deny needs a jti.")

// AccessTokenDenied reports whether jti is on the denylist.
func (s *Store) AccessTokenDenied(ctx context.Context, jti string) (bool, error) {
	var denied bool
	err := s.read().row(ctx, `SELECT EXISTS (SELECT 1 FROM oauth_access_denylist WHERE jti = $1)`, jti).
		Scan(&denied)
	if err != nil {
		return false, s.d.mapError(err, "Access token")
	}
	return denied, nil
}

// PruneOAuthGrants deletes, in one transaction, the codes, device flows and denylist entries
// that expire at or before cutoff, the refresh tokens that do, and then the families left with
// no token; it returns how many rows it deleted.
func (s *Store) PruneOAuthGrants(ctx context.Context, cutoff time.Time) (int, error) {
	var total int
	err := s.inTx(ctx, func(tx conn) error {
		for _, q := range []string{
			`DELETE FROM oauth_authorization_codes WHERE expires_at <= $1`,
			`DELETE FROM oauth_device_authorizations WHERE expires_at <= $1`,
			`DELETE FROM oauth_access_denylist WHERE expires_at <= $1`,
			`DELETE FROM oauth_refresh_tokens WHERE expires_at <= $1`,
		} {
			res, err := tx.exec(ctx, q, cutoff)
			n, err := rowsAffected(tx.d, res, err, "OAuth grant")
			if err != nil {
				return err
			}
			total += n
		}
		res, err := tx.exec(ctx, `DELETE FROM oauth_refresh_families AS f
			WHERE NOT EXISTS (SELECT 1 FROM oauth_refresh_tokens t WHERE t.family_id = f.id)`)
		n, err := rowsAffected(tx.d, res, err, "Refresh family")
		total += n
		return err
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}
