package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/teamkit/teamkit/team"
)

// Rule SEC-5 on SQLite: a charge that waits for the writer, held by a
// host transaction, returns at its deadline (well under a second) with
// none of its writes; the charge afterwards succeeds.
func TestDeadlineWhileWriterHeld_SEC5(t *testing.T) {
	e := newSvcEnv(t)
	owner := userNamed("owner")
	tm := e.teamOf(owner)
	_, err := e.svc.TopUp(ctx, team.TopUpParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 100})
	noErr(t, "TopUp", err)

	host, err := e.st.DB().BeginTx(ctx, nil) // holds the one writer connection
	noErr(t, "BeginTx", err)
	dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = e.svc.RecordUsage(dctx, team.RecordUsageParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 7, IdempotencyKey: "sec5"})
	took := time.Since(start)
	noErr(t, "host Rollback", host.Rollback())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RecordUsage while the writer is held: %v, want an error matching context.DeadlineExceeded", err)
	}
	if took > time.Second {
		t.Fatalf("RecordUsage with a 300 ms deadline returned after %v, want < 1s", took)
	}
	if _, err := e.st.UsageByKey(ctx, tm.ID, "sec5"); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("the timed-out charge left a record: %v", err)
	}
	_, err = e.svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 7, IdempotencyKey: "sec5"})
	noErr(t, "RecordUsage after the writer is free", err)
}

// Rule SEC-5 across processes: a unit of work on a second Store of the
// same file, waiting in SQLite's busy handler for the first Store's write
// lock, gives up at its deadline too, not at the busy timeout.
func TestDeadlineWhileOtherStoreHoldsLock_SEC5(t *testing.T) {
	a := newStore(t)
	b := openStore(t, a.Path())
	host, err := a.DB().BeginTx(ctx, nil) // BEGIN IMMEDIATE: the file's write lock
	noErr(t, "BeginTx", err)
	defer func() { _ = host.Rollback() }()
	dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = b.InTx(dctx, func(ctx context.Context, tx team.Tx) error { return nil })
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("InTx while another store holds the lock: %v, want an error matching context.DeadlineExceeded", err)
	}
	if took > time.Second {
		t.Fatalf("InTx with a 300 ms deadline returned after %v (busy timeout %v), want < 1s", took, 5*time.Second)
	}
}
