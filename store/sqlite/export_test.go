package sqlite

import "database/sql"

// ReadDB returns the read pool (tests).
func ReadDB(s *Store) *sql.DB { return s.r }

// WithWriters lets a test open n writer connections instead of one, to
// measure the setup Open does not use (see bench_test.go).
func WithWriters(n int) Option { return func(s *settings) { s.writers = max(n, 1) } }
