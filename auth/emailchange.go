package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// An email change (API.md "Email change") is confirmed, never immediate: PATCH /v1/me {email}
// stores a six-digit code (purpose email_change, the pending address in the token's Email) and
// mails it to the new address, tells the address in force, and answers 202 {pending_email}; the
// address in force stays (resets and sign-in links go there) until VerifyEmail takes the code.
// A new address another account holds gets the same answer and a stored code of its own, but the
// code is never mailed: the address's mail says it is in use. Only the newest request counts.

// Audit event types of an email change.
const (
	eventEmailChangeRequested = "email.change_requested"
	eventEmailChanged         = "email.changed"
)

// emailChangePerHour bounds the change requests (and so the mails) of one account.
var emailChangePerHour = gatehouse.Rate{Limit: 10, Period: time.Hour}

var errNoMailForChange = gatehouse.Errorf(gatehouse.CodeInvalidRequest, "This server sends no mail, so it cannot confirm a new email address.")

// checkEmailChange is run before anything of a PATCH that asks for a new address is applied: a
// server without mail cannot confirm one, and the requests of an account are throttled.
func (s *Accounts) checkEmailChange(ctx context.Context, u *gatehouse.User) error {
	if s.mail == nil {
		return errNoMailForChange
	}
	if s.limiter == nil {
		return nil
	}
	d, err := s.limiter.Allow(ctx, fmt.Sprintf("email-change:%s:%s", emailChangePerHour, u.ID), emailChangePerHour)
	if err != nil {
		s.log.WarnContext(ctx, "rate limiter unavailable", "err", err)
		return nil
	}
	if !d.Allowed {
		return &gatehouse.Error{Code: gatehouse.CodeRateLimited, Message: "Too many email changes; try again later.", RetryAfter: d.RetryAfter}
	}
	return nil
}

// requestEmailChange stores the code of u's change to email and queues its mails: the code to
// email (or, when another account holds email, a mail saying so without the code) and a notice
// to the address in force. It does the same work whether email is taken or not.
func (s *Accounts) requestEmailChange(ctx context.Context, u *gatehouse.User, email string, meta Meta) error {
	if !s.codeMailAllowed(ctx, gatehouse.PurposeEmailChange, email) { // emailcodes.go: one new code a minute per address
		s.log.InfoContext(ctx, "email change code mail throttled", "user_id", u.ID)
		return nil // the same 202: nothing new is stored or sent
	}
	other, err := s.store.UserByEmail(ctx, email)
	taken := err == nil && other.ID != u.ID
	if err != nil && !errors.Is(err, gatehouse.ErrNotFound) {
		return err
	}
	code, t, err := s.newCode(u, gatehouse.PurposeEmailChange, email)
	if err != nil {
		return err
	}
	kind, data := "email_change", map[string]any{"Code": code, "Username": u.Username, "ExpiresIn": verifyCodeTTL}
	if taken {
		kind, data = "email_in_use", map[string]any{"Email": email}
	}
	m, err := s.composeMail(kind, email, data)
	if err != nil {
		return err
	}
	if err := s.store.CreateOneTimeToken(ctx, t, m); err != nil {
		return err
	}
	if u.Email != "" {
		notice, err := s.composeMail("email_change_notice", u.Email, map[string]any{"NewEmail": email, "Username": u.Username})
		if err != nil {
			return err
		}
		if err := s.store.EnqueueMail(ctx, notice); err != nil {
			return err
		}
	}
	s.audit(ctx, eventEmailChangeRequested, u.ID, u.ID, meta, nil)
	return nil
}

// PendingEmail returns the address the caller asked to move to and has not confirmed yet ("" for
// none, or when its code expired or is exhausted).
func (s *Accounts) PendingEmail(ctx context.Context, p *gatehouse.Principal) (string, error) {
	t, err := s.store.ActiveOneTimeToken(ctx, p.User.ID, gatehouse.PurposeEmailChange, s.now())
	if errors.Is(err, gatehouse.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if t.Attempts >= verifyMaxTries {
		return "", nil
	}
	return t.Email, nil
}

// confirmEmailChange takes code for the caller's pending change: with the right code the pending
// address becomes the account's, verified. handled is false when there is no live pending change
// or code is not its code (the try is counted against it): VerifyEmail then checks code against
// the address in force, so a pending change never keeps the owner from verifying that one.
func (s *Accounts) confirmEmailChange(ctx context.Context, p *gatehouse.Principal, code string, meta Meta) (u *gatehouse.User, handled bool, err error) {
	if !isDigits(code, verifyCodeLen) {
		return nil, false, nil
	}
	t, err := s.takeCode(ctx, p.User.ID, gatehouse.PurposeEmailChange, code, func(*gatehouse.OneTimeToken) bool { return true })
	if err == errInvalidCode {
		return nil, false, nil // not the pending change's code: perhaps the address in force's
	}
	if err != nil {
		return nil, true, err
	}
	now := s.now()
	verified, email := true, t.Email
	u, err = s.store.UpdateUser(ctx, p.User.ID, gatehouse.UserUpdate{Email: &email, EmailVerified: &verified, UpdatedAt: now})
	if gatehouse.ErrorCode(err) == gatehouse.CodeEmailTaken {
		// Another account holds the address (it did when the change was asked, and its code was
		// never mailed, or took it meanwhile): nothing changes, as for any dead code.
		return nil, true, errInvalidCode
	}
	if err != nil {
		return nil, true, err
	}
	s.audit(ctx, eventEmailChanged, u.ID, u.ID, meta, map[string]any{"method": "code"})
	return u, true, nil
}

// mailEmailRemoved tells old, the address just removed from u, after the removal succeeded: a
// failure is logged, not returned.
func (s *Accounts) mailEmailRemoved(ctx context.Context, u *gatehouse.User, old string) {
	if s.mail == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	m, err := s.composeMail("email_change_notice", old, map[string]any{"Username": u.Username})
	if err == nil {
		err = s.store.EnqueueMail(ctx, m)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "email removal notice not sent", "user_id", u.ID, "err", err)
	}
}
