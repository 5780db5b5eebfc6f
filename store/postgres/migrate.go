package postgres

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded schema migration: migrations/NNNN_name.sql,
// split at its goose annotations (see migrations.go).
type migration struct {
	version   int
	name      string
	sql       string // the Up part, which Migrate runs
	down      string // the Down part, for golang-migrate; "" when absent
	annotated bool   // whether the file has its "-- +goose Up" line
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: reading embedded migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".sql" {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("postgres: migration file %q must be named NNNN_name.sql", name)
		}
		body, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, fmt.Errorf("postgres: reading migration %q: %w", name, err)
		}
		up, down, annotated, err := splitMigration(string(body))
		if err != nil {
			return nil, fmt.Errorf("postgres: migration %q: %w; see migrations/README.md", name, err)
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(name, ".sql"), sql: up, down: down, annotated: annotated})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("postgres: two migrations have version %d", ms[i].version)
		}
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
			if slices.Contains(applied, int32(m.version)) {
				continue
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("postgres: migrate: applying %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO "+schema+".schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
				return fmt.Errorf("postgres: migrate: recording %s: %w", m.name, err)
			}
		}
		return nil
	})
}
