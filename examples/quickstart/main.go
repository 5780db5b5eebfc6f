// Command quickstart tells teamkit's collaboration-team story (package
// story) on the in-memory store: Ana registers, subscribes, creates a team,
// invites Bo and Cy, lets them use resources billed to her, changes a role,
// hands the team to Bo, who deletes it, and the audit chain is verified.
//
//	go run ./examples/quickstart
//
// The service runs with its production defaults (real clock, random IDs and
// invitation tokens). The same story on a SQLite file, which a second run
// finds again: cd store/sqlite && go run ./cmd/quickstart -db /tmp/teamkit.db
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/teamkit/teamkit/examples/quickstart/story"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run tells the story to w on a new in-memory store, the service built
// with opts (the test fixes the clock, IDs and random source).
func run(ctx context.Context, w io.Writer, opts ...team.Option) error {
	return story.Run(ctx, w, store.NewMemory(), opts...)
}
