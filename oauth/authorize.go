package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/token"
)

// AuthorizeRequest is the query of /oauth2/authorize.
type AuthorizeRequest struct {
	ClientID, RedirectURI, ResponseType, Scope, State, Nonce string
	CodeChallenge, CodeChallengeMethod, Prompt, ResponseMode string
	// MaxAge is max_age (OpenID Connect Core 3.1.2.1): decimal seconds, "" when absent.
	MaxAge string
	// AuthAfter is Gatehouse's continuation marker (AuthAfterParam): Unix milliseconds, "" when
	// absent. See ContinueAfterSignIn.
	AuthAfter string
}

// AuthAfterParam is the parameter of /oauth2/authorize that ContinueAfterSignIn adds: the
// session must have started at or after this moment (Unix milliseconds).
const AuthAfterParam = "gatehouse_auth_after"

// Authorization is a validated authorization request.
type Authorization struct {
	Client        *gatehouse.OAuthClient
	RedirectURI   string
	Scopes        []string
	State         string
	Nonce         string
	CodeChallenge string
	Prompt        string
	// MaxAge is max_age in seconds, -1 when absent.
	MaxAge int64
	// AuthAfter is the earliest sign-in time a session may have (AuthAfterParam); zero when
	// absent.
	AuthAfter time.Time
}

// AuthorizeError is a failed authorization request. With RedirectURI set it goes back to the
// client (RFC 6749 4.1.2.1: error, error_description, state, iss); without, it is shown to the
// user (unknown client, bad redirect URI: never redirect).
type AuthorizeError struct {
	Code        gatehouse.Code
	Description string
	RedirectURI string
	State       string
}

func (e *AuthorizeError) Error() string { return string(e.Code) + ": " + e.Description }

// Bounds of authorization request parameters.
const (
	maxStateLen = 2048
	maxNonceLen = 512
	// maxAgeUnbounded is the max_age from which no session is too old (about 292 years: larger
	// values would overflow a time.Duration).
	maxAgeUnbounded = int64(1<<63-1) / int64(time.Second)
	// authAfterSkew is how far in the future an AuthAfterParam may be (another instance's
	// clock); later ones are refused, as no sign-in could satisfy them yet.
	authAfterSkew = time.Minute
)

// ParseAuthorize validates an authorization request; errors are *AuthorizeError.
//
// The client and redirect_uri are checked first: an unknown client, a missing redirect_uri or
// one that is not registered gives an error without RedirectURI (shown to the user, never
// redirected). redirect_uri is required (OpenID Connect; the stored code needs it) and must equal
// a registered one exactly, except that for a loopback http redirect (127.0.0.1, [::1],
// localhost) the port may differ (RFC 8252 7.3). Then, redirected to the client: response_type
// must be "code" (unsupported_response_type), response_mode "query" or absent, the client must
// have the authorization_code grant (unauthorized_client), PKCE with S256 is required of every
// client (invalid_request for a missing challenge or another method), prompt=none may not come
// with another prompt value, max_age must be a non-negative decimal integer and AuthAfterParam
// a time in Unix milliseconds not more than a minute ahead (invalid_request), and the scopes must
// be a subset of the client's (invalid_scope; none requested means all of the client's).
func (p *Provider) ParseAuthorize(ctx context.Context, r AuthorizeRequest) (*Authorization, error) {
	if r.ClientID == "" {
		return nil, &AuthorizeError{Code: gatehouse.CodeInvalidRequest, Description: "client_id is required."}
	}
	client, err := p.clients.Lookup(ctx, r.ClientID)
	if err != nil {
		if isDomainError(err) {
			return nil, &AuthorizeError{Code: gatehouse.CodeInvalidClient, Description: "Unknown client."}
		}
		return nil, err
	}
	if r.RedirectURI == "" {
		return nil, &AuthorizeError{Code: gatehouse.CodeInvalidRequest, Description: "redirect_uri is required."}
	}
	if !redirectURIRegistered(client.RedirectURIs, r.RedirectURI) {
		return nil, &AuthorizeError{Code: gatehouse.CodeInvalidRequest, Description: "redirect_uri is not registered for this client."}
	}
	fail := func(code gatehouse.Code, format string, args ...any) error {
		return &AuthorizeError{Code: code, Description: fmt.Sprintf(format, args...), RedirectURI: r.RedirectURI, State: r.State}
	}
	if len(r.State) > maxStateLen {
		return nil, &AuthorizeError{Code: gatehouse.CodeInvalidRequest, Description: "state is too long.", RedirectURI: r.RedirectURI}
	}
	switch {
	case r.ResponseType == "":
		return nil, fail(gatehouse.CodeInvalidRequest, "response_type is required.")
	case r.ResponseType != "code":
		return nil, fail(gatehouse.CodeUnsupportedResponseType, "Only response_type=code is supported.")
	case r.ResponseMode != "" && r.ResponseMode != "query":
		return nil, fail(gatehouse.CodeInvalidRequest, "Only response_mode=query is supported.")
	case !hasGrant(client, auth.GrantAuthorizationCode):
		return nil, fail(gatehouse.CodeUnauthorizedClient, "This client may not use the authorization code grant.")
	case r.CodeChallenge == "":
		return nil, fail(gatehouse.CodeInvalidRequest, "PKCE is required: send code_challenge and code_challenge_method=S256.")
	case r.CodeChallengeMethod != "S256":
		return nil, fail(gatehouse.CodeInvalidRequest, "code_challenge_method must be S256.")
	case !validChallenge(r.CodeChallenge):
		return nil, fail(gatehouse.CodeInvalidRequest, "code_challenge must be the base64url SHA-256 of the code verifier (43 characters).")
	case len(r.Nonce) > maxNonceLen:
		return nil, fail(gatehouse.CodeInvalidRequest, "nonce is too long.")
	case slices.Contains(strings.Fields(r.Prompt), "none") && len(strings.Fields(r.Prompt)) > 1:
		return nil, fail(gatehouse.CodeInvalidRequest, "prompt=none cannot be combined with other prompt values.")
	}
	maxAge, ok := parseMaxAge(r.MaxAge)
	if !ok {
		return nil, fail(gatehouse.CodeInvalidRequest, "max_age must be a non-negative integer (seconds).")
	}
	authAfter, ok := p.parseAuthAfter(r.AuthAfter)
	if !ok {
		return nil, fail(gatehouse.CodeInvalidRequest, "%s is not valid.", AuthAfterParam)
	}
	scopes, err := requestedScopes(r.Scope, client.Scopes)
	if err != nil {
		return nil, fail(gatehouse.CodeInvalidScope, "%s", gatehouse.ErrorMessage(err))
	}
	if len(scopes) == 0 {
		return nil, fail(gatehouse.CodeInvalidScope, "No scope requested.")
	}
	return &Authorization{
		Client:        client,
		RedirectURI:   r.RedirectURI,
		Scopes:        scopes,
		State:         r.State,
		Nonce:         r.Nonce,
		CodeChallenge: r.CodeChallenge,
		Prompt:        r.Prompt,
		MaxAge:        maxAge,
		AuthAfter:     authAfter,
	}, nil
}

// parseMaxAge reads max_age: "" is absent (-1), else only decimal digits (no sign, no spaces);
// values too large for a duration mean "any session".
func parseMaxAge(v string) (int64, bool) {
	if v == "" {
		return -1, true
	}
	if strings.Trim(v, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n > maxAgeUnbounded { // only a range error is possible: digits only
		return maxAgeUnbounded, true
	}
	return n, true
}

// parseAuthAfter reads AuthAfterParam: "" is absent (zero time), else decimal Unix milliseconds
// not later than now plus authAfterSkew.
func (p *Provider) parseAuthAfter(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	if len(v) > 15 || strings.Trim(v, "0123456789") != "" {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	t := time.UnixMilli(ms).UTC()
	if t.After(p.now().Add(authAfterSkew)) {
		return time.Time{}, false
	}
	return t, true
}

// SignInNeeded reports whether the person must authenticate again before a is answered with
// session s (OpenID Connect Core 3.1.2.1): always for prompt=login and max_age=0; when more than
// max_age seconds have passed since the session's sign-in (its CreatedAt, the ID token's
// auth_time, counted in whole seconds as auth_time is); and when the session started before
// a.AuthAfter. No session at all also needs a sign-in.
func (p *Provider) SignInNeeded(a *Authorization, s *gatehouse.Session) bool {
	if s == nil {
		return true
	}
	return signInNeeded(a, s.CreatedAt, p.now())
}

// signInNeeded is SignInNeeded's rule for a sign-in at signedInAt, decided at now.
func signInNeeded(a *Authorization, signedInAt, now time.Time) bool {
	if a == nil {
		return true
	}
	if slices.Contains(strings.Fields(a.Prompt), "login") || a.MaxAge == 0 {
		return true
	}
	if !a.AuthAfter.IsZero() && signedInAt.Before(a.AuthAfter) {
		return true
	}
	if a.MaxAge > 0 && a.MaxAge < maxAgeUnbounded {
		authTime := signedInAt.Truncate(time.Second) // the ID token's auth_time
		if now.Sub(authTime) > time.Duration(a.MaxAge)*time.Second {
			return true
		}
	}
	return false
}

// ContinueAfterSignIn returns the authorization request the sign-in page continues to when r
// asks for a fresh sign-in (prompt=login, max_age): r without "login" in prompt and without
// max_age, and with AuthAfterParam set to now (or kept when r's is later). The continuation is
// answered only with a session that started at or after that moment, which a session from
// before the request cannot have, so it neither loops back to the sign-in page nor lets an
// older session through. A client that writes AuthAfterParam into its own request gains
// nothing: the parameter only ever adds a requirement, and prompt=login or max_age beside it
// still apply. Requests that ask for neither are returned unchanged.
func (p *Provider) ContinueAfterSignIn(r AuthorizeRequest) AuthorizeRequest {
	prompts := strings.Fields(r.Prompt)
	if !slices.Contains(prompts, "login") && r.MaxAge == "" {
		return r
	}
	r.Prompt = strings.Join(slices.DeleteFunc(prompts, func(v string) bool { return v == "login" }), " ")
	r.MaxAge = ""
	at := p.now()
	if prev, ok := p.parseAuthAfter(r.AuthAfter); ok && prev.After(at) {
		at = prev
	}
	r.AuthAfter = strconv.FormatInt(at.UnixMilli(), 10)
	return r
}

// validChallenge checks an S256 code challenge: 43 base64url characters (32 bytes).
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if !isBase64URL(c[i]) {
			return false
		}
	}
	return true
}

func isBase64URL(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '_'
}

// redirectURIRegistered reports whether requested equals one of the registered URIs, or differs
// from a registered loopback http URI only in its port (RFC 8252 7.3).
func redirectURIRegistered(registered []string, requested string) bool {
	if slices.Contains(registered, requested) {
		return true
	}
	reqNoPort, ok := loopbackWithoutPort(requested)
	if !ok {
		return false
	}
	for _, r := range registered {
		if regNoPort, ok := loopbackWithoutPort(r); ok && regNoPort == reqNoPort {
			return true
		}
	}
	return false
}

// loopbackWithoutPort returns raw with the port of its authority removed when raw is an http
// URI on 127.0.0.1, [::1] or localhost (with a numeric port or none), else false. Only the port
// is removed: the rest is compared byte for byte.
func loopbackWithoutPort(raw string) (string, bool) {
	const scheme = "http://"
	if !strings.HasPrefix(raw, scheme) {
		return "", false
	}
	rest := raw[len(scheme):]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	host, port := authority, ""
	if i := strings.LastIndexByte(authority, ':'); i >= 0 && !strings.HasSuffix(authority, "]") {
		host, port = authority[:i], authority[i+1:]
		if port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return "", false
		}
	}
	switch host {
	case "127.0.0.1", "[::1]", "localhost":
	default:
		return "", false
	}
	return scheme + host + tail, true
}

// ConsentNeeded reports whether the user must see the consent page (no remembered consent
// covering the scopes, or prompt=consent).
func (p *Provider) ConsentNeeded(ctx context.Context, user *gatehouse.User, a *Authorization) (bool, error) {
	if user == nil || a == nil || a.Client == nil {
		return true, nil
	}
	if slices.Contains(strings.Fields(a.Prompt), "consent") {
		return true, nil
	}
	c, err := p.store.ConsentFor(ctx, user.ID, a.Client.ID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return true, err
	}
	for _, sc := range a.Scopes {
		if !slices.Contains(c.Scopes, sc) {
			return true, nil
		}
	}
	return false, nil
}

var errApproveNeedsSession = gatehouse.Errorf(gatehouse.CodeInsufficientPerms, "Only a person signed in with a session may authorize an application.")

// Approve issues an authorization code to the signed-in principal (a person's session) and
// returns the URL to redirect to (303); remember records the consent.
//
// The code is 32 random bytes (base64url); only its SHA-256 is stored, with the client, the
// user, the redirect URI, the scopes, the nonce, the PKCE challenge and the session's sign-in
// time (auth_time). It expires after Config.CodeTTL and works once.
func (p *Provider) Approve(ctx context.Context, pr *gatehouse.Principal, a *Authorization, remember bool, meta auth.Meta) (string, error) {
	if pr == nil || pr.User == nil || pr.Session == nil || pr.Credential != gatehouse.CredentialSession ||
		pr.User.Kind != gatehouse.KindUser || pr.APIKey != nil || pr.User.Disabled() {
		return "", errApproveNeedsSession
	}
	if a == nil || a.Client == nil || a.RedirectURI == "" || a.CodeChallenge == "" {
		return "", gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The authorization request is incomplete.")
	}
	code, err := p.randomString(32)
	if err != nil {
		return "", err
	}
	now := p.now()
	c := &gatehouse.AuthorizationCode{
		ID:            p.newID(gatehouse.PrefixAuthorizationCode),
		CodeHash:      token.Hash(code),
		ClientID:      a.Client.ID,
		UserID:        pr.User.ID,
		RedirectURI:   a.RedirectURI,
		Scopes:        a.Scopes,
		Nonce:         a.Nonce,
		CodeChallenge: a.CodeChallenge,
		AuthTime:      pr.Session.CreatedAt,
		CreatedAt:     now,
		ExpiresAt:     now.Add(p.cfg.CodeTTL),
	}
	if err := p.store.CreateAuthorizationCode(ctx, c); err != nil {
		return "", fmt.Errorf("oauth: store authorization code: %w", err)
	}
	if remember {
		err := p.store.GrantConsent(ctx, &gatehouse.Consent{UserID: pr.User.ID, ClientID: a.Client.ID, Scopes: a.Scopes, GrantedAt: now})
		if err != nil {
			return "", fmt.Errorf("oauth: record consent: %w", err)
		}
		p.audit(ctx, EventConsentGranted, pr.User.ID, a.Client.ID, a.Client.OrgID, meta, map[string]any{"client_id": a.Client.ID, "scopes": a.Scopes})
	}
	return p.redirect(a.RedirectURI, url.Values{"code": {code}, "state": optional(a.State)}), nil
}

// Deny returns the redirect URL carrying error=access_denied.
func (p *Provider) Deny(a *Authorization) string {
	return p.ErrorRedirect(a, gatehouse.CodeAccessDenied, "The user denied the request.")
}

// ErrorRedirect returns the redirect URL that carries an error to the client of a validated
// request (e.g. login_required or consent_required for prompt=none), with state and iss.
func (p *Provider) ErrorRedirect(a *Authorization, code gatehouse.Code, description string) string {
	return p.redirect(a.RedirectURI, url.Values{"error": {string(code)}, "error_description": {description}, "state": optional(a.State)})
}

// ErrorRedirectURL returns the redirect URL of a redirectable *AuthorizeError ("" when it must
// be shown to the user instead).
func (p *Provider) ErrorRedirectURL(e *AuthorizeError) string {
	if e == nil || e.RedirectURI == "" {
		return ""
	}
	return p.redirect(e.RedirectURI, url.Values{"error": {string(e.Code)}, "error_description": {e.Description}, "state": optional(e.State)})
}

func optional(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
}

// redirect adds params and iss (RFC 9207) to the query of the redirect URI, keeping its own
// query parameters.
func (p *Provider) redirect(redirectURI string, params url.Values) string {
	u, err := url.Parse(redirectURI)
	if err != nil { // registered URIs parse; be safe anyway
		return redirectURI
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			q.Set(k, v)
		}
	}
	q.Set("iss", p.cfg.Issuer)
	u.RawQuery = q.Encode()
	u.Fragment = ""
	return u.String()
}
