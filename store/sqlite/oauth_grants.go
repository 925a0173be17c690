package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The OAuth grants (gatehouse.OAuthGrantStore): authorization codes, refresh tokens, the
// access token denylist and pruning here, device flows in oauth_device.go, consents in
// oauth_consents.go. Every single-use step is one BEGIN IMMEDIATE transaction on the writer (a
// refresh token rotation is one savepoint in a group-committed one, groupcommit.go), so
// concurrent steps, in this process or another, run one after the other and exactly one finds
// an artefact unused.

// authCodeColumns is the column list authCodeDest reads, in order.
const authCodeColumns = `id, code_hash, client_id, user_id, redirect_uri, scopes, nonce, code_challenge,
	auth_time, created_at, expires_at, used_at, family_id, access_jti, access_expires_at`

// authCodeDest holds the scan targets of the authCodeColumns.
type authCodeDest struct {
	c                             gatehouse.AuthorizationCode
	scopes                        string
	authTime, used, accessExpires sql.NullInt64
	created, expires              int64
}

func (d *authCodeDest) targets() []any {
	return []any{&d.c.ID, &d.c.CodeHash, &d.c.ClientID, &d.c.UserID, &d.c.RedirectURI, &d.scopes,
		&d.c.Nonce, &d.c.CodeChallenge, &d.authTime, &d.created, &d.expires, &d.used, &d.c.FamilyID,
		&d.c.AccessJTI, &d.accessExpires}
}

func (d *authCodeDest) code() (*gatehouse.AuthorizationCode, error) {
	var err error
	if d.c.Scopes, err = decodeList(d.scopes); err != nil {
		return nil, err
	}
	d.c.AuthTime = fromZeroNullMillis(d.authTime)
	d.c.CreatedAt, d.c.ExpiresAt = fromMillis(d.created), fromMillis(d.expires)
	d.c.UsedAt, d.c.AccessExpiresAt = fromNullMillis(d.used), fromNullMillis(d.accessExpires)
	return &d.c, nil
}

// refreshTokenColumns is the column list refreshTokenDest reads, in order: the token (t) with
// its family (f).
const refreshTokenColumns = `t.id, t.family_id, t.token_hash, t.created_at, t.expires_at, t.used_at,
	f.client_id, f.user_id, f.scopes, f.auth_time, f.revoked_at`

// refreshTokenFrom joins a token to its family.
const refreshTokenFrom = ` FROM oauth_refresh_tokens t JOIN oauth_refresh_families f ON f.id = t.family_id`

// refreshTokenDest holds the scan targets of the refreshTokenColumns.
type refreshTokenDest struct {
	t                         gatehouse.RefreshToken
	created, expires          int64
	used, authTime, revokedAt sql.NullInt64
	scopes                    string
}

func (d *refreshTokenDest) targets() []any {
	return []any{&d.t.ID, &d.t.FamilyID, &d.t.TokenHash, &d.created, &d.expires, &d.used,
		&d.t.ClientID, &d.t.UserID, &d.scopes, &d.authTime, &d.revokedAt}
}

func (d *refreshTokenDest) token() (*gatehouse.RefreshToken, error) {
	var err error
	if d.t.Scopes, err = decodeList(d.scopes); err != nil {
		return nil, err
	}
	d.t.CreatedAt, d.t.ExpiresAt, d.t.UsedAt = fromMillis(d.created), fromMillis(d.expires), fromNullMillis(d.used)
	d.t.AuthTime, d.t.FamilyRevokedAt = fromZeroNullMillis(d.authTime), fromNullMillis(d.revokedAt)
	return &d.t, nil
}

// scanRefreshToken reads one row of refreshTokenColumns.
func scanRefreshToken(row rowScanner) (*gatehouse.RefreshToken, error) {
	var d refreshTokenDest
	if err := row.Scan(d.targets()...); err != nil {
		return nil, mapError(err, "Refresh token")
	}
	return d.token()
}

// CreateAuthorizationCode inserts c (filled as record.FillAuthorizationCode says). An unknown
// user is not found; a code hash or ID in use CodeConflict.
func (s *Store) CreateAuthorizationCode(ctx context.Context, c *gatehouse.AuthorizationCode) error {
	if err := record.FillAuthorizationCode(c); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO oauth_authorization_codes (`+authCodeColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.CodeHash, c.ClientID, c.UserID, c.RedirectURI, encodeList(c.Scopes), c.Nonce,
		c.CodeChallenge, zeroNullMillis(c.AuthTime), millis(c.CreatedAt), millis(c.ExpiresAt),
		nullMillis(c.UsedAt), c.FamilyID, c.AccessJTI, nullMillis(c.AccessExpiresAt))
	return mapError(err, "User") // the one foreign key is the user
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
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var d authCodeDest
		err := tx.QueryRowContext(ctx, `SELECT `+authCodeColumns+` FROM oauth_authorization_codes
			WHERE code_hash = ?`, hash).Scan(d.targets()...)
		if err != nil {
			return mapError(err, "Authorization code")
		}
		if code, err = d.code(); err != nil {
			return err
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
		_, err = tx.ExecContext(ctx, `UPDATE oauth_authorization_codes SET used_at = ?, family_id = ?,
			access_jti = ?, access_expires_at = ? WHERE id = ?`,
			millis(now), familyID, accessJTI, millis(accessExpiresAt), code.ID)
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
func insertFamily(ctx context.Context, tx *sql.Tx, f *gatehouse.RefreshFamily, first *gatehouse.RefreshToken) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO oauth_refresh_families (id, client_id, user_id, scopes,
		auth_time, created_at, revoked_at, revoke_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.ClientID, f.UserID, encodeList(f.Scopes), zeroNullMillis(f.AuthTime), millis(f.CreatedAt),
		nullMillis(f.RevokedAt), f.RevokeReason)
	if err != nil {
		return mapError(err, "User") // the one foreign key is the user
	}
	return insertRefreshToken(ctx, tx, first)
}

// insertRefreshToken inserts t (filled by record.FillRefreshToken).
func insertRefreshToken(ctx context.Context, tx *sql.Tx, t *gatehouse.RefreshToken) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO oauth_refresh_tokens (id, family_id, token_hash,
		created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, t.FamilyID, t.TokenHash, millis(t.CreatedAt), millis(t.ExpiresAt), nullMillis(t.UsedAt))
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
	return s.inTx(ctx, func(tx *sql.Tx) error { return insertFamily(ctx, tx, f, first) })
}

// RefreshTokenByHash returns the token with that hash and its family's fields, whatever its
// state.
func (s *Store) RefreshTokenByHash(ctx context.Context, hash []byte) (*gatehouse.RefreshToken, error) {
	return scanRefreshToken(s.r.QueryRowContext(ctx, `SELECT `+refreshTokenColumns+refreshTokenFrom+`
		WHERE t.token_hash = ?`, hash))
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
	return r.answer(s.rotations.do(ctx, r.step(hash, clientID, next, norm(now))))
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
	return func(ctx context.Context, tx *sql.Tx) error {
		tok, err := scanRefreshToken(tx.QueryRowContext(ctx, `SELECT `+refreshTokenColumns+refreshTokenFrom+`
			WHERE t.token_hash = ?`, hash))
		if err != nil {
			return err
		}
		switch record.DecideRotation(tok, clientID, now) {
		case record.RotateNotFound:
			return notFound("Refresh token")
		case record.RotateReused:
			if _, err := tx.ExecContext(ctx, `UPDATE oauth_refresh_families SET revoked_at = ?, revoke_reason = ?
				WHERE id = ? AND revoked_at IS NULL`, millis(now), record.ReasonRefreshReused, tok.FamilyID); err != nil {
				return mapError(err, "Refresh family")
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
		if _, err := tx.ExecContext(ctx, `UPDATE oauth_refresh_tokens SET used_at = ? WHERE id = ?`,
			millis(now), tok.ID); err != nil {
			return mapError(err, "Refresh token")
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
	_, err := s.w.ExecContext(ctx, `UPDATE oauth_refresh_families SET revoked_at = ?, revoke_reason = ?
		WHERE id = ? AND revoked_at IS NULL`, millis(at), reason, familyID)
	return mapError(err, "Refresh family")
}

// RevokeUserRefreshFamilies revokes the user's unrevoked families (of clientID only, when not
// empty) at at for reason and returns how many.
func (s *Store) RevokeUserRefreshFamilies(ctx context.Context, userID, clientID string, at time.Time, reason string) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = revokeUserFamilies(ctx, tx, userID, clientID, at, reason)
		return err
	})
	return n, err
}

// revokeUserFamilies is RevokeUserRefreshFamilies in tx.
func revokeUserFamilies(ctx context.Context, tx *sql.Tx, userID, clientID string, at time.Time, reason string) (int, error) {
	res, err := tx.ExecContext(ctx, `UPDATE oauth_refresh_families SET revoked_at = ?, revoke_reason = ?
		WHERE user_id = ? AND (? = '' OR client_id = ?) AND revoked_at IS NULL`,
		millis(at), reason, userID, clientID, clientID)
	if err != nil {
		return 0, mapError(err, "Refresh family")
	}
	n, err := res.RowsAffected()
	return int(n), mapError(err, "Refresh family")
}

// DenyAccessToken puts jti on the denylist until expiresAt (the later expiry, when it is there
// already). An empty jti is CodeInvalidRequest.
func (s *Store) DenyAccessToken(ctx context.Context, jti string, expiresAt time.Time) error {
	if jti == "" {
		return errNoJTI
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO oauth_access_denylist (jti, expires_at) VALUES (?, ?)
		ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`, jti, millis(expiresAt))
	return mapError(err, "Access token")
}

// errNoJTI is DenyAccessToken's answer for an empty jti.
var errNoJTI = gatehouse.Errorf(gatehouse.CodeInvalidRequest, "An access token to deny needs a jti.")

// AccessTokenDenied reports whether jti is on the denylist.
func (s *Store) AccessTokenDenied(ctx context.Context, jti string) (bool, error) {
	var denied bool
	err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM oauth_access_denylist WHERE jti = ?)`, jti).
		Scan(&denied)
	if err != nil {
		return false, mapError(err, "Access token")
	}
	return denied, nil
}

// zeroNullMillis stores a zero time (not given) as NULL.
func zeroNullMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return millis(t)
}

// fromZeroNullMillis reads a time stored by zeroNullMillis: NULL is the zero time.
func fromZeroNullMillis(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMillis(v.Int64)
}

// PruneOAuthGrants deletes, in one transaction, the codes, device flows and denylist entries
// that expire at or before cutoff, the refresh tokens that do, and then the families left with
// no token; it returns how many rows it deleted.
func (s *Store) PruneOAuthGrants(ctx context.Context, cutoff time.Time) (int, error) {
	c := millis(cutoff)
	var total int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM oauth_authorization_codes WHERE expires_at <= ?`,
			`DELETE FROM oauth_device_authorizations WHERE expires_at <= ?`,
			`DELETE FROM oauth_access_denylist WHERE expires_at <= ?`,
			`DELETE FROM oauth_refresh_tokens WHERE expires_at <= ?`,
		} {
			res, err := tx.ExecContext(ctx, q, c)
			if err != nil {
				return mapError(err, "OAuth grant")
			}
			n, err := res.RowsAffected()
			if err != nil {
				return mapError(err, "OAuth grant")
			}
			total += int(n)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM oauth_refresh_families AS f
			WHERE NOT EXISTS (SELECT 1 FROM oauth_refresh_tokens t WHERE t.family_id = f.id)`)
		if err != nil {
			return mapError(err, "Refresh family")
		}
		n, err := res.RowsAffected()
		total += int(n)
		return mapError(err, "Refresh family")
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}

// isUniqueOn reports whether err is a UNIQUE violation naming column ("table.column").
func isUniqueOn(err error, column string) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE &&
		strings.Contains(se.Error(), column)
}
