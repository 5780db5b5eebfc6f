package mysql_test

import (
	"database/sql/driver"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/teamkit/teamkit/migratefs/migratefstest"
	"github.com/teamkit/teamkit/store/mysql"
)

// TestMigrationsLayout checks both views of the migrations against the
// rules of goose and golang-migrate (migratefstest: names, annotations,
// every compound BEGIN … END body (a trigger's) inside a
// StatementBegin/StatementEnd pair, up and down files holding just their
// part). A one-statement trigger needs no block.
func TestMigrationsLayout(t *testing.T) {
	goose, err := mysql.GooseFS()
	noErr(t, "GooseFS", err)
	gm, err := mysql.GolangMigrateFS()
	noErr(t, "GolangMigrateFS", err)
	migratefstest.Check(t, migratefstest.Layout{Goose: goose, GolangMigrate: gm,
		NeedsBlock: func(line string) bool { return strings.EqualFold(strings.TrimSpace(line), "BEGIN") },
		BlockWhat:  "a BEGIN … END body"})
}

// gooseParts returns the statements of the Up and the Down part of the
// goose file name, each trimmed of the white space around it.
func gooseParts(t *testing.T, name string) (up, down string) {
	t.Helper()
	fsys, err := mysql.GooseFS()
	noErr(t, "GooseFS", err)
	body, err := fs.ReadFile(fsys, name)
	noErr(t, "ReadFile "+name, err)
	_, rest, ok := strings.Cut(string(body), "\n-- +goose Up\n")
	if !ok {
		t.Fatalf("%s: no -- +goose Up line", name)
	}
	up, down, ok = strings.Cut(rest, "\n-- +goose Down\n")
	if !ok {
		t.Fatalf("%s: no -- +goose Down line", name)
	}
	up, down = strings.TrimSpace(up), strings.TrimSpace(down)
	if up == "" || down == "" {
		t.Fatalf("%s: empty Up or Down part", name)
	}
	return up, down
}

// TestStatements checks the splitter Migrate uses instead of
// multiStatements: statements end at a line ending in ";", comment lines
// are left out, and a StatementBegin/StatementEnd block is one statement.
func TestStatements(t *testing.T) {
	got, err := mysql.Statements(`-- header
-- +goose Up
CREATE TABLE a (
    -- a comment inside
    id INT
);
CREATE TABLE b (id INT);

-- +goose StatementBegin
CREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000';
END;
-- +goose StatementEnd
DROP TABLE c
`)
	noErr(t, "Statements", err)
	want := []string{
		"CREATE TABLE a (\n    id INT\n)",
		"CREATE TABLE b (id INT)",
		"CREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW\nBEGIN\n    SIGNAL SQLSTATE '45000';\nEND",
		"DROP TABLE c",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Statements = %q, want %q", got, want)
	}
	for _, bad := range []string{"-- +goose StatementBegin\nSELECT 1;\n", "-- +goose StatementEnd\n",
		"-- +goose StatementBegin\n-- +goose StatementBegin\n"} {
		if _, err := mysql.Statements(bad); err == nil {
			t.Errorf("Statements(%q) accepted unbalanced blocks", bad)
		}
	}
}

// TestGolangMigrateFilesApplyAndRevert runs every up file (statement by
// statement, as goose does) on an empty database, compares the tables with
// what Store.Migrate builds, then runs every down file, newest first, back
// to an empty database.
func TestGolangMigrateFilesApplyAndRevert(t *testing.T) {
	built := newStore(t)
	empty := newStore(t)
	fsys, err := mysql.GolangMigrateFS()
	noErr(t, "GolangMigrateFS", err)
	tables := func(s *mysql.Store) []string {
		rows, err := s.DB().QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name <> 'schema_migrations' ORDER BY table_name", s.Database())
		noErr(t, "tables", err)
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n string
			noErr(t, "scan", rows.Scan(&n))
			out = append(out, n)
		}
		return out
	}
	want := tables(built)
	run := func(file string) {
		body, err := fs.ReadFile(fsys, file)
		noErr(t, "ReadFile", err)
		stmts, err := mysql.Statements(string(body))
		noErr(t, file, err)
		// The files use unqualified names: run them with the database as
		// the default one, on a connection then dropped from the pool.
		conn, err := empty.DB().Conn(ctx)
		noErr(t, "Conn", err)
		defer conn.Close()
		defer conn.Raw(func(any) error { return driver.ErrBadConn })
		_, err = conn.ExecContext(ctx, "USE `"+empty.Database()+"`")
		noErr(t, "USE", err)
		for _, st := range stmts {
			_, err := conn.ExecContext(ctx, st)
			noErr(t, file+": "+st, err)
		}
	}
	// empty already has the tables from its own Migrate: revert first.
	ups, downs := migratefstest.UpsAndDowns(t, fsys)
	for _, f := range downs {
		run(f)
	}
	if got := tables(empty); len(got) != 0 {
		t.Fatalf("after the down files: tables %v, want none", got)
	}
	for _, f := range ups {
		run(f)
	}
	if got := tables(empty); !slices.Equal(got, want) {
		t.Fatalf("after the up files: tables %v, want %v as Migrate builds", got, want)
	}
	for _, f := range downs {
		run(f)
	}
	if got := tables(empty); len(got) != 0 {
		t.Fatalf("after the down files again: tables %v, want none", got)
	}
}
