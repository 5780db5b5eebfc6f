package team_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Rule BILL-9: the ledger lists a team's or an account's usage records and
// top-ups, filtered by member and time, oldest or newest first, in pages
// whose opaque cursors cover it exactly once; only for roles with the
// usage or billing permission, or the holder.
func TestLedger_BILL9(t *testing.T) {
	e := newBillEnv(t)
	ana, bob, vic := e.user("ana"), e.user("bob"), e.user("vic")
	tm := e.fundedTeam(ana, "Ledger", 1000, bob)
	e.join(tm, ana.ID, vic, rbac.RoleViewer)
	var want []string // every line of the team's ledger, oldest first
	want = append(want, "top_up")
	for i := range 7 {
		e.clock.Advance(time.Minute)
		actor := ana
		if i%2 == 1 {
			actor = bob
		}
		e.charge(actor.ID, tm.ID, int64(1+i), fmt.Sprintf("k%d", i))
		want = append(want, "usage")
	}
	e.clock.Advance(time.Minute)
	e.topUp(ana.ID, tm.ID, 5)
	want = append(want, "top_up")

	all, err := e.svc.Ledger(e.ctx, team.LedgerParams{ActorID: ana.ID, TeamID: tm.ID, Limit: 100})
	require.NoError(t, err)
	require.Empty(t, all.NextCursor)
	var kinds []string
	for _, en := range all.Entries {
		kinds = append(kinds, en.Kind)
	}
	require.Equal(t, want, kinds)
	require.Equal(t, int64(1000), all.Entries[0].Amount)

	for _, newest := range []bool{false, true} {
		var got []billing.LedgerEntry
		cursor := ""
		for range 10 {
			page, err := e.svc.Ledger(e.ctx, team.LedgerParams{ActorID: ana.ID, TeamID: tm.ID, NewestFirst: newest, Cursor: cursor, Limit: 3})
			require.NoError(t, err)
			got = append(got, page.Entries...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		exp := all.Entries
		if newest {
			exp = reversed(all.Entries)
		}
		require.Equal(t, exp, got, "pages newest first %v", newest)
	}

	bobs, err := e.svc.Ledger(e.ctx, team.LedgerParams{ActorID: ana.ID, TeamID: tm.ID, UserID: bob.ID})
	require.NoError(t, err)
	require.Len(t, bobs.Entries, 3)
	for _, en := range bobs.Entries {
		require.Equal(t, bob.ID, en.UserID)
	}
	from := all.Entries[2].Time
	to := all.Entries[4].Time
	ranged, err := e.svc.Ledger(e.ctx, team.LedgerParams{ActorID: ana.ID, TeamID: tm.ID, From: from, To: to})
	require.NoError(t, err)
	require.Equal(t, all.Entries[2:4], ranged.Entries)

	// The holder's account ledger, and the host's.
	acct, err := e.svc.Ledger(e.ctx, team.LedgerParams{ActorID: ana.ID, AccountUserID: ana.ID, Limit: 100})
	require.NoError(t, err)
	require.Len(t, acct.Entries, len(all.Entries))
	host, err := e.svc.Ledger(e.ctx, team.LedgerParams{ActorID: team.SystemActor, AccountUserID: ana.ID, Limit: 100})
	require.NoError(t, err)
	require.Equal(t, acct, host)

	// Refusals.
	_, err = e.svc.Ledger(e.ctx, team.LedgerParams{ActorID: bob.ID, TeamID: tm.ID})
	require.ErrorIs(t, err, team.ErrPermissionDenied, "a member without usage or billing permission")
	_, err = e.svc.Ledger(e.ctx, team.LedgerParams{ActorID: vic.ID, TeamID: tm.ID})
	require.ErrorIs(t, err, team.ErrPermissionDenied, "a viewer")
	_, err = e.svc.Ledger(e.ctx, team.LedgerParams{ActorID: bob.ID, AccountUserID: ana.ID})
	require.ErrorIs(t, err, team.ErrPermissionDenied, "someone else's account")
	first, err := e.svc.Ledger(e.ctx, team.LedgerParams{ActorID: ana.ID, TeamID: tm.ID, Limit: 2})
	require.NoError(t, err)
	_, err = e.svc.Ledger(e.ctx, team.LedgerParams{ActorID: ana.ID, TeamID: tm.ID, NewestFirst: true, Cursor: first.NextCursor})
	require.ErrorIs(t, err, team.ErrInvalidInput, "a cursor of the other order")
	_, err = e.svc.Ledger(e.ctx, team.LedgerParams{ActorID: ana.ID, TeamID: tm.ID, Cursor: "not-a-cursor"})
	require.ErrorIs(t, err, team.ErrInvalidInput)
	_, err = e.svc.Ledger(e.ctx, team.LedgerParams{ActorID: ana.ID, TeamID: tm.ID, Limit: -1})
	require.ErrorIs(t, err, team.ErrInvalidInput)
}

func reversed[T any](xs []T) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[len(xs)-1-i] = x
	}
	return out
}

// Rule BILL-10: the series follows the given zone's days, DST included,
// per member; only for roles with the usage or billing permission.
func TestUsageSeries_BILL10_DaysInZone(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	e := newBillEnv(t)
	ana, bob := e.user("ana"), e.user("bob")
	tm := e.fundedTeam(ana, "Series", 1000, bob)
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	for i, c := range []struct {
		when   string
		user   team.User
		amount int64
	}{
		{"2026-03-28T22:30:00Z", ana, 1}, // 28th in Berlin
		{"2026-03-28T23:30:00Z", ana, 2}, // 29th
		{"2026-03-29T21:30:00Z", bob, 4}, // 29th (CEST)
		{"2026-03-29T22:30:00Z", ana, 8}, // 30th
	} {
		e.clock.set(at(c.when))
		e.charge(c.user.ID, tm.ID, c.amount, fmt.Sprint("s", i))
	}
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, loc) }
	got, err := e.svc.UsageSeries(e.ctx, team.UsageSeriesParams{ActorID: ana.ID, TeamID: tm.ID, From: day(28), To: day(31), Location: loc})
	require.NoError(t, err)
	type pt struct {
		day    int
		user   string
		amount int64
	}
	var pts []pt
	for _, p := range got {
		require.Equal(t, loc, p.Start.Location())
		pts = append(pts, pt{p.Start.Day(), p.UserID, p.Amount})
	}
	require.Equal(t, []pt{{28, ana.ID, 1}, {29, ana.ID, 2}, {29, bob.ID, 4}, {30, ana.ID, 8}}, pts)

	hours, err := e.svc.UsageSeries(e.ctx, team.UsageSeriesParams{ActorID: ana.ID, TeamID: tm.ID, UserID: ana.ID,
		From: day(28), To: day(31), Bucket: billing.BucketHour, Location: loc})
	require.NoError(t, err)
	require.Len(t, hours, 3)

	_, err = e.svc.UsageSeries(e.ctx, team.UsageSeriesParams{ActorID: bob.ID, TeamID: tm.ID, From: day(28), To: day(31)})
	require.ErrorIs(t, err, team.ErrPermissionDenied)
	_, err = e.svc.UsageSeries(e.ctx, team.UsageSeriesParams{ActorID: ana.ID, TeamID: tm.ID, From: day(28)})
	require.ErrorIs(t, err, team.ErrInvalidInput, "an open range")
	_, err = e.svc.UsageSeries(e.ctx, team.UsageSeriesParams{ActorID: ana.ID, TeamID: tm.ID, From: day(1), To: day(1).AddDate(2, 0, 0), Bucket: billing.BucketHour})
	require.ErrorIs(t, err, team.ErrInvalidInput, "too many buckets")
}

// Rule BILL-10: the breakdown by one metadata key lists the top N values
// and sums the rest as "other"; totals are those of every record.
func TestUsageBreakdown_BILL10_TopNAndOther(t *testing.T) {
	e := newBillEnv(t)
	ana := e.user("ana")
	tm := e.fundedTeam(ana, "Models", 1000)
	for i, c := range []struct {
		model  string
		amount int64
	}{{"large", 50}, {"large", 30}, {"small", 20}, {"tiny", 5}, {"micro", 4}, {"", 9}, {"-", 7}} {
		meta := map[string]string{"model": c.model}
		if c.model == "-" {
			meta = map[string]string{"other-key": "x"}
		}
		_, err := e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: ana.ID, TeamID: tm.ID, Amount: c.amount, IdempotencyKey: fmt.Sprint("b", i), Metadata: meta})
		require.NoError(t, err)
	}
	b, err := e.svc.UsageBreakdown(e.ctx, team.UsageBreakdownParams{ActorID: ana.ID, TeamID: tm.ID, Key: "model", Top: 3})
	require.NoError(t, err)
	require.Equal(t, int64(125), b.Amount)
	require.Equal(t, 7, b.Records)
	require.Equal(t, []billing.BreakdownRow{
		{Value: "large", Amount: 80, Records: 2},
		{Value: "small", Amount: 20, Records: 1},
		{Value: "", Amount: 9, Records: 1},
		{Amount: 16, Records: 3, Other: true}, // "-" (missing, 7), tiny 5, micro 4
	}, b.Rows)
	all, err := e.svc.UsageBreakdown(e.ctx, team.UsageBreakdownParams{ActorID: ana.ID, TeamID: tm.ID, Key: "model"})
	require.NoError(t, err)
	require.Len(t, all.Rows, 6, "below the default top 10: no other row")
	require.Contains(t, all.Rows, billing.BreakdownRow{Amount: 7, Records: 1, Missing: true})
}

// lowBalanceNotifier records low-balance notices; it checks that it is
// not called inside a unit of work (the memory store refuses reads made
// from inside one).
type lowBalanceNotifier struct {
	team.NotifierFunc
	st    *store.Memory
	mu    sync.Mutex
	msgs  []team.LowBalanceMessage
	fail  atomic.Bool
	probe error
}

func (n *lowBalanceNotifier) NotifyLowBalance(ctx context.Context, msg team.LowBalanceMessage) error {
	_, err := n.st.Account(ctx, msg.UserID) // ErrInsideUnit inside a unit of work
	n.mu.Lock()
	defer n.mu.Unlock()
	if err != nil {
		n.probe = err
	}
	n.msgs = append(n.msgs, msg)
	if n.fail.Load() {
		return errors.New("mail server down")
	}
	return nil
}

func (n *lowBalanceNotifier) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.msgs)
}

// Rule BILL-11: a charge refused for lack of balance tells the account
// holder through the Notifier's LowBalanceNotifier, at most once per
// interval per account, outside the unit of work, never failing the
// caller; concurrent refusals send one notice.
func TestLowBalance_BILL11(t *testing.T) {
	n := &lowBalanceNotifier{NotifierFunc: func(context.Context, team.InvitationMessage) error { return nil }}
	e := newBillEnv(t, team.WithLowBalanceInterval(10*time.Minute))
	n.st = e.st
	svc, err := team.New(e.st, team.WithClock(e.clock.Now), team.WithNotifier(n), team.WithLowBalanceInterval(10*time.Minute))
	require.NoError(t, err)
	ana, bob := e.user("ana"), e.user("bob")
	tm := e.fundedTeam(ana, "Broke", 10, bob)

	refuse := func(key string) error {
		_, err := svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: bob.ID, TeamID: tm.ID, Amount: 11, IdempotencyKey: key})
		return err
	}
	require.ErrorIs(t, refuse("a"), team.ErrInsufficientBalance)
	require.Equal(t, 1, n.count())
	msg := n.msgs[0]
	require.Equal(t, team.LowBalanceMessage{AccountID: e.account(ana.ID).ID, UserID: ana.ID, TeamID: tm.ID, MemberID: bob.ID,
		Balance: 10, Amount: 11, Time: e.clock.Now()}, msg)
	require.NoError(t, n.probe, "the notice was sent from inside the unit of work")

	e.clock.Advance(9 * time.Minute)
	require.ErrorIs(t, refuse("b"), team.ErrInsufficientBalance)
	require.Equal(t, 1, n.count(), "within the interval: no second notice")

	e.clock.Advance(time.Minute)
	n.fail.Store(true)
	err = refuse("c")
	require.ErrorIs(t, err, team.ErrInsufficientBalance, "a failing notifier never fails the caller")
	require.NotErrorIs(t, err, team.ErrNotifyFailed)
	require.Equal(t, 2, n.count())
	n.fail.Store(false)
	require.ErrorIs(t, refuse("d"), team.ErrInsufficientBalance)
	require.Equal(t, 3, n.count(), "a failed notice frees the interval")

	e.clock.Advance(time.Hour)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = refuse(fmt.Sprint("conc", i))
		}()
	}
	wg.Wait()
	require.Equal(t, 4, n.count(), "16 concurrent refusals: one notice")

	// Charges that succeed, and other refusals, tell nobody.
	_, err = svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: bob.ID, TeamID: tm.ID, Amount: 1, IdempotencyKey: "ok"})
	require.NoError(t, err)
	e.clock.Advance(time.Hour)
	_, err = svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: "stranger", TeamID: tm.ID, Amount: 100, IdempotencyKey: "x"})
	require.ErrorIs(t, err, team.ErrNotMember)
	require.Equal(t, 4, n.count())

	_, err = team.New(e.st, team.WithLowBalanceInterval(0))
	require.ErrorIs(t, err, team.ErrInvalidInput)
}

// Rule BILL-12: a statement of a month in a zone: opening balance,
// top-ups, charges by team and member, closing balance, with
// opening + top-ups − charges = closing; readable by the holder, the host
// and billing roles of a team billed to the account.
func TestStatement_BILL12(t *testing.T) {
	loc, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	e := newBillEnv(t)
	ana, bob, carl := e.user("ana"), e.user("bob"), e.user("carl")
	e.clock.set(time.Date(2026, 2, 20, 12, 0, 0, 0, time.UTC))
	t1 := e.fundedTeam(ana, "One", 1000, bob, carl)
	t2 := e.newTeam(ana, "Two")
	e.join(t2, ana.ID, bob, rbac.RoleMember)
	e.charge(bob.ID, t1.ID, 100, "feb") // before the period
	// March in New York starts 2026-03-01T05:00Z.
	e.clock.set(time.Date(2026, 3, 1, 4, 59, 0, 0, time.UTC))
	e.charge(bob.ID, t1.ID, 7, "feb-last") // still February there
	e.clock.set(time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC))
	e.charge(bob.ID, t1.ID, 10, "m1")
	e.charge(carl.ID, t1.ID, 20, "m2")
	e.charge(bob.ID, t2.ID, 40, "m3")
	_, err = e.svc.TopUp(e.ctx, team.TopUpParams{ActorID: team.SystemActor, AccountUserID: ana.ID, Amount: 500, IdempotencyKey: "pay-1"})
	require.NoError(t, err)
	e.clock.set(time.Date(2026, 4, 1, 4, 0, 0, 0, time.UTC)) // 00:00 EDT on April 1st: April
	e.charge(carl.ID, t1.ID, 1, "apr")
	e.clock.set(time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC))

	st, err := e.svc.Statement(e.ctx, team.StatementParams{ActorID: ana.ID, AccountUserID: ana.ID, Location: loc})
	require.NoError(t, err)
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, loc)
	require.True(t, st.From.Equal(from) && st.To.Equal(from.AddDate(0, 1, 0)), "the month of the clock in the zone: %v–%v", st.From, st.To)
	require.Equal(t, int64(1000-100-7), st.Opening)
	require.Equal(t, int64(500), st.TopUpTotal)
	require.Len(t, st.TopUps, 1)
	require.Equal(t, "pay-1", st.TopUps[0].IdempotencyKey)
	require.Equal(t, int64(70), st.ChargeTotal)
	require.Equal(t, st.Opening+st.TopUpTotal-st.ChargeTotal, st.Closing)
	byTeam := map[string]billing.TeamCharges{}
	for _, c := range st.Charges {
		byTeam[c.TeamID] = c
	}
	require.Equal(t, int64(30), byTeam[t1.ID].Amount)
	require.Equal(t, []billing.MemberUsage{{UserID: bob.ID, Amount: 10, Records: 1}, {UserID: carl.ID, Amount: 20, Records: 1}}, byTeam[t1.ID].Members)
	require.Equal(t, int64(40), byTeam[t2.ID].Amount)

	april, err := e.svc.Statement(e.ctx, team.StatementParams{ActorID: team.SystemActor, AccountUserID: ana.ID, From: st.To, To: st.To.AddDate(0, 1, 0)})
	require.NoError(t, err)
	require.Equal(t, st.Closing, april.Opening, "one period's closing is the next one's opening")
	require.Equal(t, e.account(ana.ID).Balance, april.Closing, "a period not over closes at the balance")

	// A billing role of a team billed to the account reads it; others don't.
	e.join(t1, ana.ID, e.user("fin"), rbac.RoleAdmin)
	_, err = e.svc.Statement(e.ctx, team.StatementParams{ActorID: "fin", AccountUserID: ana.ID, TeamID: t1.ID, From: st.From, To: st.To})
	require.NoError(t, err)
	_, err = e.svc.Statement(e.ctx, team.StatementParams{ActorID: bob.ID, AccountUserID: ana.ID, TeamID: t1.ID, From: st.From, To: st.To})
	require.ErrorIs(t, err, team.ErrPermissionDenied)
	_, err = e.svc.Statement(e.ctx, team.StatementParams{ActorID: bob.ID, AccountUserID: ana.ID})
	require.ErrorIs(t, err, team.ErrPermissionDenied)
	_, err = e.svc.Statement(e.ctx, team.StatementParams{ActorID: ana.ID, AccountUserID: ana.ID, From: st.To, To: st.From})
	require.ErrorIs(t, err, team.ErrInvalidInput)
}

// Rule BILL-12: statements read while 16 goroutines charge and top up
// across a period boundary always balance exactly, and the two periods
// chain: the first's closing is the second's opening.
func TestStatement_BILL12_Concurrent(t *testing.T) {
	e := newBillEnv(t)
	statementsUnderLoad(t, e.ctx, e.svc, e.clock, e.user, e.fundedTeam, e.account)
}

// statementsUnderLoad is the body of the BILL-12 concurrency test, shared
// by stores: clock moves across a period boundary while workers charge and
// top up and readers check statements.
func statementsUnderLoad(t *testing.T, ctx context.Context, svc *team.Service, clock *fakeClock,
	user func(string) team.User, fundedTeam func(team.User, string, int64, ...team.User) team.Team,
	account func(string) billing.Account) {
	t.Helper()
	boundary := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	clock.set(boundary.Add(-200 * time.Millisecond))
	owner := user("owner")
	var members []team.User
	for i := range 4 {
		members = append(members, user(fmt.Sprint("m", i)))
	}
	tm := fundedTeam(owner, "Load", 1_000_000, members...)
	p1 := team.StatementParams{ActorID: owner.ID, AccountUserID: owner.ID, From: boundary.AddDate(0, -1, 0), To: boundary}
	p2 := team.StatementParams{ActorID: owner.ID, AccountUserID: owner.ID, From: boundary, To: boundary.AddDate(0, 1, 0)}

	before, err := svc.Statement(ctx, p1) // p1 opens at this balance whenever it is read
	require.NoError(t, err)
	var wg sync.WaitGroup
	var failed atomic.Value
	stop := make(chan struct{})
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				clock.Advance(time.Millisecond) // crosses the boundary mid-run
				var err error
				if w%4 == 0 {
					_, err = svc.TopUp(ctx, team.TopUpParams{ActorID: team.SystemActor, AccountUserID: owner.ID, Amount: 3, IdempotencyKey: fmt.Sprint("t", w, "-", i)})
				} else {
					_, err = svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: members[w%4].ID, TeamID: tm.ID, Amount: int64(1 + i%5), IdempotencyKey: fmt.Sprint("u", w, "-", i)})
				}
				if err != nil {
					failed.Store(err)
				}
			}
		}()
	}
	check := func(chained bool) error {
		a, err := svc.Statement(ctx, p1)
		if err != nil {
			return err
		}
		b, err := svc.Statement(ctx, p2)
		if err != nil {
			return err
		}
		for _, s := range []billing.Statement{a, b} {
			var sum int64
			for _, c := range s.Charges {
				sum += c.Amount
			}
			if s.Opening+s.TopUpTotal-s.ChargeTotal != s.Closing || sum != s.ChargeTotal {
				return fmt.Errorf("statement does not balance: %+v", s)
			}
		}
		if a.Opening != before.Opening {
			return fmt.Errorf("the first period opens at %d, then at %d", before.Opening, a.Opening)
		}
		if chained && a.Closing != b.Opening {
			return fmt.Errorf("closing %d of the first period, opening %d of the second", a.Closing, b.Opening)
		}
		return nil
	}
	var reads atomic.Int64
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := check(false); err != nil { // the two reads may see different moments
					failed.Store(err)
					return
				}
				reads.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	require.NoError(t, check(true))
	b, err := svc.Statement(ctx, p2)
	require.NoError(t, err)
	require.Equal(t, account(owner.ID).Balance, b.Closing)
	a, err := svc.Statement(ctx, p1)
	require.NoError(t, err)
	require.NotZero(t, a.ChargeTotal, "charges before the boundary")
	require.NotZero(t, b.ChargeTotal, "charges after the boundary")
	require.NotZero(t, b.TopUpTotal)
	t.Logf("%d statement pairs read during the load", reads.Load())
}
