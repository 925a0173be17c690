package auth

import (
	"context"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// Linking a Google identity to an account and unlinking it.

func (s *Google) linkGoogle(ctx context.Context, u *gatehouse.User, c *googleClaims, meta Meta, how string) error {
	i := &gatehouse.Identity{
		ID: s.newID(gatehouse.PrefixIdentity), UserID: u.ID, Provider: ProviderGoogle, Subject: c.Subject,
		Email: c.Email, EmailVerified: bool(c.EmailVerified), CreatedAt: s.now(),
	}
	if err := s.store.CreateIdentity(ctx, i); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.CodeConflict {
			return gatehouse.Errorf(gatehouse.CodeConflict, "A Google account is already linked to this account.")
		}
		return err
	}
	s.audit(ctx, EventIdentityLinked, u.ID, u.ID, meta, map[string]any{"provider": ProviderGoogle, "via": how})
	return nil
}

var errGoogleNeedsPassword = gatehouse.Errorf(gatehouse.CodeConflict, "Google can be unlinked only while password sign-in is available. Set a password first.")

var errGoogleLastWayIn = gatehouse.Errorf(gatehouse.CodeConflict, "Google is the only way to sign in to this account. Set a password or add a passkey first.")

// Unlink removes the account's Google identity; 409 while it is the last way in.
func (s *Google) Unlink(ctx context.Context, p *gatehouse.Principal, meta Meta) error {
	if err := s.Authorize(p, authz.Sensitive); err != nil {
		return err
	}
	a, err := s.accounts.Account(ctx, p)
	if err != nil {
		return err
	}
	if !a.GoogleLinked {
		return gatehouse.Errorf(gatehouse.CodeNotFound, "No Google account is linked.")
	}
	if !a.CanUnlinkGoogle {
		if s.cfg.Google.UnlinkNeedsPassword {
			return errGoogleNeedsPassword
		}
		return errGoogleLastWayIn
	}
	// The check above answers most requests with a clear message; the store's guard makes it
	// atomic against a concurrent removal of the other way in (a passkey deleted meanwhile).
	if err := s.store.DeleteIdentity(ctx, p.User.ID, ProviderGoogle, s.signInGuard()); err != nil {
		switch gatehouse.ErrorCode(err) {
		case gatehouse.CodeNotFound:
			return gatehouse.Errorf(gatehouse.CodeNotFound, "No Google account is linked.")
		case gatehouse.CodeConflict:
			return errGoogleLastWayIn
		}
		return err
	}
	s.audit(ctx, EventIdentityUnlinked, p.User.ID, p.User.ID, meta, map[string]any{"provider": ProviderGoogle})
	return nil
}
