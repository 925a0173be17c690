package postgres

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SetCredentialsChangedAt moves the user's credentials_changed_at forward and voids the user's
// pending grants, in one transaction.
func (s *Store) SetCredentialsChangedAt(ctx context.Context, userID string, at time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return setCredentialsChanged(ctx, tx, userID, at) })
}

// setCredentialsChanged is SetCredentialsChangedAt in tx.
func setCredentialsChanged(ctx context.Context, tx pgx.Tx, userID string, at time.Time) error {
	tag, err := tx.Exec(ctx, `UPDATE users SET credentials_changed_at =
		greatest($2, credentials_changed_at + interval '1 second') WHERE id = $1`, userID, gatehouse.CeilSecond(at).UTC())
	if err != nil {
		return mapError(err, "User")
	}
	if tag.RowsAffected() == 0 {
		return notFound("User")
	}
	if _, err := tx.Exec(ctx, `UPDATE oauth_authorization_codes SET expires_at = least(expires_at, $2)
		WHERE user_id = $1 AND used_at IS NULL`, userID, ts(at)); err != nil {
		return mapError(err, "Authorization code")
	}
	_, err = tx.Exec(ctx, `UPDATE oauth_device_authorizations SET state = 'denied'
		WHERE user_id = $1 AND state = 'approved'`, userID)
	return mapError(err, "Device authorization")
}

// ClaimAccount verifies the claimed address and revokes what came before, in one transaction.
func (s *Store) ClaimAccount(ctx context.Context, c gatehouse.AccountClaim) (gatehouse.ClaimCounts, error) {
	var n gatehouse.ClaimCounts
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		n = gatehouse.ClaimCounts{}
		if err := claimUser(ctx, tx, c); err != nil {
			return err
		}
		var err error
		if n.Sessions, err = revokeActive(ctx, tx, c.UserID, c.KeepSessionID, c.At, c.Reason); err != nil {
			return err
		}
		if n.PATs, err = rowsChanged(tx.Exec(ctx, `UPDATE personal_access_tokens SET revoked_at = $2, revoke_reason = $3
			WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`,
			c.UserID, ts(c.At), c.Reason)); err != nil {
			return err
		}
		if n.RefreshFamilies, err = revokeUserFamilies(ctx, tx, c.UserID, "", c.At, c.Reason); err != nil {
			return err
		}
		if n.Agents, err = claimAgents(ctx, tx, c); err != nil {
			return err
		}
		if n.Passkeys, err = rowsChanged(tx.Exec(ctx, `DELETE FROM passkeys WHERE user_id = $1`, c.UserID)); err != nil {
			return err
		}
		if n.Identities, err = rowsChanged(tx.Exec(ctx, `DELETE FROM identities WHERE user_id = $1`, c.UserID)); err != nil {
			return err
		}
		n.Consents, err = rowsChanged(tx.Exec(ctx, `DELETE FROM oauth_consents WHERE user_id = $1`, c.UserID))
		return err
	})
	return n, err
}

// claimUser marks the claimed address verified, sets the password when the claim says so and
// does what SetCredentialsChangedAt does; CodeConflict unless the address is still unverified.
// The row is locked first, so that concurrent claims of one account run one after the other.
func claimUser(ctx context.Context, tx pgx.Tx, c gatehouse.AccountClaim) error {
	var verified bool
	var email string
	err := tx.QueryRow(ctx, `SELECT email_verified, email FROM users WHERE id = $1 FOR UPDATE`, c.UserID).Scan(&verified, &email)
	if err != nil {
		return mapError(err, "User")
	}
	if verified || c.Email == "" || !strings.EqualFold(email, c.Email) {
		return errNothingToClaim
	}
	hash, setHash := "", c.PasswordHash != nil
	if setHash {
		hash = *c.PasswordHash
	}
	_, err = tx.Exec(ctx, `UPDATE users SET email_verified = true, updated_at = $2,
		password_hash = CASE WHEN $3 THEN $4 ELSE password_hash END WHERE id = $1`,
		c.UserID, ts(c.At), setHash, hash)
	if err != nil {
		return mapError(err, "User")
	}
	return setCredentialsChanged(ctx, tx, c.UserID, c.At)
}

// errNothingToClaim is ClaimAccount's answer when the address is verified or no longer the
// account's.
var errNothingToClaim = gatehouse.Errorf(gatehouse.CodeConflict, "The address is verified or no longer the account's.")

// claimAgents clears the verification of the user's agents, replaces their tokens' hashes with
// random ones (no token has them) and revokes their sessions; it returns how many agents.
func claimAgents(ctx context.Context, tx pgx.Tx, c gatehouse.AccountClaim) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id, user_id FROM agents WHERE owner_id = $1 FOR UPDATE`, c.UserID)
	if err != nil {
		return 0, mapError(err, "Agent")
	}
	var ids, accounts []string
	for rows.Next() {
		var id, account string
		if err := rows.Scan(&id, &account); err != nil {
			rows.Close()
			return 0, mapError(err, "Agent")
		}
		ids, accounts = append(ids, id), append(accounts, account)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, mapError(err, "Agent")
	}
	for i, id := range ids {
		hash := make([]byte, 32) // no token hashes to a random value
		if _, err := rand.Read(hash); err != nil {
			return 0, fmt.Errorf("postgres: random token hash: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE agents SET verified_at = NULL, token_hash = $2, token_prefix = '',
			updated_at = $3 WHERE id = $1`, id, hash, ts(c.At)); err != nil {
			return 0, mapError(err, "Agent")
		}
		if _, err := revokeActive(ctx, tx, accounts[i], "", c.At, c.Reason); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// rowsChanged returns the rows an Exec changed.
func rowsChanged(tag pgconn.CommandTag, err error) (int, error) {
	if err != nil {
		return 0, mapError(err, "Claim")
	}
	return int(tag.RowsAffected()), nil
}
