package sqlite_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store/sqlite"
	"github.com/teamkit/teamkit/team"
)

func newBenchService(b testing.TB, opts ...sqlite.Option) (*team.Service, team.Team, team.User) {
	b.Helper()
	st := newStore(b, opts...)
	svc, err := team.New(st)
	if err != nil {
		b.Fatal(err)
	}
	owner := userNamed("owner")
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

// BenchmarkAuthorize measures one Authorize through the read pool: one
// membership query on the primary key. parallel runs it from GOMAXPROCS
// goroutines at once.
func BenchmarkAuthorize(b *testing.B) {
	svc, tm, owner := newBenchService(b)
	res := team.Resource{Type: "agent", ID: "a1", CreatorID: owner.ID}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := svc.Authorize(ctx, owner.ID, tm.ID, rbac.Use, res); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := svc.Authorize(ctx, owner.ID, tm.ID, rbac.Use, res); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkRecordUsage16 charges one team from 16 goroutines (with
// GOMAXPROCS 2: SetParallelism(8)), each charge one unit of work with its
// usage record, and reports charges/s. The variants:
//
//   - writer=1: the Store as Open makes it, one writer connection
//     (units of work queue in database/sql) and synchronous=FULL;
//   - writer=1,sync=normal: the same with WithSynchronousNormal;
//   - writers=4: four writer connections, so that the units of work
//     contend in SQLite itself, through BEGIN IMMEDIATE and the busy
//     handler, as several processes on one file would; Open does not do
//     this (see the package documentation).
func BenchmarkRecordUsage16(b *testing.B) {
	for _, variant := range []struct {
		name string
		opts []sqlite.Option
	}{
		{"writer=1", nil},
		{"writer=1,sync=normal", []sqlite.Option{sqlite.WithSynchronousNormal()}},
		{"writers=4", []sqlite.Option{sqlite.WithWriters(4)}},
	} {
		b.Run(variant.name, func(b *testing.B) {
			svc, tm, owner := newBenchService(b, variant.opts...)
			var n atomic.Int64
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, err := svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 1,
						IdempotencyKey: fmt.Sprint("k", n.Add(1))})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "charges/s")
		})
	}
}
