package gatehouse

import "time"

// Role is a member's role in an organization.
type Role string

// Roles, most powerful first.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleAdmin || r == RoleMember }

// Org is an organization (also called agency or workspace). Names are unique case-insensitively.
type Org struct {
	ID        string // org_...
	Name      string
	CreatedAt time.Time
}

// Membership places a user in an organization with a role.
type Membership struct {
	OrgID     string
	UserID    string
	Role      Role
	CreatedAt time.Time
}

// OrgMembership is one of a user's organizations with the user's role in it.
type OrgMembership struct {
	Org      Org
	Role     Role
	JoinedAt time.Time
}

// Member is one member of an organization with its account.
type Member struct {
	User     User
	Role     Role
	JoinedAt time.Time
}
