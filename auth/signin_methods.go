package auth

import (
	"context"

	"github.com/gatehouse-auth/gatehouse"
)

// Sign-in methods named by AccountInfo.Methods.
const (
	MethodPassword  = "password"
	MethodPasskey   = "passkey"
	MethodGoogle    = "google"
	MethodMagicLink = "magic_link"
)

// AccountInfo is GET /v1/me/account: how the account can sign in.
type AccountInfo struct {
	Username        string
	HasPassword     bool
	GoogleLinked    bool
	CanUnlinkGoogle bool
	Methods         []string // password, passkey, google, magic_link, as available
	PasskeyCount    int
	EmailVerified   bool
	PlanSource      string // where the plan comes from: "free" unless an operator set another
}

// Account returns how p's account can sign in.
func (s *Accounts) Account(ctx context.Context, p *gatehouse.Principal) (*AccountInfo, error) {
	if p.User == nil {
		return nil, gatehouse.Errorf(gatehouse.CodeInsufficientPerms, "Only an account has sign-in methods.")
	}
	// Read afresh: the principal's copy may predate a change in this request's session.
	u, err := s.store.UserByID(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	pks, err := s.store.ListPasskeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	ids, err := s.store.ListIdentities(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	plan, err := s.store.PlanSource(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	a := &AccountInfo{Username: u.Username, HasPassword: u.PasswordHash != "", PasskeyCount: len(pks), EmailVerified: u.EmailVerified, PlanSource: plan, Methods: []string{}}
	for _, i := range ids {
		if i.Provider == ProviderGoogle {
			a.GoogleLinked = true
		}
	}
	magic := u.EmailVerified && u.Email != "" && s.MailEnabled()
	if a.HasPassword {
		a.Methods = append(a.Methods, MethodPassword)
	}
	if a.PasskeyCount > 0 {
		a.Methods = append(a.Methods, MethodPasskey)
	}
	if a.GoogleLinked {
		a.Methods = append(a.Methods, MethodGoogle)
	}
	if magic {
		a.Methods = append(a.Methods, MethodMagicLink)
	}
	otherWayIn := a.HasPassword || a.PasskeyCount > 0 || magic
	if s.cfg.Google.UnlinkNeedsPassword {
		otherWayIn = a.HasPassword
	}
	a.CanUnlinkGoogle = a.GoogleLinked && otherWayIn
	return a, nil
}
