package auth

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// ProfileInput is a PATCH of the caller's profile: nil fields are left alone.
type ProfileInput struct {
	Email       *string
	DisplayName *string
	AvatarURL   *string
	BannerURL   *string
	Description *string
	Theme       *string
	Font        *string
}

// UpdateProfile changes the caller's profile and returns it. A new email address is not applied:
// it is the pending address returned (emailchange.go), confirmed by the code mailed there, while
// the other fields apply at once. Removing the address ("") applies at once, the address told.
func (s *Accounts) UpdateProfile(ctx context.Context, p *gatehouse.Principal, in ProfileInput, meta Meta) (u *gatehouse.User, pending string, err error) {
	upd := gatehouse.UserUpdate{UpdatedAt: s.now()}
	if in.Email != nil {
		email, err := normalizeEmail(*in.Email)
		if err != nil {
			return nil, "", err
		}
		if !strings.EqualFold(email, p.User.Email) {
			// Changing the address is a sensitive action: it decides where resets go.
			if err := s.Authorize(p, authz.Sensitive); err != nil {
				return nil, "", err
			}
			if email == "" {
				upd.Email = &email
			} else if err := s.checkEmailChange(ctx, p.User); err != nil {
				return nil, "", err
			} else {
				pending = email
			}
		}
	}
	texts := []struct {
		field string
		in    *string
		out   **string
		max   int
	}{
		{"display_name", in.DisplayName, &upd.DisplayName, 64},
		{"description", in.Description, &upd.Description, 1000},
		{"theme", in.Theme, &upd.Theme, 32},
		{"font", in.Font, &upd.Font, 64},
	}
	for _, t := range texts {
		if t.in == nil {
			continue
		}
		v := strings.TrimSpace(*t.in)
		if err := checkProfileText(t.field, v, t.max); err != nil {
			return nil, "", err
		}
		*t.out = &v
	}
	urls := []struct {
		field string
		in    *string
		out   **string
	}{
		{"avatar_url", in.AvatarURL, &upd.AvatarURL},
		{"banner_url", in.BannerURL, &upd.BannerURL},
	}
	for _, f := range urls {
		if f.in == nil {
			continue
		}
		v, err := checkImageURL(f.field, *f.in)
		if err != nil {
			return nil, "", err
		}
		*f.out = &v
	}
	u, err = s.store.UpdateUser(ctx, p.User.ID, upd)
	if err != nil {
		return nil, "", err
	}
	s.audit(ctx, gatehouse.EventProfileUpdated, u.ID, u.ID, meta, nil)
	if upd.Email != nil && p.User.Email != "" { // the address was removed: tell it
		s.mailEmailRemoved(ctx, u, p.User.Email)
	}
	if pending != "" {
		if err := s.requestEmailChange(ctx, u, pending, meta); err != nil {
			return nil, "", err
		}
	}
	return u, pending, nil
}

// checkImageURL accepts "" (clear) or an absolute https (or http) URL of at most 2048 bytes.
func checkImageURL(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || len(v) > 2048 || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", gatehouse.Errorf(gatehouse.CodeInvalidRequest, "%s must be an absolute http or https URL.", field)
	}
	return v, nil
}

// ChangePassword checks the current password, stores the new one, revokes every session, every
// OAuth refresh token and every outstanding access token of the user (the caller's too) and
// returns a new session for the caller.
func (s *Accounts) ChangePassword(ctx context.Context, p *gatehouse.Principal, current, next string, meta Meta) (*SessionGrant, error) {
	if err := s.signIn.RequireRecent(ctx, p, current); err != nil {
		return nil, err
	}
	if err := s.cfg.PasswordPolicy.Check(next); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return nil, err
	}
	if err := s.store.SetPassword(ctx, p.User.ID, hash, s.now(), true); err != nil {
		return nil, err
	}
	if err := s.sessions.endOutstandingTokens(ctx, p.User.ID, "password_changed"); err != nil {
		return nil, err
	}
	s.audit(ctx, gatehouse.EventPasswordChanged, p.User.ID, p.User.ID, meta, nil)
	u, err := s.store.UserByID(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	return s.sessions.startSession(ctx, u, meta, AMRPassword)
}

// DeleteAccount deletes the caller's account: a sensitive action, so the session must be recent
// or pw the account's password (RequireRecent). Every session goes with it; the username and
// email become free. The last owner of an organization with other members is refused
// (CodeConflict naming the organizations); an organization whose only member is the caller (or
// the caller's agents) goes with the account, its API keys and OAuth clients at once.
func (s *Accounts) DeleteAccount(ctx context.Context, p *gatehouse.Principal, pw string, meta Meta) error {
	if err := s.signIn.RequireRecent(ctx, p, pw); err != nil {
		return err
	}
	orgs, err := s.store.ListUserOrgs(ctx, p.User.ID)
	if err != nil {
		return err
	}
	if err := s.store.DeleteUser(ctx, p.User.ID); err != nil {
		return err
	}
	s.audit(ctx, gatehouse.EventAccountDeleted, p.User.ID, p.User.ID, meta, map[string]any{"username": p.User.Username})
	for _, m := range orgs {
		if m.Role != gatehouse.RoleOwner {
			continue
		}
		if _, err := s.store.OrgByID(ctx, m.Org.ID); errors.Is(err, gatehouse.ErrNotFound) {
			s.auditOrg(ctx, EventOrgDeleted, m.Org.ID, p.User.ID, m.Org.ID, meta, map[string]any{"name": m.Org.Name})
		}
	}
	return nil
}

// ListOrgs returns the caller's organizations with the caller's role.
func (s *Accounts) ListOrgs(ctx context.Context, p *gatehouse.Principal) ([]gatehouse.OrgMembership, error) {
	return s.store.ListUserOrgs(ctx, p.User.ID)
}

// ListAuditEvents returns the caller's own audit trail (events whose actor or subject is the
// caller), newest first, and the cursor of the next page ("" on the last page).
func (s *Accounts) ListAuditEvents(ctx context.Context, p *gatehouse.Principal, f gatehouse.AuditFilter) ([]gatehouse.AuditEvent, string, error) {
	f.UserID = p.User.ID
	f.OrgID = ""
	return auditPage(ctx, s.store, f)
}

// auditLister is the one store call a page of the audit trail needs.
type auditLister interface {
	ListAuditEvents(ctx context.Context, f gatehouse.AuditFilter) ([]gatehouse.AuditEvent, error)
}

// auditPage returns one page of events matching f (Limit 1–200, default 50) and the cursor of
// the next page ("" on the last).
func auditPage(ctx context.Context, store auditLister, f gatehouse.AuditFilter) ([]gatehouse.AuditEvent, string, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	f.Limit++ // one more tells whether there is a next page
	events, err := store.ListAuditEvents(ctx, f)
	if err != nil {
		return nil, "", err
	}
	if len(events) < f.Limit {
		return events, "", nil
	}
	events = events[:f.Limit-1]
	return events, events[len(events)-1].ID, nil
}

// errNoSuchUser is what the operator commands say for an unknown username.
var errNoSuchUser = errors.New("no user with that username")
