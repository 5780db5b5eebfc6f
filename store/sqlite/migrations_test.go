package sqlite_test

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/teamkit/teamkit/migratefs/migratefstest"
	"github.com/teamkit/teamkit/store/sqlite"
)

// TestMigrationsLayout checks both views of the migrations against the
// rules of goose and golang-migrate (migratefstest: names, annotations,
// every trigger inside a StatementBegin/StatementEnd pair, up and down
// files holding just their part).
func TestMigrationsLayout(t *testing.T) {
	goose, err := sqlite.GooseFS()
	if err != nil {
		t.Fatal(err)
	}
	gm, err := sqlite.GolangMigrateFS()
	if err != nil {
		t.Fatal(err)
	}
	migratefstest.Check(t, migratefstest.Layout{Goose: goose, GolangMigrate: gm,
		NeedsBlock: migratefstest.CreateTrigger, BlockWhat: "a trigger"})
}

// TestGolangMigrateFilesApplyAndRevert runs the golang-migrate view as that
// tool does (each file in one Exec) on a fresh file: the up files build the
// same tables, indexes and triggers as Store.Migrate, and the down files,
// newest first, leave the file empty.
func TestGolangMigrateFilesApplyAndRevert(t *testing.T) {
	fsys, err := sqlite.GolangMigrateFS()
	if err != nil {
		t.Fatal(err)
	}
	ups, downs := migratefstest.UpsAndDowns(t, fsys)

	// A Store only for its connection: nothing migrated.
	bare, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "bare.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = bare.Close() }()
	exec := func(query string) {
		t.Helper()
		if _, err := bare.DB().ExecContext(ctx, query); err != nil {
			t.Fatalf("%.60s…: %v", query, err)
		}
	}
	for _, name := range ups {
		body, _ := fs.ReadFile(fsys, name)
		exec(string(body))
	}
	got := schemaShape(t, bare.DB())
	want := schemaShape(t, newStore(t).DB())
	if len(want) == 0 {
		t.Fatal("Store.Migrate built nothing")
	}
	if !slices.Equal(got, want) {
		t.Errorf("golang-migrate up files built\n%s\nStore.Migrate built\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, name := range downs {
		body, _ := fs.ReadFile(fsys, name)
		exec(string(body))
	}
	if left := schemaShape(t, bare.DB()); len(left) != 0 {
		t.Errorf("after every down file the file still holds\n%s", strings.Join(left, "\n"))
	}
}

// schemaShape lists a database's tables, indexes and triggers with their
// SQL, one line each, sorted, leaving out schema_migrations.
func schemaShape(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(ctx, `SELECT type || ' ' || name || ': ' || coalesce(sql, '(automatic)')
		FROM sqlite_schema WHERE tbl_name <> 'schema_migrations' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
