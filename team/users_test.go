package team_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// Rule ROLE-8: a member reads their role, permission set and epoch in one
// call, and Can agrees with the role; non-members are refused.
func TestPermissions_ROLE8(t *testing.T) {
	e := newEnv(t)
	ana, dan, fred := user("ana"), user("dan"), user("fred")
	tm := e.teamOf(ana, "Acme")
	e.join(ana.ID, tm, dan, rbac.RoleViewer)
	e.register(fred)

	p, err := e.svc.Permissions(e.ctx, dan.ID, tm.ID)
	require.NoError(t, err)
	role, err := e.svc.Policy().Role(rbac.RoleViewer)
	require.NoError(t, err)
	m, err := e.member(tm.ID, dan.ID)
	require.NoError(t, err)
	require.Equal(t, team.Permissions{TeamID: tm.ID, Role: rbac.RoleViewer, Set: role.Permissions, Epoch: m.Epoch}, p)
	require.False(t, p.Can(rbac.Invite))
	require.False(t, p.Can(0))
	for b := range 32 {
		perm := rbac.Permission(1) << b
		require.Equal(t, role.Can(perm), p.Can(perm), "permission %s", perm)
	}
	owner, err := e.svc.Permissions(e.ctx, ana.ID, tm.ID)
	require.NoError(t, err)
	require.True(t, owner.Can(rbac.Invite|rbac.DeleteTeam))

	raw, err := json.Marshal(owner)
	require.NoError(t, err)
	var shape map[string]any
	require.NoError(t, json.Unmarshal(raw, &shape))
	require.ElementsMatch(t, []string{"team_id", "role", "permissions", "epoch"}, keys(shape))
	names := shape["permissions"].([]any)
	require.Len(t, names, len(owner.Names()))
	require.Contains(t, names, "invite")
	require.Contains(t, names, "delete_team")

	_, err = e.svc.Permissions(e.ctx, fred.ID, tm.ID)
	requireRefused(t, err, team.ErrNotMember)
	_, err = e.svc.Permissions(e.ctx, "", tm.ID)
	requireRefused(t, err, team.ErrInvalidInput)
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// countingStore counts MembershipsOfUser and Members calls.
type countingStore struct {
	*store.Memory
	memberships, members int
}

func (c *countingStore) MembershipsOfUser(ctx context.Context, userID string) ([]team.Membership, error) {
	c.memberships++
	return c.Memory.MembershipsOfUser(ctx, userID)
}

func (c *countingStore) Members(ctx context.Context, teamID string) ([]team.Member, error) {
	c.members++
	return c.Memory.Members(ctx, teamID)
}

// Rule ROLE-8: Memberships lists every live team of the user with their
// role, epoch and join time, by creation time, in one store query.
func TestMemberships_ROLE8(t *testing.T) {
	e := newEnv(t)
	ana, bob := user("ana"), user("bob")
	acme := e.teamOf(ana, "Acme")
	e.clock.Advance(time.Minute)
	gone := e.teamOf(bob, "Gone")
	e.clock.Advance(time.Minute)
	beta := e.teamOf(bob, "Beta")
	e.join(ana.ID, acme, bob, rbac.RoleAdmin)
	e.join(bob.ID, gone, ana, rbac.RoleMember)
	require.NoError(t, e.svc.DeleteTeam(e.ctx, bob.ID, gone.ID))
	personal, err := e.st.PersonalTeam(e.ctx, bob.ID)
	require.NoError(t, err)

	cs := &countingStore{Memory: e.st}
	svc, err := team.New(cs, team.WithClock(e.clock.Now))
	require.NoError(t, err)
	ms, err := svc.Memberships(e.ctx, bob.ID)
	require.NoError(t, err)
	require.Equal(t, 1, cs.memberships, "one store query")
	require.Zero(t, cs.members, "no Members call per team")
	var ids, roles []string
	for _, m := range ms {
		ids, roles = append(ids, m.Team.ID), append(roles, m.Member.Role)
		want, err := e.member(m.Team.ID, bob.ID)
		require.NoError(t, err)
		require.Equal(t, want, m.Member)
		require.False(t, m.Team.Deleted())
	}
	require.Equal(t, []string{acme.ID, personal.ID, beta.ID}, ids)
	require.Equal(t, []string{rbac.RoleAdmin, rbac.RoleOwner, rbac.RoleOwner}, roles)

	teams, err := svc.TeamsOf(e.ctx, bob.ID)
	require.NoError(t, err)
	require.Len(t, teams, len(ms))
	none, err := svc.Memberships(e.ctx, "user-nobody")
	require.NoError(t, err)
	require.Empty(t, none)
	_, err = svc.Memberships(e.ctx, "")
	requireRefused(t, err, team.ErrInvalidInput)
}

// Rule INV-9: the token preview shows exactly the team name, the inviter's
// display name, the role, the expiry and the state; a wrong or replaced
// token is not found.
func TestInvitationByToken_INV9(t *testing.T) {
	e := newEnv(t)
	ana, erin := user("ana"), user("erin")
	tm := e.teamOf(ana, "Acme")
	res, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: erin.Email, Role: rbac.RoleAdmin})
	require.NoError(t, err)

	p, err := e.svc.InvitationByToken(e.ctx, res.Token)
	require.NoError(t, err)
	require.Equal(t, team.InvitationPreview{
		TeamName: "Acme", InviterName: ana.Name, Role: rbac.RoleAdmin,
		ExpiresAt: res.Invitation.ExpiresAt, State: team.InvitationPending,
	}, p)
	raw, err := json.Marshal(p)
	require.NoError(t, err)
	var shape map[string]any
	require.NoError(t, json.Unmarshal(raw, &shape))
	require.ElementsMatch(t, []string{"team_name", "inviter_name", "role", "expires_at", "state"}, keys(shape))
	for _, secret := range []string{erin.Email, res.Invitation.ID, res.Invitation.TokenHash, tm.ID, ana.ID, res.Token} {
		require.NotContains(t, string(raw), secret)
	}

	e.clock.Advance(team.DefaultInvitationTTL)
	p, err = e.svc.InvitationByToken(e.ctx, res.Token)
	require.NoError(t, err)
	require.Equal(t, team.InvitationExpired, p.State)

	re, err := e.svc.ResendInvitation(e.ctx, team.ResendInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: res.Invitation.ID})
	require.NoError(t, err)
	_, err = e.svc.InvitationByToken(e.ctx, res.Token)
	requireRefused(t, err, team.ErrNotFound)
	_, err = e.svc.InvitationByToken(e.ctx, "not-a-token")
	requireRefused(t, err, team.ErrNotFound)
	_, err = e.svc.InvitationByToken(e.ctx, "")
	requireRefused(t, err, team.ErrInvalidInput)
	p, err = e.svc.InvitationByToken(e.ctx, re.Token)
	require.NoError(t, err)
	require.Equal(t, team.InvitationPending, p.State)
}

// Rule INV-9: the invitee declines with the link token; an old token of a
// re-sent invitation is dead; someone else's email is refused.
func TestDeclineInvitationByToken_INV9(t *testing.T) {
	e := newEnv(t)
	ana, erin, fred := user("ana"), user("erin"), user("fred")
	tm := e.teamOf(ana, "Acme")
	res, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: erin.Email})
	require.NoError(t, err)
	re, err := e.svc.ResendInvitation(e.ctx, team.ResendInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: res.Invitation.ID})
	require.NoError(t, err)

	err = e.requireUnchanged(func() error { return e.svc.DeclineInvitationByToken(e.ctx, erin, res.Token) })
	requireRefused(t, err, team.ErrNotFound)
	err = e.requireUnchanged(func() error { return e.svc.DeclineInvitationByToken(e.ctx, fred, re.Token) })
	requireRefused(t, err, team.ErrEmailMismatch)

	require.NoError(t, e.svc.DeclineInvitationByToken(e.ctx, erin, re.Token))
	inv, err := e.st.Invitation(e.ctx, res.Invitation.ID)
	require.NoError(t, err)
	require.Equal(t, team.InvitationDeclined, inv.Status)
	require.Equal(t, audit.InvitationDeclined, last(e.actions(tm.ID)))
	err = e.requireUnchanged(func() error { return e.svc.DeclineInvitationByToken(e.ctx, erin, re.Token) })
	requireRefused(t, err, team.ErrInvitationDeclined)
	_, err = e.svc.AcceptInvitation(e.ctx, erin, re.Token)
	requireRefused(t, err, team.ErrInvitationDeclined)
}

func last[T any](xs []T) T { return xs[len(xs)-1] }

// Rule USER-1: UpdateUser changes every membership in one unit of work;
// Members and Memberships show the new values; pending invitations keep
// their email; each team records user.updated without the values.
func TestUpdateUser_USER1(t *testing.T) {
	e := newEnv(t)
	ana, bob, erin := user("ana"), user("bob"), user("erin")
	acme := e.teamOf(ana, "Acme")
	beta := e.teamOf(bob, "Beta")
	e.join(ana.ID, acme, bob, rbac.RoleMember)
	inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: bob.ID, TeamID: beta.ID, Email: erin.Email})
	require.NoError(t, err)
	// bob is invited to a team under his old address too.
	cora := user("cora")
	oldInv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: cora.ID, TeamID: e.teamOf(cora, "Cora").ID, Email: bob.Email})
	require.NoError(t, err)

	email, name := "  Robert@Example.COM ", " Robert "
	require.NoError(t, e.svc.UpdateUser(e.ctx, team.UpdateUserParams{UserID: bob.ID, Email: &email, Name: &name}))
	ms, err := e.svc.Memberships(e.ctx, bob.ID)
	require.NoError(t, err)
	require.Len(t, ms, 3)
	for _, m := range ms {
		require.Equal(t, "robert@example.com", m.Member.Email)
		require.Equal(t, "Robert", m.Member.Name)
		evs, err := e.st.AuditEvents(e.ctx, m.Team.ID, audit.Filter{})
		require.NoError(t, err)
		ev := last(evs)
		require.Equal(t, audit.UserUpdated, ev.Action)
		require.Empty(t, ev.ActorID)
		require.Equal(t, map[string]string{"user_id": bob.ID, "fields": "email,name"}, ev.Details)
		require.NoError(t, e.svc.VerifyAuditChain(e.ctx, m.Team.ID))
	}
	members, err := e.svc.Members(e.ctx, ana.ID, acme.ID)
	require.NoError(t, err)
	require.Equal(t, "robert@example.com", members[1].Email)
	got, err := e.st.Invitation(e.ctx, inv.Invitation.ID)
	require.NoError(t, err)
	require.Equal(t, erin.Email, got.Email)
	got, err = e.st.Invitation(e.ctx, oldInv.Invitation.ID)
	require.NoError(t, err)
	require.Equal(t, bob.Email, got.Email, "pending invitations stay addressed to the email they were sent to")

	// The same values again change nothing.
	before := e.st.Snapshot()
	require.NoError(t, e.svc.UpdateUser(e.ctx, team.UpdateUserParams{UserID: bob.ID, Name: &name}))
	require.Equal(t, before, e.st.Snapshot())

	bad := "not an email"
	err = e.requireUnchanged(func() error {
		return e.svc.UpdateUser(e.ctx, team.UpdateUserParams{UserID: bob.ID, Email: &bad})
	})
	requireRefused(t, err, team.ErrInvalidInput)
	long := strings.Repeat("x", team.MaxNameLength+1)
	err = e.requireUnchanged(func() error {
		return e.svc.UpdateUser(e.ctx, team.UpdateUserParams{UserID: bob.ID, Name: &long})
	})
	requireRefused(t, err, team.ErrInvalidInput)
	err = e.requireUnchanged(func() error { return e.svc.UpdateUser(e.ctx, team.UpdateUserParams{UserID: bob.ID}) })
	requireRefused(t, err, team.ErrInvalidInput)
	err = e.requireUnchanged(func() error {
		return e.svc.UpdateUser(e.ctx, team.UpdateUserParams{UserID: "user-nobody", Name: &name})
	})
	requireRefused(t, err, team.ErrNotFound)
}

// Rule USER-1: an update whose last audit write fails leaves every
// membership as it was.
func TestUpdateUser_USER1_AllOrNothing(t *testing.T) {
	var fail, appends int
	st := store.NewMemory(store.WithWriteFault(func(op string) error {
		if op == "AppendAuditEvent" {
			if appends++; appends == fail {
				return errors.New("injected fault")
			}
		}
		return nil
	}))
	e := newEnvOn(t, st)
	ana, bob := user("ana"), user("bob")
	acme := e.teamOf(ana, "Acme")
	e.join(ana.ID, acme, bob, rbac.RoleMember)
	name := "Robert"
	appends, fail = 0, 2
	err := e.requireUnchanged(func() error {
		return e.svc.UpdateUser(e.ctx, team.UpdateUserParams{UserID: bob.ID, Name: &name})
	})
	require.ErrorContains(t, err, "injected fault")
}

// Rule USER-2: offboarding is refused while the user owns a collaboration
// team, with an error listing the teams, and changes nothing.
func TestOffboardUser_USER2_RefusedWhileOwner(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	acme := e.teamOf(ana, "Acme")
	beta, err := e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: ana, Name: "Beta"})
	require.NoError(t, err)
	err = e.requireUnchanged(func() error { return e.svc.OffboardUser(e.ctx, ana.ID) })
	requireRefused(t, err, team.ErrOwnsTeams)
	var owns *team.OwnsTeamsError
	require.ErrorAs(t, err, &owns)
	want := []string{acme.ID, beta.ID}
	if want[1] < want[0] {
		want[0], want[1] = want[1], want[0]
	}
	require.Equal(t, want, owns.TeamIDs)
	require.Contains(t, err.Error(), "transfer or delete them first")
}

// Rule USER-2, DEL-2: resources left in the personal team refuse the
// offboarding with the counts, and nothing changes.
func TestOffboardUser_USER2_ResourcesRemain(t *testing.T) {
	counts := map[string]int{}
	e := newEnv(t, team.WithResourceCounter(team.ResourceCounterFunc(func(context.Context, string) (map[string]int, error) {
		return counts, nil
	})))
	bob := user("bob")
	e.register(bob)
	counts["agents"] = 2
	err := e.requireUnchanged(func() error { return e.svc.OffboardUser(e.ctx, bob.ID) })
	requireRefused(t, err, team.ErrResourcesRemain)
	var rr *team.ResourcesRemainError
	require.ErrorAs(t, err, &rr)
	require.Equal(t, map[string]int{"agents": 2}, rr.Counts)
}

// Rule USER-2: offboarding removes every membership (one user.offboarded
// per team, user ID only), deletes the personal team, closes the billing
// account for good and leaves no membership or invitation holding the
// email.
func TestOffboardUser_USER2(t *testing.T) {
	e := newEnv(t)
	ana, bob, cora := user("ana"), user("bob"), user("cora")
	acme := e.teamOf(ana, "Acme")
	cteam := e.teamOf(cora, "Cora")
	e.join(ana.ID, acme, bob, rbac.RoleAdmin)
	// bob joined acme by an invitation (accepted, still stored) and has a
	// pending one to cora's team.
	pending, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: cora.ID, TeamID: cteam.ID, Email: bob.Email})
	require.NoError(t, err)
	personal, err := e.st.PersonalTeam(e.ctx, bob.ID)
	require.NoError(t, err)
	e.clock.Advance(time.Minute)

	require.NoError(t, e.svc.OffboardUser(e.ctx, bob.ID))

	ms, err := e.st.MembershipsOfUser(e.ctx, bob.ID)
	require.NoError(t, err)
	require.Empty(t, ms)
	snap := e.st.Snapshot()
	for _, m := range snap.Members {
		require.NotEqual(t, bob.Email, m.Email)
		require.NotEqual(t, bob.ID, m.UserID)
	}
	for _, inv := range snap.Invitations {
		require.NotEqual(t, bob.Email, inv.Email)
	}
	_, err = e.svc.InvitationByToken(e.ctx, pending.Token)
	requireRefused(t, err, team.ErrNotFound)
	pt, err := e.st.Team(e.ctx, personal.ID)
	require.NoError(t, err)
	require.True(t, pt.Deleted())
	require.NotContains(t, pt.Name, bob.Name)
	acct, err := e.st.Account(e.ctx, bob.ID)
	require.NoError(t, err)
	require.Equal(t, billing.StatusClosed, acct.Status)

	for teamID, want := range map[string]map[string]string{
		acme.ID:     {"user_id": bob.ID, "role": rbac.RoleAdmin, "invitations_removed": "1"}, // the accepted one
		cteam.ID:    {"user_id": bob.ID, "invitations_removed": "1"},
		personal.ID: {"user_id": bob.ID, "role": rbac.RoleOwner, "team": "deleted", "account": "closed"},
	} {
		evs, err := e.st.AuditEvents(e.ctx, teamID, audit.Filter{})
		require.NoError(t, err)
		ev := last(evs)
		require.Equal(t, audit.UserOffboarded, ev.Action, "team %s", teamID)
		require.Empty(t, ev.ActorID)
		require.Equal(t, bob.ID, ev.Target)
		require.Equal(t, want, ev.Details, "team %s", teamID)
		require.NoError(t, e.svc.VerifyAuditChain(e.ctx, teamID))
	}
	err = e.svc.Authorize(e.ctx, bob.ID, acme.ID, rbac.View, team.Resource{Type: "doc", ID: "d1"})
	requireRefused(t, err, team.ErrNotMember)

	// The closed account stays closed and is never charged; the user ID
	// cannot be registered again; offboarding again changes nothing.
	_, err = e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: bob.ID, Status: billing.StatusActive})
	requireRefused(t, err, team.ErrInvalidAccount)
	require.Error(t, acct.Usable())
	require.ErrorIs(t, acct.Usable(), billing.ErrInvalidAccount)
	_, err = e.svc.EnsurePersonalTeam(e.ctx, bob)
	requireRefused(t, err, team.ErrInvalidAccount)
	before := e.st.Snapshot()
	require.NoError(t, e.svc.OffboardUser(e.ctx, bob.ID))
	require.Equal(t, before, e.st.Snapshot())
	err = e.requireUnchanged(func() error { return e.svc.OffboardUser(e.ctx, "user-nobody") })
	requireRefused(t, err, team.ErrNotFound)
}

// Rule USER-2: every step is one unit of work: a failure at any write
// leaves the store exactly as it was.
func TestOffboardUser_USER2_AllOrNothing(t *testing.T) {
	for _, op := range []string{"DeleteMember", "UpdateTeam", "DeleteTeamMembers", "UpdateAccount", "DeleteInvitationsByEmail", "AppendAuditEvent"} {
		t.Run(op, func(t *testing.T) {
			var armed bool
			st := store.NewMemory(store.WithWriteFault(func(o string) error {
				if armed && o == op {
					return errors.New("injected fault in " + o)
				}
				return nil
			}))
			e := newEnvOn(t, st)
			ana, bob, cora := user("ana"), user("bob"), user("cora")
			acme := e.teamOf(ana, "Acme")
			cteam := e.teamOf(cora, "Cora")
			e.join(ana.ID, acme, bob, rbac.RoleMember)
			_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: cora.ID, TeamID: cteam.ID, Email: bob.Email})
			require.NoError(t, err)
			armed = true
			err = e.requireUnchanged(func() error { return e.svc.OffboardUser(e.ctx, bob.ID) })
			require.ErrorContains(t, err, "injected fault")
		})
	}
}
