package mysql_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/store/mysql"
	"github.com/teamkit/teamkit/team"
)

// openVariant opens a pool on the test server with the DSN changed by
// edit, closed when the test ends.
func openVariant(t *testing.T, edit func(cfg *gomysql.Config)) *sql.DB {
	t.Helper()
	testPool(t)
	cfg, err := gomysql.ParseDSN(os.Getenv(dsnEnv))
	noErr(t, "ParseDSN", err)
	edit(cfg)
	db, err := sql.Open("mysql", cfg.FormatDSN())
	noErr(t, "sql.Open", err)
	db.SetMaxOpenConns(4)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// storeOn returns a store on db whose database is that of base (migrated).
func storeOn(t *testing.T, db *sql.DB, base *mysql.Store) *mysql.Store {
	t.Helper()
	s, err := mysql.New(db, mysql.WithDatabase(base.Database()))
	noErr(t, "New", err)
	return s
}

func count(t *testing.T, s *mysql.Store, query string, args ...any) int {
	t.Helper()
	var n int
	noErr(t, query, s.DB().QueryRowContext(ctx, q(s, query), args...).Scan(&n))
	return n
}

func mustTx(t *testing.T, s team.Store, fn func(ctx context.Context, tx team.Tx) error) {
	t.Helper()
	noErr(t, "InTx", s.InTx(ctx, fn))
}

func aTeam(id, owner string, kind team.Kind) team.Team {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	return team.Team{ID: id, Kind: kind, Name: "Team " + id, OwnerID: owner, CreatedAt: at, UpdatedAt: at}
}

func aMember(teamID, userID, email string) team.Member {
	return team.Member{TeamID: teamID, UserID: userID, Email: email, Role: "member", JoinedAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), Epoch: 1}
}

func anInvitation(id, teamID, email, hash string) team.Invitation {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	return team.Invitation{ID: id, TeamID: teamID, Email: email, Role: "member", InviterID: "u-inviter",
		Status: team.InvitationPending, TokenHash: hash, CreatedAt: at, ExpiresAt: at.Add(time.Hour), UpdatedAt: at}
}

func TestNewRefusesNilDBAndBadDatabaseName(t *testing.T) {
	if _, err := mysql.New(nil); err == nil {
		t.Fatal("New(nil) succeeded")
	}
	db, err := sql.Open("mysql", "root@tcp(127.0.0.1:1)/x") // sql.Open does not connect
	noErr(t, "sql.Open", err)
	defer db.Close()
	for _, name := range []string{"a`b", " a", "a\x00"} {
		if _, err := mysql.New(db, mysql.WithDatabase(name)); err == nil {
			t.Errorf("New(WithDatabase(%q)) succeeded", name)
		}
	}
}

func TestMigrateTwiceIsNoOp(t *testing.T) {
	s := newStore(t)
	noErr(t, "second Migrate", s.Migrate(ctx))
	if n := count(t, s, "SELECT count(*) FROM §schema_migrations"); n != 1 {
		t.Fatalf("%d versions recorded, want 1", n)
	}
}

// Concurrent Migrate calls on a fresh database (several instances starting
// at once) all succeed and apply each version once (GET_LOCK).
func TestMigrateConcurrently(t *testing.T) {
	s := newStore(t)
	_, err := s.DB().ExecContext(ctx, "DROP DATABASE `"+s.Database()+"`")
	noErr(t, "DROP DATABASE", err)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			other, err := mysql.New(s.DB(), mysql.WithDatabase(s.Database()))
			if err == nil {
				err = other.Migrate(ctx)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		noErr(t, "Migrate "+string(rune('0'+i)), err)
	}
	if n := count(t, s, "SELECT count(*) FROM §schema_migrations"); n != 1 {
		t.Fatalf("%d versions recorded, want 1", n)
	}
}

// Migrate refuses a session whose sql_mode is not strict, where MySQL would
// cut over-long values short instead of refusing them.
func TestMigrateRefusesNonStrictSQLMode(t *testing.T) {
	base := newStore(t)
	db := openVariant(t, func(cfg *gomysql.Config) {
		cfg.Params = map[string]string{"sql_mode": "'NO_ENGINE_SUBSTITUTION'"}
	})
	err := storeOn(t, db, base).Migrate(ctx)
	if err == nil {
		t.Fatal("Migrate with a non-strict sql_mode succeeded")
	}
}

// A value longer than its column is refused, never stored cut short.
func TestOverlongValueIsRefused(t *testing.T) {
	s := newStore(t)
	id := strings.Repeat("x", 300)
	err := s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		return tx.InsertTeam(ctx, aTeam(id, "o", team.Collaboration))
	})
	if err == nil {
		t.Fatal("a 300-byte team ID was accepted")
	}
	if n := count(t, s, "SELECT count(*) FROM §teams"); n != 0 {
		t.Fatalf("%d teams stored, want 0", n)
	}
}

// Rule AUD-4: the triggers refuse UPDATE and DELETE of audit events.
func TestAuditEventsRefuseUpdateAndDelete(t *testing.T) {
	s := newStore(t)
	e := audit.Event{ID: "e1", TeamID: "t1", Seq: 1, Time: time.Now(), ActorID: "u1", Action: "team.created", Target: "t1", Hash: "h1"}
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error { return tx.AppendAuditEvent(ctx, e) })
	for _, stmt := range []string{"UPDATE §audit_events SET target = 'x'", "DELETE FROM §audit_events"} {
		_, err := s.DB().ExecContext(ctx, q(s, stmt))
		var myErr *gomysql.MySQLError
		if !errors.As(err, &myErr) || string(myErr.SQLState[:]) != "45000" {
			t.Errorf("%s: error %v, want the trigger's SQLSTATE 45000", stmt, err)
		}
	}
	if n := count(t, s, "SELECT count(*) FROM §audit_events WHERE target = 't1'"); n != 1 {
		t.Fatalf("%d unchanged events, want 1", n)
	}
}

// Identifiers, emails, token hashes and idempotency keys match byte for
// byte (INV-2: emails are compared normalised by the service, exactly by
// the store): no case folding, no trailing-space padding, which MySQL's
// default collations (and its _bin PAD SPACE ones) would do.
func TestExactMatches(t *testing.T) {
	s := newStore(t)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		for _, tm := range []team.Team{aTeam("t1", "owner", team.Personal), aTeam("T1", "Owner", team.Personal), aTeam("t1 ", "owner ", team.Personal)} {
			if err := tx.InsertTeam(ctx, tm); err != nil {
				return err
			}
		}
		for _, m := range []team.Member{aMember("t1", "u1", "ada@example.com"), aMember("t1", "U1", "Ada@example.com"), aMember("t1", "u1 ", "ada@example.com ")} {
			if err := tx.InsertMember(ctx, m); err != nil {
				return err
			}
		}
		for _, inv := range []team.Invitation{anInvitation("i1", "t1", "bob@example.com", "hash"), anInvitation("i2", "t1", "Bob@example.com", "HASH"),
			anInvitation("i3", "t1", "bob@example.com ", "hash ")} {
			if err := tx.InsertInvitation(ctx, inv); err != nil {
				return err
			}
		}
		for i, key := range []string{"k", "K", "k "} {
			r := billing.UsageRecord{ID: "r" + string(rune('0'+i)), TeamID: "t1", UserID: "u1", AccountID: "a1", Amount: 1, Time: time.Now(), IdempotencyKey: key}
			if err := tx.InsertUsage(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	tm, err := s.PersonalTeam(ctx, "Owner")
	noErr(t, "PersonalTeam(Owner)", err)
	if tm.ID != "T1" {
		t.Errorf("PersonalTeam(Owner) = %s, want T1", tm.ID)
	}
	if _, err := s.Team(ctx, "T1 "); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("Team(%q): %v, want ErrNotFound", "T1 ", err)
	}
	m, err := s.Member(ctx, "t1", "U1")
	noErr(t, "Member(U1)", err)
	if m.Email != "Ada@example.com" {
		t.Errorf("Member(U1).Email = %q", m.Email)
	}
	if _, err := s.Member(ctx, "t1", "u2"); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("Member(u2): %v, want ErrNotFound", err)
	}
	invs, err := s.InvitationsByEmail(ctx, "bob@example.com", "")
	noErr(t, "InvitationsByEmail", err)
	if len(invs) != 1 || invs[0].ID != "i1" {
		t.Errorf("InvitationsByEmail(bob@example.com) = %+v, want i1 only", invs)
	}
	inv, err := s.InvitationByTokenHash(ctx, "HASH")
	noErr(t, "InvitationByTokenHash(HASH)", err)
	if inv.ID != "i2" {
		t.Errorf("InvitationByTokenHash(HASH) = %s, want i2", inv.ID)
	}
	if _, err := s.InvitationByTokenHash(ctx, "Hash"); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("InvitationByTokenHash(Hash): %v, want ErrNotFound", err)
	}
	r, err := s.UsageByKey(ctx, "t1", "K")
	noErr(t, "UsageByKey(K)", err)
	if r.ID != "r1" {
		t.Errorf("UsageByKey(K) = %s, want r1", r.ID)
	}
	// Byte order, as Go compares strings: "U1" < "u1" < "u1 ".
	members, err := s.Members(ctx, "t1")
	noErr(t, "Members", err)
	var ids []string
	for _, m := range members {
		ids = append(ids, m.UserID)
	}
	if len(ids) != 3 || ids[0] != "U1" || ids[1] != "u1" || ids[2] != "u1 " {
		t.Errorf("Members order %q, want [U1 u1 u1 ]", ids)
	}
}

// Times are stored in UTC with microseconds whatever the driver's loc and
// parseTime settings, and read back equal through each of them.
func TestTimesRoundTripInUTCMicroseconds(t *testing.T) {
	s := newStore(t)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	when := time.Date(2031, 3, 9, 2, 30, 0, 123456789, ny)
	tm := aTeam("t1", "o", team.Collaboration)
	tm.CreatedAt, tm.UpdatedAt = when, when
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error { return tx.InsertTeam(ctx, tm) })
	want := when.UTC().Truncate(time.Microsecond)
	var stored string
	noErr(t, "raw read", s.DB().QueryRowContext(ctx, q(s, "SELECT CAST(created_at AS CHAR) FROM §teams")).Scan(&stored))
	if stored != want.Format("2006-01-02 15:04:05.000000") {
		t.Errorf("stored %s, want UTC %s", stored, want.Format("2006-01-02 15:04:05.000000"))
	}
	for name, edit := range map[string]func(*gomysql.Config){
		"parseTime=false":         func(c *gomysql.Config) { c.ParseTime = false },
		"parseTime=true,loc=NY":   func(c *gomysql.Config) { c.ParseTime, c.Loc = true, ny },
		"parseTime=true,loc=UTC":  func(c *gomysql.Config) { c.ParseTime, c.Loc = true, time.UTC },
		"interpolateParams=false": func(c *gomysql.Config) { c.InterpolateParams = false },
	} {
		t.Run(name, func(t *testing.T) {
			v := storeOn(t, openVariant(t, edit), s)
			got, err := v.Team(ctx, "t1")
			noErr(t, "Team", err)
			if !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC {
				t.Fatalf("CreatedAt %v, want %v in UTC", got.CreatedAt, want)
			}
			// Writes through this pool land on the same UTC value.
			id := "t-" + name
			w := aTeam(id, "o", team.Collaboration)
			w.CreatedAt, w.UpdatedAt = when, when
			noErr(t, "InsertTeam", v.InTx(ctx, func(ctx context.Context, tx team.Tx) error { return tx.InsertTeam(ctx, w) }))
			back, err := s.Team(ctx, id)
			noErr(t, "Team", err)
			if !back.CreatedAt.Equal(want) {
				t.Fatalf("written through %s: CreatedAt %v, want %v", name, back.CreatedAt, want)
			}
		})
	}
}

// MySQL reports changed rows, not matched ones: an update that stores the
// values a row already holds is still a success, not ErrNotFound (without
// clientFoundRows in the DSN).
func TestUpdateWithSameValuesIsNotNotFound(t *testing.T) {
	s := newStore(t)
	tm, m := aTeam("t1", "o", team.Collaboration), aMember("t1", "u1", "a@example.com")
	inv := anInvitation("i1", "t1", "b@example.com", "h1")
	a := billing.Account{ID: "a1", UserID: "o", Plan: "FREE", Status: "active", CreatedAt: tm.CreatedAt, UpdatedAt: tm.CreatedAt}
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		return errors.Join(tx.InsertTeam(ctx, tm), tx.InsertMember(ctx, m), tx.InsertInvitation(ctx, inv), tx.InsertAccount(ctx, a))
	})
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		return errors.Join(tx.UpdateTeam(ctx, tm), tx.UpdateMember(ctx, m), tx.UpdateInvitation(ctx, inv), tx.UpdateAccount(ctx, a))
	})
	err := s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		return tx.UpdateMember(ctx, aMember("t1", "u2", "x@example.com"))
	})
	if !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("UpdateMember of a missing member: %v, want ErrNotFound", err)
	}
}

// A duplicate key (1062) is ErrConflict and rolls back only its statement:
// the unit of work goes on and commits.
func TestConflictKeepsTransactionUsable(t *testing.T) {
	s := newStore(t)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		return tx.InsertTeam(ctx, aTeam("t1", "o", team.Personal))
	})
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		if err := tx.InsertTeam(ctx, aTeam("t2", "o", team.Personal)); !errors.Is(err, team.ErrConflict) {
			t.Errorf("second personal team: %v, want ErrConflict", err)
		}
		return tx.InsertTeam(ctx, aTeam("t3", "o", team.Collaboration))
	})
	if n := count(t, s, "SELECT count(*) FROM §teams"); n != 2 {
		t.Fatalf("%d teams, want 2", n)
	}
}

// deadlock runs two units of work that lock teams a and b in opposite
// orders, each waiting for the other to hold its first lock on its first
// run, so that InnoDB must abort one (error 1213). It returns both errors
// and how many times the units ran in all. after, when not nil, runs in a
// unit after a failed second lock, with that lock's error.
func deadlock(t *testing.T, s *mysql.Store, after func(ctx context.Context, tx team.Tx, err error) error) (errs [2]error, runs int32) {
	t.Helper()
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		return errors.Join(tx.InsertTeam(ctx, aTeam("a", "o", team.Collaboration)), tx.InsertTeam(ctx, aTeam("b", "o", team.Collaboration)))
	})
	var (
		n       atomic.Int32
		holding sync.WaitGroup
		wg      sync.WaitGroup
	)
	holding.Add(2)
	order := [2][2]string{{"a", "b"}, {"b", "a"}}
	for i := range 2 {
		wg.Go(func() {
			first := true
			errs[i] = s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
				n.Add(1)
				if _, err := tx.LockTeam(ctx, order[i][0]); err != nil {
					return err
				}
				if first {
					first = false
					holding.Done()
					holding.Wait()
				}
				_, err := tx.LockTeam(ctx, order[i][1])
				if err != nil && after != nil {
					return after(ctx, tx, err)
				}
				return err
			})
		})
	}
	wg.Wait()
	return errs, n.Load()
}

// A deadlock (1213) makes InTx run the aborted unit of work again: both
// units commit, and one ran twice.
func TestDeadlockIsRetried(t *testing.T) {
	s := newStore(t)
	errs, runs := deadlock(t, s, nil)
	noErr(t, "first unit", errs[0])
	noErr(t, "second unit", errs[1])
	if runs != 3 {
		t.Fatalf("units ran %d times, want 3 (one deadlock victim ran again)", runs)
	}
}

// Without retries the deadlock victim's error matches ErrRetryable, and a
// unit of work that goes on after the abort cannot write: its statements
// would otherwise run outside any transaction (InnoDB has rolled it back),
// each committed at once.
func TestDeadlockWithoutRetriesIsErrRetryable(t *testing.T) {
	s := newStore(t, mysql.WithRetries(0))
	errs, runs := deadlock(t, s, func(ctx context.Context, tx team.Tx, err error) error {
		if !errors.Is(err, mysql.ErrRetryable) {
			t.Errorf("LockTeam in the victim: %v, want ErrRetryable", err)
		}
		// Ignore it and write anyway.
		if err := tx.InsertMember(ctx, aMember("a", "stray", "s@example.com")); err == nil {
			t.Error("InsertMember after the abort succeeded")
		}
		return nil
	})
	if runs != 2 {
		t.Fatalf("units ran %d times, want 2", runs)
	}
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
			if !errors.Is(err, mysql.ErrRetryable) {
				t.Errorf("victim's InTx: %v, want ErrRetryable", err)
			}
		}
	}
	if failed != 1 {
		t.Fatalf("errors %v, want exactly one deadlock victim", errs)
	}
	if n := count(t, s, "SELECT count(*) FROM §members"); n != 0 {
		t.Fatalf("%d members written after the abort, want 0", n)
	}
}

// WithTx: the unit of work runs as a savepoint of the host's transaction;
// host and store writes commit or roll back together, and a failed unit
// rolls back only its own writes.
func TestHostTransaction(t *testing.T) {
	s := newStore(t)
	_, err := s.DB().ExecContext(ctx, q(s, "CREATE TABLE §app_users (id VARCHAR(64) PRIMARY KEY)"))
	noErr(t, "CREATE TABLE", err)
	run := func(user, teamID string, fail, commit bool) error {
		host, err := s.DB().BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
		noErr(t, "BeginTx", err)
		defer host.Rollback()
		_, err = host.ExecContext(ctx, q(s, "INSERT INTO §app_users (id) VALUES (?)"), user)
		noErr(t, "host insert", err)
		uerr := s.InTx(mysql.WithTx(ctx, host), func(ctx context.Context, tx team.Tx) error {
			if err := tx.InsertTeam(ctx, aTeam(teamID, user, team.Personal)); err != nil {
				return err
			}
			if fail {
				return errors.New("refused")
			}
			return nil
		})
		if commit {
			noErr(t, "host commit", host.Commit())
		}
		return uerr
	}
	noErr(t, "unit committed with the host", run("u1", "t1", false, true))
	if err := run("u2", "t2", true, true); err == nil {
		t.Fatal("failing unit returned nil")
	}
	noErr(t, "unit rolled back with the host", run("u3", "t3", false, false))
	if n := count(t, s, "SELECT count(*) FROM §app_users"); n != 2 {
		t.Errorf("%d host rows, want 2 (u1, u2)", n)
	}
	if n := count(t, s, "SELECT count(*) FROM §teams"); n != 1 {
		t.Errorf("%d teams, want 1 (t1)", n)
	}
}

// A lock wait timeout (1205) is retried like a deadlock: with a one-second
// innodb_lock_wait_timeout, a unit of work waiting for a team locked for
// longer fails with ErrRetryable when retries are off, and succeeds when a
// retry comes after the holder is done.
func TestLockWaitTimeout(t *testing.T) {
	base := newStore(t)
	mustTx(t, base, func(ctx context.Context, tx team.Tx) error {
		return tx.InsertTeam(ctx, aTeam("a", "o", team.Collaboration))
	})
	db := openVariant(t, func(cfg *gomysql.Config) {
		cfg.Params = map[string]string{"innodb_lock_wait_timeout": "1"}
	})
	hold := func(d time.Duration) (locked <-chan struct{}, done <-chan error) {
		l, dn := make(chan struct{}), make(chan error, 1)
		go func() {
			dn <- base.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
				_, err := tx.LockTeam(ctx, "a")
				close(l)
				time.Sleep(d)
				return err
			})
		}()
		return l, dn
	}
	wait := func(s *mysql.Store) error {
		return s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
			_, err := tx.LockTeam(ctx, "a")
			return err
		})
	}

	noRetry, err := mysql.New(db, mysql.WithDatabase(base.Database()), mysql.WithRetries(0))
	noErr(t, "New", err)
	locked, done := hold(1500 * time.Millisecond)
	<-locked
	if err := wait(noRetry); !errors.Is(err, mysql.ErrRetryable) {
		t.Errorf("waiting past innodb_lock_wait_timeout without retries: %v, want ErrRetryable", err)
	}
	noErr(t, "holder", <-done)

	retry, err := mysql.New(db, mysql.WithDatabase(base.Database()), mysql.WithRetries(2))
	noErr(t, "New", err)
	locked, done = hold(1500 * time.Millisecond)
	<-locked
	noErr(t, "waiting past innodb_lock_wait_timeout with retries", wait(retry))
	noErr(t, "holder", <-done)
}

// Migrate without a database (none in the DSN, no WithDatabase) says so.
func TestMigrateWithoutDatabase(t *testing.T) {
	db := openVariant(t, func(cfg *gomysql.Config) { cfg.DBName = "" })
	s, err := mysql.New(db)
	noErr(t, "New", err)
	err = s.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "no database") {
		t.Fatalf("Migrate without a database: %v, want an error saying there is none", err)
	}
}

// waitingLocks counts the statements of the store's database that wait for
// a row lock on the server.
func waitingLocks(t *testing.T, s *mysql.Store) int {
	t.Helper()
	var n int
	noErr(t, "processlist", s.DB().QueryRowContext(ctx, "SELECT count(*) FROM information_schema.processlist"+
		" WHERE db IS NOT NULL AND info LIKE '%FOR UPDATE%' AND id <> CONNECTION_ID()").Scan(&n))
	return n
}

// Rule SEC-5: when a unit of work's context ends while a statement waits
// for a lock, the statement ends on the server too (KILL QUERY), so the
// unit's transaction and the locks it already holds go at once instead of
// at the end of the wait. The driver alone only closes its connection,
// which the server notices when the wait is over.
func TestContextEndKillsWaitingStatement_SEC5(t *testing.T) {
	for name, edit := range map[string]func(*gomysql.Config){
		"interpolateParams=true":  func(c *gomysql.Config) { c.InterpolateParams = true },
		"interpolateParams=false": func(c *gomysql.Config) { c.InterpolateParams = false },
	} {
		t.Run(name, func(t *testing.T) {
			base := newStore(t)
			s := storeOn(t, openVariant(t, edit), base)
			mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
				return errors.Join(tx.InsertTeam(ctx, aTeam("a", "o", team.Collaboration)), tx.InsertTeam(ctx, aTeam("b", "o", team.Collaboration)))
			})
			locked, release := make(chan struct{}), make(chan struct{})
			holder := make(chan error, 1)
			go func() {
				// Held for 3 s at most, so that a failure cannot hang the
				// test (DROP DATABASE waits for the lock).
				holder <- s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
					_, err := tx.LockTeam(ctx, "a")
					close(locked)
					select {
					case <-release:
					case <-time.After(3 * time.Second):
					}
					return err
				})
			}()
			<-locked
			c, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			err := s.InTx(c, func(ctx context.Context, tx team.Tx) error {
				if _, err := tx.LockTeam(ctx, "b"); err != nil {
					return err
				}
				_, err := tx.LockTeam(ctx, "a")
				return err
			})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("waiter: %v, want DeadlineExceeded", err)
			}
			deadline := time.Now().Add(2 * time.Second)
			for waitingLocks(t, s) > 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := waitingLocks(t, s); n > 0 {
				t.Errorf("%d statements still wait on the server after their context ended", n)
			}
			// The waiter's lock on b is gone: a unit with a short deadline gets it.
			c2, cancel2 := context.WithTimeout(ctx, time.Second)
			defer cancel2()
			if err := s.InTx(c2, func(ctx context.Context, tx team.Tx) error {
				_, err := tx.LockTeam(ctx, "b")
				return err
			}); err != nil {
				t.Errorf("locking b after the waiter gave up: %v", err)
			}
			close(release)
			noErr(t, "holder", <-holder)
		})
	}
}
