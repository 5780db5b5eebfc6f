package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/store/postgres"
	"github.com/teamkit/teamkit/team"
)

type txFn = func(ctx context.Context, tx team.Tx) error

// seedTeam stores a team owned by "owner", its owner membership and the
// owner's account with balance.
func seedTeam(t *testing.T, s *postgres.Store, teamID string, balance int64) {
	t.Helper()
	seedTeamTB(t, s, teamID, balance)
}

func seedTeamTB(t testing.TB, s *postgres.Store, teamID string, balance int64) {
	t.Helper()
	err := s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		if err := tx.InsertTeam(ctx, team.Team{ID: teamID, Kind: team.Collaboration, Name: teamID, OwnerID: "owner"}); err != nil {
			return err
		}
		if err := tx.InsertMember(ctx, team.Member{TeamID: teamID, UserID: "owner", Role: "owner"}); err != nil {
			return err
		}
		err := tx.InsertAccount(ctx, billing.Account{ID: "acct-owner", UserID: "owner", Plan: billing.PlanTeam,
			Status: billing.StatusActive, Balance: balance})
		if errors.Is(err, team.ErrConflict) {
			return nil // shared by several teams
		}
		return err
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
}

// charge is the service's usage charge: lock, check, idempotency, debit,
// record. *got receives the record the call ends with.
func charge(teamID, id, key string, amount int64, got *billing.UsageRecord) txFn {
	return func(ctx context.Context, tx team.Tx) error {
		tm, err := tx.LockTeam(ctx, teamID)
		if err != nil {
			return err
		}
		if _, err := tx.Member(ctx, teamID, "owner"); err != nil {
			return err
		}
		prev, err := tx.UsageByKey(ctx, teamID, key)
		if err == nil {
			if got != nil {
				*got = prev
			}
			return nil
		} else if !errors.Is(err, team.ErrNotFound) {
			return err
		}
		acct, err := tx.LockAccount(ctx, tm.OwnerID)
		if err != nil {
			return err
		}
		debited, err := acct.Debit(amount)
		if err != nil {
			return err
		}
		if err := tx.UpdateAccount(ctx, debited); err != nil {
			return err
		}
		r := billing.UsageRecord{ID: id, TeamID: teamID, UserID: "owner", AccountID: acct.ID, Amount: amount,
			Time: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), IdempotencyKey: key, Metadata: map[string]string{"k": key}}
		if err := tx.InsertUsage(ctx, r); err != nil {
			return err
		}
		if got != nil {
			*got = r
		}
		return nil
	}
}

// inOneBatch runs fns with InBatch(key) so that they share one batch, in
// order: a blocker call leads first and holds its batch until every fn is
// queued behind it; the batch then takes them. It returns each fn's error
// and recovered panic.
func inOneBatch(t *testing.T, s *postgres.Store, key string, fns ...txFn) (errs []error, panics []any) {
	t.Helper()
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	wg.Go(func() {
		noErr(t, "blocker", s.InBatch(ctx, key, func(ctx context.Context, tx team.Tx) error {
			once.Do(func() { close(started) }) // a fallback runs it again
			<-release
			return nil
		}))
	})
	<-started
	errs, panics = make([]error, len(fns)), make([]any, len(fns))
	for i, fn := range fns {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = s.InBatch(ctx, key, fn)
		})
		deadline := time.Now().Add(5 * time.Second)
		for s.Queued(key) != i+1 {
			if time.Now().After(deadline) {
				t.Fatalf("call %d never queued", i)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	close(release)
	wg.Wait()
	return errs, panics
}

func balance(t *testing.T, s *postgres.Store) int64 {
	t.Helper()
	a, err := s.Account(ctx, "owner")
	noErr(t, "Account", err)
	return a.Balance
}

// transactions returns how many transactions wrote teamID's usage records.
func transactions(t *testing.T, s *postgres.Store, teamID string) int {
	t.Helper()
	return count(t, s, "SELECT count(DISTINCT xmin::text) FROM §usage_records WHERE team_id = $1", teamID)
}

// Rule BILL-3 in a batch: a refused charge leaves no trace while the others
// of its batch commit, in one transaction.
func TestInBatchRefusalKeepsOthers(t *testing.T) {
	s := newStore(t)
	seedTeam(t, s, "t1", 10)
	errs, _ := inOneBatch(t, s, "t1",
		charge("t1", "u1", "k1", 4, nil),
		charge("t1", "u2", "k2", 4, nil),
		charge("t1", "u3", "k3", 4, nil), // 2 left: refused
		charge("t1", "u4", "k4", 1, nil),
	)
	for i, want := range []error{nil, nil, billing.ErrInsufficientBalance, nil} {
		if (want == nil && errs[i] != nil) || (want != nil && !errors.Is(errs[i], want)) {
			t.Errorf("call %d: %v, want %v", i, errs[i], want)
		}
	}
	if b := balance(t, s); b != 1 {
		t.Fatalf("balance %d, want 10-4-4-1 = 1", b)
	}
	if _, err := s.UsageByKey(ctx, "t1", "k3"); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("refused charge recorded: %v", err)
	}
	if n := count(t, s, "SELECT count(*) FROM §usage_records"); n != 3 {
		t.Fatalf("%d usage records, want 3", n)
	}
	if n := transactions(t, s, "t1"); n != 1 {
		t.Fatalf("records written by %d transactions, want 1 (one batch)", n)
	}
	if st := s.BatchStats(); st.Batches != 1 || st.Calls != 5 || st.FellBack != 0 {
		t.Fatalf("stats %+v, want one batch of 5 calls (blocker and 4 charges)", st)
	}
}

// Rule BILL-4 in a batch: a key charged earlier in the same batch is seen
// by the later call, which charges nothing.
func TestInBatchIdempotentKeyWithinBatch(t *testing.T) {
	s := newStore(t)
	seedTeam(t, s, "t1", 100)
	var first, second, other billing.UsageRecord
	errs, _ := inOneBatch(t, s, "t1",
		charge("t1", "u1", "same", 5, &first),
		charge("t1", "u2", "same", 5, &second),
		charge("t1", "u3", "other", 3, &other),
	)
	for i, err := range errs {
		noErr(t, fmt.Sprint("call ", i), err)
	}
	if second.ID != "u1" || second.Amount != 5 || second.Metadata["k"] != "same" {
		t.Fatalf("retry in the batch got %+v, want the first record u1", second)
	}
	if b := balance(t, s); b != 92 {
		t.Fatalf("balance %d, want 100-5-3 = 92", b)
	}
	if n := count(t, s, "SELECT count(*) FROM §usage_records"); n != 2 {
		t.Fatalf("%d usage records, want 2", n)
	}
}

// A flush that fails (a record ID already in the database, found only at
// commit) makes every call run again on its own: only the faulty one fails.
func TestInBatchFlushFailureFallsBack(t *testing.T) {
	s := newStore(t)
	seedTeam(t, s, "t1", 100)
	noErr(t, "earlier record", s.InTx(ctx, charge("t1", "dup", "earlier", 1, nil)))
	errs, _ := inOneBatch(t, s, "t1",
		charge("t1", "u1", "k1", 2, nil),
		charge("t1", "dup", "k2", 4, nil), // same record ID as "earlier"
		charge("t1", "u3", "k3", 8, nil),
	)
	noErr(t, "call 0", errs[0])
	if !errors.Is(errs[1], team.ErrConflict) {
		t.Fatalf("call 1: %v, want ErrConflict", errs[1])
	}
	noErr(t, "call 2", errs[2])
	if b := balance(t, s); b != 100-1-2-8 {
		t.Fatalf("balance %d, want %d", b, 100-1-2-8)
	}
	if _, err := s.UsageByKey(ctx, "t1", "k2"); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("failed charge recorded: %v", err)
	}
	if n := count(t, s, "SELECT count(*) FROM §usage_records"); n != 3 {
		t.Fatalf("%d usage records, want 3", n)
	}
	if st := s.BatchStats(); st.FellBack != 1 || st.Batches != 0 {
		t.Fatalf("stats %+v, want one batch that fell back", st)
	}
}

// A panicking fn leaves no trace; its caller gets the panic; the others of
// the batch commit.
func TestInBatchPanicIsRaisedInItsCaller(t *testing.T) {
	s := newStore(t)
	seedTeam(t, s, "t1", 100)
	errs, panics := inOneBatch(t, s, "t1",
		charge("t1", "u1", "k1", 1, nil),
		func(ctx context.Context, tx team.Tx) error {
			if err := charge("t1", "u2", "k2", 50, nil)(ctx, tx); err != nil {
				return err
			}
			panic("boom")
		},
		charge("t1", "u3", "k3", 2, nil),
	)
	if panics[1] != "boom" || panics[0] != nil || panics[2] != nil {
		t.Fatalf("panics %v, want boom in call 1 only", panics)
	}
	noErr(t, "call 0", errs[0])
	noErr(t, "call 2", errs[2])
	if b := balance(t, s); b != 97 {
		t.Fatalf("balance %d, want 100-1-2 = 97", b)
	}
}

// Writes the batch cannot buffer run under a savepoint: a failing fn's
// writes go, a succeeding fn's stay, and reads see everything before.
func TestInBatchUnbufferedWrites(t *testing.T) {
	s := newStore(t)
	seedTeam(t, s, "t1", 100)
	event := func(id string, seq uint64) audit.Event {
		return audit.Event{ID: id, TeamID: "t1", Seq: seq, Time: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), ActorID: "owner", Action: "x"}
	}
	boom := errors.New("boom")
	var totals []billing.MemberUsage
	errs, _ := inOneBatch(t, s, "t1",
		charge("t1", "u1", "k1", 1, nil),
		func(ctx context.Context, tx team.Tx) error { // fails after a savepoint write
			if err := charge("t1", "u2", "k2", 10, nil)(ctx, tx); err != nil {
				return err
			}
			if err := tx.AppendAuditEvent(ctx, event("e-failed", 1)); err != nil {
				return err
			}
			if err := charge("t1", "u2b", "k2b", 10, nil)(ctx, tx); err != nil {
				return err
			}
			return boom
		},
		func(ctx context.Context, tx team.Tx) error { // succeeds with one
			if err := charge("t1", "u3", "k3", 2, nil)(ctx, tx); err != nil {
				return err
			}
			return tx.AppendAuditEvent(ctx, event("e-kept", 1))
		},
		charge("t1", "u4", "k4", 4, nil),
		func(ctx context.Context, tx team.Tx) error { // reads everything so far
			var err error
			totals, err = tx.UsageTotals(ctx, "t1", time.Time{}, time.Time{})
			return err
		},
		charge("t1", "u5", "k5", 8, nil),
	)
	for i, err := range errs {
		if i == 1 {
			if !errors.Is(err, boom) {
				t.Fatalf("call 1: %v, want boom", err)
			}
			continue
		}
		noErr(t, fmt.Sprint("call ", i), err)
	}
	if b := balance(t, s); b != 100-1-2-4-8 {
		t.Fatalf("balance %d, want %d", b, 100-1-2-4-8)
	}
	if len(totals) != 1 || totals[0].Amount != 1+2+4 || totals[0].Records != 3 {
		t.Fatalf("totals in the batch %+v, want 7 tokens in 3 records", totals)
	}
	evs, err := s.AuditEvents(ctx, "t1", audit.Filter{})
	noErr(t, "AuditEvents", err)
	if len(evs) != 1 || evs[0].ID != "e-kept" {
		t.Fatalf("events %+v, want only e-kept", evs)
	}
	if n := count(t, s, "SELECT count(*) FROM §usage_records"); n != 4 {
		t.Fatalf("%d usage records, want 4", n)
	}
	if st := s.BatchStats(); st.Batches != 1 || st.Retried != 0 || st.FellBack != 0 {
		t.Fatalf("stats %+v, want one batch, committed at the first attempt", st)
	}
}

// A queued call whose ctx ends before its batch runs returns the ctx's
// error and writes nothing.
func TestInBatchCancelledWhileQueued(t *testing.T) {
	s := newStore(t)
	seedTeam(t, s, "t1", 100)
	started, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		noErr(t, "blocker", s.InBatch(ctx, "t1", func(ctx context.Context, tx team.Tx) error {
			close(started)
			<-release
			return nil
		}))
	})
	<-started
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.InBatch(cctx, "t1", charge("t1", "u1", "k1", 5, nil)) }()
	for s.Queued("t1") != 1 {
		time.Sleep(100 * time.Microsecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v, want context.Canceled", err)
	}
	close(release)
	wg.Wait()
	if b := balance(t, s); b != 100 {
		t.Fatalf("balance %d, want 100", b)
	}
}

// With WithoutBatching, InBatch is InTx: each call its own transaction.
func TestWithoutBatching(t *testing.T) {
	s := newStore(t, postgres.WithoutBatching())
	seedTeam(t, s, "t1", 100)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			noErr(t, "InBatch", s.InBatch(ctx, "t1", charge("t1", fmt.Sprint("u", i), fmt.Sprint("k", i), 1, nil)))
		})
	}
	wg.Wait()
	if n := transactions(t, s, "t1"); n != 8 {
		t.Fatalf("8 charges in %d transactions, want 8", n)
	}
	if b := balance(t, s); b != 92 {
		t.Fatalf("balance %d, want 92", b)
	}
}

// Rule SEC-3: many concurrent batched charges on one team and on a second
// team billed to the same account: balance = start − accepted, never
// negative, every accepted charge recorded once.
func TestInBatchConcurrentCharges(t *testing.T) {
	s := newStore(t, postgres.WithMaxBatch(8))
	seedTeam(t, s, "t1", 500)
	seedTeam(t, s, "t2", 0) // same owner, same account
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted int64
	)
	for g := range 32 {
		wg.Go(func() {
			teamID := []string{"t1", "t2"}[g%2]
			for i := range 10 {
				amount := int64(1 + (g+i)%3)
				key := fmt.Sprintf("g%d-%d", g, i%8) // some keys repeat: retries
				var rec billing.UsageRecord
				err := s.InBatch(ctx, teamID, charge(teamID, fmt.Sprintf("%s-g%d-%d", teamID, g, i), key, amount, &rec))
				switch {
				case err == nil && rec.ID == fmt.Sprintf("%s-g%d-%d", teamID, g, i):
					mu.Lock()
					accepted += amount
					mu.Unlock()
				case err == nil: // a retry of an earlier key
				case errors.Is(err, billing.ErrInsufficientBalance):
				default:
					t.Errorf("charge: %v", err)
				}
			}
		})
	}
	wg.Wait()
	b := balance(t, s)
	if b < 0 || b != 500-accepted {
		t.Fatalf("balance %d, want 500 - %d accepted = %d", b, accepted, 500-accepted)
	}
	if sum := count(t, s, "SELECT coalesce(sum(amount), 0) FROM §usage_records"); int64(sum) != accepted {
		t.Fatalf("records sum to %d, accepted %d", sum, accepted)
	}
}

// Rule BILL-4 across batches: a retried key committed earlier returns its
// first record even when the batch first assumed the key new (and even
// when the balance could not pay the charge again).
func TestInBatchRetryOfCommittedKey(t *testing.T) {
	s := newStore(t)
	seedTeam(t, s, "t1", 30)
	noErr(t, "earlier charge", s.InTx(ctx, charge("t1", "first", "retried", 25, nil)))
	var retry billing.UsageRecord
	errs, _ := inOneBatch(t, s, "t1",
		charge("t1", "u1", "k1", 2, nil),
		charge("t1", "second", "retried", 25, &retry), // 3 left: only the first record saves it
		charge("t1", "u3", "k3", 1, nil),
	)
	for i, err := range errs {
		noErr(t, fmt.Sprint("call ", i), err)
	}
	if retry.ID != "first" {
		t.Fatalf("retry got record %q, want the first one", retry.ID)
	}
	if b := balance(t, s); b != 30-25-2-1 {
		t.Fatalf("balance %d, want %d", b, 30-25-2-1)
	}
	if n := count(t, s, "SELECT count(*) FROM §usage_records"); n != 3 {
		t.Fatalf("%d usage records, want 3", n)
	}
	if n := transactions(t, s, "t1"); n != 2 {
		t.Fatalf("records written by %d transactions, want 2 (the earlier charge, one batch)", n)
	}
	if st := s.BatchStats(); st.Retried != 1 || st.Batches != 1 || st.FellBack != 0 {
		t.Fatalf("stats %+v, want one batch committed on its second, reading attempt", st)
	}
}

// Rule BILL-4 across batches, when the batch records the key again: a
// retried key committed earlier, which the batch assumed new and would
// charge again (the balance can pay), is caught by the unique index as the
// batch inserts its records; the batch then runs once more reading each
// key, and the retry returns the first record without charging.
func TestInBatchRetryOfCommittedKeyCaughtByIndex(t *testing.T) {
	s := newStore(t)
	seedTeam(t, s, "t1", 100)
	noErr(t, "earlier charge", s.InTx(ctx, charge("t1", "first", "retried", 25, nil)))
	var retry billing.UsageRecord
	errs, _ := inOneBatch(t, s, "t1",
		charge("t1", "u1", "k1", 2, nil),
		charge("t1", "second", "retried", 25, &retry), // 73 left: it would be paid again
		charge("t1", "u3", "k3", 1, nil),
	)
	for i, err := range errs {
		noErr(t, fmt.Sprint("call ", i), err)
	}
	if retry.ID != "first" {
		t.Fatalf("retry got record %q, want the first one", retry.ID)
	}
	if b := balance(t, s); b != 100-25-2-1 {
		t.Fatalf("balance %d, want %d", b, 100-25-2-1)
	}
	if n := count(t, s, "SELECT count(*) FROM §usage_records"); n != 3 {
		t.Fatalf("%d usage records, want 3", n)
	}
	if st := s.BatchStats(); st.Retried != 1 || st.Batches != 1 || st.FellBack != 0 {
		t.Fatalf("stats %+v, want one batch committed on its second, reading attempt", st)
	}
}
