package store

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/team"
)

var _ team.FeedStore = (*Memory)(nil)

// The change feed of Memory (FEED-1) is the audit events in commit order:
// Memory runs one unit of work at a time, so the order in which units
// append is the order in which they commit, and a rolled-back unit's
// events leave the feed with it. A cursor is the number of feed events
// before it.

// memCursorVersion starts every Memory feed cursor.
const memCursorVersion = 'm'

func encodeMemCursor(n int) string {
	if n == 0 {
		return ""
	}
	var b [9]byte
	b[0] = memCursorVersion
	binary.BigEndian.PutUint64(b[1:], uint64(n))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeMemCursor(cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil && len(b) == 9 && b[0] == memCursorVersion {
		n := binary.BigEndian.Uint64(b[1:])
		if n <= 1<<62 && encodeMemCursor(int(n)) == cursor {
			return int(n), nil
		}
	}
	return 0, fmt.Errorf("store: feed cursor %q was not made by store.Memory: %w", cursor, audit.ErrInvalidCursor)
}

// FeedEvents implements team.FeedStore. A cursor past the end of the feed
// (from another Memory) reads nothing.
func (m *Memory) FeedEvents(ctx context.Context, cursor string, limit int) ([]team.FeedEvent, error) {
	n, err := decodeMemCursor(cursor)
	if err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, fmt.Errorf("store: feed limit %d: %w; pass at least 1", limit, team.ErrInvalidInput)
	}
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	feed := m.s.feed
	if n >= len(feed) {
		return []team.FeedEvent{}, nil
	}
	feed = feed[n:min(len(feed), n+limit)]
	out := make([]team.FeedEvent, len(feed))
	for i, e := range feed {
		out[i] = team.FeedEvent{Event: copyEvent(e), Cursor: encodeMemCursor(n + i + 1)}
	}
	return out, nil
}

// lockConsumers takes the write lock for a consumer operation, refusing a
// call made inside one of m's units of work.
func (m *Memory) lockConsumers(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.runs(ctx) {
		return ErrInsideUnit
	}
	m.mu.Lock()
	return nil
}

// ClaimConsumer implements team.FeedStore.
func (m *Memory) ClaimConsumer(ctx context.Context, p team.ClaimConsumerParams) (team.ConsumerState, error) {
	if p.Name == "" || p.Holder == "" {
		return team.ConsumerState{}, fmt.Errorf("store: claiming a consumer needs a name and a holder: %w", team.ErrInvalidInput)
	}
	if err := m.lockConsumers(ctx); err != nil {
		return team.ConsumerState{}, err
	}
	defer m.mu.Unlock()
	if m.consumers == nil {
		m.consumers = map[string]team.ConsumerState{}
	}
	c, ok := m.consumers[p.Name]
	if !ok {
		c = team.ConsumerState{Name: p.Name}
	}
	if c.Holder != "" && c.Holder != p.Holder && c.LeaseUntil.After(p.Now) {
		return team.ConsumerState{}, fmt.Errorf("%w: consumer %q is held by %s until %s", team.ErrConsumerBusy, p.Name, c.Holder, c.LeaseUntil.Format("2006-01-02T15:04:05.000Z07:00"))
	}
	c.Holder, c.LeaseUntil = p.Holder, p.Until.UTC()
	m.consumers[p.Name] = c
	return c, nil
}

// AckConsumer implements team.FeedStore.
func (m *Memory) AckConsumer(ctx context.Context, p team.AckConsumerParams) error {
	n, err := decodeMemCursor(p.Cursor)
	if err != nil {
		return err
	}
	if err := m.lockConsumers(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	c, ok := m.consumers[p.Name]
	if !ok || c.Holder != p.Holder || !c.LeaseUntil.After(p.Now) {
		return fmt.Errorf("%w: %s does not hold the lease of consumer %q", team.ErrLeaseLost, p.Holder, p.Name)
	}
	if cur, _ := decodeMemCursor(c.Cursor); n > cur {
		c.Cursor = p.Cursor
		m.consumers[p.Name] = c
	}
	return nil
}

// ReleaseConsumer implements team.FeedStore.
func (m *Memory) ReleaseConsumer(ctx context.Context, name, holder string) error {
	if err := m.lockConsumers(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if c, ok := m.consumers[name]; ok && c.Holder == holder {
		c.Holder, c.LeaseUntil = "", time.Time{}
		m.consumers[name] = c
	}
	return nil
}
