// Package migratefs reads the SQL stores' schema migrations, one file per
// version in goose's annotated format, and serves them to the tools a host
// may run instead of the store's own Migrate: goose reads the files as they
// are; golang-migrate gets each cut into its .up.sql and .down.sql files.
// It is shared by store/postgres, store/mysql and store/sqlite, which live
// in their own modules and so cannot share an internal package; hosts need
// it only to write a store of their own with the same migrations layout.
//
// A migration file is named NNNN_name.sql (a positive version number, an
// underscore, a name) and holds a "-- +goose Up" line, the statements that
// apply it, a "-- +goose Down" line and the statements that undo it. The
// annotations are matched as goose matches them: without regard to case,
// on lines of their own without leading white space.
package migratefs

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Annotation lines of goose's SQL format, lower-cased.
const (
	gooseUp   = "-- +goose up"
	gooseDown = "-- +goose down"
)

// Migration is one migration file, split at its goose annotations.
type Migration struct {
	Version int    // the number before the first underscore of the name
	Name    string // the file name without ".sql", such as "0001_init"
	// Up is everything before the Down annotation: the header comments and
	// the Up annotation included (SQL comments to a database), the Up
	// statements. It is what a store's Migrate runs.
	Up string
	// Down is the header comments and the Down part; "" when the file has
	// no Down annotation.
	Down string
	// Annotated reports whether the file has its Up annotation; a file
	// without annotations is all Up.
	Annotated bool
}

// Load reads the migrations of fsys in dir (the files ending in ".sql";
// others are skipped), sorted by version. It fails when a file is not named
// NNNN_name.sql, when its annotations are out of order (see Split) or when
// two files share a version.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("reading the migrations in %s: %w", dir, err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".sql" {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration file %q must be named NNNN_name.sql", name)
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("reading migration %q: %w", name, err)
		}
		up, down, annotated, err := Split(string(body))
		if err != nil {
			return nil, fmt.Errorf("migration %q: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), Up: up, Down: down, Annotated: annotated})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("two migrations have version %d", ms[i].Version)
		}
	}
	return ms, nil
}

// Split splits the text of a migration file at its goose annotations: up
// is everything before the Down annotation (the header comments and the Up
// annotation included), down the header comments and the Down part.
// annotated reports whether the file has an Up annotation; a file without
// annotations is all up, with no down. It fails when the file has two Up
// or two Down annotations, or Down before Up.
func Split(body string) (up, down string, annotated bool, err error) {
	lines := strings.SplitAfter(body, "\n")
	upAt, downAt := -1, -1
	for i, l := range lines {
		switch strings.ToLower(strings.TrimRight(l, " \t\r\n")) {
		case gooseUp:
			if upAt >= 0 {
				return "", "", false, fmt.Errorf("two %q lines", gooseUp)
			}
			upAt = i
		case gooseDown:
			if downAt >= 0 {
				return "", "", false, fmt.Errorf("two %q lines", gooseDown)
			}
			if upAt < 0 {
				return "", "", false, fmt.Errorf("%q comes before %q", gooseDown, gooseUp)
			}
			downAt = i
		}
	}
	if upAt < 0 {
		return body, "", false, nil
	}
	if downAt < 0 {
		return body, "", true, nil
	}
	header := strings.Join(lines[:upAt], "")
	return strings.Join(lines[:downAt], ""), header + strings.Join(lines[downAt:], ""), true, nil
}

// GolangMigrate returns ms as golang-migrate reads them: for each version,
// NNNN_name.up.sql (Up) and NNNN_name.down.sql (Down) at the root of a
// read-only in-memory file system; pass it to iofs.New(fsys, "."). It fails
// when a migration has no Down part, which golang-migrate needs.
func GolangMigrate(ms []Migration) (fs.FS, error) {
	files := make(memFS, 2*len(ms))
	for _, m := range ms {
		if !m.Annotated || m.Down == "" {
			return nil, fmt.Errorf("migration %s.sql has no %q part", m.Name, "-- +goose Down")
		}
		files[m.Name+".up.sql"] = m.Up
		files[m.Name+".down.sql"] = m.Down
	}
	return files, nil
}

// memFS is a read-only, flat in-memory file system: file name to content.
type memFS map[string]string

var (
	_ fs.ReadDirFS  = memFS(nil)
	_ fs.ReadFileFS = memFS(nil)
)

// Open opens a file, or the root directory ".".
func (m memFS) Open(name string) (fs.File, error) {
	if name == "." {
		entries, _ := m.ReadDir(".")
		return &memDir{entries: entries}, nil
	}
	body, ok := m[name]
	if !ok || !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{info: memInfo{name: name, size: int64(len(body))}, r: strings.NewReader(body)}, nil
}

// ReadFile returns a file's content.
func (m memFS) ReadFile(name string) ([]byte, error) {
	body, ok := m[name]
	if !ok || !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrNotExist}
	}
	return []byte(body), nil
}

// ReadDir lists the root directory, sorted by name.
func (m memFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name != "." {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	entries := make([]fs.DirEntry, 0, len(m))
	for n, body := range m {
		entries = append(entries, fs.FileInfoToDirEntry(memInfo{name: n, size: int64(len(body))}))
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// memInfo describes a memFS file or, with dir set, its root.
type memInfo struct {
	name string
	size int64
	dir  bool
}

func (i memInfo) Name() string { return i.name }
func (i memInfo) Size() int64  { return i.size }
func (i memInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }

// memFile is an open memFS file.
type memFile struct {
	info memInfo
	r    *strings.Reader
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *memFile) Close() error               { return nil }

// Seek and ReadAt make a memFile as capable as an embedded file.
func (f *memFile) Seek(offset int64, whence int) (int64, error) { return f.r.Seek(offset, whence) }
func (f *memFile) ReadAt(p []byte, off int64) (int, error)      { return f.r.ReadAt(p, off) }

// memDir is the open root directory of a memFS.
type memDir struct {
	entries []fs.DirEntry
	next    int
}

func (d *memDir) Stat() (fs.FileInfo, error) { return memInfo{name: ".", dir: true}, nil }
func (d *memDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: ".", Err: fs.ErrInvalid}
}
func (d *memDir) Close() error { return nil }

// ReadDir returns the next n entries (all that are left when n <= 0).
func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	left := d.entries[d.next:]
	if n <= 0 {
		d.next = len(d.entries)
		return slices.Clone(left), nil
	}
	if len(left) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(left))
	d.next += n
	return slices.Clone(left[:n]), nil
}
