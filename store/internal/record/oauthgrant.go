package record

import (
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Revocation reasons the stores write on their own.
const (
	ReasonRefreshReused  = "refresh_token_reused"
	ReasonConsentRevoked = "consent_revoked"
)

// Domain errors of the OAuth grant stores. Their messages are safe to show to callers.
var (
	// ErrCodeUsed is RedeemAuthorizationCode's answer for a code redeemed before.
	ErrCodeUsed = gatehouse.Errorf(gatehouse.CodeConflict, "The authorization code was already used.")
	// ErrRefreshReused is RotateRefreshToken's answer for a used refresh token (its family is
	// revoked).
	ErrRefreshReused = gatehouse.Errorf(gatehouse.CodeConflict, "The refresh token was already used; its grant is revoked.")
	// ErrUserCodeInUse is CreateDeviceAuthorization's answer for a user code an unexpired flow
	// holds.
	ErrUserCodeInUse = gatehouse.Errorf(gatehouse.CodeConflict, "That user code is in use.")
)

// FillAuthorizationCode checks c — a client, a user, a redirect URI, an expiry time and a code
// hash (CheckTokenHash), else CodeInvalidRequest — then fills an empty ID (acd_) and a zero
// CreatedAt (now), normalises the times and makes nil Scopes empty.
func FillAuthorizationCode(c *gatehouse.AuthorizationCode) error {
	if c.ClientID == "" || c.UserID == "" || c.RedirectURI == "" {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "An authorization code needs a client, a user and a redirect URI.")
	}
	if c.ExpiresAt.IsZero() {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "An authorization code needs an expiry time.")
	}
	if err := CheckTokenHash(c.CodeHash, "authorization code"); err != nil {
		return err
	}
	c.CreatedAt = Time(orNow(c.CreatedAt))
	c.ExpiresAt, c.AuthTime = Time(c.ExpiresAt), Time(c.AuthTime)
	c.UsedAt, c.AccessExpiresAt = TimePtr(c.UsedAt), TimePtr(c.AccessExpiresAt)
	if c.ID == "" {
		c.ID = gatehouse.NewID(gatehouse.PrefixAuthorizationCode, c.CreatedAt, nil)
	}
	c.Scopes = orEmpty(c.Scopes)
	return nil
}

// FillRefreshFamily checks f has a client and a user (CodeInvalidRequest), then fills an empty
// ID (rtf_) and a zero CreatedAt (now), normalises the times and makes nil Scopes empty.
func FillRefreshFamily(f *gatehouse.RefreshFamily) error {
	if f.ClientID == "" || f.UserID == "" {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A refresh family needs a client and a user.")
	}
	f.CreatedAt = Time(orNow(f.CreatedAt))
	f.AuthTime, f.RevokedAt = Time(f.AuthTime), TimePtr(f.RevokedAt)
	if f.ID == "" {
		f.ID = gatehouse.NewID(gatehouse.PrefixRefreshFamily, f.CreatedAt, nil)
	}
	f.Scopes = orEmpty(f.Scopes)
	return nil
}

// FamilyFromCode returns the refresh family a redemption of c at now starts: ID id (a new rtf_
// ID when empty), and the code's client, user, scopes and auth time.
func FamilyFromCode(c *gatehouse.AuthorizationCode, id string, now time.Time) *gatehouse.RefreshFamily {
	f := &gatehouse.RefreshFamily{ID: id, ClientID: c.ClientID, UserID: c.UserID,
		Scopes: append([]string{}, c.Scopes...), AuthTime: Time(c.AuthTime), CreatedAt: Time(now)}
	if f.ID == "" {
		f.ID = gatehouse.NewID(gatehouse.PrefixRefreshFamily, f.CreatedAt, nil)
	}
	return f
}

// FillRefreshToken checks t has an expiry time and a token hash (CheckTokenHash), else
// CodeInvalidRequest, then makes it a token of family f: it fills an empty ID (rtk_) and a zero
// CreatedAt (created), normalises the times, and sets FamilyID and the family's fields
// (client, user, scopes, auth time, revocation) from f.
func FillRefreshToken(t *gatehouse.RefreshToken, f *gatehouse.RefreshFamily, created time.Time) error {
	if t.ExpiresAt.IsZero() {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A refresh token needs an expiry time.")
	}
	if err := CheckTokenHash(t.TokenHash, "refresh"); err != nil {
		return err
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = created
	}
	t.CreatedAt = Time(orNow(t.CreatedAt))
	t.ExpiresAt, t.UsedAt = Time(t.ExpiresAt), TimePtr(t.UsedAt)
	if t.ID == "" {
		t.ID = gatehouse.NewID(gatehouse.PrefixRefreshToken, t.CreatedAt, nil)
	}
	t.FamilyID, t.ClientID, t.UserID = f.ID, f.ClientID, f.UserID
	t.Scopes = append([]string{}, f.Scopes...)
	t.AuthTime, t.FamilyRevokedAt = Time(f.AuthTime), TimePtr(f.RevokedAt)
	return nil
}

// Rotation is what RotateRefreshToken does with the token it found.
type Rotation int

// The outcomes of DecideRotation.
const (
	RotateNotFound Rotation = iota // another client's, of a revoked family, or expired: not found, nothing changes
	RotateReused                   // used before: revoke the family, answer ErrRefreshReused
	RotateIssue                    // mark it used and insert the next token
)

// DecideRotation applies RotateRefreshToken's rules, in their order, to the stored token t (with
// its family's fields) presented by clientID at now.
func DecideRotation(t *gatehouse.RefreshToken, clientID string, now time.Time) Rotation {
	switch {
	case t.ClientID != clientID, t.FamilyRevokedAt != nil, !now.Before(t.ExpiresAt):
		return RotateNotFound
	case t.UsedAt != nil:
		return RotateReused
	}
	return RotateIssue
}

// FillDeviceAuthorization checks d — a client, an expiry time, a device and a user code hash
// (CheckTokenHash), a known State and an Interval not below zero, else CodeInvalidRequest —
// then fills an empty ID (dev_), a zero CreatedAt (now) and an empty State (pending),
// normalises the times and the interval (whole milliseconds) and makes nil Scopes empty.
func FillDeviceAuthorization(d *gatehouse.DeviceAuthorization) error {
	if d.ClientID == "" || d.ExpiresAt.IsZero() {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A device authorization needs a client and an expiry time.")
	}
	if err := CheckTokenHash(d.DeviceCodeHash, "device code"); err != nil {
		return err
	}
	if err := CheckTokenHash(d.UserCodeHash, "user code"); err != nil {
		return err
	}
	if d.State == "" {
		d.State = gatehouse.DeviceStatePending
	}
	switch d.State {
	case gatehouse.DeviceStatePending, gatehouse.DeviceStateApproved, gatehouse.DeviceStateDenied, gatehouse.DeviceStateConsumed:
	default:
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A device authorization's state must be pending, approved, denied or consumed.")
	}
	if d.Interval < 0 {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A device authorization's interval cannot be negative.")
	}
	d.Interval = d.Interval.Truncate(time.Millisecond)
	d.CreatedAt = Time(orNow(d.CreatedAt))
	d.ExpiresAt, d.AuthTime = Time(d.ExpiresAt), Time(d.AuthTime)
	d.LastPolledAt, d.DecidedAt = TimePtr(d.LastPolledAt), TimePtr(d.DecidedAt)
	if d.ID == "" {
		d.ID = gatehouse.NewID(gatehouse.PrefixDeviceAuth, d.CreatedAt, nil)
	}
	d.Scopes = orEmpty(d.Scopes)
	return nil
}

// FillConsent checks c has a user and a client (CodeInvalidRequest), then fills a zero
// GrantedAt (now), normalises it and makes nil Scopes empty.
func FillConsent(c *gatehouse.Consent) error {
	if c.UserID == "" || c.ClientID == "" {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A consent needs a user and a client.")
	}
	c.GrantedAt = Time(orNow(c.GrantedAt))
	c.Scopes = orEmpty(c.Scopes)
	return nil
}

// UnionScopes returns the scopes of had followed by those of added it lacks, in order, each
// once (never nil).
func UnionScopes(had, added []string) []string {
	out := make([]string, 0, len(had)+len(added))
	seen := make(map[string]bool, len(had)+len(added))
	for _, list := range [][]string{had, added} {
		for _, s := range list {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}
