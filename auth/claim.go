package auth

import (
	"context"
	"fmt"

	"github.com/gatehouse-auth/gatehouse"
)

// Claiming an address (API.md "Claiming an address"), the pre-hijacking defence: until someone
// proves control of an account's address, the account's credentials may belong to whoever
// registered with another person's address first. The proof — a password reset, a magic link,
// an email code — hands the account over clean: every credential made before it is revoked, in
// one transaction (gatehouse.AccountClaim), and the audit trail records what (account.claimed).

// Proofs of an address, as account.claimed names them.
const (
	claimByPasswordReset = "password_reset"
	claimByMagicLink     = "magic_link"
	claimByEmailCode     = "email_code"
)

// claimAccount claims u's unverified address for the person who just proved it with method:
// it marks the address verified and revokes every credential of the account but keepSessionID
// (the session the proof was made with, "" for none), setting the password hash when
// passwordHash is not nil ("" clears it). It reports false, changing nothing, when the address
// is verified or no longer u's by now (a concurrent proof or change came first); the caller then
// goes on as for a verified account.
func (s *Accounts) claimAccount(ctx context.Context, u *gatehouse.User, method, keepSessionID string, passwordHash *string, meta Meta) (bool, error) {
	n, err := s.store.ClaimAccount(ctx, gatehouse.AccountClaim{
		UserID: u.ID, Email: u.Email, KeepSessionID: keepSessionID, PasswordHash: passwordHash,
		At: s.now(), Reason: "account_claimed",
	})
	if gatehouse.ErrorCode(err) == gatehouse.CodeConflict {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim the account: %w", err)
	}
	details := n.Map()
	details["method"] = method
	s.audit(ctx, gatehouse.EventAccountClaimed, u.ID, u.ID, meta, details)
	s.audit(ctx, eventEmailVerified, u.ID, u.ID, meta, map[string]any{"method": method})
	return true, nil
}
