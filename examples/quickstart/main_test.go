package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamkit/teamkit/team"
)

var update = flag.Bool("update", false, "rewrite testdata/story.txt from the current output")

// fixed returns options that make the story print the same text every run:
// a clock that ticks one second per reading, sequential IDs and a seeded
// random source. Only tests use them; main runs with the defaults.
func fixed() []team.Option {
	var mu sync.Mutex
	now, n := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC), 0
	return []team.Option{
		team.WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(time.Second); return now }),
		team.WithIDs(func() string { mu.Lock(); defer mu.Unlock(); n++; return fmt.Sprintf("id-%03d", n) }),
		team.WithRandom(rand.NewChaCha8([32]byte{'q', 'u', 'i', 'c', 'k'})),
	}
}

// TestRun_Golden pins the whole story, run with fixed options, to
// testdata/story.txt (go test -run Golden -update rewrites it).
func TestRun_Golden(t *testing.T) {
	var buf bytes.Buffer
	if err := run(context.Background(), &buf, fixed()...); err != nil {
		t.Fatalf("run: %v\n%s", err, buf.String())
	}
	golden := filepath.Join("testdata", "story.txt")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if buf.String() != string(want) {
		t.Errorf("output differs from %s (rerun with -update if the change is intended):\n%s", golden, buf.String())
	}
}

// TestRun tells the story with the production defaults, as go run does, and
// checks its key lines; each names the rule it shows. Refusals show the
// public message, which holds no account ID, balance or other user's
// detail (SEC-4).
func TestRun(t *testing.T) {
	var buf bytes.Buffer
	if err := run(context.Background(), &buf); err != nil {
		t.Fatalf("run: %v\n%s", err, buf.String())
	}
	out := buf.String()
	for _, want := range []struct{ rule, pattern string }{
		{"TEAM-4", `Creating a team on FREE: refused \[subscription_required\] `},
		{"INV-9", `Invitation for bo@example.com as admin, valid until \d{4}-\d\d-\d\d`},
		{"INV-5", `Eve opens Bo's link: refused \[email_mismatch\] `},
		{"INV-5", `Cy accepts and joins as member\.`},
		{"RES-2", `Cy may create agent-1 \(members create and edit their own\)`},
		{"BILL-4", `charged once\); Ana's balance: 880\.`},
		{"BILL-3", `Cy runs a job of 5000 tokens: refused \[insufficient_balance\] `},
		{"ROLE-5", `Cy's session epoch changed, so the host signs Cy in again`},
		{"ROLE-2", `Cy edits agent-1: refused \[permission_denied\] `},
		{"OWN-3", `\n  ana  member\n`},
		{"DEL-2", `Bo deletes Acme: refused \[resources_remain\] The team still holds 1 agent;`},
		{"AUD-4", `Acme is deleted; its audit trail of \d+ events stays and verifies\.`},
	} {
		if !regexp.MustCompile(want.pattern).MatchString(out) {
			t.Errorf("Rule %s: output lacks %q", want.rule, want.pattern)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "refused") && regexp.MustCompile(`acct|account [0-9a-f-]{8,}|\b880\b|\b1000\b`).MatchString(line) {
			t.Errorf("Rule SEC-4: a refusal shows billing detail: %q", line)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, bytes.ErrTooLarge }

// TestRunReportsWriteErrors checks that a broken output is reported.
func TestRunReportsWriteErrors(t *testing.T) {
	if err := run(context.Background(), failingWriter{}); err == nil {
		t.Fatal("run with a failing writer returned nil")
	}
}
