package store_test

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// The usage benchmarks' data set on Memory, as in store/postgres: one team
// of 50 members with 1,000,000 usage records spread evenly over the 90
// days before benchEnd, built once per process.
const (
	benchRecords = 1_000_000
	benchMembers = 50
	benchTeam    = "bench-team"
	benchOwner   = "bench-m00"
)

var (
	benchEnd    = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	benchOnce   sync.Once
	benchMemory *store.Memory
	benchErr    error
)

func benchUsageMemory(b *testing.B) *store.Memory {
	b.Helper()
	benchOnce.Do(func() {
		m := store.NewMemory()
		start := benchEnd.AddDate(0, 0, -90)
		step := benchEnd.Sub(start) / benchRecords
		models := []string{"small", "large", "vision"}
		benchErr = m.InTx(context.Background(), func(ctx context.Context, tx team.Tx) error {
			if err := tx.InsertTeam(ctx, team.Team{ID: benchTeam, Kind: team.Collaboration, Name: "Bench", OwnerID: benchOwner, CreatedAt: start, UpdatedAt: start}); err != nil {
				return err
			}
			for i := range benchMembers {
				role := rbac.RoleMember
				if i == 0 {
					role = rbac.RoleOwner
				}
				id := fmt.Sprintf("bench-m%02d", i)
				if err := tx.InsertMember(ctx, team.Member{TeamID: benchTeam, UserID: id, Email: id + "@example.com", Name: id, Role: role, JoinedAt: start, Epoch: 1}); err != nil {
					return err
				}
			}
			users := make([]string, benchMembers)
			for i := range users {
				users[i] = fmt.Sprintf("bench-m%02d", i)
			}
			for i := range benchRecords {
				id := fmt.Sprintf("u%07d", i)
				if err := tx.InsertUsage(ctx, billing.UsageRecord{ID: id, TeamID: benchTeam, UserID: users[(i*7)%benchMembers],
					AccountID: "bench-acct", Amount: int64(1 + i%97), Time: start.Add(time.Duration(i) * step), IdempotencyKey: id,
					Metadata: map[string]string{"model": models[i%3]}}); err != nil {
					return err
				}
			}
			return nil
		})
		benchMemory = m
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchMemory
}

// BenchmarkUsageSeries reads a 30-day daily series per member (BILL-10) of
// the 50-member team with 1,000,000 records over 90 days, days in
// Europe/Berlin, through the service. Target: 20 ms/op.
func BenchmarkUsageSeries(b *testing.B) {
	m := benchUsageMemory(b)
	svc, err := team.New(m)
	if err != nil {
		b.Fatal(err)
	}
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	to := time.Date(2025, 12, 31, 0, 0, 0, 0, loc)
	p := team.UsageSeriesParams{ActorID: benchOwner, TeamID: benchTeam, From: to.AddDate(0, 0, -30), To: to, Location: loc}
	var points int
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		got, err := svc.UsageSeries(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		points = len(got)
	}
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	if points != 30*benchMembers {
		b.Fatalf("%d points, want %d", points, 30*benchMembers)
	}
}

// BenchmarkLedgerPage reads one page of 50 lines of the team's ledger
// (BILL-9) from the middle of its 1,000,000 records, newest first.
func BenchmarkLedgerPage(b *testing.B) {
	m := benchUsageMemory(b)
	svc, err := team.New(m)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	first, err := svc.Ledger(ctx, team.LedgerParams{ActorID: benchOwner, TeamID: benchTeam, NewestFirst: true, To: benchEnd.AddDate(0, 0, -45), Limit: 50})
	if err != nil || first.NextCursor == "" {
		b.Fatalf("first page: %v", err)
	}
	p := team.LedgerParams{ActorID: benchOwner, TeamID: benchTeam, NewestFirst: true, Cursor: first.NextCursor, Limit: 50}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Ledger(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the CPU time the process used so far (user and system): on a
// machine shared with other work it tells the benchmark's own cost where
// wall time also counts the waits for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
