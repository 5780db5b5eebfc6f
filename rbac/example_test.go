package rbac_test

import (
	"errors"
	"fmt"

	"github.com/teamkit/teamkit/rbac"
)

// The Standard preset: look up a member's role, then ask about permissions,
// resources and member management.
func ExampleStandard() {
	p := rbac.Standard()
	member, _ := p.Role(rbac.RoleMember)
	admin, _ := p.Role(rbac.RoleAdmin)

	fmt.Println("member can invite:", member.Can(rbac.Invite))
	fmt.Println("member edits own resource:", member.CanAct(rbac.Edit, "alice", "alice"))
	fmt.Println("member edits bob's resource:", member.CanAct(rbac.Edit, "alice", "bob"))
	fmt.Println("admin may invite an admin:", p.CanInvite(admin, admin))
	fmt.Println("admin may invite an owner:", p.CanInvite(admin, p.Owner()))
	fmt.Println("admin may remove another admin:", p.CanRemove(admin, admin))
	fmt.Println("default role:", p.DefaultRole().Name)

	_, err := p.Role("superuser")
	fmt.Println("unknown role:", errors.Is(err, rbac.ErrUnknownRole))
	// Output:
	// member can invite: false
	// member edits own resource: true
	// member edits bob's resource: false
	// admin may invite an admin: true
	// admin may invite an owner: false
	// admin may remove another admin: true
	// default role: member
	// unknown role: true
}

// The Platform preset: basic users see only their own resources, finance
// admins only billing.
func ExamplePlatform() {
	p := rbac.Platform()
	basic, _ := p.Role(rbac.RoleBasicUser)
	finance, _ := p.Role(rbac.RoleFinanceAdmin)
	dev, _ := p.Role(rbac.RoleDeveloper)

	fmt.Println("basic_user views own:", basic.CanAct(rbac.View, "alice", "alice"))
	fmt.Println("basic_user views bob's:", basic.CanAct(rbac.View, "alice", "bob"))
	fmt.Println("developer deletes bob's:", dev.CanAct(rbac.Delete, "alice", "bob"))
	fmt.Println("finance_admin:", finance.Permissions)
	fmt.Println("finance_admin views a resource:", finance.CanAct(rbac.View, "carol", "carol"))
	fmt.Println("regular role after ownership transfer:", p.RegularRole().Name)
	for _, r := range p.Roles() {
		fmt.Println(r.Rank, r.Name)
	}
	// Output:
	// basic_user views own: true
	// basic_user views bob's: false
	// developer deletes bob's: true
	// finance_admin: view_usage|billing|leave
	// finance_admin views a resource: false
	// regular role after ownership transfer: developer
	// 500 owner
	// 400 admin
	// 300 developer
	// 200 finance_admin
	// 100 basic_user
}

// A custom policy built from constants and from permission names (as read
// from a configuration file).
func ExampleNewBuilder() {
	p, err := rbac.NewBuilder("studio").
		Role("founder", 100, rbac.AllPermissions&^rbac.Leave).
		RoleNamed("producer", 50, "invite", "change_roles", "create_resources",
			"view_any_resources", "edit_any_resources", "leave").
		RoleNamed("artist", 10, "create_resources", "view_own_resources", "edit_own_resources", "leave").
		Owner("founder").
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	producer, _ := p.Role("producer")
	artist, _ := p.Role("artist")
	fmt.Println("default role:", p.DefaultRole().Name)
	fmt.Println("producer invites an artist:", p.CanInvite(producer, artist))
	fmt.Println("producer invites a founder:", p.CanInvite(producer, p.Owner()))
	fmt.Println("artist edits a colleague's work:", artist.CanAct(rbac.Edit, "ann", "ben"))

	_, err = rbac.NewBuilder("broken").RoleNamed("a", 1, "fly").Build()
	fmt.Println("invalid:", errors.Is(err, rbac.ErrInvalidPolicy), errors.Is(err, rbac.ErrUnknownPermission))
	// Output:
	// default role: artist
	// producer invites an artist: true
	// producer invites a founder: false
	// artist edits a colleague's work: false
	// invalid: true true
}

func ExamplePermission_String() {
	p := rbac.Settings | rbac.Invite
	fmt.Println(p)
	q, err := rbac.ParsePermission("settings|invite")
	fmt.Println(q == p, err)
	// Output:
	// settings|invite
	// true <nil>
}

func ExampleRole_CanAct() {
	member, _ := rbac.Standard().Role(rbac.RoleMember)
	for _, a := range []rbac.Action{rbac.View, rbac.Edit} {
		fmt.Printf("%s own=%v other=%v\n", a, member.CanAct(a, "u1", "u1"), member.CanAct(a, "u1", "u2"))
	}
	// Output:
	// view own=true other=true
	// edit own=true other=false
}
