package migratefstest_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/teamkit/teamkit/migratefs"
	"github.com/teamkit/teamkit/migratefs/migratefstest"
)

// recorder is a testing.TB that keeps the failures a check reports.
type recorder struct {
	testing.TB
	failures []string
}

type fatal struct{}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatal(args ...any) {
	r.failures = append(r.failures, fmt.Sprint(args...))
	panic(fatal{})
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(fatal{})
}

// check runs migratefstest.Check on the goose files and their
// golang-migrate view (gm, or migratefs.GolangMigrate's when nil) and
// returns the failures it reported.
func check(t *testing.T, goose fstest.MapFS, gm fstest.MapFS) []string {
	t.Helper()
	l := migratefstest.Layout{Goose: goose, NeedsBlock: migratefstest.DollarQuote, BlockWhat: "a dollar-quoted body"}
	if gm != nil {
		l.GolangMigrate = gm
	} else {
		ms, err := migratefs.Load(goose, ".")
		if err != nil {
			t.Fatal(err)
		}
		if l.GolangMigrate, err = migratefs.GolangMigrate(ms); err != nil {
			t.Fatal(err)
		}
	}
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil {
				if _, ok := p.(fatal); !ok {
					panic(p)
				}
			}
		}()
		migratefstest.CheckGoose(r, l)
		migratefstest.CheckGolangMigrate(r, l)
	}()
	return r.failures
}

const good = "-- 0001_init: a table.\n\n-- +goose Up\nCREATE TABLE a (id int);\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n-- +goose StatementEnd\n\n-- +goose Down\nDROP FUNCTION f();\nDROP TABLE a;\n"

func TestCheckPassesAGoodLayout(t *testing.T) {
	if got := check(t, fstest.MapFS{"0001_init.sql": {Data: []byte(good)}}, nil); len(got) != 0 {
		t.Fatalf("a good layout was refused: %q", got)
	}
}

func TestCheckReportsEachBrokenRule(t *testing.T) {
	for _, c := range []struct {
		name  string
		goose fstest.MapFS
		gm    fstest.MapFS
		want  string
	}{
		{"bad name", fstest.MapFS{"init.sql": {Data: []byte(good)}}, fstest.MapFS{}, "goose reads files named NNNN_name.sql"},
		{"no down", fstest.MapFS{"0001_init.sql": {Data: []byte("-- +goose Up\nCREATE TABLE a (id int);\n")}}, fstest.MapFS{}, `no "-- +goose Down" part`},
		{"dollar quote outside a block", fstest.MapFS{"0001_init.sql": {Data: []byte(strings.ReplaceAll(strings.ReplaceAll(good, "-- +goose StatementBegin\n", ""), "-- +goose StatementEnd\n", ""))}}, nil, "a dollar-quoted body outside"},
		{"no down file", fstest.MapFS{"0001_init.sql": {Data: []byte(good)}}, fstest.MapFS{"0001_init.up.sql": {Data: []byte(good)}}, "each version needs both"},
		{"down part in the up file", fstest.MapFS{"0001_init.sql": {Data: []byte(good)}}, fstest.MapFS{
			"0001_init.up.sql": {Data: []byte(good)}, "0001_init.down.sql": {Data: []byte("DROP FUNCTION f();\nDROP TABLE a;\n")},
		}, "the up file does not hold just the Up part"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := check(t, c.goose, c.gm)
			if !strings.Contains(strings.Join(got, "\n"), c.want) {
				t.Fatalf("failures %q; want one saying %q", got, c.want)
			}
		})
	}
}
