package storetest_test

import (
	"context"
	"flag"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// countingStore is a custom Store: it wraps the memory store and counts the
// units of work it runs, as a host's metrics decorator might.
type countingStore struct {
	*store.Memory
	units *atomic.Int64
}

func (s countingStore) InTx(ctx context.Context, fn func(context.Context, team.Tx) error) error {
	s.units.Add(1)
	return s.Memory.InTx(ctx, fn)
}

// A Store implementation proves itself by calling Run from a test of its
// own package:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) team.Store { return mystore.New(t) })
//	}
//
// This example runs the whole suite against a custom store outside go
// test's usual flow, to show it passing.
func ExampleRun() {
	var units atomic.Int64
	newStore := func(t *testing.T) team.Store {
		return countingStore{Memory: store.NewMemory(), units: &units}
	}

	// Keep the example's output quiet even under go test -v.
	if v := flag.Lookup("test.v"); v != nil {
		old := v.Value.String()
		_ = v.Value.Set("false")
		defer func() { _ = v.Value.Set(old) }()
	}
	ok := testing.RunTests(func(_, _ string) (bool, error) { return true, nil },
		[]testing.InternalTest{{Name: "TestCountingStore", F: func(t *testing.T) { storetest.Run(t, newStore) }}})
	fmt.Println("conformance passed:", ok)
	fmt.Println("units of work run:", units.Load() > 0)
	// Output:
	// conformance passed: true
	// units of work run: true
}
