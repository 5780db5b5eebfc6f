package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/team"
)

// FeedingStore is a Store that also implements team.FeedStore.
type FeedingStore interface {
	team.Store
	team.FeedStore
}

// RunFeed runs the conformance suite of the team.FeedStore contract (FEED-1,
// FEED-2) against stores that newStore returns, one parallel subtest per
// sentence, each with its own store. The subtests check only events and
// consumers they made themselves (random IDs and names), so newStore may
// also share one store among them.
func RunFeed(t *testing.T, newStore func(t *testing.T) FeedingStore) {
	t.Helper()
	for _, c := range []struct {
		name string
		run  func(t *testing.T, s FeedingStore)
	}{
		{"FeedEvents/EveryCommittedEventOnce", testFeedEveryEventOnce},
		{"FeedEvents/PagesFollowCursors", testFeedPages},
		{"FeedEvents/RolledBackUnitLeavesNothing", testFeedRollback},
		{"FeedEvents/UnitEventsTogetherInOrder", testFeedUnitOrder},
		{"FeedEvents/InvalidCursor", testFeedInvalidCursor},
		{"FeedEvents/ConcurrentUnitsNeverSkipped", testFeedConcurrent},
		{"ClaimConsumer/NewStartsAtBeginning", testClaimNew},
		{"ClaimConsumer/LiveLeaseIsBusy", testClaimBusy},
		{"ClaimConsumer/ExpiredLeaseCanBeTaken", testClaimExpired},
		{"AckConsumer/MovesCursorNeverBack", testAckMoves},
		{"AckConsumer/WithoutLeaseIsLeaseLost", testAckLeaseLost},
		{"AckConsumer/InvalidCursor", testAckInvalidCursor},
		{"ReleaseConsumer/FreesLease", testRelease},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newStore(t))
		})
	}
}

// feedWait bounds how long the suite waits for committed events to show in
// the feed (a store may hold back recent events for a while).
const feedWait = 30 * time.Second

// feedTail returns the cursor after the last event the feed shows now.
func feedTail(t *testing.T, s team.FeedStore) string {
	t.Helper()
	cursor := ""
	for {
		events, err := s.FeedEvents(t.Context(), cursor, audit.MaxLimit)
		noErr(t, "FeedEvents", err)
		if len(events) == 0 {
			return cursor
		}
		cursor = events[len(events)-1].Cursor
	}
}

// followFeed reads the feed from cursor in pages of limit until it has seen
// every event whose ID is in want, and returns the events of the teams in
// teams that it read, in feed order, with the cursor after the last page.
func followFeed(t *testing.T, s team.FeedStore, cursor string, limit int, teams []string, want []string) ([]team.FeedEvent, string) {
	t.Helper()
	missing := map[string]bool{}
	for _, id := range want {
		missing[id] = true
	}
	var got []team.FeedEvent
	deadline := time.Now().Add(feedWait)
	for len(missing) > 0 {
		events, err := s.FeedEvents(t.Context(), cursor, limit)
		noErr(t, "FeedEvents", err)
		if len(events) > limit {
			t.Fatalf("FeedEvents(limit %d) returned %d events", limit, len(events))
		}
		if len(events) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("FeedEvents: %d committed events still missing after %s", len(missing), feedWait)
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		for _, e := range events {
			if e.Cursor == "" {
				t.Fatalf("FeedEvents: event %s has an empty cursor", e.Event.ID)
			}
			if slices.Contains(teams, e.Event.TeamID) {
				got = append(got, e)
				delete(missing, e.Event.ID)
			}
		}
		cursor = events[len(events)-1].Cursor
	}
	return got, cursor
}

func feedIDs(es []team.FeedEvent) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Event.ID
	}
	return out
}

// checkOnceInSeq requires every event of want exactly once in got, each
// team's in ascending Seq, and nothing else.
func checkOnceInSeq(t *testing.T, got []team.FeedEvent, want []audit.Event) {
	t.Helper()
	seen := map[string]int{}
	last := map[string]uint64{}
	for _, e := range got {
		seen[e.Event.ID]++
		if e.Event.Seq <= last[e.Event.TeamID] {
			t.Fatalf("feed: team %s event seq %d after seq %d", e.Event.TeamID, e.Event.Seq, last[e.Event.TeamID])
		}
		last[e.Event.TeamID] = e.Event.Seq
	}
	for _, w := range want {
		if seen[w.ID] != 1 {
			t.Fatalf("feed: event %s (team %s seq %d) seen %d times, want once", w.ID, w.TeamID, w.Seq, seen[w.ID])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("feed: %d events of the test's teams, want %d", len(got), len(want))
	}
}

// Rule FEED-1: every committed event of every team appears once, with its
// stored fields.
func testFeedEveryEventOnce(t *testing.T, s FeedingStore) {
	tail := feedTail(t, s)
	a := newTeam(t, team.Collaboration, newID(t, "user"))
	b := newTeam(t, team.Collaboration, newID(t, "user"))
	ea, eb := newEvents(t, a.ID, 3), newEvents(t, b.ID, 2)
	seed(t, s, a, b)
	var all []audit.Event
	for i := range 3 {
		recs := []any{ea[i]}
		all = append(all, ea[i])
		if i < len(eb) {
			recs = append(recs, eb[i])
			all = append(all, eb[i])
		}
		seed(t, s, recs...)
	}
	got, _ := followFeed(t, s, tail, audit.MaxLimit, []string{a.ID, b.ID}, eventIDs(all))
	checkOnceInSeq(t, got, all)
	byID := map[string]audit.Event{}
	for _, e := range all {
		byID[e.ID] = e
	}
	for _, e := range got {
		same(t, "FeedEvents event", e.Event, byID[e.Event.ID], normEvent)
	}
}

// Rule FEED-1: reading page by page from each Cursor gives the same events
// as one read, and a page's last Cursor resumes after it.
func testFeedPages(t *testing.T, s FeedingStore) {
	tail := feedTail(t, s)
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	events := newEvents(t, tm.ID, 7)
	recs := []any{tm}
	for _, e := range events {
		recs = append(recs, e)
	}
	seed(t, s, recs...)
	whole, end := followFeed(t, s, tail, audit.MaxLimit, []string{tm.ID}, eventIDs(events))
	paged, _ := followFeed(t, s, tail, 2, []string{tm.ID}, eventIDs(events))
	sameIDs(t, "paged feed", feedIDs(paged), feedIDs(whole))
	checkOnceInSeq(t, paged, events)
	// From the middle: the events after the third.
	rest, _ := followFeed(t, s, whole[2].Cursor, 3, []string{tm.ID}, eventIDs(events[3:]))
	sameIDs(t, "feed from a cursor", feedIDs(rest), eventIDs(events[3:]))
	// Nothing of the team after the end.
	after, err := s.FeedEvents(t.Context(), end, audit.MaxLimit)
	noErr(t, "FeedEvents", err)
	for _, e := range after {
		if e.Event.TeamID == tm.ID {
			t.Fatalf("FeedEvents after the end returned event %s again", e.Event.ID)
		}
	}
}

// Rule FEED-1: a rolled-back unit's events never reach the feed.
func testFeedRollback(t *testing.T, s FeedingStore) {
	tail := feedTail(t, s)
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	events := newEvents(t, tm.ID, 3)
	seed(t, s, tm, events[0])
	errRefused := errors.New("storetest: refused on purpose")
	wantTxErr(t, s, errRefused, teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error {
		if err := tx.AppendAuditEvent(ctx, events[1]); err != nil {
			return err
		}
		return errRefused
	}))
	// events[1] again, committed this time, then events[2].
	seed(t, s, events[1])
	seed(t, s, events[2])
	got, _ := followFeed(t, s, tail, 1, []string{tm.ID}, eventIDs(events))
	checkOnceInSeq(t, got, events)
}

// Rule FEED-1: the events of one unit come in the order it appended them.
func testFeedUnitOrder(t *testing.T, s FeedingStore) {
	tail := feedTail(t, s)
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	events := newEvents(t, tm.ID, 5)
	recs := []any{tm}
	for _, e := range events {
		recs = append(recs, e)
	}
	seed(t, s, recs...)
	got, _ := followFeed(t, s, tail, 2, []string{tm.ID}, eventIDs(events))
	sameIDs(t, "feed", feedIDs(got), eventIDs(events))
}

// Rule FEED-1: a cursor the store did not make is refused.
func testFeedInvalidCursor(t *testing.T, s FeedingStore) {
	for _, c := range []string{"x", "AAAA", "not a cursor", audit.EncodeCursor(5)} {
		_, err := s.FeedEvents(t.Context(), c, 10)
		wantErr(t, fmt.Sprintf("FeedEvents(%q)", c), err, audit.ErrInvalidCursor)
	}
}

// Rule FEED-1: while units of work commit concurrently (in whatever order
// the store lets them), a reader following the feed at the same time sees
// every committed event exactly once.
func testFeedConcurrent(t *testing.T, s FeedingStore) {
	tail := feedTail(t, s)
	const writers, perWriter = 4, 25
	teams := make([]team.Team, writers)
	var teamIDs []string
	for i := range teams {
		teams[i] = newTeam(t, team.Collaboration, newID(t, "user"))
		teamIDs = append(teamIDs, teams[i].ID)
		seed(t, s, teams[i])
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		all    []audit.Event
		failed error
	)
	for _, tm := range teams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, e := range newEvents(t, tm.ID, perWriter) {
				err := s.InTx(t.Context(), teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error {
					return tx.AppendAuditEvent(ctx, e)
				}))
				mu.Lock()
				if err != nil && failed == nil {
					failed = err
				}
				if err == nil {
					all = append(all, e)
				}
				mu.Unlock()
			}
		}()
	}
	// A reader follows while the writers run, in small pages.
	var got []team.FeedEvent
	cursor := tail
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		events, err := s.FeedEvents(t.Context(), cursor, 3)
		noErr(t, "FeedEvents", err)
		for _, e := range events {
			if slices.Contains(teamIDs, e.Event.TeamID) {
				got = append(got, e)
			}
		}
		if len(events) > 0 {
			cursor = events[len(events)-1].Cursor
		}
	}
	if failed != nil {
		t.Fatalf("writing events: %v", failed)
	}
	// The rest, after every writer committed.
	seen := map[string]bool{}
	for _, e := range got {
		seen[e.Event.ID] = true
	}
	var rest []string
	for _, e := range all {
		if !seen[e.ID] {
			rest = append(rest, e.ID)
		}
	}
	more, _ := followFeed(t, s, cursor, audit.MaxLimit, teamIDs, rest)
	checkOnceInSeq(t, append(got, more...), all)
}

// claimAt claims name for holder from now for a minute.
func claimAt(t *testing.T, s team.FeedStore, name, holder string, now time.Time) (team.ConsumerState, error) {
	t.Helper()
	return s.ClaimConsumer(t.Context(), team.ClaimConsumerParams{Name: name, Holder: holder, Now: now, Until: now.Add(time.Minute)})
}

// someCursors commits n events of a new team and returns their cursors in
// feed order.
func someCursors(t *testing.T, s FeedingStore, n int) []string {
	t.Helper()
	tail := feedTail(t, s)
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	events := newEvents(t, tm.ID, n)
	recs := []any{tm}
	for _, e := range events {
		recs = append(recs, e)
	}
	seed(t, s, recs...)
	got, _ := followFeed(t, s, tail, audit.MaxLimit, []string{tm.ID}, eventIDs(events))
	out := make([]string, len(got))
	for i, e := range got {
		out[i] = e.Cursor
	}
	return out
}

// Rule FEED-2: a new consumer starts at the start of the feed, and the lease
// is its claimer's.
func testClaimNew(t *testing.T, s FeedingStore) {
	name, holder := newID(t, "consumer"), newID(t, "holder")
	st, err := claimAt(t, s, name, holder, at(0))
	noErr(t, "ClaimConsumer", err)
	if st.Name != name || st.Cursor != "" || st.Holder != holder || !st.LeaseUntil.Equal(at(1)) {
		t.Fatalf("ClaimConsumer of a new consumer = %+v, want name %s, cursor \"\", holder %s, lease until %s", st, name, holder, at(1))
	}
	// A renewal by the holder extends the lease.
	st, err = claimAt(t, s, name, holder, at(0).Add(30*time.Second))
	noErr(t, "ClaimConsumer (renewal)", err)
	if !st.LeaseUntil.Equal(at(0).Add(90 * time.Second)) {
		t.Fatalf("renewed lease ends %s, want %s", st.LeaseUntil, at(0).Add(90*time.Second))
	}
}

// Rule FEED-2: two holders never hold one consumer's lease at once.
func testClaimBusy(t *testing.T, s FeedingStore) {
	name := newID(t, "consumer")
	_, err := claimAt(t, s, name, "holder-a", at(0))
	noErr(t, "ClaimConsumer", err)
	_, err = claimAt(t, s, name, "holder-b", at(0).Add(59*time.Second))
	wantErr(t, "ClaimConsumer by another holder", err, team.ErrConsumerBusy)
	// Concurrent claims of a fresh consumer: exactly one wins.
	fresh := newID(t, "consumer")
	var wg sync.WaitGroup
	wins := make(chan string, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := fmt.Sprintf("holder-%d", i)
			if _, err := claimAt(t, s, fresh, h, at(0)); err == nil {
				wins <- h
			} else if !errors.Is(err, team.ErrConsumerBusy) {
				t.Errorf("ClaimConsumer: %v, want nil or ErrConsumerBusy", err)
			}
		}()
	}
	wg.Wait()
	close(wins)
	if n := len(wins); n != 1 {
		t.Fatalf("%d concurrent claims of one consumer succeeded, want 1", n)
	}
}

// Rule FEED-2: a lease that ended can be taken by another holder, who gets
// the acknowledged cursor.
func testClaimExpired(t *testing.T, s FeedingStore) {
	cursors := someCursors(t, s, 2)
	name := newID(t, "consumer")
	_, err := claimAt(t, s, name, "holder-a", at(0))
	noErr(t, "ClaimConsumer", err)
	noErr(t, "AckConsumer", s.AckConsumer(t.Context(), team.AckConsumerParams{Name: name, Holder: "holder-a", Cursor: cursors[0], Now: at(0)}))
	st, err := claimAt(t, s, name, "holder-b", at(1))
	noErr(t, "ClaimConsumer after the lease ended", err)
	if st.Cursor != cursors[0] || st.Holder != "holder-b" {
		t.Fatalf("ClaimConsumer = %+v, want cursor %s held by holder-b", st, cursors[0])
	}
	err = s.AckConsumer(t.Context(), team.AckConsumerParams{Name: name, Holder: "holder-a", Cursor: cursors[1], Now: at(1)})
	wantErr(t, "AckConsumer by the old holder", err, team.ErrLeaseLost)
}

// Rule FEED-2: Ack moves the cursor forward; twice, or an older cursor,
// changes nothing.
func testAckMoves(t *testing.T, s FeedingStore) {
	cursors := someCursors(t, s, 3)
	name := newID(t, "consumer")
	_, err := claimAt(t, s, name, "holder-a", at(0))
	noErr(t, "ClaimConsumer", err)
	ack := func(c string) {
		t.Helper()
		noErr(t, "AckConsumer", s.AckConsumer(t.Context(), team.AckConsumerParams{Name: name, Holder: "holder-a", Cursor: c, Now: at(0)}))
	}
	cursorNow := func() string {
		t.Helper()
		st, err := claimAt(t, s, name, "holder-a", at(0))
		noErr(t, "ClaimConsumer", err)
		return st.Cursor
	}
	ack(cursors[1])
	ack(cursors[1])
	if got := cursorNow(); got != cursors[1] {
		t.Fatalf("cursor after acking twice = %q, want %q", got, cursors[1])
	}
	ack(cursors[0])
	if got := cursorNow(); got != cursors[1] {
		t.Fatalf("cursor after acking an older one = %q, want %q (never back)", got, cursors[1])
	}
	ack(cursors[2])
	if got := cursorNow(); got != cursors[2] {
		t.Fatalf("cursor = %q, want %q", got, cursors[2])
	}
}

// Rule FEED-2: only the lease's holder acknowledges, while the lease lasts.
func testAckLeaseLost(t *testing.T, s FeedingStore) {
	cursors := someCursors(t, s, 1)
	name := newID(t, "consumer")
	ack := func(holder string, now time.Time) error {
		return s.AckConsumer(t.Context(), team.AckConsumerParams{Name: name, Holder: holder, Cursor: cursors[0], Now: now})
	}
	wantErr(t, "AckConsumer of a consumer never claimed", ack("holder-a", at(0)), team.ErrLeaseLost)
	_, err := claimAt(t, s, name, "holder-a", at(0))
	noErr(t, "ClaimConsumer", err)
	wantErr(t, "AckConsumer by another holder", ack("holder-b", at(0)), team.ErrLeaseLost)
	wantErr(t, "AckConsumer after the lease ended", ack("holder-a", at(1)), team.ErrLeaseLost)
	st, err := claimAt(t, s, name, "holder-a", at(2))
	noErr(t, "ClaimConsumer", err)
	if st.Cursor != "" {
		t.Fatalf("refused acks moved the cursor to %q", st.Cursor)
	}
}

// Rule FEED-2: Ack refuses a cursor the store did not make.
func testAckInvalidCursor(t *testing.T, s FeedingStore) {
	name := newID(t, "consumer")
	_, err := claimAt(t, s, name, "holder-a", at(0))
	noErr(t, "ClaimConsumer", err)
	err = s.AckConsumer(t.Context(), team.AckConsumerParams{Name: name, Holder: "holder-a", Cursor: "not a cursor", Now: at(0)})
	wantErr(t, "AckConsumer", err, audit.ErrInvalidCursor)
}

// Rule FEED-2: a released lease can be taken at once; releasing someone
// else's lease does nothing.
func testRelease(t *testing.T, s FeedingStore) {
	name := newID(t, "consumer")
	_, err := claimAt(t, s, name, "holder-a", at(0))
	noErr(t, "ClaimConsumer", err)
	noErr(t, "ReleaseConsumer by another holder", s.ReleaseConsumer(t.Context(), name, "holder-b"))
	_, err = claimAt(t, s, name, "holder-b", at(0))
	wantErr(t, "ClaimConsumer after a foreign release", err, team.ErrConsumerBusy)
	noErr(t, "ReleaseConsumer", s.ReleaseConsumer(t.Context(), name, "holder-a"))
	st, err := claimAt(t, s, name, "holder-b", at(0))
	noErr(t, "ClaimConsumer after release", err)
	if st.Holder != "holder-b" {
		t.Fatalf("holder = %q, want holder-b", st.Holder)
	}
	noErr(t, "ReleaseConsumer of an unknown consumer", s.ReleaseConsumer(t.Context(), newID(t, "consumer"), "holder-a"))
}
