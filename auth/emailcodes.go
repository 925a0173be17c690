package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Bounds of the six-digit email codes beyond each code's own verifyMaxTries (API.md "Limits"):
// an account gets codeTriesPerHour tries an hour across all its codes, so that asking for new
// codes does not buy more guesses; one address gets at most one new code a minute per kind
// (verification; change of address), whichever account asks, so that no one can flood a mailbox.
var (
	codeTriesPerHour    = gatehouse.Rate{Limit: 5, Period: time.Hour}
	codeMailsPerAddress = gatehouse.Rate{Limit: 1, Period: time.Minute}
)

// errCodeTriesExhausted answers a code try beyond the account's hourly budget.
func errCodeTriesExhausted(retry time.Duration) error {
	return &gatehouse.Error{Code: gatehouse.CodeRateLimited, Message: "Too many codes tried; wait and try again.", RetryAfter: retry}
}

// limitCodeTries counts one code try for the account before the code is compared: past the
// budget the try is refused (429) without a comparison, so the right code cannot slip in. An
// unavailable limiter fails closed: the code is short enough that unbounded guessing matters.
func (s *Accounts) limitCodeTries(ctx context.Context, userID string) error {
	if s.limiter == nil {
		return nil
	}
	d, err := s.limiter.Allow(ctx, "email-code-tries:"+userID, codeTriesPerHour)
	if err != nil {
		s.log.WarnContext(ctx, "rate limiter unavailable", "err", err)
		return &gatehouse.Error{Code: gatehouse.CodeUnavailable, Message: "Try again shortly.", RetryAfter: time.Second}
	}
	if !d.Allowed {
		return errCodeTriesExhausted(d.RetryAfter)
	}
	return nil
}

// codeMailAllowed reports whether a new code of purpose (a gatehouse.Purpose*: a verification
// code, or an email change's code or in-use mail) may be mailed to addr now: one a minute per
// address and purpose. An unavailable limiter lets the mail go: the per-user throttles hold.
func (s *Accounts) codeMailAllowed(ctx context.Context, purpose, addr string) bool {
	if s.limiter == nil {
		return true
	}
	d, err := s.limiter.Allow(ctx, "email-code-mail:"+purpose+":"+strings.ToLower(addr), codeMailsPerAddress)
	if err != nil {
		s.log.WarnContext(ctx, "rate limiter unavailable", "err", err)
		return true
	}
	return d.Allowed
}

// newCode draws a six-digit code of purpose for u, to be mailed to addr: the code and the
// one-time token that stores its hash (bound to the user), valid verifyCodeTTL.
func (s *Accounts) newCode(u *gatehouse.User, purpose, addr string) (string, *gatehouse.OneTimeToken, error) {
	code, err := randomDigits(s.random, verifyCodeLen)
	if err != nil {
		return "", nil, err
	}
	now := s.now()
	return code, &gatehouse.OneTimeToken{
		ID:        s.newID(gatehouse.PrefixOneTimeToken),
		Purpose:   purpose,
		UserID:    u.ID,
		Email:     addr,
		TokenHash: verifyCodeHash(u.ID, code),
		CreatedAt: now,
		ExpiresAt: now.Add(verifyCodeTTL),
	}, nil
}

// takeCode consumes the user's live code of purpose when code is it. The try is counted against
// the code before the comparison (atomically in the store), so that even concurrent guesses get
// at most verifyMaxTries comparisons; after that the code is dead, the right one included. Any
// code that is not the live one, or a live one that accept refuses, is errInvalidCode.
func (s *Accounts) takeCode(ctx context.Context, userID, purpose, code string, accept func(*gatehouse.OneTimeToken) bool) (*gatehouse.OneTimeToken, error) {
	now := s.now()
	t, err := s.store.ActiveOneTimeToken(ctx, userID, purpose, now)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errInvalidCode
	}
	if err != nil {
		return nil, err
	}
	if t.Attempts >= verifyMaxTries || !accept(t) {
		return nil, errInvalidCode
	}
	tries, err := s.store.FailOneTimeToken(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	hash := verifyCodeHash(userID, code)
	if tries > verifyMaxTries || subtle.ConstantTimeCompare(hash, t.TokenHash) != 1 {
		return nil, errInvalidCode
	}
	if _, err := s.store.ConsumeOneTimeToken(ctx, purpose, hash, now); err != nil {
		if errors.Is(err, gatehouse.ErrNotFound) { // a concurrent try consumed it first
			return nil, errInvalidCode
		}
		return nil, err
	}
	return t, nil
}
