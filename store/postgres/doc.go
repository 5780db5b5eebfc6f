// Package postgres is the PostgreSQL implementation of team.Store, the
// persistence contract of the teamkit team service, built on pgx (pgxpool).
//
// Create a Store over a pgxpool.Pool with New, run Migrate once at start-up
// (it is idempotent, versioned and safe to run from several instances at
// once), and pass the Store to team.New. All tables live in one schema,
// "teamkit" unless WithSchema names another, and every query names it, so
// the store never depends on search_path.
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
// Store implements team.Batcher: concurrent InBatch calls with the same key
// (the service uses the team ID for usage charges) share one transaction
// and one commit, while each call keeps its own outcome: a call that fails
// leaves no trace and does not fail the others. See InBatch.
package postgres
