package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
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
		return nil, fmt.Errorf("sqlite: reading embedded migrations: %w", err)
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
			return nil, fmt.Errorf("sqlite: migration file %q must be named NNNN_name.sql", name)
		}
		body, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, fmt.Errorf("sqlite: reading migration %q: %w", name, err)
		}
		up, down, annotated, err := splitMigration(string(body))
		if err != nil {
			return nil, fmt.Errorf("sqlite: migration %q: %w; see migrations/README.md", name, err)
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(name, ".sql"), sql: up, down: down, annotated: annotated})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("sqlite: two migrations have version %d", ms[i].version)
		}
	}
	return ms, nil
}

// Migrate applies the embedded migrations the database file has not applied
// yet, each recorded in its schema_migrations table. It is idempotent:
// calling it again applies nothing. It runs in one BEGIN IMMEDIATE
// transaction, which holds the file's write lock, so concurrent calls (from
// several processes on one file too) are safe: one applies, the others wait
// (up to the busy timeout, for another process) and find nothing left to do.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: beginning: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
	) STRICT`); err != nil {
		return fmt.Errorf("sqlite: migrate: creating schema_migrations: %w", err)
	}
	rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("sqlite: migrate: reading applied versions: %w", err)
	}
	var applied []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			_ = rows.Close()
			return fmt.Errorf("sqlite: migrate: reading applied versions: %w", err)
		}
		applied = append(applied, v)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: migrate: reading applied versions: %w", err)
	}
	for _, m := range ms {
		if slices.Contains(applied, m.version) {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("sqlite: migrate: applying %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)", m.version, m.name); err != nil {
			return fmt.Errorf("sqlite: migrate: recording %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migrate: committing: %w", err)
	}
	return s.prepare(ctx)
}

// prepare prepares Authorize's membership query on the read pool, now that
// its table exists. Without it (a host that migrates with goose), Member
// runs unprepared, which is slower but the same.
func (s *Store) prepare(ctx context.Context) error {
	if s.member.Load() != nil {
		return nil
	}
	stmt, err := s.r.PrepareContext(ctx, qMember)
	if err != nil {
		return fmt.Errorf("sqlite: preparing the membership query: %w", err)
	}
	if !s.member.CompareAndSwap(nil, stmt) {
		_ = stmt.Close()
	}
	return nil
}
