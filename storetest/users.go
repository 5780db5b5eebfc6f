package storetest

import (
	"context"
	"testing"

	"github.com/teamkit/teamkit/team"
)

// User lifecycle (ROLE-8, USER-2).

func userCases() []testCase {
	return []testCase{
		{"MembershipsOfUser/TeamsWithMembershipsByCreatedAtThenID", testMembershipsOfUser},
		{"MembershipsOfUser/SeesOwnWritesInTx", testMembershipsOfUserInTx},
		{"DeleteInvitationsByEmail/RemovesThatTeamsInvitationsToThatEmail", testDeleteInvitationsByEmail},
		{"DeleteInvitationsByEmail/TeamNotFound", testDeleteInvitationsByEmailNotFound},
		{"DeleteInvitationsByEmail/RolledBackLeavesInvitations", testDeleteInvitationsByEmailRollback},
	}
}

func normMembership(x team.Membership) team.Membership {
	x.Team, x.Member = normTeam(x.Team), normMember(x.Member)
	return x
}

// Rule ROLE-8: one query returns each team of the user with their
// membership, deleted teams included, by the team's CreatedAt then ID.
func testMembershipsOfUser(t *testing.T, s team.Store) {
	user := newID(t, "user")
	late := newTeam(t, team.Collaboration, newID(t, "user"))
	late.CreatedAt = at(5)
	early := newTeam(t, team.Personal, user)
	early.Settings = nil
	tieA, tieB := newTeam(t, team.Collaboration, user), newTeam(t, team.Collaboration, user)
	if tieB.ID < tieA.ID {
		tieA, tieB = tieB, tieA
	}
	tieA.CreatedAt, tieB.CreatedAt = at(2), at(2)
	tieB.DeletedAt = at(3)
	early.CreatedAt = at(1)
	other := newTeam(t, team.Collaboration, newID(t, "user"))
	mLate := newMember(t, late.ID, user, "viewer", at(6))
	mEarly := newMember(t, early.ID, user, "owner", at(1))
	mA := newMember(t, tieA.ID, user, "owner", at(2))
	mB := newMember(t, tieB.ID, user, "admin", at(2))
	mB.Epoch = 42
	seed(t, s, late, early, tieA, tieB, other, mLate, mEarly, mA, mB,
		newMember(t, other.ID, newID(t, "user"), "member", at(0)))
	got, err := s.MembershipsOfUser(t.Context(), user)
	noErr(t, "MembershipsOfUser", err)
	want := []team.Membership{{Team: early, Member: mEarly}, {Team: tieA, Member: mA}, {Team: tieB, Member: mB}, {Team: late, Member: mLate}}
	sameList(t, "MembershipsOfUser", got, want, normMembership)

	none, err := s.MembershipsOfUser(t.Context(), newID(t, "user"))
	noErr(t, "MembershipsOfUser of a stranger", err)
	if none == nil || len(none) != 0 {
		t.Fatalf("MembershipsOfUser of a stranger = %#v, want an empty non-nil slice", none)
	}
}

func testMembershipsOfUserInTx(t *testing.T, s team.Store) {
	user := newID(t, "user")
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	seed(t, s, tm)
	m := newMember(t, tm.ID, user, "member", at(1))
	mustTx(t, s, teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error {
		if err := tx.InsertMember(ctx, m); err != nil {
			return err
		}
		got, err := tx.MembershipsOfUser(ctx, user)
		noErr(t, "Tx.MembershipsOfUser", err)
		sameList(t, "Tx.MembershipsOfUser after InsertMember", got, []team.Membership{{Team: tm, Member: m}}, normMembership)
		return nil
	}))
}

// Rule USER-2: every invitation of the team to the email goes, whatever its
// status; other emails and other teams keep theirs; the token hash and the
// pending slot are freed.
func testDeleteInvitationsByEmail(t *testing.T, s team.Store) {
	a := newTeam(t, team.Collaboration, newID(t, "user"))
	b := newTeam(t, team.Collaboration, newID(t, "user"))
	email, otherEmail := newEmail(t), newEmail(t)
	pending := newInvitation(t, a.ID, email, team.InvitationPending)
	accepted := newInvitation(t, a.ID, email, team.InvitationAccepted)
	keepOther := newInvitation(t, a.ID, otherEmail, team.InvitationPending)
	keepTeam := newInvitation(t, b.ID, email, team.InvitationPending)
	seed(t, s, a, b, pending, accepted, keepOther, keepTeam)
	mustTx(t, s, teamLocked(a.ID, func(ctx context.Context, tx team.Tx) error {
		n, err := tx.DeleteInvitationsByEmail(ctx, a.ID, email)
		noErr(t, "DeleteInvitationsByEmail", err)
		if n != 2 {
			t.Fatalf("DeleteInvitationsByEmail removed %d, want 2", n)
		}
		return nil
	}))
	for _, gone := range []team.Invitation{pending, accepted} {
		_, err := s.Invitation(t.Context(), gone.ID)
		wantErr(t, "Invitation of a removed one", err, team.ErrNotFound)
		_, err = s.InvitationByTokenHash(t.Context(), gone.TokenHash)
		wantErr(t, "InvitationByTokenHash of a removed one", err, team.ErrNotFound)
	}
	got, err := s.Invitations(t.Context(), a.ID, "")
	noErr(t, "Invitations", err)
	sameList(t, "Invitations of the team after", got, []team.Invitation{keepOther}, normInvitation)
	got, err = s.InvitationsByEmail(t.Context(), email, "")
	noErr(t, "InvitationsByEmail", err)
	sameList(t, "InvitationsByEmail after", got, []team.Invitation{keepTeam}, normInvitation)
	// The pending slot of (a, email) and the token hash are free again.
	again := newInvitation(t, a.ID, email, team.InvitationPending)
	again.TokenHash = pending.TokenHash
	seed(t, s, again)
	mustTx(t, s, teamLocked(a.ID, func(ctx context.Context, tx team.Tx) error {
		n, err := tx.DeleteInvitationsByEmail(ctx, a.ID, newEmail(t))
		noErr(t, "DeleteInvitationsByEmail of an email without invitations", err)
		if n != 0 {
			t.Fatalf("DeleteInvitationsByEmail of an email without invitations removed %d", n)
		}
		return nil
	}))
}

func testDeleteInvitationsByEmailNotFound(t *testing.T, s team.Store) {
	wantTxErr(t, s, team.ErrNotFound, func(ctx context.Context, tx team.Tx) error {
		_, err := tx.DeleteInvitationsByEmail(ctx, newID(t, "team"), newEmail(t))
		return err
	})
}

func testDeleteInvitationsByEmailRollback(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	email := newEmail(t)
	inv := newInvitation(t, tm.ID, email, team.InvitationPending)
	seed(t, s, tm, inv)
	wantTxErr(t, s, errBoom, teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error {
		if _, err := tx.DeleteInvitationsByEmail(ctx, tm.ID, email); err != nil {
			return err
		}
		return errBoom
	}))
	got, err := s.Invitation(t.Context(), inv.ID)
	noErr(t, "Invitation after a rolled-back delete", err)
	same(t, "Invitation after a rolled-back delete", got, inv, normInvitation)
	got, err = s.InvitationByTokenHash(t.Context(), inv.TokenHash)
	noErr(t, "InvitationByTokenHash after a rolled-back delete", err)
	same(t, "InvitationByTokenHash after a rolled-back delete", got, inv, normInvitation)
}
