package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store/postgres"
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
	st  *postgres.Store
	svc *team.Service
	out *tokens
}

func newSvcEnv(t *testing.T, opts ...postgres.Option) *svcEnv {
	t.Helper()
	e := &svcEnv{t: t, st: newStore(t, opts...), out: &tokens{byID: map[string]string{}}}
	svc, err := team.New(e.st, team.WithNotifier(e.out))
	noErr(t, "team.New", err)
	t.Cleanup(func() { _ = svc.Close() })
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

// subscribe puts u, registered, on the TEAM plan, so that u may own a
// collaboration team (TEAM-4, OWN-5).
func (e *svcEnv) subscribe(u team.User) {
	e.t.Helper()
	personal, err := e.svc.EnsurePersonalTeam(ctx, u)
	noErr(e.t, "EnsurePersonalTeam", err)
	_, err = e.svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: u.ID, TeamID: personal.ID, Plan: billing.PlanTeam})
	noErr(e.t, "ChangePlan", err)
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

// Rules INV-3, SEC-3 on PostgreSQL: 200 concurrent invitations into a team
// of 50 seats with its owner in one: exactly 49 are stored, the others are
// refused with ErrSeatLimit.
func TestServiceConcurrentInvitesKeepSeatLimit(t *testing.T) {
	e := newSvcEnv(t)
	owner := userNamed("owner")
	tm := e.teamOf(owner)
	var (
		wg             sync.WaitGroup
		mu             sync.Mutex
		stored, seated int
	)
	for i := range 200 {
		wg.Go(func() {
			_, err := e.svc.Invite(ctx, team.InviteParams{ActorID: owner.ID, TeamID: tm.ID, Email: fmt.Sprintf("invitee%d@example.com", i), Role: rbac.RoleMember})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				stored++
			case errors.Is(err, team.ErrSeatLimit):
				seated++
			default:
				t.Errorf("Invite: %v", err)
			}
		})
	}
	wg.Wait()
	if stored != team.DefaultSeatLimit-1 || seated != 200-stored {
		t.Fatalf("%d stored, %d refused for seats; want %d and %d", stored, seated, team.DefaultSeatLimit-1, 200-(team.DefaultSeatLimit-1))
	}
	pending, err := e.st.Invitations(ctx, tm.ID, team.InvitationPending)
	noErr(t, "Invitations", err)
	members, err := e.st.Members(ctx, tm.ID)
	noErr(t, "Members", err)
	if len(pending)+len(members) != team.DefaultSeatLimit {
		t.Fatalf("%d pending + %d members, want %d seats", len(pending), len(members), team.DefaultSeatLimit)
	}
	noErr(t, "VerifyAuditChain", e.svc.VerifyAuditChain(ctx, tm.ID))
}

// Rules ROLE-1, OWN-1, MEM-2, MEM-3, SEC-3 on PostgreSQL: concurrent
// transfers, removals and leaves end with exactly one owner, who is the
// team's OwnerID and a member.
func TestServiceConcurrentOwnershipChangesKeepOneOwner(t *testing.T) {
	e := newSvcEnv(t)
	owner := userNamed("owner")
	tm := e.teamOf(owner)
	users := []team.User{owner}
	for i := range 6 {
		u := userNamed(fmt.Sprint("m", i))
		e.join(tm, owner.ID, u, rbac.RoleAdmin)
		e.subscribe(u) // a new owner's plan must allow the team (OWN-5)
		users = append(users, u)
	}
	var wg sync.WaitGroup
	for round := range 4 {
		for i, u := range users {
			wg.Go(func() {
				other := users[(i+1+round)%len(users)]
				var err error
				switch (i + round) % 3 {
				case 0:
					err = e.svc.TransferOwnership(ctx, team.TransferOwnershipParams{ActorID: u.ID, TeamID: tm.ID, NewOwnerID: other.ID, ConfirmNewOwnerID: other.ID})
				case 1:
					err = e.svc.Leave(ctx, u.ID, tm.ID)
				case 2:
					err = e.svc.RemoveMember(ctx, team.RemoveMemberParams{ActorID: u.ID, TeamID: tm.ID, UserID: other.ID})
				}
				if err != nil && !errors.Is(err, team.ErrPermissionDenied) && !errors.Is(err, team.ErrNotMember) &&
					!errors.Is(err, team.ErrOwnerCannotLeave) && !errors.Is(err, team.ErrInvalidInput) {
					t.Errorf("round %d, user %s: %v", round, u.ID, err)
				}
			})
		}
	}
	wg.Wait()
	got, err := e.st.Team(ctx, tm.ID)
	noErr(t, "Team", err)
	members, err := e.st.Members(ctx, tm.ID)
	noErr(t, "Members", err)
	owners := 0
	for _, m := range members {
		if m.Role == rbac.RoleOwner {
			owners++
			if m.UserID != got.OwnerID {
				t.Fatalf("owner member %s, team OwnerID %s", m.UserID, got.OwnerID)
			}
		}
	}
	if owners != 1 {
		t.Fatalf("%d owners among %+v, want 1", owners, members)
	}
	noErr(t, "VerifyAuditChain", e.svc.VerifyAuditChain(ctx, tm.ID))
}

// Rules BILL-2, BILL-3, BILL-4, SEC-3 on PostgreSQL with group commit: 64
// goroutines charge one team while top-ups come in. The balance never goes
// negative and ends equal to top-ups minus accepted charges; the ledger
// holds exactly the accepted charges. A retried key counts once: as the
// charge its first successful call made (which is the retry's when the
// first try was refused).
func TestServiceConcurrentChargesKeepBalance(t *testing.T) {
	for _, batching := range []bool{true, false} {
		t.Run(fmt.Sprint("batching=", batching), func(t *testing.T) {
			var opts []postgres.Option
			if !batching {
				opts = append(opts, postgres.WithoutBatching())
			}
			e := newSvcEnv(t, opts...)
			owner := userNamed("owner")
			tm := e.teamOf(owner)
			member := userNamed("member")
			e.join(tm, owner.ID, member, rbac.RoleMember)
			const start = 2000
			_, err := e.svc.TopUp(ctx, team.TopUpParams{ActorID: owner.ID, TeamID: tm.ID, Amount: start})
			noErr(t, "TopUp", err)
			var (
				wg                 sync.WaitGroup
				mu                 sync.Mutex
				accepted, toppedUp int64
				records            int
			)
			for g := range 64 {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(g), 7))
					actor := []string{owner.ID, member.ID}[g%2]
					charged := map[string]bool{} // keys of this goroutine that charged
					for i := range 6 {
						if g%16 == 0 && i == 3 {
							if _, err := e.svc.TopUp(ctx, team.TopUpParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 50}); err != nil {
								t.Errorf("TopUp: %v", err)
							} else {
								mu.Lock()
								toppedUp += 50
								mu.Unlock()
							}
						}
						amount := 1 + rng.Int64N(30)
						key := fmt.Sprintf("g%d-%d", g, i%5) // i=5 retries key 0
						rec, err := e.svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: actor, TeamID: tm.ID, Amount: amount, IdempotencyKey: key})
						mu.Lock()
						switch {
						case err == nil && !charged[key]:
							// A new charge: i < 5, or the retry of key 0 when its
							// first try was refused (say, for the balance).
							charged[key] = true
							accepted += rec.Amount
							records++
						case err == nil, errors.Is(err, billing.ErrIdempotencyConflict), errors.Is(err, billing.ErrInsufficientBalance):
						default:
							t.Errorf("RecordUsage: %v", err)
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			acct, err := e.st.Account(ctx, owner.ID)
			noErr(t, "Account", err)
			if acct.Balance < 0 || acct.Balance != start+toppedUp-accepted {
				t.Fatalf("balance %d, want %d + %d - %d = %d", acct.Balance, start, toppedUp, accepted, start+toppedUp-accepted)
			}
			totals, err := e.st.UsageTotals(ctx, tm.ID, time.Time{}, time.Time{})
			noErr(t, "UsageTotals", err)
			var sum int64
			var n int
			for _, u := range totals {
				sum += u.Amount
				n += u.Records
			}
			if sum != accepted || n != records {
				t.Fatalf("ledger holds %d tokens in %d records, accepted %d in %d", sum, n, accepted, records)
			}
			noErr(t, "VerifyAuditChain", e.svc.VerifyAuditChain(ctx, tm.ID))
		})
	}
}
