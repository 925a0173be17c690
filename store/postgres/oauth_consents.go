package postgres

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
	"github.com/jackc/pgx/v5"
)

// Consents of gatehouse.OAuthGrantStore (the rest is in oauth_grants.go).

// consentColumns is the column list scanConsent reads, in order.
const consentColumns = `user_id, client_id, scopes, granted_at`

// scanConsent reads one row of consentColumns.
func scanConsent(row pgx.Row) (*gatehouse.Consent, error) {
	var c gatehouse.Consent
	if err := row.Scan(&c.UserID, &c.ClientID, &c.Scopes, &c.GrantedAt); err != nil {
		return nil, mapError(err, "Consent")
	}
	c.Scopes, c.GrantedAt = orEmpty(c.Scopes), c.GrantedAt.UTC()
	return &c, nil
}

// GrantConsent records c (filled as record.FillConsent says) or, when the user consented to the
// client before, widens the stored consent to the union of the scopes (record.UnionScopes) and
// sets its GrantedAt to c's; c ends as stored. In one transaction, an upsert that changes
// nothing creates the row if needed and locks it, so concurrent grants, on any instance, queue
// on the row lock and none loses the scopes of another. An unknown user is not found.
func (s *Store) GrantConsent(ctx context.Context, c *gatehouse.Consent) error {
	if err := record.FillConsent(c); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var had []string
		err := tx.QueryRow(ctx, `INSERT INTO oauth_consents AS c (`+consentColumns+`) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = c.scopes
			RETURNING scopes`, c.UserID, c.ClientID, c.Scopes, c.GrantedAt).Scan(&had)
		if err != nil {
			return mapError(err, "User") // the one foreign key is the user
		}
		c.Scopes = record.UnionScopes(had, c.Scopes)
		_, err = tx.Exec(ctx, `UPDATE oauth_consents SET scopes = $3, granted_at = $4
			WHERE user_id = $1 AND client_id = $2`, c.UserID, c.ClientID, c.Scopes, c.GrantedAt)
		return mapError(err, "Consent")
	})
}

// ConsentFor returns the user's consent to the client.
func (s *Store) ConsentFor(ctx context.Context, userID, clientID string) (*gatehouse.Consent, error) {
	return scanConsent(s.pool.QueryRow(ctx, `SELECT `+consentColumns+` FROM oauth_consents
		WHERE user_id = $1 AND client_id = $2`, userID, clientID))
}

// ListConsents returns the user's consents, newest first (ties by client ID).
func (s *Store) ListConsents(ctx context.Context, userID string) ([]gatehouse.Consent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+consentColumns+` FROM oauth_consents
		WHERE user_id = $1 ORDER BY granted_at DESC, client_id`, userID)
	if err != nil {
		return nil, mapError(err, "Consent")
	}
	defer rows.Close()
	out := []gatehouse.Consent{}
	for rows.Next() {
		c, err := scanConsent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Consent")
	}
	return out, nil
}

// RevokeConsent deletes the user's consent to the client and revokes the user's unrevoked
// families of that client at at (reason record.ReasonConsentRevoked), in one transaction. No
// consent → not found, and nothing is revoked.
func (s *Store) RevokeConsent(ctx context.Context, userID, clientID string, at time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM oauth_consents WHERE user_id = $1 AND client_id = $2`,
			userID, clientID)
		if err != nil {
			return mapError(err, "Consent")
		}
		if tag.RowsAffected() == 0 {
			return notFound("Consent")
		}
		if clientID == "" {
			return nil // no family has an empty client
		}
		_, err = revokeUserFamilies(ctx, tx, userID, clientID, at, record.ReasonConsentRevoked)
		return err
	})
}
