package migratefs_test

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/teamkit/teamkit/migratefs"
)

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		name, body, up, down string
		annotated            bool
		err                  string
	}{
		{name: "plain SQL is all up", body: "CREATE TABLE t (a int);\n", up: "CREATE TABLE t (a int);\n"},
		{name: "up only", body: "-- v1\n-- +goose Up\nCREATE TABLE t (a int);\n",
			up: "-- v1\n-- +goose Up\nCREATE TABLE t (a int);\n", annotated: true},
		{name: "up and down, header kept in both",
			body:      "-- v1\n-- +goose Up\nCREATE TABLE t (a int);\n\n-- +goose Down\nDROP TABLE t;\n",
			up:        "-- v1\n-- +goose Up\nCREATE TABLE t (a int);\n\n",
			down:      "-- v1\n-- +goose Down\nDROP TABLE t;\n",
			annotated: true},
		{name: "any case, trailing blanks and CRLF",
			body: "-- +GOOSE UP \r\nA;\r\n-- +Goose Down\t\r\nB;\r\n",
			up:   "-- +GOOSE UP \r\nA;\r\n", down: "-- +Goose Down\t\r\nB;\r\n", annotated: true},
		{name: "leading white space is no annotation (as in goose)",
			body: "-- +goose Up\nA;\n  -- +goose Down\nB;\n",
			up:   "-- +goose Up\nA;\n  -- +goose Down\nB;\n", annotated: true},
		{name: "two Up lines", body: "-- +goose Up\nA;\n-- +goose Up\nB;\n", err: "two"},
		{name: "two Down lines", body: "-- +goose Up\nA;\n-- +goose Down\nB;\n-- +goose Down\n", err: "two"},
		{name: "Down before Up", body: "-- +goose Down\nB;\n-- +goose Up\nA;\n", err: "comes before"},
	} {
		t.Run(c.name, func(t *testing.T) {
			up, down, annotated, err := migratefs.Split(c.body)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil || up != c.up || down != c.down || annotated != c.annotated {
				t.Fatalf("Split = %q, %q, %t, %v; want %q, %q, %t", up, down, annotated, err, c.up, c.down, c.annotated)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0010_later.sql": {Data: []byte("-- +goose Up\nB;\n-- +goose Down\nUNDO B;\n")},
		"m/0002_init.sql":  {Data: []byte("-- +goose Up\nA;\n-- +goose Down\nUNDO A;\n")},
		"m/README.md":      {Data: []byte("not a migration")},
	}
	ms, err := migratefs.Load(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Version != 2 || ms[0].Name != "0002_init" || ms[1].Version != 10 || ms[1].Name != "0010_later" {
		t.Fatalf("Load = %+v; want 0002_init then 0010_later", ms)
	}
	if ms[0].Up != "-- +goose Up\nA;\n" || ms[0].Down != "-- +goose Down\nUNDO A;\n" || !ms[0].Annotated {
		t.Fatalf("0002_init split as %+v", ms[0])
	}
	for name, bad := range map[string]fstest.MapFS{
		"must be named NNNN_name.sql": {"m/init.sql": {Data: []byte("A;")}},
		"must be named":               {"m/0000_zero.sql": {Data: []byte("A;")}},
		"two migrations have version": {"m/0001_a.sql": {Data: []byte("A;")}, "m/01_b.sql": {Data: []byte("B;")}},
		`migration "0001_a.sql": two`: {"m/0001_a.sql": {Data: []byte("-- +goose Up\n-- +goose Up\n")}},
		"reading the migrations in m": {},
	} {
		if _, err := migratefs.Load(bad, "m"); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Load(%v) = %v, want an error saying %q", bad, err, name)
		}
	}
}

func TestGolangMigrate(t *testing.T) {
	ms := []migratefs.Migration{
		{Version: 1, Name: "0001_init", Up: "UP 1", Down: "DOWN 1", Annotated: true},
		{Version: 2, Name: "0002_more", Up: "UP 2", Down: "DOWN 2", Annotated: true},
	}
	fsys, err := migratefs.GolangMigrate(ms)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"0001_init.down.sql", "0001_init.up.sql", "0002_more.down.sql", "0002_more.up.sql"}
	if err := fstest.TestFS(fsys, names...); err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil || len(entries) != len(names) {
		t.Fatalf("ReadDir = %v, %v; want %v", entries, err, names)
	}
	for i, e := range entries {
		if e.Name() != names[i] {
			t.Errorf("entry %d is %s, want %s", i, e.Name(), names[i])
		}
	}
	if body, err := fs.ReadFile(fsys, "0002_more.down.sql"); err != nil || string(body) != "DOWN 2" {
		t.Errorf("0002_more.down.sql = %q, %v", body, err)
	}
	if _, err := fs.ReadFile(fsys, "0003_none.up.sql"); err == nil {
		t.Error("reading a missing file succeeded")
	}
	ms[1].Down = ""
	if _, err := migratefs.GolangMigrate(ms); err == nil || !strings.Contains(err.Error(), "0002_more.sql has no") {
		t.Errorf("GolangMigrate without a Down part: %v", err)
	}
}
