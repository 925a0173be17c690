package gatehouse

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable, machine-readable error code. The values are the codes of the HTTP contract
// (shared/API.md) and appear verbatim in the "error" field of error bodies.
type Code string

// Error codes. Keep in sync with the status table in httpapi.
const (
	CodeInternal           Code = "server_error"
	CodeInvalidRequest     Code = "invalid_request"
	CodeInvalidCredentials Code = "invalid_credentials"
	CodeInvalidToken       Code = "invalid_token"
	CodeExpiredToken       Code = "expired_token"
	CodeInsufficientPerms  Code = "insufficient_permissions"
	CodeRateLimited        Code = "rate_limited"
	CodeUnavailable        Code = "temporarily_unavailable"
	CodeNotFound           Code = "not_found"
	CodeConflict           Code = "conflict"
	CodePasswordTooShort   Code = "password_too_short"
	CodePasswordTooLong    Code = "password_too_long"
	CodePasswordBreached   Code = "password_breached"
	CodeUsernameInvalid    Code = "username_invalid"
	CodeUsernameTaken      Code = "username_taken"
	CodeEmailTaken         Code = "email_taken"
	CodeReauthRequired     Code = "reauth_required"
	CodeRequestTooLarge    Code = "request_too_large"
	CodeForbiddenOrigin    Code = "forbidden"
	CodeMethodNotAllowed   Code = "method_not_allowed"
	CodeTokenLimitReached  Code = "token_limit_reached"
	CodeInvalidAPIKey      Code = "invalid_api_key"
	CodeExpiredAPIKey      Code = "expired_api_key"
	CodeIPNotAllowed       Code = "ip_not_allowed"
	CodeAgentNotVerified   Code = "agent_not_verified"

	// OAuth 2.0 codes (RFC 6749 4.1.2.1 and 5.2, RFC 8628 3.5, RFC 7009 2.2.1).
	CodeInvalidClient           Code = "invalid_client"
	CodeInvalidGrant            Code = "invalid_grant"
	CodeUnauthorizedClient      Code = "unauthorized_client"
	CodeUnsupportedGrantType    Code = "unsupported_grant_type"
	CodeUnsupportedResponseType Code = "unsupported_response_type"
	CodeUnsupportedTokenType    Code = "unsupported_token_type"
	CodeInvalidScope            Code = "invalid_scope"
	CodeAccessDenied            Code = "access_denied"
	CodeAuthorizationPending    Code = "authorization_pending"
	CodeSlowDown                Code = "slow_down"
)

// Error is a domain error: a code from the contract and a message that is safe to show to the
// caller. It never carries secrets, SQL text or stack traces.
type Error struct {
	Code    Code
	Message string
	// RetryAfter is set with CodeRateLimited and CodeUnavailable.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Code)
	}
	return string(e.Code) + ": " + e.Message
}

// Is lets errors.Is(err, &Error{Code: X}) match on the code alone.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == ""
}

// Errorf returns a *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinel errors for the common cases. Compare with errors.Is; they match any *Error of the same
// code whatever its message.
var (
	ErrNotFound = &Error{Code: CodeNotFound}
	ErrConflict = &Error{Code: CodeConflict}
)

// ErrorCode returns the code of the first *Error in err's chain, CodeInternal for any other
// non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the caller-safe message of err: the message of its *Error, or a generic
// text for internal errors (whose details are only logged).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		if e.Message != "" {
			return e.Message
		}
		return defaultMessages[e.Code]
	}
	return "An internal error occurred."
}

var defaultMessages = map[Code]string{
	CodeInvalidRequest:     "The request is malformed.",
	CodeInvalidCredentials: "Invalid username or password.",
	CodeInvalidToken:       "The access token is invalid.",
	CodeExpiredToken:       "The access token has expired.",
	CodeInsufficientPerms:  "You do not have permission to do this.",
	CodeRateLimited:        "Too many requests; try again later.",
	CodeUnavailable:        "The server is busy; try again shortly.",
	CodeNotFound:           "Not found.",
	CodeConflict:           "The request conflicts with the current state.",
	CodeRequestTooLarge:    "The request body is too large.",
}
