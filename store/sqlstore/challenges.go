package sqlstore

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
	if err := row.Scan(&c.ID, &c.Purpose, &c.UserID, &c.Data, timeCol{&c.CreatedAt}, timeCol{&c.ExpiresAt}); err != nil {
		return nil, err
	}
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
	_, err := s.exec(ctx, `INSERT INTO challenges (`+challengeColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		c.ID, c.Purpose, c.UserID, data, c.CreatedAt, c.ExpiresAt)
	return s.d.mapError(err, "Challenge")
}

// TakeChallenge deletes and returns the challenge with that ID and purpose unexpired at now, in
// one DELETE ... RETURNING on the writer: of concurrent takers (in any process) exactly one gets
// it. A challenge of another purpose is left alone.
func (s *Store) TakeChallenge(ctx context.Context, id, purpose string, now time.Time) (*gatehouse.Challenge, error) {
	var c *gatehouse.Challenge
	err := s.autocommit(func(w conn) error {
		var err error
		c, err = scanChallenge(w.row(ctx, `DELETE FROM challenges
			WHERE id = $1 AND purpose = $2 AND expires_at > $3 RETURNING `+challengeColumns, id, purpose, now))
		return w.d.mapError(err, "Challenge")
	})
	return c, err
}

// PruneChallenges deletes the challenges expired at cutoff (abandoned ceremonies) and returns
// how many it deleted. It is not part of gatehouse.ChallengeStore yet.
func (s *Store) PruneChallenges(ctx context.Context, cutoff time.Time) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM challenges WHERE expires_at <= $1`, cutoff)
	return rowsAffected(s.d, res, err, "Challenge")
}
