package postgres_test

import (
	"testing"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// Rule SEC-3: the concurrency storm (64 goroutines of random operations on
// 10 teams, then the invariant checker) on a real PostgreSQL, for both
// presets. Fewer operations per goroutine than on the memory store keep it
// within CI's time (-long, or TEAMKIT_LONG=1, runs 200); the interleavings
// are real transactions.
func TestStorm_SEC3(t *testing.T) {
	ops := 40
	if long() {
		ops = 200
	}
	for name, policy := range map[string]*rbac.Policy{"standard": rbac.Standard(), "platform": rbac.Platform()} {
		t.Run(name, func(t *testing.T) {
			storetest.Storm(t, func(t *testing.T) team.Store { return newStore(t) },
				storetest.StormOptions{Policy: policy, OpsPerGoroutine: ops})
		})
	}
}
