package sqlstore

import (
	"context"
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
	if err := row.Scan(&c.UserID, &c.ClientID, listCol{&c.Scopes}, timeCol{&c.GrantedAt}); err != nil {
		return nil, err
	}
	return &c, nil
}

// GrantConsent records c (filled as record.FillConsent says) or, when the user consented to the
// client before, widens the stored consent to the union of the scopes (record.UnionScopes) and
// sets its GrantedAt to c's; c ends as stored. An unknown user is not found.
func (s *Store) GrantConsent(ctx context.Context, c *gatehouse.Consent) error {
	if err := record.FillConsent(c); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx conn) error {
		var had []string
		err := tx.row(ctx, `INSERT INTO oauth_consents AS c (`+consentColumns+`) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = c.scopes
			RETURNING scopes`, c.UserID, c.ClientID, c.Scopes, c.GrantedAt).Scan(listCol{&had})
		if err != nil {
			return tx.d.mapError(err, "User") // the one foreign key is the user
		}
		c.Scopes = record.UnionScopes(had, c.Scopes)
		_, err = tx.exec(ctx, `UPDATE oauth_consents SET scopes = $3, granted_at = $4
			WHERE user_id = $1 AND client_id = $2`, c.UserID, c.ClientID, c.Scopes, c.GrantedAt)
		return tx.d.mapError(err, "Consent")
	})
}

// ConsentFor returns the user's consent to the client.
func (s *Store) ConsentFor(ctx context.Context, userID, clientID string) (*gatehouse.Consent, error) {
	c, err := scanConsent(s.read().row(ctx, `SELECT `+consentColumns+` FROM oauth_consents
		WHERE user_id = $1 AND client_id = $2`, userID, clientID))
	return c, s.d.mapError(err, "Consent")
}

// ListConsents returns the user's consents, newest first (ties by client ID).
func (s *Store) ListConsents(ctx context.Context, userID string) ([]gatehouse.Consent, error) {
	rows, err := s.read().query(ctx, `SELECT `+consentColumns+` FROM oauth_consents
		WHERE user_id = $1 ORDER BY granted_at DESC, client_id`, userID)
	return collect(s.d, rows, err, "Consent", func(r rowScanner) (gatehouse.Consent, error) {
		c, err := scanConsent(r)
		if err != nil {
			return gatehouse.Consent{}, err
		}
		return *c, nil
	})
}

// RevokeConsent deletes the user's consent to the client and revokes the user's unrevoked
// families of that client at at (reason record.ReasonConsentRevoked), in one transaction. No
// consent → not found, and nothing is revoked.
func (s *Store) RevokeConsent(ctx context.Context, userID, clientID string, at time.Time) error {
	return s.inTx(ctx, func(tx conn) error {
		res, err := tx.exec(ctx, `DELETE FROM oauth_consents WHERE user_id = $1 AND client_id = $2`,
			userID, clientID)
		if err := tx.affectedOne(res, err, "Consent"); err != nil {
			return err
		}
		if clientID == "" {
			return nil // no family has an empty client
		}
		_, err = revokeUserFamilies(ctx, tx, userID, clientID, at, record.ReasonConsentRevoked)
		return err
	})
}
