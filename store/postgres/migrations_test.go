package postgres_test

import (
	"context"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/teamkit/teamkit/store/postgres"
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
// dollar-quoted body (which holds semicolons goose would split at) inside a
// StatementBegin/StatementEnd pair.
func TestGooseFSLayout(t *testing.T) {
	fsys, err := postgres.GooseFS()
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
	// Every dollar quote sits inside a StatementBegin/StatementEnd block,
	// and the blocks pair up.
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
		if strings.Contains(line, "$$") && !inBlock {
			t.Errorf("%s:%d: a dollar-quoted body outside -- +goose StatementBegin/StatementEnd; goose would split it at its semicolons", name, i+1)
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
	fsys, err := postgres.GolangMigrateFS()
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
	goose, err := postgres.GooseFS()
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
// tool does (each file in one Exec, search_path on a fresh schema): the up
// files build the same tables, columns and indexes as Store.Migrate, and
// the down files, newest first, leave the schema empty.
func TestGolangMigrateFilesApplyAndRevert(t *testing.T) {
	p := testPool(t)
	ctx := context.Background()
	fsys, err := postgres.GolangMigrateFS()
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

	schema := randomSchema(t)
	conn, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	quoted := pgx.Identifier{schema}.Sanitize()
	t.Cleanup(func() { _, _ = p.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+quoted+" CASCADE") })
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%.60s…: %v", sql, err)
		}
	}
	exec("CREATE SCHEMA " + quoted)
	exec("SET search_path TO " + quoted)
	defer func() { _, _ = conn.Exec(context.Background(), "RESET search_path") }()
	for _, name := range ups {
		body, _ := fs.ReadFile(fsys, name)
		exec(string(body))
	}
	got := schemaShape(t, conn.Conn(), schema)

	other := randomSchema(t)
	t.Cleanup(func() {
		_, _ = p.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{other}.Sanitize()+" CASCADE")
	})
	migrated, err := postgres.New(p, postgres.WithSchema(other))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrated.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	want := schemaShape(t, conn.Conn(), other)
	if !slices.Equal(got, want) {
		t.Errorf("golang-migrate up files built\n%s\nStore.Migrate built\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	for _, name := range downs {
		body, _ := fs.ReadFile(fsys, name)
		exec(string(body))
	}
	if left := schemaShape(t, conn.Conn(), schema); len(left) != 0 {
		t.Errorf("after every down file the schema still holds\n%s", strings.Join(left, "\n"))
	}
}

// schemaShape lists a schema's tables with their columns, its indexes and
// its functions, one line each, sorted, leaving out schema_migrations.
func schemaShape(t *testing.T, conn *pgx.Conn, schema string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
		SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
		  FROM information_schema.columns
		 WHERE table_schema = $1 AND table_name <> 'schema_migrations'
		UNION ALL
		SELECT 'index ' || replace(indexdef, $1 || '.', '')
		  FROM pg_indexes WHERE schemaname = $1 AND tablename <> 'schema_migrations'
		UNION ALL
		SELECT 'function ' || p.proname
		  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1
		UNION ALL
		SELECT 'trigger ' || tgname
		  FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname = $1 AND NOT g.tgisinternal`, schema)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(lines)
	return lines
}
