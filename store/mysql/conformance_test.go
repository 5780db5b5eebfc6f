package mysql_test

import (
	"testing"

	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// TestConformance runs the Store contract suite. Its subtests share one
// fresh database (the suite's records have random keys, so parallel
// subtests never meet); creating a database per subtest would spend most
// of the run on DDL.
func TestConformance(t *testing.T) {
	s := newStore(t)
	storetest.Run(t, func(t *testing.T) team.Store { return s })
}
