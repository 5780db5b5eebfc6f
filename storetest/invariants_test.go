package storetest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// invWorld is a small state made through the service: team T of ana
// (owner) with bo (admin) and cy (member), a pending invitation, a top-up
// and a charge.
type invWorld struct {
	mem      *store.Memory
	teamID   string
	personal string
	scope    storetest.InvariantScope
}

func newInvWorld(t *testing.T, withLedger bool) *invWorld {
	t.Helper()
	ctx := context.Background()
	mem := store.NewMemory()
	tokens := map[string]string{}
	svc, err := team.New(mem, team.WithSeatLimit(4), team.WithNotifier(team.NotifierFunc(func(_ context.Context, m team.InvitationMessage) error {
		tokens[m.Invitation.ID] = m.Token
		return nil
	})))
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	users := map[string]team.User{}
	for _, n := range []string{"ana", "bo", "cy"} {
		users[n] = team.User{ID: n, Email: n + "@example.com"}
		_, err := svc.EnsurePersonalTeam(ctx, users[n])
		must(err)
	}
	p, err := mem.PersonalTeam(ctx, "ana")
	must(err)
	_, err = svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: "ana", TeamID: p.ID, Plan: billing.PlanTeam})
	must(err)
	tm, err := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: users["ana"], Name: "T"})
	must(err)
	for n, role := range map[string]string{"bo": rbac.RoleAdmin, "cy": rbac.RoleMember} {
		inv, err := svc.Invite(ctx, team.InviteParams{ActorID: "ana", TeamID: tm.ID, Email: users[n].Email, Role: role})
		must(err)
		_, err = svc.AcceptInvitation(ctx, users[n], tokens[inv.Invitation.ID])
		must(err)
	}
	_, err = svc.Invite(ctx, team.InviteParams{ActorID: "bo", TeamID: tm.ID, Email: "dee@example.com"})
	must(err)
	_, err = svc.TopUp(ctx, team.TopUpParams{ActorID: "bo", TeamID: tm.ID, Amount: 100})
	must(err)
	_, err = svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: "cy", TeamID: tm.ID, Amount: 30, IdempotencyKey: "k"})
	must(err)
	w := &invWorld{mem: mem, teamID: tm.ID, personal: p.ID}
	var teamIDs []string
	for _, n := range []string{"ana", "bo", "cy"} {
		ts, err := svc.TeamsOf(ctx, n)
		must(err)
		for _, x := range ts {
			teamIDs = append(teamIDs, x.ID)
		}
	}
	w.scope = storetest.InvariantScope{TeamIDs: teamIDs, UserIDs: []string{"ana", "bo", "cy"}, SeatLimit: 4}
	if withLedger {
		w.scope.Ledger = func(context.Context) (storetest.Ledger, error) {
			s := mem.Snapshot()
			return storetest.Ledger{TopUps: s.TopUps, Usage: s.Usage}, nil
		}
	}
	return w
}

func (w *invWorld) tamper(t *testing.T, fn func(ctx context.Context, tx team.Tx) error) {
	t.Helper()
	err := w.mem.InTx(context.Background(), func(ctx context.Context, tx team.Tx) error {
		// Corrupt, but under the locks the Store contract requires.
		for _, id := range []string{w.teamID, w.personal} {
			if _, err := tx.LockTeam(ctx, id); err != nil {
				return err
			}
		}
		return fn(ctx, tx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCheckInvariants: a state made by the service passes, and each kind
// of corruption written behind the service's back is reported. Rules
// SEC-3, ROLE-1, TEAM-2, INV-3, BILL-2, AUD-1, AUD-4, DEL-3.
func TestCheckInvariants(t *testing.T) {
	ctx := context.Background()
	for _, ledger := range []bool{true, false} {
		w := newInvWorld(t, ledger)
		if err := storetest.CheckInvariants(ctx, w.mem, w.scope); err != nil {
			t.Fatalf("a state made by the service (ledger %v) fails: %v", ledger, err)
		}
	}
	cases := []struct {
		name   string
		want   string
		ledger bool
		tamper func(w *invWorld) func(ctx context.Context, tx team.Tx) error
	}{
		{"second owner", "exactly one owner", true, func(w *invWorld) func(context.Context, team.Tx) error {
			return func(ctx context.Context, tx team.Tx) error {
				m, err := tx.Member(ctx, w.teamID, "bo")
				if err != nil {
					return err
				}
				m.Role = rbac.RoleOwner
				return tx.UpdateMember(ctx, m)
			}
		}},
		{"balance off by one", "balance", true, func(w *invWorld) func(context.Context, team.Tx) error {
			return func(ctx context.Context, tx team.Tx) error {
				a, err := tx.LockAccount(ctx, "ana")
				if err != nil {
					return err
				}
				a.Balance++
				return tx.UpdateAccount(ctx, a)
			}
		}},
		{"balance off by one without ledger", "balance", false, func(w *invWorld) func(context.Context, team.Tx) error {
			return func(ctx context.Context, tx team.Tx) error {
				a, err := tx.LockAccount(ctx, "ana")
				if err != nil {
					return err
				}
				a.Balance--
				return tx.UpdateAccount(ctx, a)
			}
		}},
		{"negative balance", "balance -1", true, func(w *invWorld) func(context.Context, team.Tx) error {
			return func(ctx context.Context, tx team.Tx) error {
				a, err := tx.LockAccount(ctx, "bo")
				if err != nil {
					return err
				}
				a.Balance = -1
				return tx.UpdateAccount(ctx, a)
			}
		}},
		{"member without audit event", "without an audit event", true, func(w *invWorld) func(context.Context, team.Tx) error {
			return func(ctx context.Context, tx team.Tx) error {
				return tx.InsertMember(ctx, team.Member{TeamID: w.teamID, UserID: "eve", Email: "eve@example.com", Role: rbac.RoleViewer, JoinedAt: time.Now().UTC()})
			}
		}},
		{"seats over the limit", "seats", true, func(w *invWorld) func(context.Context, team.Tx) error {
			return func(ctx context.Context, tx team.Tx) error {
				now := time.Now().UTC().Truncate(time.Microsecond)
				return tx.InsertInvitation(ctx, team.Invitation{ID: "extra", TeamID: w.teamID, Email: "fay@example.com", Role: rbac.RoleMember,
					Status: team.InvitationPending, TokenHash: "h-extra", CreatedAt: now, ExpiresAt: now.Add(time.Hour), UpdatedAt: now})
			}
		}},
		{"broken audit chain", "audit chain", true, func(w *invWorld) func(context.Context, team.Tx) error {
			return func(ctx context.Context, tx team.Tx) error {
				last, err := tx.LastAuditEvent(ctx, w.teamID)
				if err != nil {
					return err
				}
				e := audit.Seal(audit.Event{ID: "forged", TeamID: w.teamID, Time: last.Time, Action: "host.thing"}, last)
				e.Hash = strings.Repeat("0", 64)
				return tx.AppendAuditEvent(ctx, e)
			}
		}},
		{"deleted team keeps members", "deleted but keeps", true, func(w *invWorld) func(context.Context, team.Tx) error {
			return func(ctx context.Context, tx team.Tx) error {
				tm, err := tx.LockTeam(ctx, w.teamID)
				if err != nil {
					return err
				}
				tm.DeletedAt = time.Now().UTC()
				return tx.UpdateTeam(ctx, tm)
			}
		}},
		{"charge on no account", "charged to account", true, func(w *invWorld) func(context.Context, team.Tx) error {
			return func(ctx context.Context, tx team.Tx) error {
				return tx.InsertUsage(ctx, billing.UsageRecord{ID: "u-x", TeamID: w.teamID, UserID: "cy", AccountID: "nobody", Amount: 1,
					Time: time.Now().UTC().Truncate(time.Microsecond), IdempotencyKey: "k-x"})
			}
		}},
		{"personal team with a guest", "personal team", true, func(w *invWorld) func(context.Context, team.Tx) error {
			return func(ctx context.Context, tx team.Tx) error {
				return tx.InsertMember(ctx, team.Member{TeamID: w.personal, UserID: "bo", Email: "bo@example.com", Role: rbac.RoleMember, JoinedAt: time.Now().UTC()})
			}
		}},
		{"renamed without event", "audit trail says", true, func(w *invWorld) func(context.Context, team.Tx) error {
			return func(ctx context.Context, tx team.Tx) error {
				tm, err := tx.LockTeam(ctx, w.teamID)
				if err != nil {
					return err
				}
				tm.Name = "Silently renamed"
				return tx.UpdateTeam(ctx, tm)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newInvWorld(t, c.ledger)
			w.tamper(t, c.tamper(w))
			err := storetest.CheckInvariants(ctx, w.mem, w.scope)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want a violation mentioning %q, got %v", c.want, err)
			}
		})
	}
}
