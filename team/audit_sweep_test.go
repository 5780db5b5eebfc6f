package team_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// sweepFixture is the scenario every sweep case starts from: team tm owned
// by ana (ENTERPRISE, 1000 tokens), with bob (admin), carl (member) and dan
// (viewer); erin registered and invited as a member; fred registered only.
type sweepFixture struct {
	*env
	ana, bob, carl, dan, erin, fred team.User
	tm, anaPersonal, carlPersonal   team.Team
	anaAcct, carlAcct               billing.Account
	inv                             team.Invitation
	token                           string
	j                               joinSweep // links, domains and join requests (join_sweep_test.go)

	appends atomic.Int64 // AppendAuditEvent calls seen by the fault hook
	failAt  atomic.Int64 // fail the failAt-th append from now on; 0: never
}

func newSweepFixture(t *testing.T) *sweepFixture {
	t.Helper()
	f := &sweepFixture{}
	st := store.NewMemory(store.WithWriteFault(func(op string) error {
		if op != "AppendAuditEvent" && op != "AppendAccountAuditEvent" {
			return nil
		}
		if n := f.appends.Add(1); n == f.failAt.Load() {
			return errors.New("injected fault in AppendAuditEvent")
		}
		return nil
	}))
	f.env = newEnvOn(t, st, team.WithDomainVerifier(acceptingVerifier{}))
	f.ana, f.bob, f.carl, f.dan, f.erin, f.fred = user("ana"), user("bob"), user("carl"), user("dan"), user("erin"), user("fred")
	f.tm = f.teamOf(f.ana, "Sweep")
	f.join(f.ana.ID, f.tm, f.bob, rbac.RoleAdmin)
	f.join(f.ana.ID, f.tm, f.carl, rbac.RoleMember)
	f.join(f.ana.ID, f.tm, f.dan, rbac.RoleViewer)
	f.entitle(f.bob) // may receive ownership (OWN-5)
	f.register(f.erin)
	f.register(f.fred)
	res, err := f.svc.Invite(f.ctx, team.InviteParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Email: f.erin.Email, Role: rbac.RoleMember})
	require.NoError(t, err)
	f.inv = res.Invitation
	f.token = f.out.token(t, f.inv.ID)
	_, err = f.svc.TopUp(f.ctx, team.TopUpParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Amount: 1000})
	require.NoError(t, err)
	f.anaPersonal, err = f.st.PersonalTeam(f.ctx, f.ana.ID)
	require.NoError(t, err)
	f.carlPersonal, err = f.st.PersonalTeam(f.ctx, f.carl.ID)
	require.NoError(t, err)
	f.anaAcct, err = f.st.Account(f.ctx, f.ana.ID)
	require.NoError(t, err)
	f.carlAcct, err = f.st.Account(f.ctx, f.carl.ID)
	require.NoError(t, err)
	f.joinSetup(t)
	f.clock.Advance(time.Minute)
	return f
}

// wantEvent is the one event a successful call writes in a team.
type wantEvent struct {
	action audit.Action
	actor  string
}

// sweepCase classifies one exported method of *team.Service (AUD-1).
type sweepCase struct {
	// readOnly methods write nothing, ever.
	readOnly bool
	// ok calls the method so that it succeeds. For a mutating method it
	// returns the event each affected team must get, by team ID; an empty
	// map means the method's record is elsewhere (RecordUsage).
	ok func(f *sweepFixture) (map[string]wantEvent, error)
	// repeat calls, when set, are idempotent: called twice, the second call
	// succeeds, writes no event and changes nothing.
	repeat []func(f *sweepFixture) error
	// fail calls are refused (permission, validation, state): no event, no
	// change.
	fail []func(f *sweepFixture) error
}

func one(teamID string, action audit.Action, actor string) map[string]wantEvent {
	return map[string]wantEvent{teamID: {action, actor}}
}

func ignore[T any](_ T, err error) error { return err }

var someResource = team.Resource{Type: "agent", ID: "agent-1", CreatorID: "user-carl"}

// sweepTable classifies every exported method of *team.Service. A method
// missing from it fails TestAuditSweep_AUD1, so no new method skips the
// audit check.
func sweepTable() map[string]sweepCase {
	return withJoinSweepCases(map[string]sweepCase{
		// ---- mutating: one event per affected team ----
		"EnsurePersonalTeam": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				u := user("newbie")
				p, err := f.svc.EnsurePersonalTeam(f.ctx, u)
				return one(p.ID, audit.TeamCreated, u.ID), err
			},
			repeat: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.EnsurePersonalTeam(f.ctx, f.ana)) },
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.EnsurePersonalTeam(f.ctx, team.User{ID: "", Email: "x@example.com"}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.EnsurePersonalTeam(f.ctx, team.User{ID: "user-x", Email: "not an email"}))
				},
			},
		},
		"UpgradeToCollaboration": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				up, personal, err := f.svc.UpgradeToCollaboration(f.ctx, team.UpgradeToCollaborationParams{ActorID: f.ana.ID, TeamID: f.anaPersonal.ID, Name: "Ana Co"})
				return map[string]wantEvent{
					up.ID:       {audit.TeamUpgraded, f.ana.ID},
					personal.ID: {audit.TeamCreated, f.ana.ID},
				}, err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					_, _, err := f.svc.UpgradeToCollaboration(f.ctx, team.UpgradeToCollaborationParams{ActorID: f.bob.ID, TeamID: f.anaPersonal.ID})
					return err
				},
				func(f *sweepFixture) error {
					_, _, err := f.svc.UpgradeToCollaboration(f.ctx, team.UpgradeToCollaborationParams{ActorID: f.ana.ID, TeamID: f.tm.ID})
					return err
				},
				func(f *sweepFixture) error { // FREE plan
					_, _, err := f.svc.UpgradeToCollaboration(f.ctx, team.UpgradeToCollaborationParams{ActorID: f.carl.ID, TeamID: f.carlPersonal.ID})
					return err
				},
				func(f *sweepFixture) error {
					_, _, err := f.svc.UpgradeToCollaboration(f.ctx, team.UpgradeToCollaborationParams{ActorID: f.ana.ID, TeamID: f.anaPersonal.ID, Name: "\x00"})
					return err
				},
			},
		},
		"CreateTeam": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				tm, err := f.svc.CreateTeam(f.ctx, team.CreateTeamParams{Owner: f.ana, Name: "Second"})
				return one(tm.ID, audit.TeamCreated, f.ana.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.CreateTeam(f.ctx, team.CreateTeamParams{Owner: f.carl, Name: "Nope"}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.CreateTeam(f.ctx, team.CreateTeamParams{Owner: f.ana, Name: "  "}))
				},
			},
		},
		"UpdateTeam": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				name := "Renamed"
				_, err := f.svc.UpdateTeam(f.ctx, team.UpdateTeamParams{ActorID: f.bob.ID, TeamID: f.tm.ID, Name: &name})
				return one(f.tm.ID, audit.TeamUpdated, f.bob.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					name := "Mine"
					return ignore(f.svc.UpdateTeam(f.ctx, team.UpdateTeamParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Name: &name}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.UpdateTeam(f.ctx, team.UpdateTeamParams{ActorID: f.ana.ID, TeamID: f.tm.ID}))
				},
				func(f *sweepFixture) error {
					name := ""
					return ignore(f.svc.UpdateTeam(f.ctx, team.UpdateTeamParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Name: &name}))
				},
			},
		},
		"Invite": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.Invite(f.ctx, team.InviteParams{ActorID: f.bob.ID, TeamID: f.tm.ID, Email: f.fred.Email, Role: rbac.RoleMember})
				return one(f.tm.ID, audit.InvitationSent, f.bob.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.Invite(f.ctx, team.InviteParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Email: f.fred.Email, Role: rbac.RoleMember}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.Invite(f.ctx, team.InviteParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Email: "nope", Role: rbac.RoleMember}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.Invite(f.ctx, team.InviteParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Email: f.fred.Email, Role: "emperor"}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.Invite(f.ctx, team.InviteParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Email: f.erin.Email, Role: rbac.RoleMember}))
				},
			},
		},
		"ResendInvitation": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.ResendInvitation(f.ctx, team.ResendInvitationParams{ActorID: f.bob.ID, TeamID: f.tm.ID, InvitationID: f.inv.ID})
				return one(f.tm.ID, audit.InvitationResent, f.bob.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.ResendInvitation(f.ctx, team.ResendInvitationParams{ActorID: f.carl.ID, TeamID: f.tm.ID, InvitationID: f.inv.ID}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.ResendInvitation(f.ctx, team.ResendInvitationParams{ActorID: f.ana.ID, TeamID: f.tm.ID, InvitationID: "inv-nobody"}))
				},
			},
		},
		"CancelInvitation": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				err := f.svc.CancelInvitation(f.ctx, team.CancelInvitationParams{ActorID: f.ana.ID, TeamID: f.tm.ID, InvitationID: f.inv.ID})
				return one(f.tm.ID, audit.InvitationCancelled, f.ana.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return f.svc.CancelInvitation(f.ctx, team.CancelInvitationParams{ActorID: f.dan.ID, TeamID: f.tm.ID, InvitationID: f.inv.ID})
				},
				func(f *sweepFixture) error {
					return f.svc.CancelInvitation(f.ctx, team.CancelInvitationParams{ActorID: f.ana.ID, TeamID: f.anaPersonal.ID, InvitationID: f.inv.ID})
				},
				func(f *sweepFixture) error {
					return f.svc.CancelInvitation(f.ctx, team.CancelInvitationParams{ActorID: f.ana.ID, TeamID: f.tm.ID, InvitationID: ""})
				},
			},
		},
		"DeclineInvitation": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				err := f.svc.DeclineInvitation(f.ctx, f.erin, f.inv.ID)
				return one(f.tm.ID, audit.InvitationDeclined, f.erin.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return f.svc.DeclineInvitation(f.ctx, f.fred, f.inv.ID) },
				func(f *sweepFixture) error { return f.svc.DeclineInvitation(f.ctx, f.erin, "inv-nobody") },
			},
		},
		"AcceptInvitation": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.AcceptInvitation(f.ctx, f.erin, f.token)
				return one(f.tm.ID, audit.InvitationAccepted, f.erin.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.AcceptInvitation(f.ctx, f.fred, f.token)) },
				func(f *sweepFixture) error { return ignore(f.svc.AcceptInvitation(f.ctx, f.erin, "not-the-token")) },
				func(f *sweepFixture) error { return ignore(f.svc.AcceptInvitation(f.ctx, f.erin, "")) },
			},
		},
		"ChangeRole": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.ChangeRole(f.ctx, team.ChangeRoleParams{ActorID: f.bob.ID, TeamID: f.tm.ID, UserID: f.carl.ID, Role: rbac.RoleViewer})
				return one(f.tm.ID, audit.MemberRoleChanged, f.bob.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.ChangeRole(f.ctx, team.ChangeRoleParams{ActorID: f.carl.ID, TeamID: f.tm.ID, UserID: f.dan.ID, Role: rbac.RoleMember}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.ChangeRole(f.ctx, team.ChangeRoleParams{ActorID: f.bob.ID, TeamID: f.tm.ID, UserID: f.ana.ID, Role: rbac.RoleMember}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.ChangeRole(f.ctx, team.ChangeRoleParams{ActorID: f.bob.ID, TeamID: f.tm.ID, UserID: f.carl.ID, Role: rbac.RoleOwner}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.ChangeRole(f.ctx, team.ChangeRoleParams{ActorID: f.ana.ID, TeamID: f.tm.ID, UserID: f.carl.ID, Role: "emperor"}))
				},
			},
		},
		"RemoveMember": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				err := f.svc.RemoveMember(f.ctx, team.RemoveMemberParams{ActorID: f.bob.ID, TeamID: f.tm.ID, UserID: f.carl.ID})
				return one(f.tm.ID, audit.MemberRemoved, f.bob.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return f.svc.RemoveMember(f.ctx, team.RemoveMemberParams{ActorID: f.carl.ID, TeamID: f.tm.ID, UserID: f.dan.ID})
				},
				func(f *sweepFixture) error {
					return f.svc.RemoveMember(f.ctx, team.RemoveMemberParams{ActorID: f.bob.ID, TeamID: f.tm.ID, UserID: f.ana.ID})
				},
				func(f *sweepFixture) error {
					return f.svc.RemoveMember(f.ctx, team.RemoveMemberParams{ActorID: f.bob.ID, TeamID: f.tm.ID, UserID: f.fred.ID})
				},
			},
		},
		"Leave": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				err := f.svc.Leave(f.ctx, f.carl.ID, f.tm.ID)
				return one(f.tm.ID, audit.MemberLeft, f.carl.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return f.svc.Leave(f.ctx, f.ana.ID, f.tm.ID) },
				func(f *sweepFixture) error { return f.svc.Leave(f.ctx, f.fred.ID, f.tm.ID) },
				func(f *sweepFixture) error { return f.svc.Leave(f.ctx, f.ana.ID, f.anaPersonal.ID) },
			},
		},
		"TransferOwnership": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				err := f.svc.TransferOwnership(f.ctx, team.TransferOwnershipParams{ActorID: f.ana.ID, TeamID: f.tm.ID, NewOwnerID: f.bob.ID, ConfirmNewOwnerID: f.bob.ID})
				return one(f.tm.ID, audit.OwnershipTransferred, f.ana.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return f.svc.TransferOwnership(f.ctx, team.TransferOwnershipParams{ActorID: f.ana.ID, TeamID: f.tm.ID, NewOwnerID: f.bob.ID, ConfirmNewOwnerID: f.carl.ID})
				},
				func(f *sweepFixture) error {
					return f.svc.TransferOwnership(f.ctx, team.TransferOwnershipParams{ActorID: f.bob.ID, TeamID: f.tm.ID, NewOwnerID: f.bob.ID, ConfirmNewOwnerID: f.bob.ID})
				},
				func(f *sweepFixture) error {
					return f.svc.TransferOwnership(f.ctx, team.TransferOwnershipParams{ActorID: f.ana.ID, TeamID: f.tm.ID, NewOwnerID: f.fred.ID, ConfirmNewOwnerID: f.fred.ID})
				},
			},
		},
		"DeleteTeam": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				err := f.svc.DeleteTeam(f.ctx, f.ana.ID, f.tm.ID)
				return one(f.tm.ID, audit.TeamDeleted, f.ana.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return f.svc.DeleteTeam(f.ctx, f.bob.ID, f.tm.ID) },
				func(f *sweepFixture) error { return f.svc.DeleteTeam(f.ctx, f.ana.ID, f.anaPersonal.ID) },
				func(f *sweepFixture) error { return f.svc.DeleteTeam(f.ctx, f.ana.ID, "") },
			},
		},
		"RecordUsage": { // AUD-1's exception: the usage ledger is the record
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.RecordUsage(f.ctx, team.RecordUsageParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Amount: 10, IdempotencyKey: "k-1"})
				return map[string]wantEvent{}, err
			},
			repeat: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.RecordUsage(f.ctx, team.RecordUsageParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Amount: 10, IdempotencyKey: "k-0"}))
				},
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.RecordUsage(f.ctx, team.RecordUsageParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Amount: 0, IdempotencyKey: "k-2"}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.RecordUsage(f.ctx, team.RecordUsageParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Amount: 1 << 40, IdempotencyKey: "k-3"}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.RecordUsage(f.ctx, team.RecordUsageParams{ActorID: f.fred.ID, TeamID: f.tm.ID, Amount: 1, IdempotencyKey: "k-4"}))
				},
			},
		},
		"TopUp": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.TopUp(f.ctx, team.TopUpParams{ActorID: f.bob.ID, TeamID: f.tm.ID, Amount: 50})
				return one(f.anaAcct.ID, audit.BillingTopUp, f.bob.ID), err
			},
			repeat: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.TopUp(f.ctx, team.TopUpParams{ActorID: team.SystemActor, AccountUserID: f.carl.ID, Amount: 50, IdempotencyKey: "pay-1"}))
				},
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { // someone else's account, not through a team
					return ignore(f.svc.TopUp(f.ctx, team.TopUpParams{ActorID: f.bob.ID, AccountUserID: f.carl.ID, Amount: 50}))
				},
				func(f *sweepFixture) error { // no actor is not the host
					return ignore(f.svc.TopUp(f.ctx, team.TopUpParams{AccountUserID: f.carl.ID, Amount: 50}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.TopUp(f.ctx, team.TopUpParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Amount: 50}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.TopUp(f.ctx, team.TopUpParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Amount: -5}))
				},
			},
		},
		"ChangePlan": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.ChangePlan(f.ctx, team.ChangePlanParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Plan: billing.PlanTeam})
				return one(f.anaAcct.ID, audit.BillingPlanChanged, f.ana.ID), err
			},
			repeat: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.ChangePlan(f.ctx, team.ChangePlanParams{ActorID: f.carl.ID, AccountUserID: f.carl.ID, Plan: billing.PlanTeam}))
				},
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.ChangePlan(f.ctx, team.ChangePlanParams{ActorID: f.dan.ID, TeamID: f.tm.ID, Plan: billing.PlanTeam}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.ChangePlan(f.ctx, team.ChangePlanParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Plan: "GOLD"}))
				},
			},
		},
		"SetAccountStatus": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.SetAccountStatus(f.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: f.carl.ID, Status: billing.StatusSuspended})
				return one(f.carlAcct.ID, audit.BillingStatusChanged, team.SystemActor), err
			},
			repeat: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.SetAccountStatus(f.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: f.carl.ID, Status: billing.StatusActive}))
				},
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.SetAccountStatus(f.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: f.carl.ID, Status: "frozen"}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.SetAccountStatus(f.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: "user-nobody", Status: billing.StatusSuspended}))
				},
			},
		},
		"RecordEvent": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				_, err := f.svc.RecordEvent(f.ctx, team.RecordEventParams{ActorID: f.dan.ID, TeamID: f.tm.ID, Action: "doc.viewed", Target: "doc-1"})
				return one(f.tm.ID, "doc.viewed", f.dan.ID), err
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.RecordEvent(f.ctx, team.RecordEventParams{ActorID: f.dan.ID, TeamID: f.tm.ID}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.RecordEvent(f.ctx, team.RecordEventParams{ActorID: f.dan.ID, TeamID: "team-nobody", Action: "doc.viewed"}))
				},
			},
		},

		"DeclineInvitationByToken": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return one(f.tm.ID, audit.InvitationDeclined, f.erin.ID), f.svc.DeclineInvitationByToken(f.ctx, f.erin, f.token)
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return f.svc.DeclineInvitationByToken(f.ctx, f.fred, f.token) },
				func(f *sweepFixture) error { return f.svc.DeclineInvitationByToken(f.ctx, f.erin, "wrong-token") },
			},
		},
		"UpdateUser": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				name := "Carlos"
				return map[string]wantEvent{
					f.tm.ID:           {audit.UserUpdated, ""},
					f.carlPersonal.ID: {audit.UserUpdated, ""},
				}, f.svc.UpdateUser(f.ctx, team.UpdateUserParams{UserID: f.carl.ID, Name: &name})
			},
			repeat: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					email := "carlos@example.com"
					return f.svc.UpdateUser(f.ctx, team.UpdateUserParams{UserID: f.carl.ID, Email: &email})
				},
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					bad := "not an email"
					return f.svc.UpdateUser(f.ctx, team.UpdateUserParams{UserID: f.carl.ID, Email: &bad})
				},
				func(f *sweepFixture) error {
					name := "Nobody"
					return f.svc.UpdateUser(f.ctx, team.UpdateUserParams{UserID: "user-nobody", Name: &name})
				},
			},
		},
		"OffboardUser": {
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return map[string]wantEvent{
					f.tm.ID:           {audit.UserOffboarded, ""},
					f.carlPersonal.ID: {audit.UserOffboarded, ""},
				}, f.svc.OffboardUser(f.ctx, f.carl.ID)
			},
			repeat: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return f.svc.OffboardUser(f.ctx, f.dan.ID) },
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return f.svc.OffboardUser(f.ctx, f.ana.ID) },
				func(f *sweepFixture) error { return f.svc.OffboardUser(f.ctx, "user-nobody") },
			},
		},

		// ---- read-only: no event, no change ----
		"Policy": {readOnly: true, ok: func(f *sweepFixture) (map[string]wantEvent, error) {
			if f.svc.Policy() == nil {
				return nil, errors.New("nil policy")
			}
			return nil, nil
		}},
		"Close": {readOnly: true, ok: func(f *sweepFixture) (map[string]wantEvent, error) {
			return nil, f.svc.Close()
		}},
		"Team": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.Team(f.ctx, f.dan.ID, f.tm.ID))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.Team(f.ctx, f.fred.ID, f.tm.ID)) },
			}},
		"TeamsOf": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.TeamsOf(f.ctx, f.carl.ID))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.TeamsOf(f.ctx, "")) },
			}},
		"Permissions": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.Permissions(f.ctx, f.dan.ID, f.tm.ID))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.Permissions(f.ctx, f.fred.ID, f.tm.ID)) },
			}},
		"Memberships": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.Memberships(f.ctx, f.carl.ID))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.Memberships(f.ctx, "")) },
			}},
		"InvitationByToken": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.InvitationByToken(f.ctx, f.token))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.InvitationByToken(f.ctx, "wrong-token")) },
			}},
		"Invitations": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.Invitations(f.ctx, f.dan.ID, f.tm.ID))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.Invitations(f.ctx, f.fred.ID, f.tm.ID)) },
			}},
		"PendingInvitations": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.PendingInvitations(f.ctx, f.erin))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.PendingInvitations(f.ctx, team.User{})) },
			}},
		"Members": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.Members(f.ctx, f.dan.ID, f.tm.ID))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.Members(f.ctx, f.fred.ID, f.tm.ID)) },
			}},
		"DeletionPreflight": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.DeletionPreflight(f.ctx, f.ana.ID, f.tm.ID))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.DeletionPreflight(f.ctx, f.bob.ID, f.tm.ID)) },
			}},
		"Authorize": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, f.svc.Authorize(f.ctx, f.carl.ID, f.tm.ID, rbac.Edit, someResource)
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return f.svc.Authorize(f.ctx, f.dan.ID, f.tm.ID, rbac.Edit, someResource) },
				func(f *sweepFixture) error {
					return f.svc.Authorize(f.ctx, f.fred.ID, f.tm.ID, rbac.View, someResource)
				},
			}},
		"SessionEpoch": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.SessionEpoch(f.ctx, f.carl.ID, f.tm.ID))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.SessionEpoch(f.ctx, f.fred.ID, f.tm.ID)) },
			}},
		"BillingAccount": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.BillingAccount(f.ctx, f.bob.ID, f.tm.ID))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.BillingAccount(f.ctx, f.carl.ID, f.tm.ID)) },
			}},
		"UsageSummary": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.UsageSummary(f.ctx, team.UsageSummaryParams{ActorID: f.ana.ID, TeamID: f.tm.ID, From: t0, To: t0.Add(24 * time.Hour)}))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.UsageSummary(f.ctx, team.UsageSummaryParams{ActorID: f.carl.ID, TeamID: f.tm.ID, From: t0, To: t0.Add(24 * time.Hour)}))
				},
			}},
		"AuditLog": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.AuditLog(f.ctx, team.AuditLogParams{ActorID: f.bob.ID, TeamID: f.tm.ID}))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.AuditLog(f.ctx, team.AuditLogParams{ActorID: f.carl.ID, TeamID: f.tm.ID}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.AuditLog(f.ctx, team.AuditLogParams{ActorID: f.bob.ID, TeamID: f.tm.ID, Query: audit.Query{Cursor: "bad"}}))
				},
			}},
		"HostAuditLog": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.HostAuditLog(f.ctx, f.tm.ID, audit.Query{}))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.HostAuditLog(f.ctx, "team-nobody", audit.Query{})) },
			}},
		// The change feed (FEED-1, FEED-2) and the hooks' counters
		// (FEED-4): host reads, no events of their own.
		"Feed": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.Feed(f.ctx, team.FeedParams{}))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.Feed(f.ctx, team.FeedParams{Cursor: "bad"})) },
				func(f *sweepFixture) error { return ignore(f.svc.Feed(f.ctx, team.FeedParams{Limit: -1})) },
			}},
		"Consumer": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.Consumer(team.ConsumerParams{Name: "sweep"}))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return ignore(f.svc.Consumer(team.ConsumerParams{})) },
			}},
		"HookStats": {readOnly: true, ok: func(f *sweepFixture) (map[string]wantEvent, error) {
			if s := f.svc.HookStats(); s != (team.HookStats{}) {
				return nil, fmt.Errorf("hook stats %+v without hooks", s)
			}
			return nil, nil
		}},
		"AccountAuditLog": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.AccountAuditLog(f.ctx, team.AccountAuditLogParams{ActorID: f.ana.ID, AccountUserID: f.ana.ID}))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.AccountAuditLog(f.ctx, team.AccountAuditLogParams{ActorID: f.bob.ID, AccountUserID: f.ana.ID}))
				},
			}},
		"Plans": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) { _ = f.svc.Plans(); return nil, nil },
		},
		"Ledger": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.Ledger(f.ctx, team.LedgerParams{ActorID: f.bob.ID, TeamID: f.tm.ID}))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.Ledger(f.ctx, team.LedgerParams{ActorID: f.carl.ID, TeamID: f.tm.ID}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.Ledger(f.ctx, team.LedgerParams{ActorID: f.bob.ID, TeamID: f.tm.ID, Cursor: "bad"}))
				},
			}},
		"UsageSeries": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.UsageSeries(f.ctx, team.UsageSeriesParams{ActorID: f.ana.ID, TeamID: f.tm.ID, From: t0, To: t0.Add(48 * time.Hour)}))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.UsageSeries(f.ctx, team.UsageSeriesParams{ActorID: f.carl.ID, TeamID: f.tm.ID, From: t0, To: t0.Add(48 * time.Hour)}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.UsageSeries(f.ctx, team.UsageSeriesParams{ActorID: f.ana.ID, TeamID: f.tm.ID}))
				},
			}},
		"UsageBreakdown": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.UsageBreakdown(f.ctx, team.UsageBreakdownParams{ActorID: f.ana.ID, TeamID: f.tm.ID, Key: "model"}))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.UsageBreakdown(f.ctx, team.UsageBreakdownParams{ActorID: f.carl.ID, TeamID: f.tm.ID, Key: "model"}))
				},
				func(f *sweepFixture) error {
					return ignore(f.svc.UsageBreakdown(f.ctx, team.UsageBreakdownParams{ActorID: f.ana.ID, TeamID: f.tm.ID}))
				},
			}},
		"Statement": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, ignore(f.svc.Statement(f.ctx, team.StatementParams{ActorID: f.ana.ID, AccountUserID: f.ana.ID}))
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error {
					return ignore(f.svc.Statement(f.ctx, team.StatementParams{ActorID: f.carl.ID, AccountUserID: f.ana.ID, TeamID: f.tm.ID}))
				},
			}},
		"VerifyAuditChain": {readOnly: true,
			ok: func(f *sweepFixture) (map[string]wantEvent, error) {
				return nil, f.svc.VerifyAuditChain(f.ctx, f.tm.ID)
			},
			fail: []func(f *sweepFixture) error{
				func(f *sweepFixture) error { return f.svc.VerifyAuditChain(f.ctx, "team-nobody") },
			}},
	})
}

// newAuditEvents returns the events of each team that after holds beyond
// before, checking that the log only grew (append-only, AUD-4).
func newAuditEvents(t *testing.T, before, after store.Snapshot) map[string][]audit.Event {
	t.Helper()
	out := map[string][]audit.Event{}
	for id, old := range before.AuditEvents {
		require.GreaterOrEqual(t, len(after.AuditEvents[id]), len(old), "events of team %s disappeared", id)
		require.Equal(t, old, after.AuditEvents[id][:len(old)], "events of team %s changed", id)
	}
	for id, evs := range after.AuditEvents {
		if n := len(before.AuditEvents[id]); len(evs) > n {
			out[id] = evs[n:]
		}
	}
	return out
}

// verifyTrail verifies the hash chain of id: a team's log, or a billing
// account's own trail (BILL-8).
func verifyTrail(t *testing.T, f *sweepFixture, id string) {
	t.Helper()
	if _, err := f.st.Team(f.ctx, id); err == nil {
		require.NoError(t, f.svc.VerifyAuditChain(f.ctx, id))
		return
	}
	events, err := f.st.AccountAuditEvents(f.ctx, id, audit.Filter{})
	require.NoError(t, err)
	require.NotEmpty(t, events)
	v := audit.NewVerifier(id)
	for _, e := range events {
		require.NoError(t, v.Add(e))
	}
	require.NoError(t, v.End(events[len(events)-1]))
}

// withoutAudit returns s with its audit events left out.
func withoutAudit(s store.Snapshot) store.Snapshot {
	s.AuditEvents = nil
	return s
}

// Rule AUD-1: every exported method of *team.Service is classified here;
// each successful state change writes exactly one audit event per affected
// team, with the right action and actor, in the same atomic step as the
// change (an audit write that fails undoes the change); usage charges write
// none but exactly one usage record; refused calls and read-only methods
// write nothing and change nothing.
func TestAuditSweep_AUD1(t *testing.T) {
	table := sweepTable()
	typ := reflect.TypeFor[*team.Service]()
	var methods []string
	for i := range typ.NumMethod() {
		methods = append(methods, typ.Method(i).Name)
	}
	var unclassified []string
	for _, m := range methods {
		if _, ok := table[m]; !ok {
			unclassified = append(unclassified, m)
		}
	}
	if len(unclassified) > 0 {
		// Not fatal: the classified methods are still swept below.
		t.Errorf("exported methods of *team.Service missing from the AUD-1 sweep table: %v; classify each as read-only or mutating with a scenario", unclassified)
	}
	for name := range table {
		if !slices.Contains(methods, name) {
			t.Errorf("the sweep table names %s, which *team.Service no longer has", name)
		}
	}

	sort.Strings(methods)
	for _, name := range methods {
		c, ok := table[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			require.NotNil(t, c.ok, "no successful scenario")
			if !c.readOnly {
				require.NotEmpty(t, c.fail, "a mutating method needs at least one refused call")
			}

			// Refused calls: no event, no change.
			for i, fail := range c.fail {
				f := newSweepFixture(t)
				before := f.st.Snapshot()
				err := fail(f)
				require.Error(t, err, "refused call %d succeeded", i)
				require.Equal(t, before, f.st.Snapshot(), "refused call %d (%v) changed the store", i, err)
			}

			// Idempotent repeats: no event, no change.
			for i, repeat := range c.repeat {
				f := newSweepFixture(t)
				require.NoError(t, repeat(f), "idempotent call %d", i)
				before := f.st.Snapshot()
				require.NoError(t, repeat(f), "idempotent call %d, repeated", i)
				require.Equal(t, before, f.st.Snapshot(), "repeating idempotent call %d changed the store", i)
			}

			// The successful call.
			f := newSweepFixture(t)
			before := f.st.Snapshot()
			want, err := c.ok(f)
			require.NoError(t, err)
			after := f.st.Snapshot()
			if c.readOnly {
				require.Equal(t, before, after, "a read-only method changed the store")
				return
			}
			got := newAuditEvents(t, before, after)
			gotTeams := make([]string, 0, len(got))
			for id := range got {
				gotTeams = append(gotTeams, id)
			}
			wantTeams := make([]string, 0, len(want))
			for id := range want {
				wantTeams = append(wantTeams, id)
			}
			require.ElementsMatch(t, wantTeams, gotTeams, "teams that got audit events")
			for id, w := range want {
				require.Len(t, got[id], 1, "events in team %s: %v", id, got[id])
				ev := got[id][0]
				require.Equal(t, w.action, ev.Action, "action in team %s", id)
				require.Equal(t, w.actor, ev.ActorID, "actor in team %s", id)
				require.Equal(t, id, ev.TeamID)
				require.True(t, ev.Time.Equal(f.clock.Now()), "event time %v, clock %v", ev.Time, f.clock.Now())
				verifyTrail(t, f, id)
			}
			if name == "RecordUsage" {
				require.Len(t, after.Usage, len(before.Usage)+1, "a charge stores exactly one usage record")
			} else {
				require.Equal(t, len(before.Usage), len(after.Usage), "only RecordUsage writes usage records")
			}
			if name != "RecordEvent" { // its state change is the event itself
				require.NotEqual(t, withoutAudit(before), withoutAudit(after), "the successful call changed nothing but the log")
			}

			// The same call with its k-th audit write failing leaves no
			// trace: the event and the change are one atomic step.
			for k := 1; k <= len(want); k++ {
				f := newSweepFixture(t)
				before := f.st.Snapshot()
				f.appends.Store(0)
				f.failAt.Store(int64(k))
				_, err := c.ok(f)
				f.failAt.Store(0)
				require.Error(t, err, "audit write %d failed but the call succeeded", k)
				require.Equal(t, before, f.st.Snapshot(), "audit write %d failed but the change stayed: %v", k, err)
			}
		})
	}
}

// Rule AUD-1: every action the library records (audit.LibraryActions) is
// expected by at least one case of the sweep, so no kind of change goes
// unchecked.
func TestAuditSweep_AUD1_EveryLibraryActionCovered(t *testing.T) {
	library := audit.LibraryActions()
	require.NotEmpty(t, library)
	covered := map[audit.Action]bool{}
	for name, c := range sweepTable() {
		if c.readOnly {
			continue
		}
		f := newSweepFixture(t)
		want, err := c.ok(f)
		require.NoError(t, err, name)
		for _, w := range want {
			covered[w.action] = true
		}
	}
	var missing []string
	for _, a := range library {
		require.True(t, a.Reserved(), "%s is a library action but not reserved", a)
		if !covered[a] {
			missing = append(missing, string(a))
		}
	}
	slices.Sort(missing)
	require.Empty(t, missing, fmt.Sprintf("library actions no sweep case expects: %v", missing))
}
