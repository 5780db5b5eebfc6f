package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store/sqlite"
	"github.com/teamkit/teamkit/team"
)

func count(t *testing.T, s *sqlite.Store, query string, args ...any) int {
	t.Helper()
	var n int
	noErr(t, query, s.DB().QueryRowContext(ctx, query, args...).Scan(&n))
	return n
}

func TestOpenRefusesPathsItCannotUse(t *testing.T) {
	for _, path := range []string{"", "  ", ":memory:", "file:x.db", "x.db?_txlock=deferred"} {
		s, err := sqlite.Open(ctx, path)
		if !errors.Is(err, sqlite.ErrInvalidPath) {
			t.Errorf("Open(%q): error = %v, want one matching ErrInvalidPath", path, err)
		}
		if s != nil {
			_ = s.Close()
		}
	}
	if _, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "missing-dir", "x.db")); err == nil {
		t.Error("Open in a directory that does not exist succeeded")
	}
}

// TestConnectionSettings checks what Open promises of its connections: WAL
// mode, foreign keys, the busy timeout, synchronous FULL unless
// WithSynchronousNormal, and readers that refuse writes.
func TestConnectionSettings(t *testing.T) {
	s := newStore(t, sqlite.WithBusyTimeout(1234*time.Millisecond))
	for name, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "1234", "synchronous": "2"} {
		var got string
		noErr(t, name, s.DB().QueryRowContext(ctx, "PRAGMA "+name).Scan(&got))
		if got != want {
			t.Errorf("writer PRAGMA %s = %s, want %s", name, got, want)
		}
	}
	var qo string
	noErr(t, "query_only", sqlite.ReadDB(s).QueryRowContext(ctx, "PRAGMA query_only").Scan(&qo))
	if qo != "1" {
		t.Errorf("reader PRAGMA query_only = %s, want 1", qo)
	}
	if _, err := sqlite.ReadDB(s).ExecContext(ctx, "INSERT INTO top_ups VALUES ('x','a','t','u',1,'t')"); err == nil {
		t.Error("a write through the read pool succeeded")
	}

	normal := newStore(t, sqlite.WithSynchronousNormal())
	var sync string
	noErr(t, "synchronous", normal.DB().QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync))
	if sync != "1" {
		t.Errorf("PRAGMA synchronous with WithSynchronousNormal = %s, want 1 (NORMAL)", sync)
	}
}

// Rule AUD-4: the audit log is append-only in the file itself: triggers
// refuse UPDATE and DELETE of events, whoever runs them, and the refusal
// leaves the event as it was. SQLite has no TRUNCATE; its stand-in, a
// DELETE without WHERE (which skips row triggers when a table has none),
// is refused too.
func TestAuditEventsAppendOnly_AUD4(t *testing.T) {
	s := newStore(t)
	e := audit.Event{ID: "ev1", TeamID: "t1", Seq: 1, Time: time.Now(), ActorID: "u1", Action: "team.created", Target: "t1", Hash: "h1"}
	noErr(t, "append", s.InTx(ctx, func(ctx context.Context, tx team.Tx) error { return tx.AppendAuditEvent(ctx, e) }))
	for _, stmt := range []string{
		"UPDATE audit_events SET target = 'forged' WHERE id = 'ev1'",
		"UPDATE audit_events SET hash = 'h2'",
		"DELETE FROM audit_events WHERE id = 'ev1'",
		"DELETE FROM audit_events",
	} {
		_, err := s.DB().ExecContext(ctx, stmt)
		if err == nil {
			t.Fatalf("%s succeeded on the append-only audit log", stmt)
		}
		if !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: error %q does not say the log is append-only", stmt, err)
		}
	}
	got, err := s.LastAuditEvent(ctx, "t1")
	noErr(t, "LastAuditEvent", err)
	if got.Target != "t1" || got.Hash != "h1" || count(t, s, "SELECT count(*) FROM audit_events") != 1 {
		t.Fatalf("event after refused changes: %+v", got)
	}
}

// TestDataSurvivesReopen runs a story through the service, closes the file
// and opens it again: the team, its members, the balance, the ledger and a
// verifiable audit chain (AUD-4) read back as they were.
func TestDataSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "teamkit.db")
	s, err := sqlite.Open(ctx, path)
	noErr(t, "Open", err)
	noErr(t, "Migrate", s.Migrate(ctx))
	out := &tokens{byID: map[string]string{}}
	svc, err := team.New(s, team.WithNotifier(out))
	noErr(t, "team.New", err)
	e := &svcEnv{t: t, st: s, svc: svc, out: out}
	owner, member := userNamed("owner"), userNamed("member")
	tm := e.teamOf(owner)
	e.join(tm, owner.ID, member, rbac.RoleMember)
	_, err = svc.TopUp(ctx, team.TopUpParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 100})
	noErr(t, "TopUp", err)
	rec, err := svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: member.ID, TeamID: tm.ID, Amount: 30, IdempotencyKey: "k1",
		Metadata: map[string]string{"model": "m1"}})
	noErr(t, "RecordUsage", err)
	wantMembers, err := s.Members(ctx, tm.ID)
	noErr(t, "Members", err)
	wantEvents, err := s.AuditEvents(ctx, tm.ID, audit.Filter{})
	noErr(t, "AuditEvents", err)
	noErr(t, "Close", s.Close())

	s2 := openStore(t, path) // Migrate again: nothing to apply
	svc2, err := team.New(s2)
	noErr(t, "team.New", err)
	got, err := s2.Team(ctx, tm.ID)
	noErr(t, "Team after reopen", err)
	if got.Name != tm.Name || got.OwnerID != owner.ID || !got.CreatedAt.Equal(tm.CreatedAt) {
		t.Fatalf("team after reopen %+v, want %+v", got, tm)
	}
	members, err := s2.Members(ctx, tm.ID)
	noErr(t, "Members after reopen", err)
	if fmt.Sprint(members) != fmt.Sprint(wantMembers) {
		t.Fatalf("members after reopen %v, want %v", members, wantMembers)
	}
	acct, err := s2.Account(ctx, owner.ID)
	noErr(t, "Account after reopen", err)
	if acct.Balance != 70 {
		t.Fatalf("balance after reopen %d, want 70", acct.Balance)
	}
	again, err := s2.UsageByKey(ctx, tm.ID, "k1")
	noErr(t, "UsageByKey after reopen", err)
	if again.ID != rec.ID || again.Amount != 30 || again.Metadata["model"] != "m1" || !again.Time.Equal(rec.Time) {
		t.Fatalf("usage record after reopen %+v, want %+v", again, rec)
	}
	events, err := s2.AuditEvents(ctx, tm.ID, audit.Filter{})
	noErr(t, "AuditEvents after reopen", err)
	if len(events) != len(wantEvents) || events[len(events)-1].Hash != wantEvents[len(wantEvents)-1].Hash {
		t.Fatalf("%d audit events after reopen, want %d with the same last hash", len(events), len(wantEvents))
	}
	noErr(t, "VerifyAuditChain after reopen", svc2.VerifyAuditChain(ctx, tm.ID))
	if n, want := count(t, s2, "SELECT count(*) FROM schema_migrations"), migrations(t); n != want {
		t.Fatalf("schema_migrations holds %d rows after a second Migrate, want %d", n, want)
	}
}

// TestTimesReadBackExactly: times keep their nanoseconds and read back in
// UTC; years the text form cannot order are refused, not mangled.
func TestTimesReadBackExactly(t *testing.T) {
	s := newStore(t)
	when := time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.FixedZone("X", 3600))
	tm := team.Team{ID: "t1", Kind: team.Collaboration, Name: "T", OwnerID: "u1", CreatedAt: when, UpdatedAt: when}
	noErr(t, "InsertTeam", s.InTx(ctx, func(ctx context.Context, tx team.Tx) error { return tx.InsertTeam(ctx, tm) }))
	got, err := s.Team(ctx, "t1")
	noErr(t, "Team", err)
	if !got.CreatedAt.Equal(when) || got.CreatedAt.Location() != time.UTC || !got.DeletedAt.IsZero() {
		t.Fatalf("CreatedAt %v (DeletedAt %v), want %v in UTC and a zero DeletedAt", got.CreatedAt, got.DeletedAt, when.UTC())
	}
	far := tm
	far.ID, far.CreatedAt = "t2", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	err = s.InTx(ctx, func(ctx context.Context, tx team.Tx) error { return tx.InsertTeam(ctx, far) })
	if err == nil || !strings.Contains(err.Error(), "0000-9999") {
		t.Fatalf("InsertTeam in the year 10000: error = %v, want one naming the years kept", err)
	}
}

// Rule BILL-10: sums near and beyond int64 are exact, negative amounts
// included, although SQLite's own sum() would fail with "integer
// overflow" on the way.
func TestUsageTotalsExactNearInt64_BILL10(t *testing.T) {
	s := newStore(t)
	const max = 1<<63 - 1
	recs := []billing.UsageRecord{
		{ID: "r1", TeamID: "t1", UserID: "a", Amount: max, IdempotencyKey: "1"},
		{ID: "r2", TeamID: "t1", UserID: "a", Amount: max, IdempotencyKey: "2"},
		{ID: "r3", TeamID: "t1", UserID: "a", Amount: -max, IdempotencyKey: "3"},
		{ID: "r4", TeamID: "t1", UserID: "b", Amount: -5, IdempotencyKey: "4"},
		{ID: "r5", TeamID: "t1", UserID: "b", Amount: 3, IdempotencyKey: "5"},
	}
	noErr(t, "InsertUsage", s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		for _, r := range recs {
			r.Time = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			if err := tx.InsertUsage(ctx, r); err != nil {
				return err
			}
		}
		return nil
	}))
	got, err := s.UsageTotals(ctx, "t1", time.Time{}, time.Time{})
	noErr(t, "UsageTotals", err)
	want := []billing.MemberUsage{{UserID: "a", Amount: max, Records: 3}, {UserID: "b", Amount: -2, Records: 2}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("UsageTotals = %v, want %v", got, want)
	}
}

// TestWithTxCommitsAndRollsBackWithTheHost: a unit of work run with WithTx
// is part of the host's transaction: rolled back with it, committed with
// it, together with the host's own rows.
func TestWithTxCommitsAndRollsBackWithTheHost(t *testing.T) {
	s := newStore(t)
	svc, err := team.New(s)
	noErr(t, "team.New", err)
	_, err = s.DB().ExecContext(ctx, "CREATE TABLE app_users (id TEXT PRIMARY KEY)")
	noErr(t, "CREATE TABLE", err)
	register := func(u team.User, commit bool) {
		t.Helper()
		host, err := s.DB().BeginTx(ctx, nil)
		noErr(t, "BeginTx", err)
		defer func() { _ = host.Rollback() }()
		_, err = host.ExecContext(ctx, "INSERT INTO app_users (id) VALUES (?)", u.ID)
		noErr(t, "host insert", err)
		_, err = svc.EnsurePersonalTeam(sqlite.WithTx(ctx, host), u)
		noErr(t, "EnsurePersonalTeam in the host transaction", err)
		// A failing unit of work rolls back its savepoint only.
		err = s.InTx(sqlite.WithTx(ctx, host), func(ctx context.Context, tx team.Tx) error {
			if err := tx.InsertMember(ctx, team.Member{TeamID: "nowhere", UserID: u.ID, JoinedAt: time.Now()}); err != nil {
				return err
			}
			return errors.New("refused")
		})
		if err == nil || err.Error() != "refused" {
			t.Fatalf("failing unit in the host transaction: %v", err)
		}
		if commit {
			noErr(t, "host Commit", host.Commit())
		}
	}
	ada, bob := team.User{ID: "u-ada", Email: "ada@example.com", Name: "Ada"}, team.User{ID: "u-bob", Email: "bob@example.com", Name: "Bob"}
	register(ada, false)
	if _, err := s.PersonalTeam(ctx, ada.ID); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("personal team after the host rolled back: %v, want ErrNotFound", err)
	}
	if n := count(t, s, "SELECT count(*) FROM app_users"); n != 0 {
		t.Fatalf("%d host rows after rollback", n)
	}
	register(bob, true)
	if _, err := s.PersonalTeam(ctx, bob.ID); err != nil {
		t.Fatalf("personal team after the host committed: %v", err)
	}
	if n := count(t, s, "SELECT count(*) FROM app_users"); n != 1 {
		t.Fatalf("%d host rows after commit, want 1", n)
	}
	if n := count(t, s, "SELECT count(*) FROM members WHERE team_id = 'nowhere'"); n != 0 {
		t.Fatalf("the failed unit's membership was committed with the host")
	}
}

// Rule SEC-3 across processes: two Stores on one file (as two processes
// would be) charge one account at once; their BEGIN IMMEDIATE units wait
// for each other through the busy timeout and no credit is lost.
func TestTwoStoresOnOneFileSerialize_SEC3(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	a, b := openStore(t, path), openStore(t, path)
	noErr(t, "InsertAccount", a.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		return tx.InsertAccount(ctx, billing.Account{ID: "acct", UserID: "u1", Plan: billing.PlanFree, Status: billing.StatusActive})
	}))
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		s := []*sqlite.Store{a, b}[i%2]
		wg.Go(func() {
			errs <- s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
				acct, err := tx.LockAccount(ctx, "u1")
				if err != nil {
					return err
				}
				time.Sleep(time.Millisecond)
				acct.Balance++
				return tx.UpdateAccount(ctx, acct)
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		noErr(t, "credit", err)
	}
	got, err := b.Account(ctx, "u1")
	noErr(t, "Account", err)
	if got.Balance != n {
		t.Fatalf("balance after %d credits from two stores = %d", n, got.Balance)
	}
}

// TestConcurrentMigrate: several Stores migrating one new file at once
// apply each version once.
func TestConcurrentMigrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "teamkit.db")
	stores := make([]*sqlite.Store, 4)
	for i := range stores {
		s, err := sqlite.Open(ctx, path)
		noErr(t, "Open", err)
		t.Cleanup(func() { _ = s.Close() })
		stores[i] = s
	}
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		noErr(t, fmt.Sprint("Migrate ", i), err)
	}
	if n, want := count(t, stores[0], "SELECT count(*) FROM schema_migrations"), migrations(t); n != want {
		t.Fatalf("schema_migrations holds %d rows, want %d (each migration applied once)", n, want)
	}
}
