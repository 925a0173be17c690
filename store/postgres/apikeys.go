package postgres

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
	"github.com/jackc/pgx/v5"
)

// apiKeyColumns is the column list apiKeyDest reads, in order.
const apiKeyColumns = `id, org_id, name, environment, prefix, token_hash, scopes, allowed_cidrs,
	rate_limit, rate_period_ms, created_by, created_at, expires_at, replaced_by, last_used_at,
	last_used_ip, revoked_at, revoke_reason`

// apiKeyDest holds the scan targets of the apiKeyColumns.
type apiKeyDest struct {
	k          gatehouse.APIKey
	cidrs      []string
	rateLimit  *int32
	ratePeriod *int64
}

func (d *apiKeyDest) targets() []any {
	return []any{&d.k.ID, &d.k.OrgID, &d.k.Name, &d.k.Environment, &d.k.Prefix, &d.k.TokenHash,
		&d.k.Scopes, &d.cidrs, &d.rateLimit, &d.ratePeriod, &d.k.CreatedBy, &d.k.CreatedAt,
		&d.k.ExpiresAt, &d.k.ReplacedBy, &d.k.LastUsedAt, &d.k.LastUsedIP, &d.k.RevokedAt, &d.k.RevokeReason}
}

func (d *apiKeyDest) key() (*gatehouse.APIKey, error) {
	k := &d.k
	k.Scopes = orEmpty(k.Scopes)
	k.AllowedCIDRs = make([]netip.Prefix, len(d.cidrs))
	for i, c := range d.cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("postgres: stored CIDR: %w", err)
		}
		k.AllowedCIDRs[i] = p
	}
	if d.rateLimit != nil && d.ratePeriod != nil {
		k.RateLimit = &gatehouse.Rate{Limit: int(*d.rateLimit), Period: time.Duration(*d.ratePeriod) * time.Millisecond}
	}
	k.CreatedAt = k.CreatedAt.UTC()
	k.ExpiresAt, k.LastUsedAt, k.RevokedAt = utcPtr(k.ExpiresAt), utcPtr(k.LastUsedAt), utcPtr(k.RevokedAt)
	return k, nil
}

// apiKeyValues returns the values of the apiKeyColumns of the filled key k, in order.
func apiKeyValues(k *gatehouse.APIKey) []any {
	cidrs := make([]string, len(k.AllowedCIDRs))
	for i, p := range k.AllowedCIDRs {
		cidrs[i] = p.String()
	}
	var limit *int32
	var period *int64
	if k.RateLimit != nil {
		limit, period = new(int32(k.RateLimit.Limit)), new(k.RateLimit.Period.Milliseconds())
	}
	return []any{k.ID, k.OrgID, k.Name, k.Environment, k.Prefix, k.TokenHash, k.Scopes, cidrs, limit,
		period, k.CreatedBy, k.CreatedAt, k.ExpiresAt, k.ReplacedBy, k.LastUsedAt, k.LastUsedIP,
		k.RevokedAt, k.RevokeReason}
}

func insertAPIKey(ctx context.Context, db querier, k *gatehouse.APIKey) error {
	_, err := db.Exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		apiKeyValues(k)...)
	return mapError(err, "Organization") // the one foreign key is the org
}

// CreateAPIKey inserts k (filled as record.FillAPIKey says). An environment other than live or test,
// or a token hash of no or more than 64 bytes, is CodeInvalidRequest; an unknown org not found.
func (s *Store) CreateAPIKey(ctx context.Context, k *gatehouse.APIKey) error {
	if err := record.FillAPIKey(k); err != nil {
		return err
	}
	return insertAPIKey(ctx, s.pool, k)
}

// APIKeyByTokenHash returns the key with that hash, whatever its state: one lookup on the
// unique token_hash index, prepared once per connection by pgx's statement cache.
func (s *Store) APIKeyByTokenHash(ctx context.Context, hash []byte) (*gatehouse.APIKey, error) {
	return s.apiKey(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE token_hash = $1`, hash)
}

// APIKeyByID returns the organization's key with that ID, whatever its state.
func (s *Store) APIKeyByID(ctx context.Context, orgID, id string) (*gatehouse.APIKey, error) {
	return s.apiKey(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = $1 AND org_id = $2`, id, orgID)
}

func (s *Store) apiKey(ctx context.Context, query string, args ...any) (*gatehouse.APIKey, error) {
	var d apiKeyDest
	if err := s.pool.QueryRow(ctx, query, args...).Scan(d.targets()...); err != nil {
		return nil, mapError(err, "API key")
	}
	return d.key()
}

// ListAPIKeys returns the organization's keys neither revoked nor expired at now, newest first.
func (s *Store) ListAPIKeys(ctx context.Context, orgID string, now time.Time) ([]gatehouse.APIKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE org_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
		ORDER BY created_at DESC, id DESC`, orgID, now)
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
	tag, err := s.pool.Exec(ctx, `UPDATE api_keys SET revoked_at = $1, revoke_reason = $2
		WHERE id = $3 AND org_id = $4 AND revoked_at IS NULL`, ts(at), reason, id, orgID)
	if err != nil {
		return mapError(err, "API key")
	}
	if tag.RowsAffected() == 0 {
		return notFound("API key")
	}
	return nil
}

// RotateAPIKey inserts next (filled as record.FillAPIKey says; an empty OrgID becomes orgID, another
// org's is CodeInvalidRequest) and sets the old key's ExpiresAt to the earlier of its own and
// oldExpiresAt and its ReplacedBy to next.ID, in one transaction. The old key must be the org's
// and active at next.CreatedAt, else not found; its row stays locked (FOR UPDATE) from that
// check to the end, so a concurrent revocation or rotation waits.
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
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var own *time.Time
		err := tx.QueryRow(ctx, `SELECT expires_at FROM api_keys
			WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3)
			FOR UPDATE`, oldID, orgID, next.CreatedAt).Scan(&own)
		if err != nil {
			return mapError(err, "API key")
		}
		expires := ts(oldExpiresAt)
		if own != nil && own.Before(expires) {
			expires = *own
		}
		if err := insertAPIKey(ctx, tx, next); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE api_keys SET expires_at = $1, replaced_by = $2 WHERE id = $3`,
			expires, next.ID, oldID)
		return mapError(err, "API key")
	})
}
