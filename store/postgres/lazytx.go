package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// lazyTx is a pgx.Tx whose BEGIN travels with its first statement instead
// of costing a round trip of its own (pgx.Batch.BeginTx). The first
// SendBatch, QueryRow, Query or Exec sends BEGIN and that statement
// together; other first uses (Begin, Prepare, CopyFrom) begin the ordinary
// way. Until then nothing has reached the server: Commit and Rollback of a
// transaction that never began succeed without a round trip.
//
// release, when set, runs once after the transaction ends (commit or
// rollback, whether or not it began): it returns a pooled connection.
type lazyTx struct {
	conn    *pgx.Conn
	tx      pgx.Tx // nil until begun
	release func()
	ended   bool
}

var _ pgx.Tx = (*lazyTx)(nil)

// begun reports whether BEGIN has been sent.
func (l *lazyTx) begun() bool { return l.tx != nil }

func (l *lazyTx) ensure(ctx context.Context) error {
	if l.ended {
		return pgx.ErrTxClosed
	}
	if l.tx != nil {
		return nil
	}
	tx, err := l.conn.Begin(ctx)
	if err != nil {
		return err
	}
	l.tx = tx
	return nil
}

// start sends b with BEGIN in front of its queries and returns its results
// with BEGIN's already read.
func (l *lazyTx) start(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	nb := &pgx.Batch{}
	nb.BeginTx(pgx.TxOptions{})
	nb.QueuedQueries = append(nb.QueuedQueries, b.QueuedQueries...)
	res := l.conn.SendBatch(ctx, nb)
	l.tx = res.Tx()
	if _, err := res.Exec(); err != nil {
		_ = res.Close()
		return pgx.FailedBatchResults(b, err)
	}
	return res
}

func (l *lazyTx) done() {
	if l.ended {
		return
	}
	l.ended = true
	if l.release != nil {
		l.release()
	}
}

// Begin implements pgx.Tx: a savepoint (BEGIN first if need be).
func (l *lazyTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := l.ensure(ctx); err != nil {
		return nil, err
	}
	return l.tx.Begin(ctx)
}

// Commit implements pgx.Tx.
func (l *lazyTx) Commit(ctx context.Context) error {
	if l.ended {
		return pgx.ErrTxClosed
	}
	defer l.done()
	if l.tx == nil {
		return nil
	}
	return l.tx.Commit(ctx)
}

// Rollback implements pgx.Tx.
func (l *lazyTx) Rollback(ctx context.Context) error {
	if l.ended {
		return pgx.ErrTxClosed
	}
	defer l.done()
	if l.tx == nil {
		return nil
	}
	return l.tx.Rollback(ctx)
}

// CopyFrom implements pgx.Tx.
func (l *lazyTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	if err := l.ensure(ctx); err != nil {
		return 0, err
	}
	return l.tx.CopyFrom(ctx, table, cols, src)
}

// SendBatch implements pgx.Tx.
func (l *lazyTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	switch {
	case l.ended:
		return pgx.FailedBatchResults(b, pgx.ErrTxClosed)
	case l.tx == nil:
		return l.start(ctx, b)
	}
	return l.tx.SendBatch(ctx, b)
}

// LargeObjects implements pgx.Tx (the store uses none).
func (l *lazyTx) LargeObjects() pgx.LargeObjects {
	if l.ensure(context.Background()) != nil {
		return pgx.LargeObjects{}
	}
	return l.tx.LargeObjects()
}

// Prepare implements pgx.Tx.
func (l *lazyTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if err := l.ensure(ctx); err != nil {
		return nil, err
	}
	return l.tx.Prepare(ctx, name, sql)
}

// Exec implements pgx.Tx.
func (l *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	switch {
	case l.ended:
		return pgconn.CommandTag{}, pgx.ErrTxClosed
	case l.tx != nil:
		return l.tx.Exec(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	res := l.start(ctx, b)
	tag, err := res.Exec()
	if cerr := res.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// Query implements pgx.Tx.
func (l *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	switch {
	case l.ended:
		return nil, pgx.ErrTxClosed
	case l.tx != nil:
		return l.tx.Query(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	res := l.start(ctx, b)
	rows, err := res.Query()
	if err != nil {
		_ = res.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, res: res}, nil
}

// QueryRow implements pgx.Tx.
func (l *lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	switch {
	case l.ended:
		return errRow{pgx.ErrTxClosed}
	case l.tx != nil:
		return l.tx.QueryRow(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	res := l.start(ctx, b)
	return batchRow{row: res.QueryRow(), res: res}
}

// Conn implements pgx.Tx.
func (l *lazyTx) Conn() *pgx.Conn { return l.conn }

// batchRows are the rows of a batch's only query: closing them closes the
// batch.
type batchRows struct {
	pgx.Rows
	res    pgx.BatchResults
	closed bool
	err    error
}

func (r *batchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.err = r.res.Close()
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

// batchRow is the row of a batch's only query: scanning it closes the
// batch.
type batchRow struct {
	row pgx.Row
	res pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	cerr := r.res.Close()
	if err == nil || (cerr != nil && errors.Is(err, pgx.ErrNoRows)) {
		return cerr
	}
	return err
}

// errRow is a pgx.Row that fails.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
