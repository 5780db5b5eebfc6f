package sqlite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// Rule USER-2 on SQLite: offboarding is refused while the user owns a
// collaboration team; otherwise it removes every membership, deletes the
// personal team, closes the account and removes every invitation to the
// email, with one user.offboarded event per team; a refusal by the
// resource check (DEL-2) leaves nothing changed.
func TestOffboardUser_USER2(t *testing.T) {
	e := newSvcEnv(t)
	ana, bob, cora := userNamed("ana"), userNamed("bob"), userNamed("cora")
	acme := e.teamOf(ana)
	cteam := e.teamOf(cora)
	e.join(acme, ana.ID, bob, rbac.RoleAdmin)
	pending, err := e.svc.Invite(ctx, team.InviteParams{ActorID: cora.ID, TeamID: cteam.ID, Email: bob.Email})
	noErr(t, "Invite", err)
	personal, err := e.st.PersonalTeam(ctx, bob.ID)
	noErr(t, "PersonalTeam", err)

	err = e.svc.OffboardUser(ctx, ana.ID)
	var owns *team.OwnsTeamsError
	if !errors.As(err, &owns) || !errors.Is(err, team.ErrOwnsTeams) || len(owns.TeamIDs) != 1 || owns.TeamIDs[0] != acme.ID {
		t.Fatalf("OffboardUser of an owner = %v, want an *OwnsTeamsError listing %s", err, acme.ID)
	}

	// The resource check refuses and nothing changes.
	counted, err := team.New(e.st, team.WithResourceCounter(team.ResourceCounterFunc(func(context.Context, string) (map[string]int, error) {
		return map[string]int{"documents": 3}, nil
	})))
	noErr(t, "team.New", err)
	if err := counted.OffboardUser(ctx, bob.ID); !errors.Is(err, team.ErrResourcesRemain) {
		t.Fatalf("OffboardUser with resources left = %v, want ErrResourcesRemain", err)
	}
	if ms, err := e.st.MembershipsOfUser(ctx, bob.ID); err != nil || len(ms) != 2 {
		t.Fatalf("memberships after a refused offboarding = %d, %v; want 2", len(ms), err)
	}

	noErr(t, "OffboardUser", e.svc.OffboardUser(ctx, bob.ID))
	ms, err := e.st.MembershipsOfUser(ctx, bob.ID)
	noErr(t, "MembershipsOfUser", err)
	if len(ms) != 0 {
		t.Fatalf("memberships after offboarding: %+v", ms)
	}
	invs, err := e.st.InvitationsByEmail(ctx, bob.Email, "")
	noErr(t, "InvitationsByEmail", err)
	if len(invs) != 0 {
		t.Fatalf("invitations to the email after offboarding: %+v", invs)
	}
	if _, err := e.svc.InvitationByToken(ctx, pending.Token); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("preview of a removed invitation = %v, want ErrNotFound", err)
	}
	pt, err := e.st.Team(ctx, personal.ID)
	noErr(t, "Team", err)
	if !pt.Deleted() {
		t.Fatal("the personal team was not deleted")
	}
	acct, err := e.st.Account(ctx, bob.ID)
	noErr(t, "Account", err)
	if acct.Status != billing.StatusClosed {
		t.Fatalf("account status = %s, want closed", acct.Status)
	}
	for _, id := range []string{acme.ID, cteam.ID, personal.ID} {
		ev, err := e.st.LastAuditEvent(ctx, id)
		noErr(t, "LastAuditEvent", err)
		if ev.Action != audit.UserOffboarded || ev.ActorID != "" || ev.Details["user_id"] != bob.ID {
			t.Fatalf("last event of %s = %+v, want user.offboarded with the user ID", id, ev)
		}
		for k, v := range ev.Details {
			if v == bob.Email || v == bob.Name {
				t.Fatalf("event detail %s holds %q", k, v)
			}
		}
		noErr(t, "VerifyAuditChain", e.svc.VerifyAuditChain(ctx, id))
	}
	if _, err := e.svc.SetAccountStatus(ctx, bob.ID, billing.StatusActive); !errors.Is(err, billing.ErrInvalidAccount) {
		t.Fatalf("reactivating a closed account = %v, want ErrInvalidAccount", err)
	}
}

// Rule ROLE-8, USER-1 on SQLite: UpdateUser changes every membership
// and Memberships shows the new values.
func TestUpdateUser_USER1(t *testing.T) {
	e := newSvcEnv(t)
	ana, bob := userNamed("ana"), userNamed("bob")
	acme := e.teamOf(ana)
	e.join(acme, ana.ID, bob, rbac.RoleMember)
	email, name := "robert@example.com", "Robert"
	noErr(t, "UpdateUser", e.svc.UpdateUser(ctx, team.UpdateUserParams{UserID: bob.ID, Email: &email, Name: &name}))
	ms, err := e.svc.Memberships(ctx, bob.ID)
	noErr(t, "Memberships", err)
	if len(ms) != 2 {
		t.Fatalf("Memberships = %+v, want 2", ms)
	}
	for _, m := range ms {
		if m.Member.Email != email || m.Member.Name != name {
			t.Fatalf("membership of %s = %+v, want the new email and name", m.Team.ID, m.Member)
		}
	}
}
