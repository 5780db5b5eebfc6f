package rbac

import "sync"

// Role names used by the preset policies.
const (
	// RoleOwner is the owner role of both presets.
	RoleOwner = "owner"
	// RoleAdmin is the administrator role of both presets.
	RoleAdmin = "admin"
	// RoleMember is the Standard preset's regular and default role.
	RoleMember = "member"
	// RoleViewer is the Standard preset's read-only role.
	RoleViewer = "viewer"
	// RoleDeveloper is the Platform preset's regular role: full access to
	// team resources, no member management and no billing.
	RoleDeveloper = "developer"
	// RoleBasicUser is the Platform preset's default role: only the
	// resources the member created.
	RoleBasicUser = "basic_user"
	// RoleFinanceAdmin is the Platform preset's billing-only role.
	RoleFinanceAdmin = "finance_admin"
)

// Permission sets of the preset roles.
const (
	allResources = CreateResources |
		ViewOwnResources | ViewAnyResources |
		UseOwnResources | UseAnyResources |
		EditOwnResources | EditAnyResources |
		DeleteOwnResources | DeleteAnyResources
	ownResources = ViewOwnResources | UseOwnResources | EditOwnResources | DeleteOwnResources

	presetOwner = AllPermissions &^ Leave
	presetAdmin = Settings | Invite | RemoveMembers | ChangeRoles | allResources |
		ViewAudit | ViewUsage | Billing | Leave
)

// Standard returns the Standard preset policy (rule ROLE-2), named
// "standard": owner (rank 400), admin (300), member (200) and viewer (100).
// New members get member by default, and a former owner becomes member.
//
//	owner   every permission except Leave
//	admin   settings, invite, remove members, change roles, all resources
//	        (any), audit, usage, billing, leave
//	member  create resources, view and use any, edit and delete own, leave
//	viewer  view any resource, leave
//
// Every call returns the same immutable Policy.
func Standard() *Policy { return standardPolicy() }

var standardPolicy = sync.OnceValue(func() *Policy {
	return mustBuild(NewBuilder("standard").
		Role(RoleOwner, 400, presetOwner).
		Role(RoleAdmin, 300, presetAdmin).
		Role(RoleMember, 200, CreateResources|ViewOwnResources|ViewAnyResources|
			UseOwnResources|UseAnyResources|EditOwnResources|DeleteOwnResources|Leave).
		Role(RoleViewer, 100, ViewOwnResources|ViewAnyResources|Leave).
		Owner(RoleOwner).
		Default(RoleMember).
		Regular(RoleMember))
})

// Platform returns the Platform preset policy (rule ROLE-3), named
// "platform": owner (rank 500), admin (400), developer (300), finance_admin
// (200) and basic_user (100). New members get basic_user by default, and a
// former owner becomes developer.
//
//	owner          every permission except Leave
//	admin          as in Standard
//	developer      all resources (any), leave
//	finance_admin  billing, usage, leave
//	basic_user     create resources, view, use, edit and delete own, leave
//
// Every call returns the same immutable Policy.
func Platform() *Policy { return platformPolicy() }

var platformPolicy = sync.OnceValue(func() *Policy {
	return mustBuild(NewBuilder("platform").
		Role(RoleOwner, 500, presetOwner).
		Role(RoleAdmin, 400, presetAdmin).
		Role(RoleDeveloper, 300, allResources|Leave).
		Role(RoleFinanceAdmin, 200, Billing|ViewUsage|Leave).
		Role(RoleBasicUser, 100, CreateResources|ownResources|Leave).
		Owner(RoleOwner).
		Default(RoleBasicUser).
		Regular(RoleDeveloper))
})

func mustBuild(b *Builder) *Policy {
	p, err := b.Build()
	if err != nil {
		panic(err) // unreachable: the presets are checked by the tests
	}
	return p
}
