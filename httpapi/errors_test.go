package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// logBuffer is a goroutine-safe sink for a JSON slog handler.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines decodes every JSON log line written so far.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func newTestLogger() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// errorResponse is what a client sees of an error body.
type errorResponse struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	RequestID   string `json:"request_id"`
	RetryAfter  *int64 `json:"retry_after"`
}

func decodeErrorBody(t *testing.T, body []byte) errorResponse {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var e errorResponse
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e
}

// serveError runs WriteError(err) behind RequestContext and returns the recorded response.
func serveError(t *testing.T, logger *slog.Logger, err error) *httptest.ResponseRecorder {
	t.Helper()
	h := RequestContext(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "999") // must not survive
		WriteError(w, r, err)
	}))
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest(http.MethodPost, "/v1/thing", nil))
	return rr
}

func TestWriteErrorEveryCode(t *testing.T) {
	const bearer = `Bearer realm="gatehouse"`
	const bearerInvalid = `Bearer realm="gatehouse", error="invalid_token"`
	tests := []struct {
		code          gatehouse.Code
		status        int
		authenticate  string
		retryAfter    time.Duration
		wantRetry     string // Retry-After header; "" for none
		wantRetryBody bool
	}{
		{code: gatehouse.CodeInvalidRequest, status: 400},
		{code: gatehouse.CodePasswordTooShort, status: 400},
		{code: gatehouse.CodePasswordTooLong, status: 400},
		{code: gatehouse.CodePasswordBreached, status: 400},
		{code: gatehouse.CodeUsernameInvalid, status: 400},
		{code: gatehouse.CodeInvalidCredentials, status: 401, authenticate: bearer},
		{code: gatehouse.CodeInvalidToken, status: 401, authenticate: bearerInvalid},
		{code: gatehouse.CodeExpiredToken, status: 401, authenticate: bearerInvalid},
		{code: gatehouse.CodeInvalidAPIKey, status: 401, authenticate: bearer},
		{code: gatehouse.CodeExpiredAPIKey, status: 401, authenticate: bearer},
		{code: gatehouse.CodeInsufficientPerms, status: 403},
		{code: gatehouse.CodeIPNotAllowed, status: 403},
		{code: gatehouse.CodeAgentNotVerified, status: 403},
		{code: gatehouse.CodeForbiddenOrigin, status: 403},
		{code: gatehouse.CodeReauthRequired, status: 403},
		{code: gatehouse.CodeNotFound, status: 404},
		{code: gatehouse.CodeMethodNotAllowed, status: 405},
		{code: gatehouse.CodeConflict, status: 409},
		{code: gatehouse.CodeUsernameTaken, status: 409},
		{code: gatehouse.CodeEmailTaken, status: 409},
		{code: gatehouse.CodeTokenLimitReached, status: 409},
		{code: gatehouse.CodeRequestTooLarge, status: 413},
		{code: gatehouse.CodeRateLimited, status: 429, retryAfter: 1500 * time.Millisecond, wantRetry: "2", wantRetryBody: true},
		{code: gatehouse.CodeUnavailable, status: 503, retryAfter: 3 * time.Second, wantRetry: "3"},
		{code: gatehouse.CodeInternal, status: 500},
		{code: gatehouse.CodeInvalidClient, status: 401, authenticate: bearer},
		{code: gatehouse.CodeInvalidGrant, status: 400},
		{code: gatehouse.CodeUnauthorizedClient, status: 400},
		{code: gatehouse.CodeUnsupportedGrantType, status: 400},
		{code: gatehouse.CodeUnsupportedResponseType, status: 400},
		{code: gatehouse.CodeUnsupportedTokenType, status: 400},
		{code: gatehouse.CodeInvalidScope, status: 400},
		{code: gatehouse.CodeAccessDenied, status: 403},
		{code: gatehouse.CodeAuthorizationPending, status: 400},
		{code: gatehouse.CodeSlowDown, status: 400},
	}
	seen := map[gatehouse.Code]bool{}
	for _, tt := range tests {
		seen[tt.code] = true
		t.Run(string(tt.code), func(t *testing.T) {
			logger, _ := newTestLogger()
			rr := serveError(t, logger, &gatehouse.Error{Code: tt.code, RetryAfter: tt.retryAfter})
			if rr.Code != tt.status {
				t.Errorf("status = %d, want %d", rr.Code, tt.status)
			}
			if got := StatusOf(tt.code); got != tt.status {
				t.Errorf("StatusOf = %d, want %d", got, tt.status)
			}
			h := rr.Header()
			if got := h.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
			if got := h.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q", got)
			}
			if got := h.Get("Content-Length"); got != "" {
				t.Errorf("stale Content-Length %q kept", got)
			}
			if got := h.Get("WWW-Authenticate"); got != tt.authenticate {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.authenticate)
			}
			if got := h.Get("Retry-After"); got != tt.wantRetry {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantRetry)
			}
			body := decodeErrorBody(t, rr.Body.Bytes())
			if body.Error != string(tt.code) {
				t.Errorf("error = %q, want %q", body.Error, tt.code)
			}
			if body.Description == "" {
				t.Error("error_description is empty")
			}
			if body.RequestID == "" || body.RequestID != h.Get(RequestIDHeader) {
				t.Errorf("request_id = %q, X-Request-ID = %q", body.RequestID, h.Get(RequestIDHeader))
			}
			switch {
			case tt.wantRetryBody && body.RetryAfter == nil:
				t.Error("retry_after missing")
			case tt.wantRetryBody && strconv.FormatInt(*body.RetryAfter, 10) != tt.wantRetry:
				t.Errorf("retry_after = %d, want %s", *body.RetryAfter, tt.wantRetry)
			case !tt.wantRetryBody && body.RetryAfter != nil:
				t.Errorf("unexpected retry_after %d", *body.RetryAfter)
			}
		})
	}

	// Every Code constant of the root package must be in the table above, so that a new code
	// cannot ship without a status.
	for name, value := range codeConstants(t) {
		if !seen[gatehouse.Code(value)] {
			t.Errorf("gatehouse.%s (%q) has no case in this test", name, value)
		}
		if gatehouse.Code(value) != gatehouse.CodeInternal && StatusOf(gatehouse.Code(value)) == 500 {
			t.Errorf("gatehouse.%s (%q) has no status in errorSpecs", name, value)
		}
	}
}

// codeConstants parses the root package's error.go and returns its Code constants.
func codeConstants(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../error.go", nil, 0)
	if err != nil {
		t.Fatalf("parse ../error.go: %v", err)
	}
	out := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for i, n := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					t.Fatalf("%s is not a literal", n.Name)
				}
				v, _ := strconv.Unquote(lit.Value)
				out[n.Name] = v
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("found only %d Code constants in ../error.go", len(out))
	}
	return out
}

func TestWriteErrorHidesInternals(t *testing.T) {
	const secret = "hunter2-s3cret"
	tests := []struct {
		name string
		err  error
	}{
		{"plain error with SQL", fmt.Errorf("store: %w", errors.New(`pq: SELECT password_hash FROM users WHERE pw='`+secret+`'`))},
		{"internal code with message", &gatehouse.Error{Code: gatehouse.CodeInternal, Message: "SELECT " + secret}},
		{"unknown code", &gatehouse.Error{Code: "db_exploded", Message: "SELECT " + secret}},
		{"nil error", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := newTestLogger()
			rr := serveError(t, logger, tt.err)
			if rr.Code != 500 {
				t.Fatalf("status = %d, want 500", rr.Code)
			}
			raw := rr.Body.String()
			for _, bad := range []string{secret, "SELECT", "goroutine", ".go:"} {
				if strings.Contains(raw, bad) {
					t.Errorf("body %q contains %q", raw, bad)
				}
			}
			body := decodeErrorBody(t, rr.Body.Bytes())
			if body.Error != "server_error" || body.Description != internalMessage {
				t.Errorf("body = %+v, want server_error with the generic message", body)
			}
			// The cause is logged, with the request ID, at Error level.
			var found bool
			for _, l := range logs.lines(t) {
				if l["level"] == "ERROR" && l["request_id"] == body.RequestID && l["error"] != nil {
					found = true
				}
			}
			if !found {
				t.Errorf("no ERROR log line with request_id %s and the error; logs:\n%s", body.RequestID, logs.String())
			}
		})
	}
}

func TestWriteErrorMapping(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		status   int
		code     string
		wantDesc string
	}{
		{"wrapped domain error keeps code and message", fmt.Errorf("register: %w", gatehouse.Errorf(gatehouse.CodeUsernameTaken, "The username alice is taken.")), 409, "username_taken", "The username alice is taken."},
		{"sentinel gets the default message", fmt.Errorf("get: %w", gatehouse.ErrNotFound), 404, "not_found", "Not found."},
		{"code without root default message", &gatehouse.Error{Code: gatehouse.CodePasswordTooShort}, 400, "password_too_short", "The password is too short."},
		{"MaxBytesError is 413", fmt.Errorf("read: %w", &http.MaxBytesError{Limit: MaxBodyBytes}), 413, "request_too_large", "The request body is too large."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := newTestLogger()
			rr := serveError(t, logger, tt.err)
			if rr.Code != tt.status {
				t.Errorf("status = %d, want %d", rr.Code, tt.status)
			}
			body := decodeErrorBody(t, rr.Body.Bytes())
			if body.Error != tt.code || body.Description != tt.wantDesc {
				t.Errorf("body = %+v, want %s / %q", body, tt.code, tt.wantDesc)
			}
			if s := logs.String(); s != "" {
				t.Errorf("a caller error was logged: %s", s)
			}
		})
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	tests := []struct {
		name string
		in   time.Duration
		want int64
	}{
		{"zero", 0, 1},
		{"negative", -time.Second, 1},
		{"sub-second", 10 * time.Millisecond, 1},
		{"exact", 3 * time.Second, 3},
		{"rounds up", 3*time.Second + time.Nanosecond, 4},
		{"minute", time.Minute, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryAfterSeconds(tt.in); got != tt.want {
				t.Errorf("retryAfterSeconds(%v) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestWriteErrorWithoutRequestContext(t *testing.T) {
	rr := httptest.NewRecorder()
	rr.Header().Set(RequestIDHeader, "from-header")
	WriteError(rr, httptest.NewRequest(http.MethodGet, "/", nil), gatehouse.ErrNotFound)
	if body := decodeErrorBody(t, rr.Body.Bytes()); body.RequestID != "from-header" {
		t.Errorf("request_id = %q, want the X-Request-ID header's", body.RequestID)
	}
}
