package team_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// lossyStore is a Store whose committed reads of one team's audit log stop
// after keep events, as if the newer ones (or, with keep 0, all of them)
// had been removed from storage behind the library's back. The team record,
// and the audit head on it, are untouched.
type lossyStore struct {
	team.Store
	teamID string
	keep   uint64
}

func (l *lossyStore) AuditEvents(ctx context.Context, teamID string, f audit.Filter) ([]audit.Event, error) {
	es, err := l.Store.AuditEvents(ctx, teamID, f)
	if err != nil || teamID != l.teamID {
		return es, err
	}
	out := es[:0]
	for _, e := range es {
		if e.Seq <= l.keep {
			out = append(out, e)
		}
	}
	return out, nil
}

func (l *lossyStore) LastAuditEvent(ctx context.Context, teamID string) (audit.Event, error) {
	if teamID != l.teamID {
		return l.Store.LastAuditEvent(ctx, teamID)
	}
	es, err := l.AuditEvents(ctx, teamID, audit.Filter{})
	if err != nil {
		return audit.Event{}, err
	}
	if len(es) == 0 {
		return audit.Event{}, fmt.Errorf("lossy: no events: %w", team.ErrNotFound)
	}
	return es[len(es)-1], nil
}

// Rule AUD-4: the chain's head lives on the team record, so removing the
// newest events, or every event, is reported as a broken chain naming what
// is missing.
func TestAUD4_RemovedNewestEventsAreDetectedByTheHead(t *testing.T) {
	e := newEnv(t)
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, max, rbac.RoleMember)
	for i := range 3 {
		_, err := e.svc.RecordEvent(e.ctx, team.RecordEventParams{ActorID: ana.ID, TeamID: tm.ID, Action: "doc.viewed", Target: fmt.Sprint("doc-", i)})
		require.NoError(t, err)
	}
	all, err := e.st.AuditEvents(e.ctx, tm.ID, audit.Filter{})
	require.NoError(t, err)
	newest := all[len(all)-1]
	head, err := e.st.AuditHead(e.ctx, tm.ID)
	require.NoError(t, err)
	require.Equal(t, team.AuditHead{Seq: newest.Seq, Hash: newest.Hash}, head)
	require.NoError(t, e.svc.VerifyAuditChain(e.ctx, tm.ID))

	for _, keep := range []uint64{newest.Seq - 1, 1, 0} {
		t.Run(fmt.Sprint("keep", keep), func(t *testing.T) {
			lossy := &lossyStore{Store: e.st, teamID: tm.ID, keep: keep}
			svc, err := team.New(lossy)
			require.NoError(t, err)
			err = svc.VerifyAuditChain(e.ctx, tm.ID)
			requireRefused(t, err, team.ErrBrokenChain)
			var ce *audit.ChainError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, keep+1, ce.Seq, "the first missing event: %v", err)
			require.Contains(t, err.Error(), fmt.Sprint(newest.Seq))
		})
	}
}

// rejoin removes userID from tm and has them accept a new invitation.
func (e *env) rejoin(actorID string, tm team.Team, u team.User, role string) team.Member {
	e.t.Helper()
	require.NoError(e.t, e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: actorID, TeamID: tm.ID, UserID: u.ID}))
	return e.join(actorID, tm, u, role)
}

// Rule ROLE-5: four role changes within one microsecond (a frozen clock),
// removal, clock +1 µs, re-invite and accept: the new membership's epoch is
// above the old membership's last.
func TestROLE5_EpochsGrowAcrossRejoinWithFrozenClock(t *testing.T) {
	e := newEnv(t)
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "Agency")
	m := e.join(ana.ID, tm, max, rbac.RoleMember)
	last := m.Epoch
	for _, role := range []string{rbac.RoleViewer, rbac.RoleMember, rbac.RoleAdmin, rbac.RoleViewer} {
		m, err := e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID, Role: role})
		require.NoError(t, err)
		require.Greater(t, m.Epoch, last)
		last = m.Epoch
	}
	require.NoError(t, e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID}))
	e.clock.Advance(time.Microsecond)
	again := e.join(ana.ID, tm, max, rbac.RoleMember)
	require.Greater(t, again.Epoch, last, "a session of the old membership (epoch %d) would match the new one", last)
}

// Rule ROLE-5: with a clock going backwards between removal and re-join,
// epochs still only grow.
func TestROLE5_EpochsGrowAcrossRejoinWithClockGoingBack(t *testing.T) {
	e := newEnv(t)
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "Agency")
	m := e.join(ana.ID, tm, max, rbac.RoleMember)
	m, err := e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID, Role: rbac.RoleViewer})
	require.NoError(t, err)
	last := m.Epoch
	e.clock.Advance(-time.Hour)
	again := e.rejoin(ana.ID, tm, max, rbac.RoleMember)
	require.Greater(t, again.Epoch, last)
	e.clock.Advance(-time.Hour)
	changed, err := e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID, Role: rbac.RoleViewer})
	require.NoError(t, err)
	require.Greater(t, changed.Epoch, again.Epoch)
	third := e.rejoin(ana.ID, tm, max, rbac.RoleMember)
	require.Greater(t, third.Epoch, changed.Epoch)
}

// Rule INV-5: a user the library does not know yet who accepts an
// invitation is registered in the same unit of work: personal team and FREE
// billing account; a transfer to them then works.
func TestINV5_AcceptRegistersUnknownUser(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	newcomer := team.User{ID: "user-new", Email: "new@example.com", Name: "Nia"}
	tm := e.teamOf(ana, "Agency")
	inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: newcomer.Email, Role: rbac.RoleMember})
	require.NoError(t, err)
	_, err = e.svc.AcceptInvitation(e.ctx, newcomer, inv.Token)
	require.NoError(t, err)

	pt, err := e.st.PersonalTeam(e.ctx, newcomer.ID)
	require.NoError(t, err, "every member of every team has a personal team (TEAM-1)")
	require.Equal(t, newcomer.ID, pt.OwnerID)
	require.Equal(t, "Nia", pt.Name)
	require.Equal(t, []audit.Action{audit.TeamCreated}, e.actions(pt.ID))
	acct, err := e.st.Account(e.ctx, newcomer.ID)
	require.NoError(t, err, "every member of every team has a billing account (BILL-1)")
	require.Equal(t, billing.PlanFree, acct.Plan)
	require.Equal(t, billing.StatusActive, acct.Status)
	again, err := e.svc.EnsurePersonalTeam(e.ctx, newcomer)
	require.NoError(t, err)
	require.Equal(t, pt.ID, again.ID)

	e.setAccount(newcomer.ID, billing.PlanTeam, billing.StatusActive)
	require.NoError(t, e.svc.TransferOwnership(e.ctx, transferTo(ana.ID, tm.ID, newcomer)))
	require.Equal(t, []team.Member{{TeamID: tm.ID, UserID: newcomer.ID}}, ownerKeys(e.ownersOf(tm.ID)))
}

func ownerKeys(ms []team.Member) []team.Member {
	out := make([]team.Member, len(ms))
	for i, m := range ms {
		out[i] = team.Member{TeamID: m.TeamID, UserID: m.UserID}
	}
	return out
}

// Rule OWN-5: a FREE user cannot receive ownership of a collaboration team
// (ErrSubscriptionRequired), as they could not create one; nothing changes.
func TestOWN5_FreeReceiverIsRefused(t *testing.T) {
	e := newEnv(t)
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, max, rbac.RoleMember)
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.TransferOwnership(e.ctx, transferTo(ana.ID, tm.ID, max)) }), team.ErrSubscriptionRequired)

	e.setAccount(max.ID, billing.PlanTeam, billing.StatusActive)
	require.NoError(t, e.svc.TransferOwnership(e.ctx, transferTo(ana.ID, tm.ID, max)))
}

// Rule OWN-5: an ENTERPRISE user who owns 10 collaboration teams cannot
// receive an eleventh (ErrTeamLimit); nothing changes.
func TestOWN5_EnterpriseReceiverAtTenTeamsIsRefused(t *testing.T) {
	e := newEnv(t)
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, max, rbac.RoleMember)
	e.setAccount(max.ID, billing.PlanEnterprise, billing.StatusActive)
	for i := range 10 {
		_, err := e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: max, Name: fmt.Sprint("Max ", i)})
		require.NoError(t, err)
	}
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.TransferOwnership(e.ctx, transferTo(ana.ID, tm.ID, max)) }), team.ErrTeamLimit)
}

// Rule OWN-5 is configurable: WithTransferRequiresEntitlement(false) lets a
// FREE user receive ownership.
func TestOWN5_CanBeTurnedOff(t *testing.T) {
	e := newEnv(t, team.WithTransferRequiresEntitlement(false))
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, max, rbac.RoleMember)
	require.NoError(t, e.svc.TransferOwnership(e.ctx, transferTo(ana.ID, tm.ID, max)))
}

// Rule INV-8: an invitation carries its inviter's authority. An admin
// invites their own second address as admin; once the admin is removed or
// demoted to viewer the invitation cannot be accepted, and nothing changes;
// re-sent by another admin it can.
func TestINV8_InvitationCarriesInviterAuthority(t *testing.T) {
	for _, lose := range []string{"removed", "demoted"} {
		t.Run(lose, func(t *testing.T) {
			e := newEnv(t)
			ana, bob, cat := user("ana"), user("bob"), user("cat")
			second := team.User{ID: "user-bob2", Email: "bob2@example.com"}
			tm := e.teamOf(ana, "Agency")
			e.join(ana.ID, tm, bob, rbac.RoleAdmin)
			e.join(ana.ID, tm, cat, rbac.RoleAdmin)
			e.register(second)
			inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: bob.ID, TeamID: tm.ID, Email: second.Email, Role: rbac.RoleAdmin})
			require.NoError(t, err)

			if lose == "removed" {
				require.NoError(t, e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: ana.ID, TeamID: tm.ID, UserID: bob.ID}))
			} else {
				_, err := e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ana.ID, TeamID: tm.ID, UserID: bob.ID, Role: rbac.RoleViewer})
				require.NoError(t, err)
			}
			err = e.requireUnchanged(func() error { _, err := e.svc.AcceptInvitation(e.ctx, second, inv.Token); return err })
			requireRefused(t, err, team.ErrInviterLacksAuthority)
			require.Contains(t, err.Error(), "ask a team admin for a new invitation")

			// Another admin, who holds the authority, re-sends it under their name.
			re, err := e.svc.ResendInvitation(e.ctx, team.ResendInvitationParams{ActorID: cat.ID, TeamID: tm.ID, InvitationID: inv.Invitation.ID})
			require.NoError(t, err)
			require.Equal(t, cat.ID, re.Invitation.InviterID)
			stored, err := e.st.Invitation(e.ctx, inv.Invitation.ID)
			require.NoError(t, err)
			require.Equal(t, cat.ID, stored.InviterID)
			m, err := e.svc.AcceptInvitation(e.ctx, second, re.Token)
			require.NoError(t, err)
			require.Equal(t, rbac.RoleAdmin, m.Role)
		})
	}
}

// Rule INV-8 with a custom policy (ROLE-7): an inviter whose role no longer
// holds every permission of the invited role cannot have it accepted.
func TestINV8_InviterRoleMustStillCoverTheInvitedRole(t *testing.T) {
	e := newEnv(t)
	ana, bob := user("ana"), user("bob")
	second := team.User{ID: "user-bob2", Email: "bob2@example.com"}
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, bob, rbac.RoleAdmin)
	inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: bob.ID, TeamID: tm.ID, Email: second.Email, Role: rbac.RoleMember})
	require.NoError(t, err)
	// Demoted to Member: still a member, but without the invite permission.
	_, err = e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ana.ID, TeamID: tm.ID, UserID: bob.ID, Role: rbac.RoleMember})
	require.NoError(t, err)
	requireRefused(t, e.requireUnchanged(func() error { _, err := e.svc.AcceptInvitation(e.ctx, second, inv.Token); return err }), team.ErrInviterLacksAuthority)
	_, err = e.st.PersonalTeam(e.ctx, second.ID)
	require.ErrorIs(t, err, team.ErrNotFound, "a refused accept registers nobody")
}

var _ team.Store = (*lossyStore)(nil)

// Rule ROLE-5, LINK-2: a user who re-joins through an invite link, with a
// frozen clock, starts above every epoch of their old membership, as an
// invited user does.
func TestROLE5_EpochsGrowAcrossRejoinThroughLink(t *testing.T) {
	e := newEnv(t)
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "Agency")
	link, err := e.svc.CreateInviteLink(e.ctx, team.CreateInviteLinkParams{ActorID: ana.ID, TeamID: tm.ID, Role: rbac.RoleMember})
	require.NoError(t, err)
	m, err := e.svc.JoinByLink(e.ctx, max, link.Token)
	require.NoError(t, err)
	last := m.Epoch
	for _, role := range []string{rbac.RoleViewer, rbac.RoleMember, rbac.RoleAdmin, rbac.RoleViewer} {
		m, err := e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID, Role: role})
		require.NoError(t, err)
		last = m.Epoch
	}
	require.NoError(t, e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID}))
	again, err := e.svc.JoinByLink(e.ctx, max, link.Token)
	require.NoError(t, err)
	require.Greater(t, again.Epoch, last, "a session of the old membership (epoch %d) would match the new one", last)
}
