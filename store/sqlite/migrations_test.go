package sqlite_test

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/teamkit/teamkit/store/sqlite"
)

// The file names each tool reads, as their documentation states them.
var (
	// goose: a positive version number, an underscore, a name, ".sql".
	gooseName = regexp.MustCompile(`^([0-9]+)_([^.]+)\.sql$`)
	// golang-migrate: {version}_{title}.up.{extension} and
	// {version}_{title}.down.{extension}.
	golangMigrateName = regexp.MustCompile(`^([0-9]+)_(.*)\.(down|up)\.(.*)$`)
	// goose annotations: their own line, no leading white space, any case.
	gooseAnnotation = regexp.MustCompile(`(?im)^-- \+goose (up|down|statementbegin|statementend)[ \t]*$`)
)

// TestGooseFSLayout checks every migration against goose's rules: the file
// name, exactly one Up annotation, one Down annotation after it, and every
// trigger (whose body holds semicolons goose would split at) inside a
// StatementBegin/StatementEnd pair.
func TestGooseFSLayout(t *testing.T) {
	fsys, err := sqlite.GooseFS()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	versions := map[int64]string{}
	for _, e := range entries {
		name := e.Name()
		names = append(names, name)
		m := gooseName.FindStringSubmatch(name)
		if m == nil {
			t.Errorf("%s: goose reads files named NNNN_name.sql", name)
			continue
		}
		v, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || v < 1 {
			t.Errorf("%s: version %q is not a positive int64", name, m[1])
		}
		if other, dup := versions[v]; dup {
			t.Errorf("%s and %s share version %d", other, name, v)
		}
		versions[v] = name
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		checkGooseAnnotations(t, name, string(body))
	}
	if len(names) == 0 {
		t.Fatal("GooseFS holds no migrations")
	}
	if err := fstest.TestFS(fsys, names...); err != nil {
		t.Fatal(err)
	}
}

func checkGooseAnnotations(t *testing.T, name, body string) {
	t.Helper()
	var seq []string
	for _, m := range gooseAnnotation.FindAllStringSubmatch(body, -1) {
		seq = append(seq, strings.ToLower(m[1]))
	}
	up, down := slices.Index(seq, "up"), slices.Index(seq, "down")
	switch {
	case up < 0:
		t.Errorf("%s: no \"-- +goose Up\" line (add one above the statements; see migrations/README.md)", name)
	case slices.Index(seq[up+1:], "up") >= 0:
		t.Errorf("%s: two \"-- +goose Up\" lines", name)
	case down < 0:
		t.Errorf("%s: no \"-- +goose Down\" part (add one that undoes the Up part)", name)
	case down < up:
		t.Errorf("%s: \"-- +goose Down\" comes before \"-- +goose Up\"", name)
	case slices.Index(seq[down+1:], "down") >= 0:
		t.Errorf("%s: two \"-- +goose Down\" lines", name)
	}
	// Every trigger sits inside a StatementBegin/StatementEnd block, and
	// the blocks pair up.
	inBlock := false
	for i, line := range strings.Split(body, "\n") {
		switch strings.ToLower(strings.TrimRight(line, " \t\r")) {
		case "-- +goose statementbegin":
			if inBlock {
				t.Errorf("%s:%d: StatementBegin inside a StatementBegin block", name, i+1)
			}
			inBlock = true
			continue
		case "-- +goose statementend":
			if !inBlock {
				t.Errorf("%s:%d: StatementEnd without StatementBegin", name, i+1)
			}
			inBlock = false
			continue
		}
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(line)), "CREATE TRIGGER") && !inBlock {
			t.Errorf("%s:%d: a trigger outside -- +goose StatementBegin/StatementEnd; goose would split its body at its semicolons", name, i+1)
		}
	}
	if inBlock {
		t.Errorf("%s: StatementBegin without StatementEnd", name)
	}
}

// TestGolangMigrateFSLayout checks the golang-migrate view: file names in
// its pattern, one up and one down file per version with the same title,
// the same versions as the goose view, and a well-behaved fs.FS.
func TestGolangMigrateFSLayout(t *testing.T) {
	fsys, err := sqlite.GolangMigrateFS()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	type pair struct{ title, up, down string }
	byVersion := map[uint64]*pair{}
	var names []string
	for _, e := range entries {
		name := e.Name()
		names = append(names, name)
		m := golangMigrateName.FindStringSubmatch(name)
		if m == nil || m[4] != "sql" {
			t.Errorf("%s: golang-migrate reads {version}_{title}.up.sql and .down.sql", name)
			continue
		}
		v, err := strconv.ParseUint(m[1], 10, 64)
		if err != nil {
			t.Errorf("%s: version %q is not a number", name, m[1])
			continue
		}
		p := byVersion[v]
		if p == nil {
			p = &pair{title: m[2]}
			byVersion[v] = p
		}
		if p.title != m[2] {
			t.Errorf("version %d has titles %q and %q", v, p.title, m[2])
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		if m[3] == "up" {
			p.up = string(body)
		} else {
			p.down = string(body)
		}
	}
	goose, err := sqlite.GooseFS()
	if err != nil {
		t.Fatal(err)
	}
	gooseEntries, err := fs.ReadDir(goose, ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(byVersion) != len(gooseEntries) {
		t.Errorf("golang-migrate view has %d versions, goose view %d files", len(byVersion), len(gooseEntries))
	}
	for v, p := range byVersion {
		if p.up == "" || p.down == "" {
			t.Errorf("version %d: up file %t, down file %t; each version needs both", v, p.up != "", p.down != "")
		}
		if gooseAnnotation.MatchString(p.down) && strings.Contains(strings.ToLower(p.up), "-- +goose down") {
			t.Errorf("version %d: the up file holds the Down part", v)
		}
	}
	if err := fstest.TestFS(fsys, names...); err != nil {
		t.Fatal(err)
	}
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
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	var ups, downs []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".up.sql") {
			ups = append(ups, e.Name())
		} else {
			downs = append(downs, e.Name())
		}
	}
	slices.Sort(ups)
	slices.Sort(downs)
	slices.Reverse(downs)

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
