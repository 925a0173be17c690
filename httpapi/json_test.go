package httpapi

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
)

type decodeTarget struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Age      int    `json:"age"`
	Profile  struct {
		Theme string `json:"theme"`
	} `json:"profile"`
}

// jsonOfSize returns a valid JSON object of exactly n bytes.
func jsonOfSize(n int) string {
	const head, tail = `{"username":"`, `"}`
	return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		contentType string
		wantCode    gatehouse.Code // "" means success
		wantDesc    string         // substring of the description
		notInDesc   string         // must not appear in the description
		check       func(t *testing.T, d decodeTarget)
	}{
		{name: "valid", body: `{"username":"alice","password":"correct horse","age":3,"profile":{"theme":"dark"}}`, contentType: "application/json",
			check: func(t *testing.T, d decodeTarget) {
				if d.Username != "alice" || d.Password != "correct horse" || d.Age != 3 || d.Profile.Theme != "dark" {
					t.Errorf("decoded %+v", d)
				}
			}},
		{name: "valid with charset and surrounding whitespace", body: "\n {\"username\":\"bob\"} \n", contentType: "application/json; charset=utf-8",
			check: func(t *testing.T, d decodeTarget) {
				if d.Username != "bob" {
					t.Errorf("username = %q", d.Username)
				}
			}},
		{name: "no content type is accepted", body: `{"username":"carol"}`},
		{name: "valid unicode", body: `{"username":"zoë ✓ \u00e9"}`,
			check: func(t *testing.T, d decodeTarget) {
				if d.Username != "zoë ✓ é" {
					t.Errorf("username = %q", d.Username)
				}
			}},
		{name: "exactly the limit", body: jsonOfSize(MaxBodyBytes)},
		{name: "wrong content type", body: `{"username":"a"}`, contentType: "text/plain", wantCode: gatehouse.CodeInvalidRequest, wantDesc: "Content-Type"},
		{name: "form content type", body: `username=a`, contentType: "application/x-www-form-urlencoded", wantCode: gatehouse.CodeInvalidRequest, wantDesc: "Content-Type"},
		{name: "unparsable content type", body: `{}`, contentType: "application/json; =", wantCode: gatehouse.CodeInvalidRequest, wantDesc: "Content-Type"},
		{name: "malformed: truncated", body: `{"username": "al`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: "malformed JSON"},
		{name: "malformed: bare word does not echo it", body: `{"password": hunter2}`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: "malformed JSON", notInDesc: "hunter2"},
		{name: "malformed: missing colon", body: `{"username" "a"}`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: "malformed JSON"},
		{name: "wrong type names the field", body: `{"username": 5}`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: `"username" must be a string`},
		{name: "wrong type does not echo the value", body: `{"password": 987654321}`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: `"password" must be a string`, notInDesc: "987654321"},
		{name: "wrong type integer", body: `{"age": "three"}`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: `"age" must be an integer`, notInDesc: "three"},
		{name: "wrong type nested field path", body: `{"profile": {"theme": true}}`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: `"profile.theme" must be a string`},
		{name: "wrong type object", body: `{"profile": "dark"}`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: `"profile" must be an object`},
		{name: "top-level array", body: `["alice"]`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: "must be an object"},
		{name: "top-level null", body: `null`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: "must be an object"},
		{name: "top-level string", body: `"alice"`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: "must be an object"},
		{name: "unknown field", body: `{"usernme": "alice"}`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: `Unknown field "usernme"`},
		{name: "unknown field with a huge name", body: `{"` + strings.Repeat("x", 500) + `": 1}`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: "unknown field", notInDesc: strings.Repeat("x", 65)},
		{name: "trailing object", body: `{"username":"a"} {"username":"b"}`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: "after the JSON value"},
		{name: "trailing garbage", body: `{"username":"a"}x`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: "after the JSON value"},
		{name: "trailing brace", body: `{"username":"a"}}`, wantCode: gatehouse.CodeInvalidRequest, wantDesc: "after the JSON value"},
		{name: "empty body", body: ``, wantCode: gatehouse.CodeInvalidRequest, wantDesc: "empty"},
		{name: "whitespace only", body: " \n\t ", wantCode: gatehouse.CodeInvalidRequest, wantDesc: "empty"},
		{name: "invalid UTF-8 inside a string", body: "{\"username\":\"al\xffice\"}", wantCode: gatehouse.CodeInvalidRequest, wantDesc: "UTF-8"},
		{name: "invalid UTF-8 truncated sequence", body: "{\"password\":\"\xe2\x82\"}", wantCode: gatehouse.CodeInvalidRequest, wantDesc: "UTF-8"},
		{name: "one byte over the limit", body: jsonOfSize(MaxBodyBytes + 1), wantCode: gatehouse.CodeRequestTooLarge, wantDesc: "larger than"},
		{name: "far over the limit", body: jsonOfSize(3 * MaxBodyBytes), wantCode: gatehouse.CodeRequestTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/v1/auth/login", strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			var dst decodeTarget
			err := DecodeJSON(httptest.NewRecorder(), r, &dst)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("DecodeJSON: %v", err)
				}
				if tt.check != nil {
					tt.check(t, dst)
				}
				return
			}
			var ge *gatehouse.Error
			if !errors.As(err, &ge) {
				t.Fatalf("error %v (%T) is not a *gatehouse.Error", err, err)
			}
			if ge.Code != tt.wantCode {
				t.Errorf("code = %s, want %s (%s)", ge.Code, tt.wantCode, ge.Message)
			}
			if !strings.Contains(ge.Message, tt.wantDesc) {
				t.Errorf("description %q does not contain %q", ge.Message, tt.wantDesc)
			}
			if tt.notInDesc != "" && strings.Contains(ge.Message, tt.notInDesc) {
				t.Errorf("description %q echoes %q", ge.Message, tt.notInDesc)
			}
		})
	}
}

func TestDecodeJSONStatuses(t *testing.T) {
	// End to end through a handler: DecodeJSON's error goes to WriteError.
	h := LimitBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var dst decodeTarget
		if err := DecodeJSON(w, r, &dst); err != nil {
			WriteError(w, r, err)
			return
		}
		WriteJSON(w, http.StatusOK, dst)
	}))
	tests := []struct {
		name   string
		body   io.Reader
		status int
		code   string
	}{
		{"ok", strings.NewReader(`{"username":"a"}`), 200, ""},
		{"malformed", strings.NewReader(`{`), 400, "invalid_request"},
		{"too large, length unknown", io.MultiReader(strings.NewReader(jsonOfSize(MaxBodyBytes + 1))), 413, "request_too_large"},
		{"too large, length declared", strings.NewReader(jsonOfSize(MaxBodyBytes + 1)), 413, "request_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, httptest.NewRequest(http.MethodPost, "/", tt.body))
			if rr.Code != tt.status {
				t.Fatalf("status = %d, want %d: %s", rr.Code, tt.status, rr.Body)
			}
			if tt.code != "" {
				if got := decodeErrorBody(t, rr.Body.Bytes()).Error; got != tt.code {
					t.Errorf("error = %q, want %q", got, tt.code)
				}
			}
		})
	}
}

func TestDecodeJSONBadDestination(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"username":"a"}`))
	var dst decodeTarget
	err := DecodeJSON(httptest.NewRecorder(), r, dst) // not a pointer
	if gatehouse.ErrorCode(err) != gatehouse.CodeInternal {
		t.Fatalf("error = %v, want an internal error", err)
	}
}

func TestWriteJSON(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		value    any
		wantCode int
		wantBody string
		wantCT   string
	}{
		{"object", 201, map[string]string{"id": "usr_1"}, 201, `{"id":"usr_1"}` + "\n", "application/json"},
		{"no content", 204, map[string]string{"ignored": "x"}, 204, "", ""},
		{"unencodable value is a generic 500", 200, map[string]any{"ch": make(chan int)}, 500, "", "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := httptest.NewRecorder()
			WriteJSON(rr, tt.status, tt.value)
			if rr.Code != tt.wantCode {
				t.Errorf("status = %d, want %d", rr.Code, tt.wantCode)
			}
			if got := rr.Header().Get("Content-Type"); got != tt.wantCT {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantCT)
			}
			if got := rr.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q", got)
			}
			switch {
			case tt.wantCode == 500:
				if got := decodeErrorBody(t, rr.Body.Bytes()); got.Error != "server_error" {
					t.Errorf("body = %+v", got)
				}
			case rr.Body.String() != tt.wantBody:
				t.Errorf("body = %q, want %q", rr.Body.String(), tt.wantBody)
			}
		})
	}
}
