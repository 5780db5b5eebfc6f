package sqlite_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/teamkit/teamkit/store/sqlite"
)

var ctx = context.Background()

func noErr(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// newStore returns a migrated store on a fresh file in the test's temporary
// directory, closed when the test ends.
func newStore(tb testing.TB, opts ...sqlite.Option) *sqlite.Store {
	tb.Helper()
	return openStore(tb, filepath.Join(tb.TempDir(), "teamkit.db"), opts...)
}

// openStore opens and migrates the file at path, closed when the test ends.
func openStore(tb testing.TB, path string, opts ...sqlite.Option) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(ctx, path, opts...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

// migrations returns how many migrations the store embeds.
func migrations(tb testing.TB) int {
	tb.Helper()
	fsys, err := sqlite.GooseFS()
	noErr(tb, "GooseFS", err)
	entries, err := fs.ReadDir(fsys, ".")
	noErr(tb, "ReadDir", err)
	return len(entries)
}
