package mysql_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/teamkit/teamkit/store/mysql"
)

const dsnEnv = "TEAMKIT_MYSQL_DSN"

var ctx = context.Background()

var (
	dbOnce sync.Once
	testDB *sql.DB
	dbErr  error
)

// testPool returns the pool shared by every test, or skips the test when
// TEAMKIT_MYSQL_DSN is not set. Stores of different tests share it: each
// has its own database and names it in every statement.
func testPool(tb testing.TB) *sql.DB {
	tb.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		tb.Skip("no MySQL: set " + dsnEnv + " to run these tests, e.g. " +
			dsnEnv + "='root@tcp(127.0.0.1:3306)/test?parseTime=true&interpolateParams=true' go test ./... (or run ./ci.sh)")
	}
	dbOnce.Do(func() {
		testDB, dbErr = sql.Open("mysql", dsn)
		if dbErr != nil {
			return
		}
		testDB.SetMaxOpenConns(48)
		testDB.SetMaxIdleConns(48)
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		dbErr = testDB.PingContext(c)
	})
	if dbErr != nil {
		tb.Fatalf("connecting to %s: %v", dsnEnv, dbErr)
	}
	return testDB
}

// randomDatabase returns a fresh database name.
func randomDatabase(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return "teamkit_test_" + hex.EncodeToString(b)
}

// newStore returns a migrated store in a fresh database that is dropped
// when the test ends.
func newStore(tb testing.TB, opts ...mysql.Option) *mysql.Store {
	tb.Helper()
	db := testPool(tb)
	name := randomDatabase(tb)
	s, err := mysql.New(db, append([]mysql.Option{mysql.WithDatabase(name)}, opts...)...)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			tb.Errorf("dropping database %s: %v", name, err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

// q qualifies the table names in query, written as §table, with the
// store's database.
func q(s *mysql.Store, query string) string {
	return strings.ReplaceAll(query, "§", "`"+s.Database()+"`.")
}

func noErr(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
