package sqlite

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// challengeColumns is the column list of challenges that scanChallenge reads, in order.
const challengeColumns = `id, purpose, user_id, data, created_at, expires_at`

// scanChallenge reads one row of challengeColumns.
func scanChallenge(row rowScanner) (*gatehouse.Challenge, error) {
	var c gatehouse.Challenge
	var created, expires int64
	if err := row.Scan(&c.ID, &c.Purpose, &c.UserID, &c.Data, &created, &expires); err != nil {
		return nil, err
	}
	c.CreatedAt, c.ExpiresAt = fromMillis(created), fromMillis(expires)
	return &c, nil
}

// SaveChallenge stores c. It fills an empty ID (random: the ID is the ceremony's handle) and a
// zero CreatedAt (now) and leaves c's times as stored. An ID in use → CodeConflict.
func (s *Store) SaveChallenge(ctx context.Context, c *gatehouse.Challenge) error {
	if c.Purpose == "" || c.ExpiresAt.IsZero() {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A challenge needs a purpose and an expiry time.")
	}
	c.CreatedAt, c.ExpiresAt = norm(orNow(c.CreatedAt)), norm(c.ExpiresAt)
	if c.ID == "" {
		c.ID = gatehouse.NewID(gatehouse.PrefixChallenge, c.CreatedAt, nil)
	}
	data := c.Data
	if data == nil {
		data = []byte{}
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO challenges (`+challengeColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		c.ID, c.Purpose, c.UserID, data, millis(c.CreatedAt), millis(c.ExpiresAt))
	return mapError(err, "Challenge")
}

// TakeChallenge deletes and returns the challenge with that ID and purpose unexpired at now, in
// one DELETE ... RETURNING on the writer: of concurrent takers (in any process) exactly one gets
// it. A challenge of another purpose is left alone.
func (s *Store) TakeChallenge(ctx context.Context, id, purpose string, now time.Time) (*gatehouse.Challenge, error) {
	c, err := scanChallenge(s.w.QueryRowContext(ctx, `DELETE FROM challenges
		WHERE id = ? AND purpose = ? AND expires_at > ? RETURNING `+challengeColumns, id, purpose, millis(now)))
	return c, mapError(err, "Challenge")
}

// PruneChallenges deletes the challenges expired at cutoff (abandoned ceremonies) and returns
// how many it deleted. It is not part of gatehouse.ChallengeStore yet.
func (s *Store) PruneChallenges(ctx context.Context, cutoff time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM challenges WHERE expires_at <= ?`, millis(cutoff))
	if err != nil {
		return 0, mapError(err, "Challenge")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, mapError(err, "Challenge")
	}
	return int(n), nil
}
