// Package migratefstest checks a SQL store's embedded migrations against
// the rules of the tools that read them: goose (the files as they are) and
// golang-migrate (each cut in two by migratefs.GolangMigrate). The SQL
// stores' tests call it on their GooseFS and GolangMigrateFS; a host that
// writes a store of its own with the same layout can too:
//
//	func TestMigrationsLayout(t testing.TB) {
//		goose, _ := mystore.GooseFS()
//		gm, _ := mystore.GolangMigrateFS()
//		migratefstest.Check(t, migratefstest.Layout{Goose: goose, GolangMigrate: gm,
//			NeedsBlock: migratefstest.DollarQuote, BlockWhat: "a dollar-quoted body"})
//	}
package migratefstest

import (
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
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

// Layout is one store's migrations, in both views, and what in them goose
// must not split at semicolons.
type Layout struct {
	Goose         fs.FS // the store's GooseFS
	GolangMigrate fs.FS // the store's GolangMigrateFS
	// NeedsBlock reports whether line starts a statement whose body holds
	// semicolons (a PostgreSQL dollar-quoted body, a SQLite or MySQL
	// trigger): it must sit inside a StatementBegin/StatementEnd block,
	// since goose would split it at its semicolons. BlockWhat names such a
	// statement in the error.
	NeedsBlock func(line string) bool
	BlockWhat  string
}

// DollarQuote is a Layout.NeedsBlock for PostgreSQL: a line holding "$$".
func DollarQuote(line string) bool { return strings.Contains(line, "$$") }

// CreateTrigger is a Layout.NeedsBlock for SQLite and MySQL: a line that
// starts CREATE TRIGGER.
func CreateTrigger(line string) bool {
	return strings.HasPrefix(strings.ToUpper(strings.TrimSpace(line)), "CREATE TRIGGER")
}

// Check runs CheckGoose and CheckGolangMigrate.
func Check(t testing.TB, l Layout) {
	t.Helper()
	CheckGoose(t, l)
	CheckGolangMigrate(t, l)
}

// CheckGoose checks every migration of l.Goose against goose's rules: the
// file name, a unique positive version, exactly one Up annotation, one Down
// annotation after it, every statement NeedsBlock names inside a
// StatementBegin/StatementEnd pair, and a well-behaved fs.FS.
func CheckGoose(t testing.TB, l Layout) {
	t.Helper()
	entries, err := fs.ReadDir(l.Goose, ".")
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
		body, err := fs.ReadFile(l.Goose, name)
		if err != nil {
			t.Fatal(err)
		}
		checkAnnotations(t, l, name, string(body))
	}
	if len(names) == 0 {
		t.Fatal("GooseFS holds no migrations")
	}
	if err := fstest.TestFS(l.Goose, names...); err != nil {
		t.Fatal(err)
	}
}

func checkAnnotations(t testing.TB, l Layout, name, body string) {
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
		if l.NeedsBlock != nil && l.NeedsBlock(line) && !inBlock {
			t.Errorf("%s:%d: %s outside -- +goose StatementBegin/StatementEnd; goose would split it at its semicolons", name, i+1, l.BlockWhat)
		}
	}
	if inBlock {
		t.Errorf("%s: StatementBegin without StatementEnd", name)
	}
}

// CheckGolangMigrate checks the golang-migrate view l.GolangMigrate: file
// names in its pattern, one up and one down file per version with the same
// title, the versions of the goose view, each up file holding just its
// goose file's Up part and each down file just its Down part, and a
// well-behaved fs.FS.
func CheckGolangMigrate(t testing.TB, l Layout) {
	t.Helper()
	entries, err := fs.ReadDir(l.GolangMigrate, ".")
	if err != nil {
		t.Fatal(err)
	}
	type pair struct{ title, up, down string }
	byVersion := map[int]*pair{}
	var names []string
	for _, e := range entries {
		name := e.Name()
		names = append(names, name)
		m := golangMigrateName.FindStringSubmatch(name)
		if m == nil || m[4] != "sql" {
			t.Errorf("%s: golang-migrate reads {version}_{title}.up.sql and .down.sql", name)
			continue
		}
		v, err := strconv.Atoi(m[1])
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
		body, err := fs.ReadFile(l.GolangMigrate, name)
		if err != nil {
			t.Fatal(err)
		}
		if m[3] == "up" {
			p.up = string(body)
		} else {
			p.down = string(body)
		}
	}
	gooseEntries, err := fs.ReadDir(l.Goose, ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(byVersion) != len(gooseEntries) {
		t.Errorf("golang-migrate view has %d versions, goose view %d files", len(byVersion), len(gooseEntries))
	}
	for _, e := range gooseEntries {
		m := gooseName.FindStringSubmatch(e.Name())
		if m == nil {
			continue // CheckGoose reports it
		}
		v, _ := strconv.Atoi(m[1])
		p := byVersion[v]
		if p == nil {
			t.Errorf("%s: no golang-migrate files for version %d", e.Name(), v)
			continue
		}
		if p.up == "" || p.down == "" {
			t.Errorf("version %d: up file %t, down file %t; each version needs both", v, p.up != "", p.down != "")
			continue
		}
		body, err := fs.ReadFile(l.Goose, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		upPart, downPart, ok := gooseParts(string(body))
		if !ok {
			continue // CheckGoose reports it
		}
		if !strings.Contains(p.up, upPart) || strings.Contains(p.up, downPart) {
			t.Errorf("%s: the up file does not hold just the Up part", e.Name())
		}
		if !strings.Contains(p.down, downPart) || strings.Contains(p.down, upPart) {
			t.Errorf("%s: the down file does not hold just the Down part", e.Name())
		}
	}
	if err := fstest.TestFS(l.GolangMigrate, names...); err != nil {
		t.Fatal(err)
	}
}

// gooseParts returns the text between a goose file's Up and Down
// annotation lines and the text after the Down line, each trimmed; ok is
// false unless the file has one of each, in that order.
func gooseParts(body string) (up, down string, ok bool) {
	var at []int // byte offsets: start of the Up line, end of it, start of the Down line, end of it
	for _, m := range gooseAnnotation.FindAllStringSubmatchIndex(body, -1) {
		switch strings.ToLower(body[m[2]:m[3]]) {
		case "up", "down":
			at = append(at, m[0], m[1])
		}
	}
	if len(at) != 4 || !strings.EqualFold(strings.TrimSpace(body[at[0]:at[1]]), "-- +goose up") {
		return "", "", false
	}
	return strings.TrimSpace(body[at[1]:at[2]]), strings.TrimSpace(body[at[3]:]), true
}

// UpsAndDowns returns the file names of the golang-migrate view fsys: the up
// files oldest first and the down files newest first, the orders in which
// golang-migrate applies and reverts them.
func UpsAndDowns(t testing.TB, fsys fs.FS) (ups, downs []string) {
	t.Helper()
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
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
	return ups, downs
}
