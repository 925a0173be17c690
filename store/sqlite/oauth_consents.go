package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// Consents of gatehouse.OAuthGrantStore (the rest is in oauth_grants.go).

// consentColumns is the column list scanConsent reads, in order.
const consentColumns = `user_id, client_id, scopes, granted_at`

// scanConsent reads one row of consentColumns.
func scanConsent(row rowScanner) (*gatehouse.Consent, error) {
	var c gatehouse.Consent
	var scopes string
	var granted int64
	if err := row.Scan(&c.UserID, &c.ClientID, &scopes, &granted); err != nil {
		return nil, mapError(err, "Consent")
	}
	var err error
	if c.Scopes, err = decodeList(scopes); err != nil {
		return nil, err
	}
	c.GrantedAt = fromMillis(granted)
	return &c, nil
}

// GrantConsent records c (filled as record.FillConsent says) or, when the user consented to the
// client before, widens the stored consent to the union of the scopes (record.UnionScopes) and
// sets its GrantedAt to c's; c ends as stored. An unknown user is not found.
func (s *Store) GrantConsent(ctx context.Context, c *gatehouse.Consent) error {
	if err := record.FillConsent(c); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		had, err := scanConsent(tx.QueryRowContext(ctx, `SELECT `+consentColumns+` FROM oauth_consents
			WHERE user_id = ? AND client_id = ?`, c.UserID, c.ClientID))
		switch {
		case err == nil:
			c.Scopes = record.UnionScopes(had.Scopes, c.Scopes)
		case gatehouse.ErrorCode(err) != gatehouse.CodeNotFound:
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO oauth_consents (`+consentColumns+`) VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at`,
			c.UserID, c.ClientID, encodeList(c.Scopes), millis(c.GrantedAt))
		return mapError(err, "User") // the one foreign key is the user
	})
}

// ConsentFor returns the user's consent to the client.
func (s *Store) ConsentFor(ctx context.Context, userID, clientID string) (*gatehouse.Consent, error) {
	return scanConsent(s.r.QueryRowContext(ctx, `SELECT `+consentColumns+` FROM oauth_consents
		WHERE user_id = ? AND client_id = ?`, userID, clientID))
}

// ListConsents returns the user's consents, newest first (ties by client ID).
func (s *Store) ListConsents(ctx context.Context, userID string) ([]gatehouse.Consent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+consentColumns+` FROM oauth_consents
		WHERE user_id = ? ORDER BY granted_at DESC, client_id`, userID)
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
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM oauth_consents WHERE user_id = ? AND client_id = ?`,
			userID, clientID)
		if err := affectedOne(res, err, "Consent"); err != nil {
			return err
		}
		if clientID == "" {
			return nil // no family has an empty client
		}
		_, err = revokeUserFamilies(ctx, tx, userID, clientID, at, record.ReasonConsentRevoked)
		return err
	})
}
