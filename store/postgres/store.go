package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/teamkit/teamkit/team"
)

// DefaultSchema is the PostgreSQL schema the store uses unless WithSchema
// names another.
const DefaultSchema = "teamkit"

// DefaultMaxBatch is how many InBatch calls at most share one transaction
// unless WithMaxBatch says otherwise.
const DefaultMaxBatch = 64

// Store is a team.Store (and team.Batcher) on PostgreSQL. Create it with
// New, prepare its schema with Migrate, then pass it to team.New. A Store is
// safe for concurrent use.
type Store struct {
	reader   // reads through the pool
	pool     *pgxpool.Pool
	schema   string // as given
	qs       queries
	fq       feedQueries // FEED-1, FEED-2
	batching bool
	maxBatch int
	batches  batches
	changes  changeHub // team.ChangeNotifier
}

var (
	_ team.Store   = (*Store)(nil)
	_ team.Batcher = (*Store)(nil)
)

// Option configures a Store.
type Option func(*Store)

// WithSchema sets the PostgreSQL schema that holds the store's tables
// (default "teamkit"). Migrate creates it when missing. Several stores with
// different schemas can share one database and one pool.
func WithSchema(name string) Option { return func(s *Store) { s.schema = name } }

// WithoutBatching makes InBatch behave like InTx: no group commit. It exists
// for measurements and for hosts that prefer one transaction per charge.
func WithoutBatching() Option { return func(s *Store) { s.batching = false } }

// WithMaxBatch sets how many concurrent InBatch calls at most share one
// transaction (default 64). Values below 1 mean 1.
func WithMaxBatch(n int) Option {
	return func(s *Store) { s.maxBatch = max(n, 1) }
}

// New returns a Store that uses pool. It does not touch the database: call
// Migrate before first use. The pool stays the caller's to close.
func New(pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, errors.New("postgres: pool is nil; create one with pgxpool.New")
	}
	s := &Store{pool: pool, schema: DefaultSchema, batching: true, maxBatch: DefaultMaxBatch}
	for _, opt := range opts {
		opt(s)
	}
	if strings.TrimSpace(s.schema) == "" {
		return nil, errors.New("postgres: schema name is empty; pass a name to WithSchema or leave the default")
	}
	s.qs = buildQueries(pgx.Identifier{s.schema}.Sanitize())
	s.fq = buildFeedQueries(pgx.Identifier{s.schema}.Sanitize())
	s.reader = reader{q: &s.qs, db: pool}
	s.batches.queues = make(map[string]*batchQueue)
	return s, nil
}

// Schema returns the name of the schema the store uses.
func (s *Store) Schema() string { return s.schema }

// Pool returns the pool the store uses.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// hostTxKey is the context key of a host transaction (WithTx).
type hostTxKey struct{}

// WithTx returns a context that carries the host's transaction tx. When InTx
// or InBatch receive such a context, the unit of work runs inside tx as a
// savepoint: it commits or rolls back only the savepoint, and its writes
// become durable when (and only if) the host commits tx. The host's own
// writes in tx and the store's then commit together.
//
// tx must belong to the same database as the store's pool, and the host must
// not use tx from another goroutine while the unit of work runs. Reads made
// on the Store itself (outside a unit of work) still go to the pool and see
// only committed data.
func WithTx(ctx context.Context, tx pgx.Tx) context.Context {
	return context.WithValue(ctx, hostTxKey{}, tx)
}

func hostTx(ctx context.Context) pgx.Tx {
	tx, _ := ctx.Value(hostTxKey{}).(pgx.Tx)
	return tx
}

// mapErr turns driver errors into the contract's errors: a unique violation
// matches team.ErrConflict and no rows matches team.ErrNotFound. Other errors
// are wrapped with what was being done.
func mapErr(doing string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %s", team.ErrNotFound, doing)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("%w: %s (constraint %s)", team.ErrConflict, doing, pgErr.ConstraintName)
	}
	return fmt.Errorf("postgres: %s: %w", doing, err)
}

func notFound(doing string) error { return fmt.Errorf("%w: %s", team.ErrNotFound, doing) }

func conflict(doing string) error { return fmt.Errorf("%w: %s", team.ErrConflict, doing) }

func isNotFound(err error) bool { return errors.Is(err, team.ErrNotFound) }
