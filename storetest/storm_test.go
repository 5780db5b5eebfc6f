package storetest_test

import (
	"context"
	"testing"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// memoryLedger reads the ledger of a memory store from its Snapshot.
func memoryLedger(_ context.Context, s team.Store) (storetest.Ledger, error) {
	snap := s.(*store.Memory).Snapshot()
	return storetest.Ledger{TopUps: snap.TopUps, Usage: snap.Usage}, nil
}

// TestStormOnMemory runs the concurrency storm on the memory store: 64
// goroutines, 10 teams, then every invariant. Rule SEC-3.
func TestStormOnMemory_SEC3(t *testing.T) {
	for _, p := range []*rbac.Policy{rbac.Standard(), rbac.Platform()} {
		t.Run(p.Name(), func(t *testing.T) {
			t.Parallel()
			storetest.Storm(t, func(*testing.T) team.Store { return store.NewMemory() },
				storetest.StormOptions{Policy: p, Ledger: memoryLedger})
		})
	}
}
