package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestLogHandlerAddsTheRequestID(t *testing.T) {
	var buf bytes.Buffer
	useCases := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil)))
	var id string
	h := RequestContext(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id = RequestID(r.Context())
		useCases.InfoContext(r.Context(), "inside")
		useCases.Info("no context")
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	dec := json.NewDecoder(&buf)
	cases := []struct {
		msg    string
		wantID string
	}{
		{"inside", id},
		{"no context", ""},
	}
	for _, c := range cases {
		var line map[string]any
		if err := dec.Decode(&line); err != nil {
			t.Fatal(err)
		}
		got, _ := line["request_id"].(string)
		if line["msg"] != c.msg || got != c.wantID {
			t.Fatalf("line %v: want msg %q with request_id %q", line, c.msg, c.wantID)
		}
	}
	if LogHandler(LogHandler(slog.NewTextHandler(&buf, nil))) == nil {
		t.Fatal("wrapping twice must not fail")
	}
}
