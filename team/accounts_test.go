package team_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// proPlans is a host's plan set: FREE, PRO (3 teams, 3 seats per team) and
// SMALL (1 team, 2 seats).
func proPlans(t testing.TB) billing.Plans {
	t.Helper()
	p, err := billing.NewPlans(
		billing.PlanSpec{Name: billing.PlanFree},
		billing.PlanSpec{Name: "PRO", TeamLimit: 3, SeatLimit: 3},
		billing.PlanSpec{Name: "SMALL", TeamLimit: 1, SeatLimit: 2},
	)
	require.NoError(t, err)
	return p
}

// Rule BILL-7: plans are host data. ChangePlan accepts the host's names and
// refuses others with an error listing the defined plans; a plan's team
// limit decides ownership (TEAM-4) and its seat limit overrides the
// service's in Invite and at acceptance.
func TestPlans_BILL7_HostDefined(t *testing.T) {
	e := newBillEnv(t, team.WithPlans(proPlans(t)), team.WithSeatLimit(50))
	ana, bob, cid, dee := e.user("ana"), e.user("bob"), e.user("cid"), e.user("dee")

	_, err := e.svc.ChangePlan(e.ctx, team.ChangePlanParams{ActorID: ana.ID, AccountUserID: ana.ID, Plan: billing.PlanEnterprise})
	require.ErrorIs(t, err, team.ErrInvalidInput)
	require.ErrorIs(t, err, billing.ErrUnknownPlan)
	require.Contains(t, err.Error(), "FREE, PRO, SMALL", "the error lists the defined plans")

	acct, err := e.svc.ChangePlan(e.ctx, team.ChangePlanParams{ActorID: ana.ID, AccountUserID: ana.ID, Plan: "PRO"})
	require.NoError(t, err)
	require.Equal(t, billing.Plan("PRO"), acct.Plan)
	tm, err := e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: ana, Name: "Pro team"})
	require.NoError(t, err)

	// PRO: 3 seats. Ana holds one; two invitations fill the rest.
	var tokens []string
	for _, u := range []team.User{bob, cid} {
		res, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: u.Email, Role: rbac.RoleMember})
		require.NoError(t, err)
		tokens = append(tokens, res.Token)
	}
	_, err = e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: dee.Email, Role: rbac.RoleMember})
	require.ErrorIs(t, err, team.ErrSeatLimit)
	var sle *team.SeatLimitError
	require.ErrorAs(t, err, &sle)
	require.Equal(t, 3, sle.Limit, "the plan's seat limit, not the service's 50")

	// SMALL: 2 seats. The first pending invitation still fits; the second
	// would make three members.
	_, err = e.svc.ChangePlan(e.ctx, team.ChangePlanParams{ActorID: ana.ID, AccountUserID: ana.ID, Plan: "SMALL"})
	require.NoError(t, err)
	_, err = e.svc.AcceptInvitation(e.ctx, bob, tokens[0])
	require.NoError(t, err)
	_, err = e.svc.AcceptInvitation(e.ctx, cid, tokens[1])
	require.ErrorIs(t, err, team.ErrSeatLimit)
	require.ErrorAs(t, err, &sle)
	require.Equal(t, 2, sle.Limit)

	// FREE owners keep the service's seat limit; Plans reports it.
	for _, p := range e.svc.Plans() {
		want := map[billing.Plan]int{billing.PlanFree: 50, "PRO": 3, "SMALL": 2}[p.Name]
		require.Equal(t, want, p.Seats, p.Name)
	}
}

// Rule BILL-7: a plan set must define FREE, which new accounts start on.
func TestPlans_BILL7_NewNeedsFree(t *testing.T) {
	p, err := billing.NewPlans(billing.PlanSpec{Name: "PRO", TeamLimit: 1})
	require.NoError(t, err)
	_, err = team.New(newBillEnv(t).st, team.WithPlans(p))
	require.ErrorIs(t, err, team.ErrInvalidInput)
	require.ErrorIs(t, err, billing.ErrUnknownPlan)
}

// Rule BILL-8: account operations name the account by its user and are
// allowed to the holder, to a member with the billing permission in a team
// billed to the account (saying through which team), and to the host as
// SystemActor; nobody else, and an empty actor is never the host.
func TestAccountOps_BILL8_WhoMayAct(t *testing.T) {
	e := newBillEnv(t)
	ana, fin, carl, zed := e.user("ana"), e.user("fin"), e.user("carl"), e.user("zed")
	tm := e.newTeam(ana, "Ana Co")
	e.join(tm, ana.ID, fin, rbac.RoleAdmin)
	e.join(tm, ana.ID, carl, rbac.RoleMember)
	zedTeam := e.newTeam(zed, "Zed Co")
	e.join(zedTeam, zed.ID, fin, rbac.RoleAdmin)
	anaAcct := e.account(ana.ID)

	allowed := []team.TopUpParams{
		{ActorID: ana.ID, AccountUserID: ana.ID, Amount: 1},                // the holder
		{ActorID: fin.ID, AccountUserID: ana.ID, TeamID: tm.ID, Amount: 2}, // billing permission in a team billed to it
		{ActorID: team.SystemActor, AccountUserID: ana.ID, Amount: 3},      // the host
		{ActorID: team.SystemActor, AccountUserID: ana.ID, TeamID: tm.ID, Amount: 4},
		{ActorID: fin.ID, TeamID: tm.ID, Amount: 5}, // billing v1's form: the team's account
	}
	var balance int64
	for i, p := range allowed {
		acct, err := e.svc.TopUp(e.ctx, p)
		require.NoError(t, err, "case %d", i)
		balance += p.Amount
		require.Equal(t, balance, acct.Balance)
		ev := e.lastAccountEvent(anaAcct.ID)
		require.Equal(t, audit.BillingTopUp, ev.Action)
		require.Equal(t, p.ActorID, ev.ActorID, "case %d", i)
		require.Equal(t, anaAcct.ID, ev.TeamID, "the account's own trail")
		require.Equal(t, p.TeamID, ev.Details["team_id"], "case %d", i)
	}

	refused := map[string]struct {
		p    team.TopUpParams
		want error
	}{
		"no actor":                  {team.TopUpParams{AccountUserID: ana.ID, Amount: 1}, team.ErrInvalidInput},
		"another user, no team":     {team.TopUpParams{ActorID: fin.ID, AccountUserID: ana.ID, Amount: 1}, team.ErrPermissionDenied},
		"member without billing":    {team.TopUpParams{ActorID: carl.ID, AccountUserID: ana.ID, TeamID: tm.ID, Amount: 1}, team.ErrPermissionDenied},
		"team not billed to it":     {team.TopUpParams{ActorID: fin.ID, AccountUserID: ana.ID, TeamID: zedTeam.ID, Amount: 1}, team.ErrPermissionDenied},
		"not a member of the team":  {team.TopUpParams{ActorID: zed.ID, AccountUserID: ana.ID, TeamID: tm.ID, Amount: 1}, team.ErrNotMember},
		"no account named":          {team.TopUpParams{ActorID: team.SystemActor, Amount: 1}, team.ErrInvalidInput},
		"unknown user":              {team.TopUpParams{ActorID: team.SystemActor, AccountUserID: "nobody", Amount: 1}, team.ErrInvalidAccount},
		"system actor look-alike":   {team.TopUpParams{ActorID: "teamkit-system", AccountUserID: ana.ID, Amount: 1}, team.ErrPermissionDenied},
		"system actor with padding": {team.TopUpParams{ActorID: " " + team.SystemActor, AccountUserID: ana.ID, Amount: 1}, team.ErrInvalidInput},
	}
	for name, c := range refused {
		before := e.st.Snapshot()
		_, err := e.svc.TopUp(e.ctx, c.p)
		require.ErrorIs(t, err, c.want, name)
		require.Equal(t, before, e.st.Snapshot(), "%s changed something", name)
	}

	// The same rules for the other operations.
	_, err := e.svc.ChangePlan(e.ctx, team.ChangePlanParams{ActorID: carl.ID, AccountUserID: ana.ID, TeamID: tm.ID, Plan: billing.PlanTeam})
	require.ErrorIs(t, err, team.ErrPermissionDenied)
	acct, err := e.svc.ChangePlan(e.ctx, team.ChangePlanParams{ActorID: fin.ID, AccountUserID: ana.ID, TeamID: tm.ID, Plan: billing.PlanTeam})
	require.NoError(t, err)
	require.Equal(t, billing.PlanTeam, acct.Plan)
	_, err = e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: carl.ID, AccountUserID: ana.ID, Status: billing.StatusSuspended})
	require.ErrorIs(t, err, team.ErrPermissionDenied)
	acct, err = e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: fin.ID, AccountUserID: ana.ID, TeamID: tm.ID, Status: billing.StatusSuspended})
	require.NoError(t, err)
	require.Equal(t, billing.StatusSuspended, acct.Status)

	// SystemActor is no user: methods outside the account operations refuse it.
	_, err = e.svc.Permissions(e.ctx, team.SystemActor, tm.ID)
	require.ErrorIs(t, err, team.ErrInvalidInput)
	_, err = e.svc.EnsurePersonalTeam(e.ctx, team.User{ID: team.SystemActor, Email: "host@example.com"})
	require.ErrorIs(t, err, team.ErrInvalidInput, "no user can be registered under the system actor's ID")
}

// Rule BILL-8: a top-up's idempotency key has BILL-4's semantics: a retry
// with the same key and amount credits nothing, another amount is
// ErrIdempotencyConflict; keys are per account.
func TestTopUp_BILL8_IdempotencyKey(t *testing.T) {
	e := newBillEnv(t)
	ana, bob := e.user("ana"), e.user("bob")
	p := team.TopUpParams{ActorID: team.SystemActor, AccountUserID: ana.ID, Amount: 700, IdempotencyKey: "pay_123"}
	first, err := e.svc.TopUp(e.ctx, p)
	require.NoError(t, err)
	require.Equal(t, int64(700), first.Balance)
	before := e.st.Snapshot()
	again, err := e.svc.TopUp(e.ctx, p)
	require.NoError(t, err)
	require.Equal(t, first, again, "the retry returns the account, credited once")
	require.Equal(t, before, e.st.Snapshot(), "a retry writes nothing, audit included")

	p.Amount = 701
	_, err = e.svc.TopUp(e.ctx, p)
	require.ErrorIs(t, err, team.ErrIdempotencyConflict)
	require.Equal(t, before, e.st.Snapshot())

	// Another account may use the same key.
	acct, err := e.svc.TopUp(e.ctx, team.TopUpParams{ActorID: team.SystemActor, AccountUserID: bob.ID, Amount: 5, IdempotencyKey: "pay_123"})
	require.NoError(t, err)
	require.Equal(t, int64(5), acct.Balance)

	_, err = e.svc.TopUp(e.ctx, team.TopUpParams{ActorID: team.SystemActor, AccountUserID: bob.ID, Amount: 5, IdempotencyKey: "bad\x00key"})
	require.ErrorIs(t, err, team.ErrInvalidInput)
	_, err = e.svc.TopUp(e.ctx, team.TopUpParams{ActorID: team.SystemActor, AccountUserID: bob.ID, Amount: 5, IdempotencyKey: strings.Repeat("k", team.MaxIdempotencyKeyLength+1)})
	require.ErrorIs(t, err, team.ErrInvalidInput)
}

// Rule BILL-8, payment-webhook style: the host as system actor delivers
// the same top-up three times at once; the balance rises once.
func TestTopUp_BILL8_WebhookRetriesConcurrently(t *testing.T) {
	e := newBillEnv(t)
	ana := e.user("ana")
	topUpWebhookRetries(t, e.ctx, e.svc, ana.ID, e.account)
}

// topUpWebhookRetries runs three concurrent identical system-actor
// top-ups and requires one credit, one top-up record and one audit event.
func topUpWebhookRetries(t *testing.T, ctx context.Context, svc *team.Service, userID string, account func(string) billing.Account) {
	t.Helper()
	start := account(userID).Balance
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.TopUp(ctx, team.TopUpParams{ActorID: team.SystemActor, AccountUserID: userID, Amount: 1500, IdempotencyKey: "evt_1Nq"})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, start+1500, account(userID).Balance, "the balance rises once")
	page, err := svc.AccountAuditLog(ctx, team.AccountAuditLogParams{ActorID: team.SystemActor, AccountUserID: userID,
		Query: audit.Query{Actions: []audit.Action{audit.BillingTopUp}}})
	require.NoError(t, err)
	require.Len(t, page.Events, 1, "one top-up, audited once")
}

// Rule BILL-8: the account's trail is readable by its holder and by the
// host, and by nobody else; it is one hash chain.
func TestAccountAuditLog_BILL8(t *testing.T) {
	e := newBillEnv(t)
	ana, bob := e.user("ana"), e.user("bob")
	e.setPlan(ana, billing.PlanTeam)
	e.fund(ana, 10)
	_, err := e.svc.SetAccountStatus(e.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: ana.ID, Status: billing.StatusSuspended})
	require.NoError(t, err)

	page, err := e.svc.AccountAuditLog(e.ctx, team.AccountAuditLogParams{ActorID: ana.ID, AccountUserID: ana.ID})
	require.NoError(t, err)
	var actions []audit.Action
	for _, ev := range page.Events {
		actions = append(actions, ev.Action)
	}
	require.Equal(t, []audit.Action{audit.BillingPlanChanged, audit.BillingTopUp, audit.BillingStatusChanged}, actions)
	require.NoError(t, audit.Verify(e.account(ana.ID).ID, page.Events))

	host, err := e.svc.AccountAuditLog(e.ctx, team.AccountAuditLogParams{ActorID: team.SystemActor, AccountUserID: ana.ID, Query: audit.Query{Limit: 2}})
	require.NoError(t, err)
	require.Len(t, host.Events, 2)
	require.NotEmpty(t, host.NextCursor)
	rest, err := e.svc.AccountAuditLog(e.ctx, team.AccountAuditLogParams{ActorID: team.SystemActor, AccountUserID: ana.ID, Query: audit.Query{Cursor: host.NextCursor}})
	require.NoError(t, err)
	require.Len(t, rest.Events, 1)

	_, err = e.svc.AccountAuditLog(e.ctx, team.AccountAuditLogParams{ActorID: bob.ID, AccountUserID: ana.ID})
	require.ErrorIs(t, err, team.ErrPermissionDenied)
	_, err = e.svc.AccountAuditLog(e.ctx, team.AccountAuditLogParams{ActorID: "", AccountUserID: ana.ID})
	require.ErrorIs(t, err, team.ErrInvalidInput)
}
