package mysql_test

import (
	"context"
	"database/sql"
	"log"
	"os"

	_ "github.com/go-sql-driver/mysql"

	"github.com/teamkit/teamkit/store/mysql"
	"github.com/teamkit/teamkit/team"
)

// Example sets up the store and runs one service call inside a transaction
// of the host's own, so the host's row and the team commit together.
func Example() {
	ctx := context.Background()
	// e.g. "app@tcp(127.0.0.1:3306)/app?parseTime=true&interpolateParams=true"
	db, err := sql.Open("mysql", os.Getenv("TEAMKIT_MYSQL_DSN"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	store, err := mysql.New(db) // the DSN's database; mysql.WithDatabase to name another
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	svc, err := team.New(store)
	if err != nil {
		log.Fatal(err)
	}

	// The host registers a user in its own table and creates the user's
	// personal team in the same transaction.
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Rollback() // no-op after Commit
	if _, err := tx.ExecContext(ctx, "INSERT INTO app_users (id, email) VALUES (?, ?)", "u1", "ada@example.com"); err != nil {
		log.Fatal(err)
	}
	if _, err := svc.EnsurePersonalTeam(mysql.WithTx(ctx, tx), team.User{ID: "u1", Email: "ada@example.com"}); err != nil {
		log.Fatal(err) // the deferred Rollback undoes the host's row too
	}
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}
}
