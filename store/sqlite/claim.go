package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// SetCredentialsChangedAt moves the user's credentials_changed_at forward and voids the user's
// pending grants, in one transaction.
func (s *Store) SetCredentialsChangedAt(ctx context.Context, userID string, at time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return setCredentialsChanged(ctx, tx, userID, at) })
}

// setCredentialsChanged is SetCredentialsChangedAt in tx.
func setCredentialsChanged(ctx context.Context, tx *sql.Tx, userID string, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE users
		SET credentials_changed_at = max(?, coalesce(credentials_changed_at, 0) + 1000) WHERE id = ?`,
		millis(gatehouse.CeilSecond(at)), userID)
	if err := affectedOne(res, err, "User"); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE oauth_authorization_codes SET expires_at = min(expires_at, ?)
		WHERE user_id = ? AND used_at IS NULL`, millis(at), userID); err != nil {
		return mapError(err, "Authorization code")
	}
	_, err = tx.ExecContext(ctx, `UPDATE oauth_device_authorizations SET state = 'denied'
		WHERE user_id = ? AND state = 'approved'`, userID)
	return mapError(err, "Device authorization")
}

// ClaimAccount verifies the claimed address and revokes what came before, in one transaction.
func (s *Store) ClaimAccount(ctx context.Context, c gatehouse.AccountClaim) (gatehouse.ClaimCounts, error) {
	var n gatehouse.ClaimCounts
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n = gatehouse.ClaimCounts{}
		if err := claimUser(ctx, tx, c); err != nil {
			return err
		}
		var err error
		if n.Sessions, err = revokeActive(ctx, tx, c.UserID, c.KeepSessionID, c.At, c.Reason); err != nil {
			return err
		}
		if n.PATs, err = affected(tx.ExecContext(ctx, `UPDATE personal_access_tokens SET revoked_at = ?, revoke_reason = ?
			WHERE user_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`,
			millis(c.At), c.Reason, c.UserID, millis(c.At))); err != nil {
			return err
		}
		if n.RefreshFamilies, err = revokeUserFamilies(ctx, tx, c.UserID, "", c.At, c.Reason); err != nil {
			return err
		}
		if n.Agents, err = claimAgents(ctx, tx, c); err != nil {
			return err
		}
		if n.Passkeys, err = affected(tx.ExecContext(ctx, `DELETE FROM passkeys WHERE user_id = ?`, c.UserID)); err != nil {
			return err
		}
		if n.Identities, err = affected(tx.ExecContext(ctx, `DELETE FROM identities WHERE user_id = ?`, c.UserID)); err != nil {
			return err
		}
		n.Consents, err = affected(tx.ExecContext(ctx, `DELETE FROM oauth_consents WHERE user_id = ?`, c.UserID))
		return err
	})
	return n, err
}

// claimUser marks the claimed address verified, sets the password when the claim says so and
// does what SetCredentialsChangedAt does; CodeConflict unless the address is still unverified.
func claimUser(ctx context.Context, tx *sql.Tx, c gatehouse.AccountClaim) error {
	var verified bool
	var email string
	err := tx.QueryRowContext(ctx, `SELECT email_verified, email FROM users WHERE id = ?`, c.UserID).Scan(&verified, &email)
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
	_, err = tx.ExecContext(ctx, `UPDATE users SET email_verified = 1, updated_at = ?,
		password_hash = CASE WHEN ? THEN ? ELSE password_hash END WHERE id = ?`,
		millis(c.At), setHash, hash, c.UserID)
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
func claimAgents(ctx context.Context, tx *sql.Tx, c gatehouse.AccountClaim) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, user_id FROM agents WHERE owner_id = ?`, c.UserID)
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
		hash, err := unusableTokenHash()
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE agents SET verified_at = NULL, token_hash = ?, token_prefix = '',
			updated_at = ? WHERE id = ?`, hash, millis(c.At), id); err != nil {
			return 0, mapError(err, "Agent")
		}
		if _, err := revokeActive(ctx, tx, accounts[i], "", c.At, c.Reason); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// unusableTokenHash is a random 32-byte value in place of a token's SHA-256: no token hashes to
// it (finding one would be a preimage of a random value).
func unusableTokenHash() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("sqlite: random token hash: %w", err)
	}
	return b, nil
}

// affected returns the rows an Exec changed.
func affected(res sql.Result, err error) (int, error) {
	if err != nil {
		return 0, mapError(err, "Claim")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, mapError(err, "Claim")
	}
	return int(n), nil
}
