package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// BatchingStore is a Store that also implements team.Batcher.
type BatchingStore interface {
	team.Store
	team.Batcher
}

// RunBatcher runs the conformance suite of the team.Batcher contract
// against stores that newStore returns, one subtest per sentence of the
// contract, each with its own store. The calls of a subtest run
// concurrently with one key, so that a store that groups them does; the
// checks hold whether or not it did.
//
// The suite's contract for a panic in fn, which team.Batcher leaves open:
// InBatch raises it again in the caller's goroutine with fn's writes
// discarded, and the other calls are not affected.
func RunBatcher(t *testing.T, newStore func(t *testing.T) BatchingStore) {
	t.Helper()
	for _, c := range []struct {
		name string
		run  func(t *testing.T, s BatchingStore)
	}{
		{"InBatch/NilMeansCommitted", testBatchCommit},
		{"InBatch/ErrorMeansNothingWritten", testBatchRefusal},
		{"InBatch/FailingCallDoesNotFailOthers", testBatchFailureIsolated},
		{"InBatch/FnRunsAgainAndSetsResultsAfresh", testBatchResultsAfresh},
		{"InBatch/ContextEndingForOneCaller", testBatchOneCallerCancelled},
		{"InBatch/PanicIsRaisedInItsCaller", testBatchPanic},
		{"InBatch/DeadlineWhileLockHeldElsewhere", testBatchDeadlineLocked},
		{"InBatch/DeadlineWhileBatchBusy", testBatchDeadlineBusy},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newStore(t))
		})
	}
}

// batchFixture is a team, its owner's membership and account.
type batchFixture struct {
	tm     team.Team
	owner  string
	acct   billing.Account
	amount int64 // the account's starting balance
}

func newBatchFixture(t *testing.T, s team.Store) batchFixture {
	t.Helper()
	owner := newID(t, "user")
	f := batchFixture{tm: newTeam(t, team.Collaboration, owner), owner: owner, acct: newAccount(t, owner)}
	f.amount = f.acct.Balance
	seed(t, s, f.tm, newMember(t, f.tm.ID, owner, "owner", at(0)), f.acct)
	return f
}

// charge is the service's usage charge: lock the team, look the key up,
// lock and debit the owner's account, record. *got is set on every run:
// to the record the run ends with (the earlier one for a known key).
func (f batchFixture) charge(t *testing.T, key string, amount int64, got *billing.UsageRecord) func(ctx context.Context, tx team.Tx) error {
	id := newID(t, "usage")
	return func(ctx context.Context, tx team.Tx) error {
		*got = billing.UsageRecord{}
		if _, err := tx.LockTeam(ctx, f.tm.ID); err != nil {
			return err
		}
		if prev, err := tx.UsageByKey(ctx, f.tm.ID, key); err == nil {
			*got = prev
			return nil
		} else if !errors.Is(err, team.ErrNotFound) {
			return err
		}
		acct, err := tx.LockAccount(ctx, f.owner)
		if err != nil {
			return err
		}
		debited, err := acct.Debit(amount)
		if err != nil {
			return err // a refusal, before the first write
		}
		if err := tx.UpdateAccount(ctx, debited); err != nil {
			return err
		}
		r := billing.UsageRecord{ID: id, TeamID: f.tm.ID, UserID: f.owner, AccountID: acct.ID, Amount: amount,
			Time: at(1), IdempotencyKey: key}
		if err := tx.InsertUsage(ctx, r); err != nil {
			return err
		}
		*got = r
		return nil
	}
}

// concurrently runs the fns with InBatch(f.tm.ID) at once and returns
// their errors.
func (f batchFixture) concurrently(s BatchingStore, fns ...func(ctx context.Context, tx team.Tx) error) []error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = s.InBatch(context.Background(), f.tm.ID, fn) })
	}
	wg.Wait()
	return errs
}

func (f batchFixture) balance(t *testing.T, s team.Store) int64 {
	t.Helper()
	a, err := s.Account(context.Background(), f.owner)
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	return a.Balance
}

// recorded reports whether key has a usage record in the committed state.
func (f batchFixture) recorded(t *testing.T, s team.Store, key string) bool {
	t.Helper()
	_, err := s.UsageByKey(context.Background(), f.tm.ID, key)
	if err != nil && !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("UsageByKey: %v", err)
	}
	return err == nil
}

// When InBatch returns nil, fn's writes are committed.
func testBatchCommit(t *testing.T, s BatchingStore) {
	f := newBatchFixture(t, s)
	const n = 8
	fns, got := make([]func(context.Context, team.Tx) error, n), make([]billing.UsageRecord, n)
	for i := range fns {
		fns[i] = f.charge(t, fmt.Sprint("k", i), 1, &got[i])
	}
	for i, err := range f.concurrently(s, fns...) {
		if err != nil {
			t.Fatalf("charge %d: %v", i, err)
		}
		if !f.recorded(t, s, got[i].IdempotencyKey) {
			t.Errorf("charge %d returned nil, its record is not committed", i)
		}
	}
	if b := f.balance(t, s); b != f.amount-n {
		t.Fatalf("balance %d, want %d", b, f.amount-n)
	}
}

// When InBatch returns an error, none of fn's writes are committed (a
// refusal made before the first write).
func testBatchRefusal(t *testing.T, s BatchingStore) {
	f := newBatchFixture(t, s)
	var r1, r2, r3 billing.UsageRecord
	errs := f.concurrently(s, f.charge(t, "ok1", 1, &r1), f.charge(t, "too-much", f.amount+1, &r2), f.charge(t, "ok2", 2, &r3))
	if !errors.Is(errs[1], billing.ErrInsufficientBalance) {
		t.Fatalf("charge over the balance: %v, want ErrInsufficientBalance", errs[1])
	}
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("the other charges: %v, %v", errs[0], errs[2])
	}
	if f.recorded(t, s, "too-much") {
		t.Fatal("the refused charge's record is committed")
	}
	if b := f.balance(t, s); b != f.amount-3 {
		t.Fatalf("balance %d, want %d", b, f.amount-3)
	}
}

// A call whose fn fails, after writing, leaves none of its writes and
// does not fail the others sharing its batch.
func testBatchFailureIsolated(t *testing.T, s BatchingStore) {
	f := newBatchFixture(t, s)
	var r1, r2, r3 billing.UsageRecord
	failing := func(ctx context.Context, tx team.Tx) error {
		if err := f.charge(t, "fails", 10, &r2)(ctx, tx); err != nil {
			return err
		}
		return errBoom
	}
	errs := f.concurrently(s, f.charge(t, "ok1", 1, &r1), failing, f.charge(t, "ok2", 2, &r3))
	if !errors.Is(errs[1], errBoom) {
		t.Fatalf("failing fn: %v, want its error", errs[1])
	}
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("the others: %v, %v", errs[0], errs[2])
	}
	if f.recorded(t, s, "fails") || !f.recorded(t, s, "ok1") || !f.recorded(t, s, "ok2") {
		t.Fatal("committed records do not match the outcomes")
	}
	if b := f.balance(t, s); b != f.amount-3 {
		t.Fatalf("balance %d, want %d (the failing fn's debit discarded)", b, f.amount-3)
	}
}

// fn may run more than once; the results of the run InBatch reports are
// the committed ones. Charges that repeat a committed key among new ones
// make a store that assumes keys new run its batch again.
func testBatchResultsAfresh(t *testing.T, s BatchingStore) {
	f := newBatchFixture(t, s)
	var first billing.UsageRecord
	if err := s.InBatch(context.Background(), f.tm.ID, f.charge(t, "dup", 5, &first)); err != nil {
		t.Fatalf("first charge: %v", err)
	}
	const n = 6
	fns, got := make([]func(context.Context, team.Tx) error, n), make([]billing.UsageRecord, n)
	for i := range fns {
		key := fmt.Sprint("new", i)
		if i%2 == 0 {
			key = "dup"
		}
		fns[i] = f.charge(t, key, 1, &got[i])
	}
	for i, err := range f.concurrently(s, fns...) {
		if err != nil {
			t.Fatalf("charge %d: %v", i, err)
		}
		stored, err := s.UsageByKey(context.Background(), f.tm.ID, got[i].IdempotencyKey)
		if err != nil || stored.ID != got[i].ID || stored.Amount != got[i].Amount {
			t.Fatalf("charge %d reported %+v, stored %+v (%v)", i, got[i], stored, err)
		}
		if i%2 == 0 && got[i].ID != first.ID {
			t.Fatalf("charge %d of a committed key reported a new record %s, want %s", i, got[i].ID, first.ID)
		}
	}
	if b := f.balance(t, s); b != f.amount-5-n/2 {
		t.Fatalf("balance %d, want %d", b, f.amount-5-n/2)
	}
}

// One caller's ctx ending does not abort the shared transaction: that
// caller gets the ctx error and none of its writes, the others commit.
func testBatchOneCallerCancelled(t *testing.T, s BatchingStore) {
	f := newBatchFixture(t, s)
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wrote := make(chan struct{})
	var r billing.UsageRecord
	cancelled := make(chan error, 1)
	go func() {
		cancelled <- s.InBatch(cctx, f.tm.ID, func(ctx context.Context, tx team.Tx) error {
			if err := f.charge(t, "cancelled", 10, &r)(ctx, tx); err != nil {
				return err
			}
			select {
			case wrote <- struct{}{}:
			default: // a second run
			}
			select { // fn outlives its caller's ctx
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			return nil
		})
	}()
	<-wrote
	var r1, r2 billing.UsageRecord
	others := make(chan []error, 1)
	go func() { others <- f.concurrently(s, f.charge(t, "ok1", 1, &r1), f.charge(t, "ok2", 2, &r2)) }()
	cancel()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v, want an error matching context.Canceled", err)
	}
	for i, err := range <-others {
		if err != nil {
			t.Fatalf("other caller %d: %v", i, err)
		}
	}
	if f.recorded(t, s, "cancelled") {
		t.Fatal("the cancelled caller's record is committed")
	}
	if b := f.balance(t, s); b != f.amount-3 {
		t.Fatalf("balance %d, want %d", b, f.amount-3)
	}
}

// A panic in fn is raised again in its caller with fn's writes discarded;
// the others sharing the batch are not affected.
func testBatchPanic(t *testing.T, s BatchingStore) {
	f := newBatchFixture(t, s)
	var r1, r2, r3 billing.UsageRecord
	var recovered any
	panicking := func(ctx context.Context, tx team.Tx) error {
		if err := f.charge(t, "panics", 10, &r2)(ctx, tx); err != nil {
			return err
		}
		panic("storetest: boom")
	}
	var wg sync.WaitGroup
	var errs []error
	wg.Go(func() { errs = f.concurrently(s, f.charge(t, "ok1", 1, &r1), f.charge(t, "ok2", 2, &r3)) })
	wg.Go(func() {
		defer func() { recovered = recover() }()
		_ = s.InBatch(context.Background(), f.tm.ID, panicking)
	})
	wg.Wait()
	if recovered != "storetest: boom" {
		t.Fatalf("caller recovered %v, want fn's panic", recovered)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("other caller %d: %v", i, err)
		}
	}
	if f.recorded(t, s, "panics") {
		t.Fatal("the panicking fn's record is committed")
	}
	if b := f.balance(t, s); b != f.amount-3 {
		t.Fatalf("balance %d, want %d", b, f.amount-3)
	}
}

// expectDeadline runs fn with InBatch under a 300 ms deadline and checks
// that it returns within 1 s with an error matching
// context.DeadlineExceeded (rule SEC-5). After 2 s it gives up and calls
// release so that the call can end.
func expectDeadline(t *testing.T, s BatchingStore, key string, fn func(ctx context.Context, tx team.Tx) error, release func()) {
	t.Helper()
	dctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- s.InBatch(dctx, key, fn) }()
	select {
	case err := <-done:
		if took := time.Since(start); took > time.Second {
			t.Errorf("InBatch with a 300 ms deadline returned after %v, want < 1s", took)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("InBatch: %v, want an error matching context.DeadlineExceeded", err)
		}
	case <-time.After(2 * time.Second):
		t.Errorf("InBatch with a 300 ms deadline still waits after 2s")
		release()
		<-done
	}
}

// Rule SEC-5: a call whose batch waits for a team lock another unit of
// work holds returns at its deadline, with none of its writes.
func testBatchDeadlineLocked(t *testing.T, s BatchingStore) {
	f := newBatchFixture(t, s)
	locked, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	unlock := func() { once.Do(func() { close(release) }) }
	holder := make(chan error, 1)
	go func() {
		holder <- s.InTx(context.Background(), func(ctx context.Context, tx team.Tx) error {
			if _, err := tx.LockTeam(ctx, f.tm.ID); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	var r billing.UsageRecord
	expectDeadline(t, s, f.tm.ID, f.charge(t, "late", 1, &r), unlock)
	unlock()
	if err := <-holder; err != nil {
		t.Fatalf("lock holder: %v", err)
	}
	if f.recorded(t, s, "late") || f.balance(t, s) != f.amount {
		t.Fatal("the expired call's charge is committed")
	}
	if err := s.InBatch(context.Background(), f.tm.ID, f.charge(t, "after", 1, &r)); err != nil {
		t.Fatalf("charge after the lock is gone: %v", err)
	}
}

// Rule SEC-5: a call queued behind a batch that does not end returns at
// its deadline, with none of its writes.
func testBatchDeadlineBusy(t *testing.T, s BatchingStore) {
	f := newBatchFixture(t, s)
	busy, release := make(chan struct{}), make(chan struct{})
	var busyOnce, once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	blocker := make(chan error, 1)
	go func() {
		blocker <- s.InBatch(context.Background(), f.tm.ID, func(ctx context.Context, tx team.Tx) error {
			busyOnce.Do(func() { close(busy) })
			<-release
			return nil
		})
	}()
	<-busy
	var r billing.UsageRecord
	expectDeadline(t, s, f.tm.ID, f.charge(t, "late", 1, &r), unblock)
	unblock()
	if err := <-blocker; err != nil {
		t.Fatalf("blocking call: %v", err)
	}
	if f.recorded(t, s, "late") || f.balance(t, s) != f.amount {
		t.Fatal("the expired call's charge is committed")
	}
}
