package postgres

// Queued returns how many InBatch calls of key wait for a leader (tests).
func (s *Store) Queued(key string) int {
	s.batches.mu.Lock()
	defer s.batches.mu.Unlock()
	if q, ok := s.batches.queues[key]; ok {
		return len(q.pending)
	}
	return 0
}

// Migrations returns how many migrations are embedded (tests).
func Migrations() int {
	ms, err := loadMigrations()
	if err != nil {
		panic(err)
	}
	return len(ms)
}

// ListenerName is the application_name of the store's listening
// connection (tests).
func (s *Store) ListenerName() string { return listenerName(s.schema) }

// ChannelName is the store's NOTIFY channel (tests).
func (s *Store) ChannelName() string { return channelName(s.schema) }
