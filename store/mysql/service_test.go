package mysql_test

import (
	"testing"

	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// TestService runs the service-level scenarios of storetest.RunService
// (SEC-3 with INV-3, OWN-1, BILL-2..4; USER-1; USER-2) on MySQL, one fresh
// database per scenario. The store has no group commit: every charge is
// its own transaction.
func TestService(t *testing.T) {
	storetest.RunService(t, func(t *testing.T) team.Store { return newStore(t) })
}
