package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Email verification: a six-digit code mailed to the address, stored as
// SHA-256(userID + ":" + code), valid 10 minutes and for at most verifyMaxTries tries.
const (
	verifyCodeTTL  = 10 * time.Minute
	verifyMaxTries = 5
	verifyCodeLen  = 6
)

// Audit event types of the mail flows (not in the root package's list yet).
const (
	eventEmailVerified = "email.verified"
	eventPasswordReset = "password.reset"
)

// Resend throttle per user: beyond it ResendVerification succeeds without sending anything.
var (
	resendPerMinute = gatehouse.Rate{Limit: 1, Period: time.Minute}
	resendPerDay    = gatehouse.Rate{Limit: 10, Period: 24 * time.Hour}
)

// errInvalidCode is the one answer to a wrong, expired, exhausted or missing code.
var errInvalidCode = gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The code is not valid or has expired; ask for a new one.")

// VerifyEmail checks a code mailed to the caller's address and marks the address verified, or
// the code of a pending email change, which makes the new address the account's (emailchange.go).
//
// Every try is counted against the code before it is compared (atomically in the store), so
// that even concurrent guesses get at most verifyMaxTries comparisons; after that the code is dead,
// the right one included, until a new code is sent. Tries are also counted per account across
// all codes (5 an hour, then 429: emailcodes.go).
func (s *Accounts) VerifyEmail(ctx context.Context, p *gatehouse.Principal, code string, meta Meta) (*gatehouse.User, error) {
	code = strings.TrimSpace(code)
	if isDigits(code, verifyCodeLen) {
		if err := s.limitCodeTries(ctx, p.User.ID); err != nil { // emailcodes.go: across all codes
			return nil, err
		}
	}
	if u, handled, err := s.confirmEmailChange(ctx, p, code, meta); handled { // emailchange.go
		return u, err
	}
	if !isDigits(code, verifyCodeLen) || p.User.Email == "" {
		return nil, errInvalidCode
	}
	inForce := func(t *gatehouse.OneTimeToken) bool { return strings.EqualFold(t.Email, p.User.Email) }
	if _, err := s.takeCode(ctx, p.User.ID, gatehouse.PurposeEmailVerify, code, inForce); err != nil {
		return nil, err
	}
	if !p.User.EmailVerified {
		// The code proved the unverified address: a claim (claim.go) that keeps the caller's
		// session, the one the proof was made with.
		keep := ""
		if p.Session != nil {
			keep = p.Session.ID
		}
		claimed, err := s.claimAccount(ctx, p.User, claimByEmailCode, keep, nil, meta)
		if err != nil {
			return nil, err
		}
		if claimed {
			return s.store.UserByID(ctx, p.User.ID)
		}
	}
	verified := true
	u, err := s.store.UpdateUser(ctx, p.User.ID, gatehouse.UserUpdate{EmailVerified: &verified, UpdatedAt: s.now()})
	if err != nil {
		return nil, err
	}
	s.audit(ctx, eventEmailVerified, u.ID, u.ID, meta, map[string]any{"method": "code"})
	return u, nil
}

// ResendVerification mails a new code to the caller's unverified address (the earlier code
// stops working). It reports success without sending when there is nothing to verify or the
// per-user throttle (1 a minute, 10 a day) is exhausted: the answer is the same either way.
func (s *Accounts) ResendVerification(ctx context.Context, p *gatehouse.Principal) error {
	u := p.User
	if s.mail == nil || u.Email == "" || u.EmailVerified {
		return nil
	}
	if s.limiter != nil {
		for _, r := range []gatehouse.Rate{resendPerMinute, resendPerDay} {
			d, err := s.limiter.Allow(ctx, fmt.Sprintf("verify-resend:%s:%s", r, u.ID), r)
			if err != nil {
				s.log.WarnContext(ctx, "rate limiter unavailable", "err", err)
				break
			}
			if !d.Allowed {
				return nil
			}
		}
	}
	return s.sendVerificationCode(ctx, u)
}

// mailVerificationCode sends a code after an action that already succeeded (sign-up, a new
// address): a failure is logged, not returned, and the user can ask for another code.
func (s *Accounts) mailVerificationCode(ctx context.Context, u *gatehouse.User) {
	if err := s.sendVerificationCode(context.WithoutCancel(ctx), u); err != nil {
		s.log.ErrorContext(ctx, "verification code not sent", "user_id", u.ID, "err", err)
	}
}

// sendVerificationCode stores a new code for u's address and, in the same transaction, queues
// the mail that carries it. Without a mail composer (or an address) it does nothing.
func (s *Accounts) sendVerificationCode(ctx context.Context, u *gatehouse.User) error {
	if s.mail == nil || u.Email == "" {
		return nil
	}
	if !s.codeMailAllowed(ctx, gatehouse.PurposeEmailVerify, u.Email) { // emailcodes.go: one new code a minute per address
		s.log.InfoContext(ctx, "verification code mail throttled", "user_id", u.ID)
		return nil
	}
	code, t, err := s.newCode(u, gatehouse.PurposeEmailVerify, u.Email)
	if err != nil {
		return err
	}
	m, err := s.composeMail("verify_email", u.Email, map[string]any{
		"Code": code, "Username": u.Username, "ExpiresIn": verifyCodeTTL,
	})
	if err != nil {
		return err
	}
	return s.store.CreateOneTimeToken(ctx, t, m)
}

// verifyCodeHash is what is stored of a code: bound to the user, so that equal codes of two
// users differ.
func verifyCodeHash(userID, code string) []byte {
	sum := sha256.Sum256([]byte(userID + ":" + code))
	return sum[:]
}

// randomDigits returns n uniformly random decimal digits (nil r: crypto/rand).
func randomDigits(r io.Reader, n int) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	v, err := rand.Int(r, limit) // rejection sampling: uniform
	if err != nil {
		return "", fmt.Errorf("random code: %w", err)
	}
	return fmt.Sprintf("%0*d", n, v), nil
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
