package team_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// inviteAs calls Service.Invite; one place to adapt to its signature.
func inviteAs(e *env, actorID, teamID, email, role string) (team.Invitation, error) {
	res, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: actorID, TeamID: teamID, Email: email, Role: role})
	return res.Invitation, err
}

// pendingInvitationsOf calls Service.PendingInvitations.
func pendingInvitationsOf(e *env, u team.User) ([]team.Invitation, error) {
	return e.svc.PendingInvitations(e.ctx, u)
}

// declineAs calls Service.DeclineInvitation.
func declineAs(e *env, u team.User, invitationID string) error {
	return e.svc.DeclineInvitation(e.ctx, u, invitationID)
}

// acceptAs calls Service.AcceptInvitation.
func acceptAs(e *env, u team.User, token string) (team.Member, error) {
	return e.svc.AcceptInvitation(e.ctx, u, token)
}

// Rule INV-2: only ASCII letters are lower-cased; a lookalike address
// (KELVIN SIGN U+212A for K) is kept as it is and never matches the ASCII
// one. A user verified as "\u212Aim@example.com" neither lists, declines nor
// accepts kim@example.com's invitation, and the invitation stays pending.
func TestLookalikeEmailNeverMatches_INV2(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	tm := e.teamOf(ana, "Agency")
	inv, err := inviteAs(e, ana.ID, tm.ID, "Kim@Example.com", rbac.RoleMember)
	require.NoError(t, err)
	require.Equal(t, "kim@example.com", inv.Email)

	kelvin := team.User{ID: "user-kelvin", Email: "\u212Aim@example.com", Name: "Kelvin"}
	e.register(kelvin)
	got, err := pendingInvitationsOf(e, kelvin)
	require.NoError(t, err)
	require.Empty(t, got, "the lookalike user lists kim's invitation")
	requireRefused(t, e.requireUnchanged(func() error { return declineAs(e, kelvin, inv.ID) }), team.ErrEmailMismatch)
	err = e.requireUnchanged(func() error { _, err := acceptAs(e, kelvin, e.out.token(t, inv.ID)); return err })
	requireRefused(t, err, team.ErrEmailMismatch)

	// The normalised forms differ: only the ASCII letters were lowered.
	n, err := team.NormalizeEmail(" \u212AIM@EXAMPLE.COM ")
	require.NoError(t, err)
	require.Equal(t, "\u212Aim@example.com", n)

	// kim herself still matches, whatever the ASCII case of her address.
	kim := team.User{ID: "user-kim", Email: "KIM@example.COM", Name: "Kim"}
	e.register(kim)
	got, err = pendingInvitationsOf(e, kim)
	require.NoError(t, err)
	require.Len(t, got, 1)
	_, err = acceptAs(e, kim, e.out.token(t, inv.ID))
	require.NoError(t, err)
}
