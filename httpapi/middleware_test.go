package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"
)

var generatedID = regexp.MustCompile(`^req_[0-9a-hjkmnp-tv-z]{26}$`)

func TestRequestContext(t *testing.T) {
	tests := []struct {
		name     string
		incoming []string // X-Request-ID values sent; nil for none
		keep     bool     // the incoming value is kept
	}{
		{name: "none sent", incoming: nil},
		{name: "valid kept", incoming: []string{"abc-123_X.y"}, keep: true},
		{name: "64 chars kept", incoming: []string{strings.Repeat("a", 64)}, keep: true},
		{name: "65 chars replaced", incoming: []string{strings.Repeat("a", 65)}},
		{name: "empty replaced", incoming: []string{""}},
		{name: "space replaced", incoming: []string{"abc def"}},
		{name: "newline replaced", incoming: []string{"abc\nlevel=ERROR msg=forged"}},
		{name: "quote and angle brackets replaced", incoming: []string{`"<script>"`}},
		{name: "non-ASCII replaced", incoming: []string{"reqé"}},
		{name: "colon replaced", incoming: []string{"a:b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := newTestLogger()
			var seenID string
			h := RequestContext(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seenID = RequestID(r.Context())
				Logger(r.Context()).Info("hello")
			}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, v := range tt.incoming {
				r.Header.Add(RequestIDHeader, v)
			}
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, r)

			echoed := rr.Header().Get(RequestIDHeader)
			if echoed == "" || echoed != seenID {
				t.Fatalf("X-Request-ID = %q, RequestID(ctx) = %q", echoed, seenID)
			}
			if tt.keep {
				if echoed != tt.incoming[0] {
					t.Errorf("ID = %q, want the incoming %q", echoed, tt.incoming[0])
				}
			} else if !generatedID.MatchString(echoed) {
				t.Errorf("ID = %q, want a generated req_ ID", echoed)
			}
			lines := logs.lines(t)
			if len(lines) != 1 || lines[0]["request_id"] != echoed || lines[0]["msg"] != "hello" {
				t.Errorf("log lines = %v, want one with request_id %q", lines, echoed)
			}
		})
	}
}

func TestRequestIDsAreUnique(t *testing.T) {
	h := RequestContext(nil)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/", nil))
		id := rr.Header().Get(RequestIDHeader)
		if seen[id] {
			t.Fatalf("request ID %q generated twice", id)
		}
		seen[id] = true
	}
}

func TestOutsideRequestContext(t *testing.T) {
	if got := RequestID(context.Background()); got != "" {
		t.Errorf("RequestID = %q, want empty", got)
	}
	if Logger(context.Background()) != slog.Default() {
		t.Error("Logger did not fall back to slog.Default()")
	}
}

func TestRecover(t *testing.T) {
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int
		wantJSON   bool
	}{
		{"panic before writing", func(http.ResponseWriter, *http.Request) { panic("boom: password=hunter2") }, 500, true},
		{"panic with an error value", func(http.ResponseWriter, *http.Request) { panic(errors.New("boom: password=hunter2")) }, 500, true},
		{"panic after the header was sent", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			panic("boom: password=hunter2")
		}, 202, false},
		{"no panic", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }, 204, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := newTestLogger()
			h := RequestContext(logger)(Recover(tt.handler))
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/x", nil))
			if rr.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rr.Code, tt.wantStatus)
			}
			if strings.Contains(rr.Body.String(), "hunter2") || strings.Contains(rr.Body.String(), "goroutine") {
				t.Errorf("body leaks the panic: %q", rr.Body)
			}
			if !tt.wantJSON {
				return
			}
			body := decodeErrorBody(t, rr.Body.Bytes())
			if body.Error != "server_error" || body.RequestID != rr.Header().Get(RequestIDHeader) {
				t.Errorf("body = %+v", body)
			}
			var logged int
			for _, l := range logs.lines(t) {
				if l["msg"] == "panic" {
					logged++
					stack, _ := l["stack"].(string)
					if !strings.Contains(stack, "middleware_test.go") || l["request_id"] != body.RequestID {
						t.Errorf("panic log line lacks the stack or request_id: %v", l)
					}
				}
				if l["msg"] == "internal error" {
					t.Error("the panic was logged twice")
				}
			}
			if logged != 1 {
				t.Errorf("%d panic log lines, want 1:\n%s", logged, logs.String())
			}
		})
	}
}

func TestRecoverReraisesErrAbortHandler(t *testing.T) {
	h := Recover(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	t.Error("ServeHTTP returned normally")
}

func TestAccessLog(t *testing.T) {
	clientIP := func(*http.Request) netip.Addr { return netip.MustParseAddr("203.0.113.7") }
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "hello")
	})
	mux.HandleFunc("GET /v1/quiet", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /v1/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })

	tests := []struct {
		name      string
		method    string
		target    string
		recover   bool
		wantRoute string
		wantPath  string
		status    float64
		bytes     float64
	}{
		{"matched route", http.MethodPost, "/v1/items/42?token=secret-query", false, "POST /v1/items/{id}", "/v1/items/42", 201, 5},
		{"handler wrote nothing", http.MethodGet, "/v1/quiet", false, "GET /v1/quiet", "/v1/quiet", 200, 0},
		{"unmatched", http.MethodGet, "/nope/123?token=secret-query", false, "unmatched", "/nope/123", 404, 19},
		{"panic passing through", http.MethodGet, "/v1/panic", true, "GET /v1/panic", "/v1/panic", 500, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := newTestLogger()
			// LimitBody hands the mux a new *http.Request: the pattern must still reach AccessLog.
			h := Chain(mux, RequestContext(logger), AccessLog(clientIP), LimitBody)
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader("x"))
			r.Header.Set("Authorization", "Bearer secret-bearer")
			r.Header.Set("Cookie", "gatehouse_session=secret-cookie")
			rec := httptest.NewRecorder()
			func() {
				defer func() {
					if v := recover(); (v != nil) != tt.recover {
						t.Errorf("recovered %v", v)
					}
				}()
				h.ServeHTTP(rec, r)
			}()
			raw := logs.String()
			for _, secret := range []string{"secret-query", "secret-bearer", "secret-cookie"} {
				if strings.Contains(raw, secret) {
					t.Errorf("log contains %q: %s", secret, raw)
				}
			}
			lines := logs.lines(t)
			if len(lines) != 1 {
				t.Fatalf("%d log lines, want 1:\n%s", len(lines), raw)
			}
			l := lines[0]
			want := map[string]any{
				"level": "INFO", "msg": "request", "method": tt.method, "route": tt.wantRoute,
				"path": tt.wantPath, "status": tt.status, "bytes": tt.bytes, "ip": "203.0.113.7",
				"request_id": rec.Header().Get(RequestIDHeader),
			}
			if want["request_id"] == "" {
				t.Error("no X-Request-ID in the response")
			}
			for k, v := range want {
				if l[k] != v {
					t.Errorf("%s = %v, want %v", k, l[k], v)
				}
			}
			if l["request_id"] == nil || l["duration"] == nil {
				t.Errorf("request_id or duration missing: %v", l)
			}
		})
	}
}

func TestAccessLogDefaultClientIP(t *testing.T) {
	logger, logs := newTestLogger()
	h := RequestContext(logger)(AccessLog(nil)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "[::ffff:198.51.100.9]:4567"
	h.ServeHTTP(httptest.NewRecorder(), r)
	if lines := logs.lines(t); len(lines) != 1 || lines[0]["ip"] != "198.51.100.9" {
		t.Errorf("log = %v, want ip 198.51.100.9", lines)
	}
}

func TestRemoteIP(t *testing.T) {
	tests := []struct {
		name, remote, want string
	}{
		{"ipv4", "192.0.2.1:1234", "192.0.2.1"},
		{"ipv6", "[2001:db8::1]:80", "2001:db8::1"},
		{"mapped ipv4", "[::ffff:192.0.2.1]:80", "192.0.2.1"},
		{"no port", "192.0.2.1", "192.0.2.1"},
		{"garbage", "not-an-address", "invalid IP"},
		{"empty", "", "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			if got := RemoteIP(r).String(); got != tt.want {
				t.Errorf("RemoteIP(%q) = %s, want %s", tt.remote, got, tt.want)
			}
		})
	}
}

func TestLimitBody(t *testing.T) {
	tests := []struct {
		name      string
		body      io.Reader
		reached   bool
		status    int
		readError bool
	}{
		{"small body passes", strings.NewReader("hello"), true, 200, false},
		{"no body passes", nil, true, 200, false},
		{"declared length over the cap refused before the handler", strings.NewReader(strings.Repeat("a", MaxBodyBytes+1)), false, 413, false},
		{"streamed body over the cap fails on read", io.MultiReader(strings.NewReader(strings.Repeat("a", MaxBodyBytes+1))), true, 413, true},
		{"streamed body at the cap passes", io.MultiReader(strings.NewReader(strings.Repeat("a", MaxBodyBytes))), true, 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached := false
			var readErr error
			h := LimitBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
				if _, readErr = io.ReadAll(r.Body); readErr != nil {
					WriteError(w, r, readErr)
				}
			}))
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, httptest.NewRequest(http.MethodPost, "/", tt.body))
			if reached != tt.reached {
				t.Errorf("handler reached = %v, want %v", reached, tt.reached)
			}
			if rr.Code != tt.status {
				t.Errorf("status = %d, want %d", rr.Code, tt.status)
			}
			if (readErr != nil) != tt.readError {
				t.Errorf("read error = %v", readErr)
			}
			if tt.status == 413 {
				if got := decodeErrorBody(t, rr.Body.Bytes()).Error; got != "request_too_large" {
					t.Errorf("error = %q", got)
				}
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	tests := []struct {
		name     string
		hsts     bool
		override string // a CSP the handler sets itself
		wantHSTS string
		wantCSP  string
	}{
		{"plain http", false, "", "", contentSecurityPolicy},
		{"https", true, "", strictTransportSecurity, contentSecurityPolicy},
		{"handler may widen the CSP", true, "default-src 'self'; img-src https:", strictTransportSecurity, "default-src 'self'; img-src https:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := SecurityHeaders(tt.hsts)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tt.override != "" {
					w.Header().Set("Content-Security-Policy", tt.override)
				}
			}))
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/", nil))
			want := map[string]string{
				"X-Content-Type-Options":    "nosniff",
				"Referrer-Policy":           "no-referrer",
				"X-Frame-Options":           "DENY",
				"Content-Security-Policy":   tt.wantCSP,
				"Strict-Transport-Security": tt.wantHSTS,
			}
			for k, v := range want {
				if got := rr.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
	if !strings.Contains(contentSecurityPolicy, "frame-ancestors 'none'") || !strings.Contains(contentSecurityPolicy, "base-uri 'none'") {
		t.Errorf("CSP %q lost a directive", contentSecurityPolicy)
	}
}

func TestCrossOrigin(t *testing.T) {
	mw := CrossOrigin([]string{"https://Auth.Example.com:443/some/path"})
	tests := []struct {
		name    string
		method  string
		host    string
		headers map[string]string
		allowed bool
	}{
		{"cross-site POST refused", "POST", "gatehouse.test", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"same-site (sibling subdomain) POST refused", "POST", "gatehouse.test", map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		{"cross-site DELETE with cookie refused", "DELETE", "gatehouse.test", map[string]string{"Sec-Fetch-Site": "cross-site", "Cookie": "gatehouse_session=x"}, false},
		{"bearer plus cookie cross-site refused", "POST", "gatehouse.test", map[string]string{"Sec-Fetch-Site": "cross-site", "Authorization": "Bearer t", "Cookie": "gatehouse_session=x"}, false},
		{"old browser, foreign Origin refused", "POST", "gatehouse.test", map[string]string{"Origin": "https://evil.test"}, false},
		{"same-origin POST allowed", "POST", "gatehouse.test", map[string]string{"Sec-Fetch-Site": "same-origin", "Cookie": "gatehouse_session=x"}, true},
		{"user-initiated (none) allowed", "POST", "gatehouse.test", map[string]string{"Sec-Fetch-Site": "none"}, true},
		{"old browser, matching Origin allowed", "POST", "gatehouse.test", map[string]string{"Origin": "https://gatehouse.test"}, true},
		{"non-browser client allowed", "POST", "gatehouse.test", nil, true},
		{"bearer-only non-browser allowed", "POST", "gatehouse.test", map[string]string{"Authorization": "Bearer gh_ses_x"}, true},
		{"bearer-only cross-site browser allowed", "POST", "gatehouse.test", map[string]string{"Sec-Fetch-Site": "cross-site", "Authorization": "bearer gh_ses_x"}, true},
		{"empty bearer is not an exemption", "POST", "gatehouse.test", map[string]string{"Sec-Fetch-Site": "cross-site", "Authorization": "Bearer  "}, false},
		{"basic auth is not an exemption", "POST", "gatehouse.test", map[string]string{"Sec-Fetch-Site": "cross-site", "Authorization": "Basic eDp5"}, false},
		{"cross-site GET allowed", "GET", "gatehouse.test", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"trusted origin (public URL) allowed", "POST", "10.0.0.5:8080", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://auth.example.com"}, true},
		{"untrusted origin with a trusted prefix refused", "POST", "10.0.0.5:8080", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://auth.example.com.evil.test"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached := false
			h := RequestContext(slog.New(slog.DiscardHandler))(mw(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				reached = true
				w.WriteHeader(http.StatusNoContent)
			})))
			r := httptest.NewRequest(tt.method, "/v1/auth/logout", nil)
			r.Host = tt.host
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, r)
			if reached != tt.allowed {
				t.Fatalf("handler reached = %v, want %v (status %d)", reached, tt.allowed, rr.Code)
			}
			if tt.allowed {
				return
			}
			if rr.Code != http.StatusForbidden {
				t.Errorf("status = %d, want 403", rr.Code)
			}
			if body := decodeErrorBody(t, rr.Body.Bytes()); body.Error != "forbidden" || body.RequestID == "" {
				t.Errorf("body = %+v", body)
			}
		})
	}
}

func TestCrossOriginInvalidOriginPanics(t *testing.T) {
	for _, o := range []string{"", "no-scheme.example", "https://", "://x"} {
		t.Run(o, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("CrossOrigin(%q) did not panic", o)
				}
			}()
			CrossOrigin([]string{o})
		})
	}
}

func TestOriginOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://auth.example.com", "https://auth.example.com"},
		{"HTTPS://Auth.Example.COM/path?q=1", "https://auth.example.com"},
		{"https://auth.example.com:443", "https://auth.example.com"},
		{"http://localhost:80/", "http://localhost"},
		{"http://localhost:8080", "http://localhost:8080"},
		{"https://auth.example.com:8443", "https://auth.example.com:8443"},
		{"http://[::1]:8080", "http://[::1]:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := originOf(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("originOf(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestChainOrder(t *testing.T) {
	var order []string
	mark := func(name string) Middleware {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	h := Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { order = append(order, "handler") }),
		mark("a"), mark("b"), mark("c"))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if got := strings.Join(order, ","); got != "a,b,c,handler" {
		t.Errorf("order = %s", got)
	}
}

// TestStatusRecorderKeepsResponseController checks, on a real server, that the wrapped writer
// still flushes and reaches the connection (deadlines) through Unwrap.
func TestStatusRecorderKeepsResponseController(t *testing.T) {
	handlerErrs := make(chan error, 3)
	h := Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		handlerErrs <- rc.SetWriteDeadline(time.Now().Add(time.Minute))
		_, _ = io.WriteString(w, "part1\n")
		handlerErrs <- rc.Flush()
		_, isFlusher := w.(http.Flusher)
		if !isFlusher {
			handlerErrs <- errors.New("wrapped writer is not an http.Flusher")
		} else {
			handlerErrs <- nil
		}
	}), RequestContext(slog.New(slog.DiscardHandler)), AccessLog(nil), Recover)
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := <-handlerErrs; err != nil {
			t.Errorf("through the wrapper: %v", err)
		}
	}
	if len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("TransferEncoding = %v: the explicit Flush did not reach the connection", resp.TransferEncoding)
	}
}

func TestRootWriter(t *testing.T) {
	rr := httptest.NewRecorder()
	wrapped := &statusRecorder{ResponseWriter: &statusRecorder{ResponseWriter: rr}}
	if rootWriter(wrapped) != http.ResponseWriter(rr) {
		t.Error("rootWriter did not reach the innermost writer")
	}
	if recorderFor(wrapped) != wrapped {
		t.Error("recorderFor wrapped a statusRecorder again")
	}
}
