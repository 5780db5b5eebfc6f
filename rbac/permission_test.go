package rbac_test

import (
	"errors"
	"math/bits"
	"testing"

	"github.com/teamkit/teamkit/rbac"
)

var allNames = []string{
	"settings", "delete_team", "transfer_ownership", "invite", "remove_members",
	"change_roles", "create_resources", "view_own_resources", "view_any_resources",
	"use_own_resources", "use_any_resources", "edit_own_resources", "edit_any_resources",
	"delete_own_resources", "delete_any_resources", "view_audit", "view_usage",
	"billing", "leave",
}

// Rule ROLE-4: permission names parse to their constants and back.
func TestPermissionNames_ROLE4(t *testing.T) {
	consts := []rbac.Permission{
		rbac.Settings, rbac.DeleteTeam, rbac.TransferOwnership, rbac.Invite, rbac.RemoveMembers,
		rbac.ChangeRoles, rbac.CreateResources, rbac.ViewOwnResources, rbac.ViewAnyResources,
		rbac.UseOwnResources, rbac.UseAnyResources, rbac.EditOwnResources, rbac.EditAnyResources,
		rbac.DeleteOwnResources, rbac.DeleteAnyResources, rbac.ViewAudit, rbac.ViewUsage,
		rbac.Billing, rbac.Leave,
	}
	if bits.OnesCount32(uint32(rbac.AllPermissions)) != len(allNames) {
		t.Fatalf("AllPermissions has %d bits, want %d", bits.OnesCount32(uint32(rbac.AllPermissions)), len(allNames))
	}
	var union rbac.Permission
	for i, name := range allNames {
		union |= consts[i]
		if consts[i] != 1<<i {
			t.Errorf("%s = %#x, want bit %d", name, uint32(consts[i]), i)
		}
		if got := consts[i].String(); got != name {
			t.Errorf("String() = %q, want %q", got, name)
		}
		p, err := rbac.ParsePermission(name)
		if err != nil || p != consts[i] {
			t.Errorf("ParsePermission(%q) = %v, %v", name, p, err)
		}
	}
	if union != rbac.AllPermissions {
		t.Errorf("AllPermissions = %#x, want %#x", uint32(rbac.AllPermissions), uint32(union))
	}
}

func TestPermissionStringAndParse(t *testing.T) {
	tests := []struct {
		p    rbac.Permission
		want string
	}{
		{0, "none"},
		{rbac.Settings | rbac.Invite, "settings|invite"},
		{rbac.Leave | rbac.Billing, "billing|leave"},
		{rbac.Leave | 1<<19, "leave|0x80000"},
		{1 << 31, "0x80000000"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#x.String() = %q, want %q", uint32(tt.p), got, tt.want)
		}
	}
	// Every String of a known set parses back.
	for _, p := range []rbac.Permission{0, rbac.AllPermissions, rbac.Settings | rbac.Leave, rbac.ViewAnyResources | rbac.UseOwnResources} {
		got, err := rbac.ParsePermission(p.String())
		if err != nil || got != p {
			t.Errorf("ParsePermission(%q) = %v, %v; want %v", p.String(), got, err, p)
		}
	}
	if got, err := rbac.ParsePermission(" settings | invite "); err != nil || got != rbac.Settings|rbac.Invite {
		t.Errorf("ParsePermission with spaces = %v, %v", got, err)
	}
	for _, bad := range []string{"", "Settings", "SETTINGS", "admin", "settings|", "|leave", "settings||leave", "0x1", "leave|0x80000", "view_resources"} {
		if p, err := rbac.ParsePermission(bad); !errors.Is(err, rbac.ErrUnknownPermission) || p != 0 {
			t.Errorf("ParsePermission(%q) = %v, %v; want ErrUnknownPermission", bad, p, err)
		}
	}
}

func TestPermissionHasAndCan(t *testing.T) {
	p := rbac.Settings | rbac.Invite
	if !p.Has(rbac.Settings) || !p.Has(rbac.Settings|rbac.Invite) || p.Has(rbac.Settings|rbac.Leave) || !p.Has(0) {
		t.Error("Has is wrong")
	}
	r := rbac.Role{Name: "r", Rank: 1, Permissions: p}
	if !r.Can(rbac.Invite) || !r.Can(p) || r.Can(rbac.Invite|rbac.Billing) || r.Can(rbac.Leave) {
		t.Error("Can is wrong")
	}
	if r.Can(0) {
		t.Error("Can(0) must be false: no permission named never grants access")
	}
}

// Rule RES-1: action names.
func TestActionNames_RES1(t *testing.T) {
	want := map[rbac.Action]string{rbac.View: "view", rbac.Use: "use", rbac.Create: "create", rbac.Edit: "edit", rbac.Delete: "delete"}
	for a, name := range want {
		if a.String() != name || !a.Valid() {
			t.Errorf("%d.String() = %q, want %q", a, a.String(), name)
		}
		got, err := rbac.ParseAction(name)
		if err != nil || got != a {
			t.Errorf("ParseAction(%q) = %v, %v", name, got, err)
		}
	}
	for _, a := range []rbac.Action{0, 6, 255} {
		if a.Valid() {
			t.Errorf("Action(%d).Valid() = true", a)
		}
		if a.String() == "" {
			t.Errorf("Action(%d).String() is empty", a)
		}
	}
	for _, bad := range []string{"", "View", "read", "write", "action(1)"} {
		if a, err := rbac.ParseAction(bad); !errors.Is(err, rbac.ErrUnknownAction) || a != 0 {
			t.Errorf("ParseAction(%q) = %v, %v; want ErrUnknownAction", bad, a, err)
		}
	}
}
