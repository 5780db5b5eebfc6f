package storetest

import (
	"context"
	"testing"

	"github.com/teamkit/teamkit/team"
)

// headCases cover the records issue 12 keeps apart from the ones they
// guard: the audit head on the team record (AUD-4) and the epoch
// high-water marks (ROLE-5).
func headCases() []testCase {
	return []testCase{
		{"AuditHead/NotFound", testAuditHeadNotFound},
		{"AuditHead/MovesWithAppendOnly", testAuditHeadMoves},
		{"AppendAuditEvent/UnknownTeamIsNotFound", testAppendAuditUnknownTeam},
		{"MemberEpochMark/SurvivesDeleteMember", testMemberEpochMark},
	}
}

func testAuditHeadNotFound(t *testing.T, s team.Store) {
	_, err := s.AuditHead(t.Context(), newID(t, "team"))
	wantErr(t, "AuditHead", err, team.ErrNotFound)
}

// Rule AUD-4: the head is the highest Seq ever appended, with its hash; it
// never moves back, UpdateTeam leaves it alone, and a rolled-back append
// leaves no trace in it.
func testAuditHeadMoves(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	seed(t, s, tm)
	head, err := s.AuditHead(t.Context(), tm.ID)
	noErr(t, "AuditHead", err)
	if head != (team.AuditHead{}) {
		t.Fatalf("AuditHead of a team without events = %+v, want the zero head", head)
	}
	events := newEvents(t, tm.ID, 4)
	seed(t, s, events[0], events[2], events[1]) // out of order: the highest Seq wins
	want := team.AuditHead{Seq: events[2].Seq, Hash: events[2].Hash}
	if head, err = s.AuditHead(t.Context(), tm.ID); err != nil || head != want {
		t.Fatalf("AuditHead = %+v, %v; want %+v", head, err, want)
	}
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		locked, err := tx.LockTeam(ctx, tm.ID)
		if err != nil {
			return err
		}
		locked.Name = "Renamed"
		return tx.UpdateTeam(ctx, locked)
	})
	if head, err = s.AuditHead(t.Context(), tm.ID); err != nil || head != want {
		t.Fatalf("AuditHead after UpdateTeam = %+v, %v; want %+v", head, err, want)
	}
	errRollback := errorString("roll back")
	err = s.InTx(t.Context(), func(ctx context.Context, tx team.Tx) error {
		if _, err := tx.LockTeam(ctx, tm.ID); err != nil {
			return err
		}
		if err := tx.AppendAuditEvent(ctx, events[3]); err != nil {
			return err
		}
		got, err := tx.AuditHead(ctx, tm.ID)
		noErr(t, "Tx.AuditHead", err)
		if got.Seq != events[3].Seq || got.Hash != events[3].Hash {
			t.Errorf("Tx.AuditHead after an append = %+v, want seq %d", got, events[3].Seq)
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("InTx = %v, want the unit's own error", err)
	}
	if head, err = s.AuditHead(t.Context(), tm.ID); err != nil || head != want {
		t.Fatalf("AuditHead after a rolled-back append = %+v, %v; want %+v", head, err, want)
	}
}

func testAppendAuditUnknownTeam(t *testing.T, s team.Store) {
	e := newEvents(t, newID(t, "team"), 1)[0]
	err := s.InTx(t.Context(), func(ctx context.Context, tx team.Tx) error { return tx.AppendAuditEvent(ctx, e) })
	wantErr(t, "AppendAuditEvent to an unknown team", err, team.ErrNotFound)
}

// Rule ROLE-5: the mark is the highest epoch a (team, user) pair was
// stored with, it outlives the membership, and it is per pair.
func testMemberEpochMark(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	user := newID(t, "user")
	m := newMember(t, tm.ID, user, "member", at(0))
	m.Epoch = 100
	seed(t, s, tm, m)
	mark := func(teamID, userID string) uint64 {
		t.Helper()
		var got uint64
		mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
			var err error
			got, err = tx.MemberEpochMark(ctx, teamID, userID)
			return err
		})
		return got
	}
	if got := mark(tm.ID, user); got != 100 {
		t.Fatalf("MemberEpochMark after InsertMember = %d, want 100", got)
	}
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		if _, err := tx.LockTeam(ctx, tm.ID); err != nil {
			return err
		}
		m.Epoch = 250
		if err := tx.UpdateMember(ctx, m); err != nil {
			return err
		}
		return tx.DeleteMember(ctx, tm.ID, user)
	})
	if got := mark(tm.ID, user); got != 250 {
		t.Fatalf("MemberEpochMark after UpdateMember and DeleteMember = %d, want 250", got)
	}
	if got := mark(tm.ID, newID(t, "user")); got != 0 {
		t.Fatalf("MemberEpochMark of a pair that never was = %d, want 0", got)
	}
	if got := mark(newID(t, "team"), user); got != 0 {
		t.Fatalf("MemberEpochMark in another team = %d, want 0", got)
	}
}

// errorString is an error with a fixed message, comparable with ==.
type errorString string

func (e errorString) Error() string { return string(e) }
