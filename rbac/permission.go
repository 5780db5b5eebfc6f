package rbac

import (
	"fmt"
	"strings"
)

// Permission is a set of permissions, one bit each. Combine permissions with |
// and test them with Has or Role.Can.
type Permission uint32

// The permissions a role may hold. The resource permissions come in pairs: the
// Own bit covers resources the acting user created, the Any bit covers every
// resource of the team (rule RES-2).
const (
	// Settings allows changing the team's name and other settings (TEAM-5).
	Settings Permission = 1 << iota
	// DeleteTeam allows deleting the team (DEL-1).
	DeleteTeam
	// TransferOwnership allows handing the owner role to another member (OWN-1).
	TransferOwnership
	// Invite allows inviting members and re-sending and cancelling
	// invitations (INV-1, INV-6).
	Invite
	// RemoveMembers allows removing other members (MEM-2).
	RemoveMembers
	// ChangeRoles allows changing other members' roles (MEM-1).
	ChangeRoles
	// CreateResources allows creating resources in the team.
	CreateResources
	// ViewOwnResources allows viewing resources the member created.
	ViewOwnResources
	// ViewAnyResources allows viewing every resource of the team.
	ViewAnyResources
	// UseOwnResources allows using resources the member created.
	UseOwnResources
	// UseAnyResources allows using every resource of the team.
	UseAnyResources
	// EditOwnResources allows editing resources the member created.
	EditOwnResources
	// EditAnyResources allows editing every resource of the team.
	EditAnyResources
	// DeleteOwnResources allows deleting resources the member created.
	DeleteOwnResources
	// DeleteAnyResources allows deleting every resource of the team.
	DeleteAnyResources
	// ViewAudit allows reading the team's audit log (AUD-3).
	ViewAudit
	// ViewUsage allows reading usage analytics (BILL-5).
	ViewUsage
	// Billing allows top-ups, plan changes, invoices and reading the billing
	// account (BILL-6).
	Billing
	// Leave allows the member to leave the team (MEM-3).
	Leave
)

// AllPermissions is the union of every defined permission.
const AllPermissions = Settings | DeleteTeam | TransferOwnership | Invite |
	RemoveMembers | ChangeRoles | CreateResources |
	ViewOwnResources | ViewAnyResources | UseOwnResources | UseAnyResources |
	EditOwnResources | EditAnyResources | DeleteOwnResources | DeleteAnyResources |
	ViewAudit | ViewUsage | Billing | Leave

// permissionNames holds the name of each permission, in bit order.
var permissionNames = [...]string{
	"settings",
	"delete_team",
	"transfer_ownership",
	"invite",
	"remove_members",
	"change_roles",
	"create_resources",
	"view_own_resources",
	"view_any_resources",
	"use_own_resources",
	"use_any_resources",
	"edit_own_resources",
	"edit_any_resources",
	"delete_own_resources",
	"delete_any_resources",
	"view_audit",
	"view_usage",
	"billing",
	"leave",
}

// Compile-time check that every permission bit has exactly one name.
var _ = [1]struct{}{}[(1<<len(permissionNames)-1)^int(AllPermissions)]

// Has reports whether every bit of q is set in p. As in set algebra, every set
// contains the empty set: p.Has(0) is true. Use Role.Can for access decisions.
func (p Permission) Has(q Permission) bool { return p&q == q }

// String returns the names of the permissions in p joined with "|", in bit
// order, for example "settings|invite". The empty set is "none"; bits outside
// AllPermissions are appended as one hexadecimal number, e.g. "leave|0x80000".
// ParsePermission accepts every String result that has no unknown bits.
func (p Permission) String() string {
	if p == 0 {
		return "none"
	}
	var sb strings.Builder
	for i, name := range permissionNames {
		if p&(1<<i) != 0 {
			if sb.Len() > 0 {
				sb.WriteByte('|')
			}
			sb.WriteString(name)
		}
	}
	if rest := p &^ AllPermissions; rest != 0 {
		if sb.Len() > 0 {
			sb.WriteByte('|')
		}
		fmt.Fprintf(&sb, "%#x", uint32(rest))
	}
	return sb.String()
}

// ParsePermission returns the permission with the given name, as listed by
// Permission.String: "settings", "delete_team", "transfer_ownership",
// "invite", "remove_members", "change_roles", "create_resources",
// "view_own_resources", "view_any_resources", "use_own_resources",
// "use_any_resources", "edit_own_resources", "edit_any_resources",
// "delete_own_resources", "delete_any_resources", "view_audit", "view_usage",
// "billing" or "leave". Names are case-sensitive. Several names joined with
// "|" (spaces around each name are ignored) give their union, and "none" gives
// the empty set, so String's output parses back. Any other input returns an
// error matching ErrUnknownPermission.
func ParsePermission(name string) (Permission, error) {
	if name == "none" {
		return 0, nil
	}
	var p Permission
	rest := name
	for {
		part, tail, more := strings.Cut(rest, "|")
		q, ok := lookupPermission(strings.TrimSpace(part))
		if !ok {
			return 0, unknownPermissionError(strings.TrimSpace(part), name)
		}
		p |= q
		if !more {
			return p, nil
		}
		rest = tail
	}
}

func lookupPermission(name string) (Permission, bool) {
	for i, n := range permissionNames {
		if n == name {
			return 1 << i, true
		}
	}
	return 0, false
}

func unknownPermissionError(part, whole string) error {
	valid := strings.Join(permissionNames[:], ", ")
	if part == "" {
		return fmt.Errorf("%w: empty permission name in %q; use one of: %s", ErrUnknownPermission, whole, valid)
	}
	return fmt.Errorf("%w: %q is not a permission name; use one of: %s", ErrUnknownPermission, part, valid)
}
