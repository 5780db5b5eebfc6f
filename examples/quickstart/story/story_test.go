package story_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/teamkit/teamkit/examples/quickstart/story"
	"github.com/teamkit/teamkit/store"
)

// TestRunAgainOnTheSameStore tells the story twice on one store, as
// store/sqlite's cmd/quickstart does on one file: the second run finds
// Ana's subscribed account with what the first left (880 tokens), skips the
// FREE refusal, tops her up to 1000 and goes through on a new team, whose
// idempotency keys are its own (Rule BILL-4: unique per team).
func TestRunAgainOnTheSameStore(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	var first, second bytes.Buffer
	if err := story.Run(ctx, &first, st); err != nil {
		t.Fatalf("first run: %v\n%s", err, first.String())
	}
	if strings.Contains(first.String(), "Ana is back") {
		t.Errorf("first run on an empty store says Ana is back:\n%s", first.String())
	}
	if err := story.Run(ctx, &second, st); err != nil {
		t.Fatalf("second run: %v\n%s", err, second.String())
	}
	out := second.String()
	for _, want := range []string{
		`Ana is back: her team "Ana" and TEAM account with 880 tokens are as a run left them.`,
		"Ana stays on TEAM and tops up: 1000 tokens.",
		"charged once); Ana's balance: 880.",
		"Acme is deleted; its audit trail of",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("second run lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Creating a team on FREE") {
		t.Errorf("second run tries FREE again:\n%s", out)
	}
}
