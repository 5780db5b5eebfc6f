package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/store/postgres"
	"github.com/teamkit/teamkit/team"
)

var ctx = context.Background()

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// count runs a count query in the store's schema; "§" stands for it.
func count(t *testing.T, s *postgres.Store, sql string, args ...any) int {
	t.Helper()
	var n int
	q := replaceSchema(s, sql)
	noErr(t, q, s.Pool().QueryRow(ctx, q, args...).Scan(&n))
	return n
}

func replaceSchema(s *postgres.Store, sql string) string {
	out := []rune{}
	for _, r := range sql {
		if r == '§' {
			out = append(out, []rune(pgx.Identifier{s.Schema()}.Sanitize()+".")...)
			continue
		}
		out = append(out, r)
	}
	return string(out)
}

func TestNewRefusesNilPoolAndEmptySchema(t *testing.T) {
	if _, err := postgres.New(nil); err == nil {
		t.Fatal("New(nil) succeeded")
	}
	p := testPool(t)
	if _, err := postgres.New(p, postgres.WithSchema(" ")); err == nil {
		t.Fatal("New with an empty schema succeeded")
	}
	s, err := postgres.New(p)
	noErr(t, "New", err)
	if s.Schema() != postgres.DefaultSchema {
		t.Fatalf("default schema %q, want %q", s.Schema(), postgres.DefaultSchema)
	}
}

func TestMigrateTwiceIsNoOp(t *testing.T) {
	s := newStore(t) // migrated once
	before := count(t, s, "SELECT count(*) FROM §schema_migrations")
	if before < 1 {
		t.Fatalf("schema_migrations holds %d rows after Migrate", before)
	}
	noErr(t, "seed", s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		return tx.InsertTeam(ctx, team.Team{ID: "t1", Kind: team.Collaboration, Name: "x", OwnerID: "u"})
	}))
	noErr(t, "second Migrate", s.Migrate(ctx))
	if after := count(t, s, "SELECT count(*) FROM §schema_migrations"); after != before {
		t.Fatalf("second Migrate changed schema_migrations from %d to %d rows", before, after)
	}
	if n := count(t, s, "SELECT count(*) FROM §teams"); n != 1 {
		t.Fatalf("second Migrate left %d teams, want the 1 seeded", n)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	p := testPool(t)
	schema := randomSchema(t)
	t.Cleanup(func() { _, _ = p.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE") })
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := postgres.New(p, postgres.WithSchema(schema))
			if err == nil {
				err = s.Migrate(ctx)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		noErr(t, "concurrent Migrate "+string(rune('0'+i)), err)
	}
	s, _ := postgres.New(p, postgres.WithSchema(schema))
	if n, want := count(t, s, "SELECT count(*) FROM §schema_migrations"), postgres.Migrations(); n != want {
		t.Fatalf("schema_migrations holds %d rows, want %d (each migration applied once)", n, want)
	}
}

// Rule AUD-4: the audit log is append-only, also against SQL from outside
// the library.
func TestAuditEventsRefuseUpdateAndDelete(t *testing.T) {
	s := newStore(t)
	e := audit.Seal(audit.Event{ID: "e1", TeamID: "t1", Time: time.Now().UTC().Truncate(time.Microsecond), ActorID: "u", Action: audit.TeamCreated}, audit.Event{})
	noErr(t, "append", s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		if err := tx.InsertTeam(ctx, team.Team{ID: "t1", Kind: team.Collaboration, Name: "x", OwnerID: "u"}); err != nil {
			return err
		}
		return tx.AppendAuditEvent(ctx, e)
	}))
	for _, sql := range []string{"UPDATE §audit_events SET target = 'x'", "DELETE FROM §audit_events"} {
		if _, err := s.Pool().Exec(ctx, replaceSchema(s, sql)); err == nil {
			t.Errorf("%s succeeded on an audit event", sql)
		}
	}
	got, err := s.LastAuditEvent(ctx, "t1")
	noErr(t, "LastAuditEvent", err)
	if got.Hash != e.Hash || audit.Verify("t1", []audit.Event{got}) != nil {
		t.Fatalf("event changed: %+v", got)
	}
}

// Rule AUD-4: TRUNCATE, which row triggers do not see, is refused too, so
// the whole log cannot be erased from outside the library either.
func TestAuditEventsRefuseTruncate(t *testing.T) {
	s := newStore(t)
	e := audit.Seal(audit.Event{ID: "e1", TeamID: "t1", Time: time.Now().UTC().Truncate(time.Microsecond), ActorID: "u", Action: audit.TeamCreated}, audit.Event{})
	now := time.Now().UTC().Truncate(time.Microsecond)
	tm := team.Team{ID: "t1", Kind: team.Collaboration, Name: "x", OwnerID: "u", CreatedAt: now, UpdatedAt: now}
	noErr(t, "append", s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		if err := tx.InsertTeam(ctx, tm); err != nil {
			return err
		}
		return tx.AppendAuditEvent(ctx, e)
	}))
	for _, sql := range []string{"TRUNCATE §audit_events", "TRUNCATE ONLY §audit_events RESTART IDENTITY"} {
		if _, err := s.Pool().Exec(ctx, replaceSchema(s, sql)); err == nil {
			t.Errorf("%s succeeded on the audit log", sql)
		}
	}
	if n := count(t, s, "SELECT count(*) FROM §audit_events"); n != 1 {
		t.Fatalf("audit log holds %d events after TRUNCATE, want the 1 appended", n)
	}
}

// Times are stored in UTC with the microseconds PostgreSQL keeps; an event
// sealed with a microsecond time verifies after the round trip.
func TestTimesRoundTripInUTCMicroseconds(t *testing.T) {
	s := newStore(t)
	loc := time.FixedZone("UTC+5", 5*3600)
	at := time.Date(2031, 5, 6, 7, 8, 9, 123456789, loc)
	tm := team.Team{ID: "t1", Kind: team.Collaboration, Name: "x", OwnerID: "u", CreatedAt: at, UpdatedAt: at}
	ev := audit.Seal(audit.Event{ID: "e1", TeamID: "t1", Time: at.UTC().Truncate(time.Microsecond), ActorID: "u", Action: audit.TeamCreated}, audit.Event{})
	noErr(t, "insert", s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		if err := tx.InsertTeam(ctx, tm); err != nil {
			return err
		}
		return tx.AppendAuditEvent(ctx, ev)
	}))
	got, err := s.Team(ctx, "t1")
	noErr(t, "Team", err)
	want := at.UTC().Truncate(time.Microsecond)
	if got.CreatedAt != want || got.CreatedAt.Location() != time.UTC || !got.DeletedAt.IsZero() {
		t.Fatalf("CreatedAt %v (%v), DeletedAt %v; want %v in UTC and zero", got.CreatedAt, got.CreatedAt.Location(), got.DeletedAt, want)
	}
	evs, err := s.AuditEvents(ctx, "t1", audit.Filter{})
	noErr(t, "AuditEvents", err)
	noErr(t, "Verify after round trip", audit.Verify("t1", evs))
}

func TestMapsKeepNilAndEmpty(t *testing.T) {
	s := newStore(t)
	noErr(t, "insert", s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		if err := tx.InsertTeam(ctx, team.Team{ID: "nil", Kind: team.Collaboration, OwnerID: "a"}); err != nil {
			return err
		}
		return tx.InsertTeam(ctx, team.Team{ID: "empty", Kind: team.Collaboration, OwnerID: "b", Settings: map[string]string{}})
	}))
	a, err := s.Team(ctx, "nil")
	noErr(t, "Team", err)
	b, err := s.Team(ctx, "empty")
	noErr(t, "Team", err)
	if a.Settings != nil || b.Settings == nil || len(b.Settings) != 0 {
		t.Fatalf("settings %#v and %#v, want nil and empty", a.Settings, b.Settings)
	}
}

// A conflicting insert reports ErrConflict and leaves the transaction
// usable: the unit of work can go on and commit.
func TestConflictKeepsTransactionUsable(t *testing.T) {
	s := newStore(t)
	m := team.Member{TeamID: "t1", UserID: "u1", Role: "owner"}
	noErr(t, "seed", s.InTx(ctx, func(ctx context.Context, tx team.Tx) error { return tx.InsertMember(ctx, m) }))
	noErr(t, "unit", s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		if err := tx.InsertMember(ctx, m); !errors.Is(err, team.ErrConflict) {
			t.Errorf("duplicate InsertMember: %v, want ErrConflict", err)
		}
		if err := tx.UpdateTeam(ctx, team.Team{ID: "missing"}); !errors.Is(err, team.ErrNotFound) {
			t.Errorf("UpdateTeam of a missing team: %v, want ErrNotFound", err)
		}
		return tx.InsertMember(ctx, team.Member{TeamID: "t1", UserID: "u2", Role: "member"})
	}))
	if n := count(t, s, "SELECT count(*) FROM §members"); n != 2 {
		t.Fatalf("%d members, want 2", n)
	}
}

// WithTx: the unit of work joins the host's transaction.
func TestHostTransaction(t *testing.T) {
	s := newStore(t)
	_, err := s.Pool().Exec(ctx, replaceSchema(s, "CREATE TABLE §host_things (id text PRIMARY KEY)"))
	noErr(t, "host table", err)

	run := func(commit bool, teamID string) {
		host, err := s.Pool().Begin(ctx)
		noErr(t, "host Begin", err)
		defer host.Rollback(ctx)
		_, err = host.Exec(ctx, replaceSchema(s, "INSERT INTO §host_things VALUES ($1)"), teamID)
		noErr(t, "host insert", err)
		hctx := postgres.WithTx(ctx, host)
		noErr(t, "InTx in host", s.InTx(hctx, func(ctx context.Context, tx team.Tx) error {
			return tx.InsertTeam(ctx, team.Team{ID: teamID, Kind: team.Collaboration, OwnerID: teamID})
		}))
		// A failing unit rolls back only its savepoint.
		boom := errors.New("boom")
		if err := s.InTx(hctx, func(ctx context.Context, tx team.Tx) error {
			if err := tx.InsertTeam(ctx, team.Team{ID: teamID + "-failed", Kind: team.Collaboration, OwnerID: "x"}); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("failing unit: %v", err)
		}
		// InBatch with a host transaction runs in it too, never batched.
		noErr(t, "InBatch in host", s.InBatch(hctx, teamID, func(ctx context.Context, tx team.Tx) error {
			return tx.InsertAccount(ctx, billing.Account{ID: "acct-" + teamID, UserID: teamID, Plan: billing.PlanFree, Status: billing.StatusActive})
		}))
		// Nothing is visible outside the host transaction yet.
		if _, err := s.Team(ctx, teamID); !errors.Is(err, team.ErrNotFound) {
			t.Fatalf("team visible before the host commits: %v", err)
		}
		if commit {
			noErr(t, "host Commit", host.Commit(ctx))
		} else {
			noErr(t, "host Rollback", host.Rollback(ctx))
		}
	}

	run(false, "rolled-back")
	if _, err := s.Team(ctx, "rolled-back"); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("host rolled back, team: %v, want ErrNotFound", err)
	}
	if _, err := s.Account(ctx, "rolled-back"); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("host rolled back, account: %v, want ErrNotFound", err)
	}
	if n := count(t, s, "SELECT count(*) FROM §host_things"); n != 0 {
		t.Fatalf("host rolled back, %d host rows", n)
	}

	run(true, "committed")
	if _, err := s.Team(ctx, "committed"); err != nil {
		t.Fatalf("host committed, team: %v", err)
	}
	if _, err := s.Account(ctx, "committed"); err != nil {
		t.Fatalf("host committed, account: %v", err)
	}
	if _, err := s.Team(ctx, "committed-failed"); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("failed unit's team: %v, want ErrNotFound", err)
	}
	if n := count(t, s, "SELECT count(*) FROM §host_things"); n != 1 {
		t.Fatalf("host committed, %d host rows, want 1", n)
	}
}

func TestInTxPanicRollsBackAndRePanics(t *testing.T) {
	s := newStore(t)
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want boom", r)
			}
		}()
		_ = s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
			if err := tx.InsertTeam(ctx, team.Team{ID: "t1", Kind: team.Collaboration, OwnerID: "u"}); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if _, err := s.Team(ctx, "t1"); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("after panic: %v, want ErrNotFound", err)
	}
}
