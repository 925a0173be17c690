package auth

import (
	"context"
	"errors"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/password"
)

// errInvalidCredentials is the one answer to every kind of sign-in failure.
var errInvalidCredentials = &gatehouse.Error{Code: gatehouse.CodeInvalidCredentials, Message: "Invalid username or password."}

// Login signs in with a username or email and a password.
//
// Every failure (unknown account, wrong password, disabled account, password-less account) is the
// same invalid_credentials error after the same work: one argon2id verification. Failed attempts
// are throttled per account (per login name for unknown ones) with a growing delay.
func (s *SignIn) Login(ctx context.Context, login, pw string, meta Meta) (*SessionGrant, error) {
	if len(pw) > password.MaxBytes {
		// Over-long passwords are refused before any hashing or lookup; this reveals nothing
		// about the account.
		return nil, s.cfg.PasswordPolicy.Check(pw)
	}
	login = strings.TrimSpace(login)
	u, err := s.lookupLogin(ctx, login)
	if err != nil && !errors.Is(err, gatehouse.ErrNotFound) {
		return nil, err
	}
	key := "login:" + strings.ToLower(login)
	phc := "" // unknown and password-less accounts check against a dummy hash: same work
	if u != nil {
		key = "user:" + u.ID
		phc = u.PasswordHash
	}
	ok, rehash, err := s.hasher.Check(ctx, pw, phc, func() error { return s.claimAttempt(ctx, key) })
	if err != nil {
		return nil, err
	}
	if !ok {
		reason := "wrong_password"
		if phc == "" {
			reason = "unknown_account"
		}
		return nil, s.loginFailed(ctx, u, login, meta, reason)
	}
	if u.Disabled() {
		return nil, s.loginFailed(ctx, u, login, meta, "disabled")
	}
	if err := s.store.ResetLoginAttempts(ctx, key); err != nil {
		return nil, err
	}
	if rehash {
		s.rehash(ctx, u, pw)
	}
	grant, err := s.sessions.startSession(ctx, u, meta, AMRPassword)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, gatehouse.EventLogin, u.ID, u.ID, meta, map[string]any{"method": "password", "session_id": grant.Session.ID})
	return grant, nil
}

// claimAttempt counts one attempt on key in the throttle, or says how long to wait.
func (s *SignIn) claimAttempt(ctx context.Context, key string) error {
	wait, err := s.store.ClaimLoginAttempt(ctx, key, s.now(), s.cfg.LoginThrottle)
	if err != nil {
		return err
	}
	if wait > 0 {
		return &gatehouse.Error{Code: gatehouse.CodeRateLimited, Message: "Too many failed attempts; try again later.", RetryAfter: wait}
	}
	return nil
}

func (s *SignIn) lookupLogin(ctx context.Context, login string) (*gatehouse.User, error) {
	if login == "" {
		return nil, gatehouse.ErrNotFound
	}
	if strings.Contains(login, "@") {
		return s.store.UserByEmail(ctx, login)
	}
	return s.store.UserByUsername(ctx, login)
}

// loginFailed writes the audit event and returns the generic error. The reason goes to the audit
// log (for the account's owner and operators), never to the caller.
func (s *SignIn) loginFailed(ctx context.Context, u *gatehouse.User, login string, meta Meta, reason string) error {
	subject := ""
	details := map[string]any{"reason": reason, "method": "password"}
	if u != nil {
		subject = u.ID
	} else {
		details["login"] = truncate(login, 64)
	}
	s.audit(ctx, gatehouse.EventLoginFailed, "", subject, meta, details)
	return errInvalidCredentials
}

// rehash re-encodes a password hash under the configured parameters after a successful login.
func (s *SignIn) rehash(ctx context.Context, u *gatehouse.User, pw string) {
	hash, err := s.hasher.Hash(ctx, pw)
	if err == nil {
		err = s.store.SetPassword(ctx, u.ID, hash, s.now(), false)
	}
	if err != nil {
		s.log.WarnContext(ctx, "password hash not upgraded", "user_id", u.ID, "err", err)
	}
}

// PruneLoginAttempts forgets throttle state that can no longer matter: keys whose failures are
// older than the policy's Forget window. The server calls it periodically.
func (s *SignIn) PruneLoginAttempts(ctx context.Context) (int, error) {
	if s.cfg.LoginThrottle.Forget <= 0 {
		return 0, nil
	}
	return s.store.PruneLoginAttempts(ctx, s.now().Add(-s.cfg.LoginThrottle.Forget))
}

// checkPassword verifies a signed-in user's password under the same throttle as sign-in, so a
// stolen session cannot be used to guess the password.
func (s *SignIn) checkPassword(ctx context.Context, u *gatehouse.User, pw string) error {
	if u.PasswordHash == "" {
		return gatehouse.Errorf(gatehouse.CodeReauthRequired, "This account has no password; sign in again to confirm.")
	}
	key := "user:" + u.ID
	ok, _, err := s.hasher.Check(ctx, pw, u.PasswordHash, func() error { return s.claimAttempt(ctx, key) })
	if err != nil {
		return err
	}
	if !ok {
		return errInvalidCredentials
	}
	return s.store.ResetLoginAttempts(ctx, key)
}
