package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/store/postgres"
	"github.com/teamkit/teamkit/team"
)

// feedTeam inserts a team for the feed tests.
func feedTeam(t testing.TB, s *postgres.Store, id string) team.Team {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	tm := team.Team{ID: id, Kind: team.Collaboration, Name: "Team " + id, OwnerID: "owner-" + id, CreatedAt: now, UpdatedAt: now}
	if err := s.InTx(ctx, func(ctx context.Context, tx team.Tx) error { return tx.InsertTeam(ctx, tm) }); err != nil {
		t.Fatalf("InsertTeam: %v", err)
	}
	return tm
}

// feedEvent returns event seq of teamID, chained after prev.
func feedEvent(teamID string, prev audit.Event) audit.Event {
	return audit.Seal(audit.Event{
		ID: fmt.Sprintf("%s-event-%d", teamID, prev.Seq+1), TeamID: teamID, Time: time.Now(),
		ActorID: "actor", Action: "host.thing", Target: "t",
	}, prev)
}

// readFeed reads every event the feed shows after cursor.
func readFeed(t testing.TB, s *postgres.Store, cursor string) ([]team.FeedEvent, string) {
	t.Helper()
	var out []team.FeedEvent
	for {
		page, err := s.FeedEvents(ctx, cursor, 500)
		if err != nil {
			t.Fatalf("FeedEvents: %v", err)
		}
		if len(page) == 0 {
			return out, cursor
		}
		out = append(out, page...)
		cursor = page[len(page)-1].Cursor
	}
}

// TestFeedOutOfOrderCommit commits two units of work in the other order
// than they started, on purpose: unit A writes its event first and stays
// open while unit B writes its event and commits. B's event is then
// visible and A's is not, which is exactly what makes a feed ordered by a
// sequence number skip A. The feed must show neither until A commits, and
// then both, A first.
//
// Rule FEED-1.
func TestFeedOutOfOrderCommit(t *testing.T) {
	s := newStore(t)
	a, b := feedTeam(t, s, "team-a"), feedTeam(t, s, "team-b")
	_, start := readFeed(t, s, "")

	eA, eB := feedEvent(a.ID, audit.Event{}), feedEvent(b.ID, audit.Event{})
	written, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var once sync.Once
	letGo := func() { once.Do(func() { close(release) }) }
	t.Cleanup(func() { letGo(); <-done }) // a failing test still ends unit A
	go func() {
		done <- s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
			if _, err := tx.LockTeam(ctx, a.ID); err != nil {
				return err
			}
			if err := tx.AppendAuditEvent(ctx, eA); err != nil {
				return err
			}
			close(written)
			<-release
			return nil
		})
	}()
	<-written
	if err := s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		if _, err := tx.LockTeam(ctx, b.ID); err != nil {
			return err
		}
		return tx.AppendAuditEvent(ctx, eB)
	}); err != nil {
		t.Fatalf("unit B: %v", err)
	}

	// The hazard is real: B's event is committed and has the higher
	// insertion number, A's is not visible yet.
	var idA, idB int64
	q := "SELECT feed_id FROM " + pgx.Identifier{s.Schema()}.Sanitize() + ".audit_events WHERE id = $1"
	if err := s.Pool().QueryRow(ctx, q, eB.ID).Scan(&idB); err != nil {
		t.Fatalf("B's event is not visible after B committed: %v", err)
	}
	if err := s.Pool().QueryRow(ctx, q, eA.ID).Scan(&idA); !errors.Is(err, pgx.ErrNoRows) {
		t.Fatalf("A's event is visible before A committed (err %v)", err)
	}

	held, cursor := readFeed(t, s, start)
	for _, e := range held {
		if e.Event.ID == eB.ID || e.Event.ID == eA.ID {
			t.Fatalf("the feed shows event %s while unit A, which started first, is still open: a reader at its cursor would skip A's event", e.Event.ID)
		}
	}

	letGo()
	if err := <-done; err != nil {
		t.Fatalf("unit A: %v", err)
	}
	done <- nil // for the cleanup
	if err := s.Pool().QueryRow(ctx, q, eA.ID).Scan(&idA); err != nil || idA > idB {
		t.Fatalf("A's event: feed_id %d (err %v), want below B's %d: A inserted first", idA, err, idB)
	}
	var got []string
	for deadline := time.Now().Add(30 * time.Second); len(got) < 2 && time.Now().Before(deadline); {
		var more []team.FeedEvent
		more, cursor = readFeed(t, s, cursor)
		for _, e := range more {
			got = append(got, e.Event.ID)
		}
		if len(got) < 2 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if want := []string{eA.ID, eB.ID}; !slices.Equal(got, want) {
		t.Fatalf("after both committed, the feed from the held cursor shows %v, want %v", got, want)
	}
}
