package postgres_test

import (
	"context"
	"log"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/teamkit/teamkit/store/postgres"
	"github.com/teamkit/teamkit/team"
)

// Example sets up the store and runs one service call inside a transaction
// of the host's own, so the host's row and the team commit together.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("TEAMKIT_POSTGRES_DSN"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	store, err := postgres.New(pool) // schema "teamkit"; postgres.WithSchema to change
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
	tx, err := pool.Begin(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Rollback(ctx) // no-op after Commit
	if _, err := tx.Exec(ctx, "INSERT INTO app_users (id, email) VALUES ($1, $2)", "u1", "ada@example.com"); err != nil {
		log.Fatal(err)
	}
	if _, err := svc.EnsurePersonalTeam(postgres.WithTx(ctx, tx), team.User{ID: "u1", Email: "ada@example.com"}); err != nil {
		log.Fatal(err) // the deferred Rollback undoes the host's row too
	}
	if err := tx.Commit(ctx); err != nil {
		log.Fatal(err)
	}
}
