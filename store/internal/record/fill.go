package record

import (
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// MaxRateLimit is the largest RateLimit.Limit of an API key a store accepts (a signed 32-bit
// count).
const MaxRateLimit = 1<<31 - 1

// MaxMailError is the longest OutboundMail.LastError a store keeps, in bytes.
const MaxMailError = 2000

// FillUser fills an empty ID, a zero CreatedAt (now), a zero UpdatedAt (CreatedAt) and an
// empty Kind (kind), and normalises the times.
func FillUser(u *gatehouse.User, kind string) {
	u.CreatedAt = Time(orNow(u.CreatedAt))
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	u.UpdatedAt, u.DisabledAt = Time(u.UpdatedAt), TimePtr(u.DisabledAt)
	if !u.CredentialsChangedAt.IsZero() {
		u.CredentialsChangedAt = Time(u.CredentialsChangedAt)
	}
	if u.ID == "" {
		u.ID = gatehouse.NewID(gatehouse.PrefixUser, u.CreatedAt, nil)
	}
	if u.Kind == "" {
		u.Kind = kind
	}
}

// FillAPIKey checks k — its token hash (CheckTokenHash), its environment (live or test) and
// its optional rate limit (a count of 1 to MaxRateLimit, a period of at least a millisecond),
// all CodeInvalidRequest — then fills an empty ID and a zero CreatedAt (now), normalises the
// times, and makes nil Scopes and AllowedCIDRs empty.
func FillAPIKey(k *gatehouse.APIKey) error {
	if err := CheckTokenHash(k.TokenHash, "API key"); err != nil {
		return err
	}
	if k.Environment != gatehouse.EnvironmentLive && k.Environment != gatehouse.EnvironmentTest {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The environment must be %q or %q.",
			gatehouse.EnvironmentLive, gatehouse.EnvironmentTest)
	}
	if r := k.RateLimit; r != nil && (r.Limit <= 0 || r.Limit > MaxRateLimit || r.Period < time.Millisecond) {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A rate limit needs a positive count and period.")
	}
	k.CreatedAt = Time(orNow(k.CreatedAt))
	k.ExpiresAt, k.LastUsedAt, k.RevokedAt = TimePtr(k.ExpiresAt), TimePtr(k.LastUsedAt), TimePtr(k.RevokedAt)
	if k.ID == "" {
		k.ID = gatehouse.NewID(gatehouse.PrefixAPIKey, k.CreatedAt, nil)
	}
	k.Scopes = orEmpty(k.Scopes)
	if k.AllowedCIDRs == nil {
		k.AllowedCIDRs = []netip.Prefix{}
	}
	return nil
}

// FillMail checks m has a recipient (CodeInvalidRequest), then fills an empty ID, a zero
// CreatedAt (now) and a zero NextAttemptAt (CreatedAt), normalises the times and clips
// LastError (ClipError).
func FillMail(m *gatehouse.OutboundMail) error {
	if m.To == "" {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A mail needs a recipient.")
	}
	m.CreatedAt = Time(orNow(m.CreatedAt))
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	m.NextAttemptAt, m.SentAt = Time(m.NextAttemptAt), TimePtr(m.SentAt)
	if m.ID == "" {
		m.ID = gatehouse.NewID(gatehouse.PrefixMail, m.CreatedAt, nil)
	}
	m.LastError = ClipError(m.LastError)
	return nil
}

// ClipError returns a delivery error as a store keeps it: at most MaxMailError bytes of
// valid UTF-8.
func ClipError(s string) string {
	if len(s) > MaxMailError {
		s = s[:MaxMailError]
	}
	return strings.ToValidUTF8(s, "")
}

// FillOAuthClient checks c — an organization, not the built-in CLI client's ID
// (ErrClientReserved, CodeConflict), no secret hash when public and a good one
// (CheckClientSecretHash) when confidential — then clears a public client's empty secret to
// nil, fills an empty ID, a zero CreatedAt (now) and a zero UpdatedAt (CreatedAt), normalises
// the times, and makes nil RedirectURIs, GrantTypes and Scopes empty.
func FillOAuthClient(c *gatehouse.OAuthClient) error {
	if c.OrgID == "" {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "An OAuth client needs an organization.")
	}
	if c.ID == gatehouse.BuiltInCLIClientID {
		return ErrClientReserved
	}
	if c.Public {
		if len(c.SecretHash) != 0 {
			return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A public client has no secret.")
		}
		c.SecretHash = nil
	} else if err := CheckClientSecretHash(c.SecretHash); err != nil {
		return err
	}
	c.CreatedAt = Time(orNow(c.CreatedAt))
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	c.UpdatedAt = Time(c.UpdatedAt)
	if c.ID == "" {
		c.ID = gatehouse.NewID(gatehouse.PrefixOAuthClient, c.CreatedAt, nil)
	}
	c.RedirectURIs, c.GrantTypes, c.Scopes = orEmpty(c.RedirectURIs), orEmpty(c.GrantTypes), orEmpty(c.Scopes)
	return nil
}

// FillSigningKey checks k has an algorithm, a private key and a public JWK
// (CodeInvalidRequest), then sets its State to state, fills a zero CreatedAt (created) and an
// empty ID, clears RetiredAt, and sets ActivatedAt: nil unless state is current, else the
// given one or CreatedAt. Times are normalised.
func FillSigningKey(k *gatehouse.SigningKey, state string, created time.Time) error {
	if k == nil || k.Algorithm == "" || len(k.PrivateKey) == 0 || len(k.PublicJWK) == 0 {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A signing key needs an algorithm, a private key and a public JWK.")
	}
	k.State = state
	if k.CreatedAt.IsZero() {
		k.CreatedAt = created
	}
	k.CreatedAt = Time(k.CreatedAt)
	if k.ID == "" {
		k.ID = gatehouse.NewID(gatehouse.PrefixSigningKey, k.CreatedAt, nil)
	}
	k.RetiredAt = nil
	switch {
	case state != gatehouse.KeyStateCurrent:
		k.ActivatedAt = nil
	case k.ActivatedAt == nil:
		k.ActivatedAt = TimePtr(&k.CreatedAt) // a copy
	default:
		k.ActivatedAt = TimePtr(k.ActivatedAt)
	}
	return nil
}
