package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// BeginReauth starts a re-authentication with one of p's passkeys.
func (s *Passkeys) BeginReauth(ctx context.Context, p *gatehouse.Principal) (*PasskeyCeremony, error) {
	if _, err := reauthSession(p); err != nil {
		return nil, err
	}
	rp, pu, err := s.ceremonyOf(ctx, p.User)
	if err != nil {
		return nil, err
	}
	if len(pu.creds) == 0 {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "This account has no passkey; re-authenticate with the password.")
	}
	opts, sd, err := rp.BeginLogin(pu, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, fmt.Errorf("begin reauth: %w", err)
	}
	id, err := s.saveCeremony(ctx, PurposePasskeyReauth, p.User.ID, sd)
	if err != nil {
		return nil, err
	}
	return &PasskeyCeremony{ChallengeID: id, Options: opts}, nil
}

// FinishReauth checks the assertion against the challenge BeginReauth gave p and
// makes p's session recent again.
func (s *Passkeys) FinishReauth(ctx context.Context, p *gatehouse.Principal, challengeID string, credential json.RawMessage, meta Meta) (time.Time, error) {
	sess, err := reauthSession(p)
	if err != nil {
		return time.Time{}, err
	}
	_, u, err := s.checkAssertion(ctx, PurposePasskeyReauth, challengeID, credential, meta)
	if err != nil {
		return time.Time{}, err
	}
	if u.ID != p.User.ID { // a challenge bound to p's account never validates another's passkey
		return time.Time{}, errInvalidCredentials
	}
	return s.signIn.markRecent(ctx, p.User, sess, meta, AMRPasskey, AMRUser)
}
