package store_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// TestMemoryConformance runs the Store contract suite against a fresh
// Memory per subtest. The suite's subtests prove, at the store level, rules
// TEAM-1, TEAM-3, TEAM-4, TEAM-6, DEL-3, INV-2, INV-4, INV-5, INV-6, MEM-2,
// MEM-4, MEM-5, ROLE-5, RES-3, BILL-1, BILL-2, BILL-4, BILL-5, AUD-2, AUD-3,
// AUD-4, SEC-2 and SEC-3; each subtest's comment in package storetest
// names its rule.
func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) team.Store { return store.NewMemory() })
}

// TestMemoryConformanceShared runs the suite against one store shared by
// every subtest, as a database would be.
func TestMemoryConformanceShared(t *testing.T) {
	shared := store.NewMemory()
	storetest.Run(t, func(t *testing.T) team.Store { return shared })
}

// TestMemoryService runs the service-level scenarios of
// storetest.RunService (SEC-3 with INV-3, OWN-1, BILL-2..4; USER-1; USER-2)
// on the reference store, a fresh Memory per scenario.
func TestMemoryService(t *testing.T) {
	storetest.RunService(t, func(t *testing.T) team.Store { return store.NewMemory() })
}

// TestMemoryServiceShared runs the scenarios on one store shared by every
// scenario, as a database would be.
func TestMemoryServiceShared(t *testing.T) {
	shared := store.NewMemory()
	storetest.RunService(t, func(t *testing.T) team.Store { return shared })
}

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func mustTx(t testing.TB, s team.Store, fn func(ctx context.Context, tx team.Tx) error) {
	t.Helper()
	if err := s.InTx(context.Background(), fn); err != nil {
		t.Fatalf("InTx: %v", err)
	}
}

// lockTeams locks teamIDs in tx, as team.Tx requires before writing to
// their records.
func lockTeams(ctx context.Context, tx team.Tx, teamIDs ...string) error {
	for _, id := range teamIDs {
		if _, err := tx.LockTeam(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// lockAccounts locks the billing accounts of userIDs in tx, as team.Tx
// requires before writing to them.
func lockAccounts(ctx context.Context, tx team.Tx, userIDs ...string) error {
	for _, id := range userIDs {
		if _, err := tx.LockAccount(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// fill stores one record of every kind.
func fill(t *testing.T, m *store.Memory) {
	t.Helper()
	mustTx(t, m, func(ctx context.Context, tx team.Tx) error {
		return errors.Join(
			tx.InsertTeam(ctx, team.Team{ID: "t1", Kind: team.Collaboration, Name: "One", OwnerID: "u1",
				Settings: map[string]string{"a": "1"}, CreatedAt: t0}),
			tx.InsertMember(ctx, team.Member{TeamID: "t1", UserID: "u1", Role: "owner", JoinedAt: t0}),
			tx.InsertInvitation(ctx, team.Invitation{ID: "i1", TeamID: "t1", Email: "a@example.com",
				Status: team.InvitationPending, TokenHash: strings.Repeat("ab", 32), CreatedAt: t0}),
			tx.InsertAccount(ctx, billing.Account{ID: "a1", UserID: "u1", Plan: billing.PlanTeam, Status: billing.StatusActive, Balance: 10}),
			tx.InsertUsage(ctx, billing.UsageRecord{ID: "r1", TeamID: "t1", UserID: "u1", AccountID: "a1", Amount: 3,
				Time: t0, IdempotencyKey: "k1", Metadata: map[string]string{"m": "1"}}),
			tx.InsertTopUp(ctx, billing.TopUp{ID: "p1", AccountID: "a1", TeamID: "t1", Amount: 13, Time: t0}),
			tx.AppendAuditEvent(ctx, audit.Seal(audit.Event{ID: "e1", TeamID: "t1", Time: t0, Action: audit.TeamCreated,
				Details: map[string]string{"d": "1"}}, audit.Event{})),
		)
	})
}

func TestSnapshotHoldsEveryRecord(t *testing.T) {
	m := store.NewMemory()
	fill(t, m)
	snap := m.Snapshot()
	if len(snap.Teams) != 1 || len(snap.Members) != 1 || len(snap.Invitations) != 1 || len(snap.Accounts) != 1 ||
		len(snap.Usage) != 1 || len(snap.TopUps) != 1 || len(snap.AuditEvents["t1"]) != 1 {
		t.Fatalf("Snapshot = %+v, want one record of every kind", snap)
	}
	if snap.TopUps[0].Amount != 13 || snap.Usage[0].IdempotencyKey != "k1" || snap.AuditEvents["t1"][0].ID != "e1" {
		t.Fatalf("Snapshot records differ from the stored ones: %+v", snap)
	}
	if err := audit.Verify("t1", snap.AuditEvents["t1"]); err != nil {
		t.Fatalf("audit.Verify of the snapshot: %v", err)
	}
}

func TestSnapshotIsACopy(t *testing.T) {
	m := store.NewMemory()
	fill(t, m)
	snap := m.Snapshot()
	snap.Teams[0].Settings["a"] = "changed"
	snap.Teams[0].Name = "changed"
	snap.Usage[0].Metadata["m"] = "changed"
	snap.AuditEvents["t1"][0].Details["d"] = "changed"
	snap.AuditEvents["t1"] = nil

	again := m.Snapshot()
	if again.Teams[0].Settings["a"] != "1" || again.Teams[0].Name != "One" {
		t.Fatalf("changing a snapshot's team changed the store: %+v", again.Teams[0])
	}
	if again.Usage[0].Metadata["m"] != "1" {
		t.Fatalf("changing a snapshot's usage metadata changed the store: %+v", again.Usage[0])
	}
	if len(again.AuditEvents["t1"]) != 1 || again.AuditEvents["t1"][0].Details["d"] != "1" {
		t.Fatalf("changing a snapshot's audit events changed the store: %+v", again.AuditEvents)
	}
}

// Rule SEC-2: a rolled-back unit leaves nothing in the snapshot, including
// the records no Reader method can see (top-ups).
func TestSnapshotAfterRollbackIsUnchanged(t *testing.T) {
	m := store.NewMemory()
	fill(t, m)
	before := fmt.Sprintf("%+v", m.Snapshot())
	boom := errors.New("boom")
	err := m.InTx(context.Background(), func(ctx context.Context, tx team.Tx) error {
		if err := errors.Join(lockTeams(ctx, tx, "t1"), lockAccounts(ctx, tx, "u1")); err != nil {
			return err
		}
		for i := range 50 {
			id := fmt.Sprint(i)
			if err := errors.Join(
				tx.InsertTopUp(ctx, billing.TopUp{ID: "p-" + id, AccountID: "a1", Amount: 1}),
				tx.InsertTeam(ctx, team.Team{ID: "t-" + id, Kind: team.Personal, OwnerID: "o-" + id}),
				tx.InsertMember(ctx, team.Member{TeamID: "t1", UserID: "u-" + id}),
				tx.AppendAuditEvent(ctx, audit.Event{ID: "e-" + id, TeamID: "t1", Seq: uint64(100 - i)}),
				tx.InsertUsage(ctx, billing.UsageRecord{ID: "r-" + id, TeamID: "t1", IdempotencyKey: id, Time: t0.Add(-time.Duration(i) * time.Hour)}),
			); err != nil {
				return err
			}
		}
		if err := tx.DeleteTeamMembers(ctx, "t1"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	if after := fmt.Sprintf("%+v", m.Snapshot()); after != before {
		t.Fatalf("snapshot after rollback:\n%s\nwant\n%s", after, before)
	}
}

// Rules BILL-2, SEC-2: the usage ledger keeps its order by time (records
// out of order included) and its keys across units that roll back, and the
// records a rolled-back unit wrote leave no trace in later ones.
func TestUsageLedgerAcrossRollbacks(t *testing.T) {
	m := store.NewMemory()
	ctx := context.Background()
	usage := func(id, teamID, key string, hours int) billing.UsageRecord {
		return billing.UsageRecord{ID: id, TeamID: teamID, UserID: "u-" + id, AccountID: "a1", Amount: int64(len(id)),
			Time: t0.Add(time.Duration(hours) * time.Hour), IdempotencyKey: key, Metadata: map[string]string{"id": id}}
	}
	mustTx(t, m, func(ctx context.Context, tx team.Tx) error {
		return errors.Join(
			tx.InsertTeam(ctx, team.Team{ID: "t1", Kind: team.Collaboration, OwnerID: "o1"}),
			tx.InsertTeam(ctx, team.Team{ID: "t2", Kind: team.Collaboration, OwnerID: "o1"}),
			tx.InsertAccount(ctx, billing.Account{ID: "a1", UserID: "o1", Status: billing.StatusActive, Balance: 100}),
			tx.InsertUsage(ctx, usage("r1", "t1", "k1", 2)),
			tx.InsertUsage(ctx, usage("r2", "t1", "k2", 1)), // out of order
			tx.InsertUsage(ctx, usage("r3", "t1", "k3", 2)), // same time as r1: after it
		)
	})
	boom := errors.New("boom")
	err := m.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		a, err := tx.LockAccount(ctx, "o1")
		if err != nil {
			return err
		}
		if err := lockTeams(ctx, tx, "t1", "t2"); err != nil {
			return err
		}
		a.Balance -= 7
		return errors.Join(
			tx.UpdateAccount(ctx, a),
			tx.InsertUsage(ctx, usage("r4", "t1", "k4", 0)), // first
			tx.InsertUsage(ctx, usage("r5", "t1", "k5", 3)), // last
			tx.InsertUsage(ctx, usage("r6", "t2", "k6", 1)), // a new team
			tx.UpdateAccount(ctx, billing.Account{ID: "a1", UserID: "o1", Status: billing.StatusActive, Balance: 1}),
			boom,
		)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	ids := func() []string {
		var out []string
		for _, r := range m.Snapshot().Usage {
			out = append(out, r.ID)
		}
		return out
	}
	if got, want := fmt.Sprint(ids()), "[r2 r1 r3]"; got != want {
		t.Fatalf("usage after a rollback: %s, want %s", got, want)
	}
	if a, err := m.Account(ctx, "o1"); err != nil || a.Balance != 100 {
		t.Fatalf("account after a rollback: %+v, %v; want balance 100", a, err)
	}
	for _, k := range [][2]string{{"t1", "k4"}, {"t1", "k5"}, {"t2", "k6"}} {
		if _, err := m.UsageByKey(ctx, k[0], k[1]); !errors.Is(err, team.ErrNotFound) {
			t.Fatalf("UsageByKey(%s, %s) after a rollback: %v, want ErrNotFound", k[0], k[1], err)
		}
	}
	// The rolled-back IDs and keys are free again.
	mustTx(t, m, func(ctx context.Context, tx team.Tx) error {
		return errors.Join(
			lockTeams(ctx, tx, "t1", "t2"),
			tx.InsertUsage(ctx, usage("r4", "t1", "k4", 0)),
			tx.InsertUsage(ctx, usage("r7", "t1", "k7", 5)),
			tx.InsertUsage(ctx, usage("r6", "t2", "k6", 1)),
		)
	})
	if got, want := fmt.Sprint(ids()), "[r4 r2 r1 r3 r7 r6]"; got != want {
		t.Fatalf("usage after a commit: %s, want %s", got, want)
	}
	for _, c := range []struct {
		id, teamID, key string
		hours           int
	}{{"r1", "t1", "k1", 2}, {"r2", "t1", "k2", 1}, {"r3", "t1", "k3", 2}, {"r4", "t1", "k4", 0}, {"r7", "t1", "k7", 5}, {"r6", "t2", "k6", 1}} {
		got, err := m.UsageByKey(ctx, c.teamID, c.key)
		if want := usage(c.id, c.teamID, c.key, c.hours); err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("UsageByKey(%s, %s) = %+v, %v; want %+v", c.teamID, c.key, got, err, want)
		}
	}
	totals, err := m.UsageTotals(ctx, "t1", t0.Add(time.Hour), t0.Add(5*time.Hour))
	if err != nil || fmt.Sprint(totals) != "[{u-r1 2 1} {u-r2 2 1} {u-r3 2 1}]" {
		t.Fatalf("UsageTotals over [1h, 5h) = %+v, %v; want r1, r2 and r3 only", totals, err)
	}
}

// The context a unit's fn gets carries the caller's values, deadline and
// cancellation, and contexts derived from it still fail fast on the Memory.
func TestUnitContextCarriesCallersContext(t *testing.T) {
	m := store.NewMemory()
	fill(t, m)
	type key struct{}
	deadline := time.Now().Add(time.Hour)
	parent, cancel := context.WithDeadline(context.WithValue(context.Background(), key{}, "v"), deadline)
	defer cancel()
	err := m.InTx(parent, func(ctx context.Context, tx team.Tx) error {
		if got := ctx.Value(key{}); got != "v" {
			t.Errorf("ctx.Value in the unit = %v, want v", got)
		}
		if got, ok := ctx.Deadline(); !ok || !got.Equal(deadline) {
			t.Errorf("ctx.Deadline in the unit = %v, %v; want %v", got, ok, deadline)
		}
		child, stop := context.WithCancel(ctx)
		defer stop()
		if _, err := m.Member(child, "t1", "u1"); !errors.Is(err, store.ErrInsideUnit) {
			t.Errorf("read through the store with a context derived from the unit's: %v, want ErrInsideUnit", err)
		}
		cancel()
		<-child.Done() // cancelling the caller's context reaches derived ones
		if _, err := tx.Team(ctx, "t1"); !errors.Is(err, context.Canceled) {
			t.Errorf("Tx read after the caller cancelled: %v, want context.Canceled", err)
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("InTx whose caller cancelled: %v, want context.Canceled", err)
	}
}

// A read or InTx through the Memory itself with the unit's context would
// wait for the unit forever; it fails fast instead.
func TestReadInsideOwnUnitFailsFast(t *testing.T) {
	m := store.NewMemory()
	fill(t, m)
	err := m.InTx(context.Background(), func(ctx context.Context, tx team.Tx) error {
		_, err := m.Member(ctx, "t1", "u1")
		return err
	})
	if !errors.Is(err, store.ErrInsideUnit) {
		t.Fatalf("read through the store inside its unit: %v, want ErrInsideUnit", err)
	}
	err = m.InTx(context.Background(), func(ctx context.Context, tx team.Tx) error {
		return m.InTx(ctx, func(context.Context, team.Tx) error { return nil })
	})
	if !errors.Is(err, store.ErrInsideUnit) {
		t.Fatalf("InTx inside a unit of the same store: %v, want ErrInsideUnit", err)
	}
}

func TestTxUnusableAfterUnitEnds(t *testing.T) {
	m := store.NewMemory()
	var kept team.Tx
	mustTx(t, m, func(_ context.Context, tx team.Tx) error {
		kept = tx
		return nil
	})
	err := kept.InsertTeam(context.Background(), team.Team{ID: "late"})
	if err == nil {
		t.Fatalf("InsertTeam on an ended unit succeeded")
	}
	if _, err := m.Team(context.Background(), "late"); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("Team written through an ended unit: %v, want ErrNotFound", err)
	}
}

// Rule SEC-2: WithWriteFault fails a chosen write; the unit rolls back.
func TestWithWriteFault(t *testing.T) {
	fault := errors.New("disk on fire")
	m := store.NewMemory(store.WithWriteFault(func(op string) error {
		if op == "AppendAuditEvent" {
			return fault
		}
		return nil
	}))
	err := m.InTx(context.Background(), func(ctx context.Context, tx team.Tx) error {
		if err := tx.InsertTeam(ctx, team.Team{ID: "t1", Kind: team.Collaboration}); err != nil {
			return err
		}
		return tx.AppendAuditEvent(ctx, audit.Event{ID: "e1", TeamID: "t1", Seq: 1})
	})
	if !errors.Is(err, fault) {
		t.Fatalf("InTx = %v, want the fault", err)
	}
	if _, err := m.Team(context.Background(), "t1"); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("Team after the faulted unit: %v, want ErrNotFound", err)
	}
}

// Readers outside a unit wait for it and then see its committed writes.
func TestReadersWaitForUnit(t *testing.T) {
	m := store.NewMemory()
	fill(t, m)
	inside, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		mustTx(t, m, func(ctx context.Context, tx team.Tx) error {
			close(inside)
			<-release
			return errors.Join(lockTeams(ctx, tx, "t1"),
				tx.UpdateMember(ctx, team.Member{TeamID: "t1", UserID: "u1", Role: "admin"}))
		})
	})
	<-inside
	got := make(chan string, 1)
	go func() {
		mem, err := m.Member(context.Background(), "t1", "u1")
		if err != nil {
			got <- err.Error()
			return
		}
		got <- mem.Role
	}()
	select {
	case r := <-got:
		t.Fatalf("a reader finished while a unit ran: %s", r)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	wg.Wait()
	if r := <-got; r != "admin" {
		t.Fatalf("reader after commit saw role %q, want admin", r)
	}
}

// BenchmarkMemoryMember measures the hot path of Authorize in a store of
// 1,000 teams of 50 members.
func BenchmarkMemoryMember(b *testing.B) {
	m := store.NewMemory()
	const teams, members = 1000, 50
	teamIDs := make([]string, teams)
	userIDs := make([]string, members)
	for i := range userIDs {
		userIDs[i] = fmt.Sprintf("user-%04d", i)
	}
	mustTx(b, m, func(ctx context.Context, tx team.Tx) error {
		for i := range teamIDs {
			teamIDs[i] = fmt.Sprintf("team-%04d", i)
			if err := tx.InsertTeam(ctx, team.Team{ID: teamIDs[i], Kind: team.Collaboration, OwnerID: userIDs[0]}); err != nil {
				return err
			}
			for _, u := range userIDs {
				if err := tx.InsertMember(ctx, team.Member{TeamID: teamIDs[i], UserID: u, Role: "member", JoinedAt: t0}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	ctx := context.Background()
	// spread walks all 50,000 memberships, so most lookups miss the CPU
	// caches; hot asks for one membership again and again, like the
	// requests of one busy user.
	b.Run("spread", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := m.Member(ctx, teamIDs[i%teams], userIDs[i%members]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("hot", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.Member(ctx, teamIDs[teams/2], userIDs[members/2]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMemberBareMap is the reference for BenchmarkMemoryMember: the
// same lookups in a bare map of the same shape, without ("map") and with
// ("rlock") a read lock around them. The gap to BenchmarkMemoryMember is
// the store's overhead.
func BenchmarkMemberBareMap(b *testing.B) {
	type key struct{ team, user string }
	const teams, members = 1000, 50
	teamIDs := make([]string, teams)
	userIDs := make([]string, members)
	for i := range userIDs {
		userIDs[i] = fmt.Sprintf("user-%04d", i)
	}
	idx := make(map[key]team.Member)
	for i := range teamIDs {
		teamIDs[i] = fmt.Sprintf("team-%04d", i)
		for _, u := range userIDs {
			idx[key{teamIDs[i], u}] = team.Member{TeamID: teamIDs[i], UserID: u, Role: "member", JoinedAt: t0}
		}
	}
	var mu sync.RWMutex
	var sink team.Member
	for _, locked := range []bool{false, true} {
		name := "map"
		if locked {
			name = "rlock"
		}
		lookup := func(k key) bool {
			if locked {
				mu.RLock()
			}
			m, ok := idx[k]
			if locked {
				mu.RUnlock()
			}
			sink = m
			return ok
		}
		b.Run(name+"/spread", func(b *testing.B) {
			i := 0
			for b.Loop() {
				if !lookup(key{teamIDs[i%teams], userIDs[i%members]}) {
					b.Fatal("missing")
				}
				i++
			}
		})
		b.Run(name+"/hot", func(b *testing.B) {
			for b.Loop() {
				if !lookup(key{teamIDs[teams/2], userIDs[members/2]}) {
					b.Fatal("missing")
				}
			}
		})
	}
	_ = sink
}

// BenchmarkMemoryInTx measures an empty unit of work.
func BenchmarkMemoryInTx(b *testing.B) {
	m := store.NewMemory()
	ctx := context.Background()
	fn := func(context.Context, team.Tx) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		if err := m.InTx(ctx, fn); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMemoryRecordUsage measures a usage charge (BILL-2) on Memory:
// "unit" is the store's share alone (the calls RecordUsage's unit of work
// makes: LockTeam, Member, UsageByKey missing, LockAccount, UpdateAccount,
// InsertUsage), "service" the whole RecordUsage with cheap sequential IDs
// and "service-uuid" the same with the service's default random UUIDs.
func BenchmarkMemoryRecordUsage(b *testing.B) {
	setup := func(b *testing.B) *store.Memory {
		m := store.NewMemory()
		mustTx(b, m, func(ctx context.Context, tx team.Tx) error {
			return errors.Join(
				tx.InsertTeam(ctx, team.Team{ID: "t1", Kind: team.Collaboration, Name: "Bench", OwnerID: "owner", CreatedAt: t0}),
				tx.InsertMember(ctx, team.Member{TeamID: "t1", UserID: "owner", Role: "owner", JoinedAt: t0}),
				tx.InsertMember(ctx, team.Member{TeamID: "t1", UserID: "dev", Role: "member", JoinedAt: t0}),
				tx.InsertAccount(ctx, billing.Account{ID: "a1", UserID: "owner", Plan: billing.PlanTeam,
					Status: billing.StatusActive, Balance: 1 << 62}),
			)
		})
		return m
	}
	keys := func(n int) []string {
		ks := make([]string, n)
		for i := range ks {
			ks[i] = fmt.Sprintf("req-%d", i)
		}
		return ks
	}
	b.Run("unit", func(b *testing.B) {
		m := setup(b)
		ks := keys(b.N)
		ids := keys(b.N)
		now := t0
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			err := m.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
				if _, err := tx.LockTeam(ctx, "t1"); err != nil {
					return err
				}
				if _, err := tx.Member(ctx, "t1", "dev"); err != nil {
					return err
				}
				if _, err := tx.UsageByKey(ctx, "t1", ks[i]); !errors.Is(err, team.ErrNotFound) {
					return fmt.Errorf("UsageByKey of a new key: %v", err)
				}
				acct, err := tx.LockAccount(ctx, "owner")
				if err != nil {
					return err
				}
				acct.Balance -= 3
				acct.UpdatedAt = now
				if err := tx.UpdateAccount(ctx, acct); err != nil {
					return err
				}
				return tx.InsertUsage(ctx, billing.UsageRecord{ID: ids[i], TeamID: "t1", UserID: "dev", AccountID: acct.ID,
					Amount: 3, Time: now, IdempotencyKey: ks[i]})
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	service := func(b *testing.B, opts ...team.Option) {
		m := setup(b)
		svc, err := team.New(m, opts...)
		if err != nil {
			b.Fatal(err)
		}
		ks := keys(b.N)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: "dev", TeamID: "t1", Amount: 3, IdempotencyKey: ks[i]}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("service", func(b *testing.B) {
		var n uint64
		service(b, team.WithIDs(func() string {
			n++ // units run one at a time
			return "r" + strconv.FormatUint(n, 10)
		}))
	})
	b.Run("service-uuid", func(b *testing.B) { service(b) })
}

var (
	bigLogOnce sync.Once
	bigLog     *store.Memory
)

// bigLogStore returns a store whose team "big" holds 1M chained events,
// built once per test binary.
func bigLogStore(b *testing.B) *store.Memory {
	bigLogOnce.Do(func() {
		m := store.NewMemory()
		actions := []audit.Action{audit.TeamUpdated, audit.MemberRoleChanged, audit.InvitationSent, audit.InvitationAccepted}
		mustTx(b, m, func(ctx context.Context, tx team.Tx) error {
			if err := tx.InsertTeam(ctx, team.Team{ID: "big", Kind: team.Collaboration, OwnerID: "actor-0"}); err != nil {
				return err
			}
			var prev audit.Event
			for i := range 1_000_000 {
				e := audit.Seal(audit.Event{
					ID:      fmt.Sprintf("e%07d", i),
					TeamID:  "big",
					Time:    t0.Add(time.Duration(i) * time.Second),
					ActorID: fmt.Sprintf("actor-%d", i%10),
					Action:  actions[i%len(actions)],
					Target:  "member-1",
				}, prev)
				if err := tx.AppendAuditEvent(ctx, e); err != nil {
					return err
				}
				prev = e
			}
			return nil
		})
		bigLog = m
	})
	return bigLog
}

// BenchmarkMemoryAuditPage reads a page of 50 after a cursor in the middle
// of a 1M-event log, with filters that most events pass.
func BenchmarkMemoryAuditPage(b *testing.B) {
	m := bigLogStore(b)
	ctx := context.Background()
	f := audit.Filter{
		Actions:  []audit.Action{audit.TeamUpdated, audit.MemberRoleChanged, audit.InvitationSent},
		From:     t0,
		AfterSeq: 500_000,
		Limit:    50,
	}
	b.ReportAllocs()
	for b.Loop() {
		page, err := m.AuditEvents(ctx, "big", f)
		if err != nil || len(page) != 50 || page[0].Seq <= f.AfterSeq {
			b.Fatalf("got a page of %d events, want 50 after seq %d: %v", len(page), f.AfterSeq, err)
		}
	}
}

// Beyond the contract's sentences, Memory keeps its uniqueness rules on
// UpdateTeam and UpdateAccount too (TEAM-1, BILL-1).
func TestUpdatesKeepUniqueness(t *testing.T) {
	m := store.NewMemory()
	ctx := context.Background()
	mustTx(t, m, func(ctx context.Context, tx team.Tx) error {
		return errors.Join(
			tx.InsertTeam(ctx, team.Team{ID: "p1", Kind: team.Personal, OwnerID: "u1"}),
			tx.InsertTeam(ctx, team.Team{ID: "c1", Kind: team.Collaboration, OwnerID: "u1"}),
			tx.InsertAccount(ctx, billing.Account{ID: "a1", UserID: "u1"}),
			tx.InsertAccount(ctx, billing.Account{ID: "a2", UserID: "u2"}),
		)
	})
	err := m.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		return errors.Join(lockTeams(ctx, tx, "c1"),
			tx.UpdateTeam(ctx, team.Team{ID: "c1", Kind: team.Personal, OwnerID: "u1"}))
	})
	if !errors.Is(err, team.ErrConflict) {
		t.Fatalf("UpdateTeam making a second personal team: %v, want ErrConflict", err)
	}
	err = m.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		return errors.Join(lockAccounts(ctx, tx, "u2"),
			tx.UpdateAccount(ctx, billing.Account{ID: "a2", UserID: "u1"}))
	})
	if !errors.Is(err, team.ErrConflict) {
		t.Fatalf("UpdateAccount onto a user with an account: %v, want ErrConflict", err)
	}
	// Moving the personal team and the account to free users is fine.
	mustTx(t, m, func(ctx context.Context, tx team.Tx) error {
		return errors.Join(
			lockTeams(ctx, tx, "p1"), lockAccounts(ctx, tx, "u2"),
			tx.UpdateTeam(ctx, team.Team{ID: "p1", Kind: team.Personal, OwnerID: "u3"}),
			tx.UpdateAccount(ctx, billing.Account{ID: "a2", UserID: "u3"}),
		)
	})
	if p, err := m.PersonalTeam(ctx, "u3"); err != nil || p.ID != "p1" {
		t.Fatalf("PersonalTeam(u3) = %v, %v; want p1", p.ID, err)
	}
	if _, err := m.PersonalTeam(ctx, "u1"); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("PersonalTeam(u1) after the move: %v, want ErrNotFound", err)
	}
	if a, err := m.Account(ctx, "u3"); err != nil || a.ID != "a2" {
		t.Fatalf("Account(u3) = %v, %v; want a2", a.ID, err)
	}
	if _, err := m.Account(ctx, "u2"); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("Account(u2) after the move: %v, want ErrNotFound", err)
	}
}

// TestMemoryRefusesUnlockedWrites: every write the Store contract puts
// under a lock (team.Tx) fails with ErrNotLocked, naming the method, the
// record's team or account and the call to make first, when the unit of
// work has not taken that lock, also when it holds other locks or held it
// in an earlier unit; the refused write changes nothing; and the same write
// under the lock succeeds. Rule SEC-3: this is how tests without a
// database see a use case that forgot a lock.
func TestMemoryRefusesUnlockedWrites(t *testing.T) {
	lockTeam := func(ctx context.Context, tx team.Tx) error { return lockTeams(ctx, tx, "t1") }
	lockAccount := func(ctx context.Context, tx team.Tx) error { return lockAccounts(ctx, tx, "u1") }
	cases := []struct {
		op    string
		write func(ctx context.Context, tx team.Tx) error
		team  bool // the write needs t1's lock; otherwise the lock of u1's account
	}{
		{"UpdateTeam", func(ctx context.Context, tx team.Tx) error {
			return tx.UpdateTeam(ctx, team.Team{ID: "t1", Kind: team.Collaboration, Name: "Renamed", OwnerID: "u1", CreatedAt: t0})
		}, true},
		{"DeleteTeamMembers", func(ctx context.Context, tx team.Tx) error {
			return tx.DeleteTeamMembers(ctx, "t1")
		}, true},
		{"InsertMember", func(ctx context.Context, tx team.Tx) error {
			return tx.InsertMember(ctx, team.Member{TeamID: "t1", UserID: "u2", Role: "member", JoinedAt: t0})
		}, true},
		{"UpdateMember", func(ctx context.Context, tx team.Tx) error {
			return tx.UpdateMember(ctx, team.Member{TeamID: "t1", UserID: "u1", Role: "admin", JoinedAt: t0})
		}, true},
		{"DeleteMember", func(ctx context.Context, tx team.Tx) error {
			return tx.DeleteMember(ctx, "t1", "u1")
		}, true},
		{"InsertInvitation", func(ctx context.Context, tx team.Tx) error {
			return tx.InsertInvitation(ctx, team.Invitation{ID: "i2", TeamID: "t1", Email: "b@example.com",
				Status: team.InvitationPending, TokenHash: strings.Repeat("cd", 32), CreatedAt: t0})
		}, true},
		{"UpdateInvitation", func(ctx context.Context, tx team.Tx) error {
			return tx.UpdateInvitation(ctx, team.Invitation{ID: "i1", TeamID: "t1", Email: "a@example.com",
				Status: team.InvitationCancelled, TokenHash: strings.Repeat("ab", 32), CreatedAt: t0})
		}, true},
		{"DeleteInvitationsByEmail", func(ctx context.Context, tx team.Tx) error {
			_, err := tx.DeleteInvitationsByEmail(ctx, "t1", "a@example.com")
			return err
		}, true},
		{"InsertUsage", func(ctx context.Context, tx team.Tx) error {
			return tx.InsertUsage(ctx, billing.UsageRecord{ID: "r2", TeamID: "t1", UserID: "u1", AccountID: "a1", Amount: 1,
				Time: t0, IdempotencyKey: "k2"})
		}, true},
		{"AppendAuditEvent", func(ctx context.Context, tx team.Tx) error {
			return tx.AppendAuditEvent(ctx, audit.Event{ID: "e2", TeamID: "t1", Seq: 2, Time: t0, Action: audit.TeamUpdated})
		}, true},
		{"UpdateAccount", func(ctx context.Context, tx team.Tx) error {
			return tx.UpdateAccount(ctx, billing.Account{ID: "a1", UserID: "u1", Plan: billing.PlanTeam, Status: billing.StatusActive, Balance: 5})
		}, false},
		{"InsertTopUp", func(ctx context.Context, tx team.Tx) error {
			return tx.InsertTopUp(ctx, billing.TopUp{ID: "p2", AccountID: "a1", TeamID: "t1", Amount: 1, Time: t0})
		}, false},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			m := store.NewMemory()
			fill(t, m) // inserts t1 and a1: held by that unit only
			mustTx(t, m, func(ctx context.Context, tx team.Tx) error {
				return errors.Join(
					tx.InsertTeam(ctx, team.Team{ID: "t2", Kind: team.Collaboration, OwnerID: "u2"}),
					tx.InsertAccount(ctx, billing.Account{ID: "a2", UserID: "u2"}),
				)
			})
			before := fmt.Sprintf("%+v", m.Snapshot())
			// The lock the write needs, and every other: another team,
			// another account, and the other kind of lock on t1 and u1.
			need, other, call := lockTeam, lockAccount, `LockTeam(ctx, "t1")`
			if !c.team {
				need, other, call = lockAccount, lockTeam, `LockAccount(ctx, "u1")`
			}
			others := func(ctx context.Context, tx team.Tx) error {
				return errors.Join(lockTeams(ctx, tx, "t2"), lockAccounts(ctx, tx, "u2"), other(ctx, tx))
			}
			for _, held := range []struct {
				what string
				lock func(ctx context.Context, tx team.Tx) error
			}{
				{"no lock", func(context.Context, team.Tx) error { return nil }},
				{"other locks", others},
			} {
				var err error
				mustTx(t, m, func(ctx context.Context, tx team.Tx) error {
					if err := held.lock(ctx, tx); err != nil {
						return err
					}
					err = c.write(ctx, tx)
					return nil // commit: the refused write must have changed nothing
				})
				if !errors.Is(err, store.ErrNotLocked) {
					t.Fatalf("%s with %s: error = %v, want one matching store.ErrNotLocked", c.op, held.what, err)
				}
				for _, part := range []string{c.op, call} {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("%s with %s: error %q does not mention %q", c.op, held.what, err, part)
					}
				}
				if after := fmt.Sprintf("%+v", m.Snapshot()); after != before {
					t.Fatalf("%s with %s: the refused write changed the store:\n%s\nwant\n%s", c.op, held.what, after, before)
				}
			}
			mustTx(t, m, func(ctx context.Context, tx team.Tx) error {
				if err := need(ctx, tx); err != nil {
					return err
				}
				return c.write(ctx, tx)
			})
			if after := fmt.Sprintf("%+v", m.Snapshot()); after == before {
				t.Fatalf("%s under its lock changed nothing", c.op)
			}
		})
	}
}
