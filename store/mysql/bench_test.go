package mysql_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store/mysql"
	"github.com/teamkit/teamkit/team"
)

func newBenchService(b testing.TB, opts ...mysql.Option) (*team.Service, team.Team, team.User) {
	b.Helper()
	st := newStore(b, opts...)
	svc, err := team.New(st)
	if err != nil {
		b.Fatal(err)
	}
	owner := team.User{ID: "user-owner", Email: "owner@example.com", Name: "owner"}
	personal, err := svc.EnsurePersonalTeam(ctx, owner)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: owner.ID, TeamID: personal.ID, Plan: "ENTERPRISE"}); err != nil {
		b.Fatal(err)
	}
	tm, err := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: owner, Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.TopUp(ctx, team.TopUpParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 1 << 50}); err != nil {
		b.Fatal(err)
	}
	return svc, tm, owner
}

// BenchmarkAuthorize measures one Authorize through the pool: one
// membership query on the primary key.
func BenchmarkAuthorize(b *testing.B) {
	svc, tm, owner := newBenchService(b)
	res := team.Resource{Type: "agent", ID: "a1", CreatorID: owner.ID}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := svc.Authorize(ctx, owner.ID, tm.ID, rbac.Use, res); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordUsage16 charges one team from 16 goroutines (with
// GOMAXPROCS 2: SetParallelism(8)), each charge its own transaction with
// its usage record (the store has no group commit). It reports charges/s.
func BenchmarkRecordUsage16(b *testing.B) {
	svc, tm, owner := newBenchService(b)
	var n atomic.Int64
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprint("k", n.Add(1))
			if _, err := svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 1, IdempotencyKey: key}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "charges/s")
}
