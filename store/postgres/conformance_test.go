package postgres_test

import (
	"context"
	"testing"

	"github.com/teamkit/teamkit/store/postgres"

	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// TestConformance runs the Store contract suite, one fresh schema per
// subtest.
func TestConformance(t *testing.T) {
	testPool(t)
	storetest.Run(t, func(t *testing.T) team.Store { return newStore(t) })
}

// inBatchStore runs every unit of work through InBatch, so the contract
// suite checks the batch's Tx (buffers, caches, savepoints) too.
type inBatchStore struct{ *postgres.Store }

func (s inBatchStore) InTx(ctx context.Context, fn func(ctx context.Context, tx team.Tx) error) error {
	return s.InBatch(ctx, "conformance", fn)
}

// TestConformanceInBatch runs the Store contract suite with every unit of
// work going through InBatch.
func TestConformanceInBatch(t *testing.T) {
	testPool(t)
	storetest.Run(t, func(t *testing.T) team.Store { return inBatchStore{newStore(t)} })
}

// TestBatcherConformance runs the Batcher contract suite with group commit
// on (the default), one fresh schema per subtest.
func TestBatcherConformance(t *testing.T) {
	testPool(t)
	storetest.RunBatcher(t, func(t *testing.T) storetest.BatchingStore { return newStore(t) })
}

// TestFeedConformance runs the FeedStore contract suite (FEED-1, FEED-2),
// one fresh schema per subtest.
func TestFeedConformance(t *testing.T) {
	testPool(t)
	storetest.RunFeed(t, func(t *testing.T) storetest.FeedingStore { return newStore(t) })
}

// TestJoinScenarios runs the LINK and JOIN scenarios of the service
// (rules LINK-1, LINK-2, LINK-3, LINK-4, JOIN-1, JOIN-2, JOIN-3, including
// the concurrency cases) on PostgreSQL,
// one fresh schema per scenario.
func TestJoinScenarios(t *testing.T) {
	testPool(t)
	storetest.RunJoin(t, func(t *testing.T) team.Store { return newStore(t) })
}
