package audit_test

import (
	"encoding/json"
	"testing"

	"github.com/teamkit/teamkit/internal/golden"
	"time"

	"github.com/teamkit/teamkit/audit"
)

// checkGolden is golden.JSON: the shape of v against testdata/name.
func checkGolden(t *testing.T, name string, v, want any) {
	t.Helper()
	golden.JSON(t, name, v, want)
}

// sealedChain returns two sealed events of one team, with fixed values.
func sealedChain() []audit.Event {
	at := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC) // Seal keeps the microseconds
	first := audit.Seal(audit.Event{
		ID: "evt-1", TeamID: "team-1", Time: at, ActorID: "user-1",
		Action: audit.TeamCreated, Target: "team-1", Details: map[string]string{"name": "Acme"},
	}, audit.Event{})
	second := audit.Seal(audit.Event{
		ID: "evt-2", TeamID: "team-1", Time: at.Add(time.Minute), ActorID: "user-1",
		Action: audit.InvitationSent, Target: "inv-1",
	}, first)
	return []audit.Event{first, second}
}

// TestJSONShapes pins the JSON of Event and Page: snake case names, RFC
// 3339 times, optional fields left out, and the hashes Seal computes.
func TestJSONShapes(t *testing.T) {
	events := sealedChain()
	for _, c := range []struct {
		name string
		v    any
	}{
		{"event.json", events[0]},
		{"event_no_details.json", events[1]},
		{"page.json", audit.Page{Events: events, NextCursor: audit.EncodeCursor(2)}},
		{"page_empty.json", audit.Page{}},
	} {
		t.Run(c.name, func(t *testing.T) { checkGolden(t, c.name, c.v, c.v) })
	}
}

// TestEventsVerifyAfterJSONRoundTrip: a chain marshalled to JSON and read
// back still verifies, so a host may ship its log as JSON and check it on
// the other side. Rule AUD-4.
func TestEventsVerifyAfterJSONRoundTrip(t *testing.T) {
	events := sealedChain()
	b, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	var back []audit.Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := audit.Verify("team-1", back); err != nil {
		t.Fatalf("the chain read back from JSON does not verify: %v\n%s", err, b)
	}
	back[1].Target = "inv-2"
	if err := audit.Verify("team-1", back); err == nil {
		t.Fatal("a chain changed after its JSON round trip still verifies")
	}
}
