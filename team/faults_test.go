package team_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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

// errInjected is the failure the fault-injecting store returns.
var errInjected = errors.New("injected store fault")

// fltStore wraps a Store and fails its Nth call, counting every method of
// the Store and of the Tx it passes into units of work (so faults land in
// the middle of a unit too).
type fltStore struct {
	inner team.Store
	fail  int // 1-based call to fail; 0: none
	calls int
	trace []string
}

func (f *fltStore) hit(op string) error {
	f.calls++
	f.trace = append(f.trace, op)
	if f.calls == f.fail {
		return fmt.Errorf("%s: %w", op, errInjected)
	}
	return nil
}

func (f *fltStore) InTx(ctx context.Context, fn func(ctx context.Context, tx team.Tx) error) error {
	if err := f.hit("InTx"); err != nil {
		return err
	}
	return f.inner.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		return fn(ctx, &fltTx{fltReader: fltReader{r: tx, f: f}, tx: tx})
	})
}

// The Reader methods of the store: counted, then passed on.
func (f *fltStore) reader() fltReader { return fltReader{r: f.inner, f: f} }

func (f *fltStore) Team(ctx context.Context, id string) (team.Team, error) {
	return f.reader().Team(ctx, id)
}
func (f *fltStore) PersonalTeam(ctx context.Context, u string) (team.Team, error) {
	return f.reader().PersonalTeam(ctx, u)
}
func (f *fltStore) TeamsOfUser(ctx context.Context, u string) ([]team.Team, error) {
	return f.reader().TeamsOfUser(ctx, u)
}
func (f *fltStore) CountOwnedTeams(ctx context.Context, o string, k team.Kind) (int, error) {
	return f.reader().CountOwnedTeams(ctx, o, k)
}
func (f *fltStore) Member(ctx context.Context, t, u string) (team.Member, error) {
	return f.reader().Member(ctx, t, u)
}
func (f *fltStore) Members(ctx context.Context, t string) ([]team.Member, error) {
	return f.reader().Members(ctx, t)
}
func (f *fltStore) Invitation(ctx context.Context, id string) (team.Invitation, error) {
	return f.reader().Invitation(ctx, id)
}
func (f *fltStore) InvitationByTokenHash(ctx context.Context, h string) (team.Invitation, error) {
	return f.reader().InvitationByTokenHash(ctx, h)
}
func (f *fltStore) Invitations(ctx context.Context, t string, s team.InvitationStatus) ([]team.Invitation, error) {
	return f.reader().Invitations(ctx, t, s)
}
func (f *fltStore) InvitationsByEmail(ctx context.Context, e string, s team.InvitationStatus) ([]team.Invitation, error) {
	return f.reader().InvitationsByEmail(ctx, e, s)
}
func (f *fltStore) Account(ctx context.Context, u string) (billing.Account, error) {
	return f.reader().Account(ctx, u)
}
func (f *fltStore) UsageByKey(ctx context.Context, t, k string) (billing.UsageRecord, error) {
	return f.reader().UsageByKey(ctx, t, k)
}
func (f *fltStore) UsageTotals(ctx context.Context, t string, from, to time.Time) ([]billing.MemberUsage, error) {
	return f.reader().UsageTotals(ctx, t, from, to)
}
func (f *fltStore) AuditEvents(ctx context.Context, t string, fl audit.Filter) ([]audit.Event, error) {
	return f.reader().AuditEvents(ctx, t, fl)
}
func (f *fltStore) LastAuditEvent(ctx context.Context, t string) (audit.Event, error) {
	return f.reader().LastAuditEvent(ctx, t)
}

// fltReader counts the Reader methods of a Store or a Tx.
type fltReader struct {
	r team.Reader
	f *fltStore
}

func (x fltReader) Team(ctx context.Context, id string) (team.Team, error) {
	if err := x.f.hit("Team"); err != nil {
		return team.Team{}, err
	}
	return x.r.Team(ctx, id)
}
func (x fltReader) PersonalTeam(ctx context.Context, u string) (team.Team, error) {
	if err := x.f.hit("PersonalTeam"); err != nil {
		return team.Team{}, err
	}
	return x.r.PersonalTeam(ctx, u)
}
func (x fltReader) TeamsOfUser(ctx context.Context, u string) ([]team.Team, error) {
	if err := x.f.hit("TeamsOfUser"); err != nil {
		return nil, err
	}
	return x.r.TeamsOfUser(ctx, u)
}
func (x fltReader) CountOwnedTeams(ctx context.Context, o string, k team.Kind) (int, error) {
	if err := x.f.hit("CountOwnedTeams"); err != nil {
		return 0, err
	}
	return x.r.CountOwnedTeams(ctx, o, k)
}
func (x fltReader) Member(ctx context.Context, t, u string) (team.Member, error) {
	if err := x.f.hit("Member"); err != nil {
		return team.Member{}, err
	}
	return x.r.Member(ctx, t, u)
}
func (x fltReader) Members(ctx context.Context, t string) ([]team.Member, error) {
	if err := x.f.hit("Members"); err != nil {
		return nil, err
	}
	return x.r.Members(ctx, t)
}
func (x fltReader) Invitation(ctx context.Context, id string) (team.Invitation, error) {
	if err := x.f.hit("Invitation"); err != nil {
		return team.Invitation{}, err
	}
	return x.r.Invitation(ctx, id)
}
func (x fltReader) InvitationByTokenHash(ctx context.Context, h string) (team.Invitation, error) {
	if err := x.f.hit("InvitationByTokenHash"); err != nil {
		return team.Invitation{}, err
	}
	return x.r.InvitationByTokenHash(ctx, h)
}
func (x fltReader) Invitations(ctx context.Context, t string, s team.InvitationStatus) ([]team.Invitation, error) {
	if err := x.f.hit("Invitations"); err != nil {
		return nil, err
	}
	return x.r.Invitations(ctx, t, s)
}
func (x fltReader) InvitationsByEmail(ctx context.Context, e string, s team.InvitationStatus) ([]team.Invitation, error) {
	if err := x.f.hit("InvitationsByEmail"); err != nil {
		return nil, err
	}
	return x.r.InvitationsByEmail(ctx, e, s)
}
func (x fltReader) Account(ctx context.Context, u string) (billing.Account, error) {
	if err := x.f.hit("Account"); err != nil {
		return billing.Account{}, err
	}
	return x.r.Account(ctx, u)
}
func (x fltReader) UsageByKey(ctx context.Context, t, k string) (billing.UsageRecord, error) {
	if err := x.f.hit("UsageByKey"); err != nil {
		return billing.UsageRecord{}, err
	}
	return x.r.UsageByKey(ctx, t, k)
}
func (x fltReader) UsageTotals(ctx context.Context, t string, from, to time.Time) ([]billing.MemberUsage, error) {
	if err := x.f.hit("UsageTotals"); err != nil {
		return nil, err
	}
	return x.r.UsageTotals(ctx, t, from, to)
}
func (x fltReader) AuditEvents(ctx context.Context, t string, fl audit.Filter) ([]audit.Event, error) {
	if err := x.f.hit("AuditEvents"); err != nil {
		return nil, err
	}
	return x.r.AuditEvents(ctx, t, fl)
}
func (x fltReader) LastAuditEvent(ctx context.Context, t string) (audit.Event, error) {
	if err := x.f.hit("LastAuditEvent"); err != nil {
		return audit.Event{}, err
	}
	return x.r.LastAuditEvent(ctx, t)
}

// fltTx counts the methods of a unit of work.
type fltTx struct {
	fltReader
	tx team.Tx
}

func (x *fltTx) LockTeam(ctx context.Context, id string) (team.Team, error) {
	if err := x.f.hit("LockTeam"); err != nil {
		return team.Team{}, err
	}
	return x.tx.LockTeam(ctx, id)
}
func (x *fltTx) InsertTeam(ctx context.Context, t team.Team) error {
	if err := x.f.hit("InsertTeam"); err != nil {
		return err
	}
	return x.tx.InsertTeam(ctx, t)
}
func (x *fltTx) UpdateTeam(ctx context.Context, t team.Team) error {
	if err := x.f.hit("UpdateTeam"); err != nil {
		return err
	}
	return x.tx.UpdateTeam(ctx, t)
}
func (x *fltTx) DeleteTeamMembers(ctx context.Context, id string) error {
	if err := x.f.hit("DeleteTeamMembers"); err != nil {
		return err
	}
	return x.tx.DeleteTeamMembers(ctx, id)
}
func (x *fltTx) InsertMember(ctx context.Context, m team.Member) error {
	if err := x.f.hit("InsertMember"); err != nil {
		return err
	}
	return x.tx.InsertMember(ctx, m)
}
func (x *fltTx) UpdateMember(ctx context.Context, m team.Member) error {
	if err := x.f.hit("UpdateMember"); err != nil {
		return err
	}
	return x.tx.UpdateMember(ctx, m)
}
func (x *fltTx) DeleteMember(ctx context.Context, t, u string) error {
	if err := x.f.hit("DeleteMember"); err != nil {
		return err
	}
	return x.tx.DeleteMember(ctx, t, u)
}
func (x *fltTx) InsertInvitation(ctx context.Context, inv team.Invitation) error {
	if err := x.f.hit("InsertInvitation"); err != nil {
		return err
	}
	return x.tx.InsertInvitation(ctx, inv)
}
func (x *fltTx) UpdateInvitation(ctx context.Context, inv team.Invitation) error {
	if err := x.f.hit("UpdateInvitation"); err != nil {
		return err
	}
	return x.tx.UpdateInvitation(ctx, inv)
}
func (x *fltTx) InsertAccount(ctx context.Context, a billing.Account) error {
	if err := x.f.hit("InsertAccount"); err != nil {
		return err
	}
	return x.tx.InsertAccount(ctx, a)
}
func (x *fltTx) LockAccount(ctx context.Context, u string) (billing.Account, error) {
	if err := x.f.hit("LockAccount"); err != nil {
		return billing.Account{}, err
	}
	return x.tx.LockAccount(ctx, u)
}
func (x *fltTx) UpdateAccount(ctx context.Context, a billing.Account) error {
	if err := x.f.hit("UpdateAccount"); err != nil {
		return err
	}
	return x.tx.UpdateAccount(ctx, a)
}
func (x *fltTx) InsertUsage(ctx context.Context, r billing.UsageRecord) error {
	if err := x.f.hit("InsertUsage"); err != nil {
		return err
	}
	return x.tx.InsertUsage(ctx, r)
}
func (x *fltTx) InsertTopUp(ctx context.Context, t billing.TopUp) error {
	if err := x.f.hit("InsertTopUp"); err != nil {
		return err
	}
	return x.tx.InsertTopUp(ctx, t)
}
func (x *fltTx) AppendAuditEvent(ctx context.Context, e audit.Event) error {
	if err := x.f.hit("AppendAuditEvent"); err != nil {
		return err
	}
	return x.tx.AppendAuditEvent(ctx, e)
}

// User lifecycle (ROLE-8, USER-2).

func (f *fltStore) MembershipsOfUser(ctx context.Context, u string) ([]team.Membership, error) {
	return f.reader().MembershipsOfUser(ctx, u)
}
func (x fltReader) MembershipsOfUser(ctx context.Context, u string) ([]team.Membership, error) {
	if err := x.f.hit("MembershipsOfUser"); err != nil {
		return nil, err
	}
	return x.r.MembershipsOfUser(ctx, u)
}
func (x *fltTx) DeleteInvitationsByEmail(ctx context.Context, id, email string) (int, error) {
	if err := x.f.hit("DeleteInvitationsByEmail"); err != nil {
		return 0, err
	}
	return x.tx.DeleteInvitationsByEmail(ctx, id, email)
}

// Billing v2 (BILL-8 … BILL-12).

func (f *fltStore) TopUpByKey(ctx context.Context, a, k string) (billing.TopUp, error) {
	return f.reader().TopUpByKey(ctx, a, k)
}
func (x fltReader) TopUpByKey(ctx context.Context, a, k string) (billing.TopUp, error) {
	if err := x.f.hit("TopUpByKey"); err != nil {
		return billing.TopUp{}, err
	}
	return x.r.TopUpByKey(ctx, a, k)
}
func (f *fltStore) UsageRecords(ctx context.Context, q billing.LedgerQuery) ([]billing.UsageRecord, error) {
	return f.reader().UsageRecords(ctx, q)
}
func (x fltReader) UsageRecords(ctx context.Context, q billing.LedgerQuery) ([]billing.UsageRecord, error) {
	if err := x.f.hit("UsageRecords"); err != nil {
		return nil, err
	}
	return x.r.UsageRecords(ctx, q)
}
func (f *fltStore) TopUps(ctx context.Context, q billing.LedgerQuery) ([]billing.TopUp, error) {
	return f.reader().TopUps(ctx, q)
}
func (x fltReader) TopUps(ctx context.Context, q billing.LedgerQuery) ([]billing.TopUp, error) {
	if err := x.f.hit("TopUps"); err != nil {
		return nil, err
	}
	return x.r.TopUps(ctx, q)
}
func (f *fltStore) UsageSeries(ctx context.Context, q billing.SeriesQuery) ([]billing.SeriesPoint, error) {
	return f.reader().UsageSeries(ctx, q)
}
func (x fltReader) UsageSeries(ctx context.Context, q billing.SeriesQuery) ([]billing.SeriesPoint, error) {
	if err := x.f.hit("UsageSeries"); err != nil {
		return nil, err
	}
	return x.r.UsageSeries(ctx, q)
}
func (f *fltStore) UsageBreakdown(ctx context.Context, q billing.BreakdownQuery) ([]billing.BreakdownRow, error) {
	return f.reader().UsageBreakdown(ctx, q)
}
func (x fltReader) UsageBreakdown(ctx context.Context, q billing.BreakdownQuery) ([]billing.BreakdownRow, error) {
	if err := x.f.hit("UsageBreakdown"); err != nil {
		return nil, err
	}
	return x.r.UsageBreakdown(ctx, q)
}
func (f *fltStore) AccountUsageTotals(ctx context.Context, a string, from, to time.Time) ([]billing.TeamMemberUsage, error) {
	return f.reader().AccountUsageTotals(ctx, a, from, to)
}
func (x fltReader) AccountUsageTotals(ctx context.Context, a string, from, to time.Time) ([]billing.TeamMemberUsage, error) {
	if err := x.f.hit("AccountUsageTotals"); err != nil {
		return nil, err
	}
	return x.r.AccountUsageTotals(ctx, a, from, to)
}
func (f *fltStore) AccountAuditEvents(ctx context.Context, a string, fl audit.Filter) ([]audit.Event, error) {
	return f.reader().AccountAuditEvents(ctx, a, fl)
}
func (x fltReader) AccountAuditEvents(ctx context.Context, a string, fl audit.Filter) ([]audit.Event, error) {
	if err := x.f.hit("AccountAuditEvents"); err != nil {
		return nil, err
	}
	return x.r.AccountAuditEvents(ctx, a, fl)
}
func (f *fltStore) LastAccountAuditEvent(ctx context.Context, a string) (audit.Event, error) {
	return f.reader().LastAccountAuditEvent(ctx, a)
}
func (x fltReader) LastAccountAuditEvent(ctx context.Context, a string) (audit.Event, error) {
	if err := x.f.hit("LastAccountAuditEvent"); err != nil {
		return audit.Event{}, err
	}
	return x.r.LastAccountAuditEvent(ctx, a)
}
func (x *fltTx) AppendAccountAuditEvent(ctx context.Context, e audit.Event) error {
	if err := x.f.hit("AppendAccountAuditEvent"); err != nil {
		return err
	}
	return x.tx.AppendAccountAuditEvent(ctx, e)
}

var (
	_ team.Store = (*fltStore)(nil)
	_ team.Tx    = (*fltTx)(nil)
)

// fltWorld is a service over a fault-injecting memory store, set up with
// a collaboration team: owner u0 (ENTERPRISE, 1000 tokens), admin u1,
// member u2 and a pending invitation of u3.
type fltWorld struct {
	ctx   context.Context
	mem   *store.Memory
	fs    *fltStore
	svc   *team.Service
	users []team.User
	teamT string
	pers0 string
	inv   string
	token string
	fail  atomic.Bool // the Notifier fails while set
}

func newFltWorld(t *testing.T) *fltWorld {
	t.Helper()
	w := &fltWorld{ctx: context.Background(), mem: store.NewMemory()}
	w.fs = &fltStore{inner: w.mem}
	var ids atomic.Uint64
	tokens := map[string]string{}
	svc, err := team.New(w.fs,
		team.WithClock(func() time.Time { return time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC) }),
		team.WithIDs(func() string { return fmt.Sprintf("f%04d", ids.Add(1)) }),
		team.WithRandom(mdlRandom{rand.NewChaCha8([32]byte{1})}),
		team.WithNotifier(team.NotifierFunc(func(_ context.Context, msg team.InvitationMessage) error {
			if w.fail.Load() {
				return errors.New("mail server down")
			}
			tokens[msg.Invitation.ID] = msg.Token
			return nil
		})),
	)
	require.NoError(t, err)
	w.svc = svc
	for i := range 6 {
		w.users = append(w.users, team.User{ID: fmt.Sprintf("u%d", i), Email: fmt.Sprintf("u%d@example.com", i), Name: fmt.Sprintf("U%d", i)})
	}
	for _, u := range w.users[:5] {
		p, err := svc.EnsurePersonalTeam(w.ctx, u)
		require.NoError(t, err)
		if u.ID == "u0" {
			w.pers0 = p.ID
		}
	}
	_, err = svc.ChangePlan(w.ctx, team.ChangePlanParams{ActorID: "u0", TeamID: w.pers0, Plan: billing.PlanEnterprise})
	require.NoError(t, err)
	// u1 may receive ownership of a collaboration team (OWN-5).
	pers1, err := svc.EnsurePersonalTeam(w.ctx, w.users[1])
	require.NoError(t, err)
	_, err = svc.ChangePlan(w.ctx, team.ChangePlanParams{ActorID: "u1", TeamID: pers1.ID, Plan: billing.PlanTeam})
	require.NoError(t, err)
	tm, err := svc.CreateTeam(w.ctx, team.CreateTeamParams{Owner: w.users[0], Name: "Faulty"})
	require.NoError(t, err)
	w.teamT = tm.ID
	_, err = svc.TopUp(w.ctx, team.TopUpParams{ActorID: "u0", TeamID: tm.ID, Amount: 1000})
	require.NoError(t, err)
	for i, role := range []string{"", rbac.RoleAdmin, rbac.RoleMember, rbac.RoleMember} {
		if i == 0 {
			continue
		}
		inv, err := svc.Invite(w.ctx, team.InviteParams{ActorID: "u0", TeamID: tm.ID, Email: w.users[i].Email, Role: role})
		require.NoError(t, err)
		if i == 3 {
			w.inv, w.token = inv.Invitation.ID, tokens[inv.Invitation.ID]
			break
		}
		_, err = svc.AcceptInvitation(w.ctx, w.users[i], tokens[inv.Invitation.ID])
		require.NoError(t, err)
	}
	_, err = svc.RecordUsage(w.ctx, team.RecordUsageParams{ActorID: "u2", TeamID: tm.ID, Amount: 10, IdempotencyKey: "seed"})
	require.NoError(t, err)
	w.fs.calls, w.fs.trace = 0, nil
	return w
}

// fltCases are the state-changing use cases, each run against the world.
var fltCases = []struct {
	name string
	call func(w *fltWorld) error
}{
	{"EnsurePersonalTeam", func(w *fltWorld) error { _, err := w.svc.EnsurePersonalTeam(w.ctx, w.users[5]); return err }},
	{"UpgradeToCollaboration", func(w *fltWorld) error {
		_, _, err := w.svc.UpgradeToCollaboration(w.ctx, team.UpgradeToCollaborationParams{ActorID: "u0", TeamID: w.pers0, Name: "Upgraded"})
		return err
	}},
	{"CreateTeam", func(w *fltWorld) error {
		_, err := w.svc.CreateTeam(w.ctx, team.CreateTeamParams{Owner: w.users[0], Name: "Beta", Settings: map[string]string{"k": "v"}})
		return err
	}},
	{"UpdateTeam", func(w *fltWorld) error {
		name := "Renamed"
		_, err := w.svc.UpdateTeam(w.ctx, team.UpdateTeamParams{ActorID: "u1", TeamID: w.teamT, Name: &name})
		return err
	}},
	{"Invite", func(w *fltWorld) error {
		_, err := w.svc.Invite(w.ctx, team.InviteParams{ActorID: "u1", TeamID: w.teamT, Email: "u4@example.com", Role: rbac.RoleViewer})
		return err
	}},
	{"ResendInvitation", func(w *fltWorld) error {
		_, err := w.svc.ResendInvitation(w.ctx, team.ResendInvitationParams{ActorID: "u1", TeamID: w.teamT, InvitationID: w.inv})
		return err
	}},
	{"CancelInvitation", func(w *fltWorld) error {
		return w.svc.CancelInvitation(w.ctx, team.CancelInvitationParams{ActorID: "u0", TeamID: w.teamT, InvitationID: w.inv})
	}},
	{"DeclineInvitation", func(w *fltWorld) error { return w.svc.DeclineInvitation(w.ctx, w.users[3], w.inv) }},
	{"AcceptInvitation", func(w *fltWorld) error { _, err := w.svc.AcceptInvitation(w.ctx, w.users[3], w.token); return err }},
	{"ChangeRole", func(w *fltWorld) error {
		_, err := w.svc.ChangeRole(w.ctx, team.ChangeRoleParams{ActorID: "u1", TeamID: w.teamT, UserID: "u2", Role: rbac.RoleViewer})
		return err
	}},
	{"RemoveMember", func(w *fltWorld) error {
		return w.svc.RemoveMember(w.ctx, team.RemoveMemberParams{ActorID: "u1", TeamID: w.teamT, UserID: "u2"})
	}},
	{"Leave", func(w *fltWorld) error { return w.svc.Leave(w.ctx, "u2", w.teamT) }},
	{"TransferOwnership", func(w *fltWorld) error {
		return w.svc.TransferOwnership(w.ctx, team.TransferOwnershipParams{ActorID: "u0", TeamID: w.teamT, NewOwnerID: "u1", ConfirmNewOwnerID: "u1"})
	}},
	{"DeleteTeam", func(w *fltWorld) error { return w.svc.DeleteTeam(w.ctx, "u0", w.teamT) }},
	{"RecordUsage", func(w *fltWorld) error {
		_, err := w.svc.RecordUsage(w.ctx, team.RecordUsageParams{ActorID: "u2", TeamID: w.teamT, Amount: 7, IdempotencyKey: "k1", Metadata: map[string]string{"m": "x"}})
		return err
	}},
	{"RecordUsageRetry", func(w *fltWorld) error {
		_, err := w.svc.RecordUsage(w.ctx, team.RecordUsageParams{ActorID: "u2", TeamID: w.teamT, Amount: 10, IdempotencyKey: "seed"})
		return err
	}},
	{"TopUp", func(w *fltWorld) error {
		_, err := w.svc.TopUp(w.ctx, team.TopUpParams{ActorID: "u1", TeamID: w.teamT, Amount: 250})
		return err
	}},
	{"ChangePlan", func(w *fltWorld) error {
		_, err := w.svc.ChangePlan(w.ctx, team.ChangePlanParams{ActorID: "u1", TeamID: w.teamT, Plan: billing.PlanTeam})
		return err
	}},
	{"SetAccountStatus", func(w *fltWorld) error {
		_, err := w.svc.SetAccountStatus(w.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: "u2", Status: billing.StatusSuspended})
		return err
	}},
	{"RecordEvent", func(w *fltWorld) error {
		_, err := w.svc.RecordEvent(w.ctx, team.RecordEventParams{ActorID: "u1", TeamID: w.teamT, Action: "doc.deleted", Target: "d1"})
		return err
	}},
}

// TestFaults_SEC2 fails, for every state-changing use case, each store
// call it makes in turn — outside and inside its unit of work — and checks
// that the caller gets the store's error (never a refusal sentinel in its
// place) and that the store holds exactly what it held before the call:
// nothing is lost or half-written on any error (SEC-2).
func TestFaults_SEC2(t *testing.T) {
	total := 0
	for _, c := range fltCases {
		t.Run(c.name, func(t *testing.T) {
			// A clean run tells how many store calls the use case makes and
			// what it leaves behind.
			clean := newFltWorld(t)
			require.NoError(t, c.call(clean), "the use case must succeed without faults")
			calls, trace, after := clean.fs.calls, clean.fs.trace, clean.mem.Snapshot()
			require.Positive(t, calls)
			for n := 1; n <= calls; n++ {
				w := newFltWorld(t)
				before := w.mem.Snapshot()
				w.fs.fail = n
				err := c.call(w)
				if err == nil {
					// Only a read whose failure the service may absorb (a
					// fast path that falls back to the unit of work) may
					// end in success, and then with the clean run's result.
					require.Equal(t, after, w.mem.Snapshot(), "fault at call %d (%s) was absorbed but changed the outcome", n, trace[n-1])
					continue
				}
				require.ErrorIs(t, err, errInjected, "fault at call %d (%s) must reach the caller as it is", n, trace[n-1])
				require.Equal(t, before, w.mem.Snapshot(), "fault at call %d (%s) left a trace: %v", n, trace[n-1], err)
				total++
			}
			t.Logf("%s: %d store calls %v", c.name, calls, trace)
		})
	}
	t.Logf("%d injected faults refused with the state untouched", total)
}

// TestFaults_NotifierINV7: when the Notifier fails, Invite and
// ResendInvitation keep the invitation (and its audit event) and say so
// with ErrNotifyFailed wrapping the Notifier's error; re-sending with the
// Notifier back retries, and the new link works. Rule INV-7.
func TestFaults_NotifierINV7(t *testing.T) {
	w := newFltWorld(t)
	w.fail.Store(true)
	before := w.mem.Snapshot()
	inv, err := w.svc.Invite(w.ctx, team.InviteParams{ActorID: "u1", TeamID: w.teamT, Email: "u4@example.com", Role: rbac.RoleViewer})
	requireRefused(t, err, team.ErrNotifyFailed)
	require.ErrorContains(t, err, "mail server down")
	require.NotEmpty(t, inv.Invitation.ID, "the stored invitation comes back with the error")
	after := w.mem.Snapshot()
	require.Len(t, after.Invitations, len(before.Invitations)+1)
	require.Len(t, after.AuditEvents[w.teamT], len(before.AuditEvents[w.teamT])+1)
	pending, err := w.svc.Invitations(w.ctx, "u1", w.teamT)
	require.NoError(t, err)
	require.Contains(t, pending, inv.Invitation)

	// Still down: the re-send changes the link (INV-6) and says so again.
	_, err = w.svc.ResendInvitation(w.ctx, team.ResendInvitationParams{ActorID: "u1", TeamID: w.teamT, InvitationID: inv.Invitation.ID})
	requireRefused(t, err, team.ErrNotifyFailed)

	// Back up: the re-send delivers a link that works.
	w.fail.Store(false)
	var token string
	svc2, err := team.New(w.fs, team.WithNotifier(team.NotifierFunc(func(_ context.Context, msg team.InvitationMessage) error {
		token = msg.Token
		return nil
	})))
	require.NoError(t, err)
	_, err = svc2.ResendInvitation(w.ctx, team.ResendInvitationParams{ActorID: "u1", TeamID: w.teamT, InvitationID: inv.Invitation.ID})
	require.NoError(t, err)
	w.users[4].Email = "u4@example.com"
	m, err := svc2.AcceptInvitation(w.ctx, w.users[4], token)
	require.NoError(t, err)
	require.Equal(t, rbac.RoleViewer, m.Role)
}

// TestFaults_ResourceCounterDEL2: a failing ResourceCounter stops the
// deletion with its error and changes nothing (DEL-2, SEC-2).
func TestFaults_ResourceCounterDEL2(t *testing.T) {
	w := newFltWorld(t)
	boom := errors.New("host database unavailable")
	svc, err := team.New(w.fs, team.WithResourceCounter(team.ResourceCounterFunc(func(context.Context, string) (map[string]int, error) {
		return nil, boom
	})))
	require.NoError(t, err)
	before := w.mem.Snapshot()
	require.ErrorIs(t, svc.DeleteTeam(w.ctx, "u0", w.teamT), boom)
	_, err = svc.DeletionPreflight(w.ctx, "u0", w.teamT)
	require.ErrorIs(t, err, boom)
	require.Equal(t, before, w.mem.Snapshot())
}

// TestFaults_MemoryWriteFault uses the memory store's own fault hook: every
// write or lock of Invite's unit of work fails in turn, and each failure
// leaves the store as it was (SEC-2).
func TestFaults_MemoryWriteFault(t *testing.T) {
	var failAt, n atomic.Int64
	mem := store.NewMemory(store.WithWriteFault(func(op string) error {
		if n.Add(1) == failAt.Load() {
			return fmt.Errorf("%s: %w", op, errInjected)
		}
		return nil
	}))
	ctx := context.Background()
	svc, err := team.New(mem)
	require.NoError(t, err)
	owner := team.User{ID: "o1", Email: "o1@example.com"}
	p, err := svc.EnsurePersonalTeam(ctx, owner)
	require.NoError(t, err)
	_, err = svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: owner.ID, TeamID: p.ID, Plan: billing.PlanTeam})
	require.NoError(t, err)
	tm, err := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: owner, Name: "Hooked"})
	require.NoError(t, err)
	for k := int64(1); ; k++ {
		n.Store(0)
		failAt.Store(k)
		before := mem.Snapshot()
		_, err := svc.Invite(ctx, team.InviteParams{ActorID: owner.ID, TeamID: tm.ID, Email: fmt.Sprintf("x%d@example.com", k), Role: rbac.RoleMember})
		if err == nil {
			require.Less(t, n.Load(), k, "the fault at write %d was not reached", k)
			break
		}
		require.ErrorIs(t, err, errInjected)
		require.Equal(t, before, mem.Snapshot())
	}
}

// Issue 12: the audit head (AUD-4) and the epoch marks (ROLE-5).

func (f *fltStore) AuditHead(ctx context.Context, t string) (team.AuditHead, error) {
	return f.reader().AuditHead(ctx, t)
}
func (x fltReader) AuditHead(ctx context.Context, t string) (team.AuditHead, error) {
	if err := x.f.hit("AuditHead"); err != nil {
		return team.AuditHead{}, err
	}
	return x.r.AuditHead(ctx, t)
}
func (x *fltTx) MemberEpochMark(ctx context.Context, t, u string) (uint64, error) {
	if err := x.f.hit("MemberEpochMark"); err != nil {
		return 0, err
	}
	return x.tx.MemberEpochMark(ctx, t, u)
}
