package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/clientip"
	"github.com/gatehouse-auth/gatehouse/token"
)

// DeviceAuthorizationResponse is RFC 8628 3.2's body.
type DeviceAuthorizationResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

// userCodeAlphabet is RFC 8628 6.1's example: 20 consonants without vowels (no words) and
// without easily confused letters. 8 letters give 20^8 ≈ 2^34.6 codes.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

const userCodeLen = 8

// DeviceAuthorization starts a device flow (/oauth2/device_authorization).
//
// The client must have the device code grant (the built-in public client gatehouse-cli does);
// confidential clients authenticate. The device code is 32 random bytes (base64url), the user
// code 8 letters of userCodeAlphabet shown as ABCD-EFGH; both are stored only as SHA-256.
func (p *Provider) DeviceAuthorization(ctx context.Context, client ClientAuth, scope string, meta auth.Meta) (*DeviceAuthorizationResponse, error) {
	c, err := p.authenticateClient(ctx, client)
	if err != nil {
		return nil, err
	}
	if !hasGrant(c, auth.GrantDeviceCode) {
		return nil, errUnauthorizedClient
	}
	scopes, err := requestedScopes(scope, c.Scopes)
	if err != nil {
		return nil, err
	}
	if len(scopes) == 0 {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidScope, "No scope requested.")
	}
	deviceCode, err := p.randomString(32)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		userCode, err := p.newUserCode()
		if err != nil {
			return nil, err
		}
		now := p.now()
		d := &gatehouse.DeviceAuthorization{
			ID:             p.newID(gatehouse.PrefixDeviceAuth),
			DeviceCodeHash: token.Hash(deviceCode),
			UserCodeHash:   token.Hash(userCode),
			ClientID:       c.ID,
			Scopes:         scopes,
			State:          gatehouse.DeviceStatePending,
			Interval:       p.cfg.DeviceInterval,
			CreatedAt:      now,
			ExpiresAt:      now.Add(p.cfg.DeviceCodeTTL),
		}
		err = p.store.CreateDeviceAuthorization(ctx, d)
		if gatehouse.ErrorCode(err) == gatehouse.CodeConflict && attempt < 4 {
			continue // that user code is in use: draw another
		}
		if err != nil {
			return nil, fmt.Errorf("oauth: store device authorization: %w", err)
		}
		shown := formatUserCode(userCode)
		verify := p.cfg.Issuer + "/device"
		return &DeviceAuthorizationResponse{
			DeviceCode:              deviceCode,
			UserCode:                shown,
			VerificationURI:         verify,
			VerificationURIComplete: verify + "?user_code=" + url.QueryEscape(shown),
			ExpiresIn:               int64(p.cfg.DeviceCodeTTL / time.Second),
			Interval:                int64(p.cfg.DeviceInterval / time.Second),
		}, nil
	}
}

// newUserCode draws 8 letters of userCodeAlphabet uniformly (rejection sampling).
func (p *Provider) newUserCode() (string, error) {
	const accept = 256 / len(userCodeAlphabet) * len(userCodeAlphabet) // 240
	out := make([]byte, 0, userCodeLen)
	var buf [16]byte
	for len(out) < userCodeLen {
		if _, err := io.ReadFull(p.random, buf[:]); err != nil {
			return "", fmt.Errorf("oauth: reading randomness: %w", err)
		}
		for _, b := range buf {
			if int(b) >= accept {
				continue
			}
			out = append(out, userCodeAlphabet[int(b)%len(userCodeAlphabet)])
			if len(out) == userCodeLen {
				break
			}
		}
	}
	return string(out), nil
}

func formatUserCode(c string) string { return c[:4] + "-" + c[4:] }

// normalizeUserCode upper-cases a typed user code and drops dashes and spaces; ok is false when
// the rest is not 8 letters of the alphabet.
func normalizeUserCode(typed string) (string, bool) {
	if len(typed) > 64 {
		return "", false
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(typed) {
		switch {
		case r == '-' || r == ' ' || r == '\t':
		case r < 128 && strings.IndexByte(userCodeAlphabet, byte(r)) >= 0:
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	if b.Len() != userCodeLen {
		return "", false
	}
	return b.String(), true
}

// PendingDevice is a device flow waiting for a user's decision.
type PendingDevice struct {
	UserCode   string // ABCD-EFGH
	ClientID   string
	ClientName string
	Scopes     []string
	ExpiresAt  time.Time
}

var (
	errDevicePersons  = gatehouse.Errorf(gatehouse.CodeInsufficientPerms, "Only a person signed in with a session or the Gatehouse CLI may approve a device.")
	errNoSuchUserCode = gatehouse.Errorf(gatehouse.CodeNotFound, "No pending request has that code; check it and try again.")
)

// PendingDevice looks up a pending flow by user code for a signed-in person; a wrong code
// counts towards the per-user and per-IP limits (not_found, then rate_limited).
func (p *Provider) PendingDevice(ctx context.Context, pr *gatehouse.Principal, userCode string, meta auth.Meta) (*PendingDevice, error) {
	d, err := p.lookUpUserCode(ctx, pr, userCode, meta)
	if err != nil {
		return nil, err
	}
	pd := &PendingDevice{ClientID: d.ClientID, Scopes: d.Scopes, ExpiresAt: d.ExpiresAt}
	if code, ok := normalizeUserCode(userCode); ok {
		pd.UserCode = formatUserCode(code)
	}
	c, err := p.clients.Lookup(ctx, d.ClientID)
	switch {
	case err == nil:
		pd.ClientName = c.Name
	case isDomainError(err):
		return nil, errNoSuchUserCode // the client was deleted
	default:
		return nil, err
	}
	return pd, nil
}

// DecideDevice approves or denies a pending flow. The approval records the person's sign-in
// time (the ID token's auth_time): the session's start, or when the CLI's token was issued.
func (p *Provider) DecideDevice(ctx context.Context, pr *gatehouse.Principal, userCode string, approve bool, meta auth.Meta) error {
	d, err := p.lookUpUserCode(ctx, pr, userCode, meta)
	if err != nil {
		return err
	}
	authTime := p.now()
	switch {
	case pr.Session != nil:
		authTime = pr.Session.CreatedAt
	case pr.Access != nil:
		authTime = pr.Access.IssuedAt
	}
	err = p.store.DecideDeviceAuthorization(ctx, d.ID, pr.User.ID, approve, authTime, p.now())
	if errors.Is(err, gatehouse.ErrNotFound) {
		return errNoSuchUserCode
	}
	if err != nil {
		return err
	}
	typ := EventDeviceDenied
	if approve {
		typ = EventDeviceApproved
	}
	orgID := ""
	if c, err := p.clients.Lookup(ctx, d.ClientID); err == nil {
		orgID = c.OrgID
	}
	p.audit(ctx, typ, pr.User.ID, d.ID, orgID, meta, map[string]any{"client_id": d.ClientID, "scopes": d.Scopes})
	return nil
}

// lookUpUserCode checks the caller, counts the attempt against the per-user and per-address
// limits, and finds the pending flow. Every look-up counts, not only wrong ones: a limiter
// cannot be asked without counting, and a look-up that does not count while the caller is over
// the limit would let a guesser go on.
func (p *Provider) lookUpUserCode(ctx context.Context, pr *gatehouse.Principal, typed string, meta auth.Meta) (*gatehouse.DeviceAuthorization, error) {
	if !isPerson(pr) {
		return nil, errDevicePersons
	}
	if err := p.limitUserCodeAttempts(ctx, pr.User.ID, meta.IP); err != nil {
		return nil, err
	}
	code, ok := normalizeUserCode(typed)
	if !ok {
		return nil, errNoSuchUserCode
	}
	d, err := p.store.DeviceAuthorizationByUserCode(ctx, token.Hash(code), p.now())
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errNoSuchUserCode
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// limitUserCodeAttempts counts one user-code attempt for the user and for the client address.
func (p *Provider) limitUserCodeAttempts(ctx context.Context, userID, ip string) error {
	if p.limiter == nil {
		return nil
	}
	keys := []string{"device-user-code:user:" + userID}
	if ip != "" {
		keys = append(keys, "device-user-code:ip:"+clientip.RateKeyString(ip))
	}
	var retry time.Duration
	for _, k := range keys {
		d, err := p.limiter.Allow(ctx, k, p.cfg.DeviceCodeAttempts)
		if err != nil {
			// Fail closed: the code is short enough that unlimited guessing matters.
			return &gatehouse.Error{Code: gatehouse.CodeUnavailable, Message: "Try again shortly.", RetryAfter: time.Second}
		}
		if !d.Allowed && d.RetryAfter > retry {
			retry = d.RetryAfter
		}
	}
	if retry > 0 {
		return &gatehouse.Error{Code: gatehouse.CodeRateLimited, Message: "Too many device codes tried; wait and try again.", RetryAfter: retry}
	}
	return nil
}

// pollDevice serves the device_code grant (RFC 8628 3.4, 3.5).
func (p *Provider) pollDevice(ctx context.Context, client *gatehouse.OAuthClient, req TokenRequest, meta auth.Meta) (*TokenResponse, error) {
	if req.DeviceCode == "" {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "device_code is required.")
	}
	if len(req.DeviceCode) > 256 {
		return nil, errInvalidGrant
	}
	d, outcome, err := p.store.PollDeviceAuthorization(ctx, token.Hash(req.DeviceCode), client.ID, p.now())
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errInvalidGrant
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: poll device authorization: %w", err)
	}
	switch outcome {
	case gatehouse.DevicePollPending:
		return nil, &gatehouse.Error{Code: gatehouse.CodeAuthorizationPending, Message: "The user has not decided yet."}
	case gatehouse.DevicePollSlowDown:
		return nil, &gatehouse.Error{Code: gatehouse.CodeSlowDown, Message: "Polling too fast; add 5 seconds to the interval."}
	case gatehouse.DevicePollDenied:
		return nil, &gatehouse.Error{Code: gatehouse.CodeAccessDenied, Message: "The user denied the request."}
	case gatehouse.DevicePollExpired:
		return nil, &gatehouse.Error{Code: gatehouse.CodeExpiredToken, Message: "The device code has expired; start again."}
	case gatehouse.DevicePollApproved:
	default: // consumed: tokens went to an earlier poll
		return nil, errInvalidGrant
	}
	u, err := p.store.UserByID(ctx, d.UserID)
	if errors.Is(err, gatehouse.ErrNotFound) || (err == nil && (u.Disabled() || u.Kind != gatehouse.KindUser)) {
		return nil, errInvalidGrant
	}
	if err != nil {
		return nil, err
	}
	resp, jti, familyID, err := p.issueUserTokens(ctx, client, u, d.Scopes, d.AuthTime, "")
	if err != nil {
		return nil, err
	}
	details := map[string]any{"grant_type": auth.GrantDeviceCode, "client_id": client.ID, "jti": jti, "scopes": d.Scopes}
	if familyID != "" {
		details["family_id"] = familyID
	}
	p.audit(ctx, EventTokenIssued, u.ID, client.ID, client.OrgID, meta, details)
	return resp, nil
}
