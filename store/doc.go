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
// durability. Hand it to the team service:
//
//	mem := store.NewMemory()
//	svc, err := team.New(mem)
//
// Snapshot returns a copy of every record, for invariant checks in tests,
// and WithWriteFault makes a chosen write fail, to prove that a use case
// leaves no trace when it fails halfway. Memory passes the conformance
// suite storetest.Run, like every other Store.
package store
