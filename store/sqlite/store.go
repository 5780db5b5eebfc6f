package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/teamkit/teamkit/team"
)

// DefaultBusyTimeout is how long a connection waits for a lock another
// process (or a host's own connection) holds on the file before it gives up
// with SQLITE_BUSY, unless WithBusyTimeout says otherwise.
const DefaultBusyTimeout = 5 * time.Second

// ErrInvalidPath is returned by Open for a path it cannot use: empty, an
// in-memory database or one with a URI query.
var ErrInvalidPath = errors.New("sqlite: invalid database path")

// Store is a team.Store on one SQLite database file. Create it with Open,
// prepare its schema with Migrate, pass it to team.New and Close it when
// done. A Store is safe for concurrent use.
//
// It holds two database/sql pools on the file: one writer connection, on
// which every unit of work runs as a BEGIN IMMEDIATE transaction, one after
// the other, and a pool of read-only connections for the Store's own reads,
// which WAL mode lets run beside the writer on the last committed data.
type Store struct {
	reader          // reads through the read pool
	path   string   // as given to Open
	w      *sql.DB  // the writer: one connection
	r      *sql.DB  // readers: query_only connections
	cfg    settings // as the options left it
}

var _ team.Store = (*Store)(nil)

// settings are what the options set.
type settings struct {
	busy    time.Duration
	readers int
	writers int // 1 unless a test measures otherwise (see export_test.go)
	sync    string
}

// Option configures a Store.
type Option func(*settings)

// WithBusyTimeout sets how long a connection waits for a lock held outside
// this Store, by another process or a host connection of its own, before
// the statement fails (default DefaultBusyTimeout). Units of work of one
// Store never wait on it: they queue for the one writer connection, which
// honours their contexts.
func WithBusyTimeout(d time.Duration) Option {
	return func(s *settings) { s.busy = max(d, 0) }
}

// WithReaders sets how many read-only connections the Store's own reads
// (Authorize's membership look-up among them) may use at once (default:
// GOMAXPROCS, at least 2). Values below 1 mean 1.
func WithReaders(n int) Option { return func(s *settings) { s.readers = max(n, 1) } }

// WithSynchronousNormal sets PRAGMA synchronous=NORMAL instead of the
// default FULL. In WAL mode a commit then does not wait for the disk: the
// database stays consistent, but the last units of work committed before a
// power loss or an OS crash may be lost (a crash of the process alone loses
// nothing). Use it when commit latency matters more than that window.
func WithSynchronousNormal() Option { return func(s *settings) { s.sync = "NORMAL" } }

// Open opens (creating when missing) the SQLite database file at path and
// returns a Store on it. It sets the file to WAL mode and checks that both
// pools can connect, but creates no tables: call Migrate before first use.
//
// path is a file name, not a URI: it may not be empty, ":memory:" (the
// writer and readers would each get a database of their own; use the memory
// store, store.New, for tests that need no file) or contain "?".
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	switch {
	case strings.TrimSpace(path) == "":
		return nil, fmt.Errorf("%w: the path is empty; pass a file name such as \"teamkit.db\"", ErrInvalidPath)
	case path == ":memory:" || strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("%w: %q: pass a plain file name, not an in-memory database or a URI", ErrInvalidPath, path)
	case strings.ContainsRune(path, '?'):
		return nil, fmt.Errorf("%w: %q contains \"?\"; rename the file", ErrInvalidPath, path)
	}
	cfg := settings{busy: DefaultBusyTimeout, readers: max(runtime.GOMAXPROCS(0), 2), writers: 1, sync: "FULL"}
	for _, opt := range opts {
		opt(&cfg)
	}
	s := &Store{path: path, cfg: cfg}
	var err error
	// The writer first: its first connection creates the file and sets WAL
	// mode, which the file keeps.
	if s.w, err = openPool(ctx, dsn(path, cfg, false), cfg.writers); err != nil {
		return nil, fmt.Errorf("sqlite: opening %s for writing: %w", path, err)
	}
	if s.r, err = openPool(ctx, dsn(path, cfg, true), cfg.readers); err != nil {
		_ = s.w.Close()
		return nil, fmt.Errorf("sqlite: opening %s for reading: %w", path, err)
	}
	s.reader = reader{db: s.r, member: new(atomic.Pointer[sql.Stmt])}
	return s, nil
}

// dsn is the driver's data source name for path: busy timeout, WAL mode,
// foreign keys, the synchronous level, and for the writer BEGIN IMMEDIATE
// as what database/sql's BeginTx sends; for readers query_only.
func dsn(path string, cfg settings, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(cfg.busy.Milliseconds(), 10))
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", cfg.sync)
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

func openPool(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes both pools. A unit of work still running fails; the Store is
// not usable afterwards.
func (s *Store) Close() error {
	var err error
	if stmt := s.member.Swap(nil); stmt != nil {
		err = stmt.Close()
	}
	return errors.Join(err, s.r.Close(), s.w.Close())
}

// Path returns the database file's path, as given to Open.
func (s *Store) Path() string { return s.path }

// DB returns the writer pool: one connection whose BeginTx sends BEGIN
// IMMEDIATE. Begin a host transaction on it for WithTx. While a host
// transaction holds it, every other unit of work of the Store waits.
func (s *Store) DB() *sql.DB { return s.w }

// hostTxKey is the context key of a host transaction (WithTx).
type hostTxKey struct{}

// WithTx returns a context that carries the host's transaction tx. When
// InTx receives such a context, the unit of work runs inside tx as a
// savepoint: it commits or rolls back only the savepoint, and its writes
// become durable when (and only if) the host commits tx. The host's own
// writes in tx and the store's then commit together.
//
// Begin tx on the Store's own writer, s.DB().BeginTx, so that it is a BEGIN
// IMMEDIATE transaction that holds the file's write lock from its start:
// the store's LockTeam and LockAccount are plain reads that rely on it. Do
// not call the service with a context without tx while tx is open: that
// unit of work waits for the one writer connection tx holds, until its
// context ends. Reads made on the Store itself (outside a unit of work) go
// to the read pool and see only committed data.
func WithTx(ctx context.Context, tx *sql.Tx) context.Context {
	return context.WithValue(ctx, hostTxKey{}, tx)
}

func hostTx(ctx context.Context) *sql.Tx {
	tx, _ := ctx.Value(hostTxKey{}).(*sql.Tx)
	return tx
}

// mapErr turns driver errors into the contract's errors: a unique or
// primary key violation matches team.ErrConflict and no rows matches
// team.ErrNotFound. Other errors are wrapped with what was being done.
func mapErr(doing string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", team.ErrNotFound, doing)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %s (%s)", team.ErrConflict, doing, se.Error())
		}
	}
	return fmt.Errorf("sqlite: %s: %w", doing, err)
}

func notFound(doing string) error { return fmt.Errorf("%w: %s", team.ErrNotFound, doing) }

func conflict(doing string) error { return fmt.Errorf("%w: %s", team.ErrConflict, doing) }
