package rbac_test

import (
	"testing"

	"github.com/teamkit/teamkit/rbac"
)

// sink keeps benchmark results alive so the compiler cannot drop the work.
var sink int

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BenchmarkPolicyCheck measures Role.Can on a role already looked up.
func BenchmarkPolicyCheck(b *testing.B) {
	role, err := rbac.Standard().Role(rbac.RoleAdmin)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n, i := 0, 0
	for b.Loop() {
		n += b2i(role.Can(rbac.Permission(1) << (i & 15)))
		i++
	}
	sink = n
}

// BenchmarkResourceDecision measures Role.CanAct on own and someone else's
// resources (rule RES-2).
func BenchmarkResourceDecision(b *testing.B) {
	role, err := rbac.Platform().Role(rbac.RoleBasicUser)
	if err != nil {
		b.Fatal(err)
	}
	creators := [2]string{"user-123", "user-456"}
	actions := [4]rbac.Action{rbac.View, rbac.Use, rbac.Edit, rbac.Delete}
	b.ReportAllocs()
	n, i := 0, 0
	for b.Loop() {
		n += b2i(role.CanAct(actions[i&3], "user-123", creators[(i>>2)&1]))
		i++
	}
	sink = n
}

// BenchmarkRoleLookup measures Policy.Role by name over all roles of a preset.
func BenchmarkRoleLookup(b *testing.B) {
	for _, tc := range []struct {
		p     *rbac.Policy
		names [8]string
	}{
		{rbac.Standard(), [8]string{"owner", "admin", "member", "viewer", "owner", "admin", "member", "viewer"}},
		{rbac.Platform(), [8]string{"owner", "admin", "developer", "finance_admin", "basic_user", "developer", "basic_user", "admin"}},
	} {
		b.Run(tc.p.Name(), func(b *testing.B) {
			p := tc.p
			names := tc.names
			b.ReportAllocs()
			n, i := 0, 0
			for b.Loop() {
				r, err := p.Role(names[i&7])
				if err == nil {
					n += r.Rank
				}
				i++
			}
			sink = n
		})
	}
}
