package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/output.txt")

// TestRun pins the report for a fixed day in Berlin: the chart (rule
// BILL-10: a daily series per member in a zone), the breakdown's top 2 and
// "other" (BILL-10), and the statement, which balances (BILL-12). The SVG
// is well-formed and holds one bar per member and day.
func TestRun(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 30, 15, 0, 0, 0, loc) // the series crosses the DST change of 2026-03-29
	svg := filepath.Join(t.TempDir(), "u.svg")
	var out bytes.Buffer
	if err := run(context.Background(), &out, svg, now, loc); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := strings.ReplaceAll(out.String(), svg, "SVG")
	golden := filepath.Join("testdata", "output.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestRun -update)", err)
	}
	if got != string(want) {
		t.Fatalf("output changed (go test -run TestRun -update, then review the diff):\n%s", got)
	}

	// The chart: 14 days per member, 2026-03-17 to 2026-03-30.
	days := regexp.MustCompile(`(?m)^  (\d\d-\d\d) \w{3} \|#* *(\d+)$`).FindAllStringSubmatch(got, -1)
	if len(days) != 4*14 || days[0][1] != "03-17" || days[13][1] != "03-30" {
		t.Fatalf("%d chart rows, first %v", len(days), days[0])
	}
	// The statement balances.
	m := regexp.MustCompile(`closing balance +(-?\d+)  \(= (-?\d+) \+ (\d+) - (\d+)\)`).FindStringSubmatch(got)
	if m == nil {
		t.Fatal("no closing balance line")
	}
	n := func(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }
	if n(m[2])+n(m[3])-n(m[4]) != n(m[1]) {
		t.Fatalf("statement does not balance: %s", m[0])
	}

	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	rects := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("the SVG is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	if rects != 4*14+4 { // bars, then the legend's swatches
		t.Fatalf("the SVG has %d rects, want %d", rects, 4*14+4)
	}
}
