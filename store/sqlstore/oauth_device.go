package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// Device flows (RFC 8628) of gatehouse.OAuthGrantStore (the rest is in oauth_grants.go).

// deviceColumns is the column list deviceDest reads, in order.
const deviceColumns = `id, device_code_hash, user_code_hash, client_id, scopes, state, user_id,
	interval_ms, created_at, expires_at, last_polled_at, decided_at, auth_time`

// scanDevice reads one row of deviceColumns.
func scanDevice(row rowScanner) (*gatehouse.DeviceAuthorization, error) {
	var d gatehouse.DeviceAuthorization
	var userID sql.NullString
	if err := row.Scan(&d.ID, &d.DeviceCodeHash, &d.UserCodeHash, &d.ClientID, listCol{&d.Scopes}, &d.State,
		&userID, durationCol{&d.Interval}, timeCol{&d.CreatedAt}, timeCol{&d.ExpiresAt},
		nullTimeCol{&d.LastPolledAt}, nullTimeCol{&d.DecidedAt}, zeroTimeCol{&d.AuthTime}); err != nil {
		return nil, err
	}
	if len(d.UserCodeHash) == 0 {
		d.UserCodeHash = nil // released by a newer flow
	}
	d.UserID = userID.String
	return &d, nil
}

// CreateDeviceAuthorization inserts d (filled as record.FillDeviceAuthorization says). In the
// same transaction it first releases the user code from the flows that hold it and are expired
// at d.CreatedAt (their UserCodeHash becomes nil), so a user code held by an unexpired flow is
// record.ErrUserCodeInUse (CodeConflict). An unknown UserID is not found; a device code hash or
// ID in use CodeConflict.
func (s *Store) CreateDeviceAuthorization(ctx context.Context, d *gatehouse.DeviceAuthorization) error {
	if err := record.FillDeviceAuthorization(d); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx conn) error {
		_, err := tx.exec(ctx, `UPDATE oauth_device_authorizations SET user_code_hash = NULL
			WHERE user_code_hash = $1 AND expires_at <= $2`, d.UserCodeHash, d.CreatedAt)
		if err != nil {
			return tx.d.mapError(err, "Device authorization")
		}
		var userID any
		if d.UserID != "" {
			userID = d.UserID
		}
		_, err = tx.exec(ctx, `INSERT INTO oauth_device_authorizations (`+deviceColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			d.ID, d.DeviceCodeHash, d.UserCodeHash, d.ClientID, d.Scopes, d.State, userID,
			d.Interval.Milliseconds(), d.CreatedAt, d.ExpiresAt, d.LastPolledAt,
			d.DecidedAt, zeroAsNil(d.AuthTime))
		return tx.d.mapError(err, "User") // the one foreign key is the user
	})
}

// DeviceAuthorizationByUserCode returns the pending flow with that user code hash, unexpired
// at now.
func (s *Store) DeviceAuthorizationByUserCode(ctx context.Context, userCodeHash []byte, now time.Time) (*gatehouse.DeviceAuthorization, error) {
	d, err := scanDevice(s.read().row(ctx, `SELECT `+deviceColumns+` FROM oauth_device_authorizations
		WHERE user_code_hash = $1 AND state = 'pending' AND expires_at > $2`, userCodeHash, now))
	return d, s.d.mapError(err, "Device authorization")
}

// DecideDeviceAuthorization approves or denies the flow id, pending and unexpired at at, in one
// conditional UPDATE: of concurrent decisions exactly one applies. Not pending, expired, unknown
// or an unknown user → not found.
func (s *Store) DecideDeviceAuthorization(ctx context.Context, id, userID string, approve bool, authTime, at time.Time) error {
	state := gatehouse.DeviceStateDenied
	if approve {
		state = gatehouse.DeviceStateApproved
	}
	return s.execOne(ctx, "Device authorization", `UPDATE oauth_device_authorizations
		SET state = $1, user_id = $2, decided_at = $3, auth_time = $4
		WHERE id = $5 AND state = 'pending' AND expires_at > $6`, state, userID, at, zeroAsNil(authTime), id, at)
}

// PollDeviceAuthorization applies DeviceAuthorization.Poll at now (normalised) to clientID's
// flow with that device code hash and writes back what it changed, in one BEGIN IMMEDIATE
// transaction: of concurrent polls of an approved flow exactly one gets DevicePollApproved.
func (s *Store) PollDeviceAuthorization(ctx context.Context, deviceCodeHash []byte, clientID string, now time.Time) (*gatehouse.DeviceAuthorization, gatehouse.DevicePoll, error) {
	now = norm(now)
	var d *gatehouse.DeviceAuthorization
	var poll gatehouse.DevicePoll
	err := s.inTx(ctx, func(tx conn) error {
		var err error
		d, err = scanDevice(tx.row(ctx, `SELECT `+deviceColumns+` FROM oauth_device_authorizations
			WHERE device_code_hash = $1 AND client_id = $2`+tx.d.lock("FOR UPDATE"), deviceCodeHash, clientID))
		if err != nil {
			return tx.d.mapError(err, "Device authorization")
		}
		if poll = d.Poll(now); poll == gatehouse.DevicePollExpired || poll == gatehouse.DevicePollConsumed {
			return nil // Poll changed nothing
		}
		_, err = tx.exec(ctx, `UPDATE oauth_device_authorizations
			SET state = $1, interval_ms = $2, last_polled_at = $3 WHERE id = $4`,
			d.State, d.Interval.Milliseconds(), d.LastPolledAt, d.ID)
		return tx.d.mapError(err, "Device authorization")
	})
	if err != nil {
		return nil, "", err
	}
	return d, poll, nil
}
