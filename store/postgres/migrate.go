package postgres

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/teamkit/teamkit/migratefs"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// loadMigrations reads the embedded migrations, split at their goose
// annotations (see migrations.go).
func loadMigrations() ([]migratefs.Migration, error) {
	ms, err := migratefs.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w; see migrations/README.md", err)
	}
	return ms, nil
}

// lockKey is the advisory lock key of migrations of one schema.
func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("teamkit.migrate:" + schema))
	return int64(h.Sum64())
}

// Migrate creates the store's schema when missing and applies the embedded
// migrations it has not applied yet, each recorded in the schema's
// schema_migrations table. It is idempotent: calling it again applies
// nothing. It runs in one transaction under an advisory lock, so concurrent
// calls (several instances starting at once) are safe: one applies, the
// others wait and find nothing left to do.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	schema := pgx.Identifier{s.schema}.Sanitize()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey(s.schema)); err != nil {
			return fmt.Errorf("postgres: migrate: taking the migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
			return fmt.Errorf("postgres: migrate: creating schema %s: %w", schema, err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+schema+`.schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("postgres: migrate: creating schema_migrations: %w", err)
		}
		rows, err := tx.Query(ctx, "SELECT version FROM "+schema+".schema_migrations")
		if err != nil {
			return fmt.Errorf("postgres: migrate: reading applied versions: %w", err)
		}
		applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return fmt.Errorf("postgres: migrate: reading applied versions: %w", err)
		}
		if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+schema); err != nil {
			return fmt.Errorf("postgres: migrate: setting search_path: %w", err)
		}
		for _, m := range ms {
			if slices.Contains(applied, int32(m.Version)) {
				continue
			}
			if _, err := tx.Exec(ctx, m.Up); err != nil {
				return fmt.Errorf("postgres: migrate: applying %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO "+schema+".schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
				return fmt.Errorf("postgres: migrate: recording %s: %w", m.Name, err)
			}
		}
		return nil
	})
}
