// Package storetest is the conformance suite of the team.Store contract:
// every sentence of the contract's documentation (team/store.go) that
// states a behaviour is a named subtest, checked with errors.Is against
// team.ErrNotFound and team.ErrConflict where the contract names them.
//
// A Store implementation proves itself in its own _test.go file:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) team.Store {
//			return mystore.New(...) // fresh, or shared: records use random IDs
//		})
//	}
//
// Run's subtests are parallel and call the factory once each, from within
// the subtest, so the factory may register t.Cleanup. The suite needs only
// the standard testing package, so it adds nothing to a host's
// dependencies.
//
// What the suite assumes of an implementation, beyond the contract:
//   - Times come back equal (time.Time.Equal) at microsecond precision; the
//     suite only stores whole seconds and microseconds, in UTC.
//   - Maps may come back nil or empty alike.
//   - Records of a team are inserted after the team, but user IDs, inviter
//     IDs and usage records' AccountID name no stored record: a store must
//     not require them to.
//   - Every write comes after the lock team.Tx requires for it (LockTeam or
//     InsertTeam of the record's team, LockAccount or InsertAccount of the
//     account). The suite does not require a store to refuse other writes;
//     store.Memory does (store.ErrNotLocked), a database need not.
//   - A failed write is the end of a unit of work: the suite returns its
//     error from fn at once, as a database that aborts the transaction
//     requires.
//   - Reads outside a unit of work may wait for it to end (a store built on
//     a lock) or answer from the committed state (MVCC); the isolation
//     subtest accepts both. Outside reads always use a context of their own,
//     never the context InTx passes to fn.
//
// RunBatcher is the suite of the optional team.Batcher contract (group
// commit), for a Store that implements it, one subtest per sentence of its
// documentation, SEC-5 deadlines included; it also fixes what the contract
// leaves open about a panic in fn. store.Memory runs every unit of work
// alone and does not implement team.Batcher, so it has no RunBatcher run;
// the PostgreSQL store runs it with group commit on.
//
// Subtests that prove a rule of the specification name it in a comment
// (TEAM-1, INV-2, BILL-4, AUD-4, SEC-3, …).
package storetest
