package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"github.com/teamkit/teamkit/migratefs"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// loadMigrations reads the embedded migrations, split at their goose
// annotations (see migrations.go).
func loadMigrations() ([]migratefs.Migration, error) {
	ms, err := migratefs.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("mysql: %w; see migrations/README.md", err)
	}
	return ms, nil
}

// lockName is the name of the GET_LOCK lock of migrations of one database
// (at most 64 characters, as MySQL requires).
func lockName(database string) string {
	h := fnv.New64a()
	h.Write([]byte(database))
	return "teamkit.migrate." + strconv.FormatUint(h.Sum64(), 16)
}

// migrateLockTimeout is how long, in seconds, Migrate waits for another
// instance's migration to finish.
const migrateLockTimeout = 300

// Migrate creates the store's database when WithDatabase names one that is
// missing, and applies the embedded migrations it has not applied yet,
// each recorded in the database's schema_migrations table. It is
// idempotent: calling it again applies nothing. It runs on one connection
// under a named lock (GET_LOCK), so concurrent calls (several instances
// starting at once) are safe: one applies, the others wait and find
// nothing left to do.
//
// MySQL commits each DDL statement on its own, so a migration that fails
// halfway leaves the statements before the failure applied and its
// version unrecorded; the error names the migration, which then needs
// repair by hand. Migrate also refuses to run when the session's sql_mode
// is not strict (STRICT_TRANS_TABLES or STRICT_ALL_TABLES): without it
// MySQL would cut over-long values short instead of refusing them.
func (s *Store) Migrate(ctx context.Context) (err error) {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("mysql: migrate: connecting: %w", err)
	}
	used := false // whether conn's default database was changed (USE)
	defer func() {
		if used { // do not hand the connection back to the pool with another default database
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		_ = conn.Close()
	}()
	var mode string
	if err := conn.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode").Scan(&mode); err != nil {
		return fmt.Errorf("mysql: migrate: reading sql_mode: %w", err)
	}
	if !strings.Contains(mode, "STRICT_TRANS_TABLES") && !strings.Contains(mode, "STRICT_ALL_TABLES") {
		return fmt.Errorf("mysql: migrate: sql_mode %q is not strict; the store needs STRICT_TRANS_TABLES (MySQL's and MariaDB's default), for example sql_mode=%%27STRICT_TRANS_TABLES%%27 in the DSN", mode)
	}
	if s.database != "" {
		db := quoteIdent(s.database)
		if _, err := conn.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+db+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
			return fmt.Errorf("mysql: migrate: creating database %s: %w", db, err)
		}
		used = true
		if _, err := conn.ExecContext(ctx, "USE "+db); err != nil {
			return fmt.Errorf("mysql: migrate: using database %s: %w", db, err)
		}
	}
	var current sql.NullString
	if err := conn.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&current); err != nil {
		return fmt.Errorf("mysql: migrate: reading the current database: %w", err)
	}
	if !current.Valid {
		return fmt.Errorf("mysql: migrate: no database: name one in the DSN (user@tcp(host:3306)/dbname) or with WithDatabase")
	}
	lock := lockName(current.String)
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", lock, migrateLockTimeout).Scan(&got); err != nil {
		return fmt.Errorf("mysql: migrate: taking the migration lock: %w", err)
	}
	if got.Int64 != 1 {
		return fmt.Errorf("mysql: migrate: another Migrate of database %s held its lock for %d s; try again when it is done", current.String, migrateLockTimeout)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DO RELEASE_LOCK(?)", lock)
	}()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INT NOT NULL PRIMARY KEY,
		name       VARCHAR(255) NOT NULL,
		applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
	) ENGINE=InnoDB`); err != nil {
		return fmt.Errorf("mysql: migrate: creating schema_migrations: %w", err)
	}
	rows, err := conn.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("mysql: migrate: reading applied versions: %w", err)
	}
	var applied []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("mysql: migrate: reading applied versions: %w", err)
		}
		applied = append(applied, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("mysql: migrate: reading applied versions: %w", err)
	}
	for _, m := range ms {
		if slices.Contains(applied, m.Version) {
			continue
		}
		stmts, err := statements(m.Up)
		if err != nil {
			return fmt.Errorf("mysql: migrate: %s: %w; see migrations/README.md", m.Name, err)
		}
		for i, st := range stmts {
			if _, err := conn.ExecContext(ctx, st); err != nil {
				return fmt.Errorf("mysql: migrate: applying %s, statement %d of %d (the ones before it are applied; repair by hand): %w",
					m.Name, i+1, len(stmts), err)
			}
		}
		if _, err := conn.ExecContext(ctx, "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", m.Version, m.Name); err != nil {
			return fmt.Errorf("mysql: migrate: recording %s: %w", m.Name, err)
		}
	}
	return nil
}
