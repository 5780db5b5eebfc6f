package docs

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// ruleID matches a rule ID wherever the code cites one.
var ruleID = regexp.MustCompile(`\b(TEAM|ROLE|INV|MEM|OWN|DEL|RES|BILL|AUD|SEC|USER|LINK|JOIN|FEED|HTTP|UI)-[0-9]+\b`)

// definition matches a line of rules.md that defines a rule: a list item
// starting with the ID in bold ("- **INV-4**: …"), or a heading starting
// with the ID ("### INV-4 …").
var definition = regexp.MustCompile(`^(?:\s*[-*]\s+\*\*(` + ruleID.String() + `)\*\*|#{1,6}\s+(` + ruleID.String() + `))`)

// definedRules returns the IDs rules.md defines, with the line of each.
// An ID defined twice is an error.
func definedRules(md []byte) (map[string]int, error) {
	defined := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(md))
	for n := 1; sc.Scan(); n++ {
		m := definition.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		id := m[1]
		if id == "" {
			id = m[3]
		}
		if first, dup := defined[id]; dup {
			return nil, fmt.Errorf("rules.md:%d defines %s again (first at line %d)", n, id, first)
		}
		defined[id] = n
	}
	return defined, sc.Err()
}

// undefinedCitations walks every .go file of fsys, skipping .git and
// testdata directories, and returns "file:line: ID" for each citation of
// an ID not in defined, and the number of citations found.
func undefinedCitations(fsys fs.FS, defined map[string]int) (missing []string, cited int, err error) {
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == ".git" || name == "testdata" {
				return fs.SkipDir
			}
			return nil
		}
		if path.Ext(p) != ".go" {
			return nil
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		for n, line := range strings.Split(string(body), "\n") {
			for _, id := range ruleID.FindAllString(line, -1) {
				cited++
				if _, ok := defined[id]; !ok {
					missing = append(missing, fmt.Sprintf("%s:%d: %s", p, n+1, id))
				}
			}
		}
		return nil
	})
	return missing, cited, err
}

// TestEveryCitedRuleIsDefined fails, naming each file and line, when a Go
// file of the repository (godoc, code or test, nested modules included)
// cites a rule ID that docs/rules.md does not define.
func TestEveryCitedRuleIsDefined(t *testing.T) {
	md, err := os.ReadFile("rules.md")
	if err != nil {
		t.Fatal(err)
	}
	defined, err := definedRules(md)
	if err != nil {
		t.Fatal(err)
	}
	if len(defined) == 0 {
		t.Fatal("rules.md defines no rule: definitions are list items starting with the ID in bold, \"- **INV-4**: …\"")
	}
	missing, cited, err := undefinedCitations(os.DirFS(".."), defined)
	if err != nil {
		t.Fatal(err)
	}
	if cited == 0 {
		t.Fatal("found no rule citations in the repository's .go files; is the walk rooted at the repository?")
	}
	if len(missing) > 0 {
		t.Errorf("%d citations of rules docs/rules.md does not define (add a \"- **ID**: …\" item, or fix the ID):\n%s",
			len(missing), strings.Join(missing, "\n"))
	}
}

// TestCheckerFindsUndefinedRules runs the checker on a made-up tree: it
// reports an undefined ID with its file and line, ignores testdata and
// non-Go files, and counts only list-item or heading definitions.
func TestCheckerFindsUndefinedRules(t *testing.T) {
	md := []byte("# Rules\n\n- **INV-4**: defined.\n### TEAM-1 a heading defines too\nMentions INV-9 define nothing.\n")
	defined, err := definedRules(md)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"INV-4", "TEAM-1"}; !slices.Equal(keys(defined), want) {
		t.Fatalf("definedRules = %v, want %v", keys(defined), want)
	}
	// The made-up IDs are assembled here so that this file cites none.
	id := func(family string, n int) string { return fmt.Sprintf("%s-%d", family, n) }
	fsys := fstest.MapFS{
		"a.go":              {Data: []byte("package a\n\n// Rule INV-4 and TEAM-1.\n")},
		"sub/mod/b_test.go": {Data: []byte("package b\n\n// Rule INV-9.\nfunc TestX() {} // " + id("MEM", 77) + "\n")},
		"sub/testdata/c.go": {Data: []byte("// " + id("AUD", 99) + "\n")},
		"README.md":         {Data: []byte(id("AUD", 98) + "\n")},
		".git/hooks/d.go":   {Data: []byte("// " + id("AUD", 97) + "\n")},
		"sub/notarule.go":   {Data: []byte("// XINV-5, INV-5x, SHA-256\n")},
	}
	missing, cited, err := undefinedCitations(fsys, defined)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"sub/mod/b_test.go:3: INV-9", "sub/mod/b_test.go:4: " + id("MEM", 77)}
	if !slices.Equal(missing, want) || cited != 4 {
		t.Fatalf("undefinedCitations = %q (%d cited), want %q (4 cited)", missing, cited, want)
	}
	if _, err := definedRules([]byte("- **INV-4**: one\n- **INV-4**: two\n")); err == nil {
		t.Fatal("a rule defined twice was accepted")
	}
}

func keys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
