package rbac_test

import (
	"testing"

	"github.com/teamkit/teamkit/rbac"
)

// The matrices below list, for every actor role, one 'Y' (allowed) or 'N'
// (refused) per column role, columns in the order of the preset's role list.

var (
	standardRoles = []string{"owner", "admin", "member", "viewer"}
	platformRoles = []string{"owner", "admin", "developer", "finance_admin", "basic_user"}
)

func mustRole(t *testing.T, p *rbac.Policy, name string) rbac.Role {
	t.Helper()
	r, err := p.Role(name)
	if err != nil {
		t.Fatalf("%s.Role(%q): %v", p.Name(), name, err)
	}
	return r
}

// checkPairs checks a matrix of actor × column role for a two-role rule.
func checkPairs(t *testing.T, p *rbac.Policy, names []string, op string, f func(a, b rbac.Role) bool, want map[string]string) {
	t.Helper()
	if len(want) != len(names) {
		t.Fatalf("%s %s: matrix has %d rows, want %d", p.Name(), op, len(want), len(names))
	}
	for _, an := range names {
		row, ok := want[an]
		if !ok || len(row) != len(names) {
			t.Fatalf("%s %s: bad row for actor %s: %q", p.Name(), op, an, row)
		}
		actor := mustRole(t, p, an)
		for j, bn := range names {
			w := row[j] == 'Y'
			if got := f(actor, mustRole(t, p, bn)); got != w {
				t.Errorf("%s: %s(actor=%s, %s) = %v, want %v", p.Name(), op, an, bn, got, w)
			}
		}
	}
}

// checkChange checks the actor × target × new-role matrix of CanChangeRole:
// want[actor][target] lists one 'Y'/'N' per new role.
func checkChange(t *testing.T, p *rbac.Policy, names []string, want map[string]map[string]string) {
	t.Helper()
	if len(want) != len(names) {
		t.Fatalf("%s: change matrix has %d actors, want %d", p.Name(), len(want), len(names))
	}
	for _, an := range names {
		rows := want[an]
		if len(rows) != len(names) {
			t.Fatalf("%s: change matrix for actor %s has %d targets", p.Name(), an, len(rows))
		}
		actor := mustRole(t, p, an)
		for _, tn := range names {
			row, ok := rows[tn]
			if !ok || len(row) != len(names) {
				t.Fatalf("%s: bad row actor=%s target=%s: %q", p.Name(), an, tn, row)
			}
			target := mustRole(t, p, tn)
			for k, nn := range names {
				w := row[k] == 'Y'
				if got := p.CanChangeRole(actor, target, mustRole(t, p, nn)); got != w {
					t.Errorf("%s: CanChangeRole(actor=%s, target=%s, new=%s) = %v, want %v", p.Name(), an, tn, nn, got, w)
				}
			}
		}
	}
}

// Rule INV-1, ROLE-6: who may invite to which role in the Standard preset.
// Never to owner; only roles with the invite permission; never above one's own rank.
func TestStandardInviteMatrix_INV1_ROLE6(t *testing.T) {
	p := rbac.Standard()
	checkPairs(t, p, standardRoles, "CanInvite", p.CanInvite, map[string]string{
		//          invite to: owner admin member viewer
		"owner":  "NYYY",
		"admin":  "NYYY",
		"member": "NNNN",
		"viewer": "NNNN",
	})
}

// Rule MEM-2, ROLE-6: who may remove whom in the Standard preset. Never the
// owner; admins may remove admins.
func TestStandardRemoveMatrix_MEM2_ROLE6(t *testing.T) {
	p := rbac.Standard()
	checkPairs(t, p, standardRoles, "CanRemove", p.CanRemove, map[string]string{
		//          remove target: owner admin member viewer
		"owner":  "NYYY",
		"admin":  "NYYY",
		"member": "NNNN",
		"viewer": "NNNN",
	})
}

// Rule MEM-1, ROLE-6: actor × target × new role in the Standard preset. The
// owner's role never changes and owner is never granted; admins may change
// admins; nobody grants above their own rank.
func TestStandardChangeRoleMatrix_MEM1_ROLE6(t *testing.T) {
	p := rbac.Standard()
	none := map[string]string{"owner": "NNNN", "admin": "NNNN", "member": "NNNN", "viewer": "NNNN"}
	checkChange(t, p, standardRoles, map[string]map[string]string{
		// actor: target: new role owner admin member viewer
		"owner": {
			"owner":  "NNNN",
			"admin":  "NYYY",
			"member": "NYYY",
			"viewer": "NYYY",
		},
		"admin": {
			"owner":  "NNNN",
			"admin":  "NYYY",
			"member": "NYYY",
			"viewer": "NYYY",
		},
		"member": none,
		"viewer": none,
	})
}

// Rule INV-1, ROLE-6: invitations in the Platform preset.
func TestPlatformInviteMatrix_INV1_ROLE6(t *testing.T) {
	p := rbac.Platform()
	checkPairs(t, p, platformRoles, "CanInvite", p.CanInvite, map[string]string{
		//                 invite to: owner admin developer finance_admin basic_user
		"owner":         "NYYYY",
		"admin":         "NYYYY",
		"developer":     "NNNNN",
		"finance_admin": "NNNNN",
		"basic_user":    "NNNNN",
	})
}

// Rule MEM-2, ROLE-6: removal in the Platform preset ("revoke access for other
// super admins": admins may remove admins).
func TestPlatformRemoveMatrix_MEM2_ROLE6(t *testing.T) {
	p := rbac.Platform()
	checkPairs(t, p, platformRoles, "CanRemove", p.CanRemove, map[string]string{
		//             remove target: owner admin developer finance_admin basic_user
		"owner":         "NYYYY",
		"admin":         "NYYYY",
		"developer":     "NNNNN",
		"finance_admin": "NNNNN",
		"basic_user":    "NNNNN",
	})
}

// Rule MEM-1, ROLE-6: actor × target × new role in the Platform preset.
func TestPlatformChangeRoleMatrix_MEM1_ROLE6(t *testing.T) {
	p := rbac.Platform()
	none := map[string]string{"owner": "NNNNN", "admin": "NNNNN", "developer": "NNNNN", "finance_admin": "NNNNN", "basic_user": "NNNNN"}
	manager := map[string]string{
		// target: new role owner admin developer finance_admin basic_user
		"owner":         "NNNNN",
		"admin":         "NYYYY",
		"developer":     "NYYYY",
		"finance_admin": "NYYYY",
		"basic_user":    "NYYYY",
	}
	checkChange(t, p, platformRoles, map[string]map[string]string{
		"owner":         manager,
		"admin":         manager,
		"developer":     none,
		"finance_admin": none,
		"basic_user":    none,
	})
}

// Rule ROLE-6, INV-1, MEM-1, MEM-2: the rank ceiling, shown with a custom
// policy where a mid-ranked "lead" holds the management permissions.
func TestRankCeilingCustomPolicy_ROLE6(t *testing.T) {
	mgmt := rbac.Invite | rbac.RemoveMembers | rbac.ChangeRoles
	p, err := rbac.NewBuilder("ceiling").
		Role("boss", 100, rbac.AllPermissions).
		Role("admin", 80, mgmt).
		Role("lead", 50, mgmt).
		Role("peer", 50, rbac.Leave).
		Role("staff", 10, rbac.Leave).
		Owner("boss").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"boss", "admin", "lead", "peer", "staff"}
	checkPairs(t, p, names, "CanInvite", p.CanInvite, map[string]string{
		//         to: boss admin lead peer staff
		"boss":  "NYYYY",
		"admin": "NYYYY",
		"lead":  "NNYYY", // not above own rank
		"peer":  "NNNNN",
		"staff": "NNNNN",
	})
	checkPairs(t, p, names, "CanRemove", p.CanRemove, map[string]string{
		"boss":  "NYYYY",
		"admin": "NYYYY",
		"lead":  "NNYYY",
		"peer":  "NNNNN",
		"staff": "NNNNN",
	})
	none := map[string]string{"boss": "NNNNN", "admin": "NNNNN", "lead": "NNNNN", "peer": "NNNNN", "staff": "NNNNN"}
	checkChange(t, p, names, map[string]map[string]string{
		"boss":  {"boss": "NNNNN", "admin": "NYYYY", "lead": "NYYYY", "peer": "NYYYY", "staff": "NYYYY"},
		"admin": {"boss": "NNNNN", "admin": "NYYYY", "lead": "NYYYY", "peer": "NYYYY", "staff": "NYYYY"},
		// lead cannot touch the admin above it, nor grant admin.
		"lead":  {"boss": "NNNNN", "admin": "NNNNN", "lead": "NNYYY", "peer": "NNYYY", "staff": "NNYYY"},
		"peer":  none,
		"staff": none,
	})
}

// Rule ROLE-6: roles that do not belong to the policy (hand-made, altered or
// from another policy) never pass a ceiling rule.
func TestForeignRolesRefused_ROLE6(t *testing.T) {
	p := rbac.Standard()
	admin := mustRole(t, p, rbac.RoleAdmin)
	member := mustRole(t, p, rbac.RoleMember)
	forged := rbac.Role{Name: "member", Rank: 1000, Permissions: rbac.AllPermissions}
	foreign := mustRole(t, rbac.Platform(), rbac.RoleDeveloper)
	platAdmin := mustRole(t, rbac.Platform(), rbac.RoleAdmin) // rank 400, same name as Standard admin
	cases := []struct {
		name string
		ok   bool
	}{
		{"forged actor invites", p.CanInvite(forged, member)},
		{"invite to foreign role", p.CanInvite(admin, foreign)},
		{"foreign-ranked admin invites", p.CanInvite(platAdmin, member)},
		{"forged actor changes", p.CanChangeRole(forged, member, admin)},
		{"change to foreign role", p.CanChangeRole(admin, member, foreign)},
		{"change foreign target", p.CanChangeRole(admin, foreign, member)},
		{"forged actor removes", p.CanRemove(forged, member)},
		{"remove foreign target", p.CanRemove(admin, foreign)},
		{"zero roles", p.CanInvite(rbac.Role{}, rbac.Role{})},
	}
	for _, c := range cases {
		if c.ok {
			t.Errorf("%s: allowed, want refused", c.name)
		}
	}
	// Sanity: the genuine roles are allowed.
	if !p.CanInvite(admin, member) || !p.CanChangeRole(admin, member, admin) || !p.CanRemove(admin, member) {
		t.Error("genuine admin refused")
	}
}
