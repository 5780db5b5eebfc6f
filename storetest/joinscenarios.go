package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// RunJoin checks the optional team.JoinStore contract (store cases under
// "JoinStore/") and runs the service-level scenarios of invite links, domain
// claims and join requests (LINK-1..4, JOIN-1..3) on the stores newStore
// makes, which must implement team.JoinStore; one parallel subtest per case,
// each with its own store from newStore. It includes the concurrency cases
// "100 goroutines join through one link with 10 uses left" and "approve
// while the team fills up", which log their counts.
func RunJoin(t *testing.T, newStore func(t *testing.T) team.Store) {
	t.Helper()
	for _, c := range append(joinCases(), joinScenarios()...) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := newStore(t)
			if _, ok := st.(team.JoinStore); !ok {
				t.Fatalf("store %T does not implement team.JoinStore", st)
			}
			c.run(t, st)
		})
	}
}

// joinClock is a settable clock, safe for concurrent use.
type joinClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *joinClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *joinClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeDNS serves TXT records from a map, for DNSVerifier.
type fakeDNS struct {
	mu      sync.Mutex
	records map[string][]string
}

func (d *fakeDNS) lookup(_ context.Context, name string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r, ok := d.records[name]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("no such host %s", name)
}

func (d *fakeDNS) publish(c team.DomainClaim) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.records[c.TXTRecordName()] = append(d.records[c.TXTRecordName()], c.TXTRecordValue())
}

// joinWorld is one scenario's service: a team owned by ana, with bob
// (admin), carl (member) and vic (viewer).
type joinWorld struct {
	t     *testing.T
	ctx   context.Context
	st    team.Store
	jr    team.JoinReader
	svc   *team.Service
	clock *joinClock
	dns   *fakeDNS
	tag   string // random, keeps IDs, emails and domains apart between scenarios
	tm    team.Team

	ana, bob, carl, vic team.User
	domain              string
	plans               billing.Plans // the service's, when a scenario sets them
}

func newJoinWorld(t *testing.T, st team.Store, opts ...team.Option) *joinWorld {
	t.Helper()
	w := &joinWorld{t: t, ctx: context.Background(), st: st, jr: st.(team.JoinReader),
		clock: &joinClock{now: base}, dns: &fakeDNS{records: map[string][]string{}}, tag: randomHex(t, 6)}
	all := append([]team.Option{
		team.WithClock(w.clock.Now),
		team.WithEntitlement(func(context.Context, billing.Account, int) error { return nil }),
		team.WithDomainVerifier(&team.DNSVerifier{LookupTXT: w.dns.lookup}),
	}, opts...)
	svc, err := team.New(st, all...)
	if err != nil {
		t.Fatalf("team.New: %v", err)
	}
	w.svc = svc
	w.domain = "corp-" + w.tag + ".test"
	w.ana, w.bob, w.carl, w.vic = w.user("ana"), w.user("bob"), w.user("carl"), w.user("vic")
	_, err = svc.EnsurePersonalTeam(w.ctx, w.ana)
	w.must("EnsurePersonalTeam", err)
	w.tm, err = svc.CreateTeam(w.ctx, team.CreateTeamParams{Owner: w.ana, Name: "Team " + w.tag})
	w.must("CreateTeam", err)
	w.invite(w.bob, rbac.RoleAdmin)
	w.invite(w.carl, rbac.RoleMember)
	w.invite(w.vic, rbac.RoleViewer)
	t.Cleanup(w.checkInvariants)
	return w
}

// checkInvariants runs CheckInvariants, once the scenario is over, on its
// team and the teams of the users who end up in it: their audit trails
// must tell the joins through links, domains and requests (AUD-1) and no
// link may be used beyond its limit (LINK-4). Seats are the scenarios' own
// business (their seat limits differ), so the check's is left high.
func (w *joinWorld) checkInvariants() {
	if w.t.Failed() {
		return
	}
	users := []string{w.ana.ID, w.bob.ID, w.carl.ID, w.vic.ID}
	if ms, err := w.st.Members(w.ctx, w.tm.ID); err == nil {
		for _, m := range ms {
			users = append(users, m.UserID)
		}
	}
	teams := []string{w.tm.ID}
	for _, u := range users {
		if ts, err := w.st.TeamsOfUser(w.ctx, u); err == nil {
			for _, t := range ts {
				teams = append(teams, t.ID)
			}
		}
	}
	scope := InvariantScope{TeamIDs: teams, UserIDs: users, SeatLimit: 1 << 20, Plans: w.plans}
	if err := CheckInvariants(w.ctx, w.st, scope); err != nil {
		w.t.Errorf("invariants broken after the scenario:\n%v", err)
	}
}

// user returns a user whose email is at another domain than w.domain.
func (w *joinWorld) user(name string) team.User {
	return team.User{ID: "user-" + name + "-" + w.tag, Email: name + "-" + w.tag + "@elsewhere.test", Name: name}
}

// domainUser returns a user whose email is at w.domain.
func (w *joinWorld) domainUser(name string) team.User {
	return team.User{ID: "user-" + name + "-" + w.tag, Email: name + "@" + w.domain, Name: name}
}

func (w *joinWorld) invite(u team.User, role string) {
	w.t.Helper()
	_, err := w.svc.EnsurePersonalTeam(w.ctx, u)
	w.must("EnsurePersonalTeam", err)
	res, err := w.svc.Invite(w.ctx, team.InviteParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Email: u.Email, Role: role})
	w.must("Invite", err)
	_, err = w.svc.AcceptInvitation(w.ctx, u, res.Token)
	w.must("AcceptInvitation", err)
}

func (w *joinWorld) must(what string, err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("%s: %v", what, err)
	}
}

func (w *joinWorld) refused(what string, err, want error) {
	w.t.Helper()
	if !errors.Is(err, want) {
		w.t.Fatalf("%s: got %v, want an error matching %v", what, err, want)
	}
	if err.Error() == want.Error() {
		w.t.Errorf("%s: the error says no more than its sentinel: %v", what, err)
	}
}

func (w *joinWorld) link(actor team.User, role string, maxUses int, expires time.Time) team.InviteLinkResult {
	w.t.Helper()
	res, err := w.svc.CreateInviteLink(w.ctx, team.CreateInviteLinkParams{ActorID: actor.ID, TeamID: w.tm.ID, Role: role, MaxUses: maxUses, ExpiresAt: expires})
	w.must("CreateInviteLink", err)
	return res
}

func (w *joinWorld) members() int {
	w.t.Helper()
	ms, err := w.st.Members(w.ctx, w.tm.ID)
	w.must("Members", err)
	return len(ms)
}

func (w *joinWorld) lastEvent(teamID string) audit.Event {
	w.t.Helper()
	e, err := w.st.LastAuditEvent(w.ctx, teamID)
	w.must("LastAuditEvent", err)
	return e
}

// verifiedClaim claims w.domain for w.tm, publishes and verifies it, and
// sets policy (with role for JoinAutomatic).
func (w *joinWorld) verifiedClaim(policy team.JoinPolicy, role string) team.DomainClaim {
	w.t.Helper()
	c, err := w.svc.ClaimDomain(w.ctx, team.ClaimDomainParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Domain: w.domain})
	w.must("ClaimDomain", err)
	w.dns.publish(c)
	_, err = w.svc.VerifyDomain(w.ctx, team.VerifyDomainParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Domain: w.domain})
	w.must("VerifyDomain", err)
	c, err = w.svc.SetJoinPolicy(w.ctx, team.SetJoinPolicyParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Domain: w.domain, Policy: policy, DefaultRole: role})
	w.must("SetJoinPolicy", err)
	return c
}

func joinScenarios() []testCase {
	return []testCase{
		{"LINK-1/CreateWithRoleCeilingAndHashedToken", linkCreate},
		{"LINK-2/JoinRegistersAuditsAndSpendsOneUse", linkJoin},
		{"LINK-2/SeatsApply", linkSeats},
		{"LINK-3/ListRevokeAndEachState", linkStates},
		{"LINK-3/CreatorAuthority_INV-8", linkAuthority},
		{"LINK-4/HundredJoinersTenUses", linkConcurrentUses},
		{"LINK-4/ConcurrentJoinsKeepSeats", linkConcurrentSeats},
		{"JOIN-1/ClaimVerifyAndOneTeamPerDomain", domainClaims},
		{"JOIN-2/AutomaticRequestAndOff", domainPolicies},
		{"JOIN-3/ListApproveReject", joinRequests},
		{"JOIN-3/ApproveWhileTeamFillsUp", joinApproveRace},
		{"JOIN-1/DeletedTeamReleasesItsDomains", domainReleasedOnDelete},
		{"USER-2/OffboardingClosesJoinRequests", offboardJoinRequests},
		{"JOIN-2/AutomaticPolicyCarriesItsSettersAuthority_INV-8", domainPolicyAuthority},
		{"LINK-2/JoinTakesTheSeatOfTheJoinersInvitation_INV-3", linkJoinClosesInvitation},
		{"LINK-2/SeatsFollowTheOwnersPlan_BILL-7", linkSeatsFollowPlan},
		{"JOIN-3/JoiningAnotherWayClosesThePendingRequest", joinClosesRequest},
	}
}

// Rule JOIN-3: a user whose join request is pending and who then joins
// another way (an invitation, a link) has the request closed in the same
// unit of work (rejected by SystemActor, reason "joined"), so no admin is
// asked to admit a member.
func joinClosesRequest(t *testing.T, st team.Store) {
	w := newJoinWorld(t, st)
	w.verifiedClaim(team.JoinByRequest, "")
	for _, how := range []string{"invitation", "link"} {
		u := w.domainUser("asker-" + how)
		r, err := w.svc.RequestToJoin(w.ctx, u, w.tm.ID)
		w.must("RequestToJoin", err)
		if how == "invitation" {
			res, err := w.svc.Invite(w.ctx, team.InviteParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Email: u.Email, Role: rbac.RoleViewer})
			w.must("Invite", err)
			_, err = w.svc.AcceptInvitation(w.ctx, u, res.Token)
			w.must("AcceptInvitation", err)
		} else {
			_, err = w.svc.JoinByLink(w.ctx, u, w.link(w.ana, rbac.RoleViewer, 1, time.Time{}).Token)
			w.must("JoinByLink", err)
		}
		got, err := w.jr.JoinRequest(w.ctx, r.ID)
		w.must("JoinRequest", err)
		if got.Status != team.JoinRequestRejected || got.DecidedBy != team.SystemActor {
			t.Fatalf("after joining by %s the request is %+v; want rejected by the system", how, got)
		}
	}
	list, err := w.svc.JoinRequests(w.ctx, w.ana.ID, w.tm.ID)
	w.must("JoinRequests", err)
	if len(list) != 0 {
		t.Fatalf("members' requests still pending: %+v", list)
	}
}

// Rule LINK-2 (with INV-2, INV-3): a user who joins through a link while an
// invitation to their email is pending takes that invitation's seat: the
// join fits in a team whose seats the invitation fills, and the invitation
// is closed (cancelled, audited) rather than left holding a second seat.
func linkJoinClosesInvitation(t *testing.T, st team.Store) {
	w := newJoinWorld(t, st, team.WithSeatLimit(5)) // ana, bob, carl, vic + dan's invitation
	dan := w.user("dan")
	res, err := w.svc.Invite(w.ctx, team.InviteParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Email: dan.Email, Role: rbac.RoleViewer})
	w.must("Invite", err)
	l := w.link(w.ana, rbac.RoleMember, 0, time.Time{})
	m, err := w.svc.JoinByLink(w.ctx, dan, l.Token)
	w.must("dan joins through the link, in his invitation's seat", err)
	if m.Role != rbac.RoleMember {
		t.Fatalf("joined as %q, want the link's member", m.Role)
	}
	inv, err := w.st.Invitation(w.ctx, res.Invitation.ID)
	w.must("Invitation", err)
	if inv.Status != team.InvitationCancelled {
		t.Fatalf("dan's invitation is %s after he joined; want cancelled", inv.Status)
	}
	if _, err := w.svc.AcceptInvitation(w.ctx, dan, res.Token); !errors.Is(err, team.ErrInvitationCancelled) {
		t.Fatalf("accepting the closed invitation: %v, want ErrInvitationCancelled", err)
	}
	_, err = w.svc.JoinByLink(w.ctx, w.user("eve"), l.Token)
	w.refused("a sixth member", err, team.ErrSeatLimit)
}

// Rule LINK-2 with BILL-7: joins through a link count the seats of the
// owner's plan, not only the service default.
func linkSeatsFollowPlan(t *testing.T, st team.Store) {
	plans, err := billing.NewPlans(billing.PlanSpec{Name: billing.PlanFree, TeamLimit: 5}, billing.PlanSpec{Name: "SMALL", TeamLimit: 5, SeatLimit: 5})
	if err != nil {
		t.Fatal(err)
	}
	w := newJoinWorld(t, st, team.WithPlans(plans), team.WithSeatLimit(50))
	w.plans = plans
	_, err = w.svc.ChangePlan(w.ctx, team.ChangePlanParams{ActorID: team.SystemActor, AccountUserID: w.ana.ID, Plan: "SMALL"})
	w.must("ChangePlan", err)
	l := w.link(w.ana, rbac.RoleMember, 0, time.Time{})
	_, err = w.svc.JoinByLink(w.ctx, w.user("dan"), l.Token)
	w.must("the fifth member", err)
	_, err = w.svc.JoinByLink(w.ctx, w.user("eve"), l.Token)
	w.refused("a sixth member on a 5-seat plan", err, team.ErrSeatLimit)
}

// Rule JOIN-2 (with INV-8 and ROLE-7): an automatic join policy carries the
// authority of the member who set it. Once they are demoted below what the
// policy grants, or removed, automatic joins are refused and nothing
// changes, until a member who holds the authority sets the policy again.
func domainPolicyAuthority(t *testing.T, st team.Store) {
	w := newJoinWorld(t, st)
	w.verifiedClaim(team.JoinOff, "")
	_, err := w.svc.SetJoinPolicy(w.ctx, team.SetJoinPolicyParams{ActorID: w.bob.ID, TeamID: w.tm.ID, Domain: w.domain, Policy: team.JoinAutomatic, DefaultRole: rbac.RoleAdmin})
	w.must("bob sets automatic admin", err)
	_, err = w.svc.ChangeRole(w.ctx, team.ChangeRoleParams{ActorID: w.ana.ID, TeamID: w.tm.ID, UserID: w.bob.ID, Role: rbac.RoleViewer})
	w.must("ana demotes bob", err)
	before := w.members()
	_, err = w.svc.JoinByDomain(w.ctx, w.domainUser("d1"), w.tm.ID)
	w.refused("join under a demoted setter's policy", err, team.ErrJoinNotAllowed)
	open, err := w.svc.OpenTeams(w.ctx, w.domainUser("d1"))
	w.must("OpenTeams", err)
	if len(open) != 0 {
		t.Fatalf("OpenTeams offers %+v, which JoinByDomain refuses", open)
	}
	if w.members() != before {
		t.Fatalf("a refused join changed the members: %d, want %d", w.members(), before)
	}
	_, err = w.svc.SetJoinPolicy(w.ctx, team.SetJoinPolicyParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Domain: w.domain, Policy: team.JoinAutomatic, DefaultRole: rbac.RoleMember})
	w.must("ana sets the policy again", err)
	m, err := w.svc.JoinByDomain(w.ctx, w.domainUser("d1"), w.tm.ID)
	w.must("join under ana's policy", err)
	if m.Role != rbac.RoleMember {
		t.Fatalf("joined as %q, want member", m.Role)
	}
	// The setter removed: refused too.
	_, err = w.svc.ChangeRole(w.ctx, team.ChangeRoleParams{ActorID: w.ana.ID, TeamID: w.tm.ID, UserID: w.bob.ID, Role: rbac.RoleAdmin})
	w.must("ana promotes bob again", err)
	_, err = w.svc.SetJoinPolicy(w.ctx, team.SetJoinPolicyParams{ActorID: w.bob.ID, TeamID: w.tm.ID, Domain: w.domain, Policy: team.JoinAutomatic, DefaultRole: rbac.RoleViewer})
	w.must("bob sets automatic viewer", err)
	w.must("ana removes bob", w.svc.RemoveMember(w.ctx, team.RemoveMemberParams{ActorID: w.ana.ID, TeamID: w.tm.ID, UserID: w.bob.ID}))
	_, err = w.svc.JoinByDomain(w.ctx, w.domainUser("d2"), w.tm.ID)
	w.refused("join under a removed setter's policy", err, team.ErrJoinNotAllowed)
}

// Rule JOIN-1 (with DEL-1, JOIN-3): deleting a team releases its domain
// claims in the same unit of work, so another team can claim and verify
// the domain, and closes its pending join requests, which keep no email,
// as its pending invitations are removed.
func domainReleasedOnDelete(t *testing.T, st team.Store) {
	w := newJoinWorld(t, st)
	w.verifiedClaim(team.JoinByRequest, "")
	asked, err := w.svc.RequestToJoin(w.ctx, w.domainUser("asker"), w.tm.ID)
	w.must("RequestToJoin", err)
	w.must("DeleteTeam", w.svc.DeleteTeam(w.ctx, w.ana.ID, w.tm.ID))
	if _, err := w.jr.VerifiedDomainClaim(w.ctx, w.domain); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("after DeleteTeam the deleted team still holds %s: %v", w.domain, err)
	}
	claims, err := w.jr.DomainClaims(w.ctx, w.tm.ID)
	w.must("DomainClaims", err)
	if len(claims) != 0 {
		t.Fatalf("the deleted team keeps claims %+v", claims)
	}
	if e := w.lastEvent(w.tm.ID); e.Action != audit.TeamDeleted || e.Details["domains_released"] != w.domain || e.Details["join_requests_closed"] != "1" {
		t.Fatalf("team.deleted event %+v does not name the released domain and the closed request", e)
	}
	got, err := w.jr.JoinRequest(w.ctx, asked.ID)
	w.must("JoinRequest", err)
	if got.Status != team.JoinRequestRejected || got.Email != "" || got.Name != "" {
		t.Fatalf("a deleted team's pending request is %+v; want rejected, without email and name", got)
	}
	next, err := w.svc.CreateTeam(w.ctx, team.CreateTeamParams{Owner: w.bob, Name: "Next " + w.tag})
	w.must("CreateTeam", err)
	c, err := w.svc.ClaimDomain(w.ctx, team.ClaimDomainParams{ActorID: w.bob.ID, TeamID: next.ID, Domain: w.domain})
	w.must("another team claims the released domain", err)
	w.dns.publish(c)
	_, err = w.svc.VerifyDomain(w.ctx, team.VerifyDomainParams{ActorID: w.bob.ID, TeamID: next.ID, Domain: w.domain})
	w.must("another team verifies the released domain", err)
}

// Rule USER-2 (with JOIN-3): offboarding a user closes their join
// requests in the same unit of work: none stays pending, none keeps the
// user's email or name, and each team's user.offboarded event says so.
func offboardJoinRequests(t *testing.T, st team.Store) {
	w := newJoinWorld(t, st)
	w.verifiedClaim(team.JoinByRequest, "")
	dora := w.domainUser("dora")
	_, err := w.svc.EnsurePersonalTeam(w.ctx, dora)
	w.must("EnsurePersonalTeam", err)
	r, err := w.svc.RequestToJoin(w.ctx, dora, w.tm.ID)
	w.must("RequestToJoin", err)
	w.must("OffboardUser", w.svc.OffboardUser(w.ctx, dora.ID))
	list, err := w.svc.JoinRequests(w.ctx, w.ana.ID, w.tm.ID)
	w.must("JoinRequests", err)
	if len(list) != 0 {
		t.Fatalf("an offboarded user's request is still pending: %+v", list)
	}
	got, err := w.jr.JoinRequest(w.ctx, r.ID)
	w.must("JoinRequest", err)
	if got.Status != team.JoinRequestRejected || got.Email != "" || got.Name != "" {
		t.Fatalf("the offboarded user's request is %+v; want rejected, without email and name", got)
	}
	_, err = w.svc.ApproveJoinRequest(w.ctx, team.ApproveJoinRequestParams{ActorID: w.ana.ID, TeamID: w.tm.ID, RequestID: r.ID, Role: rbac.RoleMember})
	w.refused("approve an offboarded user's request", err, team.ErrJoinRequestClosed)
	if e := w.lastEvent(w.tm.ID); e.Action != audit.UserOffboarded || e.Target != dora.ID || e.Details["join_request"] != r.ID {
		t.Fatalf("last event of the team %+v; want user.offboarded naming the request", e)
	}
	// An offboarded user cannot file a new one (nor be registered again).
	_, err = w.svc.RequestToJoin(w.ctx, dora, w.tm.ID)
	w.refused("an offboarded user asks to join", err, billing.ErrInvalidAccount)
	list, err = w.svc.JoinRequests(w.ctx, w.ana.ID, w.tm.ID)
	w.must("JoinRequests", err)
	if len(list) != 0 {
		t.Fatalf("an offboarded user filed %+v", list)
	}
}

// Rule LINK-1: invite links need the invite permission, obey the ROLE-7
// ceiling and store only the token's hash (INV-4).
func linkCreate(t *testing.T, st team.Store) {
	w := newJoinWorld(t, st)
	res := w.link(w.bob, rbac.RoleMember, 5, base.Add(time.Hour))
	if len(res.Token) < 22 { // 128 bits in base64
		t.Fatalf("token %q is shorter than 128 random bits", res.Token)
	}
	sum := sha256.Sum256([]byte(res.Token))
	if res.Link.TokenHash != hex.EncodeToString(sum[:]) || res.Link.TokenHash == res.Token {
		t.Fatalf("stored hash %q is not the SHA-256 of the token", res.Link.TokenHash)
	}
	got, err := w.jr.InviteLink(w.ctx, res.Link.ID)
	w.must("InviteLink", err)
	if got != res.Link {
		t.Fatalf("stored link %+v, returned %+v", got, res.Link)
	}
	if e := w.lastEvent(w.tm.ID); e.Action != audit.InviteLinkCreated || e.Target != res.Link.ID || e.ActorID != w.bob.ID {
		t.Fatalf("last event %+v, want InviteLinkCreated of the link by bob", e)
	}
	_, err = w.svc.CreateInviteLink(w.ctx, team.CreateInviteLinkParams{ActorID: w.bob.ID, TeamID: w.tm.ID, Role: rbac.RoleOwner})
	w.refused("admin links to owner", err, team.ErrPermissionDenied)
	_, err = w.svc.CreateInviteLink(w.ctx, team.CreateInviteLinkParams{ActorID: w.vic.ID, TeamID: w.tm.ID, Role: rbac.RoleViewer})
	w.refused("viewer creates a link", err, team.ErrPermissionDenied)
	_, err = w.svc.CreateInviteLink(w.ctx, team.CreateInviteLinkParams{ActorID: w.ana.ID, TeamID: w.tm.ID, MaxUses: -1})
	w.refused("negative use limit", err, team.ErrInvalidInput)
	_, err = w.svc.CreateInviteLink(w.ctx, team.CreateInviteLinkParams{ActorID: w.ana.ID, TeamID: w.tm.ID, ExpiresAt: base.Add(-time.Second)})
	w.refused("expiry in the past", err, team.ErrInvalidInput)
	p, err := w.st.PersonalTeam(w.ctx, w.ana.ID)
	w.must("PersonalTeam", err)
	_, err = w.svc.CreateInviteLink(w.ctx, team.CreateInviteLinkParams{ActorID: w.ana.ID, TeamID: p.ID})
	w.refused("link to a personal team", err, team.ErrPersonalTeam)
	links, err := w.jr.InviteLinks(w.ctx, w.tm.ID)
	w.must("InviteLinks", err)
	if len(links) != 1 {
		t.Fatalf("%d links stored, want 1 (refusals store nothing)", len(links))
	}
}

// Rule LINK-2: a new user joins with the link's role, registered (INV-5:
// personal team and FREE account), audited with the link's ID; a member
// is told so and spends no use.
func linkJoin(t *testing.T, st team.Store) {
	w := newJoinWorld(t, st)
	res := w.link(w.bob, rbac.RoleMember, 2, time.Time{})
	newbie := w.user("newbie")
	m, err := w.svc.JoinByLink(w.ctx, newbie, res.Token)
	w.must("JoinByLink", err)
	if m.Role != rbac.RoleMember || m.UserID != newbie.ID || m.TeamID != w.tm.ID {
		t.Fatalf("membership %+v", m)
	}
	p, err := w.st.PersonalTeam(w.ctx, newbie.ID)
	w.must("the new user's personal team (INV-5)", err)
	if p.Kind != team.Personal {
		t.Fatalf("personal team %+v", p)
	}
	a, err := w.st.Account(w.ctx, newbie.ID)
	w.must("the new user's account (INV-5)", err)
	if a.Plan != billing.PlanFree {
		t.Fatalf("account %+v, want FREE", a)
	}
	e := w.lastEvent(w.tm.ID)
	if e.Action != audit.InviteLinkJoined || e.Target != res.Link.ID || e.ActorID != newbie.ID || e.Details["link_id"] != res.Link.ID {
		t.Fatalf("last event %+v, want InviteLinkJoined with the link's ID", e)
	}
	_, err = w.svc.JoinByLink(w.ctx, newbie, res.Token)
	w.refused("member joins again", err, team.ErrAlreadyMember)
	_, err = w.svc.JoinByLink(w.ctx, w.carl, res.Token)
	w.refused("existing member", err, team.ErrAlreadyMember)
	l, err := w.jr.InviteLink(w.ctx, res.Link.ID)
	w.must("InviteLink", err)
	if l.Uses != 1 {
		t.Fatalf("uses %d after one join and two refused members, want 1", l.Uses)
	}
	_, err = w.svc.JoinByLink(w.ctx, w.user("other"), "not-a-token")
	w.refused("unknown token", err, team.ErrNotFound)
}

// Rule LINK-2: seats apply to link joins (INV-3).
func linkSeats(t *testing.T, st team.Store) {
	w := newJoinWorld(t, st, team.WithSeatLimit(5))
	res := w.link(w.ana, rbac.RoleMember, 0, time.Time{})
	_, err := w.svc.JoinByLink(w.ctx, w.user("fifth"), res.Token)
	w.must("fifth seat", err)
	_, err = w.svc.JoinByLink(w.ctx, w.user("sixth"), res.Token)
	w.refused("sixth seat", err, team.ErrSeatLimit)
	var sl *team.SeatLimitError
	if !errors.As(err, &sl) || sl.Limit != 5 || sl.Used != 5 {
		t.Fatalf("seat error %#v", err)
	}
	if _, err := w.st.PersonalTeam(w.ctx, w.user("sixth").ID); !errors.Is(err, team.ErrNotFound) {
		t.Fatalf("a refused join registered the user: %v", err)
	}
}

// Rule LINK-3: links are listed and revoked by members with the invite
// permission; revoked, expired and used-up links each fail with their
// own error.
func linkStates(t *testing.T, st team.Store) {
	w := newJoinWorld(t, st)
	revoked := w.link(w.ana, rbac.RoleMember, 0, time.Time{})
	expiring := w.link(w.ana, rbac.RoleMember, 0, base.Add(time.Hour))
	single := w.link(w.ana, rbac.RoleViewer, 1, time.Time{})
	links, err := w.svc.InviteLinks(w.ctx, w.bob.ID, w.tm.ID)
	w.must("InviteLinks", err)
	if len(links) != 3 {
		t.Fatalf("links %+v", links)
	}
	_, err = w.svc.InviteLinks(w.ctx, w.vic.ID, w.tm.ID)
	w.refused("viewer lists links", err, team.ErrPermissionDenied)
	err = w.svc.RevokeInviteLink(w.ctx, team.RevokeInviteLinkParams{ActorID: w.vic.ID, TeamID: w.tm.ID, LinkID: revoked.Link.ID})
	w.refused("viewer revokes", err, team.ErrPermissionDenied)
	w.must("RevokeInviteLink", w.svc.RevokeInviteLink(w.ctx, team.RevokeInviteLinkParams{ActorID: w.bob.ID, TeamID: w.tm.ID, LinkID: revoked.Link.ID}))
	if e := w.lastEvent(w.tm.ID); e.Action != audit.InviteLinkRevoked || e.Target != revoked.Link.ID {
		t.Fatalf("last event %+v", e)
	}
	err = w.svc.RevokeInviteLink(w.ctx, team.RevokeInviteLinkParams{ActorID: w.bob.ID, TeamID: w.tm.ID, LinkID: revoked.Link.ID})
	w.refused("revoke twice", err, team.ErrLinkRevoked)
	_, err = w.svc.JoinByLink(w.ctx, w.user("r"), revoked.Token)
	w.refused("revoked link", err, team.ErrLinkRevoked)

	_, err = w.svc.JoinByLink(w.ctx, w.user("s1"), single.Token)
	w.must("single use", err)
	_, err = w.svc.JoinByLink(w.ctx, w.user("s2"), single.Token)
	w.refused("used-up link", err, team.ErrLinkUsedUp)

	_, err = w.svc.JoinByLink(w.ctx, w.user("e1"), expiring.Token)
	w.must("before expiry", err)
	w.clock.advance(time.Hour)
	_, err = w.svc.JoinByLink(w.ctx, w.user("e2"), expiring.Token)
	w.refused("expired link", err, team.ErrLinkExpired)
	links, err = w.svc.InviteLinks(w.ctx, w.ana.ID, w.tm.ID)
	w.must("InviteLinks", err)
	now := w.clock.Now()
	want := map[string]team.LinkState{revoked.Link.ID: team.LinkRevoked, expiring.Link.ID: team.LinkExpired, single.Link.ID: team.LinkUsedUp}
	for _, l := range links {
		if l.State(now) != want[l.ID] {
			t.Errorf("link %s state %s, want %s", l.ID, l.State(now), want[l.ID])
		}
	}
}

// Rule LINK-3 (INV-8): a link carries its creator's authority: joining
// fails once the creator left or lost the role that could create it.
func linkAuthority(t *testing.T, st team.Store) {
	w := newJoinWorld(t, st)
	byBob := w.link(w.bob, rbac.RoleAdmin, 0, time.Time{})
	byCarl := w.link(w.ana, rbac.RoleMember, 0, time.Time{})
	_, err := w.svc.ChangeRole(w.ctx, team.ChangeRoleParams{ActorID: w.ana.ID, TeamID: w.tm.ID, UserID: w.bob.ID, Role: rbac.RoleViewer})
	w.must("demote bob", err)
	before := w.members()
	_, err = w.svc.JoinByLink(w.ctx, w.user("x"), byBob.Token)
	w.refused("demoted creator", err, team.ErrLinkAuthorityLost)
	_, err = w.svc.ChangeRole(w.ctx, team.ChangeRoleParams{ActorID: w.ana.ID, TeamID: w.tm.ID, UserID: w.bob.ID, Role: rbac.RoleAdmin})
	w.must("promote bob again", err)
	_, err = w.svc.JoinByLink(w.ctx, w.user("y"), byBob.Token)
	w.must("creator holds the authority again", err)
	w.must("remove bob", w.svc.RemoveMember(w.ctx, team.RemoveMemberParams{ActorID: w.ana.ID, TeamID: w.tm.ID, UserID: w.bob.ID}))
	_, err = w.svc.JoinByLink(w.ctx, w.user("z"), byBob.Token)
	w.refused("removed creator", err, team.ErrLinkAuthorityLost)
	_, err = w.svc.JoinByLink(w.ctx, w.user("z"), byCarl.Token)
	w.must("the owner's link still works", err)
	if got := w.members(); got != before+1 {
		t.Fatalf("members %d, want %d (two joined, bob removed)", got, before+1)
	}
}

// Rule LINK-4: 100 concurrent joins through one link with 10 uses left
// make exactly 10 members; the rest get ErrLinkUsedUp.
func linkConcurrentUses(t *testing.T, st team.Store) {
	w := newJoinWorld(t, st)
	res := w.link(w.ana, rbac.RoleMember, 10, time.Time{})
	before := w.members()
	joined, usedUp, other := concurrentJoins(w, 100, func(i int) error {
		_, err := w.svc.JoinByLink(w.ctx, w.user(fmt.Sprintf("j%03d", i)), res.Token)
		return err
	}, team.ErrLinkUsedUp)
	l, err := w.jr.InviteLink(w.ctx, res.Link.ID)
	w.must("InviteLink", err)
	t.Logf("LINK-4: 100 joiners, 10 uses: %d joined, %d used up, %d other; link uses %d; members %d -> %d",
		joined, usedUp, other, l.Uses, before, w.members())
	if joined != 10 || usedUp != 90 || other != 0 || l.Uses != 10 || w.members() != before+10 {
		t.Fatalf("want exactly 10 joins, 90 used up, uses 10")
	}
}

// Rule LINK-4: concurrent joins never exceed the team's seats.
func linkConcurrentSeats(t *testing.T, st team.Store) {
	w := newJoinWorld(t, st, team.WithSeatLimit(12))
	res := w.link(w.ana, rbac.RoleMember, 0, time.Time{})
	joined, full, other := concurrentJoins(w, 40, func(i int) error {
		_, err := w.svc.JoinByLink(w.ctx, w.user(fmt.Sprintf("s%03d", i)), res.Token)
		return err
	}, team.ErrSeatLimit)
	t.Logf("LINK-4: 40 joiners, 8 free seats: %d joined, %d seat limit, %d other; members %d", joined, full, other, w.members())
	if joined != 8 || full != 32 || other != 0 || w.members() != 12 {
		t.Fatalf("want 8 joins and 12 members")
	}
}

// concurrentJoins runs n calls of fn at once and counts successes, errors
// matching refusal, and other errors (logged).
func concurrentJoins(w *joinWorld, n int, fn func(i int) error, refusal error) (ok, refused, other int) {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := fn(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, refusal):
				refused++
			default:
				other++
				w.t.Errorf("call %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return ok, refused, other
}

// Rule JOIN-1: claims need the settings permission, take effect only once
// verified (DNS TXT at _teamkit-challenge.<domain>), belong to one team
// among verified claims, and public mail domains are refused.
func domainClaims(t *testing.T, st team.Store) {
	w := newJoinWorld(t, st)
	_, err := w.svc.ClaimDomain(w.ctx, team.ClaimDomainParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Domain: "Gmail.com"})
	w.refused("public domain", err, team.ErrPublicEmailDomain)
	_, err = w.svc.ClaimDomain(w.ctx, team.ClaimDomainParams{ActorID: w.carl.ID, TeamID: w.tm.ID, Domain: w.domain})
	w.refused("member without settings", err, team.ErrPermissionDenied)
	c, err := w.svc.ClaimDomain(w.ctx, team.ClaimDomainParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Domain: " " + w.domain + ". "})
	w.must("ClaimDomain", err)
	if c.Domain != w.domain || c.Verified() || c.Policy != team.JoinOff || len(c.Challenge) < 32 {
		t.Fatalf("claim %+v", c)
	}
	if c.TXTRecordName() != "_teamkit-challenge."+w.domain || c.TXTRecordValue() != "teamkit-domain-verification="+c.Challenge {
		t.Fatalf("TXT record %s = %s", c.TXTRecordName(), c.TXTRecordValue())
	}
	_, err = w.svc.ClaimDomain(w.ctx, team.ClaimDomainParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Domain: w.domain})
	w.refused("claim twice", err, team.ErrDomainClaimed)
	_, err = w.svc.SetJoinPolicy(w.ctx, team.SetJoinPolicyParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Domain: w.domain, Policy: team.JoinAutomatic})
	w.must("SetJoinPolicy before verification", err)
	joiner := w.domainUser("early")
	open, err := w.svc.OpenTeams(w.ctx, joiner)
	w.must("OpenTeams", err)
	if len(open) != 0 {
		t.Fatalf("an unverified claim opens %+v", open)
	}
	_, err = w.svc.JoinByDomain(w.ctx, joiner, w.tm.ID)
	w.refused("join on an unverified claim", err, team.ErrJoinNotAllowed)

	// A second team claims the same domain; claims coexist until one is
	// verified.
	dora := w.user("dora")
	_, err = w.svc.EnsurePersonalTeam(w.ctx, dora)
	w.must("EnsurePersonalTeam", err)
	other, err := w.svc.CreateTeam(w.ctx, team.CreateTeamParams{Owner: dora, Name: "Rival"})
	w.must("CreateTeam", err)
	oc, err := w.svc.ClaimDomain(w.ctx, team.ClaimDomainParams{ActorID: dora.ID, TeamID: other.ID, Domain: w.domain})
	w.must("rival claim before verification", err)

	_, err = w.svc.VerifyDomain(w.ctx, team.VerifyDomainParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Domain: w.domain})
	w.refused("no TXT record", err, team.ErrDomainNotVerified)
	w.dns.publish(oc) // the rival's record does not verify ana's claim
	_, err = w.svc.VerifyDomain(w.ctx, team.VerifyDomainParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Domain: w.domain})
	w.refused("someone else's TXT record", err, team.ErrDomainNotVerified)
	w.dns.publish(c)
	v, err := w.svc.VerifyDomain(w.ctx, team.VerifyDomainParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Domain: w.domain})
	w.must("VerifyDomain", err)
	if !v.Verified() {
		t.Fatalf("claim %+v not verified", v)
	}
	if e := w.lastEvent(w.tm.ID); e.Action != audit.DomainVerified || e.Target != w.domain {
		t.Fatalf("last event %+v", e)
	}
	_, err = w.svc.VerifyDomain(w.ctx, team.VerifyDomainParams{ActorID: dora.ID, TeamID: other.ID, Domain: w.domain})
	w.refused("second verified claim", err, team.ErrDomainClaimed)
	_, err = w.svc.ClaimDomain(w.ctx, team.ClaimDomainParams{ActorID: dora.ID, TeamID: other.ID, Domain: "sub." + w.domain})
	w.must("another domain", err)
	open, err = w.svc.OpenTeams(w.ctx, joiner)
	w.must("OpenTeams", err)
	if len(open) != 1 || open[0].TeamID != w.tm.ID || open[0].Policy != team.JoinAutomatic {
		t.Fatalf("open teams %+v, want ana's team", open)
	}

	// Removing the verified claim frees the domain for the rival.
	err = w.svc.RemoveDomainClaim(w.ctx, team.RemoveDomainClaimParams{ActorID: w.carl.ID, TeamID: w.tm.ID, Domain: w.domain})
	w.refused("member removes", err, team.ErrPermissionDenied)
	w.must("RemoveDomainClaim", w.svc.RemoveDomainClaim(w.ctx, team.RemoveDomainClaimParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Domain: w.domain}))
	_, err = w.svc.VerifyDomain(w.ctx, team.VerifyDomainParams{ActorID: dora.ID, TeamID: other.ID, Domain: w.domain})
	w.must("rival verifies after the removal", err)
	claims, err := w.svc.DomainClaims(w.ctx, dora.ID, other.ID)
	w.must("DomainClaims", err)
	if len(claims) != 2 || claims[0].Domain != w.domain || !claims[0].Verified() || claims[1].Verified() {
		t.Fatalf("rival's claims %+v", claims)
	}
}

// Rule JOIN-2: a verified domain's policy decides: automatic joins at once
// with the default role (ROLE-7 ceiling against whoever set it; seats
// apply; JoinByDomain), request files one pending request per user and team
// (RequestToJoin), off opens nothing.
func domainPolicies(t *testing.T, st team.Store) {
	w := newJoinWorld(t, st, team.WithSeatLimit(6))
	w.verifiedClaim(team.JoinOff, "")
	u1 := w.domainUser("u1")
	_, err := w.svc.JoinByDomain(w.ctx, u1, w.tm.ID)
	w.refused("policy off", err, team.ErrJoinNotAllowed)

	_, err = w.svc.SetJoinPolicy(w.ctx, team.SetJoinPolicyParams{ActorID: w.bob.ID, TeamID: w.tm.ID, Domain: w.domain, Policy: team.JoinAutomatic, DefaultRole: rbac.RoleOwner})
	w.refused("automatic as owner", err, team.ErrPermissionDenied)
	_, err = w.svc.SetJoinPolicy(w.ctx, team.SetJoinPolicyParams{ActorID: w.carl.ID, TeamID: w.tm.ID, Domain: w.domain, Policy: team.JoinByRequest})
	w.refused("member sets policy", err, team.ErrPermissionDenied)
	c, err := w.svc.SetJoinPolicy(w.ctx, team.SetJoinPolicyParams{ActorID: w.bob.ID, TeamID: w.tm.ID, Domain: w.domain, Policy: team.JoinAutomatic, DefaultRole: rbac.RoleViewer})
	w.must("SetJoinPolicy", err)
	if c.PolicySetBy != w.bob.ID || c.DefaultRole != rbac.RoleViewer {
		t.Fatalf("claim %+v", c)
	}
	m, err := w.svc.JoinByDomain(w.ctx, u1, w.tm.ID)
	w.must("automatic join", err)
	if m.Role != rbac.RoleViewer || m.UserID != u1.ID {
		t.Fatalf("member %+v", m)
	}
	_, err = w.svc.RequestToJoin(w.ctx, w.domainUser("u2"), w.tm.ID)
	w.refused("request under automatic", err, team.ErrJoinNotAllowed)
	if _, err := w.st.PersonalTeam(w.ctx, u1.ID); err != nil {
		t.Fatalf("automatic join did not register the user (INV-5): %v", err)
	}
	if e := w.lastEvent(w.tm.ID); e.Action != audit.DomainJoined || e.ActorID != u1.ID {
		t.Fatalf("last event %+v", e)
	}
	_, err = w.svc.JoinByDomain(w.ctx, u1, w.tm.ID)
	w.refused("join twice", err, team.ErrAlreadyMember)
	_, err = w.svc.JoinByDomain(w.ctx, w.domainUser("u2"), w.tm.ID)
	w.must("sixth seat", err)
	_, err = w.svc.JoinByDomain(w.ctx, w.domainUser("u3"), w.tm.ID)
	w.refused("no seat left", err, team.ErrSeatLimit)
	_, err = w.svc.JoinByDomain(w.ctx, w.user("outsider"), w.tm.ID)
	w.refused("other domain", err, team.ErrJoinNotAllowed)

	_, err = w.svc.SetJoinPolicy(w.ctx, team.SetJoinPolicyParams{ActorID: w.ana.ID, TeamID: w.tm.ID, Domain: w.domain, Policy: team.JoinByRequest})
	w.must("SetJoinPolicy request", err)
	u3 := w.domainUser("u3")
	open, err := w.svc.OpenTeams(w.ctx, u3)
	w.must("OpenTeams", err)
	if len(open) != 1 || open[0].Policy != team.JoinByRequest {
		t.Fatalf("open teams %+v", open)
	}
	_, err = w.svc.JoinByDomain(w.ctx, u3, w.tm.ID)
	w.refused("automatic join under request", err, team.ErrJoinNotAllowed)
	r, err := w.svc.RequestToJoin(w.ctx, u3, w.tm.ID)
	w.must("request on a full team (requests hold no seat)", err)
	if r.Status != team.JoinRequestPending || r.UserID != u3.ID {
		t.Fatalf("request %+v", r)
	}
	if e := w.lastEvent(w.tm.ID); e.Action != audit.JoinRequested || e.Target != r.ID {
		t.Fatalf("last event %+v", e)
	}
	_, err = w.svc.RequestToJoin(w.ctx, u3, w.tm.ID)
	w.refused("second pending request", err, team.ErrAlreadyRequested)
	open, err = w.svc.OpenTeams(w.ctx, u1)
	w.must("OpenTeams", err)
	if len(open) != 0 {
		t.Fatalf("a member sees open teams %+v", open)
	}
}

// Rule JOIN-3: members with the invite permission list, approve (ROLE-7)
// and reject requests; pending requests hold no seat, so approving into a
// full team fails with the seat error; every step is audited.
func joinRequests(t *testing.T, st team.Store) {
	w := newJoinWorld(t, st, team.WithSeatLimit(5))
	w.verifiedClaim(team.JoinByRequest, "")
	var reqs []team.JoinRequest
	for _, n := range []string{"r1", "r2", "r3"} {
		r, err := w.svc.RequestToJoin(w.ctx, w.domainUser(n), w.tm.ID)
		w.must("RequestToJoin", err)
		reqs = append(reqs, r)
	}
	_, err := w.svc.JoinRequests(w.ctx, w.vic.ID, w.tm.ID)
	w.refused("viewer lists requests", err, team.ErrPermissionDenied)
	list, err := w.svc.JoinRequests(w.ctx, w.bob.ID, w.tm.ID)
	w.must("JoinRequests", err)
	if len(list) != 3 {
		t.Fatalf("requests %+v", list)
	}
	_, err = w.svc.ApproveJoinRequest(w.ctx, team.ApproveJoinRequestParams{ActorID: w.bob.ID, TeamID: w.tm.ID, RequestID: reqs[0].ID, Role: rbac.RoleOwner})
	w.refused("approve as owner", err, team.ErrPermissionDenied)
	_, err = w.svc.ApproveJoinRequest(w.ctx, team.ApproveJoinRequestParams{ActorID: w.carl.ID, TeamID: w.tm.ID, RequestID: reqs[0].ID})
	w.refused("member approves", err, team.ErrPermissionDenied)
	m, err := w.svc.ApproveJoinRequest(w.ctx, team.ApproveJoinRequestParams{ActorID: w.bob.ID, TeamID: w.tm.ID, RequestID: reqs[0].ID, Role: rbac.RoleMember})
	w.must("ApproveJoinRequest", err)
	if m.UserID != reqs[0].UserID || m.Role != rbac.RoleMember {
		t.Fatalf("member %+v", m)
	}
	if _, err := w.st.PersonalTeam(w.ctx, m.UserID); err != nil {
		t.Fatalf("approval did not register the user (INV-5): %v", err)
	}
	if e := w.lastEvent(w.tm.ID); e.Action != audit.JoinRequestApproved || e.Target != reqs[0].ID || e.ActorID != w.bob.ID {
		t.Fatalf("last event %+v", e)
	}
	_, err = w.svc.ApproveJoinRequest(w.ctx, team.ApproveJoinRequestParams{ActorID: w.bob.ID, TeamID: w.tm.ID, RequestID: reqs[0].ID})
	w.refused("approve twice", err, team.ErrJoinRequestClosed)
	_, err = w.svc.ApproveJoinRequest(w.ctx, team.ApproveJoinRequestParams{ActorID: w.bob.ID, TeamID: w.tm.ID, RequestID: reqs[1].ID})
	w.refused("approve into a full team", err, team.ErrSeatLimit)
	w.must("RejectJoinRequest", w.svc.RejectJoinRequest(w.ctx, team.RejectJoinRequestParams{ActorID: w.bob.ID, TeamID: w.tm.ID, RequestID: reqs[1].ID}))
	if e := w.lastEvent(w.tm.ID); e.Action != audit.JoinRequestRejected || e.Target != reqs[1].ID {
		t.Fatalf("last event %+v", e)
	}
	err = w.svc.RejectJoinRequest(w.ctx, team.RejectJoinRequestParams{ActorID: w.bob.ID, TeamID: w.tm.ID, RequestID: reqs[1].ID})
	w.refused("reject twice", err, team.ErrJoinRequestClosed)
	again, err := w.svc.RequestToJoin(w.ctx, w.domainUser("r2"), w.tm.ID)
	w.must("a rejected user may ask again", err)
	list, err = w.svc.JoinRequests(w.ctx, w.ana.ID, w.tm.ID)
	w.must("JoinRequests", err)
	if len(list) != 2 || (list[0].ID != reqs[2].ID && list[1].ID != reqs[2].ID) || (list[0].ID != again.ID && list[1].ID != again.ID) {
		t.Fatalf("pending requests %+v", list)
	}
	all, err := w.jr.JoinRequests(w.ctx, w.tm.ID, "")
	w.must("all requests", err)
	if len(all) != 4 {
		t.Fatalf("%d requests stored, want 4", len(all))
	}
}

// Rule JOIN-3 (and LINK-4): approvals racing with link joins never exceed
// the seats; every refusal is the seat error.
func joinApproveRace(t *testing.T, st team.Store) {
	const seats, requests, joiners = 14, 20, 20
	w := newJoinWorld(t, st, team.WithSeatLimit(seats))
	w.verifiedClaim(team.JoinByRequest, "")
	ids := make([]string, requests)
	for i := range ids {
		r, err := w.svc.RequestToJoin(w.ctx, w.domainUser(fmt.Sprintf("q%02d", i)), w.tm.ID)
		w.must("RequestToJoin", err)
		ids[i] = r.ID
	}
	link := w.link(w.ana, rbac.RoleMember, 0, time.Time{})
	before := w.members()
	ok, full, other := concurrentJoins(w, requests+joiners, func(i int) error {
		if i%2 == 0 {
			_, err := w.svc.ApproveJoinRequest(w.ctx, team.ApproveJoinRequestParams{ActorID: w.bob.ID, TeamID: w.tm.ID, RequestID: ids[i/2]})
			return err
		}
		_, err := w.svc.JoinByLink(w.ctx, w.user(fmt.Sprintf("l%02d", i)), link.Token)
		return err
	}, team.ErrSeatLimit)
	pending, err := w.jr.JoinRequests(w.ctx, w.tm.ID, team.JoinRequestPending)
	w.must("JoinRequests", err)
	t.Logf("JOIN-3: %d approvals racing %d link joins for %d free seats: %d in, %d seat limit, %d other; members %d; %d requests still pending",
		requests, joiners, seats-before, ok, full, other, w.members(), len(pending))
	if ok != seats-before || w.members() != seats || other != 0 || full != requests+joiners-ok {
		t.Fatalf("want exactly %d admitted and %d members", seats-before, seats)
	}
}
