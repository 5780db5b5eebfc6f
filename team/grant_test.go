package team_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// changeRoleAs calls Service.ChangeRole; one place to adapt to its signature.
func changeRoleAs(e *env, actorID, teamID, userID, role string) (team.Member, error) {
	return e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: actorID, TeamID: teamID, UserID: userID, Role: role})
}

// auditLogAs calls Service.AuditLog; one place to adapt to its signature.
func auditLogAs(e *env, actorID, teamID string) (audit.Page, error) {
	return e.svc.AuditLog(e.ctx, team.AuditLogParams{ActorID: actorID, TeamID: teamID})
}

// Rule ROLE-7: in a custom policy where "lead" and "peer" share a rank but
// peer holds settings, billing and audit permissions the lead lacks, the
// lead cannot change its own role to peer: the call is refused with
// ErrPermissionDenied, nothing changes, and the lead still cannot read the
// audit log.
func TestChangeRoleToEqualRankWithMorePermissionsRefused_ROLE7(t *testing.T) {
	mgmt := rbac.Invite | rbac.RemoveMembers | rbac.ChangeRoles
	p, err := rbac.NewBuilder("ranks").
		Role("boss", 100, rbac.AllPermissions&^rbac.Leave).
		Role("lead", 50, mgmt|rbac.ViewAnyResources|rbac.Leave).
		Role("peer", 50, mgmt|rbac.Settings|rbac.Billing|rbac.ViewAudit|rbac.ViewAnyResources|rbac.Leave).
		Owner("boss").
		Build()
	require.NoError(t, err)
	e := newEnv(t, team.WithPolicy(p))
	ana, lee := user("ana"), user("lee")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, lee, "lead")

	err = e.requireUnchanged(func() error {
		_, err := changeRoleAs(e, lee.ID, tm.ID, lee.ID, "peer")
		return err
	})
	requireRefused(t, err, team.ErrPermissionDenied)
	m, err := e.member(tm.ID, lee.ID)
	require.NoError(t, err)
	require.Equal(t, "lead", m.Role)
	_, err = auditLogAs(e, lee.ID, tm.ID)
	require.ErrorIs(t, err, team.ErrPermissionDenied)

	// The owner, who holds every permission peer has, may grant it.
	m, err = changeRoleAs(e, ana.ID, tm.ID, lee.ID, "peer")
	require.NoError(t, err)
	require.Equal(t, "peer", m.Role)
}
