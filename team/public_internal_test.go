package team

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// exportedSentinels returns the names of the exported Err... variables
// declared in the given files of this package.
func exportedSentinels(t *testing.T, files ...string) []string {
	t.Helper()
	var names []string
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					if n.IsExported() && strings.HasPrefix(n.Name, "Err") {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	slices.Sort(names)
	return names
}

// Rule SEC-4: every sentinel declared in errors.go and store.go has a public
// message and a code, in one table; codes are unique snake_case, messages
// are unique, and each entry answers for its sentinel however wrapped.
func TestPublicTable_SEC4_EverySentinel(t *testing.T) {
	declared := exportedSentinels(t, "errors.go", "store.go")
	if len(declared) < 20 {
		t.Fatalf("found only %d sentinels in errors.go and store.go: %v", len(declared), declared)
	}
	var listed []string
	codes, messages := map[string]string{}, map[string]string{}
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	for _, ent := range publicTable {
		if !strings.HasPrefix(ent.name, "context.") {
			listed = append(listed, ent.name)
		}
		if ent.err == nil {
			t.Errorf("%s: nil error", ent.name)
			continue
		}
		if !snake.MatchString(ent.code) || ent.code == codeInternal {
			t.Errorf("%s: code %q is not a snake_case name other than %q", ent.name, ent.code, codeInternal)
		}
		if prev, ok := codes[ent.code]; ok {
			t.Errorf("code %q used by %s and %s", ent.code, prev, ent.name)
		}
		codes[ent.code] = ent.name
		if ent.message == "" || ent.message == messageInternal {
			t.Errorf("%s: no public message of its own", ent.name)
		}
		if prev, ok := messages[ent.message]; ok {
			t.Errorf("message %q used by %s and %s", ent.message, prev, ent.name)
		}
		messages[ent.message] = ent.name
		wrapped := fmt.Errorf("teamkit: detail for logs: %w", ent.err)
		if got := Code(wrapped); got != ent.code {
			t.Errorf("Code(wrapped %s) = %q, want %q", ent.name, got, ent.code)
		}
		if got := PublicMessage(wrapped); got != ent.message {
			t.Errorf("PublicMessage(wrapped %s) = %q, want %q", ent.name, got, ent.message)
		}
	}
	slices.Sort(listed)
	if !slices.Equal(declared, listed) {
		t.Errorf("sentinels declared in errors.go and store.go:\n  %v\nsentinels with a public message and a code (publicTable):\n  %v", declared, listed)
	}
	if Code(fmt.Errorf("x: %w", context.Canceled)) != "canceled" {
		t.Errorf("context.Canceled has no code")
	}
}

// Rule SEC-4: the table in Code's doc comment lists exactly the codes and
// sentinels of publicTable, so the documentation cannot drift.
func TestPublicTable_SEC4_CodeDocMatches(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "public.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var doc string
	for _, decl := range f.Decls {
		if fd, ok := decl.(*ast.FuncDecl); ok && fd.Name.Name == "Code" && fd.Recv == nil {
			doc = fd.Doc.Text()
		}
	}
	if doc == "" {
		t.Fatal("func Code has no doc comment")
	}
	row := regexp.MustCompile(`(?m)^\t([a-z_]+) +(\S+)`)
	var documented, want []string
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		documented = append(documented, m[1]+" "+m[2])
	}
	for _, ent := range publicTable {
		want = append(want, ent.code+" "+ent.name)
	}
	want = append(want, codeInternal+" anything")
	if !slices.Equal(documented, want) {
		t.Errorf("Code's doc table:\n  %q\nwant (publicTable order):\n  %q", documented, want)
	}
}
