package storetest

import (
	"context"
	"testing"

	"github.com/teamkit/teamkit/team"
)

func memberCases() []testCase {
	return []testCase{
		{"Member/NotFound", testMemberNotFound},
		{"Member/ReturnsInsertedMember", testMemberRoundTrip},
		{"InsertMember/DuplicateIsConflict", testInsertMemberDuplicate},
		{"InsertMember/SameUserInAnotherTeam", testInsertMemberOtherTeam},
		{"UpdateMember/NotFound", testUpdateMemberNotFound},
		{"UpdateMember/ReplacesMember", testUpdateMember},
		{"DeleteMember/NotFound", testDeleteMemberNotFound},
		{"DeleteMember/RemovesMember", testDeleteMember},
		{"Members/ByJoinedAtThenUserID", testMembersOrder},
	}
}

// Rule TEAM-6, RES-3: a membership of one team is not one of another.
func testMemberNotFound(t *testing.T, s team.Store) {
	a := newTeam(t, team.Collaboration, newID(t, "user"))
	b := newTeam(t, team.Collaboration, newID(t, "user"))
	user := newID(t, "user")
	seed(t, s, a, b, newMember(t, a.ID, user, "member", at(0)))
	_, err := s.Member(t.Context(), b.ID, user)
	wantErr(t, "Member of the other team", err, team.ErrNotFound)
	_, err = s.Member(t.Context(), a.ID, newID(t, "user"))
	wantErr(t, "Member of a non-member", err, team.ErrNotFound)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		_, err := tx.Member(ctx, b.ID, user)
		wantErr(t, "Tx.Member of the other team", err, team.ErrNotFound)
		return nil
	})
}

func testMemberRoundTrip(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	m := newMember(t, tm.ID, newID(t, "user"), "admin", at(2))
	m.Epoch = 7
	seed(t, s, tm, m)
	got, err := s.Member(t.Context(), tm.ID, m.UserID)
	noErr(t, "Member", err)
	same(t, "Member", got, m, normMember)
}

// Rule SEC-3: one membership per user and team.
func testInsertMemberDuplicate(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	m := newMember(t, tm.ID, newID(t, "user"), "member", at(0))
	seed(t, s, tm, m)
	dup := m
	dup.Role = "admin"
	dup.JoinedAt = at(9)
	wantInsertErr(t, s, team.ErrConflict, dup)
	got, err := s.Member(t.Context(), tm.ID, m.UserID)
	noErr(t, "Member", err)
	same(t, "Member after refused duplicate", got, m, normMember)
	ms, err := s.Members(t.Context(), tm.ID)
	noErr(t, "Members", err)
	sameList(t, "Members after refused duplicate", ms, []team.Member{m}, normMember)
}

func testInsertMemberOtherTeam(t *testing.T, s team.Store) {
	a := newTeam(t, team.Collaboration, newID(t, "user"))
	b := newTeam(t, team.Collaboration, newID(t, "user"))
	user := newID(t, "user")
	ma := newMember(t, a.ID, user, "member", at(0))
	mb := newMember(t, b.ID, user, "admin", at(1))
	seed(t, s, a, b, ma, mb)
	for _, want := range []team.Member{ma, mb} {
		got, err := s.Member(t.Context(), want.TeamID, user)
		noErr(t, "Member", err)
		same(t, "Member", got, want, normMember)
	}
}

func testUpdateMemberNotFound(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	seed(t, s, tm)
	wantTxErr(t, s, team.ErrNotFound, teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error {
		return tx.UpdateMember(ctx, newMember(t, tm.ID, newID(t, "user"), "member", at(0)))
	}))
}

// Rule ROLE-5: the epoch is stored with the role.
func testUpdateMember(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	m := newMember(t, tm.ID, newID(t, "user"), "member", at(0))
	other := newMember(t, tm.ID, newID(t, "user"), "member", at(0))
	seed(t, s, tm, m, other)
	m.Role = "admin"
	m.Epoch++
	m.Name = "New Name"
	mustTx(t, s, teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error { return tx.UpdateMember(ctx, m) }))
	got, err := s.Member(t.Context(), tm.ID, m.UserID)
	noErr(t, "Member", err)
	same(t, "Member after update", got, m, normMember)
	got, err = s.Member(t.Context(), tm.ID, other.UserID)
	noErr(t, "other Member", err)
	same(t, "other Member after update", got, other, normMember)
}

func testDeleteMemberNotFound(t *testing.T, s team.Store) {
	a := newTeam(t, team.Collaboration, newID(t, "user"))
	b := newTeam(t, team.Collaboration, newID(t, "user"))
	user := newID(t, "user")
	seed(t, s, a, b, newMember(t, a.ID, user, "member", at(0)))
	wantTxErr(t, s, team.ErrNotFound, teamLocked(b.ID, func(ctx context.Context, tx team.Tx) error {
		return tx.DeleteMember(ctx, b.ID, user)
	}))
	_, err := s.Member(t.Context(), a.ID, user)
	noErr(t, "Member of the other team after refused delete", err)
}

// Rule MEM-2, MEM-4: a removed member is gone at once and may rejoin.
func testDeleteMember(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	stays := newMember(t, tm.ID, newID(t, "user"), "owner", at(0))
	goes := newMember(t, tm.ID, newID(t, "user"), "member", at(1))
	seed(t, s, tm, stays, goes)
	mustTx(t, s, teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error { return tx.DeleteMember(ctx, tm.ID, goes.UserID) }))
	_, err := s.Member(t.Context(), tm.ID, goes.UserID)
	wantErr(t, "Member after DeleteMember", err, team.ErrNotFound)
	ms, err := s.Members(t.Context(), tm.ID)
	noErr(t, "Members", err)
	sameList(t, "Members after DeleteMember", ms, []team.Member{stays}, normMember)
	teams, err := s.TeamsOfUser(t.Context(), goes.UserID)
	noErr(t, "TeamsOfUser", err)
	if len(teams) != 0 {
		t.Fatalf("TeamsOfUser after DeleteMember = %v, want none", teamIDs(teams))
	}
	seed(t, s, goes)
	_, err = s.Member(t.Context(), tm.ID, goes.UserID)
	noErr(t, "Member after rejoining", err)
}

// Rule MEM-5: members are listed by joined time.
func testMembersOrder(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	other := newTeam(t, team.Collaboration, newID(t, "user"))
	late := newMember(t, tm.ID, newID(t, "user"), "owner", at(9))
	tieA := newMember(t, tm.ID, newID(t, "user"), "member", at(3))
	tieB := newMember(t, tm.ID, newID(t, "user"), "member", at(3))
	first := newMember(t, tm.ID, newID(t, "user"), "viewer", at(1))
	seed(t, s, tm, other, late, tieA, tieB, first, newMember(t, other.ID, newID(t, "user"), "owner", at(0)))
	if tieB.UserID < tieA.UserID {
		tieA, tieB = tieB, tieA
	}
	want := []team.Member{first, tieA, tieB, late}
	got, err := s.Members(t.Context(), tm.ID)
	noErr(t, "Members", err)
	sameList(t, "Members", got, want, normMember)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		got, err := tx.Members(ctx, tm.ID)
		noErr(t, "Tx.Members", err)
		sameList(t, "Tx.Members", got, want, normMember)
		return nil
	})
	none, err := s.Members(t.Context(), newID(t, "team"))
	noErr(t, "Members of an unknown team", err)
	if len(none) != 0 {
		t.Fatalf("Members of an unknown team: %d, want 0", len(none))
	}
}
