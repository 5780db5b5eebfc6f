package postgres

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var (
	lazyPoolOnce sync.Once
	lazyPool     *pgxpool.Pool
	lazyPoolErr  error
)

// lazyTxOn returns a lazyTx on a fresh pooled connection whose release
// counts into *released.
func lazyTxOn(t *testing.T, released *int) *lazyTx {
	t.Helper()
	dsn := os.Getenv("TEAMKIT_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("no PostgreSQL: set TEAMKIT_POSTGRES_DSN (see README.md)")
	}
	lazyPoolOnce.Do(func() {
		lazyPool, lazyPoolErr = pgxpool.New(context.Background(), dsn)
	})
	if lazyPoolErr != nil {
		t.Fatal(lazyPoolErr)
	}
	c, err := lazyPool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &lazyTx{conn: c.Conn(), release: func() { *released++; c.Release() }}
}

func txStatus(l *lazyTx) byte { return l.conn.PgConn().TxStatus() }

// A lazyTx sends nothing until used; its first statement carries BEGIN:
// two now() calls (the transaction's start time) agree, the first of them
// being the statement that began the transaction.
func TestLazyTxBeginsWithFirstStatement(t *testing.T) {
	ctx := context.Background()
	for name, first := range map[string]func(l *lazyTx) (time.Time, error){
		"QueryRow": func(l *lazyTx) (time.Time, error) {
			var at time.Time
			return at, l.QueryRow(ctx, "SELECT now()").Scan(&at)
		},
		"Query": func(l *lazyTx) (time.Time, error) {
			rows, err := l.Query(ctx, "SELECT now() FROM generate_series(1, 3)")
			if err != nil {
				return time.Time{}, err
			}
			ats, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
			if err == nil && len(ats) != 3 {
				err = errors.New("want 3 rows")
			}
			if err != nil {
				return time.Time{}, err
			}
			return ats[0], nil
		},
		"SendBatch": func(l *lazyTx) (time.Time, error) {
			b := &pgx.Batch{}
			b.Queue("SELECT 1")
			b.Queue("SELECT now()")
			res := l.SendBatch(ctx, b)
			var one int
			var at time.Time
			err := errors.Join(res.QueryRow().Scan(&one), res.QueryRow().Scan(&at), res.Close())
			if err == nil && one != 1 {
				err = errors.New("results out of order")
			}
			return at, err
		},
		"Exec": func(l *lazyTx) (time.Time, error) {
			if _, err := l.Exec(ctx, "SET LOCAL application_name = 'lazy'"); err != nil {
				return time.Time{}, err
			}
			var at time.Time
			return at, l.QueryRow(ctx, "SELECT now()").Scan(&at)
		},
	} {
		t.Run(name, func(t *testing.T) {
			var released int
			l := lazyTxOn(t, &released)
			if txStatus(l) != 'I' || l.begun() {
				t.Fatal("a fresh lazyTx began a transaction")
			}
			at, err := first(l)
			if err != nil {
				t.Fatal(err)
			}
			if txStatus(l) != 'T' {
				t.Fatalf("status %q after the first statement, want in transaction", txStatus(l))
			}
			time.Sleep(2 * time.Millisecond)
			var again time.Time
			if err := l.QueryRow(ctx, "SELECT now()").Scan(&again); err != nil {
				t.Fatal(err)
			}
			if !again.Equal(at) {
				t.Fatalf("now() %v then %v: the statements ran in different transactions", at, again)
			}
			if err := l.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if released != 1 {
				t.Fatalf("released %d times, want 1", released)
			}
			if err := l.Rollback(ctx); !errors.Is(err, pgx.ErrTxClosed) {
				t.Fatalf("Rollback after Commit: %v, want ErrTxClosed", err)
			}
			if released != 1 {
				t.Fatalf("released %d times, want 1", released)
			}
		})
	}
}

// A first statement that fails leaves a transaction to roll back; a first
// query without rows leaves it usable.
func TestLazyTxFirstStatementFailure(t *testing.T) {
	ctx := context.Background()
	var released int
	l := lazyTxOn(t, &released)
	var n int
	if err := l.QueryRow(ctx, "SELECT 1 WHERE false").Scan(&n); !errors.Is(err, pgx.ErrNoRows) {
		t.Fatalf("no rows: %v", err)
	}
	if err := l.QueryRow(ctx, "SELECT 2").Scan(&n); err != nil || n != 2 {
		t.Fatalf("after no rows: %d, %v", n, err)
	}
	if err := l.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	l = lazyTxOn(t, &released)
	if _, err := l.Exec(ctx, "SELECT 1/0 WHERE $1", true); err == nil {
		t.Fatal("division by zero succeeded")
	}
	if txStatus(l) != 'E' {
		t.Fatalf("status %q after a failed first statement, want a failed transaction", txStatus(l))
	}
	if err := l.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if txStatus(l) != 'I' || released != 2 {
		t.Fatalf("status %q, released %d; want idle, 2", txStatus(l), released)
	}
}

// Commit and Rollback of a lazyTx that sent nothing succeed without a
// round trip and release the connection once.
func TestLazyTxUnusedEnds(t *testing.T) {
	ctx := context.Background()
	var released int
	for _, end := range []func(*lazyTx) error{
		func(l *lazyTx) error { return l.Commit(ctx) },
		func(l *lazyTx) error { return l.Rollback(ctx) },
	} {
		l := lazyTxOn(t, &released)
		if err := end(l); err != nil {
			t.Fatal(err)
		}
		if l.begun() {
			t.Fatal("ending an unused lazyTx began it")
		}
		if _, err := l.Exec(ctx, "SELECT 1"); !errors.Is(err, pgx.ErrTxClosed) {
			t.Fatalf("Exec after end: %v, want ErrTxClosed", err)
		}
	}
	if released != 2 {
		t.Fatalf("released %d times, want 2", released)
	}
}
