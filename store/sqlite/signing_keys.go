package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// signingKeyColumns is the column list signingKeyDest reads, in order.
const signingKeyColumns = `id, algorithm, state, private_key, sealed, public_jwk, created_at,
	activated_at, retired_at`

// publishedStates is the SQL list of the published key states.
const publishedStates = `('next', 'current', 'previous')`

// errRotated is RotateSigningKeys' answer when the current key is no longer the expected one.
var errRotated = gatehouse.Errorf(gatehouse.CodeConflict, "The signing keys were rotated already.")

// signingKeyDest holds the scan targets of the signingKeyColumns.
type signingKeyDest struct {
	k                  gatehouse.SigningKey
	created            int64
	activated, retired sql.NullInt64
}

func (d *signingKeyDest) targets() []any {
	return []any{&d.k.ID, &d.k.Algorithm, &d.k.State, &d.k.PrivateKey, &d.k.Sealed, &d.k.PublicJWK,
		&d.created, &d.activated, &d.retired}
}

func (d *signingKeyDest) key() gatehouse.SigningKey {
	d.k.CreatedAt = fromMillis(d.created)
	d.k.ActivatedAt, d.k.RetiredAt = fromNullMillis(d.activated), fromNullMillis(d.retired)
	return d.k
}

func insertSigningKey(ctx context.Context, db execer, k *gatehouse.SigningKey) error {
	_, err := db.ExecContext(ctx, `INSERT INTO signing_keys (`+signingKeyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Algorithm, k.State, k.PrivateKey, k.Sealed, k.PublicJWK, millis(k.CreatedAt),
		nullMillis(k.ActivatedAt), nullMillis(k.RetiredAt))
	return mapError(err, "Signing key")
}

// PublishedSigningKeys returns the keys in states next, current and previous, in that order of
// state: current first, then next, then previous (each at most once). None is an empty,
// non-nil slice.
func (s *Store) PublishedSigningKeys(ctx context.Context) ([]gatehouse.SigningKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys
		WHERE state IN `+publishedStates+`
		ORDER BY CASE state WHEN 'current' THEN 0 WHEN 'next' THEN 1 ELSE 2 END`)
	if err != nil {
		return nil, mapError(err, "Signing key")
	}
	defer rows.Close()
	out := []gatehouse.SigningKey{}
	for rows.Next() {
		var d signingKeyDest
		if err := rows.Scan(d.targets()...); err != nil {
			return nil, mapError(err, "Signing key")
		}
		out = append(out, d.key())
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Signing key")
	}
	return out, nil
}

// RotateSigningKeys rotates in one BEGIN IMMEDIATE transaction (which holds the file's write
// lock, so rotations of all processes on the file are serialised): the previous key becomes
// retired (RetiredAt = at), the current one previous, the next one current (ActivatedAt = at),
// and next (filled as record.FillSigningKey says, a zero CreatedAt being at) is inserted as the new
// next key. No current or no next key → not found; expectCurrent != "" that is not the current
// key's ID → CodeConflict; next's ID in use → CodeConflict.
func (s *Store) RotateSigningKeys(ctx context.Context, expectCurrent string, next *gatehouse.SigningKey, at time.Time) error {
	if err := record.FillSigningKey(next, gatehouse.KeyStateNext, at); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		ids, err := publishedIDs(ctx, tx)
		if err != nil {
			return err
		}
		cur, nxt := ids[gatehouse.KeyStateCurrent], ids[gatehouse.KeyStateNext]
		if cur == "" || nxt == "" {
			return notFound("Signing key")
		}
		if expectCurrent != "" && expectCurrent != cur {
			return errRotated
		}
		ms := millis(at)
		steps := []struct {
			sql  string
			args []any
		}{
			{`UPDATE signing_keys SET state = 'retired', retired_at = ? WHERE state = 'previous'`, []any{ms}},
			{`UPDATE signing_keys SET state = 'previous' WHERE id = ?`, []any{cur}},
			{`UPDATE signing_keys SET state = 'current', activated_at = ? WHERE id = ?`, []any{ms, nxt}},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.sql, st.args...); err != nil {
				return mapError(err, "Signing key")
			}
		}
		return insertSigningKey(ctx, tx, next)
	})
}

// publishedIDs returns the IDs of the published keys by state.
func publishedIDs(ctx context.Context, tx *sql.Tx) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT state, id FROM signing_keys WHERE state IN `+publishedStates)
	if err != nil {
		return nil, mapError(err, "Signing key")
	}
	defer rows.Close()
	ids := map[string]string{}
	for rows.Next() {
		var state, id string
		if err := rows.Scan(&state, &id); err != nil {
			return nil, mapError(err, "Signing key")
		}
		ids[state] = id
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Signing key")
	}
	return ids, nil
}

// InitSigningKeys inserts current and next (filled as record.FillSigningKey says, a zero CreatedAt
// being now) when no key is published, in one BEGIN IMMEDIATE transaction, so that of
// concurrent first starts (in any process) exactly one inserts its pair and reports true; the
// others report false and leave their keys unsaved. The same ID for both → CodeConflict.
func (s *Store) InitSigningKeys(ctx context.Context, current, next *gatehouse.SigningKey) (bool, error) {
	now := time.Now()
	if err := record.FillSigningKey(current, gatehouse.KeyStateCurrent, now); err != nil {
		return false, err
	}
	if err := record.FillSigningKey(next, gatehouse.KeyStateNext, now); err != nil {
		return false, err
	}
	inserted := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM signing_keys WHERE state IN `+publishedStates).
			Scan(&n); err != nil {
			return mapError(err, "Signing key")
		}
		if n > 0 {
			return nil
		}
		if err := insertSigningKey(ctx, tx, current); err != nil {
			return err
		}
		if err := insertSigningKey(ctx, tx, next); err != nil {
			return err
		}
		inserted = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return inserted, nil
}
