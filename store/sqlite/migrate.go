package sqlite

import (
	"context"
	"embed"
	"fmt"
	"slices"

	"github.com/teamkit/teamkit/migratefs"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// loadMigrations reads the embedded migrations, split at their goose
// annotations (see migrations.go).
func loadMigrations() ([]migratefs.Migration, error) {
	ms, err := migratefs.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w; see migrations/README.md", err)
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
		if slices.Contains(applied, m.Version) {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.Up); err != nil {
			return fmt.Errorf("sqlite: migrate: applying %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)", m.Version, m.Name); err != nil {
			return fmt.Errorf("sqlite: migrate: recording %s: %w", m.Name, err)
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
