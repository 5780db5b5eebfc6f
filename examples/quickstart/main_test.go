package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestRun tells the story and checks its key lines: each names the rule it
// shows.
func TestRun(t *testing.T) {
	var buf bytes.Buffer
	if err := run(context.Background(), &buf); err != nil {
		t.Fatalf("run: %v\n%s", err, buf.String())
	}
	out := buf.String()
	for _, want := range []struct {
		rule, pattern string
	}{
		{"TEAM-1", `Registering her again is harmless: same team id-\d+\.`},
		{"TEAM-4", `On the FREE plan, creating a team is refused: .*subscription`},
		{"BILL-6", `subscribes to TEAM .* balance 1000 tokens`},
		{"INV-4", `mail to bo@example.com: join "Acme Research"`},
		{"INV-5", `Eve opens Bo's forwarded link signed in as eve@example.com: refused: .*email`},
		{"INV-5", `Bo accepts signed in as bo@example.com: joins as admin\.`},
		{"INV-5", `Dee accepts signed in as dee@example.com: joins as viewer\.`},
		{"RES-2", `cy   edit   agent    agent-2  \(by cy \) -> allowed`},
		{"RES-2", `cy   edit   agent    agent-1  \(by ana\) -> denied \(permission\)`},
		{"ROLE-2", `dee  use    agent    agent-1  \(by ana\) -> denied \(permission\)`},
		{"RES-3", `eve  view   agent    agent-1  \(by ana\) -> denied \(not a member\)`},
		{"ROLE-5", `Dee is now member; her session epoch rose from \d+ to \d+\.`},
		{"ROLE-5", `Dee's session stamped with the old epoch is stale`},
		{"ROLE-5", `dee  use    agent    agent-1  \(by ana\) -> allowed`},
		{"BILL-4", `A retry with key run-0001 returns record id-\d+ again`},
		{"BILL-2", `Ana's balance: 1000 -> 455 tokens\.`},
		{"BILL-5", `total       545        4`},
		{"OWN-1", `A transfer confirmed for the wrong person is refused`},
		{"OWN-2", `Owner of Acme Research is now bo\.`},
		{"OWN-3", `ana   ana@example.com  member`},
		{"OWN-2", `The next charge hits Bo's account: Bo 500 -> 440 tokens; Ana stays at 455 \(was 455\)\.`},
		{"DEL-2", `Refused while resources remain:\n  agents +2\n  documents +1\n`},
		{"DEL-3", `Team id-\d+ is deleted`},
		{"DEL-3", `team\.deleted`},
		{"AUD-4", `\d+ events in \d+ pages; chain verified\.`},
	} {
		if !regexp.MustCompile(want.pattern).MatchString(out) {
			t.Errorf("Rule %s: output lacks %q", want.rule, want.pattern)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// TestRunDeterministic checks that the story prints the same text twice: the
// clock, IDs and tokens are injected (the service's WithClock, WithIDs,
// WithRandom).
func TestRunDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := run(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatalf("two runs differ:\n--- first\n%s\n--- second\n%s", a.String(), b.String())
	}
	if n := strings.Count(a.String(), "\n"); n < 40 {
		t.Fatalf("story has only %d lines", n)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

var errWrite = bytes.ErrTooLarge

// TestRunReportsWriteErrors checks that a broken output is reported.
func TestRunReportsWriteErrors(t *testing.T) {
	if err := run(context.Background(), failingWriter{}); err == nil {
		t.Fatal("run with a failing writer returned nil")
	}
}
