package team_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// benchTeam returns a service over a fresh memory store with one
// collaboration team owned by "user-ana".
func benchTeam(b *testing.B) (*team.Service, *store.Memory, team.Team) {
	b.Helper()
	st := store.NewMemory()
	svc, err := team.New(st)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ana := team.User{ID: "user-ana", Email: "ana@example.com"}
	if _, err := svc.EnsurePersonalTeam(ctx, ana); err != nil {
		b.Fatal(err)
	}
	if err := st.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		a, err := tx.LockAccount(ctx, ana.ID)
		if err != nil {
			return err
		}
		a.Plan = billing.PlanEnterprise
		return tx.UpdateAccount(ctx, a)
	}); err != nil {
		b.Fatal(err)
	}
	tm, err := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: ana, Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	return svc, st, tm
}

// BenchmarkAuditAppend records host events through the service (AUD-2):
// validation, one unit of work, lock, chain and append. Target: at least
// 50k events/s on the memory store.
func BenchmarkAuditAppend(b *testing.B) {
	svc, _, tm := benchTeam(b)
	ctx := context.Background()
	ev := team.RecordEventParams{ActorID: "user-ana", TeamID: tm.ID, Action: "doc.viewed", Target: "doc-1", Details: map[string]string{"ip": "10.0.0.1"}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := svc.RecordEvent(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAuditQuery reads one page of 50 events from the middle of a
// team's log of 1M events (AUD-3), permission check included. Target: at
// most 100µs/op on the memory store.
func BenchmarkAuditQuery(b *testing.B) {
	const events = 1_000_000
	svc, st, tm := benchTeam(b)
	ctx := context.Background()
	// Build the log fast, straight through the store in one unit of work.
	if err := st.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		prev, err := tx.LastAuditEvent(ctx, tm.ID)
		if err != nil {
			return err
		}
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := int(prev.Seq); i < events; i++ {
			prev = audit.Seal(audit.Event{
				ID:      fmt.Sprintf("ev-%07d", i),
				TeamID:  tm.ID,
				Time:    at.Add(time.Duration(i) * time.Millisecond),
				ActorID: "user-ana",
				Action:  "doc.viewed",
				Target:  "doc-1",
			}, prev)
			if err := tx.AppendAuditEvent(ctx, prev); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	q := audit.Query{Cursor: audit.EncodeCursor(events / 2), Limit: 50}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p, err := svc.AuditLog(ctx, team.AuditLogParams{ActorID: "user-ana", TeamID: tm.ID, Query: q})
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Events) != 50 || p.Events[0].Seq != events/2+1 || p.NextCursor == "" {
			b.Fatalf("page of %d events from seq %d", len(p.Events), p.Events[0].Seq)
		}
	}
}
