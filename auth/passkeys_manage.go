package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Adding, listing, renaming and deleting a person's passkeys.

// BeginRegistration starts adding a passkey to the signed-in user: creation options that
// require a discoverable credential and prefer user verification, excluding the user's passkeys.
func (s *Passkeys) BeginRegistration(ctx context.Context, p *gatehouse.Principal) (*PasskeyCeremony, error) {
	if err := s.canChangePasskeys(p); err != nil {
		return nil, err
	}
	rp, pu, err := s.ceremonyOf(ctx, p.User)
	if err != nil {
		return nil, err
	}
	opts, sd, err := rp.BeginRegistration(pu,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationPreferred,
		}),
		webauthn.WithExclusions(webauthn.Credentials(pu.creds).CredentialDescriptors()),
	)
	if err != nil {
		return nil, fmt.Errorf("begin registration: %w", err)
	}
	id, err := s.saveCeremony(ctx, PurposePasskeyRegister, p.User.ID, sd)
	if err != nil {
		return nil, err
	}
	return &PasskeyCeremony{ChallengeID: id, Options: opts}, nil
}

// FinishRegistration verifies the authenticator's answer (credential: the
// PublicKeyCredential as JSON) and stores the passkey with the whole credential record.
func (s *Passkeys) FinishRegistration(ctx context.Context, p *gatehouse.Principal, challengeID string, credential json.RawMessage, name string, meta Meta) (*gatehouse.Passkey, error) {
	if err := s.canChangePasskeys(p); err != nil {
		return nil, err
	}
	name, err := passkeyName(name)
	if err != nil {
		return nil, err
	}
	rp, err := s.relyingParty()
	if err != nil {
		return nil, err
	}
	c, sd, err := s.takeCeremony(ctx, challengeID, PurposePasskeyRegister)
	if errors.Is(err, gatehouse.ErrNotFound) || (err == nil && c.UserID != p.User.ID) {
		return nil, errPasskeyChallenge
	} else if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "credential is not a valid WebAuthn registration response.")
	}
	pu, err := s.loadPasskeyUser(ctx, p.User)
	if err != nil {
		return nil, err
	}
	cred, err := rp.CreateCredential(pu, *sd, parsed)
	if err != nil {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The passkey could not be verified.")
	}
	record, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	pk := &gatehouse.Passkey{
		ID: s.newID(gatehouse.PrefixPasskey), UserID: p.User.ID, Name: name,
		CredentialID: cred.ID, Credential: record, SignCount: cred.Authenticator.SignCount,
		BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState,
		CreatedAt: s.now(),
	}
	if err := s.store.CreatePasskey(ctx, pk); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.CodeConflict {
			return nil, gatehouse.Errorf(gatehouse.CodeConflict, "This passkey is already registered.")
		}
		return nil, err
	}
	s.audit(ctx, EventPasskeyRegistered, p.User.ID, pk.ID, meta, map[string]any{"name": pk.Name})
	return pk, nil
}

// List returns the caller's passkeys, oldest first.
func (s *Passkeys) List(ctx context.Context, p *gatehouse.Principal) ([]gatehouse.Passkey, error) {
	if p.User == nil || p.APIKey != nil {
		return nil, gatehouse.Errorf(gatehouse.CodeInsufficientPerms, "Passkeys belong to users.")
	}
	return s.store.ListPasskeys(ctx, p.User.ID)
}

// Rename renames one of the caller's passkeys; ErrNotFound for anyone else's.
func (s *Passkeys) Rename(ctx context.Context, p *gatehouse.Principal, id, name string, meta Meta) error {
	if err := canManagePasskeys(p); err != nil {
		return err
	}
	if strings.TrimSpace(name) == "" {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "name is required.")
	}
	name, err := passkeyName(name)
	if err != nil {
		return err
	}
	if err := s.store.RenamePasskey(ctx, p.User.ID, id, name); err != nil {
		return err
	}
	s.audit(ctx, EventPasskeyRenamed, p.User.ID, id, meta, map[string]any{"name": name})
	return nil
}

// Delete removes one of the caller's passkeys; ErrNotFound for anyone else's; CodeConflict
// when it is the account's last way in (atomic against a concurrent Google unlink).
func (s *Passkeys) Delete(ctx context.Context, p *gatehouse.Principal, id string, meta Meta) error {
	if err := s.canChangePasskeys(p); err != nil {
		return err
	}
	if err := s.store.DeletePasskey(ctx, p.User.ID, id, s.signInGuard()); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.CodeConflict {
			return gatehouse.Errorf(gatehouse.CodeConflict, "This passkey is the only way to sign in to this account. Set a password or add another passkey first.")
		}
		return err
	}
	s.audit(ctx, EventPasskeyDeleted, p.User.ID, id, meta, nil)
	return nil
}

// passkeyName trims and checks a passkey's name; empty means the default.
func passkeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return defaultPasskeyName, nil
	}
	if err := checkProfileText("name", name, maxPasskeyNameLen); err != nil {
		return "", err
	}
	return name, nil
}
