package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
)

// Audit event types of API keys. Every one carries the organization's ID (OrgID).
const (
	EventAPIKeyCreated = "api_key.created"
	EventAPIKeyRevoked = "api_key.revoked"
	EventAPIKeyRotated = "api_key.rotated"
)

// Bounds of API keys.
const (
	maxAPIKeyNameLen = 64
	maxAPIKeyScopes  = 64
	maxAPIKeyCIDRs   = 100
	// DefaultRotationOverlap is how long a rotated key keeps working when the caller names no
	// overlap; MaxRotationOverlap is the longest overlap allowed.
	DefaultRotationOverlap = 24 * time.Hour
	MaxRotationOverlap     = 7 * 24 * time.Hour
)

// APIKeyInput is a request for a new API key.
type APIKeyInput struct {
	Name         string
	Scopes       []string // resource:action, checked against Config.APIResources
	Environment  string   // gatehouse.EnvironmentLive or gatehouse.EnvironmentTest
	AllowedCIDRs []string // prefixes or bare addresses (/32, /128), IPv4 or IPv6; empty: any
	ExpiresAt    *time.Time
	RateLimit    string // "N/s", "N/m", "N/h" or "N/d"; "": none
}

// APIKeyGrant is a new API key and its secret, which is shown only here.
type APIKeyGrant struct {
	Key    string
	APIKey *gatehouse.APIKey
}

// APIKeysStore is what the API key use cases read and write: the keys, the caller's role in
// the organization and the audit trail.
type APIKeysStore interface {
	gatehouse.APIKeyStore
	memberRoles
	auditAppender
}

// APIKeys manages organizations' API keys (owners and admins): create, list, revoke, rotate.
// Checking a key is the verification machinery's (Service). It holds only APIKeysStore. Safe for
// concurrent use.
type APIKeys struct {
	recorder // clock, randomness, logger, audit trail
	authorizer
	store     APIKeysStore
	tokens    token.Generator
	resources []string // Config.APIResources
}

// NewAPIKeys returns the API key service of cfg (Brand, APIResources, the authorizer's
// settings); opts' Now, Random and Logger are used.
func NewAPIKeys(store APIKeysStore, cfg Config, opts Options) *APIKeys {
	r := newRecorder(opts, store)
	return &APIKeys{recorder: r, authorizer: newAuthorizer(r.now, cfg), store: store,
		tokens: token.Generator{Brand: cfg.Brand, Rand: opts.Random}, resources: cfg.APIResources}
}

// Create creates an API key of the organization (owners and admins). Only instance
// administrators may grant gatehouse:verify.
func (s *APIKeys) Create(ctx context.Context, p *gatehouse.Principal, orgID string, in APIKeyInput, meta Meta) (*APIKeyGrant, error) {
	if _, err := s.keyManager(ctx, p, orgID); err != nil {
		return nil, err
	}
	if err := s.grantsReserved(p, in.Scopes); err != nil {
		return nil, err
	}
	now := s.now()
	k, err := s.checkInput(in, s.IsAdmin(p.User), now)
	if err != nil {
		return nil, err
	}
	k.OrgID, k.CreatedBy, k.CreatedAt = orgID, p.User.ID, now
	key, err := s.newSecret(k)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateAPIKey(ctx, k); err != nil {
		return nil, fmt.Errorf("create API key: %w", err)
	}
	s.auditOrg(ctx, EventAPIKeyCreated, orgID, p.User.ID, k.ID, meta, map[string]any{
		"name": k.Name, "environment": k.Environment, "scopes": k.Scopes, "prefix": k.Prefix,
	})
	return &APIKeyGrant{Key: key, APIKey: k}, nil
}

// keyManager checks that the caller is a user (not an API key) who owns or administers orgID.
func (s *APIKeys) keyManager(ctx context.Context, p *gatehouse.Principal, orgID string) (gatehouse.Role, error) {
	if p.APIKey != nil || p.User == nil {
		return "", gatehouse.Errorf(gatehouse.CodeInsufficientPerms, "API keys cannot manage API keys.")
	}
	if thirdPartyApp(p) {
		return "", errThirdPartyApp
	}
	return orgManagerOf(ctx, s.store, p, orgID)
}

// newSecret generates k's secret and sets its ID, hash and display prefix.
func (s *APIKeys) newSecret(k *gatehouse.APIKey) (string, error) {
	kind := token.KindAPIKeyLive
	if k.Environment == gatehouse.EnvironmentTest {
		kind = token.KindAPIKeyTest
	}
	key, err := s.tokens.New(kind)
	if err != nil {
		return "", err
	}
	k.ID = s.newID(gatehouse.PrefixAPIKey)
	k.TokenHash = token.Hash(key)
	k.Prefix = token.DisplayPrefix(key)
	return key, nil
}

// checkInput validates in and returns the key it describes (without identity or secret).
func (s *APIKeys) checkInput(in APIKeyInput, admin bool, now time.Time) (*gatehouse.APIKey, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "name is required.")
	}
	if err := checkProfileText("name", name, maxAPIKeyNameLen); err != nil {
		return nil, err
	}
	if in.Environment != gatehouse.EnvironmentLive && in.Environment != gatehouse.EnvironmentTest {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "environment must be %q or %q.", gatehouse.EnvironmentLive, gatehouse.EnvironmentTest)
	}
	scopes := compactScopes(in.Scopes)
	if len(scopes) == 0 {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "scopes must name at least one scope, e.g. \"calls:read\".")
	}
	if len(scopes) > maxAPIKeyScopes {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A key may have at most %d scopes.", maxAPIKeyScopes)
	}
	if err := gatehouse.ValidateScopes(scopes, s.resources, admin); err != nil {
		return nil, err
	}
	cidrs, err := ParseCIDRs(in.AllowedCIDRs)
	if err != nil {
		return nil, err
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "expires_at must be in the future.")
	}
	k := &gatehouse.APIKey{Name: name, Environment: in.Environment, Scopes: scopes, AllowedCIDRs: cidrs}
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC().Truncate(time.Millisecond)
		k.ExpiresAt = &t
	}
	if in.RateLimit != "" {
		r, err := gatehouse.ParseRate(in.RateLimit)
		if err != nil {
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "rate_limit must look like \"100/m\" (N/s, N/m, N/h or N/d).")
		}
		k.RateLimit = &r
	}
	return k, nil
}

// compactScopes trims the scopes and drops empty and repeated ones, keeping the order.
func compactScopes(in []string) []string {
	out := make([]string, 0, len(in))
	for _, sc := range in {
		sc = strings.TrimSpace(sc)
		if sc != "" && !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// ParseCIDRs parses allowed client addresses: IPv4 or IPv6 prefixes ("10.0.0.0/8",
// "2001:db8::/32") or bare addresses (a /32 or /128). Prefixes are stored masked; IPv4-mapped
// IPv6 addresses and zones are refused.
func ParseCIDRs(in []string) ([]netip.Prefix, error) {
	if len(in) > maxAPIKeyCIDRs {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "allowed_cidrs may have at most %d entries.", maxAPIKeyCIDRs)
	}
	out := make([]netip.Prefix, 0, len(in))
	for i, s := range in {
		s = strings.TrimSpace(s)
		var p netip.Prefix
		if strings.Contains(s, "/") {
			var err error
			p, err = netip.ParsePrefix(s)
			if err != nil {
				return nil, badCIDR(i, s)
			}
		} else {
			a, err := netip.ParseAddr(s)
			if err != nil || a.Zone() != "" {
				return nil, badCIDR(i, s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4In6() {
			return nil, badCIDR(i, s)
		}
		p = p.Masked()
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

func badCIDR(i int, s string) error {
	if len(s) > 64 || !utf8.ValidString(s) {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "allowed_cidrs[%d] is not an IP address or CIDR prefix.", i)
	}
	return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "allowed_cidrs[%d] (%q) is not an IP address or CIDR prefix.", i, s)
}

// List returns the organization's active keys, newest first (owners and admins).
func (s *APIKeys) List(ctx context.Context, p *gatehouse.Principal, orgID string) ([]gatehouse.APIKey, error) {
	if _, err := s.keyManager(ctx, p, orgID); err != nil {
		return nil, err
	}
	return s.store.ListAPIKeys(ctx, orgID, s.now())
}

var errNoSuchAPIKey = &gatehouse.Error{Code: gatehouse.CodeNotFound, Message: "No such API key."}

// Revoke revokes one of the organization's keys at once (owners and admins).
func (s *APIKeys) Revoke(ctx context.Context, p *gatehouse.Principal, orgID, id string, meta Meta) error {
	if _, err := s.keyManager(ctx, p, orgID); err != nil {
		return err
	}
	err := s.store.RevokeAPIKey(ctx, orgID, id, s.now(), "revoked_by_user")
	if errors.Is(err, gatehouse.ErrNotFound) {
		return errNoSuchAPIKey
	}
	if err != nil {
		return err
	}
	s.auditOrg(ctx, EventAPIKeyRevoked, orgID, p.User.ID, id, meta, nil)
	return nil
}

// Rotation is the result of RotateAPIKey: the new key and when the old one stops working.
type Rotation struct {
	APIKeyGrant
	OldID        string
	OldExpiresAt time.Time
}

// Rotate replaces a key with a new one of the same settings (owners and admins). The old
// key keeps working for overlap (nil: DefaultRotationOverlap; 0 ends it at once; at most
// MaxRotationOverlap), or until its own expiry when that is earlier.
func (s *APIKeys) Rotate(ctx context.Context, p *gatehouse.Principal, orgID, id string, overlap *time.Duration, meta Meta) (*Rotation, error) {
	if _, err := s.keyManager(ctx, p, orgID); err != nil {
		return nil, err
	}
	d := DefaultRotationOverlap
	if overlap != nil {
		d = *overlap
	}
	if d < 0 || d > MaxRotationOverlap {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "overlap must be between 0 and 7 days (e.g. \"24h\").")
	}
	old, err := s.store.APIKeyByID(ctx, orgID, id)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errNoSuchAPIKey
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !gatehouse.Active(old.RevokedAt, old.ExpiresAt, now) {
		return nil, errNoSuchAPIKey
	}
	if old.ReplacedBy != "" {
		return nil, gatehouse.Errorf(gatehouse.CodeConflict, "This key was already rotated; rotate its replacement %s instead.", old.ReplacedBy)
	}
	if err := s.grantsReserved(p, old.Scopes); err != nil { // the new key is a new grant
		return nil, err
	}
	next := &gatehouse.APIKey{
		OrgID: orgID, Name: old.Name, Environment: old.Environment,
		Scopes: old.Scopes, AllowedCIDRs: old.AllowedCIDRs, RateLimit: old.RateLimit, ExpiresAt: old.ExpiresAt,
		CreatedBy: p.User.ID, CreatedAt: now,
	}
	key, err := s.newSecret(next)
	if err != nil {
		return nil, err
	}
	oldEnd := now.Add(d)
	if old.ExpiresAt != nil && old.ExpiresAt.Before(oldEnd) {
		oldEnd = *old.ExpiresAt
	}
	err = s.store.RotateAPIKey(ctx, orgID, id, next, oldEnd)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errNoSuchAPIKey
	}
	if err != nil {
		return nil, err
	}
	s.auditOrg(ctx, EventAPIKeyRotated, orgID, p.User.ID, id, meta, map[string]any{
		"new_key_id": next.ID, "old_expires_at": oldEnd.Format(time.RFC3339), "prefix": next.Prefix,
	})
	return &Rotation{APIKeyGrant: APIKeyGrant{Key: key, APIKey: next}, OldID: id, OldExpiresAt: oldEnd}, nil
}
