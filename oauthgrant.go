package gatehouse

import (
	"context"
	"time"
)

// ID prefixes of OAuth grant artefacts.
const (
	PrefixAuthorizationCode = "acd"
	PrefixRefreshToken      = "rtk"
	PrefixRefreshFamily     = "rtf"
	PrefixDeviceAuth        = "dev"
)

// CredentialAccessToken is the kind of a JWT access token issued by the OAuth provider
// (Principal.Credential, introspection).
const CredentialAccessToken = "access_token"

// AccessToken is a verified JWT access token's facts (RFC 9068 claims).
type AccessToken struct {
	JTI       string
	ClientID  string
	Subject   string // the user ID, or the client ID for client_credentials tokens
	Scopes    []string
	Audience  []string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// AuthorizationCode is a single-use authorization code (RFC 6749 4.1) bound to a client, a
// redirect URI and a PKCE S256 challenge. Only its SHA-256 is stored.
type AuthorizationCode struct {
	ID            string // acd_...
	CodeHash      []byte
	ClientID      string
	UserID        string
	RedirectURI   string
	Scopes        []string
	Nonce         string // OIDC nonce, echoed in the ID token
	CodeChallenge string // PKCE S256 challenge (base64url of SHA-256 of the verifier)
	AuthTime      time.Time
	CreatedAt     time.Time
	ExpiresAt     time.Time
	// Set when the code is redeemed, so that a second redemption can revoke what the first
	// issued (RFC 6749 4.1.2).
	UsedAt          *time.Time
	FamilyID        string // refresh family issued on redemption ("" when none)
	AccessJTI       string // jti of the access token issued on redemption
	AccessExpiresAt *time.Time
}

// RefreshFamily is the chain of refresh tokens that descend from one grant. Presenting a used
// token of the family revokes the whole family, its newest token included.
type RefreshFamily struct {
	ID           string // rtf_...
	ClientID     string
	UserID       string
	Scopes       []string
	AuthTime     time.Time
	CreatedAt    time.Time
	RevokedAt    *time.Time
	RevokeReason string
}

// RefreshToken is one `<brand>_rt_…` token of a family. Only its SHA-256 is stored. Tokens are
// single use: each use marks it used and issues the next one of the same family.
type RefreshToken struct {
	ID        string // rtk_...
	FamilyID  string
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	// Filled in by reads from the family.
	ClientID        string
	UserID          string
	Scopes          []string
	AuthTime        time.Time
	FamilyRevokedAt *time.Time
}

// Device authorization states (RFC 8628).
const (
	DeviceStatePending  = "pending"
	DeviceStateApproved = "approved"
	DeviceStateDenied   = "denied"
	DeviceStateConsumed = "consumed" // approved and its tokens issued
)

// DeviceSlowDownStep is what a too-early poll adds to the interval, from then on (RFC 8628 3.5).
const DeviceSlowDownStep = 5 * time.Second

// DeviceAuthorization is one device flow. The device code is stored as its SHA-256; the user
// code (8 letters, stored without the dash, upper case) as its SHA-256 too.
type DeviceAuthorization struct {
	ID             string // dev_...
	DeviceCodeHash []byte
	UserCodeHash   []byte
	ClientID       string
	Scopes         []string
	State          string // a DeviceState* value
	UserID         string // who approved or denied ("" while pending)
	Interval       time.Duration
	CreatedAt      time.Time
	ExpiresAt      time.Time
	LastPolledAt   *time.Time
	DecidedAt      *time.Time
	AuthTime       time.Time // when the approving user signed in (for the ID token's auth_time)
}

// DevicePoll is the outcome of one poll of the token endpoint with a device code.
type DevicePoll string

// Poll outcomes, as the token endpoint reports them.
const (
	DevicePollPending  DevicePoll = "authorization_pending"
	DevicePollSlowDown DevicePoll = "slow_down"
	DevicePollDenied   DevicePoll = "access_denied"
	DevicePollExpired  DevicePoll = "expired_token"
	DevicePollApproved DevicePoll = "approved" // the caller issues tokens now; the flow is consumed
	DevicePollConsumed DevicePoll = "consumed" // tokens were issued to an earlier poll
)

// Poll applies one poll at now to d and returns the outcome; d is updated in place (last poll
// time, interval, state) and the store writes it back. Both stores call it inside one
// serialised transaction, so that of concurrent polls of an approved flow exactly one gets
// DevicePollApproved.
func (d *DeviceAuthorization) Poll(now time.Time) DevicePoll {
	if d.State == DeviceStateConsumed {
		return DevicePollConsumed
	}
	if !now.Before(d.ExpiresAt) {
		return DevicePollExpired
	}
	early := d.LastPolledAt != nil && now.Sub(*d.LastPolledAt) < d.Interval
	last := now
	d.LastPolledAt = &last
	if early {
		d.Interval += DeviceSlowDownStep
		return DevicePollSlowDown
	}
	switch d.State {
	case DeviceStateApproved:
		d.State = DeviceStateConsumed
		return DevicePollApproved
	case DeviceStateDenied:
		return DevicePollDenied
	}
	return DevicePollPending
}

// Consent is a user's remembered approval of a client for a set of scopes.
type Consent struct {
	UserID    string
	ClientID  string
	Scopes    []string
	GrantedAt time.Time
}

// OAuthGrantStore keeps the OAuth provider's grants. Every single-use artefact is consumed
// atomically: of N concurrent redemptions exactly one succeeds, on one instance or many.
type OAuthGrantStore interface {
	CreateAuthorizationCode(ctx context.Context, c *AuthorizationCode) error
	// RedeemAuthorizationCode marks the unexpired code with that hash used at now and records
	// what it issued (familyID, accessJTI, accessExpiresAt), and, when first is not nil, inserts
	// in the same transaction the refresh family (ID first.FamilyID, client, user, scopes and
	// auth time from the code) and its first token. It returns the code as stored before.
	// Unknown or expired: ErrNotFound. Already used: the stored code (with what the first
	// redemption issued) and a *Error with CodeConflict, nothing changed.
	RedeemAuthorizationCode(ctx context.Context, hash []byte, now time.Time, accessJTI string, accessExpiresAt time.Time, first *RefreshToken) (*AuthorizationCode, error)

	// CreateRefreshFamily inserts a family and its first token (device and refresh grants that
	// do not come from a code).
	CreateRefreshFamily(ctx context.Context, f *RefreshFamily, first *RefreshToken) error
	// RefreshTokenByHash returns the token with its family's fields, used, expired and revoked
	// ones included (the caller decides).
	RefreshTokenByHash(ctx context.Context, hash []byte) (*RefreshToken, error)
	// RotateRefreshToken, in one transaction: finds the token with that hash issued to clientID
	// (else ErrNotFound); when its family is revoked or it expired at now → ErrNotFound; when it
	// was already used → revokes the family (reason "refresh_token_reused") and returns a *Error
	// with CodeConflict; else marks it used at now and inserts next in the same family (the
	// store sets next.FamilyID and copies the family's fields into next). Touches a constant
	// number of rows however long the family. Of concurrent rotations of one token exactly one
	// succeeds.
	RotateRefreshToken(ctx context.Context, hash []byte, clientID string, next *RefreshToken, now time.Time) (*RefreshToken, error)
	// RevokeRefreshFamily revokes one family; revoking a revoked or unknown family is not an
	// error.
	RevokeRefreshFamily(ctx context.Context, familyID string, at time.Time, reason string) error
	// RevokeUserRefreshFamilies revokes every unrevoked family of the user, of one client only
	// when clientID != "", and returns how many.
	RevokeUserRefreshFamilies(ctx context.Context, userID, clientID string, at time.Time, reason string) (int, error)

	// DenyAccessToken puts a JWT access token's jti on the denylist until it expires.
	// Denying a denied jti is not an error.
	DenyAccessToken(ctx context.Context, jti string, expiresAt time.Time) error
	// AccessTokenDenied reports whether the jti is on the denylist.
	AccessTokenDenied(ctx context.Context, jti string) (bool, error)

	// CreateDeviceAuthorization inserts d; a user code hash still in use by an unexpired flow →
	// CodeConflict (the caller draws another code).
	CreateDeviceAuthorization(ctx context.Context, d *DeviceAuthorization) error
	// DeviceAuthorizationByUserCode returns the pending, unexpired flow with that user code
	// hash; ErrNotFound otherwise.
	DeviceAuthorizationByUserCode(ctx context.Context, userCodeHash []byte, now time.Time) (*DeviceAuthorization, error)
	// DecideDeviceAuthorization approves or denies the pending, unexpired flow id as userID at
	// at (authTime: when that user signed in); ErrNotFound when it is not pending any more.
	DecideDeviceAuthorization(ctx context.Context, id, userID string, approve bool, authTime, at time.Time) error
	// PollDeviceAuthorization applies DeviceAuthorization.Poll at now to the flow of clientID
	// with that device code hash in one serialised transaction, writes it back and returns the
	// updated flow and the outcome; ErrNotFound for an unknown code or another client's.
	PollDeviceAuthorization(ctx context.Context, deviceCodeHash []byte, clientID string, now time.Time) (*DeviceAuthorization, DevicePoll, error)

	// GrantConsent records (or widens, by union of scopes) the user's consent to the client.
	GrantConsent(ctx context.Context, c *Consent) error
	// ConsentFor returns the user's consent to the client; ErrNotFound when none.
	ConsentFor(ctx context.Context, userID, clientID string) (*Consent, error)
	// ListConsents returns the user's consents, newest first.
	ListConsents(ctx context.Context, userID string) ([]Consent, error)
	// RevokeConsent deletes the user's consent to the client and, in the same transaction,
	// revokes the user's refresh families of that client (reason "consent_revoked");
	// ErrNotFound when there was no consent.
	RevokeConsent(ctx context.Context, userID, clientID string, at time.Time) error

	// PruneOAuthGrants deletes what can no longer be used at cutoff: expired codes, device
	// flows and denylist entries, and refresh tokens (with emptied families) expired before
	// cutoff; it returns how many rows it deleted.
	PruneOAuthGrants(ctx context.Context, cutoff time.Time) (int, error)
}
