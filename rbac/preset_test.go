package rbac_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/teamkit/teamkit/rbac"
)

// permRow is one permission with the expected answer for each role of a
// preset, one 'Y' or 'N' per role in the order of the table's columns.
type permRow struct {
	perm rbac.Permission
	want string
}

// checkPermTable checks every cell of a permission table and that the table
// lists every permission exactly once.
func checkPermTable(t *testing.T, p *rbac.Policy, cols []string, rows []permRow) {
	t.Helper()
	var covered rbac.Permission
	for _, row := range rows {
		if covered.Has(row.perm) {
			t.Fatalf("table lists %v twice", row.perm)
		}
		covered |= row.perm
		if len(row.want) != len(cols) {
			t.Fatalf("row %v: %d cells for %d roles", row.perm, len(row.want), len(cols))
		}
		for i, name := range cols {
			role, err := p.Role(name)
			if err != nil {
				t.Fatalf("Role(%q): %v", name, err)
			}
			want := row.want[i] == 'Y'
			if got := role.Can(row.perm); got != want {
				t.Errorf("%s: %s.Can(%v) = %v, want %v", p.Name(), name, row.perm, got, want)
			}
		}
	}
	if covered != rbac.AllPermissions {
		t.Fatalf("table misses permissions %v", rbac.AllPermissions&^covered)
	}
	if got := len(p.Roles()); got != len(cols) {
		t.Fatalf("%s has %d roles, table has %d", p.Name(), got, len(cols))
	}
}

// Rule ROLE-2: the Standard preset's permission table, cell by cell.
func TestStandardPermissionTable_ROLE2(t *testing.T) {
	cols := []string{rbac.RoleOwner, rbac.RoleAdmin, rbac.RoleMember, rbac.RoleViewer}
	rows := []permRow{
		// cells: owner admin member viewer
		{rbac.Settings, "YYNN"},
		{rbac.DeleteTeam, "YNNN"},
		{rbac.TransferOwnership, "YNNN"},
		{rbac.Invite, "YYNN"},
		{rbac.RemoveMembers, "YYNN"},
		{rbac.ChangeRoles, "YYNN"},
		{rbac.CreateResources, "YYYN"},
		{rbac.ViewOwnResources, "YYYY"},
		{rbac.ViewAnyResources, "YYYY"},
		{rbac.UseOwnResources, "YYYN"},
		{rbac.UseAnyResources, "YYYN"},
		{rbac.EditOwnResources, "YYYN"},
		{rbac.EditAnyResources, "YYNN"},
		{rbac.DeleteOwnResources, "YYYN"},
		{rbac.DeleteAnyResources, "YYNN"},
		{rbac.ViewAudit, "YYNN"},
		{rbac.ViewUsage, "YYNN"},
		{rbac.Billing, "YYNN"},
		{rbac.Leave, "NYYY"},
	}
	checkPermTable(t, rbac.Standard(), cols, rows)
}

// Rule ROLE-3: the Platform preset's permission table, cell by cell.
func TestPlatformPermissionTable_ROLE3(t *testing.T) {
	cols := []string{rbac.RoleOwner, rbac.RoleAdmin, rbac.RoleDeveloper, rbac.RoleFinanceAdmin, rbac.RoleBasicUser}
	rows := []permRow{
		// cells: owner admin developer finance_admin basic_user
		{rbac.Settings, "YYNNN"},
		{rbac.DeleteTeam, "YNNNN"},
		{rbac.TransferOwnership, "YNNNN"},
		{rbac.Invite, "YYNNN"},
		{rbac.RemoveMembers, "YYNNN"},
		{rbac.ChangeRoles, "YYNNN"},
		{rbac.CreateResources, "YYYNY"},
		{rbac.ViewOwnResources, "YYYNY"},
		{rbac.ViewAnyResources, "YYYNN"},
		{rbac.UseOwnResources, "YYYNY"},
		{rbac.UseAnyResources, "YYYNN"},
		{rbac.EditOwnResources, "YYYNY"},
		{rbac.EditAnyResources, "YYYNN"},
		{rbac.DeleteOwnResources, "YYYNY"},
		{rbac.DeleteAnyResources, "YYYNN"},
		{rbac.ViewAudit, "YYNNN"},
		{rbac.ViewUsage, "YYNYN"},
		{rbac.Billing, "YYNYN"},
		{rbac.Leave, "NYYYY"},
	}
	checkPermTable(t, rbac.Platform(), cols, rows)
}

// Rule ROLE-2, ROLE-3: names, ranks and order of the preset roles.
func TestPresetRanks_ROLE2_ROLE3(t *testing.T) {
	tests := []struct {
		p    *rbac.Policy
		name string
		want []string // "name:rank", rank descending
	}{
		{rbac.Standard(), "standard", []string{"owner:400", "admin:300", "member:200", "viewer:100"}},
		{rbac.Platform(), "platform", []string{"owner:500", "admin:400", "developer:300", "finance_admin:200", "basic_user:100"}},
	}
	for _, tt := range tests {
		if tt.p.Name() != tt.name {
			t.Errorf("Name() = %q, want %q", tt.p.Name(), tt.name)
		}
		var got []string
		for _, r := range tt.p.Roles() {
			got = append(got, r.Name+":"+strconv.Itoa(r.Rank))
		}
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%s Roles() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Rule ROLE-1: each preset has exactly one owner role, and it ranks strictly
// above every other role.
func TestPresetSingleOwner_ROLE1(t *testing.T) {
	for _, p := range []*rbac.Policy{rbac.Standard(), rbac.Platform()} {
		owners := 0
		for _, r := range p.Roles() {
			if p.IsOwner(r) {
				owners++
				continue
			}
			if r.Rank >= p.Owner().Rank {
				t.Errorf("%s: role %s rank %d is not below owner rank %d", p.Name(), r.Name, r.Rank, p.Owner().Rank)
			}
		}
		if owners != 1 {
			t.Errorf("%s: %d owner roles, want 1", p.Name(), owners)
		}
		if p.Owner().Name != rbac.RoleOwner || !p.IsOwner(p.Owner()) {
			t.Errorf("%s: Owner() = %+v", p.Name(), p.Owner())
		}
		if p.Roles()[0] != p.Owner() {
			t.Errorf("%s: Roles()[0] = %+v, want the owner", p.Name(), p.Roles()[0])
		}
	}
}

// Rule OWN-3 (regular role) and the default role for new members.
func TestPresetDefaultAndRegular_OWN3(t *testing.T) {
	tests := []struct {
		p                 *rbac.Policy
		default_, regular string
	}{
		{rbac.Standard(), rbac.RoleMember, rbac.RoleMember},
		{rbac.Platform(), rbac.RoleBasicUser, rbac.RoleDeveloper},
	}
	for _, tt := range tests {
		if got := tt.p.DefaultRole(); got.Name != tt.default_ {
			t.Errorf("%s DefaultRole() = %q, want %q", tt.p.Name(), got.Name, tt.default_)
		}
		if got := tt.p.RegularRole(); got.Name != tt.regular {
			t.Errorf("%s RegularRole() = %q, want %q", tt.p.Name(), got.Name, tt.regular)
		}
		if tt.p.IsOwner(tt.p.DefaultRole()) || tt.p.IsOwner(tt.p.RegularRole()) {
			t.Errorf("%s: default or regular role is the owner", tt.p.Name())
		}
	}
}

// Rule SEC-2, ROLE-1: an unknown role name is an error matching ErrUnknownRole,
// never a default role.
func TestUnknownRole(t *testing.T) {
	for _, p := range []*rbac.Policy{rbac.Standard(), rbac.Platform()} {
		for _, name := range []string{"", "Owner", "OWNER", " owner", "owner ", "root", "superadmin", "developer\x00"} {
			r, err := p.Role(name)
			if !errors.Is(err, rbac.ErrUnknownRole) {
				t.Errorf("%s.Role(%q) err = %v, want ErrUnknownRole", p.Name(), name, err)
			}
			if r != (rbac.Role{}) {
				t.Errorf("%s.Role(%q) = %+v, want zero Role", p.Name(), name, r)
			}
		}
	}
	// Preset-specific names are unknown in the other preset.
	if _, err := rbac.Standard().Role(rbac.RoleDeveloper); !errors.Is(err, rbac.ErrUnknownRole) {
		t.Errorf("Standard().Role(developer) err = %v", err)
	}
	if _, err := rbac.Platform().Role(rbac.RoleMember); !errors.Is(err, rbac.ErrUnknownRole) {
		t.Errorf("Platform().Role(member) err = %v", err)
	} else if !strings.Contains(err.Error(), "basic_user") {
		t.Errorf("error %q does not list the valid roles", err)
	}
}

// Rule ROLE-4: Roles returns a copy; changing it does not change the policy.
func TestRolesIsCopy(t *testing.T) {
	p := rbac.Standard()
	rs := p.Roles()
	rs[0].Permissions = 0
	rs[0].Name = "hacked"
	if p.Owner().Name != rbac.RoleOwner || !p.Owner().Can(rbac.DeleteTeam) {
		t.Fatal("mutating Roles() changed the policy")
	}
}

// The zero Policy refuses everything instead of panicking.
func TestZeroPolicy(t *testing.T) {
	var p rbac.Policy
	if _, err := p.Role("owner"); !errors.Is(err, rbac.ErrUnknownRole) {
		t.Errorf("Role err = %v", err)
	}
	if len(p.Roles()) != 0 || p.Owner() != (rbac.Role{}) || p.DefaultRole() != (rbac.Role{}) || p.RegularRole() != (rbac.Role{}) {
		t.Error("zero Policy has roles")
	}
	r := rbac.Role{Name: "x", Rank: 1, Permissions: rbac.AllPermissions}
	if p.IsOwner(r) || p.CanInvite(r, r) || p.CanChangeRole(r, r, r) || p.CanRemove(r, r) {
		t.Error("zero Policy allows something")
	}
}
