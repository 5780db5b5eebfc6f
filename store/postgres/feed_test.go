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
	"github.com/teamkit/teamkit/webhook/webhooktest"
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

// TestFeedFaultsOnPostgres runs the webhook fault scenario with the
// consumers' cursors in PostgreSQL: a receiver failing 30% of requests and
// a dispatcher killed and restarted 5 times during the changes (1,000, or
// TEAMKIT_WEBHOOK_FAULT_CHANGES).
//
// Rule FEED-2, FEED-3.
func TestFeedFaultsOnPostgres(t *testing.T) {
	svc, err := team.New(newStore(t))
	if err != nil {
		t.Fatal(err)
	}
	webhooktest.Faults(t, svc, webhooktest.Changes(t, 1000))
}

// TestAfterCommitOnPostgres: hooks hear of committed service changes on
// PostgreSQL too, and not of refused ones.
//
// Rule FEED-4.
func TestAfterCommitOnPostgres(t *testing.T) {
	got := make(chan audit.Event, 10)
	svc, err := team.New(newStore(t), team.WithAfterCommit(func(_ context.Context, e audit.Event) { got <- e }))
	if err != nil {
		t.Fatal(err)
	}
	tm, err := svc.EnsurePersonalTeam(ctx, userNamed("hooked"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RecordEvent(ctx, team.RecordEventParams{ActorID: "x", TeamID: tm.ID, Action: "team.created"}); err == nil {
		t.Fatal("a reserved action was recorded")
	}
	ev, err := svc.RecordEvent(ctx, team.RecordEventParams{ActorID: "x", TeamID: tm.ID, Action: "host.x"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for len(ids) < 2 {
		select {
		case e := <-got:
			ids = append(ids, e.ID)
		case <-time.After(10 * time.Second):
			t.Fatalf("hooks heard of %v, want 2 events", ids)
		}
	}
	if ids[1] != ev.ID {
		t.Fatalf("hook events %v, want the team's creation then %s", ids, ev.ID)
	}
	select {
	case e := <-got:
		t.Fatalf("unexpected hook event %+v", e)
	case <-time.After(50 * time.Millisecond):
	}
}

// BenchmarkFeedRead reads a feed of 20,000 events with one consumer in
// pages of 500, acknowledging each page, and reports events/s.
func BenchmarkFeedRead(b *testing.B) {
	s := newStore(b)
	const teams, per = 20, 1000
	for i := range teams {
		tm := feedTeam(b, s, fmt.Sprintf("bench-%d", i))
		err := s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
			if _, err := tx.LockTeam(ctx, tm.ID); err != nil {
				return err
			}
			prev := audit.Event{}
			for range per {
				e := feedEvent(tm.ID, prev)
				e.Details = map[string]string{"k": "v"}
				e = audit.Seal(e, prev)
				if err := tx.AppendAuditEvent(ctx, e); err != nil {
					return err
				}
				prev = e
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	svc, err := team.New(s)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var read int
	for i := 0; b.Loop(); i++ {
		c, err := svc.Consumer(team.ConsumerParams{Name: fmt.Sprintf("bench-%d", i), PageSize: 500})
		if err != nil {
			b.Fatal(err)
		}
		for {
			events, err := c.Next(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if len(events) == 0 {
				break
			}
			read += len(events)
			if err := c.Ack(ctx, events[len(events)-1].Cursor); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "events/s")
}
