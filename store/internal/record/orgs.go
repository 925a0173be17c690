package record

import (
	"slices"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
)

// OwnedOrg is an organization one of a deleted account's accounts (the user and its agents)
// owns, as DeleteUser sees it: how many of its members and owners stay after the deletion.
type OwnedOrg struct {
	ID, Name        string
	Survivors       int // members that are not deleted with the account
	SurvivingOwners int // of them, owners
}

// SettleOwnedOrgs decides what an account's deletion does to the organizations it owns: an
// organization left without members is deleted with it (returned); one whose other members
// would be left without an owner refuses the deletion (CodeConflict naming them all).
func SettleOwnedOrgs(orgs []OwnedOrg) (deleted []string, err error) {
	var orphaned []string
	for _, o := range orgs {
		switch {
		case o.Survivors == 0:
			deleted = append(deleted, o.ID)
		case o.SurvivingOwners == 0:
			orphaned = append(orphaned, o.Name)
		}
	}
	if len(orphaned) > 0 {
		slices.Sort(orphaned)
		return nil, gatehouse.Errorf(gatehouse.CodeConflict,
			"The account is the last owner of organizations that have other members: %s. Make another member an owner, or remove the other members, first.",
			strings.Join(orphaned, ", "))
	}
	return deleted, nil
}
