package team_test

import (
	"context"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// billEnv is a service over a fresh memory store with a settable clock and
// a notifier that keeps the last invitation token per email.
type billEnv struct {
	t     testing.TB
	ctx   context.Context
	st    *store.Memory
	svc   *team.Service
	clock *fakeClock

	mu     sync.Mutex
	tokens map[string]string
}

func newBillEnv(t testing.TB, opts ...team.Option) *billEnv {
	t.Helper()
	e := &billEnv{
		t:      t,
		ctx:    context.Background(),
		st:     store.NewMemory(),
		clock:  &fakeClock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)},
		tokens: map[string]string{},
	}
	notifier := team.NotifierFunc(func(_ context.Context, msg team.InvitationMessage) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.tokens[msg.Invitation.Email] = msg.Token
		return nil
	})
	all := append([]team.Option{team.WithClock(e.clock.Now), team.WithNotifier(notifier)}, opts...)
	svc, err := team.New(e.st, all...)
	require.NoError(t, err)
	e.svc = svc
	return e
}

// user registers a user: personal team and FREE billing account (TEAM-1,
// BILL-1).
func (e *billEnv) user(id string) team.User {
	e.t.Helper()
	u := team.User{ID: id, Email: id + "@example.com", Name: id}
	_, err := e.svc.EnsurePersonalTeam(e.ctx, u)
	require.NoError(e.t, err)
	return u
}

func (e *billEnv) personal(userID string) team.Team {
	e.t.Helper()
	pt, err := e.st.PersonalTeam(e.ctx, userID)
	require.NoError(e.t, err)
	return pt
}

func (e *billEnv) account(userID string) billing.Account {
	e.t.Helper()
	a, err := e.st.Account(e.ctx, userID)
	require.NoError(e.t, err)
	return a
}

// setPlan changes u's plan through u's personal team.
func (e *billEnv) setPlan(u team.User, plan billing.Plan) {
	e.t.Helper()
	_, err := e.svc.ChangePlan(e.ctx, team.ChangePlanParams{ActorID: u.ID, TeamID: e.personal(u.ID).ID, Plan: plan})
	require.NoError(e.t, err)
}

// fund tops up u's account through u's personal team.
func (e *billEnv) fund(u team.User, amount int64) {
	e.t.Helper()
	e.topUp(u.ID, e.personal(u.ID).ID, amount)
}

// topUp tops up teamID's account as actorID and requires success.
func (e *billEnv) topUp(actorID, teamID string, amount int64) {
	e.t.Helper()
	_, err := e.svc.TopUp(e.ctx, team.TopUpParams{ActorID: actorID, TeamID: teamID, Amount: amount})
	require.NoError(e.t, err)
}

// newTeam creates a collaboration team owned by owner, giving owner an
// ENTERPRISE plan first.
func (e *billEnv) newTeam(owner team.User, name string) team.Team {
	e.t.Helper()
	if e.account(owner.ID).Plan != billing.PlanEnterprise {
		e.setPlan(owner, billing.PlanEnterprise)
	}
	tm, err := e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: owner, Name: name})
	require.NoError(e.t, err)
	return tm
}

// fundedTeam creates a team owned by owner (see newTeam), joins members to
// it as rbac.RoleMember and tops its account up with balance.
func (e *billEnv) fundedTeam(owner team.User, name string, balance int64, members ...team.User) team.Team {
	e.t.Helper()
	tm := e.newTeam(owner, name)
	for _, u := range members {
		e.join(tm, owner.ID, u, rbac.RoleMember)
	}
	e.topUp(owner.ID, tm.ID, balance)
	return tm
}

// join invites u to tm with role (inviterID invites) and accepts.
func (e *billEnv) join(tm team.Team, inviterID string, u team.User, role string) {
	e.t.Helper()
	_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: inviterID, TeamID: tm.ID, Email: u.Email, Role: role})
	require.NoError(e.t, err)
	e.mu.Lock()
	token := e.tokens[strings.ToLower(u.Email)]
	e.mu.Unlock()
	_, err = e.svc.AcceptInvitation(e.ctx, u, token)
	require.NoError(e.t, err)
}

// charge records usage with a fresh key and requires success.
func (e *billEnv) charge(actorID, teamID string, amount int64, key string) billing.UsageRecord {
	e.t.Helper()
	rec, err := e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: actorID, TeamID: teamID, Amount: amount, IdempotencyKey: key})
	require.NoError(e.t, err)
	return rec
}

func (e *billEnv) auditCount(teamID string) int {
	return len(e.st.Snapshot().AuditEvents[teamID])
}

func (e *billEnv) lastAccountEvent(accountID string) audit.Event {
	e.t.Helper()
	ev, err := e.st.LastAccountAuditEvent(e.ctx, accountID)
	require.NoError(e.t, err)
	return ev
}

// Rule BILL-1: a personal team is billed to its user's account.
func TestRecordUsage_BILL1_PersonalTeamChargesItsUser(t *testing.T) {
	e := newBillEnv(t)
	ana := e.user("ana")
	e.fund(ana, 100)

	rec := e.charge(ana.ID, e.personal(ana.ID).ID, 30, "k1")

	acct := e.account(ana.ID)
	require.Equal(t, acct.ID, rec.AccountID)
	require.Equal(t, int64(70), acct.Balance)
}

// Rule BILL-1: a collaboration team is billed to its owner's account, not
// to the account of the member who used the service.
func TestRecordUsage_BILL1_TeamChargesOwnersAccount(t *testing.T) {
	e := newBillEnv(t)
	owner, dev := e.user("owner"), e.user("dev")
	tm := e.fundedTeam(owner, "Acme", 500, dev)
	e.fund(dev, 40)

	rec := e.charge(dev.ID, tm.ID, 120, "run-1")

	require.Equal(t, e.account(owner.ID).ID, rec.AccountID)
	require.Equal(t, int64(380), e.account(owner.ID).Balance)
	require.Equal(t, int64(40), e.account(dev.ID).Balance, "the member's own account is not charged")
}

// Rule BILL-2: the record is tagged with team, user, time, amount, account
// and host metadata; the balance goes down in the same unit of work; no
// audit event is written (AUD-1's exception).
func TestRecordUsage_BILL2_RecordAndDeduction(t *testing.T) {
	e := newBillEnv(t)
	owner, dev := e.user("owner"), e.user("dev")
	tm := e.fundedTeam(owner, "Acme", 1000, dev)
	e.clock.Advance(90 * time.Minute)
	events := e.auditCount(tm.ID)
	meta := map[string]string{"resource": "agent-7", "model": "large"}

	rec, err := e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: dev.ID, TeamID: tm.ID, Amount: 250, IdempotencyKey: "req-42", Metadata: meta})
	require.NoError(t, err)
	meta["resource"] = "changed after the call"

	require.NotEmpty(t, rec.ID)
	require.Equal(t, tm.ID, rec.TeamID)
	require.Equal(t, dev.ID, rec.UserID)
	require.Equal(t, e.account(owner.ID).ID, rec.AccountID)
	require.Equal(t, int64(250), rec.Amount)
	require.True(t, rec.Time.Equal(e.clock.Now()), "time %s, clock %s", rec.Time, e.clock.Now())
	require.Equal(t, "req-42", rec.IdempotencyKey)
	require.Equal(t, map[string]string{"resource": "agent-7", "model": "large"}, rec.Metadata)

	stored, err := e.st.UsageByKey(e.ctx, tm.ID, "req-42")
	require.NoError(t, err)
	require.Equal(t, rec, stored, "the stored record is the returned one; the caller's map was copied")
	require.Equal(t, int64(750), e.account(owner.ID).Balance)
	require.Equal(t, events, e.auditCount(tm.ID), "charges write no audit event")
}

// Rule BILL-3: a charge the balance cannot pay is refused with its own
// error; nothing is deducted or recorded, and the key stays free.
func TestRecordUsage_BILL3_InsufficientBalance(t *testing.T) {
	e := newBillEnv(t)
	owner, dev := e.user("owner"), e.user("dev")
	tm := e.fundedTeam(owner, "Acme", 50, dev)
	before := e.st.Snapshot()

	_, err := e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: dev.ID, TeamID: tm.ID, Amount: 51, IdempotencyKey: "big"})
	require.ErrorIs(t, err, team.ErrInsufficientBalance)
	var ib *billing.InsufficientBalanceError
	require.ErrorAs(t, err, &ib)
	require.Equal(t, int64(50), ib.Balance)
	require.Equal(t, int64(51), ib.Amount)

	require.Equal(t, before, e.st.Snapshot(), "nothing deducted or recorded")
	_, err = e.st.UsageByKey(e.ctx, tm.ID, "big")
	require.ErrorIs(t, err, team.ErrNotFound)

	rec := e.charge(dev.ID, tm.ID, 50, "big")
	require.Equal(t, int64(50), rec.Amount, "a refused key can be used once the balance suffices")
	require.Zero(t, e.account(owner.ID).Balance)
}

// Rule BILL-4: retrying a key returns the first record and charges once;
// reusing it for another amount or user is an idempotency conflict. Keys
// are per team.
func TestRecordUsage_BILL4_Idempotency(t *testing.T) {
	e := newBillEnv(t)
	owner, dev, other := e.user("owner"), e.user("dev"), e.user("other")
	tm := e.fundedTeam(owner, "Acme", 1000, dev, other)

	first := e.charge(dev.ID, tm.ID, 100, "op-1")
	e.clock.Advance(time.Minute)
	again, err := e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: dev.ID, TeamID: tm.ID, Amount: 100, IdempotencyKey: "op-1", Metadata: map[string]string{"retry": "1"}})
	require.NoError(t, err)
	require.Equal(t, first, again)
	require.Equal(t, int64(900), e.account(owner.ID).Balance, "charged once")

	_, err = e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: dev.ID, TeamID: tm.ID, Amount: 101, IdempotencyKey: "op-1"})
	require.ErrorIs(t, err, team.ErrIdempotencyConflict)
	_, err = e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: other.ID, TeamID: tm.ID, Amount: 100, IdempotencyKey: "op-1"})
	require.ErrorIs(t, err, team.ErrIdempotencyConflict)
	require.Equal(t, int64(900), e.account(owner.ID).Balance)
	require.Len(t, e.st.Snapshot().Usage, 1)

	// The same key in another team is another charge.
	e.fund(dev, 10)
	rec := e.charge(dev.ID, e.personal(dev.ID).ID, 10, "op-1")
	require.NotEqual(t, first.ID, rec.ID)
	require.Zero(t, e.account(dev.ID).Balance)
}

// Recording usage needs membership and a role that may use resources;
// deleted teams and removed members are refused (RES-3, TEAM-6).
func TestRecordUsage_WhoMayCharge(t *testing.T) {
	e := newBillEnv(t, team.WithPolicy(rbac.Platform()))
	owner := e.user("owner")
	tm := e.newTeam(owner, "Platform")
	roles := []string{rbac.RoleAdmin, rbac.RoleDeveloper, rbac.RoleBasicUser, rbac.RoleFinanceAdmin}
	for _, r := range roles {
		e.join(tm, owner.ID, e.user(r), r)
	}
	outsider := e.user("outsider")
	e.topUp(owner.ID, tm.ID, 1000)

	tests := []struct {
		actor   string
		wantErr error
	}{
		{actor: owner.ID},
		{actor: rbac.RoleAdmin},
		{actor: rbac.RoleDeveloper},
		{actor: rbac.RoleBasicUser},
		{actor: rbac.RoleFinanceAdmin, wantErr: team.ErrPermissionDenied},
		{actor: outsider.ID, wantErr: team.ErrNotMember},
	}
	for _, tc := range tests {
		t.Run(tc.actor, func(t *testing.T) {
			before := e.account(owner.ID).Balance
			_, err := e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: tc.actor, TeamID: tm.ID, Amount: 5, IdempotencyKey: "k-" + tc.actor})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Equal(t, before, e.account(owner.ID).Balance)
				return
			}
			require.NoError(t, err)
			require.Equal(t, before-5, e.account(owner.ID).Balance)
		})
	}

	t.Run("removed member", func(t *testing.T) {
		require.NoError(t, e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: owner.ID, TeamID: tm.ID, UserID: rbac.RoleDeveloper}))
		_, err := e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: rbac.RoleDeveloper, TeamID: tm.ID, Amount: 5, IdempotencyKey: "after-removal"})
		require.ErrorIs(t, err, team.ErrNotMember)
	})
	t.Run("unknown team", func(t *testing.T) {
		_, err := e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: owner.ID, TeamID: "no-such-team", Amount: 5, IdempotencyKey: "x"})
		require.ErrorIs(t, err, team.ErrNotMember)
	})
	t.Run("deleted team", func(t *testing.T) {
		require.NoError(t, e.svc.DeleteTeam(e.ctx, owner.ID, tm.ID))
		_, err := e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 5, IdempotencyKey: "after-delete"})
		require.ErrorIs(t, err, team.ErrNotMember)
	})
}

// Standard viewers cannot use resources, so they cannot record usage.
func TestRecordUsage_ViewerDenied(t *testing.T) {
	e := newBillEnv(t)
	owner, viewer := e.user("owner"), e.user("viewer")
	tm := e.newTeam(owner, "Acme")
	e.join(tm, owner.ID, viewer, rbac.RoleViewer)
	e.topUp(owner.ID, tm.ID, 10)
	_, err := e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: viewer.ID, TeamID: tm.ID, Amount: 1, IdempotencyKey: "v"})
	require.ErrorIs(t, err, team.ErrPermissionDenied)
	require.Equal(t, int64(10), e.account(owner.ID).Balance)
}

// A suspended owner account cannot pay (ErrInvalidAccount); reactivated,
// it can (BILL-3's "nothing deducted or recorded" holds for the refusal).
func TestRecordUsage_SuspendedAccount(t *testing.T) {
	e := newBillEnv(t)
	owner, dev := e.user("owner"), e.user("dev")
	tm := e.fundedTeam(owner, "Acme", 100, dev)
	_, err := e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: owner.ID, Status: billing.StatusSuspended})
	require.NoError(t, err)
	before := e.st.Snapshot()

	_, err = e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: dev.ID, TeamID: tm.ID, Amount: 1, IdempotencyKey: "s"})
	require.ErrorIs(t, err, team.ErrInvalidAccount)
	require.Equal(t, before, e.st.Snapshot())

	_, err = e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: owner.ID, Status: billing.StatusActive})
	require.NoError(t, err)
	e.charge(dev.ID, tm.ID, 1, "s")
	require.Equal(t, int64(99), e.account(owner.ID).Balance)
}

// Rule SEC-2: bad input is refused before anything is read or written;
// non-positive amounts match ErrInvalidAmount.
func TestRecordUsage_InvalidInput(t *testing.T) {
	e := newBillEnv(t)
	ana := e.user("ana")
	e.fund(ana, 100)
	pt := e.personal(ana.ID).ID
	tooMany := map[string]string{}
	for i := range team.MaxUsageMetadataKeys + 1 {
		tooMany["k"+strconv.Itoa(i)] = "v"
	}
	long := strings.Repeat("x", team.MaxUsageMetadataLength+1)
	tests := []struct {
		name    string
		actor   string
		teamID  string
		u       team.RecordUsageParams
		wantErr error
	}{
		{name: "zero amount", u: team.RecordUsageParams{Amount: 0, IdempotencyKey: "k"}, wantErr: team.ErrInvalidAmount},
		{name: "negative amount", u: team.RecordUsageParams{Amount: -5, IdempotencyKey: "k"}, wantErr: team.ErrInvalidAmount},
		{name: "min amount", u: team.RecordUsageParams{Amount: math.MinInt64, IdempotencyKey: "k"}, wantErr: team.ErrInvalidAmount},
		{name: "empty actor", actor: "-", u: team.RecordUsageParams{Amount: 1, IdempotencyKey: "k"}, wantErr: team.ErrInvalidInput},
		{name: "empty team", teamID: "-", u: team.RecordUsageParams{Amount: 1, IdempotencyKey: "k"}, wantErr: team.ErrInvalidInput},
		{name: "empty key", u: team.RecordUsageParams{Amount: 1}, wantErr: team.ErrInvalidInput},
		{name: "long key", u: team.RecordUsageParams{Amount: 1, IdempotencyKey: strings.Repeat("k", team.MaxIdempotencyKeyLength+1)}, wantErr: team.ErrInvalidInput},
		{name: "control in key", u: team.RecordUsageParams{Amount: 1, IdempotencyKey: "a\nb"}, wantErr: team.ErrInvalidInput},
		{name: "bad utf8 key", u: team.RecordUsageParams{Amount: 1, IdempotencyKey: "a\xffb"}, wantErr: team.ErrInvalidInput},
		{name: "too many metadata entries", u: team.RecordUsageParams{Amount: 1, IdempotencyKey: "k", Metadata: tooMany}, wantErr: team.ErrInvalidInput},
		{name: "long metadata key", u: team.RecordUsageParams{Amount: 1, IdempotencyKey: "k", Metadata: map[string]string{long: "v"}}, wantErr: team.ErrInvalidInput},
		{name: "empty metadata key", u: team.RecordUsageParams{Amount: 1, IdempotencyKey: "k", Metadata: map[string]string{"": "v"}}, wantErr: team.ErrInvalidInput},
		{name: "long metadata value", u: team.RecordUsageParams{Amount: 1, IdempotencyKey: "k", Metadata: map[string]string{"k": long}}, wantErr: team.ErrInvalidInput},
	}
	before := e.st.Snapshot()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			actor, teamID := ana.ID, pt
			if tc.actor == "-" {
				actor = ""
			}
			if tc.teamID == "-" {
				teamID = ""
			}
			u := tc.u
			u.ActorID, u.TeamID = actor, teamID
			_, err := e.svc.RecordUsage(e.ctx, u)
			require.ErrorIs(t, err, tc.wantErr)
			require.Equal(t, before, e.st.Snapshot())
		})
	}
	// The limits themselves are allowed.
	atLimit := map[string]string{}
	for i := range team.MaxUsageMetadataKeys {
		atLimit[strconv.Itoa(i)+strings.Repeat("k", team.MaxUsageMetadataLength-3)] = strings.Repeat("v", team.MaxUsageMetadataLength)
	}
	_, err := e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: ana.ID, TeamID: pt, Amount: 1, IdempotencyKey: strings.Repeat("k", team.MaxIdempotencyKeyLength), Metadata: atLimit})
	require.NoError(t, err)
}

// billRoleCase is one row of a permission table: a role and whether it is
// allowed.
type billRoleCase struct {
	policy  *rbac.Policy
	role    string
	allowed bool
}

// billPermissionCases: Billing and ViewUsage have the same holders in both
// presets (BILL-5, BILL-6).
var billPermissionCases = []billRoleCase{
	{rbac.Standard(), rbac.RoleOwner, true},
	{rbac.Standard(), rbac.RoleAdmin, true},
	{rbac.Standard(), rbac.RoleMember, false},
	{rbac.Standard(), rbac.RoleViewer, false},
	{rbac.Platform(), rbac.RoleOwner, true},
	{rbac.Platform(), rbac.RoleAdmin, true},
	{rbac.Platform(), rbac.RoleFinanceAdmin, true},
	{rbac.Platform(), rbac.RoleDeveloper, false},
	{rbac.Platform(), rbac.RoleBasicUser, false},
}

// billRoleEnv sets up a team of policy whose owner is "owner" and where
// "actor" holds role (the owner itself for the owner role).
func billRoleEnv(t *testing.T, c billRoleCase) (e *billEnv, tm team.Team, owner team.User, actorID string) {
	t.Helper()
	e = newBillEnv(t, team.WithPolicy(c.policy))
	owner = e.user("owner")
	tm = e.newTeam(owner, "Team")
	if c.role == rbac.RoleOwner {
		return e, tm, owner, owner.ID
	}
	actor := e.user("actor")
	e.join(tm, owner.ID, actor, c.role)
	return e, tm, owner, actor.ID
}

// Rule BILL-6: top-ups are allowed to roles with the billing permission
// only; they credit the owner's account, store a TopUp and write one
// BillingTopUp audit event.
func TestTopUp_BILL6_Permission(t *testing.T) {
	for _, c := range billPermissionCases {
		t.Run(c.policy.Name()+"/"+c.role, func(t *testing.T) {
			e, tm, owner, actorID := billRoleEnv(t, c)
			before := e.st.Snapshot()

			acct, err := e.svc.TopUp(e.ctx, team.TopUpParams{ActorID: actorID, TeamID: tm.ID, Amount: 300})
			if !c.allowed {
				require.ErrorIs(t, err, team.ErrPermissionDenied)
				require.Equal(t, before, e.st.Snapshot(), "nothing changed")
				return
			}
			require.NoError(t, err)
			stored := e.account(owner.ID)
			require.Equal(t, stored, acct)
			require.Equal(t, int64(300), stored.Balance)

			after := e.st.Snapshot()
			require.Len(t, after.TopUps, len(before.TopUps)+1)
			var tu billing.TopUp
			for _, x := range after.TopUps {
				if x.TeamID == tm.ID {
					tu = x
				}
			}
			require.Equal(t, stored.ID, tu.AccountID)
			require.Equal(t, actorID, tu.ActorID)
			require.Equal(t, int64(300), tu.Amount)
			// BILL-8: audited once, in the account's own trail.
			require.Equal(t, before.AuditEvents[tm.ID], after.AuditEvents[tm.ID], "the team's log is not the account's trail")
			require.Len(t, after.AuditEvents[stored.ID], len(before.AuditEvents[stored.ID])+1, "exactly one event")
			ev := e.lastAccountEvent(stored.ID)
			require.Equal(t, audit.BillingTopUp, ev.Action)
			require.Equal(t, actorID, ev.ActorID)
			require.Equal(t, "300", ev.Details["amount"])
			require.Equal(t, tm.ID, ev.Details["team_id"])
			require.Equal(t, owner.ID, ev.Details["user_id"])
			require.NoError(t, audit.Verify(stored.ID, after.AuditEvents[stored.ID]))
		})
	}
}

// Rule BILL-6: plan changes are allowed to roles with the billing
// permission only, audited once.
func TestChangePlan_BILL6_Permission(t *testing.T) {
	for _, c := range billPermissionCases {
		t.Run(c.policy.Name()+"/"+c.role, func(t *testing.T) {
			e, tm, owner, actorID := billRoleEnv(t, c)
			before := e.st.Snapshot()

			acct, err := e.svc.ChangePlan(e.ctx, team.ChangePlanParams{ActorID: actorID, TeamID: tm.ID, Plan: billing.PlanTeam})
			if !c.allowed {
				require.ErrorIs(t, err, team.ErrPermissionDenied)
				require.Equal(t, before, e.st.Snapshot(), "nothing changed")
				return
			}
			require.NoError(t, err)
			require.Equal(t, billing.PlanTeam, acct.Plan)
			require.Equal(t, e.account(owner.ID), acct)
			require.Len(t, e.st.Snapshot().AuditEvents[acct.ID], len(before.AuditEvents[acct.ID])+1)
			require.Equal(t, before.AuditEvents[tm.ID], e.st.Snapshot().AuditEvents[tm.ID])
			ev := e.lastAccountEvent(acct.ID)
			require.Equal(t, audit.BillingPlanChanged, ev.Action)
			require.Equal(t, actorID, ev.ActorID)
			require.Equal(t, map[string]string{"user_id": owner.ID, "team_id": tm.ID, "from": "ENTERPRISE", "to": "TEAM"}, ev.Details)
		})
	}
}

// Rule BILL-6: reading the billing account in a team needs the billing
// permission.
func TestBillingAccount_BILL6_Permission(t *testing.T) {
	for _, c := range billPermissionCases {
		t.Run(c.policy.Name()+"/"+c.role, func(t *testing.T) {
			e, tm, owner, actorID := billRoleEnv(t, c)
			acct, err := e.svc.BillingAccount(e.ctx, actorID, tm.ID)
			if !c.allowed {
				require.ErrorIs(t, err, team.ErrPermissionDenied)
				require.Empty(t, acct.ID)
				return
			}
			require.NoError(t, err)
			require.Equal(t, e.account(owner.ID), acct, "the team's account is its owner's (BILL-1)")
		})
	}
}

// Rule BILL-6 with TEAM-6: billing calls on a team the actor is not in are
// refused as non-membership.
func TestBilling_OtherTeamRefused(t *testing.T) {
	e := newBillEnv(t)
	a, b := e.user("a"), e.user("b")
	ta := e.newTeam(a, "A")
	before := e.st.Snapshot()
	_, err := e.svc.TopUp(e.ctx, team.TopUpParams{ActorID: b.ID, TeamID: ta.ID, Amount: 10})
	require.ErrorIs(t, err, team.ErrNotMember)
	_, err = e.svc.ChangePlan(e.ctx, team.ChangePlanParams{ActorID: b.ID, TeamID: ta.ID, Plan: billing.PlanFree})
	require.ErrorIs(t, err, team.ErrNotMember)
	_, err = e.svc.BillingAccount(e.ctx, b.ID, ta.ID)
	require.ErrorIs(t, err, team.ErrNotMember)
	_, err = e.svc.UsageSummary(e.ctx, team.UsageSummaryParams{ActorID: b.ID, TeamID: ta.ID})
	require.ErrorIs(t, err, team.ErrNotMember)
	require.Equal(t, before, e.st.Snapshot())
}

// Top-ups refuse non-positive amounts and amounts that would overflow the
// balance, changing nothing (SEC-2).
func TestTopUp_InvalidAmount(t *testing.T) {
	e := newBillEnv(t)
	ana := e.user("ana")
	pt := e.personal(ana.ID).ID
	e.fund(ana, math.MaxInt64-10)
	before := e.st.Snapshot()
	for _, amount := range []int64{0, -1, math.MinInt64, 11, math.MaxInt64} {
		_, err := e.svc.TopUp(e.ctx, team.TopUpParams{ActorID: ana.ID, TeamID: pt, Amount: amount})
		require.ErrorIs(t, err, team.ErrInvalidAmount, "amount %d", amount)
		require.Equal(t, before, e.st.Snapshot(), "amount %d", amount)
	}
	acct, err := e.svc.TopUp(e.ctx, team.TopUpParams{ActorID: ana.ID, TeamID: pt, Amount: 10})
	require.NoError(t, err)
	require.Equal(t, int64(math.MaxInt64), acct.Balance)
}

// ChangePlan refuses unknown plans; the current plan changes nothing.
func TestChangePlan_InvalidAndUnchanged(t *testing.T) {
	e := newBillEnv(t)
	ana := e.user("ana")
	pt := e.personal(ana.ID).ID
	before := e.st.Snapshot()
	for _, p := range []billing.Plan{"", "free", "GOLD"} {
		_, err := e.svc.ChangePlan(e.ctx, team.ChangePlanParams{ActorID: ana.ID, TeamID: pt, Plan: p})
		require.ErrorIs(t, err, team.ErrInvalidInput, "plan %q", p)
	}
	acct, err := e.svc.ChangePlan(e.ctx, team.ChangePlanParams{ActorID: ana.ID, TeamID: pt, Plan: billing.PlanFree})
	require.NoError(t, err)
	require.Equal(t, billing.PlanFree, acct.Plan)
	require.Equal(t, before, e.st.Snapshot())
}

// Rule BILL-5: usage totals per member and per team over [from, to).
func TestUsageSummary_BILL5_Totals(t *testing.T) {
	e := newBillEnv(t)
	owner, dev, ops := e.user("owner"), e.user("dev"), e.user("ops")
	tm := e.fundedTeam(owner, "Acme", 10_000, dev, ops)
	other := e.newTeam(dev, "Other")
	e.topUp(dev.ID, other.ID, 100)

	t0 := e.clock.Now()
	e.charge(dev.ID, tm.ID, 10, "a") // t0
	e.charge(ops.ID, tm.ID, 20, "b") // t0
	e.charge(dev.ID, other.ID, 99, "x")
	e.clock.Advance(time.Hour)
	e.charge(dev.ID, tm.ID, 30, "c") // t0+1h
	e.clock.Advance(time.Hour)
	e.charge(owner.ID, tm.ID, 40, "d") // t0+2h

	sum, err := e.svc.UsageSummary(e.ctx, team.UsageSummaryParams{ActorID: owner.ID, TeamID: tm.ID, From: t0, To: t0.Add(2 * time.Hour)})
	require.NoError(t, err)
	require.Equal(t, billing.Summary{
		TeamID: tm.ID, From: t0, To: t0.Add(2 * time.Hour), Amount: 60, Records: 3,
		Members: []billing.MemberUsage{
			{UserID: dev.ID, Amount: 40, Records: 2},
			{UserID: ops.ID, Amount: 20, Records: 1},
		},
	}, sum)

	all, err := e.svc.UsageSummary(e.ctx, team.UsageSummaryParams{ActorID: owner.ID, TeamID: tm.ID})
	require.NoError(t, err)
	require.Equal(t, int64(100), all.Amount, "other teams' usage is not counted (TEAM-6)")
	require.Equal(t, 4, all.Records)
	require.Len(t, all.Members, 3)

	later, err := e.svc.UsageSummary(e.ctx, team.UsageSummaryParams{ActorID: owner.ID, TeamID: tm.ID, From: t0.Add(time.Hour)})
	require.NoError(t, err)
	require.Equal(t, int64(70), later.Amount)

	none, err := e.svc.UsageSummary(e.ctx, team.UsageSummaryParams{ActorID: owner.ID, TeamID: tm.ID, From: t0.Add(-time.Hour), To: t0})
	require.NoError(t, err)
	require.Zero(t, none.Amount)
	require.Empty(t, none.Members)

	for _, to := range []time.Time{t0, t0.Add(-time.Second)} {
		_, err = e.svc.UsageSummary(e.ctx, team.UsageSummaryParams{ActorID: owner.ID, TeamID: tm.ID, From: t0, To: to})
		require.ErrorIs(t, err, team.ErrInvalidInput)
	}
}

// Rule BILL-5: usage analytics are denied to roles without the usage
// permission (Member/Viewer in Standard, Developer/Basic User in Platform)
// and allowed to Owner, Admin and Finance Admin.
func TestUsageSummary_BILL5_Permission(t *testing.T) {
	for _, c := range billPermissionCases {
		t.Run(c.policy.Name()+"/"+c.role, func(t *testing.T) {
			e, tm, owner, actorID := billRoleEnv(t, c)
			e.topUp(owner.ID, tm.ID, 100)
			e.charge(owner.ID, tm.ID, 7, "u")
			sum, err := e.svc.UsageSummary(e.ctx, team.UsageSummaryParams{ActorID: actorID, TeamID: tm.ID})
			if !c.allowed {
				require.ErrorIs(t, err, team.ErrPermissionDenied)
				require.Zero(t, sum.Amount)
				return
			}
			require.NoError(t, err)
			require.Equal(t, int64(7), sum.Amount)
		})
	}
}

// Rule OWN-2: after a transfer new charges go to the new owner's account;
// earlier records keep the account they were charged to.
func TestTransfer_OWN2_BillingFollowsOwner(t *testing.T) {
	e := newBillEnv(t)
	oldOwner, newOwner, dev := e.user("old"), e.user("new"), e.user("dev")
	tm := e.newTeam(oldOwner, "Acme")
	e.join(tm, oldOwner.ID, newOwner, rbac.RoleAdmin)
	e.join(tm, oldOwner.ID, dev, rbac.RoleMember)
	e.fund(oldOwner, 1000)
	e.fund(newOwner, 500)
	e.setPlan(newOwner, billing.PlanTeam) // may receive ownership (OWN-5)

	before := e.charge(dev.ID, tm.ID, 100, "before")
	require.NoError(t, e.svc.TransferOwnership(e.ctx, team.TransferOwnershipParams{ActorID: oldOwner.ID, TeamID: tm.ID, NewOwnerID: newOwner.ID, ConfirmNewOwnerID: newOwner.ID}))
	after := e.charge(dev.ID, tm.ID, 60, "after")

	require.Equal(t, e.account(oldOwner.ID).ID, before.AccountID)
	require.Equal(t, e.account(newOwner.ID).ID, after.AccountID)
	require.Equal(t, int64(900), e.account(oldOwner.ID).Balance)
	require.Equal(t, int64(440), e.account(newOwner.ID).Balance)
	stored, err := e.st.UsageByKey(e.ctx, tm.ID, "before")
	require.NoError(t, err)
	require.Equal(t, before, stored, "the earlier record keeps its account")

	acct, err := e.svc.BillingAccount(e.ctx, newOwner.ID, tm.ID)
	require.NoError(t, err)
	require.Equal(t, e.account(newOwner.ID).ID, acct.ID)
	acct, err = e.svc.TopUp(e.ctx, team.TopUpParams{ActorID: newOwner.ID, TeamID: tm.ID, Amount: 1})
	require.NoError(t, err)
	require.Equal(t, int64(441), acct.Balance, "top-ups go to the new owner's account too")
}

// Rule OWN-4: a transfer to a member whose billing account is suspended is
// refused and nothing changes: owner, roles, epochs and audit trail.
func TestTransfer_OWN4_SuspendedAccountRefused(t *testing.T) {
	e := newBillEnv(t)
	owner, heir := e.user("owner"), e.user("heir")
	tm := e.newTeam(owner, "Acme")
	e.join(tm, owner.ID, heir, rbac.RoleAdmin)
	e.setPlan(heir, billing.PlanTeam) // entitled (OWN-5) but for the suspension
	_, err := e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: heir.ID, Status: billing.StatusSuspended})
	require.NoError(t, err)
	before := e.st.Snapshot()

	err = e.svc.TransferOwnership(e.ctx, team.TransferOwnershipParams{ActorID: owner.ID, TeamID: tm.ID, NewOwnerID: heir.ID, ConfirmNewOwnerID: heir.ID})
	require.ErrorIs(t, err, team.ErrInvalidAccount)
	require.Equal(t, before, e.st.Snapshot(), "owner, roles, epochs and audit unchanged")
	got, err := e.st.Team(e.ctx, tm.ID)
	require.NoError(t, err)
	require.Equal(t, owner.ID, got.OwnerID)

	_, err = e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: heir.ID, Status: billing.StatusActive})
	require.NoError(t, err)
	require.NoError(t, e.svc.TransferOwnership(e.ctx, team.TransferOwnershipParams{ActorID: owner.ID, TeamID: tm.ID, NewOwnerID: heir.ID, ConfirmNewOwnerID: heir.ID}))
}

// Rule TEAM-4, against the plan entitlement: FREE cannot own a
// collaboration team, TEAM owns one, ENTERPRISE ten, a suspended account
// none; each failure has its own error.
func TestCreateTeam_TEAM4_Entitlement(t *testing.T) {
	e := newBillEnv(t)
	ana := e.user("ana")
	create := func(name string) error {
		_, err := e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: ana, Name: name})
		return err
	}

	require.ErrorIs(t, create("free"), team.ErrSubscriptionRequired)

	e.setPlan(ana, billing.PlanTeam)
	require.NoError(t, create("team 1"))
	err := create("team 2")
	require.ErrorIs(t, err, team.ErrTeamLimit)
	require.NotErrorIs(t, err, team.ErrSubscriptionRequired)

	e.setPlan(ana, billing.PlanEnterprise)
	for i := 2; i <= 10; i++ {
		require.NoError(t, create("team "+strconv.Itoa(i)))
	}
	require.ErrorIs(t, create("team 11"), team.ErrTeamLimit)
	owned, err := e.st.CountOwnedTeams(e.ctx, ana.ID, team.Collaboration)
	require.NoError(t, err)
	require.Equal(t, 10, owned)

	_, err = e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: ana.ID, Status: billing.StatusSuspended})
	require.NoError(t, err)
	bob := e.user("bob")
	e.setPlan(bob, billing.PlanEnterprise)
	_, err = e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: bob.ID, Status: billing.StatusSuspended})
	require.NoError(t, err)
	_, err = e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: bob, Name: "suspended"})
	require.ErrorIs(t, err, team.ErrInvalidAccount)
	require.NotErrorIs(t, err, team.ErrSubscriptionRequired)
}

// Rule TEAM-4: the TEAM plan's limit is configuration (WithPlans).
func TestCreateTeam_TEAM4_WithPlans(t *testing.T) {
	plans, err := billing.NewPlans(billing.PlanSpec{Name: billing.PlanFree}, billing.PlanSpec{Name: billing.PlanTeam, TeamLimit: 3},
		billing.PlanSpec{Name: billing.PlanEnterprise, TeamLimit: 10})
	require.NoError(t, err)
	e := newBillEnv(t, team.WithPlans(plans))
	ana := e.user("ana")
	e.setPlan(ana, billing.PlanTeam)
	for i := range 3 {
		_, err := e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: ana, Name: "t" + strconv.Itoa(i)})
		require.NoError(t, err)
	}
	_, err = e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: ana, Name: "t3"})
	require.ErrorIs(t, err, team.ErrTeamLimit)
}

// Rule BILL-8: the host, as SystemActor, suspends and reactivates; the
// change is audited in the account's own trail, and bad input and unknown
// users are refused.
func TestSetAccountStatus_BILL8(t *testing.T) {
	e := newBillEnv(t)
	ana := e.user("ana")
	pt := e.personal(ana.ID).ID
	id := e.account(ana.ID).ID

	_, err := e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: ana.ID, Status: "frozen"})
	require.ErrorIs(t, err, team.ErrInvalidInput)
	_, err = e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: "", Status: billing.StatusSuspended})
	require.ErrorIs(t, err, team.ErrInvalidInput)
	_, err = e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: "", AccountUserID: ana.ID, Status: billing.StatusSuspended})
	require.ErrorIs(t, err, team.ErrInvalidInput, "an empty actor is never the host")
	_, err = e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: "nobody", Status: billing.StatusSuspended})
	require.ErrorIs(t, err, team.ErrInvalidAccount)

	teamEvents := e.auditCount(pt)
	acct, err := e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: ana.ID, Status: billing.StatusSuspended})
	require.NoError(t, err)
	require.Equal(t, billing.StatusSuspended, acct.Status)
	require.Equal(t, acct, e.account(ana.ID))
	require.Equal(t, teamEvents, e.auditCount(pt), "the personal team's log is not the account's trail")
	require.Len(t, e.st.Snapshot().AuditEvents[id], 1)
	ev := e.lastAccountEvent(id)
	require.Equal(t, audit.BillingStatusChanged, ev.Action)
	require.Equal(t, team.SystemActor, ev.ActorID)
	require.Equal(t, "suspended", ev.Details["to"])
	require.Equal(t, "active", ev.Details["from"])

	again, err := e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: ana.ID, Status: billing.StatusSuspended})
	require.NoError(t, err)
	require.Equal(t, acct, again)
	require.Len(t, e.st.Snapshot().AuditEvents[id], 1, "no change, no event")

	acct, err = e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: ana.ID, AccountUserID: ana.ID, Status: billing.StatusActive})
	require.NoError(t, err, "the holder may reactivate (BILL-8)")
	require.Equal(t, billing.StatusActive, acct.Status)
	require.NoError(t, audit.Verify(id, e.st.Snapshot().AuditEvents[id]))
}

// billBatcher is a memory store that also implements team.Batcher, running
// each batch as its own unit of work and counting the calls per key.
type billBatcher struct {
	*store.Memory
	mu    sync.Mutex
	calls map[string]int
}

func (b *billBatcher) InBatch(ctx context.Context, key string, fn func(ctx context.Context, tx team.Tx) error) error {
	b.mu.Lock()
	b.calls[key]++
	b.mu.Unlock()
	return b.InTx(ctx, fn)
}

// Rule BILL-2: with a Store that implements Batcher, charges go through
// InBatch keyed by the team, with the same results as InTx.
func TestRecordUsage_UsesBatcher(t *testing.T) {
	bs := &billBatcher{Memory: store.NewMemory(), calls: map[string]int{}}
	svc, err := team.New(bs)
	require.NoError(t, err)
	ctx := context.Background()
	ana := team.User{ID: "ana", Email: "ana@example.com"}
	pt, err := svc.EnsurePersonalTeam(ctx, ana)
	require.NoError(t, err)
	_, err = svc.TopUp(ctx, team.TopUpParams{ActorID: ana.ID, TeamID: pt.ID, Amount: 10})
	require.NoError(t, err)

	rec, err := svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: ana.ID, TeamID: pt.ID, Amount: 4, IdempotencyKey: "b1"})
	require.NoError(t, err)
	again, err := svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: ana.ID, TeamID: pt.ID, Amount: 4, IdempotencyKey: "b1"})
	require.NoError(t, err)
	require.Equal(t, rec, again)
	_, err = svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: ana.ID, TeamID: pt.ID, Amount: 7, IdempotencyKey: "b2"})
	require.ErrorIs(t, err, team.ErrInsufficientBalance)

	require.Equal(t, map[string]int{pt.ID: 3}, bs.calls)
	acct, err := bs.Account(ctx, ana.ID)
	require.NoError(t, err)
	require.Equal(t, int64(6), acct.Balance)
}
