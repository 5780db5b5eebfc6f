package storetest

import (
	"context"
	"testing"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/team"
)

func teamCases() []testCase {
	return []testCase{
		{"Team/NotFound", testTeamNotFound},
		{"Team/ReturnsInsertedTeam", testTeamRoundTrip},
		{"PersonalTeam/NotFound", testPersonalTeamNotFound},
		{"PersonalTeam/ReturnsOwnersPersonalTeam", testPersonalTeam},
		{"InsertTeam/DuplicateIDIsConflict", testInsertTeamDuplicateID},
		{"InsertTeam/SecondPersonalTeamIsConflict", testInsertTeamSecondPersonal},
		{"UpdateTeam/NotFound", testUpdateTeamNotFound},
		{"UpdateTeam/ReplacesTeam", testUpdateTeamReplaces},
		{"UpdateTeam/UpgradeFreesPersonalSlot", testUpdateTeamUpgradeFreesSlot},
		{"TeamsOfUser/ByCreatedAtThenID", testTeamsOfUser},
		{"TeamsOfUser/EmptyForNonMember", testTeamsOfUserEmpty},
		{"CountOwnedTeams/LiveTeamsOfKind", testCountOwnedTeams},
		{"LockTeam/NotFound", testLockTeamNotFound},
		{"LockTeam/ReturnsTeamDeletedOrNot", testLockTeamDeleted},
		{"DeleteTeamMembers/NotFound", testDeleteTeamMembersNotFound},
		{"DeleteTeamMembers/RemovesMembersAndPendingInvitations", testDeleteTeamMembers},
	}
}

func testTeamNotFound(t *testing.T, s team.Store) {
	missing := newID(t, "team")
	_, err := s.Team(t.Context(), missing)
	wantErr(t, "Team", err, team.ErrNotFound)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		_, err := tx.Team(ctx, missing)
		wantErr(t, "Tx.Team", err, team.ErrNotFound)
		return nil
	})
}

func testTeamRoundTrip(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	seed(t, s, tm)
	got, err := s.Team(t.Context(), tm.ID)
	noErr(t, "Team", err)
	same(t, "Team", got, tm, normTeam)
}

func testPersonalTeamNotFound(t *testing.T, s team.Store) {
	owner := newID(t, "user")
	// A collaboration team is not a personal team.
	seed(t, s, newTeam(t, team.Collaboration, owner))
	_, err := s.PersonalTeam(t.Context(), owner)
	wantErr(t, "PersonalTeam", err, team.ErrNotFound)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		_, err := tx.PersonalTeam(ctx, owner)
		wantErr(t, "Tx.PersonalTeam", err, team.ErrNotFound)
		return nil
	})
}

func testPersonalTeam(t *testing.T, s team.Store) {
	owner := newID(t, "user")
	personal := newTeam(t, team.Personal, owner)
	seed(t, s, newTeam(t, team.Collaboration, owner), personal, newTeam(t, team.Personal, newID(t, "user")))
	got, err := s.PersonalTeam(t.Context(), owner)
	noErr(t, "PersonalTeam", err)
	same(t, "PersonalTeam", got, personal, normTeam)
}

func testInsertTeamDuplicateID(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	seed(t, s, tm)
	dup := newTeam(t, team.Collaboration, newID(t, "user"))
	dup.ID = tm.ID
	wantInsertErr(t, s, team.ErrConflict, dup)
	got, err := s.Team(t.Context(), tm.ID)
	noErr(t, "Team", err)
	same(t, "Team after refused duplicate", got, tm, normTeam)
}

// Rule TEAM-1: one personal team per user.
func testInsertTeamSecondPersonal(t *testing.T, s team.Store) {
	owner := newID(t, "user")
	first := newTeam(t, team.Personal, owner)
	seed(t, s, first)
	wantInsertErr(t, s, team.ErrConflict, newTeam(t, team.Personal, owner))
	// Other kinds and other owners are not limited by the rule.
	seed(t, s, newTeam(t, team.Collaboration, owner), newTeam(t, team.Collaboration, owner),
		newTeam(t, team.Personal, newID(t, "user")))
	got, err := s.PersonalTeam(t.Context(), owner)
	noErr(t, "PersonalTeam", err)
	same(t, "PersonalTeam", got, first, normTeam)
}

func testUpdateTeamNotFound(t *testing.T, s team.Store) {
	wantTxErr(t, s, team.ErrNotFound, func(ctx context.Context, tx team.Tx) error {
		return tx.UpdateTeam(ctx, newTeam(t, team.Collaboration, newID(t, "user")))
	})
}

// Rule DEL-3: a deleted team stays readable.
func testUpdateTeamReplaces(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	seed(t, s, tm)
	tm.Name = "Renamed"
	tm.Settings = map[string]string{"color": "red", "plan": "x"}
	tm.OwnerID = newID(t, "user")
	tm.UpdatedAt = at(5)
	tm.DeletedAt = at(6)
	mustTx(t, s, teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error { return tx.UpdateTeam(ctx, tm) }))
	got, err := s.Team(t.Context(), tm.ID)
	noErr(t, "Team", err)
	same(t, "Team after update", got, tm, normTeam)
	if !got.Deleted() {
		t.Fatalf("Team after deletion: Deleted() = false, want true")
	}
}

// Rule TEAM-3: upgrading the personal team frees the slot for a new one.
func testUpdateTeamUpgradeFreesSlot(t *testing.T, s team.Store) {
	owner := newID(t, "user")
	personal := newTeam(t, team.Personal, owner)
	seed(t, s, personal)
	upgraded := personal
	upgraded.Kind = team.Collaboration
	mustTx(t, s, teamLocked(upgraded.ID, func(ctx context.Context, tx team.Tx) error { return tx.UpdateTeam(ctx, upgraded) }))
	_, err := s.PersonalTeam(t.Context(), owner)
	wantErr(t, "PersonalTeam after upgrade", err, team.ErrNotFound)

	second := newTeam(t, team.Personal, owner)
	seed(t, s, second)
	got, err := s.PersonalTeam(t.Context(), owner)
	noErr(t, "PersonalTeam", err)
	same(t, "new PersonalTeam", got, second, normTeam)
	got, err = s.Team(t.Context(), personal.ID)
	noErr(t, "Team", err)
	same(t, "upgraded team", got, upgraded, normTeam)
}

func testTeamsOfUser(t *testing.T, s team.Store) {
	user := newID(t, "user")
	late := newTeam(t, team.Collaboration, newID(t, "user"))
	late.CreatedAt = at(10)
	early1 := newTeam(t, team.Collaboration, newID(t, "user"))
	early1.CreatedAt = at(1)
	early2 := newTeam(t, team.Personal, user)
	early2.CreatedAt = at(1)
	other := newTeam(t, team.Collaboration, newID(t, "user"))
	seed(t, s, late, early1, early2, other,
		newMember(t, late.ID, user, "member", at(20)),
		newMember(t, early1.ID, user, "member", at(30)),
		newMember(t, early2.ID, user, "owner", at(1)),
		newMember(t, other.ID, newID(t, "user"), "owner", at(1)))
	want := []team.Team{early1, early2}
	if early2.ID < early1.ID {
		want = []team.Team{early2, early1}
	}
	want = append(want, late)
	got, err := s.TeamsOfUser(t.Context(), user)
	noErr(t, "TeamsOfUser", err)
	sameList(t, "TeamsOfUser", got, want, normTeam)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		got, err := tx.TeamsOfUser(ctx, user)
		noErr(t, "Tx.TeamsOfUser", err)
		sameList(t, "Tx.TeamsOfUser", got, want, normTeam)
		return nil
	})
}

func testTeamsOfUserEmpty(t *testing.T, s team.Store) {
	// The owner of a team without a membership record is not a member.
	user := newID(t, "user")
	seed(t, s, newTeam(t, team.Collaboration, user))
	got, err := s.TeamsOfUser(t.Context(), user)
	noErr(t, "TeamsOfUser", err)
	if len(got) != 0 {
		t.Fatalf("TeamsOfUser of a non-member = %v, want none", teamIDs(got))
	}
}

// Rule TEAM-4: the plan limit counts live collaboration teams the user owns.
func testCountOwnedTeams(t *testing.T, s team.Store) {
	owner, other := newID(t, "user"), newID(t, "user")
	live1 := newTeam(t, team.Collaboration, owner)
	live2 := newTeam(t, team.Collaboration, owner)
	deleted := newTeam(t, team.Collaboration, owner)
	deleted.DeletedAt = at(3)
	seed(t, s, live1, live2, deleted, newTeam(t, team.Personal, owner),
		newTeam(t, team.Collaboration, other),
		newMember(t, live1.ID, owner, "owner", at(0)))
	count := func(user string, kind team.Kind, want int) {
		t.Helper()
		n, err := s.CountOwnedTeams(t.Context(), user, kind)
		noErr(t, "CountOwnedTeams", err)
		if n != want {
			t.Fatalf("CountOwnedTeams(%s, %s) = %d, want %d", user, kind, n, want)
		}
	}
	count(owner, team.Collaboration, 2)
	count(owner, team.Personal, 1)
	count(other, team.Collaboration, 1)
	count(newID(t, "user"), team.Collaboration, 0)

	// Ownership follows OwnerID (OWN-2); deletion stops the count (DEL-1).
	moved := live2
	moved.OwnerID = other
	gone := live1
	gone.DeletedAt = at(4)
	mustTx(t, s, teamLocked(moved.ID, teamLocked(gone.ID, func(ctx context.Context, tx team.Tx) error {
		if err := tx.UpdateTeam(ctx, moved); err != nil {
			return err
		}
		if err := tx.UpdateTeam(ctx, gone); err != nil {
			return err
		}
		n, err := tx.CountOwnedTeams(ctx, other, team.Collaboration)
		noErr(t, "Tx.CountOwnedTeams", err)
		if n != 2 {
			t.Errorf("Tx.CountOwnedTeams after transfer = %d, want 2", n)
		}
		return nil
	})))
	count(owner, team.Collaboration, 0)
	count(other, team.Collaboration, 2)
}

func testLockTeamNotFound(t *testing.T, s team.Store) {
	wantTxErr(t, s, team.ErrNotFound, func(ctx context.Context, tx team.Tx) error {
		_, err := tx.LockTeam(ctx, newID(t, "team"))
		return err
	})
}

func testLockTeamDeleted(t *testing.T, s team.Store) {
	live := newTeam(t, team.Collaboration, newID(t, "user"))
	deleted := newTeam(t, team.Collaboration, newID(t, "user"))
	deleted.DeletedAt = at(1)
	seed(t, s, live, deleted)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		for _, want := range []team.Team{live, deleted} {
			got, err := tx.LockTeam(ctx, want.ID)
			noErr(t, "LockTeam", err)
			same(t, "LockTeam", got, want, normTeam)
		}
		return nil
	})
}

func testDeleteTeamMembersNotFound(t *testing.T, s team.Store) {
	wantTxErr(t, s, team.ErrNotFound, func(ctx context.Context, tx team.Tx) error {
		return tx.DeleteTeamMembers(ctx, newID(t, "team"))
	})
}

// Rule DEL-3: deletion removes memberships and pending invitations; the
// team record, the other invitations and the audit trail stay.
func testDeleteTeamMembers(t *testing.T, s team.Store) {
	owner, user := newID(t, "user"), newID(t, "user")
	doomed := newTeam(t, team.Collaboration, owner)
	kept := newTeam(t, team.Collaboration, user)
	email := newEmail(t)
	pending1 := newInvitation(t, doomed.ID, email, team.InvitationPending)
	pending2 := newInvitation(t, doomed.ID, newEmail(t), team.InvitationPending)
	accepted := newInvitation(t, doomed.ID, newEmail(t), team.InvitationAccepted)
	cancelled := newInvitation(t, doomed.ID, email, team.InvitationCancelled)
	keptInv := newInvitation(t, kept.ID, email, team.InvitationPending)
	keptMember := newMember(t, kept.ID, user, "owner", at(0))
	events := newEvents(t, doomed.ID, 3)
	seed(t, s, doomed, kept,
		newMember(t, doomed.ID, owner, "owner", at(0)),
		newMember(t, doomed.ID, user, "member", at(1)),
		keptMember, pending1, pending2, accepted, cancelled, keptInv,
		events[0], events[1], events[2])

	mustTx(t, s, teamLocked(doomed.ID, func(ctx context.Context, tx team.Tx) error { return tx.DeleteTeamMembers(ctx, doomed.ID) }))

	ctx := t.Context()
	ms, err := s.Members(ctx, doomed.ID)
	noErr(t, "Members", err)
	if len(ms) != 0 {
		t.Fatalf("Members after DeleteTeamMembers: %d left, want 0", len(ms))
	}
	for _, u := range []string{owner, user} {
		_, err := s.Member(ctx, doomed.ID, u)
		wantErr(t, "Member after DeleteTeamMembers", err, team.ErrNotFound)
	}
	teams, err := s.TeamsOfUser(ctx, user)
	noErr(t, "TeamsOfUser", err)
	sameIDs(t, "TeamsOfUser after deletion of the other team", teamIDs(teams), []string{kept.ID})
	for _, inv := range []team.Invitation{pending1, pending2} {
		_, err := s.Invitation(ctx, inv.ID)
		wantErr(t, "pending Invitation after DeleteTeamMembers", err, team.ErrNotFound)
		_, err = s.InvitationByTokenHash(ctx, inv.TokenHash)
		wantErr(t, "pending InvitationByTokenHash after DeleteTeamMembers", err, team.ErrNotFound)
	}
	invs, err := s.Invitations(ctx, doomed.ID, "")
	noErr(t, "Invitations", err)
	want := []team.Invitation{accepted, cancelled}
	if cancelled.ID < accepted.ID {
		want = []team.Invitation{cancelled, accepted}
	}
	sameList(t, "Invitations left after DeleteTeamMembers", invs, want, normInvitation)
	byEmail, err := s.InvitationsByEmail(ctx, email, team.InvitationPending)
	noErr(t, "InvitationsByEmail", err)
	sameList(t, "pending InvitationsByEmail", byEmail, []team.Invitation{keptInv}, normInvitation)

	// The other team is untouched; the deleted team and its audit trail stay.
	got, err := s.Member(ctx, kept.ID, user)
	noErr(t, "Member of the other team", err)
	same(t, "Member of the other team", got, keptMember, normMember)
	_, err = s.Team(ctx, doomed.ID)
	noErr(t, "Team after DeleteTeamMembers", err)
	log, err := s.AuditEvents(ctx, doomed.ID, audit.Filter{})
	noErr(t, "AuditEvents", err)
	sameList(t, "AuditEvents after DeleteTeamMembers", log, events, normEvent)

	// The pending slot of the removed invitation is free again.
	seed(t, s, newInvitation(t, doomed.ID, email, team.InvitationPending))
}
