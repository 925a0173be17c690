package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
)

// Audit event types of OAuth clients. Every one carries the organization's ID (OrgID).
const (
	EventOAuthClientCreated       = "oauth_client.created"
	EventOAuthClientDeleted       = "oauth_client.deleted"
	EventOAuthClientSecretRotated = "oauth_client.secret_rotated"
)

// OAuth grant types a client may register (RFC 6749, RFC 8628). The implicit and password
// grants do not exist here.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
)

// OpenID Connect scopes a client may register besides the resource scopes (resource:action).
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopeOfflineAccess = "offline_access"
)

// Bounds of OAuth clients.
const (
	maxOAuthClientNameLen = 64
	maxRedirectURIs       = 20
	maxRedirectURILen     = 2000
	maxOAuthClientScopes  = 64
)

var (
	knownGrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantDeviceCode}
	oidcScopes      = []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopeOfflineAccess}
)

var (
	errNoSuchOAuthClient = &gatehouse.Error{Code: gatehouse.CodeNotFound, Message: "No such OAuth client in this organization."}
	// errInvalidClient is the one answer to every failed client authentication (unknown client,
	// public client, malformed or wrong secret), like RFC 6749's invalid_client.
	errInvalidClient = &gatehouse.Error{Code: gatehouse.CodeInvalidCredentials, Message: "Invalid client credentials."}
)

// builtInCLIClient returns the built-in public client of `gatehouse login`: the device flow and
// refresh, the OpenID scopes, no redirect URIs, no organization. It is a fresh copy each time.
func builtInCLIClient() *gatehouse.OAuthClient {
	return &gatehouse.OAuthClient{
		ID:         gatehouse.BuiltInCLIClientID,
		Name:       "Gatehouse CLI",
		Public:     true,
		GrantTypes: []string{GrantDeviceCode, GrantRefreshToken},
		Scopes:     []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopeOfflineAccess},
	}
}

// OAuthClientsStore is what the OAuth client use cases read and write: the clients, the
// caller's role in the organization, the audit trail.
type OAuthClientsStore interface {
	gatehouse.OAuthClientStore
	memberRoles
	auditAppender
}

// OAuthClients manages organizations' OAuth clients (owners and admins) and finds and
// authenticates clients for the OAuth endpoints (package oauth). It holds only
// OAuthClientsStore. Safe for concurrent use.
type OAuthClients struct {
	recorder // clock, randomness, logger, audit trail
	authorizer
	store     OAuthClientsStore
	brand     string
	tokens    token.Generator
	resources []string // Config.APIResources
}

// NewOAuthClients returns the OAuth client service of cfg (Brand, APIResources and the
// authorizer's settings); opts' Now, Random and Logger are used.
func NewOAuthClients(store OAuthClientsStore, cfg Config, opts Options) *OAuthClients {
	r := newRecorder(opts, store)
	return &OAuthClients{recorder: r, authorizer: newAuthorizer(r.now, cfg), store: store, brand: cfg.Brand,
		tokens: token.Generator{Brand: cfg.Brand, Rand: opts.Random}, resources: cfg.APIResources}
}

// OAuthClientInput is a request for a new OAuth client.
type OAuthClientInput struct {
	Name         string
	RedirectURIs []string
	GrantTypes   []string
	Scopes       []string // OpenID scopes and resource scopes (resource:action)
	Public       bool
}

// OAuthClientGrant is a new client and, for a confidential client, its secret, which is shown
// only here.
type OAuthClientGrant struct {
	Client *gatehouse.OAuthClient
	Secret string // "" for public clients
}

// clientManager checks that the caller is a user (not an API key) who owns or administers orgID.
func (s *OAuthClients) clientManager(ctx context.Context, p *gatehouse.Principal, orgID string) error {
	if p.APIKey != nil || p.User == nil {
		return gatehouse.Errorf(gatehouse.CodeInsufficientPerms, "API keys cannot manage OAuth clients.")
	}
	if thirdPartyApp(p) {
		return errThirdPartyApp
	}
	_, err := orgManagerOf(ctx, s.store, p, orgID)
	return err
}

// Create registers an OAuth client of the organization (owners and admins). A
// confidential client gets a secret `<brand>_cs_…`, returned only here; only its SHA-256 is
// stored.
func (s *OAuthClients) Create(ctx context.Context, p *gatehouse.Principal, orgID string, in OAuthClientInput, meta Meta) (*OAuthClientGrant, error) {
	if err := s.clientManager(ctx, p, orgID); err != nil {
		return nil, err
	}
	c, err := s.checkInput(in)
	if err != nil {
		return nil, err
	}
	if slices.Contains(c.Scopes, gatehouse.ReservedScopeIntrospect) {
		if err := s.grantsReserved(p, []string{gatehouse.ReservedScopeIntrospect}); err != nil {
			return nil, err
		}
	}
	now := s.now()
	c.ID = s.newID(gatehouse.PrefixOAuthClient)
	c.OrgID, c.CreatedBy, c.CreatedAt, c.UpdatedAt = orgID, p.User.ID, now, now
	var secret string
	if !c.Public {
		if secret, err = s.tokens.New(token.KindClientSecret); err != nil {
			return nil, err
		}
		c.SecretHash, c.SecretPrefix = token.Hash(secret), token.DisplayPrefix(secret)
	}
	if err := s.store.CreateOAuthClient(ctx, c); err != nil {
		return nil, fmt.Errorf("create OAuth client: %w", err)
	}
	s.auditOrg(ctx, EventOAuthClientCreated, orgID, p.User.ID, c.ID, meta, map[string]any{
		"name": c.Name, "public": c.Public, "redirect_uris": c.RedirectURIs, "grant_types": c.GrantTypes,
		"scopes": c.Scopes, "secret_prefix": c.SecretPrefix,
	})
	return &OAuthClientGrant{Client: c, Secret: secret}, nil
}

// List returns the organization's clients, oldest first (owners and admins). The
// built-in client belongs to no organization and is never listed.
func (s *OAuthClients) List(ctx context.Context, p *gatehouse.Principal, orgID string) ([]gatehouse.OAuthClient, error) {
	if err := s.clientManager(ctx, p, orgID); err != nil {
		return nil, err
	}
	return s.store.ListOAuthClients(ctx, orgID)
}

// Get returns one of the organization's clients (owners and admins); a client of
// another organization, or the built-in one, is not_found.
func (s *OAuthClients) Get(ctx context.Context, p *gatehouse.Principal, orgID, id string) (*gatehouse.OAuthClient, error) {
	if err := s.clientManager(ctx, p, orgID); err != nil {
		return nil, err
	}
	return s.get(ctx, orgID, id)
}

func (s *OAuthClients) get(ctx context.Context, orgID, id string) (*gatehouse.OAuthClient, error) {
	if id == gatehouse.BuiltInCLIClientID || id == "" {
		return nil, errNoSuchOAuthClient
	}
	c, err := s.store.OAuthClientByID(ctx, id)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errNoSuchOAuthClient
	}
	if err != nil {
		return nil, err
	}
	if c.OrgID != orgID {
		return nil, errNoSuchOAuthClient
	}
	return c, nil
}

// Delete deletes one of the organization's clients (owners and admins). The built-in
// client cannot be deleted (not_found: it is no organization's).
func (s *OAuthClients) Delete(ctx context.Context, p *gatehouse.Principal, orgID, id string, meta Meta) error {
	if err := s.clientManager(ctx, p, orgID); err != nil {
		return err
	}
	if id == gatehouse.BuiltInCLIClientID || id == "" {
		return errNoSuchOAuthClient
	}
	err := s.store.DeleteOAuthClient(ctx, orgID, id)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return errNoSuchOAuthClient
	}
	if err != nil {
		return err
	}
	s.auditOrg(ctx, EventOAuthClientDeleted, orgID, p.User.ID, id, meta, nil)
	return nil
}

var errPublicNoSecret = &gatehouse.Error{Code: gatehouse.CodeInvalidRequest, Message: "Public clients have no secret to rotate."}

// RotateSecret gives a confidential client a new secret (owners and admins); the old
// one stops working at once. Public clients → invalid_request.
func (s *OAuthClients) RotateSecret(ctx context.Context, p *gatehouse.Principal, orgID, id string, meta Meta) (*OAuthClientGrant, error) {
	if err := s.clientManager(ctx, p, orgID); err != nil {
		return nil, err
	}
	c, err := s.get(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	if c.Public {
		return nil, errPublicNoSecret
	}
	secret, err := s.tokens.New(token.KindClientSecret)
	if err != nil {
		return nil, err
	}
	now := s.now()
	hash, prefix := token.Hash(secret), token.DisplayPrefix(secret)
	err = s.store.RotateOAuthClientSecret(ctx, orgID, id, hash, prefix, now)
	switch {
	case errors.Is(err, gatehouse.ErrNotFound):
		return nil, errNoSuchOAuthClient
	case gatehouse.ErrorCode(err) == gatehouse.CodeInvalidRequest:
		return nil, errPublicNoSecret
	case err != nil:
		return nil, err
	}
	c.SecretHash, c.SecretPrefix, c.UpdatedAt = hash, prefix, now
	s.auditOrg(ctx, EventOAuthClientSecretRotated, orgID, p.User.ID, id, meta, map[string]any{"secret_prefix": prefix})
	return &OAuthClientGrant{Client: c, Secret: secret}, nil
}

// Lookup returns any client by its client_id, for the OAuth endpoints: the built-in
// `gatehouse-cli` from code, the others from the store. Unknown → not_found.
func (s *OAuthClients) Lookup(ctx context.Context, id string) (*gatehouse.OAuthClient, error) {
	if id == gatehouse.BuiltInCLIClientID {
		return builtInCLIClient(), nil
	}
	if id == "" {
		return nil, gatehouse.Errorf(gatehouse.CodeNotFound, "No such OAuth client.")
	}
	c, err := s.store.OAuthClientByID(ctx, id)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, gatehouse.Errorf(gatehouse.CodeNotFound, "No such OAuth client.")
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Authenticate checks a confidential client's credentials: the secret's form and
// checksum first (no database access for garbage), then one lookup and a constant-time compare of
// SHA-256 hashes. Every failure — unknown client, public client, malformed or wrong secret — is
// the same CodeInvalidCredentials error (the token endpoint answers invalid_client).
func (s *OAuthClients) Authenticate(ctx context.Context, id, secret string) (*gatehouse.OAuthClient, error) {
	t, err := token.Parse(secret)
	if err != nil || t.Brand != s.brand || t.Kind != token.KindClientSecret {
		return nil, errInvalidClient
	}
	if id == "" || id == gatehouse.BuiltInCLIClientID {
		return nil, errInvalidClient
	}
	c, err := s.store.OAuthClientByID(ctx, id)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errInvalidClient
	}
	if err != nil {
		return nil, err
	}
	if c.Public || len(c.SecretHash) == 0 || subtle.ConstantTimeCompare(c.SecretHash, token.Hash(secret)) != 1 {
		return nil, errInvalidClient
	}
	return c, nil
}
