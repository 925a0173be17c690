package postgres

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/jackc/pgx/v5"
)

// challengeColumns is the column list of challenges that scanChallenge reads, in order.
const challengeColumns = `id, purpose, user_id, data, created_at, expires_at`

// scanChallenge reads one row of challengeColumns.
func scanChallenge(row pgx.Row) (*gatehouse.Challenge, error) {
	var c gatehouse.Challenge
	if err := row.Scan(&c.ID, &c.Purpose, &c.UserID, &c.Data, &c.CreatedAt, &c.ExpiresAt); err != nil {
		return nil, err
	}
	c.CreatedAt, c.ExpiresAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC()
	return &c, nil
}

// SaveChallenge stores c. It fills an empty ID (random: the ID is the ceremony's handle) and a
// zero CreatedAt (now) and leaves c's times as stored. An ID in use → CodeConflict.
func (s *Store) SaveChallenge(ctx context.Context, c *gatehouse.Challenge) error {
	if c.Purpose == "" || c.ExpiresAt.IsZero() {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A challenge needs a purpose and an expiry time.")
	}
	c.CreatedAt, c.ExpiresAt = ts(orNow(c.CreatedAt)), ts(c.ExpiresAt)
	if c.ID == "" {
		c.ID = gatehouse.NewID(gatehouse.PrefixChallenge, c.CreatedAt, nil)
	}
	data := c.Data
	if data == nil {
		data = []byte{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO challenges (`+challengeColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		c.ID, c.Purpose, c.UserID, data, c.CreatedAt, c.ExpiresAt)
	return mapError(err, "Challenge")
}

// TakeChallenge deletes and returns the challenge with that ID and purpose unexpired at now, in
// one DELETE ... RETURNING: concurrent takers, on any instance, queue on the row lock, and each
// after the first finds the row gone and deletes nothing. A challenge of another purpose is left
// alone.
func (s *Store) TakeChallenge(ctx context.Context, id, purpose string, now time.Time) (*gatehouse.Challenge, error) {
	c, err := scanChallenge(s.pool.QueryRow(ctx, `DELETE FROM challenges
		WHERE id = $1 AND purpose = $2 AND expires_at > $3 RETURNING `+challengeColumns, id, purpose, now))
	return c, mapError(err, "Challenge")
}

// PruneChallenges deletes the challenges expired at cutoff (abandoned ceremonies) and returns
// how many it deleted. It is not part of gatehouse.ChallengeStore yet.
func (s *Store) PruneChallenges(ctx context.Context, cutoff time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM challenges WHERE expires_at <= $1`, cutoff)
	if err != nil {
		return 0, mapError(err, "Challenge")
	}
	return int(tag.RowsAffected()), nil
}
