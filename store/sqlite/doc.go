// Package sqlite is the SQLite implementation of team.Store, the
// persistence contract of the teamkit team service, on one database file
// through modernc.org/sqlite (pure Go: no cgo, so go install and cross
// compilation keep working).
//
// Open the file, run Migrate once at start-up (idempotent and versioned),
// pass the Store to team.New and Close it when done:
//
//	store, err := sqlite.Open(ctx, "teamkit.db")
//	if err != nil { ... }
//	defer store.Close()
//	if err := store.Migrate(ctx); err != nil { ... }
//	svc, err := team.New(store)
//
// Hosts that manage their schema with goose or golang-migrate get the same
// migrations from GooseFS or GolangMigrateFS instead; migrations/README.md
// says how to add one.
//
// # Concurrency
//
// The file is in WAL mode, with foreign keys on and a busy timeout
// (WithBusyTimeout). A Store holds one writer connection and a pool of
// read-only ones (WithReaders). Every unit of work (InTx) is a BEGIN
// IMMEDIATE transaction on the writer: it takes the file's write lock at
// its start, so units of work run one after the other, and a unit never
// reads data that another changes before it commits. That is why
// team.Tx's LockTeam and LockAccount are plain reads here: SQLite has no
// row locks, and the write lock already serializes every unit of work (per
// file rather than per team, which a single file's one writer imposes
// anyway). Units of work wait for the writer in database/sql's queue, in
// Go, honouring their contexts; SQLite's busy handler, which polls with
// sleeps, only comes into play against other processes on the same file.
// The Store's own reads run on the read pool beside the writer, on the last
// committed data (WAL readers do not block the writer nor wait for it).
//
// Uniqueness rules are unique indexes, reported as team.ErrConflict (a
// conflicting insert or update fails alone, the unit of work stays
// usable). The audit log is append-only: triggers refuse UPDATE and DELETE
// of audit events.
//
// Times are stored as fixed-width UTC text with nanoseconds, so they read
// back exactly; years outside 0000–9999 are refused on write. Maps
// (settings, details, metadata) are JSON text; a nil map reads back nil
// and an empty one empty.
//
// # Host transactions
//
// WithTx lets a host run the service's unit of work inside its own
// transaction, begun on Store.DB(): the unit becomes a savepoint of the
// host's transaction, and the host's writes and the service's commit or
// roll back together.
package sqlite
