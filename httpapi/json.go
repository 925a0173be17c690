package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-auth/gatehouse"
)

// MaxBodyBytes is the largest request body Gatehouse reads (API.md: over 1 MiB → 413).
const MaxBodyBytes = 1 << 20

// maxFieldNameLen bounds a field name echoed back in an error description.
const maxFieldNameLen = 64

// DecodeJSON reads r's body into dst. It returns nil or a *gatehouse.Error ready for WriteError:
// request_too_large when the body exceeds MaxBodyBytes; invalid_request when the Content-Type is
// present and not application/json, the body is empty, not valid UTF-8, not one JSON object or
// array, malformed, has a value of the wrong type (the description names the field), an unknown
// field (typos are caught, not ignored) or data after the value. Descriptions never echo values
// from the body. A dst that cannot be decoded into (not a non-nil pointer) is an internal error.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Content-Type must be application/json.")
		}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The request body is empty; a JSON object is required.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(rootWriter(w), r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return gatehouse.Errorf(gatehouse.CodeRequestTooLarge, "The request body is larger than %d bytes.", MaxBodyBytes)
		}
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The request body could not be read.")
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The request body is empty; a JSON object is required.")
	}
	// encoding/json would silently replace invalid UTF-8 with U+FFFD; a password or name must
	// never be changed behind the caller's back, so refuse it instead.
	if !utf8.Valid(body) {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The request body is not valid UTF-8.")
	}
	if trimmed[0] != '{' && trimmed[0] != '[' {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The request body must be %s.", jsonKind(reflect.TypeOf(dst)))
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(r, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The request body has data after the JSON value.")
	}
	return nil
}

// decodeError turns an encoding/json error into a caller-safe *gatehouse.Error.
func decodeError(r *http.Request, err error) *gatehouse.Error {
	var (
		syntaxErr  *json.SyntaxError
		typeErr    *json.UnmarshalTypeError
		invalidErr *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &syntaxErr):
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The request body is malformed JSON (at byte %d).", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The request body is malformed JSON (it ends too early).")
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The request body must be %s.", jsonKind(typeErr.Type))
		}
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Field %q must be %s.", typeErr.Field, jsonKind(typeErr.Type))
	case errors.As(err, &invalidErr):
		Logger(r.Context()).Error("DecodeJSON called with a bad destination", slog.Any("error", err))
		return &gatehouse.Error{Code: gatehouse.CodeInternal}
	}
	// encoding/json has no typed error for DisallowUnknownFields.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		if len(name) > maxFieldNameLen || !utf8.ValidString(name) {
			return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The request body has an unknown field.")
		}
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Unknown field %q.", name)
	}
	return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The request body is not valid JSON for this request.")
}

// jsonKind names the JSON type that decodes into t, with its article: "a string", "a number"...
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value of the expected type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Interface:
		return "an object or an array"
	}
	return "a value of the expected type"
}

// WriteJSON writes v as JSON with the given status, Content-Type application/json and
// Cache-Control no-store (responses carry tokens and personal data). A status without a body
// (204, 304) writes none. If v cannot be encoded (a programming error) the response is a
// generic 500 in the contract's error shape and the cause is logged.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if status == http.StatusNoContent || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		slog.Error("WriteJSON: cannot encode response", slog.Any("error", err),
			requestIDAttr(h.Get(RequestIDHeader)))
		b, _ = json.Marshal(errorBody{
			Error:       gatehouse.CodeInternal,
			Description: internalMessage,
			RequestID:   h.Get(RequestIDHeader),
		})
		status = http.StatusInternalServerError
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// statusJSON is the answer of an endpoint that has nothing to say but how it went:
// {"status": "accepted"} (every request that may mail), "password_reset", "approved", "denied",
// and the probes' "ok" and "ready".
type statusJSON struct {
	Status string `json:"status"`
}
