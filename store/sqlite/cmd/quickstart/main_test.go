package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/store/sqlite"
	"github.com/teamkit/teamkit/team"
)

// TestRunSurvivesRestart tells the story on a file, closes it, and tells it
// again on the same file: the second run reads back Ana's subscribed
// account with what the first run left (880 tokens) and goes through. A
// third opening then reads the data directly: Ana's account (balance 880
// again after the second run's top-up and charge) and the two deleted
// teams' audit trails, which verify.
func TestRunSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "teamkit.db")
	var first, second bytes.Buffer
	if err := run(ctx, &first, path); err != nil {
		t.Fatalf("first run: %v\n%s", err, first.String())
	}
	if strings.Contains(first.String(), "Ana is back") {
		t.Fatalf("first run on a new file says Ana is back:\n%s", first.String())
	}
	if err := run(ctx, &second, path); err != nil {
		t.Fatalf("second run: %v\n%s", err, second.String())
	}
	want := `Ana is back: her team "Ana" and TEAM account with 880 tokens are as a run left them.`
	if !strings.Contains(second.String(), want) {
		t.Fatalf("second run lacks %q:\n%s", want, second.String())
	}

	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	acct, err := st.Account(ctx, "ana")
	if err != nil || acct.Balance != 880 || acct.Plan != "TEAM" {
		t.Fatalf("Ana's account after two runs: %+v, %v; want TEAM with 880", acct, err)
	}
	rows, err := st.DB().QueryContext(ctx, `SELECT id FROM teams WHERE kind = 'collaboration' AND deleted_at IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	var deleted []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		deleted = append(deleted, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(deleted) != 2 {
		t.Fatalf("after two runs the file holds %d deleted teams, want 2", len(deleted))
	}
	svc, err := team.New(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range deleted {
		page, err := svc.HostAuditLog(ctx, id, audit.Query{})
		if err != nil || len(page.Events) == 0 {
			t.Fatalf("audit trail of deleted team %s: %d events, %v", id, len(page.Events), err)
		}
		if err := svc.VerifyAuditChain(ctx, id); err != nil {
			t.Errorf("audit chain of deleted team %s: %v", id, err)
		}
	}
}
