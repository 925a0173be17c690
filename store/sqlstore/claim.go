package sqlstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// SetCredentialsChangedAt moves the user's credentials_changed_at forward and voids the user's
// pending grants, in one transaction.
func (s *Store) SetCredentialsChangedAt(ctx context.Context, userID string, at time.Time) error {
	return s.inTx(ctx, func(tx conn) error { return setCredentialsChanged(ctx, tx, userID, at) })
}

// setCredentialsChanged is SetCredentialsChangedAt in tx.
func setCredentialsChanged(ctx context.Context, tx conn, userID string, at time.Time) error {
	res, err := tx.exec(ctx, `UPDATE users
		SET credentials_changed_at = `+tx.d.pick(`max($1, coalesce(credentials_changed_at, 0) + 1000)`,
		`greatest($1, credentials_changed_at + interval '1 second')`)+` WHERE id = $2`,
		gatehouse.CeilSecond(at), userID)
	if err := tx.affectedOne(res, err, "User"); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `UPDATE oauth_authorization_codes SET expires_at = `+tx.d.pick(`min`, `least`)+`(expires_at, $1)
		WHERE user_id = $2 AND used_at IS NULL`, at, userID); err != nil {
		return tx.d.mapError(err, "Authorization code")
	}
	_, err = tx.exec(ctx, `UPDATE oauth_device_authorizations SET state = 'denied'
		WHERE user_id = $1 AND state = 'approved'`, userID)
	return tx.d.mapError(err, "Device authorization")
}

// ClaimAccount verifies the claimed address and revokes what came before, in one transaction.
func (s *Store) ClaimAccount(ctx context.Context, c gatehouse.AccountClaim) (gatehouse.ClaimCounts, error) {
	var n gatehouse.ClaimCounts
	err := s.inTx(ctx, func(tx conn) error {
		n = gatehouse.ClaimCounts{}
		if err := claimUser(ctx, tx, c); err != nil {
			return err
		}
		var err error
		if n.Sessions, err = revokeActive(ctx, tx, c.UserID, c.KeepSessionID, c.At, c.Reason); err != nil {
			return err
		}
		if n.PATs, err = tx.count(tx.exec(ctx, `UPDATE personal_access_tokens SET revoked_at = $1, revoke_reason = $2
			WHERE user_id = $3 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $4)`,
			c.At, c.Reason, c.UserID, c.At)); err != nil {
			return err
		}
		if n.RefreshFamilies, err = revokeUserFamilies(ctx, tx, c.UserID, "", c.At, c.Reason); err != nil {
			return err
		}
		if n.Agents, err = claimAgents(ctx, tx, c); err != nil {
			return err
		}
		if n.Passkeys, err = tx.count(tx.exec(ctx, `DELETE FROM passkeys WHERE user_id = $1`, c.UserID)); err != nil {
			return err
		}
		if n.Identities, err = tx.count(tx.exec(ctx, `DELETE FROM identities WHERE user_id = $1`, c.UserID)); err != nil {
			return err
		}
		n.Consents, err = tx.count(tx.exec(ctx, `DELETE FROM oauth_consents WHERE user_id = $1`, c.UserID))
		return err
	})
	return n, err
}

// claimUser marks the claimed address verified, sets the password when the claim says so and
// does what SetCredentialsChangedAt does; CodeConflict unless the address is still unverified.
func claimUser(ctx context.Context, tx conn, c gatehouse.AccountClaim) error {
	var verified bool
	var email string
	err := tx.row(ctx, `SELECT email_verified, email FROM users WHERE id = $1`+tx.d.lock("FOR UPDATE"), c.UserID).Scan(&verified, &email)
	if err != nil {
		return tx.d.mapError(err, "User")
	}
	if verified || c.Email == "" || !strings.EqualFold(email, c.Email) {
		return errNothingToClaim
	}
	hash, setHash := "", c.PasswordHash != nil
	if setHash {
		hash = *c.PasswordHash
	}
	_, err = tx.exec(ctx, `UPDATE users SET email_verified = $1, updated_at = $2,
		password_hash = CASE WHEN $3 THEN $4 ELSE password_hash END WHERE id = $5`,
		true, c.At, setHash, hash, c.UserID)
	if err != nil {
		return tx.d.mapError(err, "User")
	}
	return setCredentialsChanged(ctx, tx, c.UserID, c.At)
}

// errNothingToClaim is ClaimAccount's answer when the address is verified or no longer the
// account's.
var errNothingToClaim = gatehouse.Errorf(gatehouse.CodeConflict, "The address is verified or no longer the account's.")

// claimAgents clears the verification of the user's agents, replaces their tokens' hashes with
// random ones (no token has them) and revokes their sessions; it returns how many agents.
func claimAgents(ctx context.Context, tx conn, c gatehouse.AccountClaim) (int, error) {
	rows, err := tx.query(ctx, `SELECT id, user_id FROM agents WHERE owner_id = $1`+tx.d.lock("FOR UPDATE"), c.UserID)
	if err != nil {
		return 0, tx.d.mapError(err, "Agent")
	}
	var ids, accounts []string
	for rows.Next() {
		var id, account string
		if err := rows.Scan(&id, &account); err != nil {
			rows.Close()
			return 0, tx.d.mapError(err, "Agent")
		}
		ids, accounts = append(ids, id), append(accounts, account)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, tx.d.mapError(err, "Agent")
	}
	for i, id := range ids {
		hash, err := unusableTokenHash()
		if err != nil {
			return 0, err
		}
		if _, err := tx.exec(ctx, `UPDATE agents SET verified_at = NULL, token_hash = $1, token_prefix = '',
			updated_at = $2 WHERE id = $3`, hash, c.At, id); err != nil {
			return 0, tx.d.mapError(err, "Agent")
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
		return nil, fmt.Errorf("sqlstore: random token hash: %w", err)
	}
	return b, nil
}
