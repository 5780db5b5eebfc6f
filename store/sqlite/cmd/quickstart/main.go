// Command quickstart tells teamkit's collaboration-team story (package
// examples/quickstart/story) on a SQLite file, which survives the run: a
// second run on the same file finds Ana's subscribed account as the first
// left it, says so and goes on with a new team.
//
// This is its own module (store/sqlite), so run it from there:
//
//	cd store/sqlite && go run ./cmd/quickstart -db /tmp/teamkit.db
//
// The file is created and migrated if needed. The service runs with its
// production defaults (real clock, random IDs and invitation tokens).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/teamkit/teamkit/examples/quickstart/story"
	"github.com/teamkit/teamkit/store/sqlite"
)

func main() {
	db := flag.String("db", "teamkit.db", "the SQLite `file` to tell the story on (created if missing)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *db); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run opens and migrates the file at path, tells the story on it to w and
// closes it.
func run(ctx context.Context, w io.Writer, path string) (err error) {
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "(the story on %s)\n", path); err != nil {
		return err
	}
	return story.Run(ctx, w, st)
}
