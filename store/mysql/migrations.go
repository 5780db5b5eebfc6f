package mysql

import (
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"
)

// The migrations live in one place, migrations/NNNN_name.sql, each file in
// goose's format: a "-- +goose Up" line, the statements that apply it, a
// "-- +goose Down" line and the statements that undo it. Store.Migrate runs
// the Up part; GooseFS serves the files as they are; GolangMigrateFS splits
// each into the two files golang-migrate reads. migrations/README.md says
// how to add one.

// Annotation lines of goose's SQL format. goose matches them without regard
// to case, on lines of their own without leading white space.
const (
	gooseUp   = "-- +goose up"
	gooseDown = "-- +goose down"
)

// splitMigration splits the text of a migration file at its goose
// annotations: up is everything before the Down annotation (the header
// comments and the Up annotation included, which MySQL reads as
// comments), down the header comments and the Down part. annotated reports
// whether the file has exactly one Up annotation and at most one Down
// annotation after it; a file without annotations is all up, with no down.
func splitMigration(body string) (up, down string, annotated bool, err error) {
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

// GooseFS returns the store's migrations as goose reads them: one file per
// version at the root, NNNN_name.sql, each with its "-- +goose Up" and
// "-- +goose Down" parts. Pass it to goose.NewProvider(goose.DialectMySQL,
// db, fsys).
//
// goose and golang-migrate record applied versions in their own tables, not
// in the schema_migrations table Store.Migrate keeps: manage a database
// with one tool only. The files use unqualified names, so run the tool on a
// connection whose DSN names the store's database ("/dbname"). goose runs
// each statement on its own; golang-migrate's MySQL driver sends a whole
// file at once, so its DSN needs multiStatements=true.
func GooseFS() (fs.FS, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("mysql: opening the embedded migrations: %w", err)
	}
	return sub, nil
}

// GolangMigrateFS returns the store's migrations as golang-migrate reads
// them: for each version, NNNN_name.up.sql and NNNN_name.down.sql at the
// root, cut from the one embedded file GooseFS serves whole. Pass it to
// iofs.New(fsys, "."). It returns an error when an embedded migration lacks
// its goose annotations (which the package's tests rule out).
//
// golang-migrate's MySQL driver names its own version table
// schema_migrations by default, the name Store.Migrate uses for its own:
// pick another (x-migrations-table) and, as with goose, manage a database
// with one tool only (see GooseFS).
func GolangMigrateFS() (fs.FS, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	files := make(memFS, 2*len(ms))
	for _, m := range ms {
		if !m.annotated || m.down == "" {
			return nil, fmt.Errorf("mysql: migration %s.sql has no %q part; see migrations/README.md", m.name, "-- +goose Down")
		}
		files[m.name+".up.sql"] = m.sql
		files[m.name+".down.sql"] = m.down
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

// statements splits the Up part of a migration into the statements
// Migrate sends one at a time (the store needs no multiStatements=true in
// the DSN), by goose's rules: a statement ends at a line ending in ";",
// except between "-- +goose StatementBegin" and "-- +goose StatementEnd"
// lines, which hold one statement whole. Lines that are only a comment
// are left out, as are the trailing semicolons.
func statements(up string) ([]string, error) {
	var (
		out   []string
		cur   strings.Builder
		block bool
	)
	flush := func() {
		st := strings.TrimSpace(cur.String())
		st = strings.TrimSpace(strings.TrimSuffix(st, ";"))
		if st != "" {
			out = append(out, st)
		}
		cur.Reset()
	}
	for l := range strings.Lines(up) {
		trimmed := strings.TrimSpace(l)
		switch strings.ToLower(trimmed) {
		case "-- +goose statementbegin":
			if block {
				return nil, fmt.Errorf("two %q lines without %q between them", "-- +goose StatementBegin", "-- +goose StatementEnd")
			}
			flush()
			block = true
			continue
		case "-- +goose statementend":
			if !block {
				return nil, fmt.Errorf("%q without %q", "-- +goose StatementEnd", "-- +goose StatementBegin")
			}
			flush()
			block = false
			continue
		}
		if !block && strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(l)
		if !block && strings.HasSuffix(trimmed, ";") {
			flush()
		}
	}
	if block {
		return nil, fmt.Errorf("%q without %q", "-- +goose StatementBegin", "-- +goose StatementEnd")
	}
	flush()
	return out, nil
}
