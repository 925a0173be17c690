package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// Passkeys is WebAuthn: registering, listing, renaming and deleting a person's passkeys,
// signing in with one (two factors: possession and user verification) and re-authenticating
// with one. It holds only PasskeysStore; it starts sessions through Sessions and shares
// SignIn's lookup and re-authentication record. Safe for concurrent use.
type Passkeys struct {
	recorder   // clock, randomness, logger, audit trail
	authorizer // grant.go: Grant, Authorize, IsAdmin
	mailer     // mailer.go: signInGuard (magic links count as a way in only with mail)
	store      PasskeysStore
	sessions   *Sessions
	signIn     *SignIn
	cfg        Config
}

// PasskeysStore is what Passkeys reads and writes: passkeys, the ceremonies' challenges, the
// audit trail.
type PasskeysStore interface {
	CreatePasskey(ctx context.Context, p *gatehouse.Passkey) error
	DeletePasskey(ctx context.Context, userID, id string, guard *gatehouse.SignInGuard) error
	ListPasskeys(ctx context.Context, userID string) ([]gatehouse.Passkey, error)
	PasskeyByCredentialID(ctx context.Context, credentialID []byte) (*gatehouse.Passkey, *gatehouse.User, error)
	RecordPasskeyUse(ctx context.Context, id string, signCount uint32, backupState bool, credential []byte, at time.Time) error
	RenamePasskey(ctx context.Context, userID, id, name string) error
	SaveChallenge(ctx context.Context, c *gatehouse.Challenge) error
	TakeChallenge(ctx context.Context, id, purpose string, now time.Time) (*gatehouse.Challenge, error)
	auditAppender
}

// NewPasskeys returns the passkey use cases of cfg (Brand, PublicURL: the relying party) over
// store; opts' Now, Random, Logger and Mail are used.
func NewPasskeys(store PasskeysStore, sessions *Sessions, signIn *SignIn, cfg Config, opts Options) *Passkeys {
	r := newRecorder(opts, store)
	return &Passkeys{recorder: r, authorizer: newAuthorizer(r.now, cfg), mailer: mailer{mail: opts.Mail, ids: r.base},
		store: store, sessions: sessions, signIn: signIn, cfg: cfg}
}

// Passkeys (WebAuthn). The relying-party ID is the host of Config.PublicURL and the only origin
// accepted is that URL's origin; an IP-address host cannot be a relying-party ID, so passkeys are
// refused (CodeUnavailable) on such an instance. Ceremony state (the library's SessionData) lives
// in a Challenge for passkeyChallengeTTL, taken exactly once.
//
// The user handle of every credential is the user's ID. Username-first sign-in: for a known user
// with passkeys the options list them in allowCredentials; for an unknown username, or a user
// without passkeys, the options are exactly those of a discoverable (no-username) request, so the
// answer's shape does not say whether the name exists.

// Challenge purposes of the passkey ceremonies.
const (
	PurposePasskeyRegister = "passkey_register"
	PurposePasskeyLogin    = "passkey_login"
	PurposePasskeyReauth   = "passkey_reauth"
)

// Audit event types of passkeys (sign-ins are gatehouse.EventLogin with method "passkey").
const (
	EventPasskeyRegistered = "passkey.registered"
	EventPasskeyRenamed    = "passkey.renamed"
	EventPasskeyDeleted    = "passkey.deleted"
)

const (
	passkeyChallengeTTL = 5 * time.Minute
	maxPasskeyNameLen   = 64
	defaultPasskeyName  = "Passkey"
)

// errPasskeyFailed is the one answer to every failed passkey sign-in.
var errPasskeyFailed = &gatehouse.Error{Code: gatehouse.CodeInvalidCredentials, Message: "The passkey could not be verified."}

var errPasskeyChallenge = gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The passkey challenge has expired or was already used; start again.")

// PasskeyCeremony is the start of a ceremony: the options for navigator.credentials.create or
// .get ({"publicKey": {...}}) and the handle to finish it with.
type PasskeyCeremony struct {
	ChallengeID string
	Options     any // *protocol.CredentialCreation or *protocol.CredentialAssertion
}

// PasskeyRelyingParty returns the relying-party ID (the host) and origin of publicURL, or an error
// when its host cannot be a relying-party ID (empty or an IP address).
func PasskeyRelyingParty(publicURL string) (rpID, origin string, err error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", "", errors.New("passkeys need GATEHOUSE_PUBLIC_URL to be an absolute http(s) URL")
	}
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err == nil {
		return "", "", fmt.Errorf("passkeys need GATEHOUSE_PUBLIC_URL to use a host name (such as localhost), not the IP address %s", host)
	}
	return strings.ToLower(host), u.Scheme + "://" + strings.ToLower(u.Host), nil
}

// relyingParty returns the WebAuthn relying party of this instance.
func (s *Passkeys) relyingParty() (*webauthn.WebAuthn, error) {
	rpID, origin, err := PasskeyRelyingParty(s.cfg.PublicURL)
	if err != nil {
		s.log.Warn("passkeys unavailable", "err", err)
		return nil, gatehouse.Errorf(gatehouse.CodeUnavailable, "Passkeys are not available on this server: %s.", err)
	}
	name := s.cfg.Brand
	if name == "" || name == "gth" {
		name = "Gatehouse"
	}
	rp, err := webauthn.New(&webauthn.Config{RPID: rpID, RPDisplayName: name, RPOrigins: []string{origin}})
	if err != nil {
		return nil, fmt.Errorf("webauthn relying party: %w", err)
	}
	return rp, nil
}

// passkeyUser is a user as the WebAuthn library sees it.
type passkeyUser struct {
	u     *gatehouse.User
	keys  []gatehouse.Passkey
	creds []webauthn.Credential
}

func (p *passkeyUser) WebAuthnID() []byte   { return []byte(p.u.ID) }
func (p *passkeyUser) WebAuthnName() string { return p.u.Username }
func (p *passkeyUser) WebAuthnDisplayName() string {
	if p.u.DisplayName != "" {
		return p.u.DisplayName
	}
	return p.u.Username
}
func (p *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return p.creds }

// passkeyFor returns which of the user's passkeys has the credential ID.
func (p *passkeyUser) passkeyFor(credentialID []byte) *gatehouse.Passkey {
	for i := range p.keys {
		if bytes.Equal(p.keys[i].CredentialID, credentialID) {
			return &p.keys[i]
		}
	}
	return nil
}

// ceremonyOf returns the relying party and u as WebAuthn sees it, for a ceremony with u's
// passkeys.
func (s *Passkeys) ceremonyOf(ctx context.Context, u *gatehouse.User) (*webauthn.WebAuthn, *passkeyUser, error) {
	rp, err := s.relyingParty()
	if err != nil {
		return nil, nil, err
	}
	pu, err := s.loadPasskeyUser(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	return rp, pu, nil
}

// loadPasskeyUser reads u's passkeys and their credential records.
func (s *Passkeys) loadPasskeyUser(ctx context.Context, u *gatehouse.User) (*passkeyUser, error) {
	keys, err := s.store.ListPasskeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	pu := &passkeyUser{u: u, keys: keys}
	for _, k := range keys {
		var c webauthn.Credential
		if err := json.Unmarshal(k.Credential, &c); err != nil {
			return nil, fmt.Errorf("passkey %s: decode credential: %w", k.ID, err)
		}
		pu.creds = append(pu.creds, c)
	}
	return pu, nil
}

// canManagePasskeys admits a person's account (not agents or API keys); what the credential may
// do is the route's permission, and adding or removing a passkey needs a recent session
// (canChangePasskeys).
func canManagePasskeys(p *gatehouse.Principal) error {
	if p.User == nil || p.User.Kind != gatehouse.KindUser || p.APIKey != nil || p.Agent != nil {
		return gatehouse.Errorf(gatehouse.CodeInsufficientPerms, "Passkeys belong to a person's account.")
	}
	return nil
}

// canChangePasskeys admits a person's recent session: adding and removing passkeys are
// sensitive actions.
func (s *Passkeys) canChangePasskeys(p *gatehouse.Principal) error {
	if err := canManagePasskeys(p); err != nil {
		return err
	}
	return s.Authorize(p, authz.Sensitive)
}

// saveCeremony stores the library's session data as a challenge and returns its ID.
func (s *Passkeys) saveCeremony(ctx context.Context, purpose, userID string, sd *webauthn.SessionData) (string, error) {
	data, err := json.Marshal(sd)
	if err != nil {
		return "", err
	}
	now := s.now()
	c := &gatehouse.Challenge{
		ID: s.newID(gatehouse.PrefixChallenge), Purpose: purpose, UserID: userID, Data: data,
		CreatedAt: now, ExpiresAt: now.Add(passkeyChallengeTTL),
	}
	if err := s.store.SaveChallenge(ctx, c); err != nil {
		return "", fmt.Errorf("save challenge: %w", err)
	}
	return c.ID, nil
}

// takeCeremony takes the challenge once and decodes its session data.
func (s *Passkeys) takeCeremony(ctx context.Context, id, purpose string) (*gatehouse.Challenge, *webauthn.SessionData, error) {
	if id == "" {
		return nil, nil, gatehouse.ErrNotFound
	}
	c, err := s.store.TakeChallenge(ctx, id, purpose, s.now())
	if err != nil {
		return nil, nil, err
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(c.Data, &sd); err != nil {
		return nil, nil, fmt.Errorf("challenge %s: decode: %w", id, err)
	}
	return c, &sd, nil
}

// BeginLogin starts a sign-in. The request is always discoverable: the authenticator
// offers the passkeys it holds for this site, and the options are the same for every username
// (unknown, without passkeys, with passkeys), so they tell nothing about the account. A username
// of an active account binds the ceremony to that account (another's passkey is refused).
func (s *Passkeys) BeginLogin(ctx context.Context, username string) (*PasskeyCeremony, error) {
	rp, err := s.relyingParty()
	if err != nil {
		return nil, err
	}
	// One shape for every username (API.md "Enumeration"): always a discoverable request, with no
	// allowCredentials (every Gatehouse passkey is a resident key). A username that names an
	// active account binds the ceremony to it, so that another account's passkey is refused.
	var userID string
	if login := strings.TrimSpace(username); login != "" {
		u, err := s.signIn.lookupLogin(ctx, login)
		switch {
		case errors.Is(err, gatehouse.ErrNotFound):
		case err != nil:
			return nil, err
		case !u.Disabled():
			userID = u.ID
		}
	}
	opts, sd, err := rp.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, fmt.Errorf("begin login: %w", err)
	}
	id, err := s.saveCeremony(ctx, PurposePasskeyLogin, userID, sd)
	if err != nil {
		return nil, err
	}
	return &PasskeyCeremony{ChallengeID: id, Options: opts}, nil
}

// FinishLogin verifies the assertion (credential: the PublicKeyCredential as JSON) and
// signs the passkey's owner in. A sign count that does not increase (a cloned authenticator) is
// refused and audited as auth.failed with reason cloned_authenticator.
func (s *Passkeys) FinishLogin(ctx context.Context, challengeID string, credential json.RawMessage, meta Meta) (*SessionGrant, error) {
	pk, u, err := s.checkAssertion(ctx, PurposePasskeyLogin, challengeID, credential, meta)
	if err != nil {
		return nil, err
	}
	grant, err := s.sessions.startSession(ctx, u, meta, AMRPasskey, AMRUser)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, gatehouse.EventLogin, u.ID, u.ID, meta, map[string]any{"method": "passkey", "passkey_id": pk.ID, "session_id": grant.Session.ID})
	return grant, nil
}

// checkAssertion verifies a passkey assertion answering the challenge challengeID of purpose
// and records the passkey's use; it returns the passkey and its owner. Every failure is audited
// and answered with the generic error.
func (s *Passkeys) checkAssertion(ctx context.Context, purpose, challengeID string, credential json.RawMessage, meta Meta) (*gatehouse.Passkey, *gatehouse.User, error) {
	rp, err := s.relyingParty()
	if err != nil {
		return nil, nil, err
	}
	c, sd, err := s.takeCeremony(ctx, challengeID, purpose)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, nil, s.passkeyLoginFailed(ctx, nil, meta, "unknown_challenge")
	} else if err != nil {
		return nil, nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(credential)
	if err != nil {
		return nil, nil, s.passkeyLoginFailed(ctx, nil, meta, "malformed_response")
	}
	// The passkey named by the response, and its owner, whatever kind of request this was.
	pk, u, err := s.store.PasskeyByCredentialID(ctx, parsed.RawID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, nil, s.passkeyLoginFailed(ctx, nil, meta, "unknown_passkey")
	} else if err != nil {
		return nil, nil, err
	}
	if c.UserID != "" && c.UserID != u.ID {
		return nil, nil, s.passkeyLoginFailed(ctx, u, meta, "wrong_user")
	}
	if u.Disabled() {
		return nil, nil, s.passkeyLoginFailed(ctx, u, meta, "disabled")
	}
	pu, err := s.loadPasskeyUser(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	var cred *webauthn.Credential
	if len(sd.UserID) > 0 { // a request naming the user's credentials (re-authentication)
		cred, err = rp.ValidateLogin(pu, *sd, parsed)
	} else {
		cred, err = rp.ValidateDiscoverableLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
			// The handle must name the owner of the credential found by its ID.
			if string(userHandle) != u.ID || pu.passkeyFor(rawID) == nil {
				return nil, errors.New("credential does not belong to the user handle")
			}
			return pu, nil
		}, *sd, parsed)
	}
	if err != nil {
		return nil, nil, s.passkeyLoginFailed(ctx, u, meta, "invalid_assertion")
	}
	if cred.Authenticator.CloneWarning {
		return nil, nil, s.passkeyLoginFailed(ctx, u, meta, "cloned_authenticator")
	}
	record, err := json.Marshal(cred)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	if err := s.store.RecordPasskeyUse(ctx, pk.ID, cred.Authenticator.SignCount, cred.Flags.BackupState, record, now); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.CodeConflict { // a concurrent sign-in with the same count
			return nil, nil, s.passkeyLoginFailed(ctx, u, meta, "cloned_authenticator")
		}
		return nil, nil, err
	}
	return pk, u, nil
}

// passkeyLoginFailed audits a failed passkey sign-in and returns the generic error.
func (s *Passkeys) passkeyLoginFailed(ctx context.Context, u *gatehouse.User, meta Meta, reason string) error {
	subject := ""
	if u != nil {
		subject = u.ID
	}
	s.audit(ctx, gatehouse.EventLoginFailed, "", subject, meta, map[string]any{"reason": reason, "method": "passkey"})
	return errPasskeyFailed
}
