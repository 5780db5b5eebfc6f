package mysql_test

import (
	"database/sql/driver"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/teamkit/teamkit/store/mysql"
)

var (
	// goose: a positive version number, an underscore, a name, ".sql".
	gooseName = regexp.MustCompile(`^[0-9]+_[^.]+\.sql$`)
	// golang-migrate: {version}_{title}.up.sql and {version}_{title}.down.sql.
	golangMigrateName = regexp.MustCompile(`^([0-9]+_[^.]+)\.(up|down)\.sql$`)
)

// TestGooseFSLayout checks each file against goose's rules: its name and
// one "-- +goose Up" line before one "-- +goose Down" line.
func TestGooseFSLayout(t *testing.T) {
	fsys, err := mysql.GooseFS()
	noErr(t, "GooseFS", err)
	entries, err := fs.ReadDir(fsys, ".")
	noErr(t, "ReadDir", err)
	if len(entries) == 0 {
		t.Fatal("no migrations")
	}
	for _, e := range entries {
		if !gooseName.MatchString(e.Name()) {
			t.Errorf("%s: goose reads files named NNNN_name.sql", e.Name())
		}
		body, err := fs.ReadFile(fsys, e.Name())
		noErr(t, "ReadFile", err)
		up, down := strings.Index(string(body), "\n-- +goose Up\n"), strings.Index(string(body), "\n-- +goose Down\n")
		if up < 0 || down < up || strings.Count(string(body), "-- +goose Up") != 1 || strings.Count(string(body), "-- +goose Down") != 1 {
			t.Errorf("%s: want one -- +goose Up line, then one -- +goose Down line", e.Name())
		}
	}
}

// TestGolangMigrateFSLayout checks that every version has its up and down
// file, named as golang-migrate reads them, and that they hold the two
// parts of the goose file.
func TestGolangMigrateFSLayout(t *testing.T) {
	fsys, err := mysql.GolangMigrateFS()
	noErr(t, "GolangMigrateFS", err)
	entries, err := fs.ReadDir(fsys, ".")
	noErr(t, "ReadDir", err)
	parts := map[string][]string{}
	for _, e := range entries {
		m := golangMigrateName.FindStringSubmatch(e.Name())
		if m == nil {
			t.Errorf("%s: golang-migrate reads NNNN_name.up.sql and NNNN_name.down.sql", e.Name())
			continue
		}
		parts[m[1]] = append(parts[m[1]], m[2])
		body, err := fs.ReadFile(fsys, e.Name())
		noErr(t, "ReadFile", err)
		if m[2] == "up" && (!strings.Contains(string(body), "CREATE TABLE teams") || strings.Contains(string(body), "DROP TABLE")) {
			t.Errorf("%s does not hold just the Up part", e.Name())
		}
		if m[2] == "down" && (!strings.Contains(string(body), "DROP TABLE teams") || strings.Contains(string(body), "CREATE TABLE")) {
			t.Errorf("%s does not hold just the Down part", e.Name())
		}
	}
	for name, p := range parts {
		slices.Sort(p)
		if !slices.Equal(p, []string{"down", "up"}) {
			t.Errorf("%s has %v, want down and up", name, p)
		}
	}
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
	entries, err := fs.ReadDir(fsys, ".")
	noErr(t, "ReadDir", err)
	var ups, downs []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".up.sql") {
			ups = append(ups, e.Name())
		} else {
			downs = append(downs, e.Name())
		}
	}
	slices.Reverse(downs)
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
