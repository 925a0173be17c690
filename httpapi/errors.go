package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// errorSpec is the HTTP side of one error code: its status and the text shown when the
// *gatehouse.Error carries no message of its own.
type errorSpec struct {
	status  int
	message string
}

// errorSpecs is the status table of the contract (API.md, "Conventions"). A code that is not in
// it is answered as server_error (500).
//
// reauth_required is 403, not 401: the caller's credential is valid (a 401 would tell clients to
// throw it away), it is just not fresh enough for this operation.
var errorSpecs = map[gatehouse.Code]errorSpec{
	gatehouse.CodeInvalidRequest:     {http.StatusBadRequest, "The request is malformed."},
	gatehouse.CodePasswordTooShort:   {http.StatusBadRequest, "The password is too short."},
	gatehouse.CodePasswordTooLong:    {http.StatusBadRequest, "The password is too long."},
	gatehouse.CodePasswordBreached:   {http.StatusBadRequest, "This password is too common or has appeared in a data breach; choose another."},
	gatehouse.CodeUsernameInvalid:    {http.StatusBadRequest, "The username is not valid."},
	gatehouse.CodeInvalidCredentials: {http.StatusUnauthorized, "Invalid username or password."},
	gatehouse.CodeInvalidToken:       {http.StatusUnauthorized, "The access token is invalid."},
	gatehouse.CodeExpiredToken:       {http.StatusUnauthorized, "The access token has expired."},
	gatehouse.CodeInvalidAPIKey:      {http.StatusUnauthorized, "The API key is invalid."},
	gatehouse.CodeExpiredAPIKey:      {http.StatusUnauthorized, "The API key has expired."},
	gatehouse.CodeInsufficientPerms:  {http.StatusForbidden, "You do not have permission to do this."},
	gatehouse.CodeIPNotAllowed:       {http.StatusForbidden, "Requests from this address are not allowed."},
	gatehouse.CodeAgentNotVerified:   {http.StatusForbidden, "The agent has not been verified by its owner."},
	gatehouse.CodeForbiddenOrigin:    {http.StatusForbidden, "The request was refused."},
	gatehouse.CodeReauthRequired:     {http.StatusForbidden, "Sign in again to do this."},
	gatehouse.CodeNotFound:           {http.StatusNotFound, "Not found."},
	gatehouse.CodeMethodNotAllowed:   {http.StatusMethodNotAllowed, "The method is not allowed for this resource."},
	gatehouse.CodeConflict:           {http.StatusConflict, "The request conflicts with the current state."},
	gatehouse.CodeUsernameTaken:      {http.StatusConflict, "The username is taken."},
	gatehouse.CodeEmailTaken:         {http.StatusConflict, "The email address is already in use."},
	gatehouse.CodeTokenLimitReached:  {http.StatusConflict, "The limit of active tokens has been reached."},
	gatehouse.CodeRequestTooLarge:    {http.StatusRequestEntityTooLarge, "The request body is too large."},
	gatehouse.CodeRateLimited:        {http.StatusTooManyRequests, "Too many requests; try again later."},
	gatehouse.CodeUnavailable:        {http.StatusServiceUnavailable, "The server is busy; try again shortly."},

	// OAuth 2.0 codes as the /v1 API answers them (the /oauth2 endpoints use oauthErrorSpecs).
	gatehouse.CodeInvalidClient:           {http.StatusUnauthorized, "Client authentication failed."},
	gatehouse.CodeInvalidGrant:            {http.StatusBadRequest, "The grant is invalid, expired or revoked."},
	gatehouse.CodeUnauthorizedClient:      {http.StatusBadRequest, "The client may not use this grant type."},
	gatehouse.CodeUnsupportedGrantType:    {http.StatusBadRequest, "The grant type is not supported."},
	gatehouse.CodeUnsupportedResponseType: {http.StatusBadRequest, "The response type is not supported."},
	gatehouse.CodeUnsupportedTokenType:    {http.StatusBadRequest, "The token type is not supported."},
	gatehouse.CodeInvalidScope:            {http.StatusBadRequest, "The requested scope is invalid."},
	gatehouse.CodeAccessDenied:            {http.StatusForbidden, "The request was denied."},
	gatehouse.CodeAuthorizationPending:    {http.StatusBadRequest, "The authorization is still pending."},
	gatehouse.CodeSlowDown:                {http.StatusBadRequest, "Polling too fast; slow down."},
}

// oauthErrorSpecs are the statuses of the OAuth endpoints under /oauth2 where they differ from
// errorSpecs (RFC 6749 5.2, RFC 8628 3.5): every error is 400 except invalid_client (401), so
// expired_token and access_denied, which are 401 and 403 under /v1, are 400 here.
var oauthErrorSpecs = map[gatehouse.Code]errorSpec{
	gatehouse.CodeInvalidClient: {http.StatusUnauthorized, "Client authentication failed."},
	gatehouse.CodeExpiredToken:  {http.StatusBadRequest, "The device code has expired."},
	gatehouse.CodeAccessDenied:  {http.StatusBadRequest, "The request was denied."},
}

// internalMessage is the only text a 500 ever carries.
const internalMessage = "An internal error occurred."

// StatusOf returns the HTTP status for an error code: the table of the contract, 500 for
// server_error and for any code it does not know.
func StatusOf(code gatehouse.Code) int {
	if s, ok := errorSpecs[code]; ok {
		return s.status
	}
	return http.StatusInternalServerError
}

// OAuthStatusOf is StatusOf for the OAuth endpoints under /oauth2 (RFC 6749 5.2): 401 for
// invalid_client, 400 for every other OAuth code, expired_token and access_denied included.
func OAuthStatusOf(code gatehouse.Code) int {
	if s, ok := oauthErrorSpecs[code]; ok {
		return s.status
	}
	return StatusOf(code)
}

// errorStyle is what differs between the /v1 and the /oauth2 error responses: the entries of
// the status table that differ from errorSpecs, and the WWW-Authenticate challenge of a 401.
type errorStyle struct {
	overrides map[gatehouse.Code]errorSpec
	challenge func(gatehouse.Code) string
}

// apiErrors is the style of the /v1 API: Bearer challenges (RFC 6750).
var apiErrors = errorStyle{challenge: bearerChallenge}

func bearerChallenge(code gatehouse.Code) string {
	challenge := `Bearer realm="gatehouse"`
	if code == gatehouse.CodeInvalidToken || code == gatehouse.CodeExpiredToken {
		challenge += `, error="invalid_token"`
	}
	return challenge
}

// BasicChallenge is the WWW-Authenticate of a failed client authentication with HTTP Basic.
const BasicChallenge = `Basic realm="gatehouse"`

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error       gatehouse.Code `json:"error"`
	Description string         `json:"error_description"`
	RequestID   string         `json:"request_id"`
	RetryAfter  *int64         `json:"retry_after,omitempty"`
}

// WriteError answers the request with err in the contract's error shape. A *gatehouse.Error
// anywhere in err's chain gives the code, status and message; an *http.MaxBytesError gives 413;
// anything else is an internal error: logged (with the request ID) and answered with a generic
// 500. It is the one place in Gatehouse that writes error responses.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, err, true)
}

// WriteOAuthError answers an OAuth endpoint under /oauth2 with err in the same body as
// WriteError ({"error", "error_description", "request_id"}, the shape of RFC 6749 5.2) and the
// status of OAuthStatusOf. A 401 carries challenge as WWW-Authenticate (BasicChallenge when it
// is ""). invalid_credentials, the service's answer to a wrong client secret, goes out as
// invalid_client.
func WriteOAuthError(w http.ResponseWriter, r *http.Request, err error, challenge string) {
	if gatehouse.ErrorCode(err) == gatehouse.CodeInvalidCredentials {
		err = &gatehouse.Error{Code: gatehouse.CodeInvalidClient, Message: errorSpecs[gatehouse.CodeInvalidClient].message}
	}
	if challenge == "" {
		challenge = BasicChallenge
	}
	style := errorStyle{overrides: oauthErrorSpecs, challenge: func(gatehouse.Code) string { return challenge }}
	writeStyledError(w, r, err, true, style)
}

// writeError is WriteError; logInternal false is for callers that already logged the cause
// (Recover logs the panic with its stack).
func writeError(w http.ResponseWriter, r *http.Request, err error, logInternal bool) {
	writeStyledError(w, r, err, logInternal, apiErrors)
}

// writeStyledError writes every error body of Gatehouse.
func writeStyledError(w http.ResponseWriter, r *http.Request, err error, logInternal bool, style errorStyle) {
	code, message, retryAfter := describeWith(err, style.overrides)
	status := StatusOf(code)
	if spec, ok := style.overrides[code]; ok {
		status = spec.status
	}
	if status == http.StatusInternalServerError {
		if r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
			// The client went away (or the server is shutting down): nobody reads the answer,
			// and it is not a server fault worth an error line.
			Logger(r.Context()).LogAttrs(r.Context(), slog.LevelDebug, "request abandoned by the client",
				slog.String("method", r.Method), slog.String("path", r.URL.Path))
			logInternal = false
		}
		if logInternal {
			if err == nil {
				err = errors.New("httpapi: WriteError called with a nil error")
			}
			Logger(r.Context()).LogAttrs(r.Context(), slog.LevelError, "internal error",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Any("error", err))
		}
		code, message = gatehouse.CodeInternal, internalMessage
	}

	body := errorBody{Error: code, Description: message, RequestID: RequestID(r.Context())}
	if body.RequestID == "" {
		body.RequestID = w.Header().Get(RequestIDHeader)
	}

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	switch status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", style.challenge(code))
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		secs := retryAfterSeconds(retryAfter)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
		if code == gatehouse.CodeRateLimited {
			body.RetryAfter = &secs
		}
	}

	// errorBody holds only strings and an integer: Marshal cannot fail.
	b, _ := json.Marshal(body)
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// describe returns the code, caller-safe message and retry delay of err.
func describe(err error) (gatehouse.Code, string, time.Duration) {
	return describeWith(err, nil)
}

// describeWith is describe with the default messages of overrides taking precedence.
func describeWith(err error, overrides map[gatehouse.Code]errorSpec) (gatehouse.Code, string, time.Duration) {
	var ge *gatehouse.Error
	if errors.As(err, &ge) {
		msg := ge.Message
		if msg == "" {
			msg = overrides[ge.Code].message
		}
		if msg == "" {
			msg = errorSpecs[ge.Code].message
		}
		return ge.Code, msg, ge.RetryAfter
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return gatehouse.CodeRequestTooLarge, errorSpecs[gatehouse.CodeRequestTooLarge].message, 0
	}
	return gatehouse.CodeInternal, internalMessage, 0
}

// retryAfterSeconds rounds d up to whole seconds, at least 1 (RFC 9110 Retry-After is an integer
// number of seconds; 0 would invite an immediate retry storm).
func retryAfterSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 1
	}
	return int64((d + time.Second - 1) / time.Second)
}
