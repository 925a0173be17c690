package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/requestscope"
)

// RequestIDHeader is the header that carries the request ID in both directions.
const RequestIDHeader = "X-Request-ID"

// requestIDPrefix is the type prefix of generated request IDs (gatehouse.NewID layout).
const requestIDPrefix = "req"

// maxRequestIDLen bounds an accepted incoming X-Request-ID.
const maxRequestIDLen = 64

// requestState is the per-request record the middleware of this package share through the
// context. It is created once per request by the outermost middleware that needs it.
type requestState struct {
	id string
	// base is the server's logger (set by RequestContext); logger is base with the request_id
	// attribute, made on first use by Logger (the access log adds request_id itself, so a
	// request that logs nothing else never builds one).
	base       *slog.Logger
	loggerOnce sync.Once
	logger     *slog.Logger
	// scope is the request's requestscope.Scope, in its context.
	scope requestscope.Scope
	// pattern is the ServeMux pattern that matched, copied outwards by the middleware that wrap
	// the mux (ServeMux sets r.Pattern only on the request it was handed). Atomic because a
	// handler may run on another goroutine (http.TimeoutHandler).
	pattern atomic.Pointer[string]
}

type stateKey struct{}

func stateFrom(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateKey{}).(*requestState)
	return st
}

// withState returns r and its state, adding a fresh state to r's context when there is none.
func withState(r *http.Request) (*http.Request, *requestState) {
	if st := stateFrom(r.Context()); st != nil {
		return r, st
	}
	st := &requestState{}
	ctx := requestscope.ContextWith(context.WithValue(r.Context(), stateKey{}, st), &st.scope)
	return r.WithContext(ctx), st
}

// notePattern records the pattern ServeMux set on r (if any) in r's request state, so that
// middleware further out, which hold a different *http.Request, can read it. The innermost
// record wins.
func notePattern(r *http.Request) {
	if r.Pattern == "" {
		return
	}
	if st := stateFrom(r.Context()); st != nil && st.pattern.Load() == nil {
		p := r.Pattern
		st.pattern.Store(&p)
	}
}

// routeOf returns the ServeMux pattern that served r, or "unmatched". Never the raw path.
func routeOf(r *http.Request, st *requestState) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	if st != nil {
		if p := st.pattern.Load(); p != nil {
			return *p
		}
	}
	return "unmatched"
}

// requestIDAttr is the log attribute that names a request: every line logged for a request
// carries it (the access log, Logger's lines, LogHandler's, error responses').
func requestIDAttr(id string) slog.Attr { return slog.String("request_id", id) }

// RequestID returns the ID of the request ctx belongs to, or "" outside RequestContext.
func RequestID(ctx context.Context) string {
	if st := stateFrom(ctx); st != nil {
		return st.id
	}
	return ""
}

// Logger returns the request's logger (it carries the request_id attribute), or slog.Default()
// outside RequestContext.
func Logger(ctx context.Context) *slog.Logger {
	if st := stateFrom(ctx); st != nil && st.base != nil {
		st.loggerOnce.Do(func() { st.logger = st.base.With(requestIDAttr(st.id)) })
		return st.logger
	}
	return slog.Default()
}

// newRequestID returns a fresh request ID: "req_" and 26 characters that sort by time.
func newRequestID() string {
	return gatehouse.NewID(requestIDPrefix, time.Now(), nil)
}

// validRequestID reports whether an incoming X-Request-ID may be kept: 1–64 characters of
// [A-Za-z0-9._-] (nothing that could forge log lines or headers).
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// RequestContext returns middleware that gives each request its ID (the incoming X-Request-ID
// when valid, else a new one), echoes it in the X-Request-ID response header, and puts a logger
// derived from base (slog.Default() when nil) with the request_id attribute in the context.
// Read them with RequestID and Logger.
func RequestContext(base *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			logger := base
			if logger == nil {
				logger = slog.Default()
			}
			id := r.Header.Get(RequestIDHeader)
			if !validRequestID(id) {
				id = newRequestID()
			}
			// The state carries the request's requestscope.Scope: one view of the
			// credential cache per request.
			r, st := withState(r)
			st.id = id
			st.base = logger
			w.Header().Set(RequestIDHeader, id)
			defer notePattern(r)
			next.ServeHTTP(w, r)
		})
	}
}

// LogHandler wraps h so that a record logged with a request's context (slog's ...Context
// methods) carries that request's request_id. Packages that do not import httpapi (the use
// cases, the pages) log through a logger on such a handler; httpapi's own lines use Logger(ctx),
// which carries the ID already, so give RequestContext the unwrapped logger.
func LogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(*requestIDHandler); ok {
		return h
	}
	return &requestIDHandler{inner: h}
}

type requestIDHandler struct{ inner slog.Handler }

func (h *requestIDHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(requestIDAttr(id))
	}
	return h.inner.Handle(ctx, r)
}

func (h *requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &requestIDHandler{inner: h.inner.WithAttrs(attrs)}
}

func (h *requestIDHandler) WithGroup(name string) slog.Handler {
	return &requestIDHandler{inner: h.inner.WithGroup(name)}
}
