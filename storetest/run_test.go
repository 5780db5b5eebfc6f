package storetest_test

import (
	"testing"

	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// TestRunOnMemory keeps the suite honest against the reference store.
func TestRunOnMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) team.Store { return store.NewMemory() })
}

// TestRunChangeNotifierOnMemory: the memory store reports its commits.
func TestRunChangeNotifierOnMemory(t *testing.T) {
	storetest.RunChangeNotifier(t, func(t *testing.T) team.Store { return store.NewMemory() }, nil, 0)
}

// TestRunFeedOnMemory runs the feed suite against the reference store.
func TestRunFeedOnMemory(t *testing.T) {
	storetest.RunFeed(t, func(t *testing.T) storetest.FeedingStore { return store.NewMemory() })
}

// TestRunJoinOnMemory runs the LINK and JOIN scenarios on the reference
// store: rules LINK-1, LINK-2, LINK-3, LINK-4 (100 joiners through one link
// with 10 uses left), JOIN-1, JOIN-2, JOIN-3 (approve while the team fills up).
func TestRunJoinOnMemory(t *testing.T) {
	storetest.RunJoin(t, func(t *testing.T) team.Store { return store.NewMemory() })
}
