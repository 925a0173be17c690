package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error codes of the API (API.md, "Conventions"). They appear in Error.Code and in
// Verification.Code.
const (
	CodeServerError        = "server_error"
	CodeInvalidRequest     = "invalid_request"
	CodeInvalidCredentials = "invalid_credentials"
	CodeInvalidToken       = "invalid_token"
	CodeExpiredToken       = "expired_token"
	CodeInvalidAPIKey      = "invalid_api_key"
	CodeExpiredAPIKey      = "expired_api_key"
	CodeInsufficientPerms  = "insufficient_permissions"
	CodeIPNotAllowed       = "ip_not_allowed"
	CodeAgentNotVerified   = "agent_not_verified"
	CodeRateLimited        = "rate_limited"
	CodeUnavailable        = "temporarily_unavailable"
	CodeNotFound           = "not_found"
	CodeConflict           = "conflict"
	CodeTokenLimitReached  = "token_limit_reached"
	CodePasswordTooShort   = "password_too_short"
	CodePasswordTooLong    = "password_too_long"
	CodePasswordBreached   = "password_breached"
	CodeUsernameInvalid    = "username_invalid"
	CodeUsernameTaken      = "username_taken"
	CodeEmailTaken         = "email_taken"
	CodeReauthRequired     = "reauth_required"
	CodeRequestTooLarge    = "request_too_large"
	CodeForbidden          = "forbidden"
	CodeMethodNotAllowed   = "method_not_allowed"
	CodeUnexpectedResponse = "unexpected_response" // the answer was not Gatehouse's JSON error (e.g. a proxy's page)
)

// Error is a non-2xx answer from Gatehouse.
type Error struct {
	Status      int           // HTTP status
	Code        string        // the API's stable code (a Code* constant); CodeUnexpectedResponse when the body was not an API error
	Description string        // the API's human-readable error_description
	RequestID   string        // Gatehouse's request ID, for its logs
	RetryAfter  time.Duration // from Retry-After (429, 503); 0 when absent
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("gatehouse: ")
	if e.Description != "" {
		b.WriteString(e.Description)
		b.WriteString(" ")
	}
	fmt.Fprintf(&b, "(%s, HTTP %d", e.Code, e.Status)
	if e.RequestID != "" {
		b.WriteString(", request ")
		b.WriteString(e.RequestID)
	}
	b.WriteString(")")
	return b.String()
}

// Is makes errors.Is(err, &Error{Code: CodeNotFound}) match any *Error with that code; a target
// that also sets Status must match it too.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t.Code == "" || t.Code != e.Code {
		return false
	}
	return t.Status == 0 || t.Status == e.Status
}

// IsCode reports whether err is (or wraps) a *Error with the given code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code && code != "" }

// ErrorCode returns the code of the *Error in err's chain, or "" when there is none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// errorBody is the API's error shape.
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	RequestID   string `json:"request_id"`
	RetryAfter  *int64 `json:"retry_after"`
}

// errorFromResponse builds the *Error of a non-2xx answer.
func errorFromResponse(res *http.Response, data []byte) *Error {
	e := &Error{Status: res.StatusCode, RequestID: res.Header.Get("X-Request-ID")}
	var body errorBody
	if json.Unmarshal(data, &body) == nil && body.Error != "" {
		e.Code, e.Description = body.Error, body.Description
		if body.RequestID != "" {
			e.RequestID = body.RequestID
		}
		if body.RetryAfter != nil && *body.RetryAfter > 0 {
			e.RetryAfter = time.Duration(*body.RetryAfter) * time.Second
		}
	} else {
		e.Code, e.Description = CodeUnexpectedResponse, http.StatusText(res.StatusCode)
	}
	if e.RetryAfter == 0 {
		e.RetryAfter = parseRetryAfter(res.Header.Get("Retry-After"))
	}
	return e
}

// parseRetryAfter reads a Retry-After header in seconds (Gatehouse never sends the date form,
// but it is accepted).
func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
