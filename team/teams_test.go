package team_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// Rule TEAM-1: one personal team per user, created on first call, returned
// unchanged on later calls; the billing account is created with it.
func TestTEAM1_EnsurePersonalTeamIsIdempotent(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	ana.Email = "  Ana@Example.COM "

	first := e.register(ana)
	require.Equal(t, team.Personal, first.Kind)
	require.Equal(t, ana.ID, first.OwnerID)
	require.Equal(t, "Ana", first.Name)

	e.clock.Advance(1)
	second := e.register(ana)
	require.Equal(t, first, second)

	ms, err := e.st.Members(e.ctx, first.ID)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	require.Equal(t, rbac.RoleOwner, ms[0].Role)
	require.Equal(t, "ana@example.com", ms[0].Email)

	acct, err := e.st.Account(e.ctx, ana.ID)
	require.NoError(t, err)
	require.Equal(t, billing.PlanFree, acct.Plan)
	require.Equal(t, billing.StatusActive, acct.Status)
	require.Zero(t, acct.Balance)
	require.NotEmpty(t, acct.ID)

	require.Equal(t, []audit.Action{audit.TeamCreated}, e.actions(first.ID), "TeamCreated only when created")
	require.Len(t, e.st.Snapshot().Accounts, 1)

	nameless := team.User{ID: "user-x", Email: "x@example.com"}
	require.Equal(t, "Personal", e.register(nameless).Name)
}

// Rule TEAM-1: a user whose account already exists keeps it; a user whose
// personal team exists but whose account is missing gets one.
func TestTEAM1_EnsurePersonalTeamRepairsMissingAccount(t *testing.T) {
	st := store.NewMemory()
	e := newEnvOn(t, st)
	ana := user("ana")
	// A personal team without an account, as a host migration might leave.
	require.NoError(t, st.InTx(e.ctx, func(ctx context.Context, tx team.Tx) error {
		if err := tx.InsertTeam(ctx, team.Team{ID: "p-ana", Kind: team.Personal, Name: "Ana", OwnerID: ana.ID, CreatedAt: t0, UpdatedAt: t0}); err != nil {
			return err
		}
		return tx.InsertMember(ctx, team.Member{TeamID: "p-ana", UserID: ana.ID, Email: ana.Email, Role: rbac.RoleOwner, JoinedAt: t0})
	}))
	p := e.register(ana)
	require.Equal(t, "p-ana", p.ID)
	acct, err := st.Account(e.ctx, ana.ID)
	require.NoError(t, err)
	require.Equal(t, billing.PlanFree, acct.Plan)
	e.register(ana)
	require.Len(t, st.Snapshot().Accounts, 1)
}

// Rule TEAM-2: a personal team takes no invitations, cannot be deleted,
// transferred or left.
func TestTEAM2_PersonalTeamRestrictions(t *testing.T) {
	e := newEnv(t, team.WithResourceCounter(team.ResourceCounterFunc(func(context.Context, string) (map[string]int, error) {
		return nil, nil
	})))
	ana, bob := user("ana"), user("bob")
	p := e.register(ana)
	e.register(bob)

	err := e.requireUnchanged(func() error {
		_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: p.ID, Email: bob.Email, Role: rbac.RoleMember})
		return err
	})
	requireRefused(t, err, team.ErrPersonalTeam)
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.DeleteTeam(e.ctx, ana.ID, p.ID) }), team.ErrPersonalTeam)
	requireRefused(t, e.requireUnchanged(func() error {
		return e.svc.TransferOwnership(e.ctx, team.TransferOwnershipParams{ActorID: ana.ID, TeamID: p.ID, NewOwnerID: bob.ID, ConfirmNewOwnerID: bob.ID})
	}), team.ErrPersonalTeam)
	requireRefused(t, e.requireUnchanged(func() error { return e.svc.Leave(e.ctx, ana.ID, p.ID) }), team.ErrPersonalTeam)
	_, err = e.svc.DeletionPreflight(e.ctx, ana.ID, p.ID)
	requireRefused(t, err, team.ErrPersonalTeam)
}

// Rule TEAM-3: upgrade in place keeps the ID, members and trail, keeps the
// user as owner, and gives the user a new personal team, in one unit.
func TestTEAM3_UpgradeToCollaborationInPlace(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	p := e.register(ana)

	// The default needs the same entitlement as CreateTeam.
	err := e.requireUnchanged(func() error {
		_, _, err := e.svc.UpgradeToCollaboration(e.ctx, team.UpgradeToCollaborationParams{ActorID: ana.ID, TeamID: p.ID})
		return err
	})
	requireRefused(t, err, team.ErrSubscriptionRequired)

	e.setAccount(ana.ID, billing.PlanTeam, billing.StatusActive)
	up, np, err := e.svc.UpgradeToCollaboration(e.ctx, team.UpgradeToCollaborationParams{ActorID: ana.ID, TeamID: p.ID, Name: "  Ana's agency "})
	require.NoError(t, err)
	require.Equal(t, p.ID, up.ID)
	require.Equal(t, team.Collaboration, up.Kind)
	require.Equal(t, "Ana's agency", up.Name)
	require.Equal(t, ana.ID, up.OwnerID)
	require.NotEqual(t, p.ID, np.ID)
	require.Equal(t, team.Personal, np.Kind)
	require.Equal(t, ana.ID, np.OwnerID)

	m, err := e.member(up.ID, ana.ID)
	require.NoError(t, err)
	require.Equal(t, rbac.RoleOwner, m.Role)
	got, err := e.st.PersonalTeam(e.ctx, ana.ID)
	require.NoError(t, err)
	require.Equal(t, np.ID, got.ID)
	require.Equal(t, np, e.register(ana), "TEAM-1 holds again")
	require.Equal(t, []audit.Action{audit.TeamCreated, audit.TeamUpgraded}, e.actions(up.ID))
	require.Equal(t, []audit.Action{audit.TeamCreated}, e.actions(np.ID))

	// Irreversible: no second upgrade, and the TEAM plan's one slot is used.
	_, _, err = e.svc.UpgradeToCollaboration(e.ctx, team.UpgradeToCollaborationParams{ActorID: ana.ID, TeamID: up.ID})
	requireRefused(t, err, team.ErrInvalidInput)
	_, _, err = e.svc.UpgradeToCollaboration(e.ctx, team.UpgradeToCollaborationParams{ActorID: ana.ID, TeamID: np.ID})
	requireRefused(t, err, team.ErrTeamLimit)

	// Only the owner upgrades: a second member (which TEAM-2 never lets in,
	// so it is planted through the store) may not.
	intruder := user("ivy")
	require.NoError(t, e.st.InTx(e.ctx, func(ctx context.Context, tx team.Tx) error {
		if _, err := tx.LockTeam(ctx, np.ID); err != nil {
			return err
		}
		return tx.InsertMember(ctx, team.Member{TeamID: np.ID, UserID: intruder.ID, Email: intruder.Email, Role: rbac.RoleAdmin, JoinedAt: t0})
	}))
	requireRefused(t, e.requireUnchanged(func() error {
		_, _, err := e.svc.UpgradeToCollaboration(e.ctx, team.UpgradeToCollaborationParams{ActorID: intruder.ID, TeamID: np.ID})
		return err
	}), team.ErrPermissionDenied)

	// Somebody else cannot upgrade ana's personal team.
	bob := user("bob")
	e.register(bob)
	_, _, err = e.svc.UpgradeToCollaboration(e.ctx, team.UpgradeToCollaborationParams{ActorID: bob.ID, TeamID: np.ID})
	requireRefused(t, err, team.ErrNotMember)
}

// Rule TEAM-3: the subscription requirement of the upgrade is configurable.
func TestTEAM3_UpgradeWithoutSubscriptionWhenConfigured(t *testing.T) {
	e := newEnv(t, team.WithUpgradeRequiresSubscription(false))
	ana := user("ana")
	p := e.register(ana)
	up, np, err := e.svc.UpgradeToCollaboration(e.ctx, team.UpgradeToCollaborationParams{ActorID: ana.ID, TeamID: p.ID})
	require.NoError(t, err)
	require.Equal(t, p.Name, up.Name, "an empty name keeps the name")
	require.Equal(t, team.Collaboration, up.Kind)
	require.Equal(t, team.Personal, np.Kind)
}

// Rule TEAM-4: creating a collaboration team needs a valid account, a plan
// that allows teams and room under the plan's limit, each its own error.
func TestTEAM4_CreateTeamNeedsEntitlement(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	params := team.CreateTeamParams{Owner: ana, Name: "Agency", Settings: map[string]string{"region": "eu"}}

	// No account at all.
	err := e.requireUnchanged(func() error {
		_, err := e.svc.CreateTeam(e.ctx, params)
		return err
	})
	requireRefused(t, err, team.ErrInvalidAccount)

	e.register(ana)
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.CreateTeam(e.ctx, params)
		return err
	}), team.ErrSubscriptionRequired)

	e.setAccount(ana.ID, billing.PlanTeam, billing.StatusSuspended)
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.CreateTeam(e.ctx, params)
		return err
	}), team.ErrInvalidAccount)

	e.setAccount(ana.ID, billing.PlanTeam, billing.StatusActive)
	tm, err := e.svc.CreateTeam(e.ctx, params)
	require.NoError(t, err)
	require.Equal(t, team.Collaboration, tm.Kind)
	require.Equal(t, "eu", tm.Settings["region"])
	m, err := e.member(tm.ID, ana.ID)
	require.NoError(t, err)
	require.Equal(t, rbac.RoleOwner, m.Role)
	require.Equal(t, []audit.Action{audit.TeamCreated}, e.actions(tm.ID))

	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.CreateTeam(e.ctx, params)
		return err
	}), team.ErrTeamLimit)

	e.setAccount(ana.ID, billing.PlanEnterprise, billing.StatusActive)
	_, err = e.svc.CreateTeam(e.ctx, params)
	require.NoError(t, err)
}

// Rule TEAM-4: a host entitlement gets the account and the owned count.
func TestTEAM4_CustomEntitlement(t *testing.T) {
	var gotAccount billing.Account
	var gotOwned []int
	deny := errors.New("host says no")
	e := newEnv(t, team.WithEntitlement(func(_ context.Context, a billing.Account, owned int) error {
		gotAccount = a
		gotOwned = append(gotOwned, owned)
		if owned >= 2 {
			return deny
		}
		return nil
	}))
	ana := user("ana")
	_, err := e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: ana, Name: "One"})
	require.NoError(t, err)
	require.Zero(t, gotAccount, "no account: the zero Account")
	e.register(ana)
	_, err = e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: ana, Name: "Two"})
	require.NoError(t, err)
	require.Equal(t, ana.ID, gotAccount.UserID)
	_, err = e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: ana, Name: "Three"})
	require.ErrorIs(t, err, deny)
	require.Equal(t, []int{0, 1, 2}, gotOwned)
}

// Rule TEAM-5: names are validated; only the settings permission changes
// them.
func TestTEAM5_UpdateTeamNeedsSettingsPermission(t *testing.T) {
	e := newEnv(t)
	ana, ada, max := user("ana"), user("ada"), user("max")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, ada, rbac.RoleAdmin)
	e.join(ana.ID, tm, max, rbac.RoleMember)

	name := "  Renamed  "
	got, err := e.svc.UpdateTeam(e.ctx, team.UpdateTeamParams{ActorID: ada.ID, TeamID: tm.ID, Name: &name})
	require.NoError(t, err)
	require.Equal(t, "Renamed", got.Name)
	got, err = e.svc.UpdateTeam(e.ctx, team.UpdateTeamParams{ActorID: ana.ID, TeamID: tm.ID, Settings: map[string]string{"theme": "dark"}})
	require.NoError(t, err)
	require.Equal(t, "Renamed", got.Name)
	require.Equal(t, map[string]string{"theme": "dark"}, got.Settings)
	stored, err := e.svc.Team(e.ctx, max.ID, tm.ID)
	require.NoError(t, err)
	require.Equal(t, got, stored)

	other := "Mine now"
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.UpdateTeam(e.ctx, team.UpdateTeamParams{ActorID: max.ID, TeamID: tm.ID, Name: &other})
		return err
	}), team.ErrPermissionDenied)

	for _, bad := range []string{"", "   ", strings.Repeat("x", 101), "tab\tname", "bad\xffutf8"} {
		requireRefused(t, e.requireUnchanged(func() error {
			_, err := e.svc.UpdateTeam(e.ctx, team.UpdateTeamParams{ActorID: ana.ID, TeamID: tm.ID, Name: &bad})
			return err
		}), team.ErrInvalidInput)
	}
	ok := strings.Repeat("é", 100)
	_, err = e.svc.UpdateTeam(e.ctx, team.UpdateTeamParams{ActorID: ana.ID, TeamID: tm.ID, Name: &ok})
	require.NoError(t, err, "100 characters are allowed")
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.UpdateTeam(e.ctx, team.UpdateTeamParams{ActorID: ana.ID, TeamID: tm.ID})
		return err
	}), team.ErrInvalidInput)
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.UpdateTeam(e.ctx, team.UpdateTeamParams{ActorID: ana.ID, TeamID: tm.ID, Settings: map[string]string{"": "x"}})
		return err
	}), team.ErrInvalidInput)
	require.Equal(t, []audit.Action{audit.TeamCreated, audit.InvitationSent, audit.InvitationAccepted,
		audit.InvitationSent, audit.InvitationAccepted, audit.TeamUpdated, audit.TeamUpdated, audit.TeamUpdated}, e.actions(tm.ID))
}

// Rule TEAM-6: IDs of another team's records change and reveal nothing.
func TestTEAM6_TeamsAreIsolated(t *testing.T) {
	e := newEnv(t)
	ana, bob, max, zoe := user("ana"), user("bob"), user("max"), user("zoe")
	a := e.teamOf(ana, "A")
	b := e.teamOf(bob, "B")
	e.join(bob.ID, b, max, rbac.RoleMember)
	invB, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: bob.ID, TeamID: b.ID, Email: zoe.Email, Role: rbac.RoleViewer})
	require.NoError(t, err)

	// Calls in the context of team A with IDs from team B.
	requireRefused(t, e.requireUnchanged(func() error {
		return e.svc.CancelInvitation(e.ctx, team.CancelInvitationParams{ActorID: ana.ID, TeamID: a.ID, InvitationID: invB.Invitation.ID})
	}), team.ErrNotFound)
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.ResendInvitation(e.ctx, team.ResendInvitationParams{ActorID: ana.ID, TeamID: a.ID, InvitationID: invB.Invitation.ID})
		return err
	}), team.ErrNotFound)
	requireRefused(t, e.requireUnchanged(func() error {
		_, err := e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ana.ID, TeamID: a.ID, UserID: max.ID, Role: rbac.RoleViewer})
		return err
	}), team.ErrNotMember)
	requireRefused(t, e.requireUnchanged(func() error {
		return e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: ana.ID, TeamID: a.ID, UserID: max.ID})
	}), team.ErrNotMember)
	requireRefused(t, e.requireUnchanged(func() error {
		return e.svc.TransferOwnership(e.ctx, team.TransferOwnershipParams{ActorID: ana.ID, TeamID: a.ID, NewOwnerID: max.ID, ConfirmNewOwnerID: max.ID})
	}), team.ErrNotMember)

	// Calls on team B by a non-member.
	_, err = e.svc.Team(e.ctx, ana.ID, b.ID)
	requireRefused(t, err, team.ErrNotMember)
	_, err = e.svc.Members(e.ctx, ana.ID, b.ID)
	requireRefused(t, err, team.ErrNotMember)
	_, err = e.svc.Invitations(e.ctx, ana.ID, b.ID)
	requireRefused(t, err, team.ErrNotMember)
	requireRefused(t, e.requireUnchanged(func() error {
		return e.svc.CancelInvitation(e.ctx, team.CancelInvitationParams{ActorID: ana.ID, TeamID: b.ID, InvitationID: invB.Invitation.ID})
	}), team.ErrNotMember)
	requireRefused(t, e.svc.Authorize(e.ctx, ana.ID, b.ID, rbac.View, team.Resource{}), team.ErrNotMember)
	// A team that does not exist looks like one you are not a member of.
	_, err = e.svc.Team(e.ctx, ana.ID, "no-such-team")
	requireRefused(t, err, team.ErrNotMember)
	name := "x"
	_, err = e.svc.UpdateTeam(e.ctx, team.UpdateTeamParams{ActorID: ana.ID, TeamID: "no-such-team", Name: &name})
	requireRefused(t, err, team.ErrNotMember)

	teams, err := e.svc.TeamsOf(e.ctx, max.ID)
	require.NoError(t, err)
	ids := []string{}
	for _, tm := range teams {
		ids = append(ids, tm.ID)
	}
	require.Contains(t, ids, b.ID)
	require.NotContains(t, ids, a.ID)
}

// Rule SEC-1: every refusal matches its sentinel and explains itself.
func TestSEC1_RefusalsAreTypedAndExplained(t *testing.T) {
	e := newEnv(t, team.WithSeatLimit(3))
	ana, ada, max, vic, out := user("ana"), user("ada"), user("max"), user("vic"), user("out")
	tm := e.teamOf(ana, "Agency")
	p := e.register(out)
	e.join(ana.ID, tm, ada, rbac.RoleAdmin)
	e.join(ana.ID, tm, max, rbac.RoleMember)
	e.register(vic)

	cases := []struct {
		name string
		want error
		call func() error
	}{
		{"invalid input", team.ErrInvalidInput, func() error {
			_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "not-an-email"})
			return err
		}},
		{"unknown role", team.ErrUnknownRole, func() error {
			_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: vic.Email, Role: "boss"})
			return err
		}},
		{"permission denied", team.ErrPermissionDenied, func() error {
			_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: max.ID, TeamID: tm.ID, Email: vic.Email})
			return err
		}},
		{"not member", team.ErrNotMember, func() error { _, err := e.svc.Members(e.ctx, vic.ID, tm.ID); return err }},
		{"personal team", team.ErrPersonalTeam, func() error { return e.svc.Leave(e.ctx, out.ID, p.ID) }},
		{"seat limit", team.ErrSeatLimit, func() error {
			_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: vic.Email})
			return err
		}},
		{"already member", team.ErrAlreadyMember, func() error {
			_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: max.Email})
			return err
		}},
		{"owner cannot leave", team.ErrOwnerCannotLeave, func() error { return e.svc.Leave(e.ctx, ana.ID, tm.ID) }},
		{"confirmation mismatch", team.ErrConfirmationMismatch, func() error {
			return e.svc.TransferOwnership(e.ctx, team.TransferOwnershipParams{ActorID: ana.ID, TeamID: tm.ID, NewOwnerID: max.ID, ConfirmNewOwnerID: ada.ID})
		}},
		{"subscription required", team.ErrSubscriptionRequired, func() error {
			_, err := e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: vic, Name: "V"})
			return err
		}},
		{"not found", team.ErrNotFound, func() error { _, err := e.svc.AcceptInvitation(e.ctx, vic, "no-such-token"); return err }},
		{"denied action", team.ErrPermissionDenied, func() error {
			return e.svc.Authorize(e.ctx, max.ID, tm.ID, rbac.Delete, team.Resource{Type: "agent", ID: "a1", CreatorID: ada.ID})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			requireRefused(t, e.requireUnchanged(c.call), c.want)
		})
	}
}

// Rule SEC-2: bad input is refused before anything is written.
func TestSEC2_BadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "Agency")
	e.join(ana.ID, tm, max, rbac.RoleMember)
	inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "zoe@example.com", Role: rbac.RoleViewer})
	require.NoError(t, err)
	long := strings.Repeat("a", team.MaxIDLength+1)
	badName := "\x00"

	calls := map[string]func() error{
		"ensure empty id": func() error { _, err := e.svc.EnsurePersonalTeam(e.ctx, team.User{Email: "a@example.com"}); return err },
		"ensure bad email": func() error {
			_, err := e.svc.EnsurePersonalTeam(e.ctx, team.User{ID: "u1", Email: "Ann <a@example.com>"})
			return err
		},
		"ensure spaced id": func() error {
			_, err := e.svc.EnsurePersonalTeam(e.ctx, team.User{ID: "u 1", Email: "a@example.com"})
			return err
		},
		"ensure long name": func() error {
			_, err := e.svc.EnsurePersonalTeam(e.ctx, team.User{ID: "u1", Email: "a@example.com", Name: strings.Repeat("n", 101)})
			return err
		},
		"create bad name": func() error {
			_, err := e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: ana, Name: " "})
			return err
		},
		"create bad settings": func() error {
			_, err := e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: ana, Name: "x", Settings: map[string]string{"k": "\x01"}})
			return err
		},
		"update bad name": func() error {
			_, err := e.svc.UpdateTeam(e.ctx, team.UpdateTeamParams{ActorID: ana.ID, TeamID: tm.ID, Name: &badName})
			return err
		},
		"upgrade long id": func() error {
			_, _, err := e.svc.UpgradeToCollaboration(e.ctx, team.UpgradeToCollaborationParams{ActorID: long, TeamID: tm.ID})
			return err
		},
		"invite empty team": func() error {
			_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: "", Email: "x@example.com"})
			return err
		},
		"invite bad email": func() error {
			_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "x@"})
			return err
		},
		"invite unknown role": func() error {
			_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: "x@example.com", Role: "Admin"})
			return err
		},
		"resend empty id": func() error {
			_, err := e.svc.ResendInvitation(e.ctx, team.ResendInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: ""})
			return err
		},
		"cancel control id": func() error {
			return e.svc.CancelInvitation(e.ctx, team.CancelInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: "a\nb"})
		},
		"decline bad user": func() error {
			return e.svc.DeclineInvitation(e.ctx, team.User{ID: "z", Email: "zoe"}, inv.Invitation.ID)
		},
		"accept empty token": func() error { _, err := e.svc.AcceptInvitation(e.ctx, user("zoe"), ""); return err },
		"accept long token":  func() error { _, err := e.svc.AcceptInvitation(e.ctx, user("zoe"), long+long); return err },
		"change role empty": func() error {
			_, err := e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID, Role: ""})
			return err
		},
		"change role unknown": func() error {
			_, err := e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID, Role: "root"})
			return err
		},
		"remove empty user": func() error {
			return e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: ana.ID, TeamID: tm.ID, UserID: ""})
		},
		"remove self": func() error {
			return e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: ana.ID, TeamID: tm.ID, UserID: ana.ID})
		},
		"leave empty team": func() error { return e.svc.Leave(e.ctx, max.ID, "") },
		"transfer empty": func() error {
			return e.svc.TransferOwnership(e.ctx, team.TransferOwnershipParams{ActorID: ana.ID, TeamID: tm.ID})
		},
		"transfer self": func() error {
			return e.svc.TransferOwnership(e.ctx, team.TransferOwnershipParams{ActorID: ana.ID, TeamID: tm.ID, NewOwnerID: ana.ID, ConfirmNewOwnerID: ana.ID})
		},
		"delete empty actor":    func() error { return e.svc.DeleteTeam(e.ctx, "", tm.ID) },
		"authorize bad action":  func() error { return e.svc.Authorize(e.ctx, max.ID, tm.ID, rbac.Action(0), team.Resource{}) },
		"authorize empty team":  func() error { return e.svc.Authorize(e.ctx, max.ID, "", rbac.View, team.Resource{}) },
		"session epoch long id": func() error { _, err := e.svc.SessionEpoch(e.ctx, long, tm.ID); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			requireRefused(t, e.requireUnchanged(call), team.ErrInvalidInput)
		})
	}
}

// Rule SEC-2: a failure in the middle of a use case leaves no trace.
func TestSEC2_FailureMidwayLeavesNoTrace(t *testing.T) {
	cases := []struct {
		op   string
		call func(e *env) error
	}{
		{"InsertAccount", func(e *env) error { _, err := e.svc.EnsurePersonalTeam(e.ctx, user("bob")); return err }},
		{"InsertTeam", func(e *env) error { _, err := e.svc.EnsurePersonalTeam(e.ctx, user("bob")); return err }},
		{"InsertMember", func(e *env) error { _, err := e.svc.EnsurePersonalTeam(e.ctx, user("bob")); return err }},
		{"AppendAuditEvent", func(e *env) error { _, err := e.svc.EnsurePersonalTeam(e.ctx, user("bob")); return err }},
		{"UpdateTeam", func(e *env) error {
			_, _, err := e.svc.UpgradeToCollaboration(e.ctx, team.UpgradeToCollaborationParams{ActorID: "user-ana", TeamID: e.personal.ID, Name: "Agency"})
			return err
		}},
		{"InsertTeam", func(e *env) error {
			_, _, err := e.svc.UpgradeToCollaboration(e.ctx, team.UpgradeToCollaborationParams{ActorID: "user-ana", TeamID: e.personal.ID, Name: "Agency"})
			return err
		}},
		{"InsertMember", func(e *env) error {
			_, _, err := e.svc.UpgradeToCollaboration(e.ctx, team.UpgradeToCollaborationParams{ActorID: "user-ana", TeamID: e.personal.ID, Name: "Agency"})
			return err
		}},
		{"AppendAuditEvent", func(e *env) error {
			_, _, err := e.svc.UpgradeToCollaboration(e.ctx, team.UpgradeToCollaborationParams{ActorID: "user-ana", TeamID: e.personal.ID, Name: "Agency"})
			return err
		}},
	}
	for i, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			var armed atomic.Bool
			boom := errors.New("disk on fire")
			st := store.NewMemory(store.WithWriteFault(func(got string) error {
				if armed.Load() && got == c.op {
					return boom
				}
				return nil
			}))
			e := newEnvOn(t, st, team.WithUpgradeRequiresSubscription(false))
			e.personal = e.register(user("ana"))
			armed.Store(true)
			before := st.Snapshot()
			err := c.call(e)
			require.ErrorIs(t, err, boom, "case %d", i)
			require.Equal(t, before, st.Snapshot())
		})
	}
}
