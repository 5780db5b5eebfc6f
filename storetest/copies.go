package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/team"
)

func copyCases() []testCase {
	return []testCase{
		{"Copies/TeamSettings", testCopiesTeamSettings},
		{"Copies/UsageMetadata", testCopiesUsageMetadata},
		{"Copies/AuditDetails", testCopiesAuditDetails},
		{"Copies/ListElements", testCopiesLists},
	}
}

// scribble changes, adds and deletes entries of m.
func scribble(m map[string]string) {
	for k := range m {
		m[k] = "scribbled"
	}
	m["added-by-caller"] = "x"
}

// Values passed to and returned by a store are copies: changing them
// changes nothing stored.
func testCopiesTeamSettings(t *testing.T, s team.Store) {
	owner := newID(t, "user")
	tm := newTeam(t, team.Personal, owner)
	want := tm
	want.Settings = map[string]string{"color": "blue"}
	seed(t, s, tm, newMember(t, tm.ID, owner, "owner", at(0)))
	scribble(tm.Settings) // the map the store was given
	check := func(what string) {
		t.Helper()
		got, err := s.Team(t.Context(), tm.ID)
		noErr(t, "Team", err)
		same(t, what, got, want, normTeam)
	}
	check("Team after the caller changed the inserted map")

	reads := map[string]func(ctx context.Context, r team.Reader) (team.Team, error){
		"Team":         func(ctx context.Context, r team.Reader) (team.Team, error) { return r.Team(ctx, tm.ID) },
		"PersonalTeam": func(ctx context.Context, r team.Reader) (team.Team, error) { return r.PersonalTeam(ctx, owner) },
		"TeamsOfUser": func(ctx context.Context, r team.Reader) (team.Team, error) {
			ts, err := r.TeamsOfUser(ctx, owner)
			if err != nil || len(ts) != 1 {
				t.Fatalf("TeamsOfUser = %v, %v; want one team", teamIDs(ts), err)
			}
			return ts[0], nil
		},
	}
	for name, read := range reads {
		got, err := read(t.Context(), s)
		noErr(t, name, err)
		scribble(got.Settings)
		check("Team after the caller changed the map returned by " + name)
	}
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		for name, read := range reads {
			got, err := read(ctx, tx)
			noErr(t, "Tx."+name, err)
			scribble(got.Settings)
		}
		got, err := tx.LockTeam(ctx, tm.ID)
		noErr(t, "LockTeam", err)
		scribble(got.Settings)
		return nil
	})
	check("Team after the caller changed maps returned inside a unit of work")

	upd := want
	upd.Settings = map[string]string{"color": "green"}
	want = upd
	want.Settings = map[string]string{"color": "green"}
	mustTx(t, s, teamLocked(upd.ID, func(ctx context.Context, tx team.Tx) error { return tx.UpdateTeam(ctx, upd) }))
	scribble(upd.Settings)
	check("Team after the caller changed the map given to UpdateTeam")
}

func testCopiesUsageMetadata(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	r := newUsage(t, tm.ID, newID(t, "user"), 3, at(0))
	want := r
	want.Metadata = map[string]string{"resource": "agent-1"}
	seed(t, s, tm, r)
	scribble(r.Metadata)
	got, err := s.UsageByKey(t.Context(), tm.ID, r.IdempotencyKey)
	noErr(t, "UsageByKey", err)
	same(t, "UsageByKey after the caller changed the inserted map", got, want, normUsage)
	scribble(got.Metadata)
	got, err = s.UsageByKey(t.Context(), tm.ID, r.IdempotencyKey)
	noErr(t, "UsageByKey", err)
	same(t, "UsageByKey after the caller changed the returned map", got, want, normUsage)
}

// Rule AUD-4: nobody changes a stored event through a map they hold.
func testCopiesAuditDetails(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	e := newEvents(t, tm.ID, 1)[0]
	want := e
	want.Details = map[string]string{"n": "0"}
	seed(t, s, tm, e)
	scribble(e.Details)
	last, err := s.LastAuditEvent(t.Context(), tm.ID)
	noErr(t, "LastAuditEvent", err)
	same(t, "LastAuditEvent after the caller changed the appended map", last, want, normEvent)
	scribble(last.Details)
	list, err := s.AuditEvents(t.Context(), tm.ID, audit.Filter{})
	noErr(t, "AuditEvents", err)
	sameList(t, "AuditEvents after the caller changed a returned map", list, []audit.Event{want}, normEvent)
	scribble(list[0].Details)
	list, err = s.AuditEvents(t.Context(), tm.ID, audit.Filter{})
	noErr(t, "AuditEvents", err)
	sameList(t, "AuditEvents after the caller changed a listed map", list, []audit.Event{want}, normEvent)
	if err := audit.Verify(tm.ID, list); err != nil {
		t.Fatalf("audit.Verify: %v", err)
	}
}

func testCopiesLists(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	m := newMember(t, tm.ID, newID(t, "user"), "member", at(0))
	inv := newInvitation(t, tm.ID, newEmail(t), team.InvitationPending)
	seed(t, s, tm, m, inv)
	ms, err := s.Members(t.Context(), tm.ID)
	noErr(t, "Members", err)
	ms[0].Role = "owner"
	ms[0].JoinedAt = time.Time{}
	invs, err := s.Invitations(t.Context(), tm.ID, "")
	noErr(t, "Invitations", err)
	invs[0].Status = team.InvitationAccepted
	got, err := s.Member(t.Context(), tm.ID, m.UserID)
	noErr(t, "Member", err)
	same(t, "Member after the caller changed a listed member", got, m, normMember)
	gotInv, err := s.Invitation(t.Context(), inv.ID)
	noErr(t, "Invitation", err)
	same(t, "Invitation after the caller changed a listed invitation", gotInv, inv, normInvitation)
}
