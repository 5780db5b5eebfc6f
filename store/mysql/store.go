package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/teamkit/teamkit/team"
)

// DefaultRetries is how many times at most InTx runs a unit of work again
// after the server aborted it for a deadlock or a lock wait timeout, unless
// WithRetries says otherwise.
const DefaultRetries = 4

// MySQL error numbers the store acts on.
const (
	errDupEntry        = 1062 // ER_DUP_ENTRY: a unique key would break
	errLockWaitTimeout = 1205 // ER_LOCK_WAIT_TIMEOUT
	errDeadlock        = 1213 // ER_LOCK_DEADLOCK
	errDataTooLong     = 1406 // ER_DATA_TOO_LONG (strict mode)
)

// ErrRetryable matches the error of a unit of work that the server aborted
// for a deadlock (MySQL error 1213) or a lock wait timeout (1205) once InTx
// has run it as many times as allowed (WithRetries), or at once when it ran
// in a host transaction (WithTx), which the store cannot run again. Nothing
// of the unit of work is committed; the caller may try the whole operation
// again.
var ErrRetryable = errors.New("mysql: the server aborted the unit of work (deadlock or lock wait timeout); nothing was written, try again")

// Store is a team.Store on MySQL or MariaDB through database/sql and
// github.com/go-sql-driver/mysql. Create it with New, prepare its tables
// with Migrate, then pass it to team.New. A Store is safe for concurrent
// use.
type Store struct {
	reader   // reads through the pool
	db       *sql.DB
	database string // as given; "" for the connection's default database
	qs       queries
	retries  int
}

var _ team.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithDatabase sets the database (MySQL's schema) that holds the store's
// tables. Every statement then names it, so several stores with different
// databases can share one *sql.DB, and Migrate creates the database when it
// is missing. Without it the store uses the default database of its
// connections, the one the DSN names ("/dbname").
func WithDatabase(name string) Option { return func(s *Store) { s.database = name } }

// WithRetries sets how many times at most InTx runs a unit of work again
// after a deadlock or lock wait timeout (default DefaultRetries; 0 turns
// retries off). Negative values mean 0.
func WithRetries(n int) Option { return func(s *Store) { s.retries = max(n, 0) } }

// New returns a Store that uses db, a pool opened with sql.Open("mysql",
// dsn). It does not touch the database: call Migrate before first use. The
// pool stays the caller's to close. See the package documentation for the
// DSN parameters the store expects.
func New(db *sql.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New(`mysql: db is nil; open one with sql.Open("mysql", dsn)`)
	}
	s := &Store{db: db, retries: DefaultRetries}
	for _, opt := range opts {
		opt(s)
	}
	prefix := ""
	if s.database != "" {
		if strings.ContainsAny(s.database, "`\x00") || strings.TrimSpace(s.database) != s.database {
			return nil, fmt.Errorf("mysql: database name %q holds a backtick, NUL or surrounding white space; pick a plain name", s.database)
		}
		prefix = quoteIdent(s.database) + "."
	}
	s.qs = buildQueries(prefix)
	s.reader = reader{q: &s.qs, db: db}
	return s, nil
}

// Database returns the name given to WithDatabase, "" when the store uses
// its connections' default database.
func (s *Store) Database() string { return s.database }

// DB returns the pool the store uses.
func (s *Store) DB() *sql.DB { return s.db }

func quoteIdent(name string) string { return "`" + name + "`" }

// hostTxKey is the context key of a host transaction (WithTx).
type hostTxKey struct{}

// WithTx returns a context that carries the host's transaction tx. When
// InTx receives such a context, the unit of work runs inside tx as a
// savepoint: it rolls back only the savepoint when it fails, and its writes
// become durable when (and only if) the host commits tx. The host's own
// writes in tx and the store's then commit together.
//
// tx must come from a pool on the same server, and the host must not use
// tx from another goroutine while the unit of work runs. Begin it with
// sql.LevelReadCommitted (as the store's own units of work are) so that the
// unit's plain reads after a lock see the latest committed rows. A deadlock
// or lock wait timeout inside tx aborts the host's whole transaction
// (InnoDB rolls it back): InTx then returns an error matching ErrRetryable
// without trying again, and the host must roll back tx and start over.
// Reads made on the Store itself (outside a unit of work) still go to the
// pool and see only committed data.
func WithTx(ctx context.Context, tx *sql.Tx) context.Context {
	return context.WithValue(ctx, hostTxKey{}, tx)
}

func hostTx(ctx context.Context) *sql.Tx {
	tx, _ := ctx.Value(hostTxKey{}).(*sql.Tx)
	return tx
}

// mapErr turns driver errors into the contract's errors: a duplicate key
// (1062) matches team.ErrConflict, no rows matches team.ErrNotFound, and a
// deadlock or lock wait timeout matches ErrRetryable. Other errors are
// wrapped with what was being done.
func mapErr(doing string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", team.ErrNotFound, doing)
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		switch myErr.Number {
		case errDupEntry:
			return fmt.Errorf("%w: %s (%s)", team.ErrConflict, doing, myErr.Message)
		case errDeadlock, errLockWaitTimeout:
			return fmt.Errorf("%w: %s: %w", ErrRetryable, doing, err)
		case errDataTooLong:
			return fmt.Errorf("mysql: %s: a value is longer than its column holds (see the limits in the README): %w", doing, err)
		}
	}
	return fmt.Errorf("mysql: %s: %w", doing, err)
}

// retryable reports whether err says the server aborted the transaction
// for a deadlock or lock wait timeout.
func retryable(err error) bool {
	if errors.Is(err, ErrRetryable) {
		return true
	}
	var myErr *mysql.MySQLError
	return errors.As(err, &myErr) && (myErr.Number == errDeadlock || myErr.Number == errLockWaitTimeout)
}

func notFound(doing string) error { return fmt.Errorf("%w: %s", team.ErrNotFound, doing) }
