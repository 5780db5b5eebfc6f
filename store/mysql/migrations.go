package mysql

import (
	"fmt"
	"io/fs"
	"strings"

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
// "-- +goose Down" parts. Pass it to goose.NewProvider(goose.DialectMySQL,
// db, fsys).
//
// goose and golang-migrate record applied versions in their own tables, not
// in the schema_migrations table Store.Migrate keeps: manage a database
// with one tool only. The files use unqualified names, so run the tool on a
// connection whose DSN names the store's database ("/dbname"). goose runs
// each statement on its own; golang-migrate's MySQL driver sends a whole
// file at once, so its DSN needs multiStatements=true.
func GooseFS() (fs.FS, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("mysql: opening the embedded migrations: %w", err)
	}
	return sub, nil
}

// GolangMigrateFS returns the store's migrations as golang-migrate reads
// them: for each version, NNNN_name.up.sql and NNNN_name.down.sql at the
// root, cut from the one embedded file GooseFS serves whole. Pass it to
// iofs.New(fsys, "."). It returns an error when an embedded migration lacks
// its goose annotations (which the package's tests rule out).
//
// golang-migrate's MySQL driver names its own version table
// schema_migrations by default, the name Store.Migrate uses for its own:
// pick another (x-migrations-table) and, as with goose, manage a database
// with one tool only (see GooseFS).
func GolangMigrateFS() (fs.FS, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	fsys, err := migratefs.GolangMigrate(ms)
	if err != nil {
		return nil, fmt.Errorf("mysql: %w; see migrations/README.md", err)
	}
	return fsys, nil
}

// statements splits the Up part of a migration into the statements
// Migrate sends one at a time (the store needs no multiStatements=true in
// the DSN), by goose's rules: a statement ends at a line ending in ";",
// except between "-- +goose StatementBegin" and "-- +goose StatementEnd"
// lines, which hold one statement whole. Lines that are only a comment
// are left out, as are the trailing semicolons.
func statements(up string) ([]string, error) {
	var (
		out   []string
		cur   strings.Builder
		block bool
	)
	flush := func() {
		st := strings.TrimSpace(cur.String())
		st = strings.TrimSpace(strings.TrimSuffix(st, ";"))
		if st != "" {
			out = append(out, st)
		}
		cur.Reset()
	}
	for l := range strings.Lines(up) {
		trimmed := strings.TrimSpace(l)
		switch strings.ToLower(trimmed) {
		case "-- +goose statementbegin":
			if block {
				return nil, fmt.Errorf("two %q lines without %q between them", "-- +goose StatementBegin", "-- +goose StatementEnd")
			}
			flush()
			block = true
			continue
		case "-- +goose statementend":
			if !block {
				return nil, fmt.Errorf("%q without %q", "-- +goose StatementEnd", "-- +goose StatementBegin")
			}
			flush()
			block = false
			continue
		}
		if !block && strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(l)
		if !block && strings.HasSuffix(trimmed, ";") {
			flush()
		}
	}
	if block {
		return nil, fmt.Errorf("%q without %q", "-- +goose StatementBegin", "-- +goose StatementEnd")
	}
	flush()
	return out, nil
}
