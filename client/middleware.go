package client

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// maxBearerLen bounds the credentials the middleware sends to Gatehouse; longer ones are refused
// without asking.
const maxBearerLen = 4096

// MiddlewareOption configures Client.Middleware.
type MiddlewareOption func(*middleware)

// RequireScopes makes the middleware refuse credentials that lack any of scopes
// ("resource:action") with 403 insufficient_permissions.
func RequireScopes(scopes ...string) MiddlewareOption {
	return func(m *middleware) { m.scopes = append(m.scopes, scopes...) }
}

// TrustForwardedFor makes the middleware believe X-Forwarded-For from peers inside the trusted
// prefixes (the proxies in front of the resource server): the client address is the rightmost
// one not inside them. Without it (the default) the client address is Request.RemoteAddr and
// X-Forwarded-For is ignored, since anyone can send it.
func TrustForwardedFor(trusted ...netip.Prefix) MiddlewareOption {
	return func(m *middleware) {
		for _, p := range trusted {
			m.trusted = append(m.trusted, p.Masked())
		}
	}
}

// OnError sets a function told about every request the middleware refused with 503 because
// Gatehouse could not answer (unreachable, or refusing the middleware's own credential), for
// logs and alerts. It must not block.
func OnError(fn func(r *http.Request, err error)) MiddlewareOption {
	return func(m *middleware) { m.onError = fn }
}

type middleware struct {
	c       *Client
	scopes  []string
	trusted []netip.Prefix
	onError func(*http.Request, error)
}

type verificationKey struct{}

// VerificationFrom returns the Verification the middleware put in a request's context.
func VerificationFrom(ctx context.Context) (*Verification, bool) {
	v, ok := ctx.Value(verificationKey{}).(*Verification)
	return v, ok && v != nil
}

// ContextWithVerification returns ctx carrying v, as the middleware does (for tests of
// handlers).
func ContextWithVerification(ctx context.Context, v *Verification) context.Context {
	return context.WithValue(ctx, verificationKey{}, v)
}

// Middleware returns net/http middleware that lets through only requests whose Authorization:
// Bearer credential Gatehouse verifies (POST /v1/verify) with the required scopes from the
// request's client address; see the package documentation for the answers to other requests.
// c must authenticate as an API key holding gatehouse:verify or as an instance administrator.
// Nothing is cached: every request is checked.
func (c *Client) Middleware(opts ...MiddlewareOption) func(http.Handler) http.Handler {
	m := &middleware{c: c}
	for _, o := range opts {
		o(m)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.serve(w, r, next)
		})
	}
}

func (m *middleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	tok, ok := bearer(r)
	if !ok {
		writeMiddlewareError(w, http.StatusUnauthorized, CodeInvalidToken, "A bearer credential is required.", "", 0)
		return
	}
	ip, ok := m.clientIP(r)
	if !ok {
		// Without an address, allowed_cidrs could not be checked: fail closed.
		writeMiddlewareError(w, http.StatusForbidden, CodeIPNotAllowed, "The client address could not be determined.", "", 0)
		return
	}
	v, err := m.c.Verify(r.Context(), VerifyRequest{Token: tok, Scopes: m.scopes, IP: ip.String()})
	if err != nil {
		// Fail closed even when the client went away: returning without an answer would make
		// net/http send 200.
		if m.onError != nil && r.Context().Err() == nil {
			m.onError(r, err)
		}
		retry := time.Second
		var reqID string
		var e *Error
		if errors.As(err, &e) {
			reqID = e.RequestID
			if e.RetryAfter > 0 {
				retry = e.RetryAfter
			}
		}
		writeMiddlewareError(w, http.StatusServiceUnavailable, CodeUnavailable, "The credential could not be checked; try again shortly.", reqID, retry)
		return
	}
	if !v.Valid {
		status, desc := refusal(v.Code)
		code := v.Code
		if status == http.StatusUnauthorized && code != CodeExpiredToken && code != CodeInvalidAPIKey && code != CodeExpiredAPIKey {
			code = CodeInvalidToken
		}
		if status == http.StatusForbidden && code == CodeInsufficientPerms && len(m.scopes) > 0 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse", error="insufficient_scope", scope="`+strings.Join(m.scopes, " ")+`"`)
		}
		writeMiddlewareError(w, status, code, desc, "", v.RetryAfter)
		return
	}
	next.ServeHTTP(w, r.WithContext(ContextWithVerification(r.Context(), v)))
}

// refusal maps a /v1/verify failure code to the status and text of the middleware's answer.
// An unknown code is a 401: the credential was not accepted.
func refusal(code string) (int, string) {
	switch code {
	case CodeExpiredToken:
		return http.StatusUnauthorized, "The access token has expired."
	case CodeInvalidAPIKey:
		return http.StatusUnauthorized, "The API key is invalid."
	case CodeExpiredAPIKey:
		return http.StatusUnauthorized, "The API key has expired."
	case CodeInsufficientPerms:
		return http.StatusForbidden, "The credential lacks a required scope."
	case CodeIPNotAllowed:
		return http.StatusForbidden, "Requests from this address are not allowed."
	case CodeAgentNotVerified:
		return http.StatusForbidden, "The agent has not been verified by its owner."
	case CodeRateLimited:
		return http.StatusTooManyRequests, "Too many requests; try again later."
	default:
		return http.StatusUnauthorized, "The access token is invalid."
	}
}

// bearer returns the request's Authorization: Bearer credential.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || len(tok) > maxBearerLen || strings.ContainsAny(tok, " \t\r\n") {
		return "", false
	}
	return tok, true
}

// clientIP is the address of the client behind r: RemoteAddr, or with trusted proxies the
// rightmost X-Forwarded-For entry not inside them.
func (m *middleware) clientIP(r *http.Request) (netip.Addr, bool) {
	peer, ok := parseHostAddr(r.RemoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if !m.isTrusted(peer) {
		return peer, true
	}
	var hops []string
	for _, line := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(line, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHostAddr(strings.TrimSpace(hops[i]))
		if !ok {
			break
		}
		client = a
		if !m.isTrusted(a) {
			break
		}
	}
	return client, true
}

func (m *middleware) isTrusted(a netip.Addr) bool {
	for _, p := range m.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHostAddr reads "ip", "ip:port" or "[ip]:port", dropping zones and unmapping IPv4-mapped
// IPv6 addresses.
func parseHostAddr(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// writeMiddlewareError answers in Gatehouse's error shape.
func writeMiddlewareError(w http.ResponseWriter, status int, code, desc, requestID string, retry time.Duration) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	body := struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		RequestID   string `json:"request_id"`
		RetryAfter  *int64 `json:"retry_after,omitempty"`
	}{Error: code, Description: desc, RequestID: requestID}
	switch status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="gatehouse", error="invalid_token"`)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		secs := int64((retry + time.Second - 1) / time.Second)
		if secs < 1 {
			secs = 1
		}
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
		if status == http.StatusTooManyRequests {
			body.RetryAfter = &secs
		}
	}
	b, _ := json.Marshal(body)
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
