package oauth

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/keys"
)

// VerifierStore is what verifying an access token reads, each lookup served by the credential
// cache (store/credcache): the denylist, the token's client and its user.
type VerifierStore interface {
	AccessTokenDenied(ctx context.Context, jti string) (bool, error)
	OAuthClientByID(ctx context.Context, id string) (*gatehouse.OAuthClient, error)
	UserByID(ctx context.Context, id string) (*gatehouse.User, error)
}

// PublicKeys finds a published verification key by kid (package keys' Manager).
type PublicKeys interface {
	// PublicKey returns a published (next, current or previous) key by kid and its algorithm;
	// an unknown kid is an error wrapping keys.ErrUnknownKey.
	PublicKey(ctx context.Context, kid string) (crypto.PublicKey, string, error)
}

// AccessTokenVerifier verifies Gatehouse's JWT access tokens. It needs only the published keys
// and three lookups, so it is built first and given to both auth.New (Sessions: bearer checks, /v1/verify)
// and New (userinfo, introspection, revocation): no setter closes a cycle between the two.
// Safe for concurrent use.
type AccessTokenVerifier struct {
	store    VerifierStore
	keys     PublicKeys
	issuer   string
	audience string
	now      func() time.Time
	verified verifiedTokens // verifiedcache.go: access tokens whose signature checked out
}

// NewAccessTokenVerifier returns a verifier of the tokens of issuer (a trailing slash is
// dropped) for audience ("" means the issuer, as New's Config). now nil means time.Now.
func NewAccessTokenVerifier(store VerifierStore, pub PublicKeys, issuer, audience string, now func() time.Time) *AccessTokenVerifier {
	issuer = strings.TrimRight(issuer, "/")
	if audience == "" {
		audience = issuer
	}
	if now == nil {
		now = time.Now
	}
	return &AccessTokenVerifier{store: store, keys: pub, issuer: issuer, audience: audience, now: now}
}

// VerifyAccessToken verifies a JWT access token (signature with a published key, typ at+jwt,
// iss, aud, nbf, iat, exp, denylist, its client still registered: deleting a client ends
// its access tokens at once, and its user's: the user must exist and the token must not predate
// the user's CredentialsChangedAt). Failures are invalid_token or expired_token.
//
// Only RS256 and ES256 are accepted, and the key is the published key the header's kid names
// with the algorithm that key was made for; "none", HMAC (e.g. HS256 keyed with the public
// key) and tokens of another typ (an ID token is typ JWT) are refused. A token whose signature
// checked out before skips the signature check (verifiedcache.go); every other check runs on
// every call.
func (v *AccessTokenVerifier) VerifyAccessToken(ctx context.Context, raw string) (*gatehouse.AccessToken, error) {
	if len(raw) > maxJWTLen || !looksLikeJWT(raw) {
		return nil, errInvalidAccessToken
	}
	sum := sha256.Sum256([]byte(raw))
	tok, ok := v.verified.get(sum)
	if ok {
		// The signing key must still be published (retired keys' tokens fail at once).
		if _, _, err := v.keys.PublicKey(ctx, tok.kid); errors.Is(err, keys.ErrUnknownKey) {
			v.verified.drop(sum)
			return nil, errInvalidAccessToken
		} else if err != nil {
			return nil, fmt.Errorf("oauth: verification key: %w", err) // fail closed
		}
	} else {
		var err error
		if tok, err = v.verifySignature(ctx, raw); err != nil {
			return nil, err
		}
	}
	c := tok.claims
	now := v.now()
	switch {
	case c.Issuer != v.issuer || c.JTI == "" || c.Subject == "" || c.ClientID == "" || c.Expiry == 0:
		return nil, errInvalidAccessToken
	case !slices.Contains(c.Audience, v.audience):
		return nil, errInvalidAccessToken
	case c.NotBefore != 0 && time.Unix(c.NotBefore, 0).After(now.Add(clockSkew)):
		return nil, errInvalidAccessToken
	case c.IssuedAt != 0 && time.Unix(c.IssuedAt, 0).After(now.Add(clockSkew)):
		return nil, errInvalidAccessToken
	case !now.Before(time.Unix(c.Expiry, 0)):
		return nil, errExpiredAccessToken
	}
	denied, err := v.store.AccessTokenDenied(ctx, c.JTI)
	if err != nil {
		return nil, fmt.Errorf("oauth: denylist: %w", err) // fail closed
	}
	if denied {
		return nil, errInvalidAccessToken
	}
	// One lookup, served by the credential cache like the denylist's (store/credcache).
	if c.ClientID != gatehouse.BuiltInCLIClientID { // the built-in client is code, not a row
		if _, err := v.store.OAuthClientByID(ctx, c.ClientID); errors.Is(err, gatehouse.ErrNotFound) {
			return nil, errInvalidAccessToken // the client was deleted
		} else if err != nil {
			return nil, fmt.Errorf("oauth: client: %w", err) // fail closed
		}
	}
	if c.Subject != c.ClientID {
		// The user's credentials may have changed since (a password change or reset, a claim,
		// revoke-sessions): one more lookup, served by the credential cache like the others.
		if err := v.checkNotRevoked(ctx, c.Subject, time.Unix(c.IssuedAt, 0)); err != nil {
			return nil, err
		}
	}
	if !ok {
		v.verified.put(sum, tok) // a valid token: remember its signature checked out
	}
	return &gatehouse.AccessToken{
		JTI:       c.JTI,
		ClientID:  c.ClientID,
		Subject:   c.Subject,
		Scopes:    splitScope(c.Scope),
		Audience:  slices.Clone(c.Audience),
		IssuedAt:  time.Unix(c.IssuedAt, 0).UTC(),
		ExpiresAt: time.Unix(c.Expiry, 0).UTC(),
	}, nil
}

// checkNotRevoked refuses (invalid_token) an access token of userID issued at iat when the user
// is gone or changed credentials after iat (gatehouse.User.AccessTokenRevoked).
func (v *AccessTokenVerifier) checkNotRevoked(ctx context.Context, userID string, iat time.Time) error {
	u, err := v.store.UserByID(ctx, userID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return errInvalidAccessToken
	}
	if err != nil {
		return fmt.Errorf("oauth: user: %w", err) // fail closed
	}
	if u.AccessTokenRevoked(iat) {
		return errInvalidAccessToken
	}
	return nil
}

// verifySignature parses raw and checks its signature: one signature, typ at+jwt, a kid naming a
// published key whose algorithm is the header's alg (an RSA key never verifies an ES256 header,
// nor an EC key an RS256 one), RS256 or ES256 only. It returns the kid and the decoded claims.
func (v *AccessTokenVerifier) verifySignature(ctx context.Context, raw string) (verifiedToken, error) {
	jws, err := jose.ParseSignedCompact(raw, verifiableAlgorithms)
	if err != nil || len(jws.Signatures) != 1 {
		return verifiedToken{}, errInvalidAccessToken
	}
	h := jws.Signatures[0].Protected
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	if !isAccessTokenType(typ) || h.KeyID == "" {
		return verifiedToken{}, errInvalidAccessToken
	}
	pub, alg, err := v.keys.PublicKey(ctx, h.KeyID)
	if errors.Is(err, keys.ErrUnknownKey) {
		return verifiedToken{}, errInvalidAccessToken
	}
	if err != nil {
		return verifiedToken{}, fmt.Errorf("oauth: verification key: %w", err) // fail closed, as an internal error
	}
	if alg != h.Algorithm {
		return verifiedToken{}, errInvalidAccessToken
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return verifiedToken{}, errInvalidAccessToken
	}
	vt := verifiedToken{kid: h.KeyID}
	if err := json.Unmarshal(payload, &vt.claims); err != nil {
		return verifiedToken{}, errInvalidAccessToken
	}
	return vt, nil
}
