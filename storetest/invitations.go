package storetest

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/teamkit/teamkit/team"
)

func invitationCases() []testCase {
	return []testCase{
		{"Invitation/NotFound", testInvitationNotFound},
		{"InvitationByTokenHash/NotFound", testInvitationByTokenHashNotFound},
		{"InsertInvitation/ReadableByIDAndTokenHash", testInvitationRoundTrip},
		{"InsertInvitation/DuplicateIDIsConflict", testInsertInvitationDuplicateID},
		{"InsertInvitation/DuplicateTokenHashIsConflict", testInsertInvitationDuplicateToken},
		{"InsertInvitation/SecondPendingForTeamAndEmailIsConflict", testInsertInvitationSecondPending},
		{"InsertInvitation/PendingBesideOtherStatusesAndTeams", testInsertInvitationAllowed},
		{"UpdateInvitation/NotFound", testUpdateInvitationNotFound},
		{"UpdateInvitation/ReplacesInvitationAndTokenHash", testUpdateInvitation},
		{"UpdateInvitation/SecondPendingIsConflict", testUpdateInvitationSecondPending},
		{"UpdateInvitation/TakenTokenHashIsConflict", testUpdateInvitationTakenToken},
		{"UpdateInvitation/LeavingPendingFreesSlot", testUpdateInvitationFreesSlot},
		{"Invitations/ByStatusInCreatedAtThenIDOrder", testInvitationsList},
		{"InvitationsByEmail/ByStatusInCreatedAtThenIDOrder", testInvitationsByEmail},
	}
}

func testInvitationNotFound(t *testing.T, s team.Store) {
	missing := newID(t, "inv")
	_, err := s.Invitation(t.Context(), missing)
	wantErr(t, "Invitation", err, team.ErrNotFound)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		_, err := tx.Invitation(ctx, missing)
		wantErr(t, "Tx.Invitation", err, team.ErrNotFound)
		return nil
	})
}

func testInvitationByTokenHashNotFound(t *testing.T, s team.Store) {
	missing := randomHex(t, 32)
	_, err := s.InvitationByTokenHash(t.Context(), missing)
	wantErr(t, "InvitationByTokenHash", err, team.ErrNotFound)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		_, err := tx.InvitationByTokenHash(ctx, missing)
		wantErr(t, "Tx.InvitationByTokenHash", err, team.ErrNotFound)
		return nil
	})
}

func testInvitationRoundTrip(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	inv := newInvitation(t, tm.ID, newEmail(t), team.InvitationPending)
	seed(t, s, tm, inv)
	got, err := s.Invitation(t.Context(), inv.ID)
	noErr(t, "Invitation", err)
	same(t, "Invitation", got, inv, normInvitation)
	got, err = s.InvitationByTokenHash(t.Context(), inv.TokenHash)
	noErr(t, "InvitationByTokenHash", err)
	same(t, "InvitationByTokenHash", got, inv, normInvitation)
}

func testInsertInvitationDuplicateID(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	inv := newInvitation(t, tm.ID, newEmail(t), team.InvitationPending)
	seed(t, s, tm, inv)
	dup := newInvitation(t, tm.ID, newEmail(t), team.InvitationPending)
	dup.ID = inv.ID
	wantInsertErr(t, s, team.ErrConflict, dup)
	_, err := s.InvitationByTokenHash(t.Context(), dup.TokenHash)
	wantErr(t, "InvitationByTokenHash of the refused duplicate", err, team.ErrNotFound)
}

// Rule INV-4: a token hash names one invitation.
func testInsertInvitationDuplicateToken(t *testing.T, s team.Store) {
	a := newTeam(t, team.Collaboration, newID(t, "user"))
	b := newTeam(t, team.Collaboration, newID(t, "user"))
	inv := newInvitation(t, a.ID, newEmail(t), team.InvitationPending)
	seed(t, s, a, b, inv)
	dup := newInvitation(t, b.ID, newEmail(t), team.InvitationCancelled)
	dup.TokenHash = inv.TokenHash
	wantInsertErr(t, s, team.ErrConflict, dup)
	got, err := s.InvitationByTokenHash(t.Context(), inv.TokenHash)
	noErr(t, "InvitationByTokenHash", err)
	same(t, "InvitationByTokenHash after refused duplicate", got, inv, normInvitation)
}

// Rule INV-2: one pending invitation per team and email.
func testInsertInvitationSecondPending(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	email := newEmail(t)
	inv := newInvitation(t, tm.ID, email, team.InvitationPending)
	seed(t, s, tm, inv)
	second := newInvitation(t, tm.ID, email, team.InvitationPending)
	second.Role = "admin"
	wantInsertErr(t, s, team.ErrConflict, second)
	got, err := s.Invitations(t.Context(), tm.ID, team.InvitationPending)
	noErr(t, "Invitations", err)
	sameList(t, "pending Invitations after refused second", got, []team.Invitation{inv}, normInvitation)
}

// Rule INV-2, INV-6: the rule is about pending invitations of one team.
func testInsertInvitationAllowed(t *testing.T, s team.Store) {
	a := newTeam(t, team.Collaboration, newID(t, "user"))
	b := newTeam(t, team.Collaboration, newID(t, "user"))
	email := newEmail(t)
	seed(t, s, a, b,
		newInvitation(t, a.ID, email, team.InvitationAccepted),
		newInvitation(t, a.ID, email, team.InvitationCancelled),
		newInvitation(t, a.ID, email, team.InvitationDeclined),
		newInvitation(t, a.ID, email, team.InvitationCancelled),
		newInvitation(t, a.ID, email, team.InvitationPending),
		newInvitation(t, b.ID, email, team.InvitationPending),
		newInvitation(t, a.ID, newEmail(t), team.InvitationPending))
	got, err := s.InvitationsByEmail(t.Context(), email, "")
	noErr(t, "InvitationsByEmail", err)
	if len(got) != 6 {
		t.Fatalf("InvitationsByEmail: %d invitations, want 6", len(got))
	}
}

func testUpdateInvitationNotFound(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	seed(t, s, tm)
	wantTxErr(t, s, team.ErrNotFound, teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error {
		return tx.UpdateInvitation(ctx, newInvitation(t, tm.ID, newEmail(t), team.InvitationPending))
	}))
}

// Rule INV-6: re-sending replaces the token; the old one is dead.
func testUpdateInvitation(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	inv := newInvitation(t, tm.ID, newEmail(t), team.InvitationPending)
	seed(t, s, tm, inv)
	oldHash := inv.TokenHash
	inv.TokenHash = randomHex(t, 32)
	inv.ExpiresAt = at(20000)
	inv.UpdatedAt = at(5)
	mustTx(t, s, teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error { return tx.UpdateInvitation(ctx, inv) }))
	_, err := s.InvitationByTokenHash(t.Context(), oldHash)
	wantErr(t, "InvitationByTokenHash of the replaced hash", err, team.ErrNotFound)
	got, err := s.InvitationByTokenHash(t.Context(), inv.TokenHash)
	noErr(t, "InvitationByTokenHash", err)
	same(t, "InvitationByTokenHash after update", got, inv, normInvitation)

	inv.Status = team.InvitationAccepted
	mustTx(t, s, teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error { return tx.UpdateInvitation(ctx, inv) }))
	got, err = s.Invitation(t.Context(), inv.ID)
	noErr(t, "Invitation", err)
	same(t, "Invitation after acceptance", got, inv, normInvitation)
}

// Rule INV-2: the pending rule holds on update too.
func testUpdateInvitationSecondPending(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	email := newEmail(t)
	old := newInvitation(t, tm.ID, email, team.InvitationCancelled)
	pending := newInvitation(t, tm.ID, email, team.InvitationPending)
	otherEmail := newInvitation(t, tm.ID, newEmail(t), team.InvitationPending)
	seed(t, s, tm, old, pending, otherEmail)
	revived := old
	revived.Status = team.InvitationPending
	wantTxErr(t, s, team.ErrConflict, teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error { return tx.UpdateInvitation(ctx, revived) }))
	moved := otherEmail
	moved.Email = email
	wantTxErr(t, s, team.ErrConflict, teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error { return tx.UpdateInvitation(ctx, moved) }))
	got, err := s.Invitation(t.Context(), old.ID)
	noErr(t, "Invitation", err)
	same(t, "Invitation after refused update", got, old, normInvitation)
	got, err = s.Invitation(t.Context(), otherEmail.ID)
	noErr(t, "Invitation", err)
	same(t, "Invitation after refused update", got, otherEmail, normInvitation)
}

// Rule INV-4: the token hash rule holds on update too.
func testUpdateInvitationTakenToken(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	a := newInvitation(t, tm.ID, newEmail(t), team.InvitationPending)
	b := newInvitation(t, tm.ID, newEmail(t), team.InvitationPending)
	seed(t, s, tm, a, b)
	b2 := b
	b2.TokenHash = a.TokenHash
	wantTxErr(t, s, team.ErrConflict, teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error { return tx.UpdateInvitation(ctx, b2) }))
	for _, want := range []team.Invitation{a, b} {
		got, err := s.InvitationByTokenHash(t.Context(), want.TokenHash)
		noErr(t, "InvitationByTokenHash", err)
		same(t, "InvitationByTokenHash after refused update", got, want, normInvitation)
	}
}

// Rule INV-2, INV-6: once cancelled, the email can be invited again.
func testUpdateInvitationFreesSlot(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	email := newEmail(t)
	inv := newInvitation(t, tm.ID, email, team.InvitationPending)
	seed(t, s, tm, inv)
	inv.Status = team.InvitationCancelled
	again := newInvitation(t, tm.ID, email, team.InvitationPending)
	mustTx(t, s, teamLocked(tm.ID, func(ctx context.Context, tx team.Tx) error {
		if err := tx.UpdateInvitation(ctx, inv); err != nil {
			return err
		}
		return tx.InsertInvitation(ctx, again)
	}))
	got, err := s.Invitations(t.Context(), tm.ID, team.InvitationPending)
	noErr(t, "Invitations", err)
	sameList(t, "pending Invitations", got, []team.Invitation{again}, normInvitation)
}

// sortInvitations orders invitations as the contract lists them.
func sortInvitations(is []team.Invitation) {
	slices.SortFunc(is, func(a, b team.Invitation) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
}

// filterInvitations keeps the invitations with status (all when "").
func filterInvitations(is []team.Invitation, status team.InvitationStatus) []team.Invitation {
	var out []team.Invitation
	for _, inv := range is {
		if status == "" || inv.Status == status {
			out = append(out, inv)
		}
	}
	return out
}

var allStatuses = []team.InvitationStatus{"", team.InvitationPending, team.InvitationAccepted, team.InvitationDeclined, team.InvitationCancelled}

// Rule MEM-5: a team's invitations, pending ones on their own.
func testInvitationsList(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	other := newTeam(t, team.Collaboration, newID(t, "user"))
	statuses := []team.InvitationStatus{team.InvitationPending, team.InvitationAccepted, team.InvitationPending,
		team.InvitationCancelled, team.InvitationDeclined, team.InvitationPending}
	var invs []team.Invitation
	recs := []any{tm, other, newInvitation(t, other.ID, newEmail(t), team.InvitationPending)}
	for i, st := range statuses {
		inv := newInvitation(t, tm.ID, newEmail(t), st)
		inv.CreatedAt = at(10 - i/2) // pairs share a time: ties go by ID
		invs = append(invs, inv)
		recs = append(recs, inv)
	}
	seed(t, s, recs...)
	sortInvitations(invs)
	for _, st := range allStatuses {
		want := filterInvitations(invs, st)
		got, err := s.Invitations(t.Context(), tm.ID, st)
		noErr(t, "Invitations", err)
		sameIDs(t, "Invitations(status "+string(st)+")", invitationIDs(got), invitationIDs(want))
		mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
			got, err := tx.Invitations(ctx, tm.ID, st)
			noErr(t, "Tx.Invitations", err)
			sameIDs(t, "Tx.Invitations(status "+string(st)+")", invitationIDs(got), invitationIDs(want))
			return nil
		})
	}
	none, err := s.Invitations(t.Context(), newID(t, "team"), "")
	noErr(t, "Invitations of an unknown team", err)
	if len(none) != 0 {
		t.Fatalf("Invitations of an unknown team: %d, want 0", len(none))
	}
}

// Rule INV-5: a user lists their invitations by email, across teams.
func testInvitationsByEmail(t *testing.T, s team.Store) {
	email := newEmail(t)
	var invs []team.Invitation
	noise := newTeam(t, team.Collaboration, newID(t, "user"))
	recs := []any{noise, newInvitation(t, noise.ID, newEmail(t), team.InvitationPending)}
	statuses := []team.InvitationStatus{team.InvitationPending, team.InvitationDeclined, team.InvitationPending,
		team.InvitationAccepted, team.InvitationPending}
	for i, st := range statuses {
		tm := newTeam(t, team.Collaboration, newID(t, "user"))
		inv := newInvitation(t, tm.ID, email, st)
		inv.CreatedAt = at(i % 2) // several share a time: ties go by ID
		invs = append(invs, inv)
		recs = append(recs, tm, inv)
	}
	seed(t, s, recs...)
	sortInvitations(invs)
	for _, st := range allStatuses {
		want := filterInvitations(invs, st)
		got, err := s.InvitationsByEmail(t.Context(), email, st)
		noErr(t, "InvitationsByEmail", err)
		sameList(t, "InvitationsByEmail(status "+string(st)+")", got, want, normInvitation)
	}
	none, err := s.InvitationsByEmail(t.Context(), newEmail(t), "")
	noErr(t, "InvitationsByEmail of an unknown email", err)
	if len(none) != 0 {
		t.Fatalf("InvitationsByEmail of an unknown email: %d, want 0", len(none))
	}
}
