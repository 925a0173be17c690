package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Middleware wraps a handler. Every piece of this package is one.
type Middleware = func(http.Handler) http.Handler

// Chain wraps h in mw, the first one outermost: Chain(h, a, b) is a(b(h)).
func Chain(h http.Handler, mw ...Middleware) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// RemoteIP is the client address as the connection sees it (r.RemoteAddr), IPv4-mapped
// addresses unmapped; the zero Addr when it cannot be parsed. It is the fallback for a nil
// client-IP func; behind proxies pass the one from package clientip instead.
func RemoteIP(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}

// maxLoggedPathLen bounds the path written to the access log.
const maxLoggedPathLen = 256

// AccessLog returns middleware that writes one Info line per request through the request's
// Logger: method, route (the ServeMux pattern or "unmatched"), path, status, duration, bytes and
// ip (from clientIP; RemoteIP when nil). It never logs the query string (tokens travel there),
// headers, cookies or bodies. A request whose handler panicked past it is logged with status
// 500 unless a status had already been sent.
func AccessLog(clientIP func(*http.Request) netip.Addr) Middleware {
	if clientIP == nil {
		clientIP = RemoteIP
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			r, st := withState(r)
			rec := recorderFor(w)
			completed := false
			defer func() {
				notePattern(r)
				path := r.URL.Path
				if len(path) > maxLoggedPathLen {
					path = path[:maxLoggedPathLen] + "..."
				}
				ip := ""
				if a := clientIP(r); a.IsValid() {
					ip = a.String()
				}
				// The request's base logger and its request_id as the first attribute: the
				// line Logger(ctx) would write, without building that logger.
				log, idAttr := slog.Default(), slog.Attr{}
				if st.base != nil {
					log, idAttr = st.base, requestIDAttr(st.id)
				}
				log.LogAttrs(r.Context(), slog.LevelInfo, "request", idAttr,
					slog.String("method", r.Method),
					slog.String("route", routeOf(r, st)),
					slog.String("path", path),
					slog.Int("status", rec.statusOr(completed)),
					slog.Duration("duration", time.Since(start)),
					slog.Int64("bytes", rec.bytes),
					slog.String("ip", ip),
				)
			}()
			next.ServeHTTP(rec, r)
			completed = true
		})
	}
}

// Recover is middleware that turns a panic in the handlers it wraps into a JSON 500 written by
// WriteError. The panic value and stack go to the log only. http.ErrAbortHandler is re-raised
// (net/http's way of aborting a response on purpose). When the response had already started,
// the status cannot change: the panic is logged and the response ends.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := recorderFor(w)
		defer func() {
			notePattern(r)
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			Logger(r.Context()).LogAttrs(r.Context(), slog.LevelError, "panic",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())),
			)
			if rec.status != 0 {
				return
			}
			writeError(rec, r, &gatehouse.Error{Code: gatehouse.CodeInternal}, false)
		}()
		next.ServeHTTP(rec, r)
	})
}

// LimitBody is middleware that caps every request body at MaxBodyBytes: a declared
// Content-Length above it is refused at once with 413, and the body is wrapped in
// http.MaxBytesReader so that reading past the cap fails (WriteError answers that with 413 too).
func LimitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBodyBytes {
			WriteError(w, r, gatehouse.Errorf(gatehouse.CodeRequestTooLarge,
				"The request body is larger than %d bytes.", MaxBodyBytes))
			return
		}
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		r2 := new(http.Request)
		*r2 = *r
		r2.Body = http.MaxBytesReader(rootWriter(w), r.Body, MaxBodyBytes)
		defer notePattern(r2)
		next.ServeHTTP(w, r2)
	})
}

// Values of the security headers.
const (
	contentSecurityPolicy   = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
	strictTransportSecurity = "max-age=31536000"
)

// SecurityHeaders returns middleware that sets, before the handler runs (a handler may override
// them, e.g. a page that needs a wider Content-Security-Policy): X-Content-Type-Options nosniff,
// Referrer-Policy no-referrer (pages carry one-time tokens in their URLs), X-Frame-Options DENY,
// a Content-Security-Policy of default-src 'self' with no framing, no <base> and forms posting
// only to this origin, and, when hsts is true (the public URL is https), Strict-Transport-Security
// for one year (without includeSubDomains: the operator's other hosts are not ours to bind).
func SecurityHeaders(hsts bool) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			if hsts {
				h.Set("Strict-Transport-Security", strictTransportSecurity)
			}
			defer notePattern(r)
			next.ServeHTTP(w, r)
		})
	}
}

// CrossOrigin returns middleware that refuses unsafe (not GET, HEAD, OPTIONS) cross-site
// browser requests with 403 forbidden through WriteError, using net/http's
// CrossOriginProtection (Sec-Fetch-Site, else Origin against Host). Non-browser clients send
// neither header and pass. trustedOrigins are origins, or URLs such as the public URL (reduced to
// their origin: lowercase, no default port), whose requests are always allowed. An origin
// without scheme or host is a programming error and panics, as regexp.MustCompile does: the
// public URL is validated with the configuration before this is called.
//
// A request that carries an Authorization: Bearer credential and no Cookie header at all passes
// without the check: a cross-site page cannot make a browser attach such a header by itself
// (it needs the token, and CORS preflights it), so there is no ambient credential to forge
// with. Requests with a cookie are always checked, except at the cookieless OAuth endpoints
// (oauth_cors.go), which never read a cookie.
func CrossOrigin(trustedOrigins []string) Middleware {
	cop := http.NewCrossOriginProtection()
	for _, path := range cookielessOAuthEndpoints {
		cop.AddInsecureBypassPattern("POST " + path)
	}
	for _, o := range trustedOrigins {
		origin, err := originOf(o)
		if err == nil {
			err = cop.AddTrustedOrigin(origin)
		}
		if err != nil {
			panic(err)
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !bearerWithoutCookie(r) {
				if err := cop.Check(r); err != nil {
					Logger(r.Context()).LogAttrs(r.Context(), slog.LevelInfo, "cross-origin request refused",
						slog.String("method", r.Method),
						slog.String("path", r.URL.Path),
						slog.String("sec_fetch_site", r.Header.Get("Sec-Fetch-Site")),
						slog.String("origin", r.Header.Get("Origin")),
					)
					WriteError(w, r, gatehouse.Errorf(gatehouse.CodeForbiddenOrigin,
						"Cross-origin requests are not allowed."))
					return
				}
			}
			defer notePattern(r)
			next.ServeHTTP(w, r)
		})
	}
}

// bearerWithoutCookie reports whether r authenticates only with an Authorization: Bearer header.
func bearerWithoutCookie(r *http.Request) bool {
	if len(r.Header.Values("Cookie")) != 0 {
		return false
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(token) != ""
}

// originOf reduces an origin or URL to the form browsers send in the Origin header:
// lowercase scheme://host[:port], without a default port.
func originOf(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("httpapi: trusted origin %q: %w", s, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "" || u.Host == "" {
		return "", fmt.Errorf("httpapi: trusted origin %q: scheme and host are required", s)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" || (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		return scheme + "://" + host, nil
	}
	return scheme + "://" + host + ":" + port, nil
}

// statusRecorder is a ResponseWriter that remembers the status and the number of body bytes.
// Unwrap lets http.ResponseController reach the connection's writer (Flush, Hijack, deadlines);
// Flush is implemented directly for code that type-asserts http.Flusher.
type statusRecorder struct {
	http.ResponseWriter
	status int // 0 until a final (non-1xx) status has been sent
	bytes  int64
}

// recorderFor returns w itself when it already is a statusRecorder (the middleware of this
// package share one), else a new one around w.
func recorderFor(w http.ResponseWriter) *statusRecorder {
	if rec, ok := w.(*statusRecorder); ok {
		return rec
	}
	return &statusRecorder{ResponseWriter: w}
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(p)
	s.bytes += int64(n)
	return n, err
}

// Flush sends buffered data to the client; a no-op when the underlying writer cannot flush.
func (s *statusRecorder) Flush() {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// statusOr is the status to report: what was sent; 200 for a handler that completed without
// writing (net/http sends 200 then); 500 for one that panicked before writing.
func (s *statusRecorder) statusOr(completed bool) int {
	switch {
	case s.status != 0:
		return s.status
	case completed:
		return http.StatusOK
	default:
		return http.StatusInternalServerError
	}
}

// rootWriter follows Unwrap to the connection's own ResponseWriter, so that
// http.MaxBytesReader can tell net/http to close the connection after an oversized body.
func rootWriter(w http.ResponseWriter) http.ResponseWriter {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}
