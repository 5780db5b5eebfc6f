package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/teamkit/teamkit/team"
)

// Group commit (team.Batcher); the package doc says why and how.
//
// Concurrent InBatch calls with the same key queue up; a leader goroutine
// (lead) runs their fns one at a time (up to maxBatch) in one transaction,
// through a batchTx. The batchTx buffers account updates and usage
// inserts in Go and caches what the charge reads: the locked team (locked
// together with its memberships and its owner's account in one round
// trip, which also carries the transaction's BEGIN: see lazyTx), and
// locked accounts. Idempotency keys of a locked team are first assumed new
// and all checked at once when the batch commits: by the unique index on
// (team, key) as the batch's records are inserted, and, for keys a fn
// assumed new without recording them (a refused charge), by one query
// (usage_keys_absent), sent only then. Before each fn the batchTx
// snapshots its buffers; when the fn fails it restores them, so the fn
// leaves no trace. A write the batchTx cannot buffer moves the buffers to
// the database and opens a savepoint for the rest of that fn.
//
// When no call is left to take, the leader hands the queue to a new leader
// (whose batch then waits for the team lock while this one commits), seals
// the calls it holds (a caller that left before cannot be sealed, and the
// batch then rolls back) and sends, in one round trip, the key check if
// any, one UPDATE per account, one INSERT for all usage records and the
// COMMIT. If a key assumed new exists, the batch runs once more reading
// each key; if anything else fails, every call runs again on its own with
// InTx, so no call fails for another's problem.
//
// Callers wait in InBatch for their result or their ctx. The batch's
// statements run on batchRun.ctx, which is cancelled when no caller of the
// batch waits any more.

// commitGrace is how long a COMMIT in flight may still take once the
// caller's ctx has ended before the caller is told ErrCommitOutcomeUnknown.
const commitGrace = 500 * time.Millisecond

// ErrCommitOutcomeUnknown matches the error of a unit of work whose COMMIT
// was in flight when the caller's ctx ended and did not answer within
// 500 ms more: its writes may or may not be committed. Read the state back
// before acting on it (a usage charge can be retried with the same
// idempotency key: it returns the first record if that one committed).
var ErrCommitOutcomeUnknown = errors.New("postgres: the outcome of the unit of work's COMMIT is unknown; read the state back before retrying")

// errCallerLeft: a caller whose writes the batch held left before the
// commit; the batch rolls back and its other calls run again on their own.
var errCallerLeft = errors.New("postgres: batch: a caller left before the commit")

// batches holds the queues of InBatch calls by key.
type batches struct {
	mu     sync.Mutex
	queues map[string]*batchQueue

	committed, calls, retried, fellBack atomic.Int64
}

// BatchStats counts what InBatch did since the store was made.
type BatchStats struct {
	Batches  int64 // batch transactions committed
	Calls    int64 // calls that ran in a committed batch
	Retried  int64 // batches run a second time because a key assumed new existed
	FellBack int64 // batches whose calls ran again one by one with InTx
}

// BatchStats returns counters of group commit, for monitoring: the average
// batch size is Calls / Batches.
func (s *Store) BatchStats() BatchStats {
	b := &s.batches
	return BatchStats{Batches: b.committed.Load(), Calls: b.calls.Load(), Retried: b.retried.Load(), FellBack: b.fellBack.Load()}
}

// batchQueue holds the calls of one key waiting for a leader. While the
// queue is in batches.queues, exactly one leader goroutine answers for it.
type batchQueue struct {
	pending []*batchCall
}

// States of a batchCall once a leader took it (batchCall.state).
const (
	callTaken     int32 = iota // its fn runs, or ran, in a batch
	callAbandoned              // its caller left (ctx done) before the commit: its writes must not commit
	callSealed                 // its writes are in the commit: its caller waits for the outcome
)

// batchCall is one InBatch call.
type batchCall struct {
	ctx   context.Context
	fn    func(ctx context.Context, tx team.Tx) error
	done  chan batchResult // buffered; receives at most one result
	run   *batchRun        // set (under batches.mu) when a leader takes the call
	state atomic.Int32
}

// batchResult is what a waiting call learns: run again on its own (the
// batch failed), or its fn's outcome.
type batchResult struct {
	rerun    bool
	err      error
	panicked bool
	panicVal any
}

// batchRun is one leader's batch: the context its statements run on and
// how many of its callers still wait. When the last one leaves (ctx done),
// the context is cancelled, at once before the commit and after
// commitGrace once it is sealed, so a batch never waits for a lock or an
// answer on behalf of no one.
type batchRun struct {
	ctx    context.Context
	cancel context.CancelFunc
	live   atomic.Int32
	sealed atomic.Bool
}

func (r *batchRun) leave() {
	if r.live.Add(-1) != 0 {
		return
	}
	if r.sealed.Load() {
		time.AfterFunc(commitGrace, r.cancel)
	} else {
		r.cancel()
	}
}

// InBatch implements team.Batcher: it runs fn with the guarantees of InTx as
// the caller sees them, possibly in one transaction shared with concurrent
// InBatch calls of the same key (group commit). When it returns nil, fn's
// writes are committed; when it returns an error, none are (except an error
// matching ErrCommitOutcomeUnknown, see there). fn must make every refusal
// before its first write, and may be run again (as after a failed commit),
// so it must set its results on every run. A panic in fn is raised again in
// the caller's goroutine, with fn's writes discarded; the other calls of
// the batch are not affected.
//
// A ctx carrying a host transaction (WithTx) is never batched: the call runs
// like InTx. With WithoutBatching every call runs like InTx.
//
// The shared transaction is not cancelled by any one caller's ctx. A caller
// whose ctx ends before the batch's commit starts returns at once with an
// error matching ctx.Err(), and the batch commits without its writes. A
// caller whose ctx ends while the commit is in flight gets the commit's
// outcome, waiting at most commitGrace (500 ms) more for it.
func (s *Store) InBatch(ctx context.Context, key string, fn func(ctx context.Context, tx team.Tx) error) error {
	if !s.batching || hostTx(ctx) != nil {
		return s.InTx(ctx, fn)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("postgres: unit of work not started: %w", err)
	}
	c := &batchCall{ctx: ctx, fn: fn, done: make(chan batchResult, 1)}
	b := &s.batches
	b.mu.Lock()
	q, ok := b.queues[key]
	if !ok {
		q = &batchQueue{}
		b.queues[key] = q
	}
	q.pending = append(q.pending, c)
	b.mu.Unlock()
	if !ok { // first of its key: a leader answers for the queue
		go s.lead(key, q)
	}

	var r batchResult
	select {
	case r = <-c.done:
		return s.outcome(c, r)
	case <-ctx.Done():
	}
	b.mu.Lock()
	if i := slices.Index(q.pending, c); i >= 0 { // not taken yet: withdraw
		q.pending = slices.Delete(q.pending, i, i+1)
		b.mu.Unlock()
		return fmt.Errorf("postgres: unit of work not started: %w", ctx.Err())
	}
	b.mu.Unlock()
	select {
	case r = <-c.done:
		return s.outcome(c, r)
	default:
	}
	run := c.run
	if c.state.CompareAndSwap(callTaken, callAbandoned) {
		run.leave()
		return fmt.Errorf("postgres: unit of work rolled back: %w", ctx.Err())
	}
	// Sealed: the commit that holds fn's writes is in flight.
	run.leave()
	t := time.NewTimer(commitGrace)
	defer t.Stop()
	select {
	case r = <-c.done:
		return s.outcome(c, r)
	case <-t.C:
		return fmt.Errorf("%w: the batch's COMMIT did not answer within %v of the caller's context ending (%v)",
			ErrCommitOutcomeUnknown, commitGrace, ctx.Err())
	}
}

// outcome turns a batch's result for c into InBatch's return.
func (s *Store) outcome(c *batchCall, r batchResult) error {
	switch {
	case r.rerun:
		return s.InTx(c.ctx, c.fn)
	case r.panicked:
		panic(r.panicVal)
	}
	return r.err
}

// lead runs batches of q's calls until none is pending; it runs in its own
// goroutine, so that no caller waits longer than its ctx allows. Once a
// batch takes no more calls it hands q to a new leader (whose batch then
// waits for the team lock while this one commits).
func (s *Store) lead(key string, q *batchQueue) {
	b := &s.batches
	bctx, cancel := context.WithCancel(context.Background())
	run := &batchRun{ctx: bctx, cancel: cancel}
	defer cancel()

	var calls []*batchCall
	// take hands the batch the next queued call, while it has room. Calls
	// are taken one at a time, as the previous one is done, so those that
	// queue while the batch waits for a lock (the previous batch's commit)
	// still join it.
	take := func() *batchCall {
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(calls) >= s.maxBatch || len(q.pending) == 0 {
			return nil
		}
		c := q.pending[0]
		q.pending = slices.Delete(q.pending, 0, 1)
		c.run = run
		run.live.Add(1)
		calls = append(calls, c)
		return c
	}
	handedOff := false
	handOff := func() {
		if handedOff {
			return
		}
		handedOff = true
		b.mu.Lock()
		if len(q.pending) > 0 {
			go s.lead(key, q)
		} else {
			delete(b.queues, key)
		}
		b.mu.Unlock()
	}
	defer handOff()
	if take() == nil { // every call withdrew before this leader started
		return
	}
	results := s.runBatch(run, &calls, take, handOff)
	for i, c := range calls {
		c.done <- results[i]
	}
}

// runBatch runs the calls in one transaction, taking more with take, and
// returns their outcomes. handOff is called once no call is taken any
// more, before the commit.
//
// The first attempt is optimistic: idempotency keys of locked teams that
// are not in the batch's buffer are assumed absent from the database, and
// all assumptions are checked with one query at the flush. When one was
// wrong (a retried key), the same calls run once more reading every key;
// when anything else fails, every call runs again on its own with InTx.
func (s *Store) runBatch(run *batchRun, calls *[]*batchCall, take func() *batchCall, handOff func()) []batchResult {
	results, err := s.tryBatch(run, calls, take, true, handOff)
	if errors.Is(err, errStaleAssumption) {
		s.batches.retried.Add(1)
		results, err = s.tryBatch(run, calls, nil, false, handOff)
	}
	if err == nil {
		s.batches.committed.Add(1)
		s.batches.calls.Add(int64(len(*calls)))
	} else {
		s.batches.fellBack.Add(1)
		for i := range results {
			if !results[i].panicked {
				results[i] = batchResult{rerun: true}
			}
		}
	}
	return results
}

// tryBatch runs *calls, and those take adds (take may be nil), in one
// transaction; an error means it rolled back.
func (s *Store) tryBatch(run *batchRun, calls *[]*batchCall, take func() *batchCall, optimistic bool, handOff func()) ([]batchResult, error) {
	results := make([]batchResult, len(*calls), cap(*calls))
	// The transaction serves every caller, so no one caller's cancellation
	// may end it; each caller's ctx is checked around its own fn, and the
	// batch's ends when no caller waits any more (batchRun).
	ctx := run.ctx
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		handOff()
		return results, err
	}
	// The pool takes the connection back only if its transaction ended
	// (otherwise it closes it).
	defer conn.Release()
	// BEGIN goes with the batch's first statements (LockTeam's).
	pgtx := &lazyTx{conn: conn.Conn()}
	bt := newBatchTx(ctx, s, pgtx)
	defer func() { s.reportChanged(bt.tx.changed) }() // before any caller gets its result
	bt.optimistic = optimistic
	err = func() error {
		for i := 0; ; i++ {
			if i == len(*calls) {
				if take == nil || take() == nil {
					break
				}
				results = append(results, batchResult{})
			}
			c := (*calls)[i]
			if err := c.ctx.Err(); err != nil {
				results[i] = batchResult{err: fmt.Errorf("postgres: unit of work not started: %w", err)}
				continue
			}
			bt.begin()
			panicked, pv, err := callFn(c, bt)
			if err == nil && !panicked {
				if cerr := c.ctx.Err(); cerr != nil {
					err = fmt.Errorf("postgres: unit of work rolled back: %w", cerr)
				}
			}
			if err != nil || panicked {
				results[i] = batchResult{err: err, panicked: panicked, panicVal: pv}
				if err := bt.discard(); err != nil {
					return err
				}
				continue
			}
			if err := bt.keep(); err != nil {
				return err
			}
		}
		handOff()
		// Seal the calls whose writes the commit holds; a caller that has
		// left already must not have its writes committed: the batch rolls
		// back and the others run again on their own.
		run.sealed.Store(true)
		for i, c := range *calls {
			if r := results[i]; r.err == nil && !r.panicked && !c.state.CompareAndSwap(callTaken, callSealed) && c.state.Load() != callSealed {
				return errCallerLeft
			}
		}
		return bt.flushAndCommit()
	}()
	if err != nil {
		handOff()
		_ = pgtx.Rollback(ctx)
	}
	return results, err
}

// callFn runs c.fn on tx and recovers a panic, which the caller re-raises
// in its own goroutine.
func callFn(c *batchCall, tx team.Tx) (panicked bool, pv any, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked, pv, err = true, p, nil
		}
	}()
	return false, nil, c.fn(c.ctx, tx)
}
