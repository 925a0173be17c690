// Package httpapi is the HTTP edge of Gatehouse: the JSON API handlers, the server-rendered
// page handlers, and the plumbing they share. [Server.Handler] builds the whole handler; routes
// are registered per resource, one file each (auth, me, sessions, tokens and /v1/verify, orgs,
// apikeys, oauthclients, agents, secretscanning, recovery, passkeys, google, jwks, pages,
// account_pages) and per OAuth flow (oauth_*.go: discovery, authorize and consent, token,
// device, introspect, revoke, userinfo, consents; package oauth does the work: the
// authorization endpoint renders the one outcome oauth.Provider.Authorize decides). Pages are
// drawn through the typed page methods of package web (Server.Pages.Login(w, r, status,
// web.LoginPage{…}), one per page).
//
// # Errors
//
// Errors are written in exactly one place, [WriteError]. The body is always
// {"error": "<code>", "error_description": "<text>", "request_id": "<id>"} with the status from
// [StatusOf]. Only the code and the caller-safe message of a *gatehouse.Error reach the client;
// any other error becomes a 500 "server_error" with a generic text and is logged with the
// request ID. Never a stack trace, SQL text or secret.
//
// The OAuth endpoints (/oauth2/token, /oauth2/device_authorization, /oauth2/introspect,
// /oauth2/revoke) answer with [WriteOAuthError]: the same body writer with RFC 6749 5.2's status
// table (400 for every code but invalid_client, 401 with a WWW-Authenticate challenge), so that
// e.g. expired_token is 400 there and 401 on /v1.
//
// # Bodies
//
// Request bodies are read with [DecodeJSON]: at most [MaxBodyBytes] (larger → 413
// request_too_large), application/json, valid UTF-8, one JSON value, no unknown fields; anything
// else is 400 invalid_request with a description that names the problem (and the field, when
// there is one) but never echoes the caller's values. Responses go out with [WriteJSON].
//
// # Request IDs and logging
//
// Every request has an ID ([RequestID]) and a logger carrying it ([Logger]); the ID is echoed in
// the X-Request-ID header and in every error body. An incoming X-Request-ID is kept only when it
// is 1–64 characters of [A-Za-z0-9._-].
//
// # Middleware
//
// Middleware are plain func(http.Handler) http.Handler values ([Chain] composes a list).
// [Server.Handler] wraps the ServeMux in this order, outermost first:
//
//	RequestContext(logger)  // request ID, X-Request-ID, the per-request logger: before anything that logs
//	Recover                 // panic → JSON 500 (http.ErrAbortHandler re-raised)
//	SecurityHeaders(hsts)   // HSTS when the public URL is https, CSP, frame and sniffing rules
//	metrics.Middleware      // requests by route pattern, method and status; latency (when Metrics is set)
//	AccessLog(clientIP)     // one line per request
//	LimitBody               // request bodies capped at MaxBodyBytes
//	CrossOrigin(origins)    // cross-site unsafe browser requests refused (bearer without cookies passes)
//	mux                     // Go 1.22 method patterns; unmatched paths: JSON 404/405
//
// A panic passes through LimitBody, AccessLog and the metrics before Recover stops it: both
// record it as a 500 (unless a status had already been sent), and the security headers set
// before the panic stay on the 500.
//
// Route labels (metrics, access log) are the ServeMux pattern (r.Pattern), never the raw path,
// or "unmatched". ServeMux sets Pattern on the *http.Request it is given; the middleware of this
// package carry the pattern outwards through the request context, so the mux must be wrapped
// directly by one of them (or be called with the same *http.Request one of them passes on).
//
// The client address comes from a func(*http.Request) netip.Addr supplied by the caller
// (package clientip decides which proxies to believe); [RemoteIP] is the fallback.
//
// # Metrics
//
// Metrics live on their own Prometheus registry ([NewMetrics]), never the global one, so that
// several servers can run in one process.
//
// # Seed API profiles
//
// Server.Profiles (GATEHOUSE_API_PROFILES) are adapters in packages under httpapi/profile
// ([Profile]): Mount registers their routes through a [ProfileRouter] — the same router, each
// route with its permission, errors through the same writers — after the native routes, and
// their Operations join /openapi.json. They call the same services as the native handlers
// (plus the few request helpers exported for them: Meta, RateLimit, StartSession, Logout,
// GetMe, PatchMe, …); no use-case rule lives in a profile. A profile whose docs state a
// stricter or different rule implements [AuthConfigurer]: app sets the use case's parameter
// (auth.Config) before building the use cases. A profile that changes the answer of a native
// path sets the native handler's parameter through a ProfileRouter method
// ([ProfileRouter.LoginAnswer]) and documents the route again (its operation replaces the
// native one in /openapi.json).
package httpapi
