package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/teamkit/teamkit/team"
)

// Group commit (team.Batcher).
//
// Concurrent InBatch calls with the same key queue up. The first becomes the
// leader: it takes the queue (up to maxBatch calls, its own first) and runs
// their fns one after the other in one transaction through a batchTx, which
// buffers account updates and usage inserts in Go and caches locked teams,
// their memberships and locked accounts. Before each fn the batchTx takes a
// snapshot of its buffers; when the fn fails, it restores the snapshot, so
// the fn leaves no trace. A write the batchTx cannot buffer first moves the
// buffers to the database and opens a savepoint for the rest of that fn.
//
// When every fn has run, the leader hands leadership to the next queued call
// (whose batch then waits for the team lock while this one commits) and
// flushes the buffers: one UPDATE per account, one INSERT for all usage
// records, one COMMIT. If the flush or the commit fails, every call runs
// again on its own with InTx, so no call fails for another's problem.

// batches holds the queues of InBatch calls by key.
type batches struct {
	mu     sync.Mutex
	queues map[string]*batchQueue
}

// batchQueue holds the calls of one key waiting for a leader.
type batchQueue struct {
	pending []*batchCall
}

// batchCall is one InBatch call.
type batchCall struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx team.Tx) error
	done chan batchResult // buffered; receives exactly one result
}

// batchResult is what a waiting call learns: lead the next batch, run again
// on its own (the batch failed), or its fn's outcome.
type batchResult struct {
	lead     bool
	rerun    bool
	err      error
	panicked bool
	panicVal any
}

// InBatch implements team.Batcher: it runs fn with the guarantees of InTx as
// the caller sees them, possibly in one transaction shared with concurrent
// InBatch calls of the same key (group commit). When it returns nil, fn's
// writes are committed; when it returns an error, none are. fn must make
// every refusal before its first write, and may be run again (as after a
// failed commit), so it must set its results on every run.
//
// A ctx carrying a host transaction (WithTx) is never batched: the call runs
// like InTx. With WithoutBatching every call runs like InTx.
//
// The shared transaction is not cancelled by any one caller's ctx: a caller
// whose ctx is done gets ctx's error, and its fn's writes are discarded.
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
	if !ok { // first of its key: lead
		return s.lead(key, q, c)
	}

	var r batchResult
	select {
	case r = <-c.done:
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case r = <-c.done:
			b.mu.Unlock()
		default:
			if i := slices.Index(q.pending, c); i >= 0 { // not taken yet: withdraw
				q.pending = slices.Delete(q.pending, i, i+1)
				b.mu.Unlock()
				return fmt.Errorf("postgres: unit of work not started: %w", ctx.Err())
			}
			b.mu.Unlock()
			r = <-c.done // taken by a leader: wait for its outcome
		}
	}
	switch {
	case r.lead:
		return s.lead(key, q, c)
	case r.rerun:
		return s.InTx(ctx, fn)
	case r.panicked:
		panic(r.panicVal)
	}
	return r.err
}

// lead takes the queue of key, which holds self first, runs the batch and
// returns self's outcome.
func (s *Store) lead(key string, q *batchQueue, self *batchCall) error {
	b := &s.batches
	b.mu.Lock()
	n := min(len(q.pending), s.maxBatch)
	calls := slices.Clone(q.pending[:n])
	q.pending = slices.Delete(q.pending, 0, n)
	b.mu.Unlock()

	handedOff := false
	handOff := func() {
		if handedOff {
			return
		}
		handedOff = true
		b.mu.Lock()
		if len(q.pending) > 0 {
			q.pending[0].done <- batchResult{lead: true}
		} else {
			delete(b.queues, key)
		}
		b.mu.Unlock()
	}
	defer handOff()

	results := s.runBatch(calls, handOff)
	var mine batchResult
	for i, c := range calls {
		if c == self {
			mine = results[i]
			continue
		}
		c.done <- results[i]
	}
	switch {
	case mine.rerun:
		return s.InTx(self.ctx, self.fn)
	case mine.panicked:
		panic(mine.panicVal)
	}
	return mine.err
}

// runBatch runs calls in one transaction and returns their outcomes.
// handOff is called once every fn has run, before the commit.
func (s *Store) runBatch(calls []*batchCall, handOff func()) []batchResult {
	results := make([]batchResult, len(calls))
	rerunAll := func() []batchResult {
		for i := range results {
			if !results[i].panicked {
				results[i] = batchResult{rerun: true}
			}
		}
		return results
	}
	// The transaction serves every caller, so no one caller's cancellation
	// may end it; each caller's ctx is checked around its own fn.
	ctx := context.WithoutCancel(calls[0].ctx)
	pgtx, err := s.pool.Begin(ctx)
	if err != nil {
		handOff()
		return rerunAll()
	}
	bt := newBatchTx(ctx, s, pgtx)
	broken := false
	for i, c := range calls {
		if err := c.ctx.Err(); err != nil {
			results[i] = batchResult{err: fmt.Errorf("postgres: unit of work not started: %w", err)}
			continue
		}
		bt.begin()
		err, panicked, pv := callFn(c, bt)
		if err == nil && !panicked {
			if cerr := c.ctx.Err(); cerr != nil {
				err = fmt.Errorf("postgres: unit of work rolled back: %w", cerr)
			}
		}
		if err != nil || panicked {
			results[i] = batchResult{err: err, panicked: panicked, panicVal: pv}
			if bt.discard() != nil {
				broken = true
				break
			}
			continue
		}
		if bt.keep() != nil {
			broken = true
			break
		}
	}
	handOff()
	if !broken {
		if err := bt.flush(); err == nil {
			if err := pgtx.Commit(ctx); err == nil {
				return results
			}
		}
	}
	_ = pgtx.Rollback(ctx)
	return rerunAll()
}

// callFn runs c.fn on tx and recovers a panic, which the caller re-raises
// in its own goroutine.
func callFn(c *batchCall, tx team.Tx) (err error, panicked bool, pv any) {
	defer func() {
		if p := recover(); p != nil {
			err, panicked, pv = nil, true, p
		}
	}()
	return c.fn(c.ctx, tx), false, nil
}
