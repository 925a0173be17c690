package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/netip"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
)

// The bearer checks of personal access tokens and organizations' API keys (Sessions', with
// the session and access-token checks of session.go and accesstoken.go).

// authenticatePAT checks a personal access token: one indexed lookup (token joined with its
// user), then revocation, the user's state and expiry. The use is noted in memory (usage.go),
// never written per request.
func (s *Sessions) authenticatePAT(ctx context.Context, bearer string, meta Meta) (*gatehouse.Principal, error) {
	hash := token.Hash(bearer)
	pat, u, err := s.store.PATByTokenHash(ctx, hash)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	switch {
	case subtle.ConstantTimeCompare(pat.TokenHash, hash) != 1:
		return nil, errInvalidToken
	case pat.RevokedAt != nil || u.Disabled() || u.Kind != gatehouse.KindUser:
		return nil, errInvalidToken
	case pat.ExpiresAt != nil && !now.Before(*pat.ExpiresAt):
		return nil, errExpiredToken
	}
	s.usage.Record(gatehouse.CredentialPAT, pat.ID, meta.IP, now)
	return &gatehouse.Principal{User: u, PAT: pat, Credential: gatehouse.CredentialPAT}, nil
}

// authenticateAPIKey checks an API key (a well-formed token of an API-key kind, as Verify
// parsed it) presented from client address ip: one indexed lookup, then revocation, expiry,
// environment, allowed CIDRs (fail closed: a key with CIDRs refuses an unknown address) and the
// key's own rate limit. The use is recorded in memory and written in batches.
func (s *Sessions) authenticateAPIKey(ctx context.Context, bearer string, ip netip.Addr, meta Meta) (*gatehouse.Principal, error) {
	hash := token.Hash(bearer)
	k, err := s.store.APIKeyByTokenHash(ctx, hash)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errInvalidAPIKey
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(k.TokenHash, hash) != 1 {
		return nil, errInvalidAPIKey
	}
	if k.RevokedAt != nil {
		return nil, s.revokedAPIKey()
	}
	now := s.now()
	if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
		return nil, errExpiredAPIKey
	}
	if apiKeyEnvironment(bearer) != k.Environment {
		return nil, errInvalidAPIKey
	}
	if len(k.AllowedCIDRs) > 0 && !addressAllowed(k.AllowedCIDRs, ip) {
		return nil, errIPNotAllowed
	}
	if k.RateLimit != nil && s.limiter != nil {
		d, err := s.limiter.Allow(ctx, "apikey:"+k.ID, *k.RateLimit)
		switch {
		case err != nil:
			// Like the per-IP limits: a limiter outage must not lock every key out.
			s.log.WarnContext(ctx, "rate limiter unavailable for an API key", "api_key_id", k.ID, "err", err)
		case !d.Allowed:
			return nil, &gatehouse.Error{Code: gatehouse.CodeRateLimited, Message: "This API key's rate limit is exhausted; try again later.", RetryAfter: d.RetryAfter}
		}
	}
	// The address of the use is the client's the check was made for (the resource server's
	// client for /v1/verify), else the request's own.
	ipString := meta.IP
	if ip.IsValid() {
		ipString = ip.Unmap().String()
	}
	s.RecordAPIKeyUse(k, ipString)
	return &gatehouse.Principal{APIKey: k, Credential: gatehouse.CredentialAPIKey}, nil
}

// revokedAPIKey is the failure of a revoked API key: invalid_api_key, or Config.RevokedAPIKeyCode.
func (s *Sessions) revokedAPIKey() error {
	if s.cfg.RevokedAPIKeyCode == "" {
		return errInvalidAPIKey
	}
	return &gatehouse.Error{Code: s.cfg.RevokedAPIKeyCode, Message: "The API key has been revoked."}
}

var errIPNotAllowed = &gatehouse.Error{Code: gatehouse.CodeIPNotAllowed, Message: "This API key may not be used from this address."}

// apiKeyEnvironment returns the environment an API-key token names, "" for any other string.
func apiKeyEnvironment(bearer string) string {
	switch {
	case strings.Contains(bearer, "_"+string(token.KindAPIKeyLive)+"_"):
		return gatehouse.EnvironmentLive
	case strings.Contains(bearer, "_"+string(token.KindAPIKeyTest)+"_"):
		return gatehouse.EnvironmentTest
	}
	return ""
}

// addressAllowed reports whether ip lies inside one of the prefixes; an invalid ip never does.
func addressAllowed(prefixes []netip.Prefix, ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap().WithZone("")
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
