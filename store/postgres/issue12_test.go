package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store/postgres"
	"github.com/teamkit/teamkit/team"
)

// frozenClock is a settable clock for the service.
type frozenClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *frozenClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *frozenClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// i12 is a service over a fresh PostgreSQL store with a settable clock.
type i12 struct {
	t     *testing.T
	ctx   context.Context
	st    *postgres.Store
	svc   *team.Service
	clock *frozenClock
}

func newI12(t *testing.T) *i12 {
	t.Helper()
	e := &i12{t: t, ctx: context.Background(), st: newStore(t), clock: &frozenClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}}
	svc, err := team.New(e.st, team.WithClock(e.clock.Now))
	noErr(t, "team.New", err)
	e.svc = svc
	return e
}

func (e *i12) user(name string) team.User {
	e.t.Helper()
	u := team.User{ID: name, Email: name + "@example.com", Name: name}
	_, err := e.svc.EnsurePersonalTeam(e.ctx, u)
	noErr(e.t, "EnsurePersonalTeam", err)
	return u
}

func (e *i12) plan(u team.User, plan billing.Plan) {
	e.t.Helper()
	p, err := e.st.PersonalTeam(e.ctx, u.ID)
	noErr(e.t, "PersonalTeam", err)
	_, err = e.svc.ChangePlan(e.ctx, team.ChangePlanParams{ActorID: u.ID, TeamID: p.ID, Plan: plan})
	noErr(e.t, "ChangePlan", err)
}

func (e *i12) join(actor string, teamID string, u team.User, role string) team.Member {
	e.t.Helper()
	inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: actor, TeamID: teamID, Email: u.Email, Role: role})
	noErr(e.t, "Invite", err)
	m, err := e.svc.AcceptInvitation(e.ctx, u, inv.Token)
	noErr(e.t, "AcceptInvitation", err)
	return m
}

// asSuperuser runs sql on one connection with triggers off
// (session_replication_role = replica), as an attacker with database access
// would, bypassing the append-only guard of the events.
func asSuperuser(t *testing.T, st *postgres.Store, sql string, args ...any) {
	t.Helper()
	conn, err := testPool(t).Acquire(context.Background())
	noErr(t, "Acquire", err)
	defer conn.Release()
	ctx := context.Background()
	_, err = conn.Exec(ctx, "SET session_replication_role = replica")
	noErr(t, "SET session_replication_role", err)
	defer func() { _, _ = conn.Exec(ctx, "RESET session_replication_role") }()
	sql = strings.ReplaceAll(sql, "§", pgx.Identifier{st.Schema()}.Sanitize()+".")
	_, err = conn.Exec(ctx, sql, args...)
	noErr(t, sql, err)
}

// Rule AUD-4 on PostgreSQL: events removed behind the library's back, the
// newest ones or all of them (TRUNCATE), are reported by VerifyAuditChain
// from the head kept on the team record.
func TestAUD4_RemovedEventsAreDetectedOnPostgres(t *testing.T) {
	for _, c := range []struct {
		name, sql string
		missing   func(head uint64) uint64 // the first missing seq
	}{
		{"delete the newest two", "DELETE FROM §audit_events WHERE team_id = $1 AND seq > (SELECT max(seq) - 2 FROM §audit_events WHERE team_id = $1)",
			func(head uint64) uint64 { return head - 1 }},
		{"truncate", "TRUNCATE §audit_events", func(uint64) uint64 { return 1 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newI12(t)
			ana := e.user("ana")
			e.plan(ana, billing.PlanTeam)
			tm, err := e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: ana, Name: "Agency"})
			noErr(t, "CreateTeam", err)
			for i := range 3 {
				_, err := e.svc.RecordEvent(e.ctx, team.RecordEventParams{ActorID: ana.ID, TeamID: tm.ID, Action: "doc.viewed", Target: fmt.Sprint(i)})
				noErr(t, "RecordEvent", err)
			}
			noErr(t, "VerifyAuditChain before", e.svc.VerifyAuditChain(e.ctx, tm.ID))
			head, err := e.st.AuditHead(e.ctx, tm.ID)
			noErr(t, "AuditHead", err)
			if head.Seq != 4 {
				t.Fatalf("AuditHead = %+v, want seq 4", head)
			}
			if strings.Contains(c.sql, "$1") {
				asSuperuser(t, e.st, c.sql, tm.ID)
			} else {
				asSuperuser(t, e.st, c.sql)
			}
			err = e.svc.VerifyAuditChain(e.ctx, tm.ID)
			var ce *audit.ChainError
			if !errors.Is(err, team.ErrBrokenChain) || !errors.As(err, &ce) {
				t.Fatalf("VerifyAuditChain after %s = %v, want a *audit.ChainError matching ErrBrokenChain", c.name, err)
			}
			if want := c.missing(head.Seq); ce.Seq != want {
				t.Fatalf("first missing event = seq %d, want %d: %v", ce.Seq, want, err)
			}
		})
	}
}

// Rule ROLE-5 on PostgreSQL: four role changes within one microsecond,
// removal, clock +1 µs, re-invite and accept: the new epoch is above the
// old membership's last; a clock going backwards changes nothing.
func TestROLE5_EpochsGrowAcrossRejoinOnPostgres(t *testing.T) {
	e := newI12(t)
	ana, max := e.user("ana"), e.user("max")
	e.plan(ana, billing.PlanTeam)
	tm, err := e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: ana, Name: "Agency"})
	noErr(t, "CreateTeam", err)
	m := e.join(ana.ID, tm.ID, max, rbac.RoleMember)
	last := m.Epoch
	for _, role := range []string{rbac.RoleViewer, rbac.RoleMember, rbac.RoleAdmin, rbac.RoleViewer} {
		m, err := e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID, Role: role})
		noErr(t, "ChangeRole", err)
		last = m.Epoch
	}
	for _, step := range []time.Duration{time.Microsecond, -time.Hour} {
		noErr(t, "RemoveMember", e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID}))
		e.clock.Advance(step)
		again := e.join(ana.ID, tm.ID, max, rbac.RoleMember)
		if again.Epoch <= last {
			t.Fatalf("clock step %s: re-joined epoch %d is not above the old membership's last %d", step, again.Epoch, last)
		}
		last = again.Epoch
	}
}

// Rule INV-5 on PostgreSQL: accepting registers an unknown user; a transfer
// to them then works once they subscribe (OWN-5).
func TestINV5_AcceptRegistersUnknownUserOnPostgres(t *testing.T) {
	e := newI12(t)
	ana := e.user("ana")
	e.plan(ana, billing.PlanTeam)
	tm, err := e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: ana, Name: "Agency"})
	noErr(t, "CreateTeam", err)
	nia := team.User{ID: "nia", Email: "nia@example.com"}
	e.join(ana.ID, tm.ID, nia, rbac.RoleMember)
	if _, err := e.st.PersonalTeam(e.ctx, nia.ID); err != nil {
		t.Fatalf("PersonalTeam of a user registered on acceptance: %v", err)
	}
	transfer := team.TransferOwnershipParams{ActorID: ana.ID, TeamID: tm.ID, NewOwnerID: nia.ID, ConfirmNewOwnerID: nia.ID}
	if err := e.svc.TransferOwnership(e.ctx, transfer); !errors.Is(err, team.ErrSubscriptionRequired) {
		t.Fatalf("TransferOwnership to a FREE user = %v, want ErrSubscriptionRequired (OWN-5)", err)
	}
	e.plan(nia, billing.PlanTeam)
	noErr(t, "TransferOwnership", e.svc.TransferOwnership(e.ctx, transfer))
}
