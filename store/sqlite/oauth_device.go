package sqlite

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

// deviceDest holds the scan targets of the deviceColumns.
type deviceDest struct {
	d                             gatehouse.DeviceAuthorization
	scopes                        string
	userID                        sql.NullString
	interval, created, expires    int64
	lastPolled, decided, authTime sql.NullInt64
}

func (d *deviceDest) targets() []any {
	return []any{&d.d.ID, &d.d.DeviceCodeHash, &d.d.UserCodeHash, &d.d.ClientID, &d.scopes, &d.d.State,
		&d.userID, &d.interval, &d.created, &d.expires, &d.lastPolled, &d.decided, &d.authTime}
}

func (d *deviceDest) flow() (*gatehouse.DeviceAuthorization, error) {
	var err error
	if d.d.Scopes, err = decodeList(d.scopes); err != nil {
		return nil, err
	}
	if len(d.d.UserCodeHash) == 0 {
		d.d.UserCodeHash = nil // released by a newer flow
	}
	d.d.UserID, d.d.Interval = d.userID.String, time.Duration(d.interval)*time.Millisecond
	d.d.CreatedAt, d.d.ExpiresAt = fromMillis(d.created), fromMillis(d.expires)
	d.d.LastPolledAt, d.d.DecidedAt = fromNullMillis(d.lastPolled), fromNullMillis(d.decided)
	d.d.AuthTime = fromZeroNullMillis(d.authTime)
	return &d.d, nil
}

// scanDevice reads one row of deviceColumns.
func scanDevice(row rowScanner) (*gatehouse.DeviceAuthorization, error) {
	var d deviceDest
	if err := row.Scan(d.targets()...); err != nil {
		return nil, mapError(err, "Device authorization")
	}
	return d.flow()
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
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE oauth_device_authorizations SET user_code_hash = NULL
			WHERE user_code_hash = ? AND expires_at <= ?`, d.UserCodeHash, millis(d.CreatedAt))
		if err != nil {
			return mapError(err, "Device authorization")
		}
		var userID any
		if d.UserID != "" {
			userID = d.UserID
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO oauth_device_authorizations (`+deviceColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, d.DeviceCodeHash, d.UserCodeHash, d.ClientID, encodeList(d.Scopes), d.State, userID,
			d.Interval.Milliseconds(), millis(d.CreatedAt), millis(d.ExpiresAt), nullMillis(d.LastPolledAt),
			nullMillis(d.DecidedAt), zeroNullMillis(d.AuthTime))
		if err != nil && isUniqueOn(err, "oauth_device_authorizations.user_code_hash") {
			return record.ErrUserCodeInUse
		}
		return mapError(err, "User") // the one foreign key is the user
	})
}

// DeviceAuthorizationByUserCode returns the pending flow with that user code hash, unexpired
// at now.
func (s *Store) DeviceAuthorizationByUserCode(ctx context.Context, userCodeHash []byte, now time.Time) (*gatehouse.DeviceAuthorization, error) {
	return scanDevice(s.r.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM oauth_device_authorizations
		WHERE user_code_hash = ? AND state = 'pending' AND expires_at > ?`, userCodeHash, millis(now)))
}

// DecideDeviceAuthorization approves or denies the flow id, pending and unexpired at at, in one
// conditional UPDATE: of concurrent decisions exactly one applies. Not pending, expired, unknown
// or an unknown user → not found.
func (s *Store) DecideDeviceAuthorization(ctx context.Context, id, userID string, approve bool, authTime, at time.Time) error {
	state := gatehouse.DeviceStateDenied
	if approve {
		state = gatehouse.DeviceStateApproved
	}
	res, err := s.w.ExecContext(ctx, `UPDATE oauth_device_authorizations
		SET state = ?, user_id = ?, decided_at = ?, auth_time = ?
		WHERE id = ? AND state = 'pending' AND expires_at > ?`,
		state, userID, millis(at), zeroNullMillis(authTime), id, millis(at))
	return affectedOne(res, err, "Device authorization")
}

// PollDeviceAuthorization applies DeviceAuthorization.Poll at now (normalised) to clientID's
// flow with that device code hash and writes back what it changed, in one BEGIN IMMEDIATE
// transaction: of concurrent polls of an approved flow exactly one gets DevicePollApproved.
func (s *Store) PollDeviceAuthorization(ctx context.Context, deviceCodeHash []byte, clientID string, now time.Time) (*gatehouse.DeviceAuthorization, gatehouse.DevicePoll, error) {
	now = norm(now)
	var d *gatehouse.DeviceAuthorization
	var poll gatehouse.DevicePoll
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		d, err = scanDevice(tx.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM oauth_device_authorizations
			WHERE device_code_hash = ? AND client_id = ?`, deviceCodeHash, clientID))
		if err != nil {
			return err
		}
		if poll = d.Poll(now); poll == gatehouse.DevicePollExpired || poll == gatehouse.DevicePollConsumed {
			return nil // Poll changed nothing
		}
		_, err = tx.ExecContext(ctx, `UPDATE oauth_device_authorizations
			SET state = ?, interval_ms = ?, last_polled_at = ? WHERE id = ?`,
			d.State, d.Interval.Milliseconds(), nullMillis(d.LastPolledAt), d.ID)
		return mapError(err, "Device authorization")
	})
	if err != nil {
		return nil, "", err
	}
	return d, poll, nil
}
