// Package golden checks the JSON shape of the library's record types
// against files under a package's testdata, for the golden-file tests of
// team, billing and audit. Run a test with -update to rewrite its files.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.json golden files from the values the tests marshal")

// JSON marshals v, compares the result with testdata/name (or rewrites it
// with -update), and unmarshals the file back into a new value of want's
// type, which must equal want.
func JSON(t *testing.T, name string, v, want any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("json.Marshal(%T): %v", v, err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, file) {
		t.Fatalf("%T marshals to\n%s\nbut %s holds\n%s\n(if the change is intended, run go test -run %s -update and review the diff)", v, got, path, file, t.Name())
	}
	back := reflect.New(reflect.TypeOf(want))
	if err := json.Unmarshal(file, back.Interface()); err != nil {
		t.Fatalf("unmarshalling %s: %v", path, err)
	}
	if !reflect.DeepEqual(back.Elem().Interface(), want) {
		t.Fatalf("%s reads back as\n%+v\nwant\n%+v", path, back.Elem().Interface(), want)
	}
}
