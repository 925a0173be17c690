package gatehouse

import (
	"context"
	"time"
)

// CredentialChangeStore ends a user's credentials wholesale.
type CredentialChangeStore interface {
	// SetCredentialsChangedAt records at as the user's CredentialsChangedAt (an earlier time
	// than the stored one changes nothing): the user's access tokens issued before it are
	// refused from then on. ErrNotFound for an unknown user.
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
// tokens, refresh families, outstanding access tokens (CredentialsChangedAt = At), the tokens and
// sessions of the user's agents (which become unverified, their tokens replaced by ones nobody
// holds: the owner rotates to get a new one), passkeys and linked identities.
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
}

// Map is the counts as the account.claimed event records them.
func (c ClaimCounts) Map() map[string]any {
	return map[string]any{
		"sessions": c.Sessions, "pats": c.PATs, "refresh_families": c.RefreshFamilies,
		"agents": c.Agents, "passkeys": c.Passkeys, "identities": c.Identities,
		"access_tokens": true, // every outstanding one: CredentialsChangedAt
	}
}
