package team_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// Rule RES-1 (and RES-2): Authorize decides each action from the member's
// current role, with the own/any scope.
func TestRES1_AuthorizeByRole(t *testing.T) {
	type want map[rbac.Action][2]bool // action -> {on own resource, on another's}
	all := want{rbac.View: {true, true}, rbac.Use: {true, true}, rbac.Create: {true, true}, rbac.Edit: {true, true}, rbac.Delete: {true, true}}
	for _, c := range []struct {
		policy *rbac.Policy
		roles  map[string]want
	}{
		{rbac.Standard(), map[string]want{
			rbac.RoleOwner:  all,
			rbac.RoleAdmin:  all,
			rbac.RoleMember: {rbac.View: {true, true}, rbac.Use: {true, true}, rbac.Create: {true, true}, rbac.Edit: {true, false}, rbac.Delete: {true, false}},
			rbac.RoleViewer: {rbac.View: {true, true}, rbac.Use: {false, false}, rbac.Create: {false, false}, rbac.Edit: {false, false}, rbac.Delete: {false, false}},
		}},
		{rbac.Platform(), map[string]want{
			rbac.RoleOwner:        all,
			rbac.RoleAdmin:        all,
			rbac.RoleDeveloper:    all,
			rbac.RoleBasicUser:    {rbac.View: {true, false}, rbac.Use: {true, false}, rbac.Create: {true, true}, rbac.Edit: {true, false}, rbac.Delete: {true, false}},
			rbac.RoleFinanceAdmin: {rbac.View: {false, false}, rbac.Use: {false, false}, rbac.Create: {false, false}, rbac.Edit: {false, false}, rbac.Delete: {false, false}},
		}},
	} {
		t.Run(c.policy.Name(), func(t *testing.T) {
			e := newEnv(t, team.WithPolicy(c.policy))
			owner := user("owner")
			tm := e.teamOf(owner, "T")
			users := map[string]team.User{rbac.RoleOwner: owner}
			for role := range c.roles {
				if role != rbac.RoleOwner {
					users[role] = user("r" + role)
					e.join(owner.ID, tm, users[role], role)
				}
			}
			for role, actions := range c.roles {
				u := users[role]
				for action, w := range actions {
					for i, creator := range []string{u.ID, "user-someone-else"} {
						err := e.svc.Authorize(e.ctx, u.ID, tm.ID, action, team.Resource{Type: "agent", ID: "a1", CreatorID: creator})
						if w[i] {
							require.NoError(t, err, "%s %s own=%v", role, action, i == 0)
						} else {
							requireRefused(t, err, team.ErrPermissionDenied)
						}
					}
				}
			}
		})
	}
}

// Rule RES-3: non-members, removed members and members of other teams are
// denied.
func TestRES3_NonMembersAreDenied(t *testing.T) {
	e := newEnv(t)
	ana, bob, max := user("ana"), user("bob"), user("max")
	a := e.teamOf(ana, "A")
	b := e.teamOf(bob, "B")
	e.join(ana.ID, a, max, rbac.RoleAdmin)
	res := team.Resource{Type: "doc", ID: "d1", CreatorID: max.ID}

	require.NoError(t, e.svc.Authorize(e.ctx, max.ID, a.ID, rbac.Delete, res))
	requireRefused(t, e.svc.Authorize(e.ctx, max.ID, b.ID, rbac.View, res), team.ErrNotMember)
	requireRefused(t, e.svc.Authorize(e.ctx, "user-stranger", a.ID, rbac.View, res), team.ErrNotMember)
	requireRefused(t, e.svc.Authorize(e.ctx, max.ID, "no-such-team", rbac.View, res), team.ErrNotMember)
	require.NoError(t, e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: ana.ID, TeamID: a.ID, UserID: max.ID}))
	requireRefused(t, e.svc.Authorize(e.ctx, max.ID, a.ID, rbac.View, res), team.ErrNotMember)
	requireRefused(t, e.svc.Authorize(e.ctx, max.ID, a.ID, rbac.Action(99), res), team.ErrInvalidInput)
}

// Rule RES-1: an allowed decision does not allocate.
func TestRES1_AuthorizeDoesNotAllocate(t *testing.T) {
	e := newEnv(t)
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "A")
	e.join(ana.ID, tm, max, rbac.RoleMember)
	res := team.Resource{Type: "doc", ID: "d1", CreatorID: max.ID}
	allocs := testing.AllocsPerRun(200, func() {
		if err := e.svc.Authorize(e.ctx, max.ID, tm.ID, rbac.Edit, res); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}
