package gatehouse

import (
	"context"
	"time"
)

// CredentialChangeStore ends a user's credentials wholesale.
type CredentialChangeStore interface {
	// SetCredentialsChangedAt records a change of the user's credentials at at, in one
	// transaction: CredentialsChangedAt becomes at rounded up to the whole second (CeilSecond),
	// or one second past the stored value when that is later (every change moves it, several
	// within one second too: see User.AccessTokenRevoked); the user's unused authorization
	// codes expire at at and approved device authorizations not yet polled become denied (no
	// token is issued for a grant made before the change). ErrNotFound for an unknown user.
	SetCredentialsChangedAt(ctx context.Context, userID string, at time.Time) error
	// ClaimAccount does, in one transaction, what proving an unverified address does (see
	// AccountClaim) and returns what it revoked. When the account no longer has c.Email
	// unverified (a concurrent claim or an address change came first) it changes nothing and
	// returns CodeConflict; ErrNotFound for an unknown user.
	ClaimAccount(ctx context.Context, c AccountClaim) (ClaimCounts, error)
}

// AccountClaim is the proof of an account's unverified address (a password reset, a magic link,
// an email code). Its account is taken over clean: the address becomes verified and every
// credential made before the proof is revoked — sessions (but KeepSessionID), personal access
// tokens, refresh families, outstanding access tokens and pending grants (as
// SetCredentialsChangedAt(At) does), the tokens and
// sessions of the user's agents (which become unverified, their tokens replaced by ones nobody
// holds: the owner rotates to get a new one), passkeys, linked identities and the consents given
// to OAuth applications (so an application the claimant never approved is asked again).
type AccountClaim struct {
	UserID        string
	Email         string // the address proven: the account's address, unverified
	KeepSessionID string // the session the proof was made with ("" for none)
	// PasswordHash, when set, replaces the password hash ("" clears it); nil leaves it.
	PasswordHash *string
	At           time.Time
	Reason       string // the revoke reason of what it revokes (e.g. "account_claimed")
}

// ClaimCounts is what a claim revoked, by kind.
type ClaimCounts struct {
	Sessions        int
	PATs            int
	RefreshFamilies int
	Agents          int // agents whose tokens were replaced and verification cleared
	Passkeys        int
	Identities      int
	Consents        int // consents to OAuth applications
}

// Map is the counts as the account.claimed event records them.
func (c ClaimCounts) Map() map[string]any {
	return map[string]any{
		"sessions": c.Sessions, "pats": c.PATs, "refresh_families": c.RefreshFamilies,
		"agents": c.Agents, "passkeys": c.Passkeys, "identities": c.Identities, "consents": c.Consents,
		"access_tokens": true, // every outstanding one: CredentialsChangedAt
	}
}

// EventAccountClaimed is the audit event of a claim: its details count what was revoked
// (ClaimCounts.Map) and name the proof ("method": password_reset, magic_link, email_code).
const EventAccountClaimed = "account.claimed"
