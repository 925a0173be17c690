package oauth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/keys"
)

// Media types of the tokens (JOSE "typ").
const (
	typAccessToken = "at+jwt" // RFC 9068 2.1
	typIDToken     = "JWT"
)

// verifiableAlgorithms are the only JWS algorithms a token may claim: alg "none", HMAC and
// anything else never reach a key.
var verifiableAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// maxJWTLen bounds the work spent on a presented JWT.
const maxJWTLen = 8 << 10

// clockSkew is how far in the future a token's iat or nbf may be (instances' clocks differ).
const clockSkew = time.Minute

var (
	errInvalidAccessToken = &gatehouse.Error{Code: gatehouse.CodeInvalidToken, Message: "The access token is invalid."}
	errExpiredAccessToken = &gatehouse.Error{Code: gatehouse.CodeExpiredToken, Message: "The access token has expired."}
)

// audience is "aud": one string or an array (RFC 7519 4.1.3).
type audience []string

func (a audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// accessClaims are an access token's claims (RFC 9068 2.2).
type accessClaims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  audience `json:"aud"`
	Expiry    int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	NotBefore int64    `json:"nbf,omitempty"`
	JTI       string   `json:"jti"`
	ClientID  string   `json:"client_id"`
	Scope     string   `json:"scope,omitempty"`
	AuthTime  int64    `json:"auth_time,omitempty"`
}

// issuedAccess is a minted access token.
type issuedAccess struct {
	Raw       string
	JTI       string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// expiresIn is the token's lifetime in whole seconds, as "exp" minus "iat".
func (a *issuedAccess) expiresIn() int64 { return a.ExpiresAt.Unix() - a.IssuedAt.Unix() }

// sign signs claims with the current key of alg under the given typ.
func (p *Provider) sign(ctx context.Context, alg, typ string, claims any) (string, error) {
	kid, key, alg, err := p.keys.Signer(ctx, alg)
	if err != nil {
		return "", fmt.Errorf("oauth: signing key: %w", err)
	}
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg}}, opts)
	if err != nil {
		return "", fmt.Errorf("oauth: signer: %w", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("oauth: sign: %w", err)
	}
	return jws.CompactSerialize()
}

// newJTI returns a random token identifier (128 bits).
func (p *Provider) newJTI() (string, error) { return p.randomString(16) }

// mintAccessToken signs an access token with the given jti and expiry (chosen by the caller, so
// that a code redemption can record them before the token exists). nbf is now; iat is iat, which
// is now or, for a user whose credentials changed within now's second, the next second
// (gatehouse.User.AccessTokenIssuedAt: the token must outlive the change).
func (p *Provider) mintAccessToken(ctx context.Context, jti, clientID, subject string, scopes []string, authTime time.Time, exp, now, iat time.Time) (string, error) {
	c := accessClaims{
		Issuer:    p.cfg.Issuer,
		Subject:   subject,
		Audience:  audience{p.cfg.Audience},
		Expiry:    exp.Unix(),
		IssuedAt:  iat.Unix(),
		NotBefore: now.Unix(),
		JTI:       jti,
		ClientID:  clientID,
		Scope:     strings.Join(scopes, " "),
	}
	if !authTime.IsZero() {
		c.AuthTime = authTime.Unix()
	}
	return p.sign(ctx, p.cfg.AccessTokenAlg, typAccessToken, c)
}

// issueAccessToken mints a fresh access token of the user u (nil: of the client itself, for
// client_credentials).
func (p *Provider) issueAccessToken(ctx context.Context, clientID string, u *gatehouse.User, scopes []string, authTime time.Time) (*issuedAccess, error) {
	jti, err := p.newJTI()
	if err != nil {
		return nil, err
	}
	now := p.now()
	exp := p.accessExpiry(now)
	subject, iat := clientID, now
	if u != nil {
		subject, iat = u.ID, u.AccessTokenIssuedAt(now)
	}
	raw, err := p.mintAccessToken(ctx, jti, clientID, subject, scopes, authTime, exp, now, iat)
	if err != nil {
		return nil, err
	}
	return &issuedAccess{Raw: raw, JTI: jti, IssuedAt: now, ExpiresAt: exp}, nil
}

// accessExpiry is the expiry of an access token issued at now, in whole seconds (as "exp" says).
func (p *Provider) accessExpiry(now time.Time) time.Time {
	return now.Add(p.cfg.AccessTokenTTL).Truncate(time.Second)
}

// looksLikeJWT reports whether s has the shape of a compact JWS (three dot-separated parts).
func looksLikeJWT(s string) bool { return strings.Count(s, ".") == 2 }

// VerifyAccessToken verifies a JWT access token with the provider's verifier (verifier.go).
func (p *Provider) VerifyAccessToken(ctx context.Context, raw string) (*gatehouse.AccessToken, error) {
	return p.verifier.VerifyAccessToken(ctx, raw)
}

// isAccessTokenType accepts "at+jwt" and "application/at+jwt", case-insensitively (RFC 9068
// 4, RFC 7515 4.1.9).
func isAccessTokenType(typ string) bool {
	t := strings.ToLower(typ)
	return t == typAccessToken || t == "application/"+typAccessToken
}

// idClaims are an ID token's claims (OIDC Core 2, 5.1).
type idClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	AZP      string `json:"azp"`
	Expiry   int64  `json:"exp"`
	IssuedAt int64  `json:"iat"`
	AuthTime int64  `json:"auth_time,omitempty"`
	Nonce    string `json:"nonce,omitempty"`
	AtHash   string `json:"at_hash,omitempty"`
}

// mintIDToken signs an ID token for u and the client, with the profile and email claims the
// scopes allow.
func (p *Provider) mintIDToken(ctx context.Context, u *gatehouse.User, clientID string, scopes []string, authTime time.Time, nonce, accessToken string) (string, error) {
	now := p.now()
	c := idClaims{
		Issuer:   p.cfg.Issuer,
		Subject:  u.ID,
		Audience: clientID,
		AZP:      clientID,
		Expiry:   now.Add(p.cfg.IDTokenTTL).Unix(),
		IssuedAt: now.Unix(),
		Nonce:    nonce,
	}
	if !authTime.IsZero() {
		c.AuthTime = authTime.Unix()
	}
	if accessToken != "" {
		c.AtHash = atHash(accessToken)
	}
	claims, err := structToMap(c)
	if err != nil {
		return "", err
	}
	for k, v := range userClaims(u, scopes) {
		claims[k] = v
	}
	return p.sign(ctx, keys.RS256, typIDToken, claims)
}

// atHash is the left half of the SHA-256 of the access token, base64url (OIDC Core 3.1.3.6;
// SHA-256 fits RS256 and ES256 alike).
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// userClaims are the OIDC standard claims of u that the scopes allow (OIDC Core 5.4).
func userClaims(u *gatehouse.User, scopes []string) map[string]any {
	out := map[string]any{}
	if slices.Contains(scopes, auth.ScopeProfile) {
		out["preferred_username"] = u.Username
		name := u.DisplayName
		if name == "" {
			name = u.Username
		}
		out["name"] = name
		if u.AvatarURL != "" {
			out["picture"] = u.AvatarURL
		}
		out["updated_at"] = u.UpdatedAt.Unix()
	}
	if slices.Contains(scopes, auth.ScopeEmail) && u.Email != "" {
		out["email"] = u.Email
		out["email_verified"] = u.EmailVerified
	}
	return out
}

func structToMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // times stay integers
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// isDomainError reports whether err is a *gatehouse.Error (not an internal failure).
func isDomainError(err error) bool {
	var e *gatehouse.Error
	return errors.As(err, &e)
}
