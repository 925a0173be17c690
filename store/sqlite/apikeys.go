package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// apiKeyColumns is the column list apiKeyDest reads, in order.
const apiKeyColumns = `id, org_id, name, environment, prefix, token_hash, scopes, allowed_cidrs,
	rate_limit, rate_period_ms, created_by, created_at, expires_at, replaced_by, last_used_at,
	last_used_ip, revoked_at, revoke_reason`

// apiKeyByHashSQL is a hot path (every request with an API key, and /v1/verify): one lookup on
// the unique token_hash index, prepared once per lookup connection (lookup.go).
const apiKeyByHashSQL = `SELECT ` + apiKeyColumns + ` FROM api_keys WHERE token_hash = ?`

// apiKeyDest holds the scan targets of the apiKeyColumns.
type apiKeyDest struct {
	k                          gatehouse.APIKey
	scopes, cidrs              string
	rateLimit, ratePeriod      sql.NullInt64
	created                    int64
	expires, lastUsed, revoked sql.NullInt64
}

func (d *apiKeyDest) targets() []any {
	return []any{&d.k.ID, &d.k.OrgID, &d.k.Name, &d.k.Environment, &d.k.Prefix, &d.k.TokenHash,
		&d.scopes, &d.cidrs, &d.rateLimit, &d.ratePeriod, &d.k.CreatedBy, &d.created, &d.expires,
		&d.k.ReplacedBy, &d.lastUsed, &d.k.LastUsedIP, &d.revoked, &d.k.RevokeReason}
}

func (d *apiKeyDest) key() (*gatehouse.APIKey, error) {
	var err error
	if d.k.Scopes, err = decodeList(d.scopes); err != nil {
		return nil, err
	}
	if d.k.AllowedCIDRs, err = decodePrefixes(d.cidrs); err != nil {
		return nil, err
	}
	d.k.RateLimit = fromRateColumns(d.rateLimit, d.ratePeriod)
	d.k.CreatedAt = fromMillis(d.created)
	d.k.ExpiresAt, d.k.LastUsedAt, d.k.RevokedAt = fromNullMillis(d.expires), fromNullMillis(d.lastUsed), fromNullMillis(d.revoked)
	return &d.k, nil
}

// encodePrefixes stores CIDRs as a JSON array of their String forms.
func encodePrefixes(ps []netip.Prefix) string {
	list := make([]string, len(ps))
	for i, p := range ps {
		list[i] = p.String()
	}
	return encodeList(list)
}

// decodePrefixes reads CIDRs stored by encodePrefixes; none is an empty, non-nil slice.
func decodePrefixes(s string) ([]netip.Prefix, error) {
	list, err := decodeList(s)
	if err != nil {
		return nil, err
	}
	out := make([]netip.Prefix, len(list))
	for i, v := range list {
		if out[i], err = netip.ParsePrefix(v); err != nil {
			return nil, fmt.Errorf("sqlite: stored CIDR: %w", err)
		}
	}
	return out, nil
}

// rateColumns returns the stored form of an optional rate: its limit and its period in
// milliseconds, both NULL for none.
func rateColumns(r *gatehouse.Rate) (limit, periodMs any) {
	if r == nil {
		return nil, nil
	}
	return r.Limit, r.Period.Milliseconds()
}

func fromRateColumns(limit, periodMs sql.NullInt64) *gatehouse.Rate {
	if !limit.Valid || !periodMs.Valid {
		return nil
	}
	return &gatehouse.Rate{Limit: int(limit.Int64), Period: time.Duration(periodMs.Int64) * time.Millisecond}
}

func insertAPIKey(ctx context.Context, db execer, k *gatehouse.APIKey) error {
	limit, period := rateColumns(k.RateLimit)
	_, err := db.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.OrgID, k.Name, k.Environment, k.Prefix, k.TokenHash, encodeList(k.Scopes),
		encodePrefixes(k.AllowedCIDRs), limit, period, k.CreatedBy, millis(k.CreatedAt),
		nullMillis(k.ExpiresAt), k.ReplacedBy, nullMillis(k.LastUsedAt), k.LastUsedIP,
		nullMillis(k.RevokedAt), k.RevokeReason)
	return mapError(err, "Organization") // the one foreign key is the org
}

// CreateAPIKey inserts k (filled as record.FillAPIKey says). An environment other than live or test,
// or a token hash of no or more than 64 bytes, is CodeInvalidRequest; an unknown org not found.
func (s *Store) CreateAPIKey(ctx context.Context, k *gatehouse.APIKey) error {
	if err := record.FillAPIKey(k); err != nil {
		return err
	}
	return insertAPIKey(ctx, s.w, k)
}

// APIKeyByTokenHash returns the key with that hash, whatever its state.
func (s *Store) APIKeyByTokenHash(ctx context.Context, hash []byte) (*gatehouse.APIKey, error) {
	return s.lookups.apiKeyByHash(ctx, hash)
}

// APIKeyByID returns the organization's key with that ID, whatever its state.
func (s *Store) APIKeyByID(ctx context.Context, orgID, id string) (*gatehouse.APIKey, error) {
	var d apiKeyDest
	err := s.r.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = ? AND org_id = ?`,
		id, orgID).Scan(d.targets()...)
	if err != nil {
		return nil, mapError(err, "API key")
	}
	return d.key()
}

// ListAPIKeys returns the organization's keys neither revoked nor expired at now, newest first.
func (s *Store) ListAPIKeys(ctx context.Context, orgID string, now time.Time) ([]gatehouse.APIKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE org_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
		ORDER BY created_at DESC, id DESC`, orgID, millis(now))
	if err != nil {
		return nil, mapError(err, "API key")
	}
	defer rows.Close()
	out := []gatehouse.APIKey{}
	for rows.Next() {
		var d apiKeyDest
		if err := rows.Scan(d.targets()...); err != nil {
			return nil, mapError(err, "API key")
		}
		k, err := d.key()
		if err != nil {
			return nil, err
		}
		out = append(out, *k)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "API key")
	}
	return out, nil
}

// RevokeAPIKey revokes one not yet revoked key of the organization.
func (s *Store) RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time, reason string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ?, revoke_reason = ?
		WHERE id = ? AND org_id = ? AND revoked_at IS NULL`, millis(at), reason, id, orgID)
	return affectedOne(res, err, "API key")
}

// RotateAPIKey inserts next (filled as record.FillAPIKey says; an empty OrgID becomes orgID, another
// org's is CodeInvalidRequest) and sets the old key's ExpiresAt to the earlier of its own and
// oldExpiresAt and its ReplacedBy to next.ID, in one transaction. The old key must be the org's
// and active at next.CreatedAt, else not found.
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
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var own sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT expires_at FROM api_keys
			WHERE id = ? AND org_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`,
			oldID, orgID, millis(next.CreatedAt)).Scan(&own)
		if err != nil {
			return mapError(err, "API key")
		}
		expires := millis(oldExpiresAt)
		if own.Valid && own.Int64 < expires {
			expires = own.Int64
		}
		if err := insertAPIKey(ctx, tx, next); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE api_keys SET expires_at = ?, replaced_by = ? WHERE id = ?`,
			expires, next.ID, oldID)
		return mapError(err, "API key")
	})
}
