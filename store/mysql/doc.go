// Package mysql is the MySQL and MariaDB implementation of team.Store, the
// persistence contract of the teamkit team service, built on database/sql
// and github.com/go-sql-driver/mysql.
//
// Open a pool with sql.Open("mysql", dsn), create a Store over it with New,
// run Migrate once at start-up (it is idempotent, versioned and safe to run
// from several instances at once), and pass the Store to team.New:
//
//	db, err := sql.Open("mysql", "app@tcp(127.0.0.1:3306)/app?parseTime=true&interpolateParams=true")
//	...
//	store, err := mysql.New(db)
//	...
//	if err := store.Migrate(ctx); err != nil { ... }
//	svc, err := team.New(store)
//
// The tables live in the DSN's database, or in the one WithDatabase names,
// which every statement then names. Hosts that manage their schema with
// goose or golang-migrate get the same migrations from GooseFS or
// GolangMigrateFS instead; migrations/README.md says how to add one.
//
// # DSN
//
// The store needs no particular DSN parameter: it writes times as UTC text
// and reads them back with either parseTime setting and any loc, and it
// sends one statement at a time (multiStatements is not needed). The
// session's sql_mode must be strict (the servers' default; Migrate checks).
// interpolateParams=true saves two round trips per statement (the driver
// otherwise prepares, runs and closes each one) and is recommended.
//
// # Units of work
//
// Units of work are InnoDB transactions at READ COMMITTED. team.Tx's
// LockTeam and LockAccount are SELECT … FOR UPDATE, which serializes the
// units of work that touch one team or one account; uniqueness rules are
// unique keys, and a duplicate key (error 1062) is team.ErrConflict (InnoDB
// rolls back only that statement, so the transaction stays usable). A
// deadlock (1213) or lock wait timeout (1205) makes InTx run the unit of
// work again, a bounded number of times (WithRetries), then return an error
// matching ErrRetryable. A unit of work whose context ends while it waits
// on the server has that statement ended there (KILL QUERY), so its locks
// go at once. The audit log is append-only: triggers refuse
// UPDATE and DELETE of audit events.
//
// Identifiers, emails, roles, keys and token hashes are VARBINARY columns:
// matched and ordered byte for byte, so "Ada@x" and "ada@x", or "id" and
// "id ", are different values, as the contract wants. Times are
// DATETIME(6) in UTC: a time with nanoseconds is truncated to the
// microsecond on write (the team service's clock produces microseconds, as
// audit hashes need). Maps (settings, details, metadata) are JSON; a nil map
// reads back nil and an empty one empty.
//
// # Host transactions
//
// WithTx lets a host run the service's unit of work inside its own
// *sql.Tx: the unit becomes a savepoint of the host's transaction, and the
// host's writes and the service's commit or roll back together.
//
// # Versions
//
// Tested on MariaDB 10.11. The SQL it relies on (STORED generated columns
// under unique keys, DATETIME(6), JSON, SIGNAL in triggers, SAVEPOINT,
// GET_LOCK) is in MySQL 5.7 and later and MariaDB 10.2 and later; see the
// README.
//
// The store does not implement team.Batcher: each usage charge is its own
// transaction.
package mysql
