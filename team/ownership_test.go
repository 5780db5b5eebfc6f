package team_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// transferTo is actorID's confirmed transfer of teamID to u.
func transferTo(actorID, teamID string, u team.User) team.TransferOwnershipParams {
	return team.TransferOwnershipParams{ActorID: actorID, TeamID: teamID, NewOwnerID: u.ID, ConfirmNewOwnerID: u.ID}
}

// Rule OWN-1: only the owner transfers, only to an active member, with the
// confirmation step.
func TestOWN1_TransferOnlyByOwnerToMemberWithConfirmation(t *testing.T) {
	e := newEnv(t)
	ana, ada, max, out := user("ana"), user("ada"), user("max"), user("out")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, ada, rbac.RoleAdmin)
	e.join(ana.ID, tm, max, rbac.RoleMember)
	e.entitle(max)
	e.register(out)

	for _, c := range []struct {
		name string
		tr   team.TransferOwnershipParams
		want error
	}{
		{"admin is not the owner", transferTo(ada.ID, tm.ID, max), team.ErrPermissionDenied},
		{"admin to self", transferTo(ada.ID, tm.ID, ada), team.ErrPermissionDenied},
		{"non-member actor", transferTo(out.ID, tm.ID, max), team.ErrNotMember},
		{"target not a member", transferTo(ana.ID, tm.ID, out), team.ErrNotMember},
		{"confirmation differs", team.TransferOwnershipParams{ActorID: ana.ID, TeamID: tm.ID, NewOwnerID: max.ID, ConfirmNewOwnerID: ada.ID}, team.ErrConfirmationMismatch},
		{"confirmation missing", team.TransferOwnershipParams{ActorID: ana.ID, TeamID: tm.ID, NewOwnerID: max.ID}, team.ErrInvalidInput},
		{"to self", transferTo(ana.ID, tm.ID, ana), team.ErrInvalidInput},
	} {
		t.Run(c.name, func(t *testing.T) {
			requireRefused(t, e.requireUnchanged(func() error { return e.svc.TransferOwnership(e.ctx, c.tr) }), c.want)
		})
	}

	require.NoError(t, e.svc.TransferOwnership(e.ctx, transferTo(ana.ID, tm.ID, max)))
	got, err := e.svc.Team(e.ctx, max.ID, tm.ID)
	require.NoError(t, err)
	require.Equal(t, max.ID, got.OwnerID)
	owners := e.ownersOf(tm.ID)
	require.Len(t, owners, 1)
	require.Equal(t, max.ID, owners[0].UserID)
	// The old owner is no longer the owner.
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.TransferOwnership(e.ctx, transferTo(ana.ID, tm.ID, ada)) }), team.ErrPermissionDenied)
	require.Equal(t, audit.OwnershipTransferred, e.actions(tm.ID)[len(e.actions(tm.ID))-1])
}

// Rule OWN-3: the old owner gets the configured role, by default the
// policy's regular role; both epochs go up (ROLE-5).
func TestOWN3_FormerOwnerRole(t *testing.T) {
	for _, c := range []struct {
		name string
		opts []team.Option
		want string
	}{
		{"standard default", nil, rbac.RoleMember},
		{"platform default", []team.Option{team.WithPolicy(rbac.Platform())}, rbac.RoleDeveloper},
		{"configured", []team.Option{team.WithFormerOwnerRole(rbac.RoleAdmin)}, rbac.RoleAdmin},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.opts...)
			ana, ada := user("ana"), user("ada")
			tm := e.teamOf(ana, "Agency")
			e.join(ana.ID, tm, ada, rbac.RoleAdmin)
			e.entitle(ada)
			oldEpoch, err := e.svc.SessionEpoch(e.ctx, ana.ID, tm.ID)
			require.NoError(t, err)
			newEpoch, err := e.svc.SessionEpoch(e.ctx, ada.ID, tm.ID)
			require.NoError(t, err)

			require.NoError(t, e.svc.TransferOwnership(e.ctx, transferTo(ana.ID, tm.ID, ada)))
			old, err := e.member(tm.ID, ana.ID)
			require.NoError(t, err)
			require.Equal(t, c.want, old.Role)
			require.Equal(t, oldEpoch+1, old.Epoch)
			nw, err := e.member(tm.ID, ada.ID)
			require.NoError(t, err)
			require.Equal(t, rbac.RoleOwner, nw.Role)
			require.Equal(t, newEpoch+1, nw.Epoch)
		})
	}
}

// Rule OWN-4: the new owner needs a valid billing account; otherwise the
// transfer is refused and nothing changes.
func TestOWN4_NewOwnerNeedsValidAccount(t *testing.T) {
	e := newEnv(t)
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, max, rbac.RoleMember)

	e.setAccount(max.ID, billing.PlanFree, billing.StatusSuspended)
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.TransferOwnership(e.ctx, transferTo(ana.ID, tm.ID, max)) }), team.ErrInvalidAccount)

	// A member who joined before registering got a FREE account on
	// acceptance (INV-5), which cannot own a collaboration team (OWN-5).
	ghost := team.User{ID: "user-ghost", Email: "ghost@example.com"}
	inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: ghost.Email, Role: rbac.RoleMember})
	require.NoError(t, err)
	_, err = e.svc.AcceptInvitation(e.ctx, ghost, e.out.token(t, inv.Invitation.ID))
	require.NoError(t, err)
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.TransferOwnership(e.ctx, transferTo(ana.ID, tm.ID, ghost)) }), team.ErrSubscriptionRequired)

	e.setAccount(max.ID, billing.PlanTeam, billing.StatusActive)
	require.NoError(t, e.svc.TransferOwnership(e.ctx, transferTo(ana.ID, tm.ID, max)))
}
