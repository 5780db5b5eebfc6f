package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store/postgres"
	"github.com/teamkit/teamkit/team"
)

// The usage benchmarks' data set (BILL-9, BILL-10): one team of 50 members
// with 1,000,000 usage records spread evenly over the 90 days before
// benchEnd. It is bulk-loaded with COPY into the schema benchSchema once and
// kept between runs (drop the schema to rebuild it).
const (
	benchSchema  = "teamkit_bench_usage_v1"
	benchRecords = 1_000_000
	benchMembers = 50
	benchTeam    = "bench-team"
	benchOwner   = "bench-m00"
)

var benchEnd = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// benchUsageStore returns the store over the data set, loading it first
// when the schema does not hold it yet.
func benchUsageStore(b *testing.B) *postgres.Store {
	b.Helper()
	p := testPool(b)
	ctx := context.Background()
	st, err := postgres.New(p, postgres.WithSchema(benchSchema))
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	err = p.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{benchSchema, "usage_records"}.Sanitize()).Scan(&n)
	if err == nil && n == benchRecords {
		if err := st.Migrate(ctx); err != nil { // versions added since it was built
			b.Fatal(err)
		}
		return st
	}
	b.Logf("loading %d usage records into schema %s (kept for later runs)", benchRecords, benchSchema)
	if _, err := p.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{benchSchema}.Sanitize()+" CASCADE"); err != nil {
		b.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	start := benchEnd.AddDate(0, 0, -90)
	err = st.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		if err := tx.InsertTeam(ctx, team.Team{ID: benchTeam, Kind: team.Collaboration, Name: "Bench", OwnerID: benchOwner, CreatedAt: start, UpdatedAt: start}); err != nil {
			return err
		}
		if _, err := tx.LockTeam(ctx, benchTeam); err != nil {
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
		return tx.InsertAccount(ctx, billing.Account{ID: "bench-acct", UserID: benchOwner, Plan: billing.PlanEnterprise, Status: billing.StatusActive, CreatedAt: start, UpdatedAt: start})
	})
	if err != nil {
		b.Fatal(err)
	}
	step := benchEnd.Sub(start) / benchRecords
	models := [][]byte{[]byte(`{"model":"small"}`), []byte(`{"model":"large"}`), []byte(`{"model":"vision"}`)}
	_, err = p.CopyFrom(ctx, pgx.Identifier{benchSchema, "usage_records"},
		[]string{"id", "team_id", "user_id", "account_id", "amount", "time", "idempotency_key", "metadata"},
		pgx.CopyFromSlice(benchRecords, func(i int) ([]any, error) {
			id := fmt.Sprintf("u%07d", i)
			return []any{id, benchTeam, fmt.Sprintf("bench-m%02d", (i*7)%benchMembers), "bench-acct", int64(1 + i%97),
				start.Add(time.Duration(i) * step), id, models[i%3]}, nil
		}))
	if err != nil {
		b.Fatal(err)
	}
	for _, table := range []string{"usage_records", "usage_hourly"} {
		if _, err := p.Exec(ctx, "VACUUM ANALYZE "+pgx.Identifier{benchSchema, table}.Sanitize()); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

// BenchmarkUsageSeries reads a 30-day daily series per member (BILL-10) of
// the 50-member team with 1,000,000 records over 90 days, days in
// Europe/Berlin: one UsageSeries call of the service (membership check,
// then one grouped query over usage_hourly, 36,000 member-hours, and the
// records of partial hours at the ends). Target: 50 ms/op.
func BenchmarkUsageSeries(b *testing.B) {
	st := benchUsageStore(b)
	svc, err := team.New(st)
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
	for b.Loop() {
		got, err := svc.UsageSeries(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		points = len(got)
	}
	if points != 30*benchMembers {
		b.Fatalf("%d points, want %d", points, 30*benchMembers)
	}
}

// BenchmarkLedgerPage reads one page of 50 lines of the team's ledger
// (BILL-9) from the middle of its 1,000,000 records, newest first, through
// the service (membership check, then two keyset queries). Target:
// 2 ms/op.
func BenchmarkLedgerPage(b *testing.B) {
	st := benchUsageStore(b)
	svc, err := team.New(st)
	if err != nil {
		b.Fatal(err)
	}
	first, err := svc.Ledger(ctx, team.LedgerParams{ActorID: benchOwner, TeamID: benchTeam, NewestFirst: true,
		To: benchEnd.AddDate(0, 0, -45), Limit: 50})
	if err != nil || first.NextCursor == "" {
		b.Fatalf("first page: %v", err)
	}
	p := team.LedgerParams{ActorID: benchOwner, TeamID: benchTeam, NewestFirst: true, Cursor: first.NextCursor, Limit: 50}
	b.ReportAllocs()
	for b.Loop() {
		page, err := svc.Ledger(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		if len(page.Entries) != 50 {
			b.Fatalf("%d entries", len(page.Entries))
		}
	}
}
