package auth

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-auth/gatehouse"
)

// Audit event types of organizations. Every one carries the organization's ID (OrgID).
const (
	EventOrgCreated           = "org.created"
	EventOrgMemberAdded       = "org.member_added"
	EventOrgMemberRemoved     = "org.member_removed"
	EventOrgMemberRoleChanged = "org.member_role_changed"
	EventOrgDeleted           = "org.deleted" // with its owner's account, its only member
)

// Organization names have 2 to 64 characters.
const (
	minOrgNameLen = 2
	maxOrgNameLen = 64
)

var (
	// errNoSuchOrg answers for organizations that do not exist and for those the caller is not a
	// member of alike, so that existence is not revealed.
	errNoSuchOrg = &gatehouse.Error{Code: gatehouse.CodeNotFound, Message: "No such organization."}
	errNotMember = &gatehouse.Error{Code: gatehouse.CodeNotFound, Message: "No such member of this organization."}
	errNotAdmin  = &gatehouse.Error{Code: gatehouse.CodeInsufficientPerms, Message: "Only owners and admins of the organization may do this."}
	errNotOwner  = &gatehouse.Error{Code: gatehouse.CodeInsufficientPerms, Message: "Only owners of the organization may grant or remove the owner role."}
)

// OrgsStore is what the organization use cases read and write: organizations and members, the
// accounts they name (people by ID or username, agents by ID) and the audit trail.
type OrgsStore interface {
	gatehouse.OrgStore
	gatehouse.AuditStore
	UserByID(ctx context.Context, id string) (*gatehouse.User, error)
	UserByUsername(ctx context.Context, username string) (*gatehouse.User, error)
	AgentByID(ctx context.Context, id string) (*gatehouse.Agent, error)
}

// Orgs manages organizations and their members, and reads their audit trail. It holds only
// OrgsStore. Safe for concurrent use.
type Orgs struct {
	recorder // clock, randomness, logger, audit trail
	store    OrgsStore
}

// NewOrgs returns the organization service; opts' Now, Random and Logger are used.
func NewOrgs(store OrgsStore, opts Options) *Orgs {
	return &Orgs{recorder: newRecorder(opts, store), store: store}
}

// Create creates an organization with the caller as its owner (one transaction). Names are
// 2–64 characters and unique case-insensitively (taken → conflict).
func (s *Orgs) Create(ctx context.Context, p *gatehouse.Principal, name string, meta Meta) (*gatehouse.Org, error) {
	if p.User == nil {
		return nil, errNotAdmin
	}
	name = strings.TrimSpace(name)
	if err := checkOrgName(name); err != nil {
		return nil, err
	}
	now := s.now()
	org := &gatehouse.Org{ID: s.newID(gatehouse.PrefixOrg), Name: name, CreatedAt: now}
	owner := gatehouse.Membership{OrgID: org.ID, UserID: p.User.ID, Role: gatehouse.RoleOwner, CreatedAt: now}
	if err := s.store.CreateOrg(ctx, org, owner); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.CodeConflict {
			return nil, gatehouse.Errorf(gatehouse.CodeConflict, "An organization with this name already exists.")
		}
		return nil, err
	}
	s.auditOrg(ctx, EventOrgCreated, org.ID, p.User.ID, org.ID, meta, map[string]any{"name": name})
	return org, nil
}

func checkOrgName(name string) error {
	n := utf8.RuneCountInString(name)
	if !utf8.ValidString(name) || n < minOrgNameLen || n > maxOrgNameLen {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "An organization name has %d to %d characters.", minOrgNameLen, maxOrgNameLen)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "An organization name may not contain control characters.")
		}
	}
	return nil
}

// Get returns an organization the caller is a member of, with the caller's role and joining
// time. Anyone else gets not_found, whether or not it exists.
func (s *Orgs) Get(ctx context.Context, p *gatehouse.Principal, orgID string) (*gatehouse.OrgMembership, error) {
	if p.User == nil || orgID == "" {
		return nil, errNoSuchOrg
	}
	orgs, err := s.store.ListUserOrgs(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	for i := range orgs {
		if orgs[i].Org.ID == orgID {
			return &orgs[i], nil
		}
	}
	return nil, errNoSuchOrg
}

// memberRoles is the one store call the organization checks need.
type memberRoles interface {
	MemberRole(ctx context.Context, orgID, userID string) (gatehouse.Role, error)
}

// orgRoleOf returns the caller's role in orgID; not_found when the caller is not a member (or is
// not a user: API keys act for their organization, not in it).
func orgRoleOf(ctx context.Context, store memberRoles, p *gatehouse.Principal, orgID string) (gatehouse.Role, error) {
	if p.User == nil || orgID == "" {
		return "", errNoSuchOrg
	}
	role, err := store.MemberRole(ctx, orgID, p.User.ID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return "", errNoSuchOrg
	}
	if err != nil {
		return "", err
	}
	return role, nil
}

// orgManagerOf checks that the caller is an owner or admin of orgID (a member gets
// insufficient_permissions, anyone else not_found) and returns the caller's role.
func orgManagerOf(ctx context.Context, store memberRoles, p *gatehouse.Principal, orgID string) (gatehouse.Role, error) {
	role, err := orgRoleOf(ctx, store, p, orgID)
	if err != nil {
		return "", err
	}
	if role != gatehouse.RoleOwner && role != gatehouse.RoleAdmin {
		return "", errNotAdmin
	}
	return role, nil
}

// ListMembers returns the organization's members, oldest first; for members only.
func (s *Orgs) ListMembers(ctx context.Context, p *gatehouse.Principal, orgID string) ([]gatehouse.Member, error) {
	if _, err := s.orgRole(ctx, p, orgID); err != nil {
		return nil, err
	}
	return s.store.ListMembers(ctx, orgID)
}

// MemberInput names a person to add, by UserID or Username (exactly one), with a role (""
// means member).
type MemberInput struct {
	UserID   string
	Username string
	Role     gatehouse.Role
}

// AddMember adds a person to the organization (owners and admins; only owners grant owner).
// Agents are added with AddAgentToOrg, by their owner. Already a member → conflict.
func (s *Orgs) AddMember(ctx context.Context, p *gatehouse.Principal, orgID string, in MemberInput, meta Meta) (*gatehouse.Member, error) {
	callerRole, err := s.orgManager(ctx, p, orgID)
	if err != nil {
		return nil, err
	}
	role, err := memberRole(in.Role)
	if err != nil {
		return nil, err
	}
	if role == gatehouse.RoleOwner && callerRole != gatehouse.RoleOwner {
		return nil, errNotOwner
	}
	var u *gatehouse.User
	switch {
	case (in.UserID == "") == (in.Username == ""):
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Give exactly one of user_id and username.")
	case in.UserID != "":
		u, err = s.store.UserByID(ctx, in.UserID)
	default:
		u, err = s.store.UserByUsername(ctx, in.Username)
	}
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, gatehouse.Errorf(gatehouse.CodeNotFound, "No such user.")
	}
	if err != nil {
		return nil, err
	}
	if u.Kind == gatehouse.KindAgent {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Agents are added by their owner with POST /v1/orgs/{org}/agents.")
	}
	return s.addMember(ctx, p, orgID, u, role, meta, nil)
}

// AddAgent adds an agent's account to the organization. Only the agent's owner may, and
// only as an owner or admin of the organization; another user's agent is not_found.
func (s *Orgs) AddAgent(ctx context.Context, p *gatehouse.Principal, orgID, agentID string, r gatehouse.Role, meta Meta) (*gatehouse.Member, error) {
	callerRole, err := s.orgManager(ctx, p, orgID)
	if err != nil {
		return nil, err
	}
	role, err := memberRole(r)
	if err != nil {
		return nil, err
	}
	if role == gatehouse.RoleOwner && callerRole != gatehouse.RoleOwner {
		return nil, errNotOwner
	}
	errNoAgent := gatehouse.Errorf(gatehouse.CodeNotFound, "No such agent.")
	if agentID == "" {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "agent_id is required.")
	}
	a, err := s.store.AgentByID(ctx, agentID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errNoAgent
	}
	if err != nil {
		return nil, err
	}
	if a.OwnerID != p.User.ID {
		return nil, errNoAgent
	}
	u, err := s.store.UserByID(ctx, a.UserID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errNoAgent
	}
	if err != nil {
		return nil, err
	}
	return s.addMember(ctx, p, orgID, u, role, meta, map[string]any{"agent_id": a.ID})
}

func (s *Orgs) addMember(ctx context.Context, p *gatehouse.Principal, orgID string, u *gatehouse.User, role gatehouse.Role, meta Meta, details map[string]any) (*gatehouse.Member, error) {
	m := gatehouse.Membership{OrgID: orgID, UserID: u.ID, Role: role, CreatedAt: s.now()}
	if err := s.store.AddMember(ctx, m); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.CodeConflict {
			return nil, gatehouse.Errorf(gatehouse.CodeConflict, "The account is already a member of this organization.")
		}
		return nil, err
	}
	if details == nil {
		details = map[string]any{}
	}
	details["role"] = string(role)
	s.auditOrg(ctx, EventOrgMemberAdded, orgID, p.User.ID, u.ID, meta, details)
	return &gatehouse.Member{User: *u, Role: role, JoinedAt: m.CreatedAt}, nil
}

// SetMemberRole changes a member's role (owners and admins; only owners grant or remove the
// owner role). Demoting the last owner → conflict.
func (s *Orgs) SetMemberRole(ctx context.Context, p *gatehouse.Principal, orgID, userID string, r gatehouse.Role, meta Meta) (*gatehouse.Member, error) {
	callerRole, err := s.orgManager(ctx, p, orgID)
	if err != nil {
		return nil, err
	}
	if !r.Valid() {
		return nil, errBadRole
	}
	current, err := s.store.MemberRole(ctx, orgID, userID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errNotMember
	}
	if err != nil {
		return nil, err
	}
	if (r == gatehouse.RoleOwner || current == gatehouse.RoleOwner) && callerRole != gatehouse.RoleOwner {
		return nil, errNotOwner
	}
	if current != r {
		if err := s.store.SetMemberRole(ctx, orgID, userID, r); err != nil {
			return nil, lastOwnerError(err, "An organization needs at least one owner; make someone else owner first.")
		}
		s.auditOrg(ctx, EventOrgMemberRoleChanged, orgID, p.User.ID, userID, meta, map[string]any{"from": string(current), "to": string(r)})
	}
	return s.member(ctx, orgID, userID)
}

// member returns one member with its account.
func (s *Orgs) member(ctx context.Context, orgID, userID string) (*gatehouse.Member, error) {
	members, err := s.store.ListMembers(ctx, orgID)
	if err != nil {
		return nil, err
	}
	for i := range members {
		if members[i].User.ID == userID {
			return &members[i], nil
		}
	}
	return nil, errNotMember
}

// RemoveMember removes a member. Anyone may remove themselves (leave); removing another takes
// an owner or admin, and removing an owner takes an owner. The last owner cannot leave or be
// removed (conflict).
func (s *Orgs) RemoveMember(ctx context.Context, p *gatehouse.Principal, orgID, userID string, meta Meta) error {
	callerRole, err := s.orgRole(ctx, p, orgID)
	if err != nil {
		return err
	}
	self := userID == p.User.ID
	if !self && callerRole != gatehouse.RoleOwner && callerRole != gatehouse.RoleAdmin {
		return errNotAdmin
	}
	current := callerRole
	if !self {
		current, err = s.store.MemberRole(ctx, orgID, userID)
		if errors.Is(err, gatehouse.ErrNotFound) {
			return errNotMember
		}
		if err != nil {
			return err
		}
		if current == gatehouse.RoleOwner && callerRole != gatehouse.RoleOwner {
			return errNotOwner
		}
	}
	if err := s.store.RemoveMember(ctx, orgID, userID); err != nil {
		if errors.Is(err, gatehouse.ErrNotFound) {
			return errNotMember
		}
		return lastOwnerError(err, "The last owner cannot leave or be removed; make someone else owner first.")
	}
	s.auditOrg(ctx, EventOrgMemberRemoved, orgID, p.User.ID, userID, meta, map[string]any{"role": string(current), "left": self})
	return nil
}

// lastOwnerError gives the store's conflict (the organization would lose its last owner) a
// message that says what to do.
func lastOwnerError(err error, msg string) error {
	switch gatehouse.ErrorCode(err) {
	case gatehouse.CodeConflict:
		return &gatehouse.Error{Code: gatehouse.CodeConflict, Message: msg}
	case gatehouse.CodeNotFound:
		return errNotMember
	}
	return err
}

var errBadRole = gatehouse.Errorf(gatehouse.CodeInvalidRequest, "role must be owner, admin or member.")

// memberRole checks a role given for a new member; "" means member.
func memberRole(r gatehouse.Role) (gatehouse.Role, error) {
	if r == "" {
		return gatehouse.RoleMember, nil
	}
	if !r.Valid() {
		return "", errBadRole
	}
	return r, nil
}

// AuditEvents returns the organization's audit events (owners and admins), newest first,
// and the cursor of the next page ("" on the last page).
func (s *Orgs) AuditEvents(ctx context.Context, p *gatehouse.Principal, orgID string, f gatehouse.AuditFilter) ([]gatehouse.AuditEvent, string, error) {
	if _, err := s.orgManager(ctx, p, orgID); err != nil {
		return nil, "", err
	}
	f.OrgID = orgID
	f.UserID = ""
	return auditPage(ctx, s.store, f)
}

// orgEvent is an audit event of the organization orgID (writeAudit fills in its ID and time).
func orgEvent(typ, orgID, actor, subject string, meta Meta, details map[string]any) *gatehouse.AuditEvent {
	return &gatehouse.AuditEvent{Type: typ, ActorID: actor, SubjectID: subject, OrgID: orgID,
		IP: meta.IP, UserAgent: truncate(meta.UserAgent, 512), Details: details}
}

// orgRole and orgManager are the package functions over the service's store.
func (s *Orgs) orgRole(ctx context.Context, p *gatehouse.Principal, orgID string) (gatehouse.Role, error) {
	return orgRoleOf(ctx, s.store, p, orgID)
}

func (s *Orgs) orgManager(ctx context.Context, p *gatehouse.Principal, orgID string) (gatehouse.Role, error) {
	return orgManagerOf(ctx, s.store, p, orgID)
}
