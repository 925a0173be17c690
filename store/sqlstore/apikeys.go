package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// apiKeyColumns is the column list apiKeyTargets reads, in order.
const apiKeyColumns = `id, org_id, name, environment, prefix, token_hash, scopes, allowed_cidrs,
	rate_limit, rate_period_ms, created_by, created_at, expires_at, replaced_by, last_used_at,
	last_used_ip, revoked_at, revoke_reason`

// apiKeyByHashSQL is a hot path (every request with an API key, and /v1/verify): one lookup on
// the unique token_hash index.
const apiKeyByHashSQL = `SELECT ` + apiKeyColumns + ` FROM api_keys WHERE token_hash = $1`

// rateCol scans the rate_limit and rate_period_ms columns (both NULL: no limit).
type rateCol struct {
	limit, periodMs sql.NullInt64
}

func (r *rateCol) rate() *gatehouse.Rate {
	if !r.limit.Valid || !r.periodMs.Valid {
		return nil
	}
	return &gatehouse.Rate{Limit: int(r.limit.Int64), Period: time.Duration(r.periodMs.Int64) * time.Millisecond}
}

// scanAPIKey reads the apiKeyColumns of one row.
func scanAPIKey(row rowScanner) (gatehouse.APIKey, error) {
	var k gatehouse.APIKey
	var r rateCol
	err := row.Scan(&k.ID, &k.OrgID, &k.Name, &k.Environment, &k.Prefix, &k.TokenHash,
		listCol{&k.Scopes}, prefixCol{&k.AllowedCIDRs}, &r.limit, &r.periodMs, &k.CreatedBy, timeCol{&k.CreatedAt},
		nullTimeCol{&k.ExpiresAt}, &k.ReplacedBy, nullTimeCol{&k.LastUsedAt}, &k.LastUsedIP,
		nullTimeCol{&k.RevokedAt}, &k.RevokeReason)
	k.RateLimit = r.rate()
	return k, err
}

// rateColumns returns the stored form of an optional rate: its limit and its period in
// milliseconds, both NULL for none.
func rateColumns(r *gatehouse.Rate) (limit, periodMs any) {
	if r == nil {
		return nil, nil
	}
	return r.Limit, r.Period.Milliseconds()
}

func insertAPIKey(ctx context.Context, tx conn, k *gatehouse.APIKey) error {
	limit, period := rateColumns(k.RateLimit)
	_, err := tx.exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		k.ID, k.OrgID, k.Name, k.Environment, k.Prefix, k.TokenHash, k.Scopes,
		k.AllowedCIDRs, limit, period, k.CreatedBy, k.CreatedAt,
		k.ExpiresAt, k.ReplacedBy, k.LastUsedAt, k.LastUsedIP, k.RevokedAt, k.RevokeReason)
	return tx.d.mapError(err, "Organization") // the one foreign key is the org
}

// CreateAPIKey inserts k (filled as record.FillAPIKey says). An environment other than live or test,
// or a token hash of no or more than 64 bytes, is CodeInvalidRequest; an unknown org not found.
func (s *Store) CreateAPIKey(ctx context.Context, k *gatehouse.APIKey) error {
	if err := record.FillAPIKey(k); err != nil {
		return err
	}
	return s.autocommit(func(w conn) error { return insertAPIKey(ctx, w, k) })
}

// APIKeyByTokenHash returns the key with that hash, whatever its state.
func (s *Store) APIKeyByTokenHash(ctx context.Context, hash []byte) (*gatehouse.APIKey, error) {
	if s.sqlite != nil {
		return s.sqlite.lookups.apiKeyByHash(ctx, hash)
	}
	k, err := scanAPIKey(s.read().row(ctx, apiKeyByHashSQL, hash))
	if err != nil {
		return nil, s.d.mapError(err, "API key")
	}
	return &k, nil
}

// APIKeyByID returns the organization's key with that ID, whatever its state.
func (s *Store) APIKeyByID(ctx context.Context, orgID, id string) (*gatehouse.APIKey, error) {
	k, err := scanAPIKey(s.read().row(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = $1 AND org_id = $2`, id, orgID))
	if err != nil {
		return nil, s.d.mapError(err, "API key")
	}
	return &k, nil
}

// ListAPIKeys returns the organization's keys neither revoked nor expired at now, newest first.
func (s *Store) ListAPIKeys(ctx context.Context, orgID string, now time.Time) ([]gatehouse.APIKey, error) {
	rows, err := s.read().query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE org_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
		ORDER BY created_at DESC, id DESC`, orgID, now)
	return collect(s.d, rows, err, "API key", scanAPIKey)
}

// RevokeAPIKey revokes one not yet revoked key of the organization.
func (s *Store) RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time, reason string) error {
	return s.execOne(ctx, "API key", `UPDATE api_keys SET revoked_at = $1, revoke_reason = $2
		WHERE id = $3 AND org_id = $4 AND revoked_at IS NULL`, at, reason, id, orgID)
}

// RotateAPIKey inserts next (filled as record.FillAPIKey says; an empty OrgID becomes orgID, another
// org's is CodeInvalidRequest) and sets the old key's ExpiresAt to the earlier of its own and
// oldExpiresAt and its ReplacedBy to next.ID, in one transaction that locks the old key's row
// first (FOR UPDATE on PostgreSQL). The old key must be the org's and active at
// next.CreatedAt, else not found.
func (s *Store) RotateAPIKey(ctx context.Context, orgID, oldID string, next *gatehouse.APIKey, oldExpiresAt time.Time) error {
	if next.OrgID == "" {
		next.OrgID = orgID
	}
	if next.OrgID != orgID {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The new key must belong to the same organization.")
	}
	if err := record.FillAPIKey(next); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx conn) error {
		var own *time.Time
		err := tx.row(ctx, `SELECT expires_at FROM api_keys
			WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3)`+
			tx.d.lock("FOR UPDATE"), oldID, orgID, next.CreatedAt).Scan(nullTimeCol{&own})
		if err != nil {
			return tx.d.mapError(err, "API key")
		}
		expires := norm(oldExpiresAt)
		if own != nil && own.Before(expires) {
			expires = *own
		}
		if err := insertAPIKey(ctx, tx, next); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE api_keys SET expires_at = $1, replaced_by = $2 WHERE id = $3`,
			expires, next.ID, oldID)
		return tx.d.mapError(err, "API key")
	})
}
