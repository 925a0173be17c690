package auth

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/authz"
	"github.com/gatehouse-auth/gatehouse/token"
)

// Audit event types of personal access tokens.
const (
	EventTokenIssued  = "token.issued"
	EventTokenRevoked = "token.revoked"
)

// PAT expiry choices (API.md: expires_in).
var patLifetimes = map[string]time.Duration{
	"30d":   30 * 24 * time.Hour,
	"90d":   90 * 24 * time.Hour,
	"1y":    365 * 24 * time.Hour,
	"never": 0,
}

const (
	maxPATNameLen = 64 // characters
	maxPATScopes  = 64
)

// PATInput is a request for a new personal access token.
type PATInput struct {
	Name      string   // 1–64 characters
	ExpiresIn string   // "30d", "90d", "1y" or "never"
	Scopes    []string // optional "resource:action" scopes; none: not limited
}

// PATGrant is a new personal access token and its secret, which is shown only here.
type PATGrant struct {
	Token string
	PAT   *gatehouse.PersonalAccessToken
}

var errPATManagement = gatehouse.Errorf(gatehouse.CodeInsufficientPerms, "Only a person's account may manage personal access tokens.")

// PATsStore is what the personal-access-token use cases read and write: the tokens and the
// audit trail.
type PATsStore interface {
	gatehouse.PATStore
	auditAppender
}

// PATs creates, lists and revokes a person's personal access tokens (checking a PAT is the
// verification machinery's, Service). It holds only PATsStore. Safe for concurrent use.
type PATs struct {
	recorder // clock, randomness, logger, audit trail
	authorizer
	store     PATsStore
	tokens    token.Generator
	resources []string // Config.APIResources
}

// NewPATs returns the PAT service of cfg (Brand, APIResources, the authorizer's settings);
// opts' Now, Random and Logger are used.
func NewPATs(store PATsStore, cfg Config, opts Options) *PATs {
	r := newRecorder(opts, store)
	return &PATs{recorder: r, authorizer: newAuthorizer(r.now, cfg), store: store,
		tokens: token.Generator{Brand: cfg.Brand, Rand: opts.Random}, resources: cfg.APIResources}
}

// canManagePATs reports whether p may list and revoke personal access tokens: a person (not an
// agent, not an organization's API key) signed in with a session, one of their PATs or an
// access token of the built-in CLI (never a third-party application's token).
func canManagePATs(p *gatehouse.Principal) error {
	if p.User == nil || p.User.Kind != gatehouse.KindUser || p.APIKey != nil {
		return errPATManagement
	}
	if thirdPartyApp(p) {
		return errThirdPartyApp
	}
	return nil
}

// Create issues a personal access token to the caller.
//
// Only a person signed in with a session (or the built-in CLI's access token, which `gatehouse
// tokens create` uses like a session) may create one: a PAT may list and revoke its user's
// tokens but not mint new ones, so that a leaked token cannot make itself long-lived siblings
// that survive its own revocation; agents (whose owner verifies and rotates them) may not create
// PATs at all. The user may hold at most gatehouse.MaxActivePATs active tokens
// (token_limit_reached, enforced atomically by the store).
func (s *PATs) Create(ctx context.Context, p *gatehouse.Principal, in PATInput, meta Meta) (*PATGrant, error) {
	if err := canManagePATs(p); err != nil {
		return nil, err
	}
	if err := s.Authorize(p, authz.Mint); err != nil { // a PAT never mints a PAT
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "name is required.")
	}
	if err := checkProfileText("name", name, maxPATNameLen); err != nil {
		return nil, err
	}
	if strings.Contains(name, "\n") {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "name may not contain line breaks.")
	}
	lifetime, ok := patLifetimes[in.ExpiresIn]
	if !ok {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, `expires_in must be "30d", "90d", "1y" or "never".`)
	}
	scopes, err := s.normalizeScopes(in.Scopes)
	if err != nil {
		return nil, err
	}
	tok, err := s.tokens.New(token.KindPAT)
	if err != nil {
		return nil, err
	}
	now := s.now()
	pat := &gatehouse.PersonalAccessToken{
		ID:        s.newID(gatehouse.PrefixPAT),
		UserID:    p.User.ID,
		Name:      name,
		TokenHash: token.Hash(tok),
		Prefix:    token.DisplayPrefix(tok),
		Scopes:    scopes,
		CreatedAt: now,
	}
	if lifetime > 0 {
		exp := now.Add(lifetime)
		pat.ExpiresAt = &exp
	}
	if err := s.store.CreatePAT(ctx, pat, gatehouse.MaxActivePATs, now); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.CodeTokenLimitReached {
			return nil, gatehouse.Errorf(gatehouse.CodeTokenLimitReached, "You already have %d active personal access tokens; revoke one first.", gatehouse.MaxActivePATs)
		}
		return nil, err
	}
	details := map[string]any{"kind": gatehouse.CredentialPAT, "name": name, "scopes": scopes, "prefix": pat.Prefix}
	if pat.ExpiresAt != nil {
		details["expires_at"] = pat.ExpiresAt.Format(time.RFC3339)
	}
	s.audit(ctx, EventTokenIssued, p.User.ID, pat.ID, meta, details)
	return &PATGrant{Token: tok, PAT: pat}, nil
}

// normalizeScopes validates the requested scopes and drops duplicates, keeping their order.
// The reserved gatehouse:verify scope is never granted to a PAT.
func (s *PATs) normalizeScopes(scopes []string) ([]string, error) {
	if len(scopes) > maxPATScopes {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A token may have at most %d scopes.", maxPATScopes)
	}
	if err := gatehouse.ValidateScopes(scopes, s.resources, false); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(scopes))
	for _, sc := range scopes {
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// List returns the caller's active personal access tokens, newest first.
func (s *PATs) List(ctx context.Context, p *gatehouse.Principal) ([]gatehouse.PersonalAccessToken, error) {
	if err := canManagePATs(p); err != nil {
		return nil, err
	}
	return s.store.ListPATs(ctx, p.User.ID, s.now())
}

// Revoke revokes one of the caller's personal access tokens; not_found for anyone else's or
// an already revoked one. It fails from the next request on, on every instance (every check
// reads the token's row).
func (s *PATs) Revoke(ctx context.Context, p *gatehouse.Principal, id string, meta Meta) error {
	if err := canManagePATs(p); err != nil {
		return err
	}
	if err := s.store.RevokePAT(ctx, p.User.ID, id, s.now(), "revoked_by_user"); err != nil {
		if errors.Is(err, gatehouse.ErrNotFound) {
			return gatehouse.Errorf(gatehouse.CodeNotFound, "No such token.")
		}
		return err
	}
	s.audit(ctx, EventTokenRevoked, p.User.ID, id, meta, map[string]any{"kind": gatehouse.CredentialPAT, "reason": "revoked_by_user"})
	return nil
}

// APIResources returns the resource names the operator configured for scopes
// (GATEHOUSE_API_RESOURCES), in their configured order: what a form offers as
// "resource:read" and "resource:write" choices. The slice is a copy.
func (s *PATs) APIResources() []string {
	return append([]string(nil), s.resources...)
}
