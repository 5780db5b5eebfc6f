package rbac

// Role is a named set of permissions with a rank (rule ROLE-1). Roles are plain
// values; obtain them from a Policy (Policy.Role, Policy.Roles) so that the
// policy's ceiling rules recognise them.
type Role struct {
	// Name identifies the role within its policy, e.g. "admin".
	Name string
	// Rank orders roles: a higher rank can do more. The owner role ranks
	// strictly above every other role of its policy.
	Rank int
	// Permissions is the set of permissions the role grants.
	Permissions Permission
}

// Can reports whether r holds every permission in p. Asking for no permission
// at all (p == 0) reports false, so a zero Permission never grants access.
func (r Role) Can(p Permission) bool {
	return p != 0 && r.Permissions&p == p
}

// CanAct reports whether a holder of r, acting as user actorID, may perform a
// on a resource created by user creatorID (rule RES-2).
//
// Create needs CreateResources (the creator is ignored). View, Use, Edit and
// Delete need the matching Any permission (e.g. EditAnyResources), or the
// matching Own permission (e.g. EditOwnResources) when actorID is not empty
// and equals creatorID. An unknown action is always refused.
func (r Role) CanAct(a Action, actorID, creatorID string) bool {
	var own, anyp Permission
	switch a {
	case View:
		own, anyp = ViewOwnResources, ViewAnyResources
	case Use:
		own, anyp = UseOwnResources, UseAnyResources
	case Create:
		return r.Permissions&CreateResources != 0
	case Edit:
		own, anyp = EditOwnResources, EditAnyResources
	case Delete:
		own, anyp = DeleteOwnResources, DeleteAnyResources
	default:
		return false
	}
	if r.Permissions&anyp != 0 {
		return true
	}
	return r.Permissions&own != 0 && actorID != "" && actorID == creatorID
}
