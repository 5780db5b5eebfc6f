package storetest_test

import (
	"testing"

	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// A Store implementation calls Run from a test of its own package. This
// example runs the suite against the in-memory reference store; a database
// store would return a store over a shared test database instead.
func ExampleRun() {
	// In a _test.go file of the implementation:
	//
	//	func TestConformance(t *testing.T) {
	//		storetest.Run(t, newStore)
	//	}
	_ = func(t *testing.T) {
		storetest.Run(t, newStore)
	}
}

// newStore returns a fresh store for one subtest.
func newStore(t *testing.T) team.Store { return store.NewMemory() }
