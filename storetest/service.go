package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// RunService runs service-level scenarios through a team.Service on the
// stores newStore makes: concurrent invitations, ownership changes and
// charges (SEC-3 with INV-3, OWN-1, BILL-2..4), offboarding (USER-2) and
// user updates (USER-1). Each subtest is named "RULE/Behaviour" (for
// example "SEC-3/ConcurrentInvitesKeepSeatLimit") and calls newStore once,
// from that subtest. Every ID and email a scenario writes carries a random
// tag, so newStore may hand out one shared store.
//
// The subtests run one after another, not in parallel: the concurrency
// scenarios start up to 200 goroutines each and are meant to load the
// store on their own.
func RunService(t *testing.T, newStore func(t *testing.T) team.Store) {
	t.Helper()
	for _, c := range serviceCases() {
		t.Run(c.name, func(t *testing.T) { c.run(t, newStore(t)) })
	}
}

func serviceCases() []testCase {
	return []testCase{
		{"SEC-3/ConcurrentInvitesKeepSeatLimit", serviceConcurrentInvites},
		{"SEC-3/ConcurrentOwnershipChangesKeepOneOwner", serviceConcurrentOwnership},
		{"SEC-3/ConcurrentChargesKeepBalance", serviceConcurrentCharges},
		{"USER-2/Offboard", serviceOffboardUser},
		{"USER-1/UpdateUser", serviceUpdateUser},
		{"USER-1/NewEmailTakesTheSeatOfItsInvitation_INV-2", serviceUpdateUserInvited},
	}
}

// sentTokens records the invitation tokens the service sends.
type sentTokens struct {
	mu   sync.Mutex
	byID map[string]string
}

func (o *sentTokens) NotifyInvitation(_ context.Context, msg team.InvitationMessage) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.byID[msg.Invitation.ID] = msg.Token
	return nil
}

func (o *sentTokens) token(id string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.byID[id]
}

// serviceWorld is one scenario's service on one store.
type serviceWorld struct {
	t   *testing.T
	ctx context.Context
	st  team.Store
	svc *team.Service
	out *sentTokens
	tag string // random, keeps IDs and emails apart between scenarios
}

func newServiceWorld(t *testing.T, st team.Store) *serviceWorld {
	t.Helper()
	w := &serviceWorld{t: t, ctx: context.Background(), st: st, out: &sentTokens{byID: map[string]string{}}, tag: randomHex(t, 6)}
	svc, err := team.New(st, team.WithNotifier(w.out))
	noErr(t, "team.New", err)
	w.svc = svc
	return w
}

// user returns the user called name in this scenario.
func (w *serviceWorld) user(name string) team.User {
	return team.User{ID: "user-" + name + "-" + w.tag, Email: name + "-" + w.tag + "@example.com", Name: name}
}

// subscribe registers u and puts u on plan through u's personal team; on
// the TEAM plan u may own a collaboration team (TEAM-4, OWN-5).
func (w *serviceWorld) subscribe(u team.User, plan billing.Plan) {
	w.t.Helper()
	personal, err := w.svc.EnsurePersonalTeam(w.ctx, u)
	noErr(w.t, "EnsurePersonalTeam", err)
	_, err = w.svc.ChangePlan(w.ctx, team.ChangePlanParams{ActorID: u.ID, TeamID: personal.ID, Plan: plan})
	noErr(w.t, "ChangePlan", err)
}

// teamOf puts owner on the ENTERPRISE plan and creates a team.
func (w *serviceWorld) teamOf(owner team.User) team.Team {
	w.t.Helper()
	w.subscribe(owner, billing.PlanEnterprise)
	tm, err := w.svc.CreateTeam(w.ctx, team.CreateTeamParams{Owner: owner, Name: "Team of " + owner.Name})
	noErr(w.t, "CreateTeam", err)
	return tm
}

// join registers u, invites u into tm as role and accepts.
func (w *serviceWorld) join(tm team.Team, actorID string, u team.User, role string) {
	w.t.Helper()
	_, err := w.svc.EnsurePersonalTeam(w.ctx, u)
	noErr(w.t, "EnsurePersonalTeam", err)
	inv, err := w.svc.Invite(w.ctx, team.InviteParams{ActorID: actorID, TeamID: tm.ID, Email: u.Email, Role: role})
	noErr(w.t, "Invite", err)
	_, err = w.svc.AcceptInvitation(w.ctx, u, w.out.token(inv.Invitation.ID))
	noErr(w.t, "AcceptInvitation", err)
}

// Rules INV-3, SEC-3: 200 concurrent invitations into a team of 50 seats
// with its owner in one: exactly 49 are stored, the others are refused
// with ErrSeatLimit.
func serviceConcurrentInvites(t *testing.T, st team.Store) {
	w := newServiceWorld(t, st)
	ctx := w.ctx
	owner := w.user("owner")
	tm := w.teamOf(owner)
	var (
		wg             sync.WaitGroup
		mu             sync.Mutex
		stored, seated int
	)
	for i := range 200 {
		wg.Go(func() {
			_, err := w.svc.Invite(ctx, team.InviteParams{ActorID: owner.ID, TeamID: tm.ID, Email: fmt.Sprintf("invitee%d-%s@example.com", i, w.tag), Role: rbac.RoleMember})
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
	pending, err := st.Invitations(ctx, tm.ID, team.InvitationPending)
	noErr(t, "Invitations", err)
	members, err := st.Members(ctx, tm.ID)
	noErr(t, "Members", err)
	if len(pending)+len(members) != team.DefaultSeatLimit {
		t.Fatalf("%d pending + %d members, want %d seats", len(pending), len(members), team.DefaultSeatLimit)
	}
	noErr(t, "VerifyAuditChain", w.svc.VerifyAuditChain(ctx, tm.ID))
}

// Rules ROLE-1, OWN-1, MEM-2, MEM-3, SEC-3: concurrent transfers, removals
// and leaves end with exactly one owner, who is the team's OwnerID and a
// member. Every member is on the TEAM plan, so that each may take the team
// over (OWN-5).
func serviceConcurrentOwnership(t *testing.T, st team.Store) {
	w := newServiceWorld(t, st)
	ctx := w.ctx
	owner := w.user("owner")
	tm := w.teamOf(owner)
	users := []team.User{owner}
	for i := range 6 {
		u := w.user(fmt.Sprint("m", i))
		w.join(tm, owner.ID, u, rbac.RoleAdmin)
		w.subscribe(u, billing.PlanTeam)
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
					err = w.svc.TransferOwnership(ctx, team.TransferOwnershipParams{ActorID: u.ID, TeamID: tm.ID, NewOwnerID: other.ID, ConfirmNewOwnerID: other.ID})
				case 1:
					err = w.svc.Leave(ctx, u.ID, tm.ID)
				case 2:
					err = w.svc.RemoveMember(ctx, team.RemoveMemberParams{ActorID: u.ID, TeamID: tm.ID, UserID: other.ID})
				}
				if err != nil && !errors.Is(err, team.ErrPermissionDenied) && !errors.Is(err, team.ErrNotMember) &&
					!errors.Is(err, team.ErrOwnerCannotLeave) && !errors.Is(err, team.ErrInvalidInput) {
					t.Errorf("round %d, user %s: %v", round, u.ID, err)
				}
			})
		}
	}
	wg.Wait()
	got, err := st.Team(ctx, tm.ID)
	noErr(t, "Team", err)
	members, err := st.Members(ctx, tm.ID)
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
	noErr(t, "VerifyAuditChain", w.svc.VerifyAuditChain(ctx, tm.ID))
}

// Rules BILL-2, BILL-3, BILL-4, SEC-3: 64 goroutines charge one team while
// top-ups come in. The balance never goes negative and ends equal to
// top-ups minus accepted charges; the ledger holds exactly the accepted
// charges. A retried key counts once: as the charge its first successful
// call made (which is the retry's when the first try was refused).
func serviceConcurrentCharges(t *testing.T, st team.Store) {
	w := newServiceWorld(t, st)
	ctx := w.ctx
	owner := w.user("owner")
	tm := w.teamOf(owner)
	member := w.user("member")
	w.join(tm, owner.ID, member, rbac.RoleMember)
	const start = 2000
	_, err := w.svc.TopUp(ctx, team.TopUpParams{ActorID: owner.ID, TeamID: tm.ID, Amount: start})
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
					if _, err := w.svc.TopUp(ctx, team.TopUpParams{ActorID: owner.ID, TeamID: tm.ID, Amount: 50}); err != nil {
						t.Errorf("TopUp: %v", err)
					} else {
						mu.Lock()
						toppedUp += 50
						mu.Unlock()
					}
				}
				amount := 1 + rng.Int64N(30)
				key := fmt.Sprintf("g%d-%d", g, i%5) // i=5 retries key 0
				rec, err := w.svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: actor, TeamID: tm.ID, Amount: amount, IdempotencyKey: key})
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
	acct, err := st.Account(ctx, owner.ID)
	noErr(t, "Account", err)
	if acct.Balance < 0 || acct.Balance != start+toppedUp-accepted {
		t.Fatalf("balance %d, want %d + %d - %d = %d", acct.Balance, start, toppedUp, accepted, start+toppedUp-accepted)
	}
	totals, err := st.UsageTotals(ctx, tm.ID, time.Time{}, time.Time{})
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
	noErr(t, "VerifyAuditChain", w.svc.VerifyAuditChain(ctx, tm.ID))
}

// Rule USER-2: offboarding is refused while the user owns a collaboration
// team; otherwise it removes every membership, deletes the personal team,
// closes the account and removes every invitation to the email, with one
// user.offboarded event per team; a refusal by the resource check (DEL-2)
// leaves nothing changed.
func serviceOffboardUser(t *testing.T, st team.Store) {
	w := newServiceWorld(t, st)
	ctx := w.ctx
	ana, bob, cora := w.user("ana"), w.user("bob"), w.user("cora")
	acme := w.teamOf(ana)
	cteam := w.teamOf(cora)
	w.join(acme, ana.ID, bob, rbac.RoleAdmin)
	pending, err := w.svc.Invite(ctx, team.InviteParams{ActorID: cora.ID, TeamID: cteam.ID, Email: bob.Email})
	noErr(t, "Invite", err)
	personal, err := st.PersonalTeam(ctx, bob.ID)
	noErr(t, "PersonalTeam", err)

	err = w.svc.OffboardUser(ctx, ana.ID)
	var owns *team.OwnsTeamsError
	if !errors.As(err, &owns) || !errors.Is(err, team.ErrOwnsTeams) || len(owns.TeamIDs) != 1 || owns.TeamIDs[0] != acme.ID {
		t.Fatalf("OffboardUser of an owner = %v, want an *OwnsTeamsError listing %s", err, acme.ID)
	}

	// The resource check refuses and nothing changes.
	counted, err := team.New(st, team.WithResourceCounter(team.ResourceCounterFunc(func(context.Context, string) (map[string]int, error) {
		return map[string]int{"documents": 3}, nil
	})))
	noErr(t, "team.New", err)
	if err := counted.OffboardUser(ctx, bob.ID); !errors.Is(err, team.ErrResourcesRemain) {
		t.Fatalf("OffboardUser with resources left = %v, want ErrResourcesRemain", err)
	}
	if ms, err := st.MembershipsOfUser(ctx, bob.ID); err != nil || len(ms) != 2 {
		t.Fatalf("memberships after a refused offboarding = %d, %v; want 2", len(ms), err)
	}

	noErr(t, "OffboardUser", w.svc.OffboardUser(ctx, bob.ID))
	ms, err := st.MembershipsOfUser(ctx, bob.ID)
	noErr(t, "MembershipsOfUser", err)
	if len(ms) != 0 {
		t.Fatalf("memberships after offboarding: %+v", ms)
	}
	invs, err := st.InvitationsByEmail(ctx, bob.Email, "")
	noErr(t, "InvitationsByEmail", err)
	if len(invs) != 0 {
		t.Fatalf("invitations to the email after offboarding: %+v", invs)
	}
	if _, err := w.svc.InvitationByToken(ctx, pending.Token); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("preview of a removed invitation = %v, want ErrNotFound", err)
	}
	pt, err := st.Team(ctx, personal.ID)
	noErr(t, "Team", err)
	if !pt.Deleted() {
		t.Fatal("the personal team was not deleted")
	}
	acct, err := st.Account(ctx, bob.ID)
	noErr(t, "Account", err)
	if acct.Status != billing.StatusClosed {
		t.Fatalf("account status = %s, want closed", acct.Status)
	}
	for _, id := range []string{acme.ID, cteam.ID, personal.ID} {
		ev, err := st.LastAuditEvent(ctx, id)
		noErr(t, "LastAuditEvent", err)
		if ev.Action != audit.UserOffboarded || ev.ActorID != "" || ev.Details["user_id"] != bob.ID {
			t.Fatalf("last event of %s = %+v, want user.offboarded with the user ID", id, ev)
		}
		for k, v := range ev.Details {
			if v == bob.Email || v == bob.Name {
				t.Fatalf("event detail %s holds %q", k, v)
			}
		}
		noErr(t, "VerifyAuditChain", w.svc.VerifyAuditChain(ctx, id))
	}
	if _, err := w.svc.SetAccountStatus(ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: bob.ID, Status: billing.StatusActive}); !errors.Is(err, billing.ErrInvalidAccount) {
		t.Fatalf("reactivating a closed account = %v, want ErrInvalidAccount", err)
	}
}

// Rules ROLE-8, USER-1: UpdateUser changes every membership and
// Memberships shows the new values.
func serviceUpdateUser(t *testing.T, st team.Store) {
	w := newServiceWorld(t, st)
	ctx := w.ctx
	ana, bob := w.user("ana"), w.user("bob")
	acme := w.teamOf(ana)
	w.join(acme, ana.ID, bob, rbac.RoleMember)
	email, name := "robert-"+w.tag+"@example.com", "Robert"
	noErr(t, "UpdateUser", w.svc.UpdateUser(ctx, team.UpdateUserParams{UserID: bob.ID, Email: &email, Name: &name}))
	ms, err := w.svc.Memberships(ctx, bob.ID)
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

// Rules USER-1, INV-2, INV-3: when a member's email changes to one that has
// a pending invitation to a team they belong to, that invitation is
// cancelled in the same unit of work: it would hold a second seat for a
// member and could never be accepted. Invitations elsewhere are kept.
func serviceUpdateUserInvited(t *testing.T, st team.Store) {
	w := newServiceWorld(t, st)
	ctx := w.ctx
	ana, bob, cid := w.user("ana"), w.user("bob"), w.user("cid")
	acme := w.teamOf(ana)
	other := w.teamOf(cid)
	w.join(acme, ana.ID, bob, rbac.RoleMember)
	email := "robert-" + w.tag + "@example.com"
	here, err := w.svc.Invite(ctx, team.InviteParams{ActorID: ana.ID, TeamID: acme.ID, Email: email, Role: rbac.RoleViewer})
	noErr(t, "Invite in acme", err)
	there, err := w.svc.Invite(ctx, team.InviteParams{ActorID: cid.ID, TeamID: other.ID, Email: email, Role: rbac.RoleViewer})
	noErr(t, "Invite in cid's team", err)
	noErr(t, "UpdateUser", w.svc.UpdateUser(ctx, team.UpdateUserParams{UserID: bob.ID, Email: &email}))
	inv, err := st.Invitation(ctx, here.Invitation.ID)
	noErr(t, "Invitation", err)
	if inv.Status != team.InvitationCancelled {
		t.Fatalf("the invitation to bob's new email in his own team is %s; want cancelled", inv.Status)
	}
	inv, err = st.Invitation(ctx, there.Invitation.ID)
	noErr(t, "Invitation", err)
	if inv.Status != team.InvitationPending {
		t.Fatalf("the invitation in a team bob is not in is %s; want pending", inv.Status)
	}
	e, err := st.LastAuditEvent(ctx, acme.ID)
	noErr(t, "LastAuditEvent", err)
	if e.Action != audit.InvitationCancelled || e.Target != here.Invitation.ID {
		t.Fatalf("last event of acme %+v; want the cancellation", e)
	}
}
