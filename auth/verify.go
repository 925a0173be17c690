package auth

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/authz"
	"github.com/gatehouse-auth/gatehouse/token"
)

// VerifyInput is a resource server's question: is this credential valid, with these scopes,
// from this address?
type VerifyInput struct {
	Token  string
	Scopes []string   // every one must be allowed
	IP     netip.Addr // the caller's client address, checked against API keys' allowed CIDRs; zero: not checked
}

// Verification is a valid credential's facts, as /v1/verify and introspection report them.
type Verification struct {
	Principal   *gatehouse.Principal
	Kind        string // a gatehouse.Credential* kind
	OrgID       string // for API keys and OAuth access tokens (the client's organization)
	ClientID    string // for OAuth access tokens
	Scopes      []string
	Environment string // for API keys
	ExpiresAt   *time.Time
}

// Verify checks any bearer credential Gatehouse issues (session, agent session, PAT, API key,
// OAuth access token) — the one machinery behind signed-in endpoints, /v1/verify and
// introspection. The checksum is checked before any database access (for a JWT, the signature
// before the denylist is read). A failure is a *gatehouse.Error with one of the codes
// invalid_token, expired_token, invalid_api_key, expired_api_key, insufficient_permissions,
// ip_not_allowed, rate_limited.
func (s *Sessions) Verify(ctx context.Context, in VerifyInput, meta Meta) (*Verification, error) {
	if looksLikeJWT(in.Token) { // an OAuth access token (client_credentials ones included)
		p, err := s.authenticateAccessToken(ctx, in.Token, true)
		if err != nil {
			return nil, err
		}
		return s.checkScopes(ctx, p, in.Scopes)
	}
	t, err := token.Parse(in.Token)
	if err != nil || t.Brand != s.cfg.Brand {
		if apiKeyEnvironment(in.Token) != "" { // looks like an API key (…_sk_live_… / …_sk_test_…)
			return nil, errInvalidAPIKey
		}
		return nil, errInvalidToken
	}
	var p *gatehouse.Principal
	switch t.Kind {
	case token.KindSession:
		p, err = s.authenticateSession(ctx, in.Token, meta)
	case token.KindPAT:
		p, err = s.authenticatePAT(ctx, in.Token, meta)
	case token.KindAPIKeyLive, token.KindAPIKeyTest:
		p, err = s.authenticateAPIKey(ctx, in.Token, in.IP, meta)
	default:
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, err
	}
	return s.checkScopes(ctx, p, in.Scopes)
}

// checkScopes checks that p's credential allows every wanted scope and describes it.
func (s *Sessions) checkScopes(ctx context.Context, p *gatehouse.Principal, want []string) (*Verification, error) {
	granted, limited := p.Scopes()
	if limited {
		for _, w := range want {
			if !gatehouse.ScopeAllows(granted, w) {
				return nil, gatehouse.Errorf(gatehouse.CodeInsufficientPerms, "The credential lacks the scope %s.", w)
			}
		}
	}
	v := verification(p)
	if p.Access != nil && p.Access.ClientID != gatehouse.BuiltInCLIClientID {
		c, err := s.store.OAuthClientByID(ctx, p.Access.ClientID)
		if err != nil {
			if errors.Is(err, gatehouse.ErrNotFound) {
				return nil, errInvalidToken // a deleted client's tokens die with it
			}
			return nil, err
		}
		v.OrgID = c.OrgID
	}
	return v, nil
}

// AuthorizeVerifier checks the caller of /v1/verify and of OAuth introspection: a bearer that
// Verify accepts as an API key holding the reserved scope gatehouse:verify (checked against the
// key's allowed CIDRs with meta.IP), or as an instance administrator (a person's credential
// that is not a third-party application's token). An unusable credential gives Verify's error;
// a valid one without that right insufficient_permissions.
func (s *Sessions) AuthorizeVerifier(ctx context.Context, bearer string, meta Meta) error {
	p, err := s.Authenticate(ctx, bearer, meta)
	if err != nil {
		return err
	}
	return s.Authorize(p, authz.Verify)
}

// verification describes a verified principal.
func verification(p *gatehouse.Principal) *Verification {
	v := &Verification{Principal: p, Kind: p.Credential}
	v.Scopes, _ = p.Scopes()
	switch {
	case p.APIKey != nil:
		v.OrgID, v.Environment, v.ExpiresAt = p.APIKey.OrgID, p.APIKey.Environment, p.APIKey.ExpiresAt
	case p.PAT != nil:
		v.ExpiresAt = p.PAT.ExpiresAt
	case p.Session != nil:
		v.ExpiresAt = &p.Session.ExpiresAt
	case p.Access != nil:
		v.ExpiresAt = &p.Access.ExpiresAt
		v.ClientID = p.Access.ClientID
		if p.User == nil {
			v.Kind = gatehouse.CredentialClient
		}
	}
	return v
}

var (
	errInvalidAPIKey = &gatehouse.Error{Code: gatehouse.CodeInvalidAPIKey, Message: "The API key is invalid."}
	errExpiredAPIKey = &gatehouse.Error{Code: gatehouse.CodeExpiredAPIKey, Message: "The API key has expired."}
)
