package postgres

import (
	"fmt"
	"io/fs"

	"github.com/teamkit/teamkit/migratefs"
)

// The migrations live in one place, migrations/NNNN_name.sql, each file in
// goose's format: a "-- +goose Up" line, the statements that apply it, a
// "-- +goose Down" line and the statements that undo it. Store.Migrate runs
// the Up part; GooseFS serves the files as they are; GolangMigrateFS splits
// each into the two files golang-migrate reads (the core module's package
// migratefs reads and splits them for the three SQL stores).
// migrations/README.md says how to add one.

// GooseFS returns the store's migrations as goose reads them: one file per
// version at the root, NNNN_name.sql, each with its "-- +goose Up" and
// "-- +goose Down" parts (and StatementBegin/StatementEnd around function
// bodies). Pass it to goose.NewProvider(goose.DialectPostgres, db, fsys).
//
// goose and golang-migrate record applied versions in their own tables, not
// in the schema_migrations table Store.Migrate keeps: manage a schema with
// one tool only. The files use unqualified names, so run the tool with
// search_path set to the store's schema ("teamkit" unless WithSchema says
// otherwise), created beforehand, for example with
// "options=-csearch_path%3Dteamkit" in the connection string.
func GooseFS() (fs.FS, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: opening the embedded migrations: %w", err)
	}
	return sub, nil
}

// GolangMigrateFS returns the store's migrations as golang-migrate reads
// them: for each version, NNNN_name.up.sql and NNNN_name.down.sql at the
// root, cut from the one embedded file GooseFS serves whole. Pass it to
// iofs.New(fsys, "."). It returns an error when an embedded migration lacks
// its goose annotations (which the package's tests rule out).
//
// golang-migrate's PostgreSQL driver names its own version table
// schema_migrations by default, the name Store.Migrate uses for its own:
// pick another (x-migrations-table) if the store's schema is on the
// search_path, and, as with goose, manage a schema with one tool only (see
// GooseFS).
func GolangMigrateFS() (fs.FS, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	fsys, err := migratefs.GolangMigrate(ms)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w; see migrations/README.md", err)
	}
	return fsys, nil
}
