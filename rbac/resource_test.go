package rbac_test

import (
	"strings"
	"testing"

	"github.com/teamkit/teamkit/rbac"
)

// resRow gives, for one role, five groups (view use create edit delete) of
// three cells each:
//
//  1. actor "alice" on a resource created by "alice" (own)
//  2. actor "alice" on a resource created by "bob" (someone else's)
//  3. empty actor "" on a resource with empty creator "" (no identity)
type resRow struct {
	role string
	want string
}

var resActions = []rbac.Action{rbac.View, rbac.Use, rbac.Create, rbac.Edit, rbac.Delete}

func checkResources(t *testing.T, p *rbac.Policy, rows []resRow) {
	t.Helper()
	if len(rows) != len(p.Roles()) {
		t.Fatalf("%s: %d rows for %d roles", p.Name(), len(rows), len(p.Roles()))
	}
	cases := []struct{ actor, creator, label string }{
		{"alice", "alice", "own"},
		{"alice", "bob", "other's"},
		{"", "", "empty actor"},
	}
	for _, row := range rows {
		role := mustRole(t, p, row.role)
		groups := strings.Fields(row.want)
		if len(groups) != len(resActions) {
			t.Fatalf("%s %s: %d groups", p.Name(), row.role, len(groups))
		}
		for i, a := range resActions {
			for j, c := range cases {
				want := groups[i][j] == 'Y'
				if got := role.CanAct(a, c.actor, c.creator); got != want {
					t.Errorf("%s: %s %s %s resource (actor=%q creator=%q) = %v, want %v",
						p.Name(), row.role, a, c.label, c.actor, c.creator, got, want)
				}
			}
			// An empty actor never owns anything, whoever the creator is.
			if got, want := role.CanAct(a, "", "bob"), groups[i][2] == 'Y'; got != want {
				t.Errorf("%s: %s %s with empty actor on bob's resource = %v, want %v", p.Name(), row.role, a, got, want)
			}
		}
		// Unknown actions are always refused.
		for _, a := range []rbac.Action{0, 6, 255} {
			if role.CanAct(a, "alice", "alice") {
				t.Errorf("%s: %s may %v", p.Name(), row.role, a)
			}
		}
	}
}

// Rule RES-2: own/any decisions in the Standard preset.
func TestStandardResourceDecisions_RES2(t *testing.T) {
	checkResources(t, rbac.Standard(), []resRow{
		// groups: view use create edit delete; cells: own, other's, empty actor
		{"owner", "YYY YYY YYY YYY YYY"},
		{"admin", "YYY YYY YYY YYY YYY"},
		{"member", "YYY YYY YYY YNN YNN"}, // edits and deletes own only
		{"viewer", "YYY NNN NNN NNN NNN"}, // views only
	})
}

// Rule RES-2: own/any decisions in the Platform preset. Basic User sees only
// their own resources; Finance Admin has no access to resources.
func TestPlatformResourceDecisions_RES2(t *testing.T) {
	checkResources(t, rbac.Platform(), []resRow{
		// groups: view use create edit delete; cells: own, other's, empty actor
		{"owner", "YYY YYY YYY YYY YYY"},
		{"admin", "YYY YYY YYY YYY YYY"},
		{"developer", "YYY YYY YYY YYY YYY"},
		{"finance_admin", "NNN NNN NNN NNN NNN"},
		{"basic_user", "YNN YNN YYY YNN YNN"},
	})
}

// Rule RES-2: creator IDs are compared exactly.
func TestResourceOwnershipExactMatch_RES2(t *testing.T) {
	basic := mustRole(t, rbac.Platform(), rbac.RoleBasicUser)
	for _, creator := range []string{"Alice", "alice ", " alice", "alic", "alice\x00"} {
		if basic.CanAct(rbac.View, "alice", creator) {
			t.Errorf("basic_user alice may view resource of %q", creator)
		}
	}
}
