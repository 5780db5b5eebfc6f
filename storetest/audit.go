package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/team"
)

func auditCases() []testCase {
	return []testCase{
		{"LastAuditEvent/NotFound", testLastAuditEventNotFound},
		{"LastAuditEvent/HighestSeq", testLastAuditEvent},
		{"AppendAuditEvent/ChainRoundTripsAndVerifies", testAuditRoundTrip},
		{"AppendAuditEvent/DuplicateSeqIsConflict", testAppendAuditDuplicateSeq},
		{"AppendAuditEvent/DuplicateIDIsConflict", testAppendAuditDuplicateID},
		{"AuditEvents/AscendingSeq", testAuditEventsAscending},
		{"AuditEvents/FiltersAfterSeqAndLimit", testAuditEventsFilters},
	}
}

func testLastAuditEventNotFound(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	other := newTeam(t, team.Collaboration, newID(t, "user"))
	seed(t, s, tm, other, newEvents(t, other.ID, 1)[0])
	_, err := s.LastAuditEvent(t.Context(), tm.ID)
	wantErr(t, "LastAuditEvent", err, team.ErrNotFound)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		_, err := tx.LastAuditEvent(ctx, tm.ID)
		wantErr(t, "Tx.LastAuditEvent", err, team.ErrNotFound)
		return nil
	})
}

func testLastAuditEvent(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	other := newTeam(t, team.Collaboration, newID(t, "user"))
	events := newEvents(t, tm.ID, 4)
	// Appended out of order: the highest Seq wins, not the latest append.
	seed(t, s, tm, other, events[0], events[1], events[3], events[2], newEvents(t, other.ID, 6)[5])
	got, err := s.LastAuditEvent(t.Context(), tm.ID)
	noErr(t, "LastAuditEvent", err)
	same(t, "LastAuditEvent", got, events[3], normEvent)
	next := newEvents(t, tm.ID, 5)[4]
	mustTx(t, s, teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error {
		if err := tx.AppendAuditEvent(ctx, next); err != nil {
			return err
		}
		got, err := tx.LastAuditEvent(ctx, tm.ID)
		noErr(t, "Tx.LastAuditEvent", err)
		same(t, "Tx.LastAuditEvent", got, next, normEvent)
		return nil
	}))
}

// Rule AUD-2, AUD-4: the stored log keeps every hashed field, so the chain
// read back verifies.
func testAuditRoundTrip(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	events := newEvents(t, tm.ID, 5)
	recs := []any{tm}
	for _, e := range events {
		recs = append(recs, e)
	}
	seed(t, s, recs...)
	got, err := s.AuditEvents(t.Context(), tm.ID, audit.Filter{})
	noErr(t, "AuditEvents", err)
	sameList(t, "AuditEvents", got, events, normEvent)
	if err := audit.Verify(tm.ID, got); err != nil {
		t.Fatalf("audit.Verify of the stored log: %v", err)
	}
}

// Rule AUD-4: one event per sequence number of a team.
func testAppendAuditDuplicateSeq(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	other := newTeam(t, team.Collaboration, newID(t, "user"))
	events := newEvents(t, tm.ID, 2)
	seed(t, s, tm, other, events[0], events[1])
	forged := newEvents(t, tm.ID, 2)[1]
	wantInsertErr(t, s, team.ErrConflict, forged)
	got, err := s.AuditEvents(t.Context(), tm.ID, audit.Filter{})
	noErr(t, "AuditEvents", err)
	sameList(t, "AuditEvents after refused duplicate", got, events, normEvent)
	// The same Seq in another team is fine.
	seed(t, s, newEvents(t, other.ID, 2)[1])
}

func testAppendAuditDuplicateID(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	other := newTeam(t, team.Collaboration, newID(t, "user"))
	e := newEvents(t, tm.ID, 1)[0]
	seed(t, s, tm, other, e)
	dup := newEvents(t, other.ID, 1)[0]
	dup.ID = e.ID
	wantInsertErr(t, s, team.ErrConflict, dup)
	_, err := s.LastAuditEvent(t.Context(), other.ID)
	wantErr(t, "LastAuditEvent of the refused duplicate's team", err, team.ErrNotFound)
}

func testAuditEventsAscending(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	events := newEvents(t, tm.ID, 6)
	seed(t, s, tm, events[2], events[0], events[5], events[1], events[4], events[3])
	got, err := s.AuditEvents(t.Context(), tm.ID, audit.Filter{})
	noErr(t, "AuditEvents", err)
	sameIDs(t, "AuditEvents", eventIDs(got), eventIDs(events))
	none, err := s.AuditEvents(t.Context(), newID(t, "team"), audit.Filter{})
	noErr(t, "AuditEvents of an unknown team", err)
	if len(none) != 0 {
		t.Fatalf("AuditEvents of an unknown team: %d, want 0", len(none))
	}
}

// expectEvents applies f to events as the contract describes it.
func expectEvents(events []audit.Event, f audit.Filter) []audit.Event {
	var out []audit.Event
	for _, e := range events {
		if e.Seq <= f.AfterSeq || !f.Match(e) {
			continue
		}
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
		out = append(out, e)
	}
	return out
}

// Rule AUD-3: reads filter by actor, action and time range and page with a
// cursor (AfterSeq) and a Limit.
func testAuditEventsFilters(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	other := newTeam(t, team.Collaboration, newID(t, "user"))
	events := newEvents(t, tm.ID, 12)
	recs := []any{tm, other}
	for _, e := range events {
		recs = append(recs, e)
	}
	for _, e := range newEvents(t, other.ID, 12) {
		recs = append(recs, e)
	}
	seed(t, s, recs...)
	alice := events[0].ActorID
	filters := []audit.Filter{
		{},
		{ActorID: alice},
		{ActorID: newID(t, "nobody")},
		{Actions: []audit.Action{audit.InvitationSent}},
		{Actions: []audit.Action{audit.InvitationSent, audit.MemberRoleChanged}},
		{From: at(3)},
		{To: at(5)},
		{From: at(3), To: at(8)},
		{AfterSeq: 4},
		{AfterSeq: 12},
		{Limit: 5},
		{AfterSeq: 5, Limit: 3},
		{ActorID: alice, AfterSeq: 2, Limit: 2},
		{ActorID: alice, Actions: []audit.Action{audit.TeamUpdated}, From: at(1), To: at(11), AfterSeq: 1, Limit: 1},
		{Actions: []audit.Action{audit.TeamDeleted}},
	}
	for _, f := range filters {
		want := expectEvents(events, f)
		got, err := s.AuditEvents(t.Context(), tm.ID, f)
		noErr(t, "AuditEvents", err)
		sameList(t, fmt.Sprintf("AuditEvents(%+v)", f), got, want, normEvent)
		mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
			got, err := tx.AuditEvents(ctx, tm.ID, f)
			noErr(t, "Tx.AuditEvents", err)
			sameIDs(t, fmt.Sprintf("Tx.AuditEvents(%+v)", f), eventIDs(got), eventIDs(want))
			return nil
		})
	}
	// Paging with the cursor walks the whole log once.
	var paged []audit.Event
	f := audit.Filter{Limit: 5}
	for {
		page, err := s.AuditEvents(t.Context(), tm.ID, f)
		noErr(t, "AuditEvents page", err)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		f.AfterSeq = page[len(page)-1].Seq
	}
	sameIDs(t, "AuditEvents paged", eventIDs(paged), eventIDs(events))
}
