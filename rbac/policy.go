package rbac

import (
	"fmt"
	"strings"
)

// Policy is a validated set of roles with one owner role, a default role for
// new members and a regular role for a former owner (rules ROLE-1, ROLE-4,
// OWN-3). Obtain one from Standard, Platform or Builder.Build; the zero Policy
// has no roles and refuses everything.
//
// A Policy is immutable and safe for concurrent use by many goroutines.
type Policy struct {
	name    string
	roles   []Role // ordered by rank descending, ties in definition order
	owner   int    // index into roles
	def     int    // index into roles
	regular int    // index into roles

	// slots and salt give Role a single-probe fast path: a name's slot is
	// slotOf(name, salt) and holds the index of a role whose name may match.
	// Build picks salt so the roles spread over the slots; a miss (collision
	// or unknown name) falls back to a linear scan, so correctness never
	// depends on the hash.
	slots [16]uint8
	salt  uint
}

// Name returns the policy's name, e.g. "standard" or "platform".
func (p *Policy) Name() string { return p.name }

// Role returns the role with the given name (exact, case-sensitive match).
// An unknown name returns an error matching ErrUnknownRole, never a default
// role. The lookup does not allocate on success.
func (p *Policy) Role(name string) (Role, error) {
	// Kept small enough to be inlined: one probe, then a scan.
	if len(name) > 0 {
		if i := int(p.slots[slotOf(name, p.salt)]); i < len(p.roles) && p.roles[i].Name == name {
			return p.roles[i], nil
		}
	}
	for i := range p.roles {
		if p.roles[i].Name == name {
			return p.roles[i], nil
		}
	}
	return Role{}, &unknownRoleError{policy: p, name: name}
}

// slotOf hashes a non-empty name from its first byte and its length.
func slotOf(name string, salt uint) uint {
	return (uint(name[0]) ^ uint(len(name))*salt) & 15
}

// buildIndex fills p.slots, choosing the salt with the fewest collisions.
func (p *Policy) buildIndex() {
	best := -1
	for salt := uint(0); salt < 64 && best != 0; salt++ {
		var used [16]bool
		collisions := 0
		for _, r := range p.roles {
			h := slotOf(r.Name, salt)
			if used[h] {
				collisions++
			}
			used[h] = true
		}
		if best < 0 || collisions < best {
			best, p.salt = collisions, salt
		}
	}
	for i := len(p.roles) - 1; i >= 0; i-- {
		if i < 256 {
			p.slots[slotOf(p.roles[i].Name, p.salt)] = uint8(i)
		}
	}
}

// unknownRoleError is returned by Policy.Role; it matches ErrUnknownRole.
type unknownRoleError struct {
	policy *Policy
	name   string
}

func (e *unknownRoleError) Error() string {
	return fmt.Sprintf("%v: %q is not a role of policy %q; use one of: %s",
		ErrUnknownRole, e.name, e.policy.name, strings.Join(e.policy.roleNames(), ", "))
}

func (e *unknownRoleError) Unwrap() error { return ErrUnknownRole }

func (p *Policy) roleNames() []string {
	names := make([]string, len(p.roles))
	for i, r := range p.roles {
		names[i] = r.Name
	}
	return names
}

// Roles returns a copy of the policy's roles ordered by rank, highest first;
// roles of equal rank keep the order in which they were defined.
func (p *Policy) Roles() []Role {
	out := make([]Role, len(p.roles))
	copy(out, p.roles)
	return out
}

// Owner returns the policy's single owner role (rule ROLE-1).
func (p *Policy) Owner() Role { return p.at(p.owner) }

// DefaultRole returns the role given to new members when the caller names
// none. It is never the owner role.
func (p *Policy) DefaultRole() Role { return p.at(p.def) }

// RegularRole returns the role a former owner holds after transferring
// ownership (rule OWN-3). It is never the owner role.
func (p *Policy) RegularRole() Role { return p.at(p.regular) }

func (p *Policy) at(i int) Role {
	if i < 0 || i >= len(p.roles) {
		return Role{}
	}
	return p.roles[i]
}

// IsOwner reports whether r is the policy's owner role, comparing by name.
func (p *Policy) IsOwner(r Role) bool {
	return len(p.roles) > 0 && r.Name == p.roles[p.owner].Name
}

// known reports whether r is exactly one of the policy's roles (same name,
// rank and permissions), so that a hand-made or foreign Role cannot pass the
// ceiling rules.
func (p *Policy) known(r Role) bool {
	for i := range p.roles {
		if p.roles[i] == r {
			return true
		}
	}
	return false
}

// Grants reports whether a holder of actor stands above role under the
// ceiling of rule ROLE-7 ("you can only grant what you hold"): role ranks at
// or below actor, and every permission of role is covered by actor's own.
// Both roles must belong to p. CanInvite, CanChangeRole and CanRemove apply
// it to the role granted and to the member's current role.
//
// Coverage is a subset test with two refinements that keep the intent of
// the rule where the permission bits alone would not:
//
//   - An Any resource permission covers its Own counterpart (ViewAnyResources
//     covers ViewOwnResources, and likewise for Use, Edit and Delete), since
//     "any resource" includes those the member created (RES-2).
//   - Leave is not compared. It lets a member leave the team themselves and
//     gives no power over the team or anyone else; the owner role lacks it
//     only because the owner must transfer ownership first (MEM-3), and that
//     must not stop the owner from granting ordinary roles.
//
// Grants does not check the owner role or any management permission; see
// CanInvite, CanChangeRole and CanRemove for the complete rules.
func (p *Policy) Grants(actor, role Role) bool {
	return role.Rank <= actor.Rank && covers(actor.Permissions, role.Permissions) &&
		p.known(actor) && p.known(role)
}

// ownOfAny pairs each Own resource permission with the Any one that covers it.
var ownOfAny = [...][2]Permission{
	{ViewOwnResources, ViewAnyResources},
	{UseOwnResources, UseAnyResources},
	{EditOwnResources, EditAnyResources},
	{DeleteOwnResources, DeleteAnyResources},
}

// covers reports whether held covers every permission of granted except
// Leave, an Any resource bit covering its Own bit (see Policy.Grants).
func covers(held, granted Permission) bool {
	for _, pair := range ownOfAny {
		if held&pair[1] != 0 {
			held |= pair[0]
		}
	}
	return granted&^Leave&^held == 0
}

// CanInvite reports whether a member holding actor may invite someone to role
// (rules INV-1, ROLE-6, ROLE-7): actor has Invite, role is not the owner role,
// and actor grants role (Grants: role ranks at or below actor and holds no
// permission actor lacks). Both roles must belong to p.
func (p *Policy) CanInvite(actor, role Role) bool {
	return actor.Permissions&Invite != 0 &&
		!p.IsOwner(role) &&
		p.Grants(actor, role)
}

// CanChangeRole reports whether a member holding actor may change the role of
// a member holding target to newRole (rules MEM-1, ROLE-6, ROLE-7): actor has
// ChangeRoles; target is not the owner (only ownership transfer changes the
// owner) and newRole is not the owner role; and actor grants both target and
// newRole (Grants: each ranks at or below actor and holds no permission actor
// lacks). So admins may change other admins, nobody grants a role above their
// own or one with a permission they do not hold, and nobody changes a member
// whose role holds such a permission. All three roles must belong to p.
//
// The rule concerns roles only; whether actor and target are the same person
// is for the caller to check.
func (p *Policy) CanChangeRole(actor, target, newRole Role) bool {
	return actor.Permissions&ChangeRoles != 0 &&
		!p.IsOwner(target) && !p.IsOwner(newRole) &&
		p.Grants(actor, target) && p.Grants(actor, newRole) &&
		p.known(actor) && p.known(target) && p.known(newRole)
}

// CanRemove reports whether a member holding actor may remove a member holding
// target from the team (rules MEM-2, ROLE-6, ROLE-7): actor has RemoveMembers,
// target is not the owner, and actor grants target (Grants: target ranks at
// or below actor and holds no permission actor lacks), so admins may remove
// other admins. Both roles must belong to p.
func (p *Policy) CanRemove(actor, target Role) bool {
	return actor.Permissions&RemoveMembers != 0 &&
		!p.IsOwner(target) &&
		p.Grants(actor, target)
}
