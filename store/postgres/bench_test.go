package postgres_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/store/postgres"
	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

func newBenchService(b testing.TB, opts ...postgres.Option) (*team.Service, *postgres.Store, team.Team, team.User) {
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
	return svc, st, tm, owner
}

// BenchmarkAuthorize measures one Authorize of one member: answered by the
// service's membership index after the first call (see
// BenchmarkAuthorizeMix for the realistic mix, and its "strict" rows for one
// query per check).
func BenchmarkAuthorize(b *testing.B) {
	svc, _, tm, owner := newBenchService(b)
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
// GOMAXPROCS 2: SetParallelism(8)), each charge with its usage record,
// without group commit (batch=off: one transaction per charge) and with it
// (batch=on). It reports charges/s.
func BenchmarkRecordUsage16(b *testing.B) {
	benchCharges16(b, func(b *testing.B, opts ...postgres.Option) (*postgres.Store, func(key string) error) {
		svc, st, tm, owner := newBenchService(b, opts...)
		return st, func(key string) error {
			_, err := svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 1, IdempotencyKey: key})
			return err
		}
	})
}

// BenchmarkStoreCharge16 is BenchmarkRecordUsage16 without the service: 16
// goroutines run the charge unit of work (lock team, member, key, lock
// account, debit, record) with InBatch directly. The difference to
// BenchmarkRecordUsage16 is the service's own work per charge.
func BenchmarkStoreCharge16(b *testing.B) {
	benchCharges16(b, func(b *testing.B, opts ...postgres.Option) (*postgres.Store, func(key string) error) {
		st := newStore(b, opts...)
		seedTeamTB(b, st, "t1", 1<<50)
		return st, func(key string) error { return st.InBatch(ctx, "t1", charge("t1", key, key, 1, nil)) }
	})
}

// benchCharges16 runs the charges that setup returns from 16 goroutines,
// once on a store without batching (batch=off) and once with it
// (batch=on), and reports charges/s and calls per batch. Each charge gets a
// new idempotency key.
func benchCharges16(b *testing.B, setup func(b *testing.B, opts ...postgres.Option) (*postgres.Store, func(key string) error)) {
	for _, variant := range []struct {
		name string
		opts []postgres.Option
	}{{"batch=off", []postgres.Option{postgres.WithoutBatching()}}, {"batch=on", nil}} {
		b.Run(variant.name, func(b *testing.B) {
			st, chargeOne := setup(b, variant.opts...)
			var n atomic.Int64
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := chargeOne(fmt.Sprint("k", n.Add(1))); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "charges/s")
			if stats := st.BatchStats(); stats.Batches > 0 {
				b.ReportMetric(float64(stats.Calls)/float64(stats.Batches), "calls/batch")
			}
		})
	}
}

// BenchmarkAuthorizeMix measures Authorize on the realistic mix of
// storetest.LoadAuthMix (1000 teams × 50 members from 20,000 users, 4096
// requests, about 38% refused) over PostgreSQL: "index" with the service's
// membership index warm, "strict" with a query per check, and "memory", the
// same mix over store.Memory with its index, for the ≤ 2× target. Every
// variant runs next to the bare-map baseline in the same run.
func BenchmarkAuthorizeMix(b *testing.B) {
	st := newStore(b)
	mix, err := storetest.LoadAuthMix(ctx, st, storetest.AuthMixOptions{})
	if err != nil {
		b.Fatal(err)
	}
	mem := store.NewMemory()
	if _, err := storetest.LoadAuthMix(ctx, mem, storetest.AuthMixOptions{}); err != nil {
		b.Fatal(err)
	}
	for _, v := range []struct {
		name string
		st   team.Store
		opts []team.Option
	}{
		{"memory", mem, nil},
		{"index", st, nil},
		{"strict", st, []team.Option{team.WithStrictAuthorization()}},
	} {
		b.Run(v.name, func(b *testing.B) {
			svc, err := team.New(v.st, v.opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer svc.Close()
			deadline := time.Now().Add(10 * time.Second)
			for mix.Check(ctx, svc) != nil { // the listener may still connect
				if time.Now().After(deadline) {
					b.Fatal(mix.Check(ctx, svc))
				}
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond) // LISTEN is up: warm once more
			if err := mix.Check(ctx, svc); err != nil {
				b.Fatal(err)
			}
			mix.Bench(b, svc)
		})
	}
}
