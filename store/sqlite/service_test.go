package sqlite_test

import (
	"context"
	"sync"
	"testing"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/store/sqlite"
	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// tokens records the invitation tokens the service sends.
type tokens struct {
	mu   sync.Mutex
	byID map[string]string
}

func (o *tokens) NotifyInvitation(_ context.Context, msg team.InvitationMessage) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.byID[msg.Invitation.ID] = msg.Token
	return nil
}

func (o *tokens) token(id string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.byID[id]
}

type svcEnv struct {
	t   *testing.T
	st  *sqlite.Store
	svc *team.Service
	out *tokens
}

func newSvcEnv(t *testing.T, opts ...sqlite.Option) *svcEnv {
	t.Helper()
	e := &svcEnv{t: t, st: newStore(t, opts...), out: &tokens{byID: map[string]string{}}}
	svc, err := team.New(e.st, team.WithNotifier(e.out))
	noErr(t, "team.New", err)
	e.svc = svc
	return e
}

func userNamed(name string) team.User {
	return team.User{ID: "user-" + name, Email: name + "@example.com", Name: name}
}

// teamOf registers owner on the ENTERPRISE plan and creates a team.
func (e *svcEnv) teamOf(owner team.User) team.Team {
	e.t.Helper()
	personal, err := e.svc.EnsurePersonalTeam(ctx, owner)
	noErr(e.t, "EnsurePersonalTeam", err)
	_, err = e.svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: owner.ID, TeamID: personal.ID, Plan: billing.PlanEnterprise})
	noErr(e.t, "ChangePlan", err)
	tm, err := e.svc.CreateTeam(ctx, team.CreateTeamParams{Owner: owner, Name: "Team of " + owner.Name})
	noErr(e.t, "CreateTeam", err)
	return tm
}

func (e *svcEnv) join(tm team.Team, actorID string, u team.User, role string) {
	e.t.Helper()
	_, err := e.svc.EnsurePersonalTeam(ctx, u)
	noErr(e.t, "EnsurePersonalTeam", err)
	inv, err := e.svc.Invite(ctx, team.InviteParams{ActorID: actorID, TeamID: tm.ID, Email: u.Email, Role: role})
	noErr(e.t, "Invite", err)
	_, err = e.svc.AcceptInvitation(ctx, u, e.out.token(inv.Invitation.ID))
	noErr(e.t, "AcceptInvitation", err)
}

// TestService runs the service-level scenarios of storetest.RunService
// (SEC-3 with INV-3, OWN-1, BILL-2..4; USER-1; USER-2) on SQLite, one fresh
// file per scenario.
func TestService(t *testing.T) {
	storetest.RunService(t, func(t *testing.T) team.Store { return newStore(t) })
}
