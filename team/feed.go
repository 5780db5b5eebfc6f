package team

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/teamkit/teamkit/audit"
)

// The change feed (FEED-1) and its named consumers (FEED-2). Every state
// change writes its audit event in its own unit of work, so the audit log
// is a transactional outbox: the feed reads it across all teams, in an
// order that a reader following the cursors never skips (see FeedStore).

// Defaults of the feed.
const (
	DefaultFeedLimit       = 100              // FeedParams.Limit when 0
	MaxFeedLimit           = audit.MaxLimit   // larger limits are lowered to this
	DefaultConsumerLease   = 30 * time.Second // ConsumerParams.Lease when 0
	DefaultConsumerPoll    = 500 * time.Millisecond
	DefaultConsumerBackoff = time.Second
)

// FeedParams are the arguments of Feed.
type FeedParams struct {
	// Cursor is "" for the start of the feed, or a FeedEvent.Cursor (or a
	// FeedPage.NextCursor) from the same store.
	Cursor string
	// Limit is the page size: 0 means DefaultFeedLimit, above MaxFeedLimit
	// means MaxFeedLimit.
	Limit int
}

// FeedPage is one page of the change feed. NextCursor is where to read on:
// the Cursor of the last event, or the cursor asked for when the page is
// empty (nothing new yet; ask again later).
type FeedPage struct {
	Events     []FeedEvent `json:"events"`
	NextCursor string      `json:"next_cursor"`
}

// feedStore returns the store's FeedStore or an error matching
// ErrFeedUnsupported.
func (s *Service) feedStore() (FeedStore, error) {
	if s.feed == nil {
		return nil, fmt.Errorf("%w (the store is a %T)", ErrFeedUnsupported, s.raw)
	}
	return s.feed, nil
}

// Feed returns one page of the change feed (FEED-1): the audit events of
// every team, deleted or not, after p.Cursor, in the store's feed order. A
// host that reads page after page, passing each NextCursor, sees every
// committed event exactly once. It is for the host itself (there is no
// caller to check); use a Consumer to keep the cursor in the store.
//
// Errors match ErrInvalidInput (also audit.ErrInvalidCursor for a cursor
// the store did not make) or ErrFeedUnsupported.
func (s *Service) Feed(ctx context.Context, p FeedParams) (FeedPage, error) {
	fs, err := s.feedStore()
	if err != nil {
		return FeedPage{}, err
	}
	limit, err := feedLimit(p.Limit)
	if err != nil {
		return FeedPage{}, err
	}
	events, err := fs.FeedEvents(ctx, p.Cursor, limit)
	if err != nil {
		return FeedPage{}, feedErr(err)
	}
	page := FeedPage{Events: events, NextCursor: p.Cursor}
	if len(events) > 0 {
		page.NextCursor = events[len(events)-1].Cursor
	}
	return page, nil
}

func feedLimit(n int) (int, error) {
	switch {
	case n < 0:
		return 0, invalid("limit", "is %d; use 0 for the default of %d", n, DefaultFeedLimit)
	case n == 0:
		return DefaultFeedLimit, nil
	default:
		return min(n, MaxFeedLimit), nil
	}
}

// feedErr reports a cursor refused by the store as an input error that also
// matches audit.ErrInvalidCursor.
func feedErr(err error) error {
	if errors.Is(err, audit.ErrInvalidCursor) && !errors.Is(err, ErrInvalidInput) {
		return fmt.Errorf("%w: %w", &InputError{Field: "cursor", Problem: "is not a cursor of this store's feed"}, err)
	}
	return err
}

// ConsumerParams are the arguments of Service.Consumer.
type ConsumerParams struct {
	// Name names the consumer; its cursor is kept in the store under it.
	// Processes that use the same name share one cursor and take turns.
	Name string
	// Lease is how long a claim of the consumer lasts unless renewed
	// (default DefaultConsumerLease). Handling one page of events must take
	// well under it: see Consumer.
	Lease time.Duration
	// PageSize is how many events Next returns at most (default
	// DefaultFeedLimit, at most MaxFeedLimit).
	PageSize int
	// Poll is how long Run waits when the feed has nothing new, or the
	// consumer is held by another process (default DefaultConsumerPoll).
	Poll time.Duration
	// Backoff is how long Run waits after a handler or store error before
	// it tries again (default DefaultConsumerBackoff).
	Backoff time.Duration
	// OnError, when set, is told each error Run recovers from.
	OnError func(err error)
}

// Consumer reads the change feed under a name whose cursor is kept in the
// store (FEED-2). Delivery is at least once: Next hands out the events
// after the last acknowledged one; Ack stores the cursor; a consumer that
// stops or crashes before Ack gets the same events again when it (or
// another process with the same name) starts. Acknowledging twice, or an
// older cursor, changes nothing.
//
// Exclusion is a lease with expiry, kept in the store: a Consumer hands out
// events only while it holds the lease of its name, which it takes on its
// first Next and renews while it works; another Consumer with the same name
// gets ErrConsumerBusy (Run waits and tries again) until the lease is
// released (Close) or expires. So two consumers with one name never both
// process an event at once, provided each finishes what Next gave it within
// the lease (renewed on each Next and, in Run, before each event) and the
// processes' clocks agree to well within the lease. A consumer whose lease
// expired meanwhile gets ErrLeaseLost from Ack and, on its next Next, starts
// again from the stored cursor.
//
// A Consumer is safe for concurrent use, but its events come one page at a
// time: use one goroutine per Consumer.
type Consumer struct {
	fs     FeedStore
	now    Clock
	p      ConsumerParams
	holder string

	mu         sync.Mutex
	pos        string    // cursor of the last event handed out
	leaseUntil time.Time // zero when not held
}

// Consumer returns the Consumer named p.Name. It does not touch the store
// until the first Next. Errors match ErrInvalidInput or ErrFeedUnsupported.
func (s *Service) Consumer(p ConsumerParams) (*Consumer, error) {
	fs, err := s.feedStore()
	if err != nil {
		return nil, err
	}
	if err := checkID("name", p.Name); err != nil {
		return nil, err
	}
	if p.Lease < 0 || p.Poll < 0 || p.Backoff < 0 {
		return nil, invalid("consumer", "lease, poll and backoff must not be negative")
	}
	if p.PageSize, err = feedLimit(p.PageSize); err != nil {
		return nil, err
	}
	if p.Lease == 0 {
		p.Lease = DefaultConsumerLease
	}
	if p.Poll == 0 {
		p.Poll = DefaultConsumerPoll
	}
	if p.Backoff == 0 {
		p.Backoff = DefaultConsumerBackoff
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("teamkit: making a consumer holder ID: %w", err)
	}
	return &Consumer{fs: fs, now: s.now, p: p, holder: hex.EncodeToString(b[:])}, nil
}

// Name returns the consumer's name.
func (c *Consumer) Name() string { return c.p.Name }

// Holder returns the random ID under which this Consumer holds its lease.
func (c *Consumer) Holder() string { return c.holder }

// claim takes or renews the lease when less than half of it is left. A
// lease that ended meanwhile starts again from the stored cursor. Called
// with c.mu held.
func (c *Consumer) claim(ctx context.Context) error {
	now := c.now()
	if c.leaseUntil.Sub(now) > c.p.Lease/2 {
		return nil
	}
	st, err := c.fs.ClaimConsumer(ctx, ClaimConsumerParams{Name: c.p.Name, Holder: c.holder, Now: now, Until: now.Add(c.p.Lease)})
	if err != nil {
		c.leaseUntil = time.Time{}
		return err
	}
	if !c.leaseUntil.After(now) {
		c.pos = st.Cursor // a new claim: from the last acknowledged event
	}
	c.leaseUntil = now.Add(c.p.Lease)
	return nil
}

// Next returns the next events after the last it handed out (after the
// stored cursor on the first call and after a lost lease), at most the page
// size, or an empty slice when there is nothing new. It takes or renews the
// lease first. Errors match ErrConsumerBusy, ErrLeaseLost or the store's.
func (c *Consumer) Next(ctx context.Context) ([]FeedEvent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.claim(ctx); err != nil {
		return nil, err
	}
	events, err := c.fs.FeedEvents(ctx, c.pos, c.p.PageSize)
	if err != nil {
		return nil, feedErr(err)
	}
	if len(events) > 0 {
		c.pos = events[len(events)-1].Cursor
	}
	return events, nil
}

// Ack acknowledges every event up to and including the one whose Cursor is
// cursor: a consumer that starts again resumes after it. Acknowledging a
// cursor twice, or one before the stored cursor, changes nothing. Without
// the lease it returns an error matching ErrLeaseLost, and the next Next
// starts again from the stored cursor.
func (c *Consumer) Ack(ctx context.Context, cursor string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.fs.AckConsumer(ctx, AckConsumerParams{Name: c.p.Name, Holder: c.holder, Cursor: cursor, Now: c.now()})
	if errors.Is(err, ErrLeaseLost) {
		c.leaseUntil = time.Time{}
	}
	return feedErr(err)
}

// Close releases the lease, so another process with the same name may take
// over at once. Events handed out and not acknowledged are handed out again
// to the next holder. The Consumer may be used again after Close.
func (c *Consumer) Close(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.leaseUntil = time.Time{}
	return c.fs.ReleaseConsumer(ctx, c.p.Name, c.holder)
}

// rewind makes the next Next start from the stored cursor again.
func (c *Consumer) rewind() {
	c.mu.Lock()
	c.leaseUntil = time.Time{}
	c.mu.Unlock()
}

// Renew renews the lease when half of it is gone, for a handler that works
// long on one event (say, retrying a delivery). It returns an error
// matching ErrLeaseLost when the lease ended meanwhile (another process
// may have the events now: stop and return an error), or ErrConsumerBusy.
func (c *Consumer) Renew(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	held := c.leaseUntil.After(c.now())
	if err := c.claim(ctx); err != nil {
		return err
	}
	if !held {
		return fmt.Errorf("%w: the lease of consumer %q ended while its events were handled", ErrLeaseLost, c.p.Name)
	}
	return nil
}

// Run hands every event to handle, in feed order, until ctx is done, and
// then releases the lease and returns ctx's error. After each page, and
// before a handler error is retried, it acknowledges the events handled.
// When handle returns an error, Run waits Backoff and hands out the same
// event again (so handle sees each event at least once, and again after a
// failure or a crash). It waits Poll when the feed has nothing new or
// another process holds the consumer, and Backoff after a store error;
// OnError hears of each error it recovers from.
func (c *Consumer) Run(ctx context.Context, handle func(ctx context.Context, e FeedEvent) error) error {
	defer func() { _ = c.Close(context.WithoutCancel(ctx)) }()
	for {
		wait, err := c.runPage(ctx, handle)
		if err != nil && c.p.OnError != nil && ctx.Err() == nil {
			c.p.OnError(err)
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// runPage handles one page and says how long to wait before the next.
func (c *Consumer) runPage(ctx context.Context, handle func(ctx context.Context, e FeedEvent) error) (time.Duration, error) {
	events, err := c.Next(ctx)
	switch {
	case errors.Is(err, ErrConsumerBusy):
		return c.p.Poll, nil
	case err != nil:
		return c.p.Backoff, err
	case len(events) == 0:
		return c.p.Poll, nil
	}
	done := ""
	var herr error
	for _, e := range events {
		if herr = c.Renew(ctx); herr != nil {
			break
		}
		if herr = handle(ctx, e); herr != nil {
			herr = fmt.Errorf("teamkit: consumer %q: handling event %s: %w", c.p.Name, e.Event.ID, herr)
			break
		}
		done = e.Cursor
	}
	if done != "" {
		if err := c.Ack(context.WithoutCancel(ctx), done); err != nil {
			c.rewind()
			return c.p.Backoff, err
		}
	}
	if herr != nil {
		c.rewind() // hand out the failed event again
		return c.p.Backoff, herr
	}
	return 0, nil
}
