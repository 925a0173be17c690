package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"

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
	base
	authorizer
	store     OAuthClientsStore
	brand     string
	tokens    token.Generator
	resources []string // Config.APIResources
}

// NewOAuthClients returns the OAuth client service of cfg (Brand, APIResources and the
// authorizer's settings); opts' Now, Random and Logger are used.
func NewOAuthClients(store OAuthClientsStore, cfg Config, opts Options) *OAuthClients {
	b := newBase(opts)
	return &OAuthClients{base: b, authorizer: newAuthorizer(b.now, cfg), store: store, brand: cfg.Brand,
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
	s.auditOrgEvent(ctx, EventOAuthClientCreated, orgID, p.User.ID, c.ID, meta, map[string]any{
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
	s.auditOrgEvent(ctx, EventOAuthClientDeleted, orgID, p.User.ID, id, meta, nil)
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
	s.auditOrgEvent(ctx, EventOAuthClientSecretRotated, orgID, p.User.ID, id, meta, map[string]any{"secret_prefix": prefix})
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

// checkInput validates in and returns the client it describes (without identity or
// secret). The rules:
//   - name: 1–64 characters, no control characters;
//   - grant_types: non-empty, from authorization_code, refresh_token, client_credentials and the
//     device code grant; implicit and password are refused by name; public clients cannot use
//     client_credentials; refresh_token needs authorization_code or device_code;
//   - redirect_uris: required with authorization_code and only allowed with it; see
//     redirectURIProblem;
//   - scopes: non-empty; openid, profile, email, offline_access (only with refresh_token) and
//     resource scopes (Config.APIResources); the reserved gatehouse:verify is never an OAuth
//     client's; gatehouse:introspect (administrators only, checked by CreateOAuthClient) needs
//     the client_credentials grant and is never put on a token.
func (s *OAuthClients) checkInput(in OAuthClientInput) (*gatehouse.OAuthClient, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "name is required.")
	}
	if err := checkProfileText("name", name, maxOAuthClientNameLen); err != nil {
		return nil, err
	}
	grants, err := checkGrantTypes(in.GrantTypes, in.Public)
	if err != nil {
		return nil, err
	}
	uris, err := checkRedirectURIs(in.RedirectURIs, grants, in.Public)
	if err != nil {
		return nil, err
	}
	scopes, err := s.checkScopes(in.Scopes, grants)
	if err != nil {
		return nil, err
	}
	return &gatehouse.OAuthClient{Name: name, Public: in.Public, RedirectURIs: uris, GrantTypes: grants, Scopes: scopes}, nil
}

func checkGrantTypes(in []string, public bool) ([]string, error) {
	grants := compactScopes(in)
	if len(grants) == 0 {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "grant_types must name at least one of %s.", strings.Join(knownGrantTypes, ", "))
	}
	for _, g := range grants {
		switch {
		case g == "implicit" || g == "token":
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The implicit grant is not supported (OAuth 2.0 Security BCP); use authorization_code with PKCE.")
		case g == "password":
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The password grant is not supported (OAuth 2.0 Security BCP); use authorization_code with PKCE or the device code grant.")
		case !slices.Contains(knownGrantTypes, g):
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Unknown grant type %q (known: %s).", truncate(g, 64), strings.Join(knownGrantTypes, ", "))
		}
	}
	if public && slices.Contains(grants, GrantClientCredentials) {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Public clients cannot use client_credentials: they have no secret.")
	}
	if slices.Contains(grants, GrantRefreshToken) && !slices.Contains(grants, GrantAuthorizationCode) && !slices.Contains(grants, GrantDeviceCode) {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "refresh_token needs authorization_code or the device code grant.")
	}
	return grants, nil
}

// checkRedirectURIs checks the redirect URIs: required with authorization_code (and refused
// without it), at most 20, duplicates dropped, each as redirectURIProblem says.
func checkRedirectURIs(in []string, grants []string, public bool) ([]string, error) {
	if len(in) > maxRedirectURIs {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "redirect_uris may have at most %d entries.", maxRedirectURIs)
	}
	code := slices.Contains(grants, GrantAuthorizationCode)
	if code && len(in) == 0 {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "redirect_uris is required with the authorization_code grant.")
	}
	if !code && len(in) > 0 {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "redirect_uris are only used by the authorization_code grant.")
	}
	out := make([]string, 0, len(in))
	for i, u := range in {
		if problem := redirectURIProblem(u, public); problem != "" {
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "redirect_uris[%d]: %s", i, problem)
		}
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out, nil
}

// redirectURIProblem checks one redirect URI (stored as given: /authorize matches it exactly)
// and returns what is wrong with it, "" when nothing:
//   - absolute, at most 2000 bytes, no spaces or control characters, no fragment (RFC 6749
//     §3.1.2), no user information;
//   - https with a host; or http only on a loopback host — 127.0.0.1, [::1] or localhost (RFC
//     8252 §7.3; any port);
//   - or, for public (native) clients only, a private-use scheme in reverse-DNS form with a dot,
//     such as com.example.app:/callback (RFC 8252 §7.1). That rule also keeps out javascript:,
//     data:, file: and the like.
func redirectURIProblem(raw string, public bool) string {
	if raw == "" {
		return "a redirect URI may not be empty."
	}
	if len(raw) > maxRedirectURILen {
		return fmt.Sprintf("a redirect URI has at most %d bytes.", maxRedirectURILen)
	}
	for _, r := range raw {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "a redirect URI may not contain spaces or control characters."
		}
	}
	if strings.Contains(raw, "#") {
		return "a redirect URI may not have a fragment (#)."
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "a redirect URI must be an absolute URI such as https://app.example.com/callback."
	}
	if u.User != nil {
		return "a redirect URI may not contain user information."
	}
	switch scheme := strings.ToLower(u.Scheme); scheme {
	case "https":
		if u.Hostname() == "" {
			return "an https redirect URI needs a host."
		}
	case "http":
		switch u.Hostname() {
		case "127.0.0.1", "::1", "localhost":
		default:
			return "http is allowed only on loopback hosts (127.0.0.1, [::1], localhost); use https."
		}
	default:
		if !public {
			return "custom URI schemes are for public (native) clients; confidential clients use https."
		}
		if !strings.Contains(scheme, ".") {
			return "a custom URI scheme must be in reverse-DNS form, such as com.example.app:/callback."
		}
		if u.Opaque == "" && u.Path == "" && u.Host == "" {
			return "a custom-scheme redirect URI needs a path, such as com.example.app:/callback."
		}
	}
	return ""
}

// checkScopes checks the scopes a client may request.
func (s *OAuthClients) checkScopes(in []string, grants []string) ([]string, error) {
	scopes := compactScopes(in)
	if len(scopes) == 0 {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "scopes must name at least one scope, e.g. \"openid\" or \"calls:read\".")
	}
	if len(scopes) > maxOAuthClientScopes {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A client may have at most %d scopes.", maxOAuthClientScopes)
	}
	var resource []string
	for _, sc := range scopes {
		switch {
		case sc == gatehouse.ReservedScopeVerify:
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "%s cannot be given to an OAuth client.", sc)
		case sc == gatehouse.ReservedScopeIntrospect:
			if !slices.Contains(grants, GrantClientCredentials) {
				return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "%s is for confidential service clients: it needs the client_credentials grant.", sc)
			}
			// a grant of the client itself, checked by CreateOAuthClient (administrators only)
		case sc == ScopeOfflineAccess && !slices.Contains(grants, GrantRefreshToken):
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "offline_access needs the refresh_token grant.")
		case slices.Contains(oidcScopes, sc):
		default:
			resource = append(resource, sc)
		}
	}
	if err := gatehouse.ValidateScopes(resource, s.resources, false); err != nil {
		var e *gatehouse.Error
		if errors.As(err, &e) && e.Code == gatehouse.CodeInvalidRequest {
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "%s Scopes are %s or resource:read / resource:write.", e.Message, strings.Join(oidcScopes, ", "))
		}
		return nil, err
	}
	return scopes, nil
}

// auditOrgEvent records an event of the organization orgID.
func (s *OAuthClients) auditOrgEvent(ctx context.Context, typ, orgID, actor, subject string, meta Meta, details map[string]any) {
	s.writeAudit(ctx, s.store, orgEvent(typ, orgID, actor, subject, meta, details))
}
