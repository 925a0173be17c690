package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Device flows (RFC 8628) of gatehouse.OAuthGrantStore (the rest is in oauth_grants.go).

// deviceColumns is the column list scanDevice reads, in order.
const deviceColumns = `id, device_code_hash, user_code_hash, client_id, scopes, state, user_id,
	interval_ms, created_at, expires_at, last_polled_at, decided_at, auth_time`

// scanDevice reads one row of deviceColumns.
func scanDevice(row pgx.Row) (*gatehouse.DeviceAuthorization, error) {
	var d gatehouse.DeviceAuthorization
	var userID *string
	var interval int64
	var authTime *time.Time
	err := row.Scan(&d.ID, &d.DeviceCodeHash, &d.UserCodeHash, &d.ClientID, &d.Scopes, &d.State, &userID,
		&interval, &d.CreatedAt, &d.ExpiresAt, &d.LastPolledAt, &d.DecidedAt, &authTime)
	if err != nil {
		return nil, mapError(err, "Device authorization")
	}
	if len(d.UserCodeHash) == 0 {
		d.UserCodeHash = nil // released by a newer flow
	}
	if userID != nil {
		d.UserID = *userID
	}
	d.Scopes, d.Interval = orEmpty(d.Scopes), time.Duration(interval)*time.Millisecond
	d.CreatedAt, d.ExpiresAt = d.CreatedAt.UTC(), d.ExpiresAt.UTC()
	d.LastPolledAt, d.DecidedAt, d.AuthTime = utcPtr(d.LastPolledAt), utcPtr(d.DecidedAt), fromNullTS(authTime)
	return &d, nil
}

// CreateDeviceAuthorization inserts d (filled as record.FillDeviceAuthorization says). In the
// same transaction it first releases the user code from the flows that hold it and are expired
// at d.CreatedAt (their UserCodeHash becomes nil); the unique index on user_code_hash then makes
// a user code held by an unexpired flow record.ErrUserCodeInUse (CodeConflict), also when two
// instances insert it at once (the second waits for the first to commit). An unknown UserID is
// not found; a device code hash or ID in use CodeConflict.
func (s *Store) CreateDeviceAuthorization(ctx context.Context, d *gatehouse.DeviceAuthorization) error {
	if err := record.FillDeviceAuthorization(d); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE oauth_device_authorizations SET user_code_hash = NULL
			WHERE user_code_hash = $1 AND expires_at <= $2`, d.UserCodeHash, d.CreatedAt)
		if err != nil {
			return mapError(err, "Device authorization")
		}
		var userID *string
		if d.UserID != "" {
			userID = &d.UserID
		}
		_, err = tx.Exec(ctx, `INSERT INTO oauth_device_authorizations (`+deviceColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			d.ID, d.DeviceCodeHash, d.UserCodeHash, d.ClientID, d.Scopes, d.State, userID,
			d.Interval.Milliseconds(), d.CreatedAt, d.ExpiresAt, d.LastPolledAt, d.DecidedAt, nullTS(d.AuthTime))
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == uniqueViolation &&
			pe.ConstraintName == "oauth_device_authorizations_user_code_hash_key" {
			return record.ErrUserCodeInUse
		}
		return mapError(err, "User") // the one foreign key is the user
	})
}

// DeviceAuthorizationByUserCode returns the pending flow with that user code hash, unexpired
// at now.
func (s *Store) DeviceAuthorizationByUserCode(ctx context.Context, userCodeHash []byte, now time.Time) (*gatehouse.DeviceAuthorization, error) {
	return scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceColumns+` FROM oauth_device_authorizations
		WHERE user_code_hash = $1 AND state = 'pending' AND expires_at > $2`, userCodeHash, now))
}

// DecideDeviceAuthorization approves or denies the flow id, pending and unexpired at at, in one
// conditional UPDATE: concurrent decisions, on any instance, queue on the row lock and each
// after the first finds the flow decided. Not pending, expired, unknown or an unknown user →
// not found.
func (s *Store) DecideDeviceAuthorization(ctx context.Context, id, userID string, approve bool, authTime, at time.Time) error {
	state := gatehouse.DeviceStateDenied
	if approve {
		state = gatehouse.DeviceStateApproved
	}
	tag, err := s.pool.Exec(ctx, `UPDATE oauth_device_authorizations
		SET state = $2, user_id = $3, decided_at = $4, auth_time = $5
		WHERE id = $1 AND state = 'pending' AND expires_at > $6`,
		id, state, userID, ts(at), nullTS(authTime), at)
	if err != nil {
		return mapError(err, "Device authorization")
	}
	if tag.RowsAffected() == 0 {
		return notFound("Device authorization")
	}
	return nil
}

// PollDeviceAuthorization applies DeviceAuthorization.Poll at now (normalised) to clientID's
// flow with that device code hash and writes back what it changed, in one transaction holding
// the flow's row lock: of concurrent polls of an approved flow, on any instance, exactly one
// gets DevicePollApproved.
func (s *Store) PollDeviceAuthorization(ctx context.Context, deviceCodeHash []byte, clientID string, now time.Time) (*gatehouse.DeviceAuthorization, gatehouse.DevicePoll, error) {
	now = ts(now)
	var d *gatehouse.DeviceAuthorization
	var poll gatehouse.DevicePoll
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		d, err = scanDevice(tx.QueryRow(ctx, `SELECT `+deviceColumns+` FROM oauth_device_authorizations
			WHERE device_code_hash = $1 AND client_id = $2 FOR UPDATE`, deviceCodeHash, clientID))
		if err != nil {
			return err
		}
		if poll = d.Poll(now); poll == gatehouse.DevicePollExpired || poll == gatehouse.DevicePollConsumed {
			return nil // Poll changed nothing
		}
		_, err = tx.Exec(ctx, `UPDATE oauth_device_authorizations
			SET state = $2, interval_ms = $3, last_polled_at = $4 WHERE id = $1`,
			d.ID, d.State, d.Interval.Milliseconds(), d.LastPolledAt)
		return mapError(err, "Device authorization")
	})
	if err != nil {
		return nil, "", err
	}
	return d, poll, nil
}
