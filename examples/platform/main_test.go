package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/teamkit/teamkit/team"
)

// TestRun tells the Platform story and checks its key lines; each names the
// rule it shows.
func TestRun(t *testing.T) {
	var buf bytes.Buffer
	n := 0
	seq := team.WithIDs(func() string { n++; return fmt.Sprintf("id-%03d", n) })
	if err := run(context.Background(), &buf, seq); err != nil {
		t.Fatalf("run: %v\n%s", err, buf.String())
	}
	out := buf.String()
	for _, want := range []struct {
		rule, pattern string
	}{
		{"TEAM-3", `Upgraded in place: id-\d+ is now "Lee Labs", kind collaboration`},
		{"TEAM-3", `Lee got a new, empty personal team "Personal" \(id-\d+\)\.`},
		{"TEAM-3", `There is no downgrade`},
		{"ROLE-3", `Fay joins as finance_admin\.`},
		{"ROLE-3", `Bas joins as basic_user\.`},
		{"ROLE-3", `Dev joins as developer\.`},
		{"ROLE-3", `dev edit   model    model-1  \(by lee\) -> allowed`},
		{"ROLE-3", `dev delete report   report-1 \(by bas\) -> allowed`},
		{"ROLE-3", `Dev may not manage members: inviting is denied\.`},
		{"RES-2", `bas view   report   report-1 \(by bas\) -> allowed`},
		{"RES-2", `bas view   model    model-1  \(by lee\) -> denied`},
		{"BILL-1", `Dev trains model-1: 700 tokens charged to Lee's account`},
		{"BILL-6", `Fay reads the billing account: plan TEAM, balance 4250 tokens\.`},
		{"BILL-5", `Fay reads usage analytics: 750 tokens in 2 charges\.`},
		{"BILL-10", `Usage per member, last 7 days \(UTC\):\n  member( +\d\d-\d\d){7}  total\n`},
		{"BILL-10", `\n  dev   ( +\d+){6} +700 +700\n`},
		{"ROLE-3", `fay view   model    model-1  \(by lee\) -> denied`},
		{"ROLE-3", `fay view   report   report-1 \(by bas\) -> denied`},
		{"BILL-5", `Bas may not read usage analytics: denied\.`},
		{"INV-3", `4 members \+ 46 pending invitations = 50 of 50 seats; invitation 47 is refused`},
	} {
		if !regexp.MustCompile(want.pattern).MatchString(out) {
			t.Errorf("Rule %s: output lacks %q", want.rule, want.pattern)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// TestRunProductionDefaults tells the story as go run does, with random IDs.
func TestRunProductionDefaults(t *testing.T) {
	var buf bytes.Buffer
	if err := run(context.Background(), &buf); err != nil {
		t.Fatalf("run: %v\n%s", err, buf.String())
	}
	if regexp.MustCompile(`id-\d{3}`).MatchString(buf.String()) {
		t.Errorf("sequential IDs without the test's option:\n%s", buf.String())
	}
}
