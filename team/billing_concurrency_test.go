package team_test

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// Rules BILL-2, BILL-3, SEC-3: 64 goroutines charge one team, while top-ups
// come in, until the balance runs out. The balance never goes negative and
// ends equal to the top-ups minus the accepted charges; the ledger holds
// exactly the accepted charges.
func TestRecordUsage_Concurrent_BalanceInvariant(t *testing.T) {
	e := newBillEnv(t)
	owner := e.user("owner")
	tm := e.newTeam(owner, "Busy")
	members := []string{owner.ID}
	for i := range 3 {
		u := e.user("m" + strconv.Itoa(i))
		e.join(tm, owner.ID, u, rbac.RoleMember)
		members = append(members, u.ID)
	}
	e.topUp(owner.ID, tm.ID, 3000)

	const goroutines, perGoroutine = 64, 8
	var (
		mu       sync.Mutex
		accepted int64
		count    int
		refused  int
		wg       sync.WaitGroup
		start    = make(chan struct{})
	)
	for g := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 42))
			actor := members[g%len(members)]
			<-start
			for i := range perGoroutine {
				amount := 1 + rng.Int64N(40)
				rec, err := e.svc.RecordUsage(e.ctx, team.RecordUsageParams{
					ActorID:        actor,
					TeamID:         tm.ID,
					Amount:         amount,
					IdempotencyKey: "g" + strconv.Itoa(g) + "-" + strconv.Itoa(i),
				})
				mu.Lock()
				switch {
				case err == nil:
					accepted += rec.Amount
					count++
				case errors.Is(err, team.ErrInsufficientBalance):
					refused++
				default:
					t.Errorf("charge: %v", err)
				}
				mu.Unlock()
			}
		})
	}
	// Top-ups race with the charges.
	for range 4 {
		wg.Go(func() {
			<-start
			_, err := e.svc.TopUp(e.ctx, team.TopUpParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 250})
			if err != nil {
				t.Errorf("top-up: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()

	snap := e.st.Snapshot()
	acct := e.account(owner.ID)
	var topUps int64
	for _, tu := range snap.TopUps {
		if tu.AccountID == acct.ID {
			topUps += tu.Amount
		}
	}
	require.Equal(t, int64(4000), topUps)
	require.GreaterOrEqual(t, acct.Balance, int64(0))
	require.Equal(t, topUps-accepted, acct.Balance, "balance = top-ups - accepted charges")
	require.Len(t, snap.Usage, count, "one record per accepted charge")
	var ledger int64
	for _, r := range snap.Usage {
		require.Equal(t, acct.ID, r.AccountID)
		ledger += r.Amount
	}
	require.Equal(t, accepted, ledger)
	require.Equal(t, goroutines*perGoroutine, count+refused)
	// 512 charges of 20.5 tokens on average need about 10,500 tokens: the
	// balance must have run out, so refusals were exercised.
	require.Positive(t, refused)
}

// Rule BILL-4 under concurrency: 32 goroutines retrying one key charge
// exactly once and all get the same record.
func TestRecordUsage_Concurrent_RetriesChargeOnce(t *testing.T) {
	e := newBillEnv(t)
	owner, dev := e.user("owner"), e.user("dev")
	tm := e.fundedTeam(owner, "Retry", 1000, dev)

	const goroutines = 32
	ids := make([]string, goroutines)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			rec, err := e.svc.RecordUsage(e.ctx, team.RecordUsageParams{ActorID: dev.ID, TeamID: tm.ID, Amount: 25, IdempotencyKey: "the-one"})
			if err != nil {
				t.Errorf("retry %d: %v", g, err)
				return
			}
			ids[g] = rec.ID
		})
	}
	close(start)
	wg.Wait()

	require.NotEmpty(t, ids[0])
	for _, id := range ids {
		require.Equal(t, ids[0], id)
	}
	require.Equal(t, int64(975), e.account(owner.ID).Balance)
	require.Len(t, e.st.Snapshot().Usage, 1)
}

// Rules OWN-2 and SEC-3: ownership transfers racing with charges put each
// charge on exactly one account, the owner's at the time it committed: what
// each account lost equals the sum of the records charged to it.
func TestRecordUsage_Concurrent_TransferRace(t *testing.T) {
	e := newBillEnv(t)
	a, b := e.user("a"), e.user("b")
	tm := e.newTeam(a, "Race")
	e.join(tm, a.ID, b, rbac.RoleAdmin)
	chargers := make([]string, 4)
	for i := range chargers {
		u := e.user("c" + strconv.Itoa(i))
		e.join(tm, a.ID, u, rbac.RoleMember)
		chargers[i] = u.ID
	}
	const funds = 100_000
	e.fund(a, funds)
	e.fund(b, funds)
	e.setPlan(b, billing.PlanEnterprise) // may receive ownership (OWN-5)

	// Transfer k (of 5) waits for 30k committed charges, and every charger
	// waits for the transfers before its last 10 charges: A pays for the
	// first charges, B (the owner after 5 transfers) for the last, and the
	// rest race with the transfers.
	var (
		wg        sync.WaitGroup
		start     = make(chan struct{})
		transfers = make(chan struct{})
		done      atomic.Int64
		mu        sync.Mutex
		recs      []billing.UsageRecord
	)
	for g, actor := range chargers {
		wg.Go(func() {
			<-start
			for i := range 50 {
				if i == 40 {
					<-transfers
				}
				rec, err := e.svc.RecordUsage(e.ctx, team.RecordUsageParams{
					ActorID:        actor,
					TeamID:         tm.ID,
					Amount:         int64(1 + (g*50+i)%13),
					IdempotencyKey: actor + "-" + strconv.Itoa(i),
				})
				if err != nil {
					t.Errorf("charge: %v", err)
					return
				}
				mu.Lock()
				recs = append(recs, rec)
				mu.Unlock()
				done.Add(1)
			}
		})
	}
	wg.Go(func() {
		defer close(transfers)
		<-start
		from, to := a, b
		for k := int64(1); k <= 5; k++ {
			deadline := time.Now().Add(10 * time.Second)
			for done.Load() < 30*k {
				if time.Now().After(deadline) {
					t.Errorf("charges stalled at %d", done.Load())
					return
				}
				time.Sleep(50 * time.Microsecond)
			}
			if err := e.svc.TransferOwnership(e.ctx, team.TransferOwnershipParams{ActorID: from.ID, TeamID: tm.ID, NewOwnerID: to.ID, ConfirmNewOwnerID: to.ID}); err != nil {
				t.Errorf("transfer: %v", err)
				return
			}
			from, to = to, from
		}
	})
	close(start)
	wg.Wait()

	acctA, acctB := e.account(a.ID), e.account(b.ID)
	perAccount := map[string]int64{}
	for _, r := range recs {
		perAccount[r.AccountID] += r.Amount
	}
	require.Len(t, perAccount, 2, "both owners paid for some charges")
	require.Equal(t, funds-acctA.Balance, perAccount[acctA.ID])
	require.Equal(t, funds-acctB.Balance, perAccount[acctB.ID])
	snap := e.st.Snapshot()
	require.Len(t, snap.Usage, len(recs))
	for _, r := range snap.Usage {
		require.Contains(t, []string{acctA.ID, acctB.ID}, r.AccountID)
	}
}
