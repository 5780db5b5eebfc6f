package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store/postgres"
	"github.com/teamkit/teamkit/team"
)

// The service calls of these tests, one helper per kind of call, so that a
// change of the service's signatures changes one place.

func recordUsage(ctx context.Context, svc *team.Service, actorID, teamID, key string, amount int64) error {
	_, err := svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: actorID, TeamID: teamID, Amount: amount, IdempotencyKey: key})
	return err
}

func transferOwnership(ctx context.Context, svc *team.Service, actorID, teamID, newOwnerID string) error {
	return svc.TransferOwnership(ctx, team.TransferOwnershipParams{ActorID: actorID, TeamID: teamID, NewOwnerID: newOwnerID, ConfirmNewOwnerID: newOwnerID})
}

// batchingModes runs f once with group commit and once without.
func batchingModes(t *testing.T, f func(t *testing.T, opts ...postgres.Option)) {
	t.Run("batching=on", func(t *testing.T) { f(t) })
	t.Run("batching=off", func(t *testing.T) { f(t, postgres.WithoutBatching()) })
}

// lockTeamRow takes the row lock of teamID's team record in tx, as
// LockTeam does.
func lockTeamRow(t *testing.T, s *postgres.Store, tx pgx.Tx, teamID string) {
	t.Helper()
	_, err := tx.Exec(ctx, replaceSchema(s, "SELECT 1 FROM §teams WHERE id = $1 FOR UPDATE"), teamID)
	noErr(t, "locking the team row", err)
}

// chargeWithDeadline charges tm with a 300 ms deadline and checks that the
// call returns within 1 s with an error matching context.DeadlineExceeded.
// If it does not return in 2 s, the test fails and unlock runs so that the
// call can end.
func chargeWithDeadline(t *testing.T, svc *team.Service, actorID, teamID string, unlock func()) {
	t.Helper()
	dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- recordUsage(dctx, svc, actorID, teamID, "sec5", 7) }()
	select {
	case err := <-done:
		if took := time.Since(start); took > time.Second {
			t.Errorf("RecordUsage with a 300 ms deadline returned after %v, want < 1s", took)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("RecordUsage: %v, want an error matching context.DeadlineExceeded", err)
		}
	case <-time.After(2 * time.Second):
		t.Errorf("RecordUsage with a 300 ms deadline still waits after 2s for a lock held elsewhere")
		unlock()
		<-done
	}
}

// Rule SEC-5: a charge whose team row another transaction holds returns at
// its deadline, with batching on and off, and charges nothing; the team's
// charges work again once the lock is gone.
func TestSEC5DeadlineWhileTeamLockedElsewhere(t *testing.T) {
	batchingModes(t, func(t *testing.T, opts ...postgres.Option) {
		e := newSvcEnv(t, opts...)
		owner := userNamed("owner")
		tm := e.teamOf(owner)
		_, err := e.svc.TopUp(ctx, team.TopUpParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 100})
		noErr(t, "TopUp", err)

		other, err := e.st.Pool().Begin(ctx)
		noErr(t, "Begin", err)
		defer other.Rollback(ctx)
		lockTeamRow(t, e.st, other, tm.ID)
		chargeWithDeadline(t, e.svc, owner.ID, tm.ID, func() { _ = other.Rollback(ctx) })
		noErr(t, "releasing the lock", other.Rollback(ctx))

		if acct, err := e.st.Account(ctx, owner.ID); err != nil || acct.Balance != 100 {
			t.Fatalf("balance %d (%v) after the expired charge, want 100", acct.Balance, err)
		}
		noErr(t, "charge after the lock is gone", recordUsage(ctx, e.svc, owner.ID, tm.ID, "after", 1))
	})
}

// Rule SEC-5: a host that holds the team's lock in its own transaction
// (WithTx) and then charges the team outside it gets the deadline error,
// with batching on and off, instead of waiting for itself forever.
func TestSEC5DeadlineWhileHostHoldsTeamLock(t *testing.T) {
	batchingModes(t, func(t *testing.T, opts ...postgres.Option) {
		e := newSvcEnv(t, opts...)
		owner := userNamed("owner")
		tm := e.teamOf(owner)
		_, err := e.svc.TopUp(ctx, team.TopUpParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 100})
		noErr(t, "TopUp", err)

		host, err := e.st.Pool().Begin(ctx)
		noErr(t, "host Begin", err)
		defer host.Rollback(ctx)
		// The host's own charge locks the team in the host's transaction.
		noErr(t, "charge in the host transaction", recordUsage(postgres.WithTx(ctx, host), e.svc, owner.ID, tm.ID, "host", 1))
		chargeWithDeadline(t, e.svc, owner.ID, tm.ID, func() { _ = host.Rollback(ctx) })
		noErr(t, "host Commit", host.Commit(ctx))

		if acct, err := e.st.Account(ctx, owner.ID); err != nil || acct.Balance != 99 {
			t.Fatalf("balance %d (%v), want 100 - the host's 1 = 99", acct.Balance, err)
		}
		noErr(t, "charge after the host committed", recordUsage(ctx, e.svc, owner.ID, tm.ID, "after", 1))
	})
}

// slowCommits makes every COMMIT that wrote a row of table (a name of the
// store's schema) take up to d: a deferred constraint trigger sleeps.
// A cancel request (pgx sends one when ctx ends) cuts the sleep short but
// does not fail the COMMIT: as when the server has committed and the
// client gives up before it reads the answer.
func slowCommits(t *testing.T, s *postgres.Store, table string, d time.Duration) {
	t.Helper()
	for _, sql := range []string{
		`CREATE FUNCTION §slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		 BEGIN
		     BEGIN PERFORM pg_sleep(` + fmt.Sprint(d.Seconds()) + `);
		     EXCEPTION WHEN query_canceled THEN NULL; -- the COMMIT goes on
		     END;
		     RETURN NULL;
		 END $$`,
		`CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT OR UPDATE ON §` + table + `
		 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION §slow_commit()`,
	} {
		_, err := s.Pool().Exec(ctx, replaceSchema(s, sql))
		noErr(t, "slow commit trigger", err)
	}
}

// cancelDuringCommit returns a context that is cancelled while a COMMIT
// runs its deferred triggers (see slowCommits), and a function that waits
// until that has happened and the COMMIT has ended on the server.
func cancelDuringCommit(t *testing.T, s *postgres.Store) (context.Context, func()) {
	t.Helper()
	committing := func() bool {
		var n int
		if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event = 'PgSleep' AND upper(query) LIKE 'COMMIT%'`).Scan(&n); err != nil {
			t.Errorf("pg_stat_activity: %v", err)
		}
		return n > 0
	}
	cctx, cancel := context.WithCancel(ctx)
	cancelled := make(chan struct{})
	go func() {
		defer close(cancelled)
		defer cancel()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if committing() {
				return
			}
		}
		t.Errorf("no COMMIT was seen running")
	}()
	return cctx, func() {
		<-cancelled
		for deadline := time.Now().Add(5 * time.Second); committing() && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// Rule SEC-5: a transfer whose COMMIT succeeds is reported as done although
// the caller's ctx is cancelled while the COMMIT is in flight.
func TestSEC5CommittedTransferNotReportedFailed(t *testing.T) {
	batchingModes(t, func(t *testing.T, opts ...postgres.Option) {
		e := newSvcEnv(t, opts...)
		owner, heir := userNamed("owner"), userNamed("heir")
		tm := e.teamOf(owner)
		e.join(tm, owner.ID, heir, rbac.RoleAdmin)
		e.subscribe(heir)                                   // OWN-5
		slowCommits(t, e.st, "teams", 200*time.Millisecond) // fires per updated row: the owner change and the audit head

		cctx, wait := cancelDuringCommit(t, e.st)
		err := transferOwnership(cctx, e.svc, owner.ID, tm.ID, heir.ID)
		wait()
		stored, rerr := e.st.Team(ctx, tm.ID)
		noErr(t, "Team", rerr)
		switch {
		case err == nil && stored.OwnerID != heir.ID:
			t.Fatalf("TransferOwnership returned nil, owner is %s", stored.OwnerID)
		case err != nil && stored.OwnerID == heir.ID:
			t.Fatalf("TransferOwnership committed (owner %s) but returned %v", stored.OwnerID, err)
		case err != nil:
			t.Fatalf("TransferOwnership: %v; the COMMIT, cancelled in flight, should have succeeded", err)
		}
	})
}

// Rule SEC-5: a charge whose COMMIT succeeds is reported as done although
// the caller's ctx is cancelled while the COMMIT (the batch's, with
// batching on) is in flight.
func TestSEC5CommittedChargeNotReportedFailed(t *testing.T) {
	batchingModes(t, func(t *testing.T, opts ...postgres.Option) {
		e := newSvcEnv(t, opts...)
		owner := userNamed("owner")
		tm := e.teamOf(owner)
		_, err := e.svc.TopUp(ctx, team.TopUpParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 100})
		noErr(t, "TopUp", err)
		slowCommits(t, e.st, "usage_records", 400*time.Millisecond)

		cctx, wait := cancelDuringCommit(t, e.st)
		err = recordUsage(cctx, e.svc, owner.ID, tm.ID, "k1", 5)
		wait()
		acct, rerr := e.st.Account(ctx, owner.ID)
		noErr(t, "Account", rerr)
		switch charged := acct.Balance == 95; {
		case err == nil && !charged:
			t.Fatalf("RecordUsage returned nil, balance %d", acct.Balance)
		case err != nil && charged:
			t.Fatalf("RecordUsage committed (balance %d) but returned %v", acct.Balance, err)
		case err != nil:
			t.Fatalf("RecordUsage: %v; the COMMIT, cancelled in flight, should have succeeded", err)
		}
	})
}

// Rule SEC-5: when ctx ends while a COMMIT is in flight and the COMMIT
// does not answer within the grace period, the call returns soon after
// with ErrCommitOutcomeUnknown, not with ctx's error: the writes may be
// committed (here they are).
func TestSEC5CommitOutcomeUnknownAfterGrace(t *testing.T) {
	batchingModes(t, func(t *testing.T, opts ...postgres.Option) {
		e := newSvcEnv(t, opts...)
		owner := userNamed("owner")
		tm := e.teamOf(owner)
		_, err := e.svc.TopUp(ctx, team.TopUpParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 100})
		noErr(t, "TopUp", err)
		slowCommits(t, e.st, "usage_records", 3*time.Second)

		cctx, wait := cancelDuringCommit(t, e.st)
		done := make(chan error, 1)
		go func() { done <- recordUsage(cctx, e.svc, owner.ID, tm.ID, "k1", 5) }()
		<-cctx.Done()
		cancelled := time.Now()
		err = <-done
		if took := time.Since(cancelled); took > 1500*time.Millisecond {
			t.Errorf("RecordUsage returned %v after its ctx ended, want about 500 ms", took)
		}
		if !errors.Is(err, postgres.ErrCommitOutcomeUnknown) || errors.Is(err, context.Canceled) {
			t.Errorf("RecordUsage: %v, want ErrCommitOutcomeUnknown and not context.Canceled", err)
		}
		wait()
	})
}
