package sqlstore

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// signingKeyColumns is the column list scanSigningKey reads, in order.
const signingKeyColumns = `id, algorithm, state, private_key, sealed, public_jwk, created_at,
	activated_at, retired_at`

// publishedStates is the SQL list of the published key states.
const publishedStates = `('next', 'current', 'previous')`

// SigningKeyLockKey is the pg_advisory_xact_lock key RotateSigningKeys and InitSigningKeys hold
// in their transaction on PostgreSQL (the bytes of "gatehkey" read as a big-endian int64), so
// that key changes of all instances sharing a database are serialised. On SQLite the writer's
// BEGIN IMMEDIATE serialises them with every process on the file.
const SigningKeyLockKey int64 = 0x6761746568_6b6579

// lockSigningKeys takes the advisory lock SigningKeyLockKey (PostgreSQL).
func lockSigningKeys(ctx context.Context, tx conn) error {
	if !tx.d.locks {
		return nil
	}
	_, err := tx.exec(ctx, `SELECT pg_advisory_xact_lock($1)`, SigningKeyLockKey)
	return tx.d.mapError(err, "Signing key")
}

// scanSigningKey reads one row of signingKeyColumns.
func scanSigningKey(row rowScanner) (gatehouse.SigningKey, error) {
	var k gatehouse.SigningKey
	err := row.Scan(&k.ID, &k.Algorithm, &k.State, &k.PrivateKey, &k.Sealed, &k.PublicJWK,
		timeCol{&k.CreatedAt}, nullTimeCol{&k.ActivatedAt}, nullTimeCol{&k.RetiredAt})
	return k, err
}

// insertSigningKey inserts the filled key k.
func insertSigningKey(ctx context.Context, tx conn, k *gatehouse.SigningKey) error {
	_, err := tx.exec(ctx, `INSERT INTO signing_keys (`+signingKeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		k.ID, k.Algorithm, k.State, k.PrivateKey, k.Sealed, k.PublicJWK, k.CreatedAt,
		k.ActivatedAt, k.RetiredAt)
	return tx.d.mapError(err, "Signing key")
}

// PublishedSigningKeys returns the keys in states next, current and previous: current first,
// then next, then previous, by algorithm within a state (each state at most once per
// algorithm). None is an empty, non-nil slice.
func (s *Store) PublishedSigningKeys(ctx context.Context) ([]gatehouse.SigningKey, error) {
	rows, err := s.read().query(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys
		WHERE state IN `+publishedStates+`
		ORDER BY CASE state WHEN 'current' THEN 0 WHEN 'next' THEN 1 ELSE 2 END, algorithm`)
	return collect(s.d, rows, err, "Signing key", scanSigningKey)
}

// RotateSigningKeys rotates every algorithm of next in one BEGIN IMMEDIATE transaction (which
// holds the file's write lock, so rotations of all processes on the file are serialised): per
// algorithm, the previous key becomes retired (RetiredAt = at), the current one previous, the
// next one current (ActivatedAt = at), and the given key (filled as record.FillSigningKey says,
// a zero CreatedAt being at) is inserted as the new next key. An algorithm without a current or
// a next key → not found; an ID of expectCurrent that is not a current key → CodeConflict; a
// new key's ID in use → CodeConflict; no key, or two of one algorithm → CodeInvalidRequest.
func (s *Store) RotateSigningKeys(ctx context.Context, expectCurrent []string, next []*gatehouse.SigningKey, at time.Time) error {
	if err := record.FillSigningKeyRotation(next, at); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx conn) error {
		if err := lockSigningKeys(ctx, tx); err != nil {
			return err
		}
		ids, err := publishedIDs(ctx, tx)
		if err != nil {
			return err
		}
		if err := record.CheckSigningKeyRotation(ids, expectCurrent, next); err != nil {
			return err
		}
		ms := at
		for _, k := range next {
			byState := ids[k.Algorithm]
			steps := []struct {
				sql  string
				args []any
			}{
				{`UPDATE signing_keys SET state = 'retired', retired_at = $1 WHERE state = 'previous' AND algorithm = $2`, []any{ms, k.Algorithm}},
				{`UPDATE signing_keys SET state = 'previous' WHERE id = $1`, []any{byState[gatehouse.KeyStateCurrent]}},
				{`UPDATE signing_keys SET state = 'current', activated_at = $1 WHERE id = $2`, []any{ms, byState[gatehouse.KeyStateNext]}},
			}
			for _, st := range steps {
				if _, err := tx.exec(ctx, st.sql, st.args...); err != nil {
					return tx.d.mapError(err, "Signing key")
				}
			}
			if err := insertSigningKey(ctx, tx, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// publishedIDs returns the IDs of the published keys by algorithm and state.
func publishedIDs(ctx context.Context, tx conn) (record.PublishedKeyIDs, error) {
	rows, err := tx.query(ctx, `SELECT algorithm, state, id FROM signing_keys WHERE state IN `+publishedStates)
	if err != nil {
		return nil, tx.d.mapError(err, "Signing key")
	}
	defer rows.Close()
	ids := record.PublishedKeyIDs{}
	for rows.Next() {
		var alg, state, id string
		if err := rows.Scan(&alg, &state, &id); err != nil {
			return nil, tx.d.mapError(err, "Signing key")
		}
		ids.Add(alg, state, id)
	}
	if err := rows.Err(); err != nil {
		return nil, tx.d.mapError(err, "Signing key")
	}
	return ids, nil
}

// InitSigningKeys inserts current and next (one algorithm; filled as record.FillSigningKey says,
// a zero CreatedAt being now) when no key of their algorithm is published, in one BEGIN
// IMMEDIATE transaction, so that of concurrent first starts (in any process) exactly one
// inserts its pair and reports true; the others report false and leave their keys unsaved. The
// same ID for both → CodeConflict; two algorithms → CodeInvalidRequest.
func (s *Store) InitSigningKeys(ctx context.Context, current, next *gatehouse.SigningKey) (bool, error) {
	if err := record.FillSigningKeyPair(current, next, time.Now()); err != nil {
		return false, err
	}
	inserted := false
	err := s.inTx(ctx, func(tx conn) error {
		if err := lockSigningKeys(ctx, tx); err != nil {
			return err
		}
		var n int
		if err := tx.row(ctx, `SELECT count(*) FROM signing_keys
			WHERE state IN `+publishedStates+` AND algorithm = $1`, current.Algorithm).Scan(&n); err != nil {
			return tx.d.mapError(err, "Signing key")
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
