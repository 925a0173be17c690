package auth

import (
	"context"
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
func (s *Service) limitCodeTries(ctx context.Context, userID string) error {
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
func (s *Service) codeMailAllowed(ctx context.Context, purpose, addr string) bool {
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
