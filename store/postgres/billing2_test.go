package postgres_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store/postgres"
	"github.com/teamkit/teamkit/team"
)

// Rule BILL-8 on PostgreSQL, payment-webhook style: the host as system
// actor delivers the same top-up three times at once; the balance rises
// once, with one top-up record and one event in the account's trail.
func TestServiceTopUpWebhookRetries_BILL8(t *testing.T) {
	for _, batching := range []bool{true, false} {
		t.Run(fmt.Sprint("batching=", batching), func(t *testing.T) {
			var opts []postgres.Option
			if !batching {
				opts = append(opts, postgres.WithoutBatching())
			}
			e := newSvcEnv(t, opts...)
			ana := userNamed("ana")
			_, err := e.svc.EnsurePersonalTeam(ctx, ana)
			noErr(t, "EnsurePersonalTeam", err)
			for round := range 5 {
				key := fmt.Sprint("evt_", round)
				var wg sync.WaitGroup
				errs := make([]error, 3)
				for i := range 3 {
					wg.Go(func() {
						_, errs[i] = e.svc.TopUp(ctx, team.TopUpParams{ActorID: team.SystemActor, AccountUserID: ana.ID, Amount: 1500, IdempotencyKey: key})
					})
				}
				wg.Wait()
				for _, err := range errs {
					noErr(t, "TopUp", err)
				}
			}
			acct, err := e.st.Account(ctx, ana.ID)
			noErr(t, "Account", err)
			if acct.Balance != 5*1500 {
				t.Fatalf("balance %d after 5 payments delivered 3 times each, want %d", acct.Balance, 5*1500)
			}
			tops, err := e.st.TopUps(ctx, billing.LedgerQuery{AccountID: acct.ID})
			noErr(t, "TopUps", err)
			page, err := e.svc.AccountAuditLog(ctx, team.AccountAuditLogParams{ActorID: team.SystemActor, AccountUserID: ana.ID})
			noErr(t, "AccountAuditLog", err)
			if len(tops) != 5 || len(page.Events) != 5 {
				t.Fatalf("%d top-ups and %d trail events, want 5 of each", len(tops), len(page.Events))
			}
			noErr(t, "audit.Verify", audit.Verify(acct.ID, page.Events))
		})
	}
}

// Rule BILL-12 on PostgreSQL: statements read while 16 goroutines charge
// and top up across a period boundary always balance exactly; at the end
// the first period's closing is the second's opening and the second
// closes at the balance.
func TestServiceStatementsUnderLoad_BILL12(t *testing.T) {
	e := newSvcEnv(t)
	owner := userNamed("owner")
	tm := e.teamOf(owner)
	var members []team.User
	for i := range 4 {
		m := userNamed(fmt.Sprint("m", i))
		e.join(tm, owner.ID, m, rbac.RoleMember)
		members = append(members, m)
	}
	_, err := e.svc.TopUp(ctx, team.TopUpParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 1_000_000})
	noErr(t, "TopUp", err)
	boundary := time.Now().Add(400 * time.Millisecond).Truncate(time.Microsecond)
	p1 := team.StatementParams{ActorID: owner.ID, AccountUserID: owner.ID, From: boundary.Add(-time.Hour), To: boundary}
	p2 := team.StatementParams{ActorID: owner.ID, AccountUserID: owner.ID, From: boundary, To: boundary.Add(time.Hour)}
	balanced := func(s billing.Statement) error {
		var sum int64
		for _, c := range s.Charges {
			sum += c.Amount
		}
		if s.Opening+s.TopUpTotal-s.ChargeTotal != s.Closing || sum != s.ChargeTotal {
			return fmt.Errorf("statement does not balance: opening %d + top-ups %d - charges %d (by team %d) != closing %d",
				s.Opening, s.TopUpTotal, s.ChargeTotal, sum, s.Closing)
		}
		return nil
	}
	// Everything before p1 is settled: p1 opens at the same balance
	// however the load interleaves with a read. A statement not read at
	// one moment (not under the account's lock) shows another opening.
	before, err := e.svc.Statement(ctx, p1)
	noErr(t, "Statement", err)
	var (
		wg, readers sync.WaitGroup
		failed      atomic.Value
		reads       atomic.Int64
	)
	stop := make(chan struct{})
	end := boundary.Add(400 * time.Millisecond)
	for w := range 16 {
		wg.Go(func() {
			for i := 0; time.Now().Before(end); i++ {
				var err error
				if w%4 == 0 {
					_, err = e.svc.TopUp(ctx, team.TopUpParams{ActorID: team.SystemActor, AccountUserID: owner.ID, Amount: 3, IdempotencyKey: fmt.Sprint("t", w, "-", i)})
				} else {
					_, err = e.svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: members[w%4].ID, TeamID: tm.ID, Amount: int64(1 + i%5), IdempotencyKey: fmt.Sprint("u", w, "-", i)})
				}
				if err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, p := range []team.StatementParams{p1, p2} {
					s, err := e.svc.Statement(ctx, p)
					if err == nil {
						err = balanced(s)
					}
					if err == nil && p == p1 && s.Opening != before.Opening {
						err = fmt.Errorf("the first period opens at %d, then at %d", before.Opening, s.Opening)
					}
					if err != nil {
						failed.Store(err)
						return
					}
				}
				reads.Add(1)
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	a, err := e.svc.Statement(ctx, p1)
	noErr(t, "Statement", err)
	b, err := e.svc.Statement(ctx, p2)
	noErr(t, "Statement", err)
	acct, err := e.st.Account(ctx, owner.ID)
	noErr(t, "Account", err)
	switch {
	case a.Closing != b.Opening:
		t.Fatalf("first period closes at %d, the second opens at %d", a.Closing, b.Opening)
	case b.Closing != acct.Balance:
		t.Fatalf("the open period closes at %d, the balance is %d", b.Closing, acct.Balance)
	case a.ChargeTotal == 0 || b.ChargeTotal == 0 || b.TopUpTotal == 0:
		t.Fatalf("the load did not cross the boundary: %+v / %+v", a, b)
	}
	t.Logf("%d statement pairs read during the load; charges %d before and %d after the boundary", reads.Load(), a.ChargeTotal, b.ChargeTotal)
}
