// Package rbac decides who may do what in a team: it defines roles with ranks
// and permissions, the ceiling rules for inviting, changing roles and removing
// members, and the own/any rule for team resources.
//
// A host picks a preset (Standard or Platform) or builds its own policy with
// NewBuilder, looks up a member's current role by name and asks:
//
//	policy := rbac.Standard()
//	role, err := policy.Role(member.RoleName) // unknown names are an error, never a default
//	if err != nil {
//		return err
//	}
//	if !role.CanAct(rbac.Edit, userID, resource.CreatorID) {
//		return ErrPermissionDenied
//	}
//	if !role.Can(rbac.ViewAudit) { ... }
//	if !policy.CanInvite(role, inviteeRole) { ... }
//
// Policies are immutable and safe for concurrent use; Role, Role.Can and
// Role.CanAct do not allocate. The package depends only on the standard
// library.
package rbac
