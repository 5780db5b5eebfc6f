// Package store holds Memory, the in-memory reference implementation of
// team.Store.
//
// Memory keeps every record in indexed maps and slices guarded by one
// read-write lock. A unit of work (InTx) holds the write lock for its whole
// life, so units run one after the other, their writes are visible to their
// own reads at once, and readers outside never see a unit in progress: they
// wait for it to commit or roll back. Every write records its inverse in an
// undo log, which InTx applies in reverse when the unit fails, panics or
// outlives its context.
//
// Memory suits tests, examples and single-process hosts that do not need
// durability. It is proven against the contract by the conformance suite
// storetest.Run, like every other Store:
//
//	s := store.NewMemory()
//	svc, err := team.New(s)
//
// Snapshot returns a copy of every record, for invariant checks in tests.
package store
