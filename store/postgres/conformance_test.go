package postgres_test

import (
	"testing"

	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// TestConformance runs the Store contract suite, one fresh schema per
// subtest.
func TestConformance(t *testing.T) {
	testPool(t)
	storetest.Run(t, func(t *testing.T) team.Store { return newStore(t) })
}
