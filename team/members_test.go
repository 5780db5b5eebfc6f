package team_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// Rule MEM-1 and ROLE-6: roles change only within the ceiling; nobody
// changes the owner's role, grants owner or raises their own role; admins
// change other admins.
func TestMEM1_ChangeRoleWithinCeiling(t *testing.T) {
	e := newEnv(t)
	ana, ada, abe, max, vic := user("ana"), user("ada"), user("abe"), user("max"), user("vic")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, ada, rbac.RoleAdmin)
	e.join(ana.ID, tm, abe, rbac.RoleAdmin)
	e.join(ana.ID, tm, max, rbac.RoleMember)
	e.join(ana.ID, tm, vic, rbac.RoleViewer)

	refusals := []struct {
		name          string
		actor, target team.User
		role          string
		want          error
	}{
		{"member lacks the permission", max, vic, rbac.RoleMember, team.ErrPermissionDenied},
		{"viewer raises self", vic, vic, rbac.RoleMember, team.ErrPermissionDenied},
		{"admin grants owner", ada, max, rbac.RoleOwner, team.ErrPermissionDenied},
		{"admin changes the owner", ada, ana, rbac.RoleMember, team.ErrPermissionDenied},
		{"owner changes own role", ana, ana, rbac.RoleAdmin, team.ErrPermissionDenied},
		{"admin raises self to owner", ada, ada, rbac.RoleOwner, team.ErrPermissionDenied},
		{"owner grants owner", ana, max, rbac.RoleOwner, team.ErrPermissionDenied},
		{"target not a member", ana, user("nobody"), rbac.RoleMember, team.ErrNotMember},
		{"unknown role", ana, max, "superuser", team.ErrUnknownRole},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			requireRefused(t, e.requireUnchanged(func() error {
				_, err := e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: c.actor.ID, TeamID: tm.ID, UserID: c.target.ID, Role: c.role})
				return err
			}), c.want)
		})
	}

	m, err := e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ada.ID, TeamID: tm.ID, UserID: max.ID, Role: rbac.RoleViewer})
	require.NoError(t, err)
	require.Equal(t, rbac.RoleViewer, m.Role)
	m, err = e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ada.ID, TeamID: tm.ID, UserID: abe.ID, Role: rbac.RoleMember})
	require.NoError(t, err, "admins may change other admins")
	require.Equal(t, rbac.RoleMember, m.Role)
	m, err = e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ada.ID, TeamID: tm.ID, UserID: ada.ID, Role: rbac.RoleViewer})
	require.NoError(t, err, "lowering one's own role is allowed")
	require.Equal(t, rbac.RoleViewer, m.Role)
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ada.ID, TeamID: tm.ID, UserID: ada.ID, Role: rbac.RoleAdmin})
		return err
	}), team.ErrPermissionDenied)

	// The same role again changes nothing and records nothing.
	before := e.st.Snapshot()
	same, err := e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID, Role: rbac.RoleViewer})
	require.NoError(t, err)
	require.Equal(t, rbac.RoleViewer, same.Role)
	require.Equal(t, before, e.st.Snapshot())

	acts := e.actions(tm.ID)
	require.Equal(t, []audit.Action{audit.MemberRoleChanged, audit.MemberRoleChanged, audit.MemberRoleChanged}, acts[len(acts)-3:])
}

// Rule ROLE-5: every role change increments the membership's epoch, and
// Authorize uses the current role at once.
func TestROLE5_RoleChangeBumpsSessionEpoch(t *testing.T) {
	e := newEnv(t)
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, max, rbac.RoleMember)
	res := team.Resource{Type: "agent", ID: "a1", CreatorID: ana.ID}

	ep, err := e.svc.SessionEpoch(e.ctx, max.ID, tm.ID)
	require.NoError(t, err)
	require.Equal(t, uint64(e.clock.Now().UnixMicro()), ep, "a new membership starts at the clock's microseconds")
	require.NoError(t, e.svc.Authorize(e.ctx, max.ID, tm.ID, rbac.Use, res))

	_, err = e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID, Role: rbac.RoleViewer})
	require.NoError(t, err)
	ep1, err := e.svc.SessionEpoch(e.ctx, max.ID, tm.ID)
	require.NoError(t, err)
	require.Greater(t, ep1, ep)
	requireRefused(t, e.svc.Authorize(e.ctx, max.ID, tm.ID, rbac.Use, res), team.ErrPermissionDenied)

	_, err = e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID, Role: rbac.RoleAdmin})
	require.NoError(t, err)
	ep2, err := e.svc.SessionEpoch(e.ctx, max.ID, tm.ID)
	require.NoError(t, err)
	require.Greater(t, ep2, ep1)
	require.NoError(t, e.svc.Authorize(e.ctx, max.ID, tm.ID, rbac.Delete, res))

	_, err = e.svc.SessionEpoch(e.ctx, "user-nobody", tm.ID)
	requireRefused(t, err, team.ErrNotMember)

	// Removed and invited again: the new membership's epoch is above every
	// epoch the old one had, so sessions from the old membership stay stale.
	require.NoError(t, e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID}))
	e.clock.Advance(1e9)
	e.join(ana.ID, tm, max, rbac.RoleMember)
	ep3, err := e.svc.SessionEpoch(e.ctx, max.ID, tm.ID)
	require.NoError(t, err)
	require.Greater(t, ep3, ep2)
}

// Rule MEM-2: members with the remove permission remove others (admins
// included, never the owner); the removed member loses access at once.
func TestMEM2_RemoveMember(t *testing.T) {
	e := newEnv(t)
	ana, ada, abe, max := user("ana"), user("ada"), user("abe"), user("max")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, ada, rbac.RoleAdmin)
	e.join(ana.ID, tm, abe, rbac.RoleAdmin)
	e.join(ana.ID, tm, max, rbac.RoleMember)

	requireRefused(t, e.requireUnchanged(func() error {
		return e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: max.ID, TeamID: tm.ID, UserID: abe.ID})
	}), team.ErrPermissionDenied)
	requireRefused(t, e.requireUnchanged(func() error {
		return e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: ada.ID, TeamID: tm.ID, UserID: ana.ID})
	}), team.ErrPermissionDenied)
	requireRefused(t, e.requireUnchanged(func() error {
		return e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: ada.ID, TeamID: tm.ID, UserID: ada.ID})
	}), team.ErrInvalidInput)
	requireRefused(t, e.requireUnchanged(func() error {
		return e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: ada.ID, TeamID: tm.ID, UserID: "user-nobody"})
	}), team.ErrNotMember)

	require.NoError(t, e.svc.Authorize(e.ctx, max.ID, tm.ID, rbac.View, team.Resource{}))
	require.NoError(t, e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: ada.ID, TeamID: tm.ID, UserID: max.ID}))
	requireRefused(t, e.svc.Authorize(e.ctx, max.ID, tm.ID, rbac.View, team.Resource{}), team.ErrNotMember)
	_, err := e.svc.Members(e.ctx, max.ID, tm.ID)
	requireRefused(t, err, team.ErrNotMember)

	require.NoError(t, e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: ada.ID, TeamID: tm.ID, UserID: abe.ID}), "admins may remove other admins")
	_, err = e.member(tm.ID, abe.ID)
	require.ErrorIs(t, err, team.ErrNotFound)

	acts := e.actions(tm.ID)
	require.Equal(t, []audit.Action{audit.MemberRemoved, audit.MemberRemoved}, acts[len(acts)-2:])
}

// Rule MEM-3: anyone but the owner may leave; the owner transfers first.
func TestMEM3_Leave(t *testing.T) {
	e := newEnv(t)
	ana, max, vic := user("ana"), user("max"), user("vic")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, max, rbac.RoleMember)
	e.join(ana.ID, tm, vic, rbac.RoleViewer)

	requireRefused(t, e.requireUnchanged(func() error { return e.svc.Leave(e.ctx, ana.ID, tm.ID) }), team.ErrOwnerCannotLeave)
	require.NoError(t, e.svc.Leave(e.ctx, vic.ID, tm.ID))
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.Leave(e.ctx, vic.ID, tm.ID) }), team.ErrNotMember)

	e.entitle(max) // may receive ownership (OWN-5)
	require.NoError(t, e.svc.TransferOwnership(e.ctx, team.TransferOwnershipParams{ActorID: ana.ID, TeamID: tm.ID, NewOwnerID: max.ID, ConfirmNewOwnerID: max.ID}))
	require.NoError(t, e.svc.Leave(e.ctx, ana.ID, tm.ID), "after the transfer the old owner may leave")
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.Leave(e.ctx, max.ID, tm.ID) }), team.ErrOwnerCannotLeave)

	ms, err := e.svc.Members(e.ctx, max.ID, tm.ID)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	require.Equal(t, audit.MemberLeft, e.actions(tm.ID)[len(e.actions(tm.ID))-1])
}

// Rule MEM-4: a leaver's resources stay (the library touches none of them,
// and the host still counts them); rejoining needs a new invitation.
func TestMEM4_ResourcesStayAndRejoinNeedsInvitation(t *testing.T) {
	resources := map[string]string{"agent-1": "user-max", "doc-1": "user-max", "doc-2": "user-ana"} // ID -> creator
	counter := team.ResourceCounterFunc(func(context.Context, string) (map[string]int, error) {
		return map[string]int{"resources": len(resources)}, nil
	})
	e := newEnv(t, team.WithResourceCounter(counter))
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "Agency")
	e.register(max)
	inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: max.Email, Role: rbac.RoleMember})
	require.NoError(t, err)
	tok := e.out.token(t, inv.Invitation.ID)
	_, err = e.svc.AcceptInvitation(e.ctx, max, tok)
	require.NoError(t, err)

	require.NoError(t, e.svc.Leave(e.ctx, max.ID, tm.ID))
	counts, err := e.svc.DeletionPreflight(e.ctx, ana.ID, tm.ID)
	require.NoError(t, err)
	require.Equal(t, map[string]int{"resources": 3}, counts)
	// The owner still manages what max created.
	require.NoError(t, e.svc.Authorize(e.ctx, ana.ID, tm.ID, rbac.Delete, team.Resource{Type: "agent", ID: "agent-1", CreatorID: max.ID}))
	requireRefused(t, e.svc.Authorize(e.ctx, max.ID, tm.ID, rbac.View, team.Resource{Type: "agent", ID: "agent-1", CreatorID: max.ID}), team.ErrNotMember)

	// The old link does not bring max back; a new invitation does.
	_, err = e.svc.AcceptInvitation(e.ctx, max, tok)
	requireRefused(t, err, team.ErrInvitationUsed)
	e.join(ana.ID, tm, max, rbac.RoleViewer)
	m, err := e.member(tm.ID, max.ID)
	require.NoError(t, err)
	require.Equal(t, rbac.RoleViewer, m.Role)
}

// Rule MEM-5: every member lists members (role, joined time, user ID,
// email) and pending invitations.
func TestMEM5_ListMembersAndInvitations(t *testing.T) {
	e := newEnv(t)
	ana, vic := user("ana"), user("vic")
	tm := e.teamOf(ana, "Agency")
	joinedAna := e.clock.Now()
	e.clock.Advance(1e9)
	e.join(ana.ID, tm, vic, rbac.RoleViewer)
	inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "zoe@example.com", Role: rbac.RoleMember})
	require.NoError(t, err)
	cancelled, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "yan@example.com", Role: rbac.RoleMember})
	require.NoError(t, err)
	require.NoError(t, e.svc.CancelInvitation(e.ctx, team.CancelInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: cancelled.Invitation.ID}))

	ms, err := e.svc.Members(e.ctx, vic.ID, tm.ID)
	require.NoError(t, err)
	require.Len(t, ms, 2)
	require.Equal(t, team.Member{TeamID: tm.ID, UserID: ana.ID, Email: ana.Email, Name: "Ana", Role: rbac.RoleOwner, JoinedAt: joinedAna, Epoch: uint64(joinedAna.UnixMicro())}, ms[0])
	require.Equal(t, vic.ID, ms[1].UserID)
	require.Equal(t, vic.Email, ms[1].Email)
	require.Equal(t, rbac.RoleViewer, ms[1].Role)
	require.Equal(t, e.clock.Now(), ms[1].JoinedAt)

	invs, err := e.svc.Invitations(e.ctx, vic.ID, tm.ID)
	require.NoError(t, err)
	require.Equal(t, []team.Invitation{inv.Invitation}, invs)

	_, err = e.svc.Members(e.ctx, "user-out", tm.ID)
	requireRefused(t, err, team.ErrNotMember)
}
