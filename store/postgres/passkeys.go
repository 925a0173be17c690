package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// passkeyColumns is the column list of passkeys that passkeyTargets reads, in order.
const passkeyColumns = `id, user_id, name, credential_id, credential, sign_count, backup_eligible, backup_state,
	created_at, last_used_at`

// errSignCount is RecordPasskeyUse's answer to a sign count that does not increase.
var errSignCount = gatehouse.Errorf(gatehouse.CodeConflict,
	"The passkey's sign count did not increase; the authenticator may have been cloned.")

// passkeyDest holds the scan targets of the passkeyColumns.
type passkeyDest struct {
	p         gatehouse.Passkey
	signCount int64
}

func (d *passkeyDest) targets() []any {
	return []any{&d.p.ID, &d.p.UserID, &d.p.Name, &d.p.CredentialID, &d.p.Credential, &d.signCount,
		&d.p.BackupEligible, &d.p.BackupState, &d.p.CreatedAt, &d.p.LastUsedAt}
}

func (d *passkeyDest) passkey() *gatehouse.Passkey {
	d.p.SignCount = uint32(d.signCount) // the column's CHECK keeps it in range
	d.p.CreatedAt, d.p.LastUsedAt = d.p.CreatedAt.UTC(), utcPtr(d.p.LastUsedAt)
	return &d.p
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
	p.CreatedAt, p.LastUsedAt = ts(orNow(p.CreatedAt)), tsPtr(p.LastUsedAt)
	if p.ID == "" {
		p.ID = gatehouse.NewID(gatehouse.PrefixPasskey, p.CreatedAt, nil)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO passkeys (`+passkeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		p.ID, p.UserID, p.Name, p.CredentialID, p.Credential, int64(p.SignCount), p.BackupEligible,
		p.BackupState, p.CreatedAt, p.LastUsedAt)
	return mapError(err, "User") // the one foreign key is the user
}

// PasskeyByCredentialID returns the passkey with that credential ID and its user.
func (s *Store) PasskeyByCredentialID(ctx context.Context, credentialID []byte) (*gatehouse.Passkey, *gatehouse.User, error) {
	var d passkeyDest
	u, err := scanUser(s.pool.QueryRow(ctx, passkeyByCredentialSQL, credentialID), d.targets()...)
	if err != nil {
		return nil, nil, mapError(err, "Passkey")
	}
	return d.passkey(), u, nil
}

// ListPasskeys returns the user's passkeys, oldest first.
func (s *Store) ListPasskeys(ctx context.Context, userID string) ([]gatehouse.Passkey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE user_id = $1
		ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, mapError(err, "Passkey")
	}
	defer rows.Close()
	out := []gatehouse.Passkey{}
	for rows.Next() {
		var d passkeyDest
		if err := rows.Scan(d.targets()...); err != nil {
			return nil, mapError(err, "Passkey")
		}
		out = append(out, *d.passkey())
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Passkey")
	}
	return out, nil
}

// RenamePasskey renames one of the user's passkeys.
func (s *Store) RenamePasskey(ctx context.Context, userID, id, name string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2`, id, userID, name)
	return affected(tag.RowsAffected(), err, "Passkey")
}

// DeletePasskey deletes one of the user's passkeys.
func (s *Store) DeletePasskey(ctx context.Context, userID, id string, guard *gatehouse.SignInGuard) error {
	return s.deleteGuarded(ctx, userID, guard, "Passkey", `DELETE FROM passkeys WHERE id = $1 AND user_id = $2`, id, userID)
}

// RecordPasskeyUse stores a sign-in's sign count, backup state, credential record (nil or empty:
// keep the stored one) and time. The sign-count rule is in the UPDATE's WHERE clause: the new
// count must exceed the stored one, unless both are zero (an authenticator that does not count).
// Concurrent uses, on any instance, queue on the row lock and each after the first re-checks the
// rule against the committed count, so of uses with one count exactly one passes. A refused
// count → CodeConflict with nothing changed; an unknown ID → not found.
func (s *Store) RecordPasskeyUse(ctx context.Context, id string, signCount uint32, backupState bool, credential []byte, at time.Time) error {
	var cred []byte
	if len(credential) > 0 {
		cred = credential
	}
	// The UPDATE reports whether it changed the row and the outer SELECT whether the passkey
	// exists at all, so one round trip tells the two failures apart. (The SELECT sees the
	// statement's snapshot: a passkey deleted by a transaction that commits meanwhile is a
	// CodeConflict rather than not found; either way nothing changes.)
	var exists, updated bool
	err := s.pool.QueryRow(ctx, `WITH upd AS (
			UPDATE passkeys
			SET sign_count = $2, backup_state = $3, credential = coalesce($4, credential), last_used_at = $5
			WHERE id = $1 AND ($2 > sign_count OR ($2 = 0 AND sign_count = 0))
			RETURNING 1
		)
		SELECT EXISTS (SELECT 1 FROM passkeys WHERE id = $1), EXISTS (SELECT 1 FROM upd)`,
		id, int64(signCount), backupState, cred, ts(at)).Scan(&exists, &updated)
	switch {
	case err != nil:
		return mapError(err, "Passkey")
	case updated:
		return nil
	case !exists:
		return notFound("Passkey")
	}
	return errSignCount
}
