package team_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// feedEnv is a service on a memory store with a settable clock and one
// personal team per user asked for.
type feedEnv struct {
	t     *testing.T
	st    *store.Memory
	svc   *team.Service
	clock *fakeClock
}

func newFeedEnv(t *testing.T, opts ...team.Option) *feedEnv {
	t.Helper()
	clock := &fakeClock{now: t0}
	st := store.NewMemory()
	quiet := team.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc, err := team.New(st, append([]team.Option{team.WithClock(clock.Now), quiet}, opts...)...)
	if err != nil {
		t.Fatalf("team.New: %v", err)
	}
	return &feedEnv{t: t, st: st, svc: svc, clock: clock}
}

// changes makes n changes: a personal team, then host events in it. It
// returns the IDs of the events they wrote, in order.
func (e *feedEnv) changes(user string, n int) []string {
	e.t.Helper()
	u := team.User{ID: user, Email: user + "@example.com", Name: user}
	tm, err := e.svc.EnsurePersonalTeam(context.Background(), u)
	if err != nil {
		e.t.Fatalf("EnsurePersonalTeam: %v", err)
	}
	page, err := e.svc.HostAuditLog(context.Background(), tm.ID, audit.Query{Limit: audit.MaxLimit})
	if err != nil {
		e.t.Fatalf("HostAuditLog: %v", err)
	}
	var ids []string
	for _, ev := range page.Events {
		ids = append(ids, ev.ID)
	}
	for i := len(ids); i < n; i++ {
		ev, err := e.svc.RecordEvent(context.Background(), team.RecordEventParams{ActorID: user, TeamID: tm.ID, Action: "host.changed", Target: fmt.Sprint(i)})
		if err != nil {
			e.t.Fatalf("RecordEvent: %v", err)
		}
		ids = append(ids, ev.ID)
	}
	return ids
}

// Rule FEED-1: the service's feed shows every team's events once, page by
// page, and an empty page keeps the cursor.
func TestFeedAcrossTeams(t *testing.T) {
	e := newFeedEnv(t)
	want := append(e.changes("ann", 4), e.changes("bob", 3)...)
	want = append(want, e.changes("ann", 6)[4:]...)
	var got []string
	cursor := ""
	for {
		page, err := e.svc.Feed(context.Background(), team.FeedParams{Cursor: cursor, Limit: 3})
		if err != nil {
			t.Fatalf("Feed: %v", err)
		}
		for _, fe := range page.Events {
			got = append(got, fe.Event.ID)
		}
		if len(page.Events) == 0 {
			if page.NextCursor != cursor {
				t.Fatalf("empty page moved the cursor from %q to %q", cursor, page.NextCursor)
			}
			break
		}
		cursor = page.NextCursor
	}
	sameStrings(t, "feed", got, want)
	_, err := e.svc.Feed(context.Background(), team.FeedParams{Cursor: "bogus"})
	if !errors.Is(err, team.ErrInvalidInput) || !errors.Is(err, audit.ErrInvalidCursor) {
		t.Fatalf("Feed(bogus cursor) error = %v, want ErrInvalidInput and audit.ErrInvalidCursor", err)
	}
}

func sameStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// Rule FEED-1: a store without a feed is told apart.
func TestFeedUnsupported(t *testing.T) {
	svc, err := team.New(struct{ team.Store }{store.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Feed(context.Background(), team.FeedParams{}); !errors.Is(err, team.ErrFeedUnsupported) {
		t.Fatalf("Feed on a store without FeedStore: %v, want ErrFeedUnsupported", err)
	}
	if _, err := svc.Consumer(team.ConsumerParams{Name: "x"}); !errors.Is(err, team.ErrFeedUnsupported) {
		t.Fatalf("Consumer on a store without FeedStore: %v, want ErrFeedUnsupported", err)
	}
}

func nextIDs(t *testing.T, c *team.Consumer) ([]string, []team.FeedEvent) {
	t.Helper()
	events, err := c.Next(context.Background())
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	ids := make([]string, len(events))
	for i, fe := range events {
		ids[i] = fe.Event.ID
	}
	return ids, events
}

// Rule FEED-2: a consumer that stops without acknowledging gets the same
// events again; one that acknowledged resumes after the last
// acknowledged event; acknowledging twice is harmless.
func TestConsumerResumesAfterLastAck(t *testing.T) {
	e := newFeedEnv(t)
	want := e.changes("ann", 6)
	c1, err := e.svc.Consumer(team.ConsumerParams{Name: "crm", PageSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	ids, events := nextIDs(t, c1)
	sameStrings(t, "first page", ids, want[:4])
	for range 2 {
		if err := c1.Ack(context.Background(), events[1].Cursor); err != nil {
			t.Fatalf("Ack: %v", err)
		}
	}
	// c1 "crashes": no Close; its lease runs out.
	e.clock.Advance(team.DefaultConsumerLease + time.Second)
	c2, err := e.svc.Consumer(team.ConsumerParams{Name: "crm", PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	ids, events = nextIDs(t, c2)
	sameStrings(t, "after a crash", ids, want[2:])
	if err := c1.Ack(context.Background(), events[0].Cursor); !errors.Is(err, team.ErrLeaseLost) {
		t.Fatalf("Ack by the crashed consumer: %v, want ErrLeaseLost", err)
	}
	if err := c2.Ack(context.Background(), events[len(events)-1].Cursor); err != nil {
		t.Fatal(err)
	}
	if err := c2.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	more := e.changes("bob", 2)
	c3, _ := e.svc.Consumer(team.ConsumerParams{Name: "crm"})
	ids, _ = nextIDs(t, c3)
	sameStrings(t, "after a clean stop", ids, more)
}

// Rule FEED-2: two consumers with one name never hold it at once.
func TestConsumerLeaseExcludes(t *testing.T) {
	e := newFeedEnv(t)
	e.changes("ann", 3)
	c1, _ := e.svc.Consumer(team.ConsumerParams{Name: "index"})
	c2, _ := e.svc.Consumer(team.ConsumerParams{Name: "index"})
	if _, err := c1.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Next(context.Background()); !errors.Is(err, team.ErrConsumerBusy) {
		t.Fatalf("second consumer's Next: %v, want ErrConsumerBusy", err)
	}
	// Renewed by Next, c1 keeps the lease past its first term.
	e.clock.Advance(team.DefaultConsumerLease * 3 / 4)
	if _, err := c1.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(team.DefaultConsumerLease * 3 / 4)
	if _, err := c2.Next(context.Background()); !errors.Is(err, team.ErrConsumerBusy) {
		t.Fatalf("second consumer's Next after a renewal: %v, want ErrConsumerBusy", err)
	}
}

// Rule FEED-2: Run hands each event to the handler in order, again after a
// handler error, and keeps the cursor of what it handled.
func TestConsumerRunAtLeastOnce(t *testing.T) {
	e := newFeedEnv(t)
	want := e.changes("ann", 5)
	c, _ := e.svc.Consumer(team.ConsumerParams{Name: "mail", PageSize: 2, Poll: time.Millisecond, Backoff: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu     sync.Mutex
		calls  []string
		failed bool
	)
	err := c.Run(ctx, func(_ context.Context, fe team.FeedEvent) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, fe.Event.ID)
		if fe.Event.ID == want[2] && !failed {
			failed = true
			return errors.New("smtp down")
		}
		if fe.Event.ID == want[4] {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
	sameStrings(t, "handler calls", calls, []string{want[0], want[1], want[2], want[2], want[3], want[4]})
	// Run acknowledged all it handled and released the lease.
	c2, _ := e.svc.Consumer(team.ConsumerParams{Name: "mail"})
	ids, _ := nextIDs(t, c2)
	if len(ids) != 0 {
		t.Fatalf("after Run, a new consumer gets %v, want nothing", ids)
	}
}

// Rule FEED-4: hooks run after the commit, outside the unit of work, never
// for a unit that rolled back; a panicking hook and a slow hook neither
// block nor undo the change.
func TestAfterCommitHooks(t *testing.T) {
	var (
		mu      sync.Mutex
		got     []string
		st      *store.Memory
		release = make(chan struct{})
		seen    = make(chan struct{}, 100)
		inUnit  atomic.Bool
	)
	e := newFeedEnv(t,
		team.WithAfterCommit(func(ctx context.Context, ev audit.Event) {
			// Outside the unit: the store is free to read.
			if _, err := st.Team(ctx, ev.TeamID); err != nil {
				inUnit.Store(true)
			}
			mu.Lock()
			got = append(got, ev.ID)
			mu.Unlock()
			seen <- struct{}{}
		}),
		team.WithAfterCommit(func(context.Context, audit.Event) { panic("hook bug") }),
		team.WithAfterCommit(func(context.Context, audit.Event) { <-release }),
	)
	st = e.st
	start := time.Now()
	want := e.changes("ann", 3) // the slow hook blocks after the first event
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("changes waited %s for a slow hook", d)
	}
	// A refused change (a reserved action) runs no hook.
	if _, err := e.svc.RecordEvent(context.Background(), team.RecordEventParams{ActorID: "ann", TeamID: "nope", Action: "host.x"}); err == nil {
		t.Fatal("RecordEvent in a missing team succeeded")
	}
	close(release)
	for range want {
		select {
		case <-seen:
		case <-time.After(10 * time.Second):
			t.Fatal("hooks did not run")
		}
	}
	mu.Lock()
	sameStrings(t, "hook events", got, want)
	mu.Unlock()
	if inUnit.Load() {
		t.Fatal("a hook ran inside the unit of work")
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.svc.HookStats().Delivered < uint64(len(want)) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s := e.svc.HookStats(); s.Panics != uint64(len(want)) || s.Delivered != uint64(len(want)) || s.Dropped != 0 {
		t.Fatalf("HookStats = %+v, want %d panics and deliveries, no drops", s, len(want))
	}
}

// Rule FEED-4: when the queue is full, events are dropped and counted; the
// changes still commit.
func TestAfterCommitQueueFullDrops(t *testing.T) {
	release := make(chan struct{})
	e := newFeedEnv(t, team.WithHookQueue(1), team.WithAfterCommit(func(context.Context, audit.Event) { <-release }))
	ids := e.changes("ann", 6)
	close(release)
	if s := e.svc.HookStats(); s.Dropped == 0 {
		t.Fatalf("HookStats = %+v, want drops with a queue of 1 and a blocked hook", s)
	}
	page, err := e.svc.Feed(context.Background(), team.FeedParams{})
	if err != nil || len(page.Events) != len(ids) {
		t.Fatalf("feed after drops: %d events (err %v), want %d", len(page.Events), err, len(ids))
	}
	if _, err := team.New(store.NewMemory(), team.WithHookQueue(0), team.WithAfterCommit(func(context.Context, audit.Event) {})); err != nil {
		t.Fatalf("WithHookQueue(0) means the default: %v", err)
	}
	if _, err := team.New(store.NewMemory(), team.WithHookQueue(-1), team.WithAfterCommit(func(context.Context, audit.Event) {})); !errors.Is(err, team.ErrInvalidInput) {
		t.Fatalf("WithHookQueue(-1): %v, want ErrInvalidInput", err)
	}
}
