package postgres_test

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/teamkit/teamkit/migratefs/migratefstest"
	"github.com/teamkit/teamkit/store/postgres"
)

// TestMigrationsLayout checks both views of the migrations against the
// rules of goose and golang-migrate (migratefstest: names, annotations,
// every dollar-quoted body inside a StatementBegin/StatementEnd pair, up and down
// files holding just their part).
func TestMigrationsLayout(t *testing.T) {
	goose, err := postgres.GooseFS()
	if err != nil {
		t.Fatal(err)
	}
	gm, err := postgres.GolangMigrateFS()
	if err != nil {
		t.Fatal(err)
	}
	migratefstest.Check(t, migratefstest.Layout{Goose: goose, GolangMigrate: gm,
		NeedsBlock: migratefstest.DollarQuote, BlockWhat: "a dollar-quoted body"})
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
	ups, downs := migratefstest.UpsAndDowns(t, fsys)

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
