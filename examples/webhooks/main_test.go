package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestRun runs the example: the receiver verifies both deliveries it asked
// for, in feed order, and refuses the forged request.
//
// Rule FEED-3.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"endpoint registered for 3 actions",
		"forged request: 401 Unauthorized",
		"receiver verified: team.created in team ",
		"receiver verified: team.updated in team ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "team.created") > strings.Index(got, "team.updated") {
		t.Errorf("deliveries out of feed order:\n%s", got)
	}
	if strings.Contains(got, "agent.deleted") {
		t.Errorf("the filtered-out action was delivered:\n%s", got)
	}
}
