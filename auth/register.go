package auth

import (
	"context"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-auth/gatehouse"
)

// RegisterInput is a sign-up request.
type RegisterInput struct {
	Username    string
	Password    string
	Email       string // optional
	DisplayName string // optional
}

// Register creates an account, places it in the default organization and signs it in.
func (s *Accounts) Register(ctx context.Context, in RegisterInput, meta Meta) (*SessionGrant, error) {
	u, err := s.createUser(ctx, in, false)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, gatehouse.EventUserRegistered, u.ID, u.ID, meta, nil)
	s.mailVerificationCode(ctx, u) // emailverify.go; nothing when there is no address
	return s.sessions.startSession(ctx, u, meta, AMRPassword)
}

// createUser validates in, hashes the password and stores the user with its default membership.
func (s *Accounts) createUser(ctx context.Context, in RegisterInput, admin bool) (*gatehouse.User, error) {
	// Cheap checks first: the password policy rejects over-long input before any hashing.
	if err := gatehouse.ValidateUsername(in.Username); err != nil {
		return nil, err
	}
	email, err := normalizeEmail(in.Email)
	if err != nil {
		return nil, err
	}
	if err := checkProfileText("display_name", in.DisplayName, 64); err != nil {
		return nil, err
	}
	if err := s.cfg.PasswordPolicy.Check(in.Password); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &gatehouse.User{
		ID:           s.newID(gatehouse.PrefixUser),
		Kind:         gatehouse.KindUser,
		Username:     in.Username,
		Email:        email,
		DisplayName:  strings.TrimSpace(in.DisplayName),
		PasswordHash: hash,
		IsAdmin:      admin,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	var memberships []gatehouse.Membership
	if s.defaultOrgID != "" {
		memberships = append(memberships, gatehouse.Membership{OrgID: s.defaultOrgID, UserID: u.ID, Role: gatehouse.RoleMember, CreatedAt: now})
	}
	if err := s.store.CreateUser(ctx, u, memberships...); err != nil {
		return nil, err
	}
	return u, nil
}

// normalizeEmail checks an optional address and returns it trimmed ("" stays "").
func normalizeEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", nil
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > 254 || !strings.Contains(email, "@") {
		return "", gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The email address is not valid.")
	}
	return email, nil
}

// checkProfileText bounds a free-text profile field.
func checkProfileText(field, v string, max int) error {
	if !utf8.ValidString(v) {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "%s is not valid UTF-8.", field)
	}
	if utf8.RuneCountInString(v) > max {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "%s may have at most %d characters.", field, max)
	}
	for _, r := range v {
		if r < 0x20 && r != '\n' || r == 0x7f {
			return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "%s may not contain control characters.", field)
		}
	}
	return nil
}
