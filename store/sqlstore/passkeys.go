package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// passkeyColumns is the column list of passkeys that passkeyDest reads, in order.
const passkeyColumns = `id, user_id, name, credential_id, credential, sign_count, backup_eligible, backup_state,
	created_at, last_used_at`

// errSignCount is RecordPasskeyUse's answer to a sign count that does not increase.
var errSignCount = gatehouse.Errorf(gatehouse.CodeConflict,
	"The passkey's sign count did not increase; the authenticator may have been cloned.")

func passkeyTargets(p *gatehouse.Passkey) []any {
	return []any{&p.ID, &p.UserID, &p.Name, &p.CredentialID, &p.Credential, &p.SignCount,
		&p.BackupEligible, &p.BackupState, timeCol{&p.CreatedAt}, nullTimeCol{&p.LastUsedAt}}
}

// qualifiedColumns prefixes each column of a comma-separated list with alias and a dot.
func qualifiedColumns(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// passkeyByCredentialSQL reads the user's columns, then the passkey's.
var passkeyByCredentialSQL = `SELECT ` + qualifiedColumns("u", userColumns) + `, ` +
	qualifiedColumns("p", passkeyColumns) + `
	FROM passkeys p JOIN users u ON u.id = p.user_id WHERE p.credential_id = $1`

// CreatePasskey inserts p. It fills an empty ID and a zero CreatedAt (now) and leaves p's times
// as stored. An unknown user → not found; a credential ID already registered → CodeConflict.
func (s *Store) CreatePasskey(ctx context.Context, p *gatehouse.Passkey) error {
	if p.UserID == "" || len(p.CredentialID) == 0 || len(p.Credential) == 0 {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A passkey needs a user, a credential ID and a credential.")
	}
	p.CreatedAt, p.LastUsedAt = norm(orNow(p.CreatedAt)), normPtr(p.LastUsedAt)
	if p.ID == "" {
		p.ID = gatehouse.NewID(gatehouse.PrefixPasskey, p.CreatedAt, nil)
	}
	_, err := s.exec(ctx, `INSERT INTO passkeys (`+passkeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		p.ID, p.UserID, p.Name, p.CredentialID, p.Credential, int64(p.SignCount), p.BackupEligible,
		p.BackupState, p.CreatedAt, p.LastUsedAt)
	return s.d.mapError(err, "User") // the one foreign key is the user
}

// PasskeyByCredentialID returns the passkey with that credential ID and its user.
func (s *Store) PasskeyByCredentialID(ctx context.Context, credentialID []byte) (*gatehouse.Passkey, *gatehouse.User, error) {
	var p gatehouse.Passkey
	u, err := scanUser(s.read().row(ctx, passkeyByCredentialSQL, credentialID), passkeyTargets(&p)...)
	if err != nil {
		return nil, nil, s.d.mapError(err, "Passkey")
	}
	return &p, u, nil
}

// ListPasskeys returns the user's passkeys, oldest first.
func (s *Store) ListPasskeys(ctx context.Context, userID string) ([]gatehouse.Passkey, error) {
	rows, err := s.read().query(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE user_id = $1
		ORDER BY created_at, id`, userID)
	return collect(s.d, rows, err, "Passkey", func(r rowScanner) (gatehouse.Passkey, error) {
		var p gatehouse.Passkey
		return p, r.Scan(passkeyTargets(&p)...)
	})
}

// RenamePasskey renames one of the user's passkeys.
func (s *Store) RenamePasskey(ctx context.Context, userID, id, name string) error {
	return s.execOne(ctx, "Passkey", `UPDATE passkeys SET name = $1 WHERE id = $2 AND user_id = $3`, name, id, userID)
}

// DeletePasskey deletes one of the user's passkeys.
func (s *Store) DeletePasskey(ctx context.Context, userID, id string, guard *gatehouse.SignInGuard) error {
	return s.deleteGuarded(ctx, userID, guard, "Passkey", `DELETE FROM passkeys WHERE id = $1 AND user_id = $2`, id, userID)
}

// RecordPasskeyUse stores a sign-in's sign count, backup state, credential record (nil or empty:
// keep the stored one) and time. The sign-count rule is in the UPDATE's WHERE clause: the new
// count must exceed the stored one, unless both are zero (an authenticator that does not count).
// The writer runs one statement at a time, so of concurrent uses with one count exactly one
// passes. A refused count → CodeConflict with nothing changed; an unknown ID → not found.
func (s *Store) RecordPasskeyUse(ctx context.Context, id string, signCount uint32, backupState bool, credential []byte, at time.Time) error {
	var cred any
	if len(credential) > 0 {
		cred = credential
	}
	return s.inTx(ctx, func(tx conn) error {
		res, err := tx.exec(ctx, `UPDATE passkeys
			SET sign_count = $1, backup_state = $2, credential = coalesce($3, credential), last_used_at = $4
			WHERE id = $5 AND ($1 > sign_count OR ($1 = 0 AND sign_count = 0))`,
			int64(signCount), backupState, cred, at, id)
		if err != nil {
			return tx.d.mapError(err, "Passkey")
		}
		if n, err := res.RowsAffected(); err != nil {
			return tx.d.mapError(err, "Passkey")
		} else if n == 1 {
			return nil
		}
		var one int
		if err := tx.row(ctx, `SELECT 1 FROM passkeys WHERE id = $1`, id).Scan(&one); err != nil {
			return tx.d.mapError(err, "Passkey")
		}
		return errSignCount
	})
}
