package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/teamkit/teamkit/store/postgres"
)

const dsnEnv = "TEAMKIT_POSTGRES_DSN"

var (
	poolOnce sync.Once
	pool     *pgxpool.Pool
	poolErr  error
)

// testPool returns the pool shared by every test, or skips the test when
// TEAMKIT_POSTGRES_DSN is not set. Stores of different tests share it: each
// has its own schema and qualifies every name with it.
func testPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		tb.Skip("no PostgreSQL: set " + dsnEnv + " to run these tests, e.g. " +
			dsnEnv + "='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go test ./... (or run .ci/postgres.sh)")
	}
	poolOnce.Do(func() {
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			poolErr = err
			return
		}
		cfg.MaxConns = 24
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		pool, poolErr = pgxpool.NewWithConfig(ctx, cfg)
		if poolErr == nil {
			poolErr = pool.Ping(ctx)
		}
	})
	if poolErr != nil {
		tb.Fatalf("connecting to %s: %v", dsnEnv, poolErr)
	}
	return pool
}

// randomSchema returns a fresh schema name.
func randomSchema(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return "teamkit_test_" + hex.EncodeToString(b)
}

// newStore returns a migrated store in a fresh schema that is dropped when
// the test ends.
func newStore(tb testing.TB, opts ...postgres.Option) *postgres.Store {
	tb.Helper()
	p := testPool(tb)
	schema := randomSchema(tb)
	s, err := postgres.New(p, append([]postgres.Option{postgres.WithSchema(schema)}, opts...)...)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := p.Exec(context.Background(), "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return s
}
