package gatehouse

import "time"

// ID prefixes of passkeys, external identities and ceremony challenges.
const (
	PrefixPasskey   = "pk"
	PrefixIdentity  = "idn"
	PrefixChallenge = "chl"
)

// Passkey is a WebAuthn credential registered to a user. The whole credential is kept (public
// key, flags, authenticator data, transports) so that sign-ins can check everything WebAuthn
// defines, including the sign count.
type Passkey struct {
	ID             string // pk_...
	UserID         string
	Name           string
	CredentialID   []byte // unique across all users
	Credential     []byte // the library's credential record, JSON
	SignCount      uint32
	BackupEligible bool
	BackupState    bool
	CreatedAt      time.Time
	LastUsedAt     *time.Time
}

// SignInGuard asks a store to refuse a removal (of a passkey or a linked identity) that would
// leave the account with no way to sign in: the store deletes and then checks, in the same
// transaction serialised per user, that a way remains — a password, a passkey, a linked identity,
// or (when MagicLinks) a verified email address — and otherwise rolls back with CodeConflict.
// Two concurrent removals of the last two ways therefore cannot both succeed.
type SignInGuard struct {
	MagicLinks bool // a verified email address counts (mail is configured)
}

// Identity links an account to a user at an external OpenID Connect provider (Google by default).
type Identity struct {
	ID            string // idn_...
	UserID        string
	Provider      string // e.g. "google"
	Subject       string // the provider's "sub"
	Email         string
	EmailVerified bool
	CreatedAt     time.Time
}

// Challenge is the server-side state of a ceremony in flight (a WebAuthn registration or sign-in,
// an OpenID Connect redirect): single use and short-lived, kept in the database so that any
// instance can finish a ceremony another began.
type Challenge struct {
	ID        string // chl_...; handed to the client as the ceremony's handle
	Purpose   string // e.g. "passkey_register", "passkey_login", "oidc_login"
	UserID    string // "" when the ceremony has no user yet
	Data      []byte // the ceremony's state, opaque to the store
	CreatedAt time.Time
	ExpiresAt time.Time
}
