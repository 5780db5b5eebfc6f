package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/teamkit/teamkit/store/sqlite"
	"github.com/teamkit/teamkit/team"
)

// Example opens a database file, migrates it, and runs one service call
// inside a transaction of the host's own, so the host's row and the team
// commit together.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "teamkit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()

	store, err := sqlite.Open(ctx, filepath.Join(dir, "teamkit.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = store.Close() }()
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	svc, err := team.New(store)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := store.DB().ExecContext(ctx, "CREATE TABLE app_users (id TEXT PRIMARY KEY, email TEXT NOT NULL)"); err != nil {
		log.Fatal(err)
	}

	// The host registers a user in its own table and creates the user's
	// personal team in the same transaction, begun on the store's writer.
	tx, err := store.DB().BeginTx(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	if _, err := tx.ExecContext(ctx, "INSERT INTO app_users (id, email) VALUES (?, ?)", "u1", "ada@example.com"); err != nil {
		log.Fatal(err)
	}
	personal, err := svc.EnsurePersonalTeam(sqlite.WithTx(ctx, tx), team.User{ID: "u1", Email: "ada@example.com", Name: "Ada"})
	if err != nil {
		log.Fatal(err) // the deferred Rollback undoes the host's row too
	}
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}

	got, err := store.Team(ctx, personal.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Kind, got.OwnerID)
	// Output: personal u1
}
