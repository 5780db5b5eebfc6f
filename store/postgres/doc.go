// Package postgres is the PostgreSQL implementation of team.Store, the
// persistence contract of the teamkit team service, built on pgx (pgxpool).
//
// Create a Store over a pgxpool.Pool with New, run Migrate once at start-up
// (it is idempotent, versioned and safe to run from several instances at
// once), and pass the Store to team.New. All tables live in one schema,
// "teamkit" unless WithSchema names another, and every query names it, so
// the store never depends on search_path. Hosts that manage their schema
// with goose or golang-migrate get the same migrations from GooseFS or
// GolangMigrateFS instead; migrations/README.md says how to add one.
//
// Units of work are READ COMMITTED transactions. team.Tx's LockTeam and
// LockAccount are SELECT … FOR UPDATE, which serializes the units of work
// that touch one team or one account; uniqueness rules are unique indexes,
// reported as team.ErrConflict (an insert that conflicts leaves the
// transaction usable). The audit log is append-only: triggers refuse
// UPDATE, DELETE and TRUNCATE of audit events.
//
// Times are stored as timestamptz, in UTC, with the microseconds PostgreSQL
// keeps: a time with nanoseconds is truncated to the microsecond on write.
// Audit hashes cover event times in nanoseconds, so a service that uses
// this store must produce microsecond times (the team service's clock does)
// for audit.Verify to pass after a round trip. Maps (settings, details,
// metadata) are jsonb; a nil map reads back nil and an empty one empty.
//
// # Host transactions
//
// WithTx lets a host run the service's unit of work inside its own
// transaction: the unit becomes a savepoint of the host's transaction, and
// the host's writes and the service's commit or roll back together.
//
// # Group commit
//
// Store implements team.Batcher, and the service uses it for usage
// charges, its hottest write. Why: a charge is a few small statements under
// the team's row lock, and what it costs is the round trips and the COMMIT's
// disk flush, during which the lock is held and the team's next charge
// waits. Charges to one team are serialized anyway, so sharing one
// transaction and one flush among them loses no concurrency: 16 goroutines
// charging one team on 2 cores (BenchmarkRecordUsage16) make 12 to 15
// times the charges/s of one transaction per charge. The absolute figure
// follows the machine's round trip and disk flush: 23.7k–26.6k charges/s
// (1.2k–1.7k without) where a local round trip is well under 0.1 ms, 5k–14k
// (0.4k–0.5k without) on a VM where it takes 0.3 ms and a 15-row insert
// 0.4 ms.
//
// How a batch forms: InBatch calls with the same key (the team ID) queue;
// the first call of an idle key starts a leader goroutine, which opens a
// transaction and runs the queued fns one after the other, taking the next
// one as the previous ends, so calls that queue while the batch waits for
// the team lock still join it (up to WithMaxBatch calls). The batch's Tx
// buffers the charge's writes (account updates, usage records) and caches
// what it reads (the team, locked with its memberships and its owner's
// account in the round trip that also carries BEGIN), assumes new the
// idempotency keys it has not seen, and checks them all at once. When no
// call is left, the queue passes to a new leader (whose batch waits for the
// team lock while this one commits) and the leader sends the key check,
// the writes and COMMIT in one round trip. Each of these mechanisms is
// measured: without the assumed keys a batch makes one more round trip per
// charge and throughput halves; without BEGIN riding with the first
// statement it drops about 10 %, without the early hand-off about 7 %.
//
// On failure: a fn that returns an error or panics leaves no trace (its
// buffered writes are dropped, or its savepoint rolled back) and the others
// go on; a panic is raised again in its caller's goroutine. If an assumed
// key exists, the batch runs once more reading every key; if anything else
// fails (the flush, the COMMIT), every call runs again on its own with
// InTx, so no call fails for another's problem. fn may therefore run more
// than once.
//
// On a caller's deadline (SEC-5): every caller, the first included, waits
// for its outcome or its ctx, whichever comes first. The batch's statements
// run on a context of their own, which no one caller's cancellation ends,
// and which is cancelled once no caller of the batch is waiting any more,
// so a batch never waits for a lock on behalf of no one. A caller whose ctx
// ends before the commit returns at once with ctx's error; if its fn
// already ran, the batch rolls back rather than commit its writes, and the
// other calls run again on their own. A caller whose ctx ends once its
// writes are in the COMMIT waits for the COMMIT's answer, at most 500 ms
// more.
//
// # Change notifications
//
// Store implements team.ChangeNotifier, so the service keeps its
// membership index over it (team.WithMembershipCache). Migration 0007's
// trigger NOTIFYs every committed change to a membership; a Store with
// watchers LISTENs on one dedicated connection, reports its own commits
// before InTx and InBatch return, and while that connection is lost (or
// silent for 2 s despite a heartbeat every 500 ms) tells the index to
// answer nothing, emptying it before it answers again. README.md ("Many
// application processes") has the guarantees, the measured cross-process
// delay and what changes on CockroachDB and YugabyteDB.
//
// # Commit and cancellation
//
// In InTx and in a batch alike, COMMIT runs on a context detached from the
// caller's cancellation: a COMMIT that succeeds is reported as success even
// when ctx ends while it is in flight. If ctx has ended and the COMMIT has
// not answered 500 ms later, the call returns an error matching
// ErrCommitOutcomeUnknown: the writes may or may not be committed.
package postgres
