package team_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// Rule DEL-1: only the owner deletes a collaboration team; personal teams
// cannot be deleted.
func TestDEL1_OnlyOwnerDeletes(t *testing.T) {
	e := newEnv(t)
	ana, ada, max := user("ana"), user("ada"), user("max")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, ada, rbac.RoleAdmin)
	e.join(ana.ID, tm, max, rbac.RoleMember)

	requireRefused(t, e.requireUnchanged(func() error { return e.svc.DeleteTeam(e.ctx, ada.ID, tm.ID) }), team.ErrPermissionDenied)
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.DeleteTeam(e.ctx, max.ID, tm.ID) }), team.ErrPermissionDenied)
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.DeleteTeam(e.ctx, "user-out", tm.ID) }), team.ErrNotMember)
	p, err := e.st.PersonalTeam(e.ctx, ana.ID)
	require.NoError(t, err)
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.DeleteTeam(e.ctx, ana.ID, p.ID) }), team.ErrPersonalTeam)
	_, err = e.svc.DeletionPreflight(e.ctx, ada.ID, tm.ID)
	requireRefused(t, err, team.ErrPermissionDenied)

	require.NoError(t, e.svc.DeleteTeam(e.ctx, ana.ID, tm.ID))
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.DeleteTeam(e.ctx, ana.ID, tm.ID) }), team.ErrNotMember)
}

// Rule DEL-2: deletion asks the host's ResourceCounter and is refused,
// with the counts by type, while resources remain.
func TestDEL2_ResourcesRemainRefusesDeletion(t *testing.T) {
	counts := map[string]int{"agents": 2, "documents": 5, "tools": 0}
	var asked []string
	e := newEnv(t, team.WithResourceCounter(team.ResourceCounterFunc(func(_ context.Context, teamID string) (map[string]int, error) {
		asked = append(asked, teamID)
		return counts, nil
	})))
	ana, ada := user("ana"), user("ada")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, ada, rbac.RoleAdmin)

	got, err := e.svc.DeletionPreflight(e.ctx, ana.ID, tm.ID)
	require.NoError(t, err)
	require.Equal(t, map[string]int{"agents": 2, "documents": 5}, got)

	err = e.requireUnchanged(func() error { return e.svc.DeleteTeam(e.ctx, ana.ID, tm.ID) })
	requireRefused(t, err, team.ErrResourcesRemain)
	var rr *team.ResourcesRemainError
	require.ErrorAs(t, err, &rr)
	require.Equal(t, tm.ID, rr.TeamID)
	require.Equal(t, map[string]int{"agents": 2, "documents": 5}, rr.Counts)
	require.Contains(t, err.Error(), "2 agents")

	// The host is not asked on behalf of someone who may not delete.
	n := len(asked)
	requireRefused(t, e.svc.DeleteTeam(e.ctx, ada.ID, tm.ID), team.ErrPermissionDenied)
	require.Len(t, asked, n)

	counts = map[string]int{"agents": 0}
	require.NoError(t, e.svc.DeleteTeam(e.ctx, ana.ID, tm.ID))
	require.Equal(t, []string{tm.ID, tm.ID, tm.ID}, asked)
}

// Rule DEL-2: a ResourceCounter failure is returned and nothing is deleted.
func TestDEL2_CounterErrorDeletesNothing(t *testing.T) {
	ctrl := gomock.NewController(t)
	counter := NewMockResourceCounter(ctrl)
	down := errors.New("resource service unavailable")
	e := newEnv(t, team.WithResourceCounter(counter))
	ana := user("ana")
	tm := e.teamOf(ana, "Agency")
	counter.EXPECT().CountResources(gomock.Any(), tm.ID).Return(nil, down).Times(2)

	err := e.requireUnchanged(func() error { return e.svc.DeleteTeam(e.ctx, ana.ID, tm.ID) })
	require.ErrorIs(t, err, down)
	require.NotErrorIs(t, err, team.ErrResourcesRemain)
	_, err = e.svc.DeletionPreflight(e.ctx, ana.ID, tm.ID)
	require.ErrorIs(t, err, down)
	got, err := e.svc.Team(e.ctx, ana.ID, tm.ID)
	require.NoError(t, err)
	require.False(t, got.Deleted())
}

// Rule DEL-3: deletion removes memberships and pending invitations in one
// unit; the team record and its audit trail stay.
func TestDEL3_DeleteRemovesMembershipsKeepsAuditTrail(t *testing.T) {
	e := newEnv(t)
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, max, rbac.RoleMember)
	inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "zoe@example.com"})
	require.NoError(t, err)
	trail := e.actions(tm.ID)

	e.clock.Advance(1e9)
	require.NoError(t, e.svc.DeleteTeam(e.ctx, ana.ID, tm.ID))

	stored, err := e.st.Team(e.ctx, tm.ID)
	require.NoError(t, err)
	require.Equal(t, e.clock.Now(), stored.DeletedAt)
	ms, err := e.st.Members(e.ctx, tm.ID)
	require.NoError(t, err)
	require.Empty(t, ms)
	pending, err := e.st.Invitations(e.ctx, tm.ID, team.InvitationPending)
	require.NoError(t, err)
	require.Empty(t, pending)
	_, err = e.svc.AcceptInvitation(e.ctx, user("zoe"), e.out.token(t, inv.Invitation.ID))
	requireRefused(t, err, team.ErrNotFound)

	require.Equal(t, append(trail, audit.TeamDeleted), e.actions(tm.ID), "the trail stays, with TeamDeleted last")
	for _, u := range []team.User{ana, max} {
		requireRefused(t, e.svc.Authorize(e.ctx, u.ID, tm.ID, rbac.View, team.Resource{}), team.ErrNotMember)
		_, err := e.svc.Team(e.ctx, u.ID, tm.ID)
		requireRefused(t, err, team.ErrNotMember)
		teams, err := e.svc.TeamsOf(e.ctx, u.ID)
		require.NoError(t, err)
		for _, got := range teams {
			require.NotEqual(t, tm.ID, got.ID)
		}
	}
	// The owner's slot is free again (CountOwnedTeams counts live teams).
	e.setAccount(ana.ID, billing.PlanTeam, billing.StatusActive)
	_, err = e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: ana, Name: "Agency 2"})
	require.NoError(t, err)
}

// Rule DEL-1 and OWN-1: even a custom policy that hands the delete and
// transfer permissions to another role does not let it delete or transfer:
// only the owner can.
func TestDEL1_OnlyOwnerEvenWhenPolicyGrantsPermission(t *testing.T) {
	p, err := rbac.NewBuilder("generous").
		Role("boss", 300, rbac.AllPermissions&^rbac.Leave).
		Role("deputy", 200, rbac.DeleteTeam|rbac.TransferOwnership|rbac.Invite|rbac.Leave).
		Role("staff", 100, rbac.ViewAnyResources|rbac.Leave).
		Owner("boss").
		Build()
	require.NoError(t, err)
	e := newEnv(t, team.WithPolicy(p))
	ana, dep, sam := user("ana"), user("dep"), user("sam")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, dep, "deputy")
	e.join(ana.ID, tm, sam, "staff")
	e.entitle(dep)

	requireRefused(t, e.requireUnchanged(func() error { return e.svc.DeleteTeam(e.ctx, dep.ID, tm.ID) }), team.ErrPermissionDenied)
	_, err = e.svc.DeletionPreflight(e.ctx, dep.ID, tm.ID)
	requireRefused(t, err, team.ErrPermissionDenied)
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.TransferOwnership(e.ctx, transferTo(dep.ID, tm.ID, sam)) }), team.ErrPermissionDenied)
	require.NoError(t, e.svc.TransferOwnership(e.ctx, transferTo(ana.ID, tm.ID, dep)))
	require.NoError(t, e.svc.DeleteTeam(e.ctx, dep.ID, tm.ID))
}
