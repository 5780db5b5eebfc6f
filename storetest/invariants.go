package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// ErrInvariant is matched by every violation CheckInvariants reports.
var ErrInvariant = errors.New("storetest: invariant violated")

// Ledger is every top-up and usage record a store holds (or at least those
// of the accounts and teams of an InvariantScope). The Reader has no query
// that lists them, so a test hands them to CheckInvariants through
// InvariantScope.Ledger: the memory store from its Snapshot, a database
// store from a query of its own.
type Ledger struct {
	TopUps []billing.TopUp
	Usage  []billing.UsageRecord
}

// InvariantScope tells CheckInvariants which records to check: the teams
// and users a test made. It must list every team that was charged and every
// user who owned one, or the balance equations cannot add up.
type InvariantScope struct {
	// TeamIDs are the teams to check, personal or not, deleted or not.
	TeamIDs []string
	// UserIDs are the users to check (their accounts, personal teams and
	// memberships).
	UserIDs []string
	// SeatLimit is the service's seat limit (0: team.DefaultSeatLimit).
	SeatLimit int
	// Policy is the service's policy (nil: rbac.Standard()).
	Policy *rbac.Policy
	// Plans are the service's plans (zero: billing.DefaultPlans()): every
	// account must be on one of them.
	Plans billing.Plans
	// Now is the time at which pending invitations are judged expired when
	// seats are counted. The zero time counts every pending invitation as a
	// seat, which is exact as long as no invitation has expired.
	Now time.Time
	// Ledger, when set, returns the store's top-ups and usage records. With
	// it every account's balance is checked exactly against its own top-ups
	// and charges, and every charge against the accounts. Without it top-ups
	// are read from the audit trail (billing.top_up events), charges from
	// Reader.UsageTotals, and accounts whose teams changed owner are checked
	// together (their sum), because a team's usage cannot then be split by
	// the account charged.
	Ledger func(ctx context.Context) (Ledger, error)
}

// CheckInvariants reads the records of scope through r and returns nil, or
// one error (errors.Join) with a line per violation, each matching
// ErrInvariant. It checks what every sequence of service calls must keep,
// concurrent or not (SEC-3):
//
//   - a live collaboration team has exactly one member with the owner role,
//     its OwnerID; a live personal team has exactly one member, its owner,
//     with the owner role, and is its owner's personal team (TEAM-1, TEAM-2,
//     ROLE-1); a deleted team has no members and no pending invitations
//     (DEL-3); every member holds a role of the policy;
//   - members plus pending invitations never exceed the seat limit (INV-3),
//     at most one pending invitation per email and none to a member's email
//     (INV-2);
//   - one membership per user and team, and Members and TeamsOfUser agree;
//   - every balance is non-negative and equals top-ups minus charges
//     (BILL-2, BILL-3); every charge is on exactly one existing account
//     (with a Ledger);
//   - every team's audit chain verifies to its newest event (AUD-4);
//   - every change has its audit event (AUD-1): replaying a team's trail
//     from team.created (kind, name, owner, invitations sent, re-sent,
//     cancelled, declined and accepted, role changes, removals, departures,
//     transfers, deletion) gives exactly the stored team, its members with
//     their roles (and epochs at least the number of changes the trail
//     shows, ROLE-5), and the status of each of its
//     invitations; the top-ups in the trails add up to the ledger's.
func CheckInvariants(ctx context.Context, r team.Reader, scope InvariantScope) error {
	c := &checker{ctx: ctx, r: r, scope: scope, policy: scope.Policy, limit: scope.SeatLimit}
	if c.policy == nil {
		c.policy = rbac.Standard()
	}
	if c.limit <= 0 {
		c.limit = team.DefaultSeatLimit
	}
	c.run()
	return errors.Join(c.errs...)
}

type checker struct {
	ctx    context.Context
	r      team.Reader
	scope  InvariantScope
	policy *rbac.Policy
	limit  int
	errs   []error

	// found while checking teams, used by the balance check
	auditTopUps map[string]int64    // account ID -> top-ups recorded in trails
	teamUsage   map[string]int64    // team ID -> charges (UsageTotals)
	ownersOf    map[string][]string // team ID -> every owner it had, oldest first
	members     map[string]map[string]team.Member
}

func (c *checker) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%w: %s", ErrInvariant, fmt.Sprintf(format, args...)))
}

// read reports a read error as a violation and says whether it was nil.
func (c *checker) read(err error, what string) bool {
	if err != nil {
		c.fail("reading %s: %v", what, err)
		return false
	}
	return true
}

func (c *checker) run() {
	c.auditTopUps = map[string]int64{}
	c.teamUsage = map[string]int64{}
	c.ownersOf = map[string][]string{}
	c.members = map[string]map[string]team.Member{}
	for _, id := range uniq(c.scope.TeamIDs) {
		c.checkTeam(id)
	}
	for _, id := range uniq(c.scope.UserIDs) {
		c.checkUser(id)
	}
	c.checkBalances()
}

func uniq(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// checkTeam checks one team's own invariants and replays its audit trail.
func (c *checker) checkTeam(id string) {
	t, err := c.r.Team(c.ctx, id)
	if !c.read(err, "team "+id) {
		return
	}
	members, err := c.r.Members(c.ctx, id)
	if !c.read(err, "members of team "+id) {
		return
	}
	invs, err := c.r.Invitations(c.ctx, id, "")
	if !c.read(err, "invitations of team "+id) {
		return
	}
	byUser := map[string]team.Member{}
	for _, m := range members {
		if _, dup := byUser[m.UserID]; dup {
			c.fail("team %s: user %s has two memberships", id, m.UserID)
		}
		if m.TeamID != id {
			c.fail("team %s: Members returned a membership of team %s (TEAM-6)", id, m.TeamID)
		}
		if _, err := c.policy.Role(m.Role); err != nil {
			c.fail("team %s: member %s holds role %q the policy does not define", id, m.UserID, m.Role)
		}
		byUser[m.UserID] = m
	}
	c.members[id] = byUser

	var pending []team.Invitation
	emails := map[string]bool{}
	for _, inv := range invs {
		if inv.TeamID != id {
			c.fail("team %s: Invitations returned invitation %s of team %s (TEAM-6)", id, inv.ID, inv.TeamID)
		}
		if inv.Status != team.InvitationPending {
			continue
		}
		if emails[inv.Email] {
			c.fail("team %s: two pending invitations to %s (INV-2)", id, inv.Email)
		}
		emails[inv.Email] = true
		pending = append(pending, inv)
	}
	for _, m := range members {
		if emails[m.Email] {
			c.fail("team %s: member %s also has a pending invitation to %s (INV-2)", id, m.UserID, m.Email)
		}
	}

	owner := c.policy.Owner().Name
	var owners []string
	for _, m := range members {
		if m.Role == owner {
			owners = append(owners, m.UserID)
		}
	}
	switch {
	case t.Deleted():
		if len(members) > 0 || len(pending) > 0 {
			c.fail("team %s is deleted but keeps %d members and %d pending invitations (DEL-3)", id, len(members), len(pending))
		}
	case t.Kind == team.Personal:
		if len(members) != 1 || members[0].UserID != t.OwnerID || members[0].Role != owner {
			c.fail("personal team %s of %s: want its owner as only member with role %s, have %v (TEAM-2)", id, t.OwnerID, owner, memberRoles(members))
		}
		if len(pending) > 0 {
			c.fail("personal team %s holds %d pending invitations (TEAM-2)", id, len(pending))
		}
		if p, err := c.r.PersonalTeam(c.ctx, t.OwnerID); c.read(err, "personal team of "+t.OwnerID) && p.ID != id {
			c.fail("personal team %s of %s: PersonalTeam returns %s (TEAM-1)", id, t.OwnerID, p.ID)
		}
	case t.Kind == team.Collaboration:
		if len(owners) != 1 || owners[0] != t.OwnerID {
			c.fail("team %s: want exactly one owner, %s; members holding %s: %v (ROLE-1)", id, t.OwnerID, owner, owners)
		}
	default:
		c.fail("team %s has unknown kind %q", id, t.Kind)
	}

	seats := len(members)
	for _, inv := range pending {
		if c.scope.Now.IsZero() || inv.State(c.scope.Now) == team.InvitationPending {
			seats++
		}
	}
	if seats > c.limit {
		c.fail("team %s uses %d seats (%d members + pending invitations), the limit is %d (INV-3)", id, seats, len(members), c.limit)
	}

	totals, err := c.r.UsageTotals(c.ctx, id, time.Time{}, time.Time{})
	if c.read(err, "usage of team "+id) {
		for _, u := range totals {
			if u.Amount <= 0 || u.Records <= 0 {
				c.fail("team %s: usage of %s sums to %d tokens in %d records", id, u.UserID, u.Amount, u.Records)
			}
			c.teamUsage[id] += u.Amount
		}
	}

	c.checkTrail(t, byUser, invs)
}

func memberRoles(ms []team.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.UserID + ":" + m.Role
	}
	return out
}

// replayed is the state of a team as its audit trail tells it.
type replayed struct {
	kind    team.Kind
	name    string
	owner   string
	deleted bool
	members map[string]team.Member // Role, and in Epoch the changes since joining
	invs    map[string]team.Invitation
	owners  []string
	// invite links (LINK-1..4): created by an event, and the joins each had
	links     map[string]bool
	linkJoins map[string]int
	// offboarding (USER-2): invitations it removed (the events count them
	// and keep no email), and a personal team whose name it reset
	invsRemoved int
	nameReset   bool
}

// checkTrail verifies the team's audit chain and compares the state its
// events tell with the stored one (AUD-1, AUD-4).
func (c *checker) checkTrail(t team.Team, members map[string]team.Member, invs []team.Invitation) {
	id := t.ID
	events, err := c.r.AuditEvents(c.ctx, id, audit.Filter{})
	if !c.read(err, "audit events of team "+id) {
		return
	}
	head, err := c.r.LastAuditEvent(c.ctx, id)
	if errors.Is(err, team.ErrNotFound) {
		head = audit.Event{}
	} else if !c.read(err, "last audit event of team "+id) {
		return
	}
	v := audit.NewVerifier(id)
	for _, e := range events {
		if err := v.Add(e); err != nil {
			c.fail("team %s: audit chain: %v (AUD-4)", id, err)
			return
		}
	}
	if err := v.End(head); err != nil {
		c.fail("team %s: audit chain: %v (AUD-4)", id, err)
		return
	}

	rp := replayed{members: map[string]team.Member{}, invs: map[string]team.Invitation{},
		links: map[string]bool{}, linkJoins: map[string]int{}}
	bad := func(e audit.Event, format string, args ...any) {
		c.fail("team %s: audit event %d (%s): %s (AUD-1)", id, e.Seq, e.Action, fmt.Sprintf(format, args...))
	}
	for i, e := range events {
		if i == 0 {
			if e.Action != audit.TeamCreated || e.Target != id {
				bad(e, "the first event of a team must be its team.created")
				return
			}
		} else if rp.deleted && e.Action.Reserved() && e.Action != audit.UserOffboarded {
			// Offboarding may still remove a deleted team's invitations to
			// the user's email, and records that it did (USER-2).
			bad(e, "a library event after team.deleted")
		}
		d := e.Details
		switch e.Action {
		case audit.TeamCreated:
			if i != 0 {
				bad(e, "team.created twice")
				continue
			}
			rp.kind, rp.name, rp.owner = team.Kind(d["kind"]), d["name"], e.ActorID
			rp.members[e.ActorID] = team.Member{Role: c.policy.Owner().Name}
			rp.owners = append(rp.owners, e.ActorID)
		case audit.TeamUpgraded:
			if rp.kind != team.Personal {
				bad(e, "upgrade of a %s team", rp.kind)
			}
			rp.kind, rp.name = team.Collaboration, d["name"]
		case audit.TeamUpdated:
			if n, ok := d["name"]; ok {
				rp.name = n
			}
		case audit.TeamDeleted:
			rp.deleted = true
			clear(rp.members)
			for k, inv := range rp.invs {
				if inv.Status == team.InvitationPending {
					delete(rp.invs, k)
				}
			}
		case audit.UserOffboarded:
			// USER-2: the user's membership ends; their personal team is
			// deleted, its name reset; invitations to their email removed.
			if d["team"] == "deleted" {
				rp.deleted, rp.nameReset = true, true
				clear(rp.members)
			} else if _, ok := d["role"]; ok {
				if _, member := rp.members[e.Target]; !member {
					bad(e, "user %s is offboarded but is not a member", e.Target)
				}
				delete(rp.members, e.Target)
			}
			if n, err := strconv.Atoi(d["invitations_removed"]); err == nil {
				rp.invsRemoved += n
			}
		case audit.InvitationSent:
			if _, dup := rp.invs[e.Target]; dup {
				bad(e, "invitation %s sent twice", e.Target)
			}
			for k, inv := range rp.invs {
				if inv.Status == team.InvitationPending && inv.Email == d["email"] {
					// Invite replaces an expired pending invitation of the email.
					inv.Status = team.InvitationExpired
					rp.invs[k] = inv
				}
			}
			rp.invs[e.Target] = team.Invitation{ID: e.Target, Email: d["email"], Role: d["role"], Status: team.InvitationPending}
		case audit.InvitationResent, audit.InvitationCancelled, audit.InvitationDeclined, audit.InvitationAccepted:
			inv, ok := rp.invs[e.Target]
			if !ok || inv.Status != team.InvitationPending {
				bad(e, "invitation %s is not pending (status %q)", e.Target, inv.Status)
				continue
			}
			switch e.Action {
			case audit.InvitationCancelled:
				inv.Status = team.InvitationCancelled
			case audit.InvitationDeclined:
				inv.Status = team.InvitationDeclined
			case audit.InvitationAccepted:
				inv.Status = team.InvitationAccepted
				if _, dup := rp.members[d["user_id"]]; dup {
					bad(e, "user %s accepted but is a member already", d["user_id"])
				}
				rp.members[d["user_id"]] = team.Member{Role: inv.Role}
			}
			rp.invs[e.Target] = inv
		case audit.InviteLinkCreated:
			rp.links[e.Target] = true
		case audit.InviteLinkJoined, audit.DomainJoined, audit.JoinRequestApproved:
			// A join that no invitation carries (LINK-2, JOIN-2, JOIN-3).
			if e.Action == audit.InviteLinkJoined {
				if !rp.links[e.Target] {
					bad(e, "a join through link %s, which no invite_link.created event made", e.Target)
				}
				rp.linkJoins[e.Target]++
			}
			if _, dup := rp.members[d["user_id"]]; dup {
				bad(e, "user %s joined but is a member already", d["user_id"])
			}
			rp.members[d["user_id"]] = team.Member{Role: d["role"]}
		case audit.MemberRoleChanged:
			m, ok := rp.members[e.Target]
			if !ok || m.Role != d["from"] {
				bad(e, "member %s does not hold role %q", e.Target, d["from"])
			}
			m.Role = d["to"]
			m.Epoch++
			rp.members[e.Target] = m
		case audit.MemberRemoved, audit.MemberLeft:
			if _, ok := rp.members[e.Target]; !ok {
				bad(e, "user %s is not a member", e.Target)
			}
			delete(rp.members, e.Target)
		case audit.OwnershipTransferred:
			from, to := rp.members[d["from"]], rp.members[d["to"]]
			if d["from"] != rp.owner || from.Role != c.policy.Owner().Name {
				bad(e, "transfer from %s, who is not the owner", d["from"])
			}
			from.Role, from.Epoch = d["former_owner_role"], from.Epoch+1
			to.Role, to.Epoch = c.policy.Owner().Name, to.Epoch+1
			rp.members[d["from"]], rp.members[d["to"]] = from, to
			rp.owner = d["to"]
			rp.owners = append(rp.owners, d["to"])
		case audit.BillingTopUp, audit.BillingPlanChanged, audit.BillingStatusChanged:
			bad(e, "billing account events belong in the account's own trail (BILL-8)")
		}
	}
	c.ownersOf[id] = rp.owners

	if rp.nameReset {
		rp.name = t.Name // the trail keeps no display name (USER-2)
	}
	if rp.kind != t.Kind || rp.name != t.Name || rp.owner != t.OwnerID || rp.deleted != t.Deleted() {
		c.fail("team %s: stored kind %s, name %q, owner %s, deleted %v; its audit trail says %s, %q, %s, %v (AUD-1)",
			id, t.Kind, t.Name, t.OwnerID, t.Deleted(), rp.kind, rp.name, rp.owner, rp.deleted)
	}
	for _, u := range slices.Sorted(maps.Keys(members)) {
		m, want := members[u], rp.members[u]
		if _, ok := rp.members[u]; !ok {
			c.fail("team %s: member %s joined without an audit event (AUD-1)", id, u)
		} else if m.Role != want.Role || m.Epoch < want.Epoch {
			c.fail("team %s: member %s holds role %s at epoch %d; its audit trail says %s after %d changes (AUD-1, ROLE-5)",
				id, u, m.Role, m.Epoch, want.Role, want.Epoch)
		}
	}
	for _, u := range slices.Sorted(maps.Keys(rp.members)) {
		if _, ok := members[u]; !ok {
			c.fail("team %s: the audit trail says %s is a member, the store has no membership (AUD-1)", id, u)
		}
	}
	stored := map[string]bool{}
	for _, inv := range invs {
		stored[inv.ID] = true
		want, ok := rp.invs[inv.ID]
		switch {
		case !ok:
			c.fail("team %s: invitation %s has no invitation.sent event (AUD-1)", id, inv.ID)
		case inv.Status != want.Status || inv.Email != want.Email || inv.Role != want.Role:
			c.fail("team %s: invitation %s is %s to %s as %s; its audit trail says %s to %s as %s (AUD-1)",
				id, inv.ID, inv.Status, inv.Email, inv.Role, want.Status, want.Email, want.Role)
		}
	}
	var missing []string
	for _, k := range slices.Sorted(maps.Keys(rp.invs)) {
		if !stored[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > rp.invsRemoved {
		c.fail("team %s: the audit trail names invitations %v, which the store lacks; offboarding removed %d (AUD-1)", id, missing, rp.invsRemoved)
	}
	c.checkLinks(id, rp)
}

// checkLinks checks the team's invite links and join requests, on a store
// that keeps them: no link is used more often than it allows (LINK-4), each
// counts the joins its team's trail records through it (AUD-1), and a user
// has at most one pending request, none once a member (JOIN-3).
func (c *checker) checkLinks(id string, rp replayed) {
	jr, ok := c.r.(team.JoinReader)
	if !ok {
		return
	}
	links, err := jr.InviteLinks(c.ctx, id)
	if !c.read(err, "invite links of team "+id) {
		return
	}
	reqs, err := jr.JoinRequests(c.ctx, id, team.JoinRequestPending)
	if !c.read(err, "pending join requests of team "+id) {
		return
	}
	asked := map[string]bool{}
	for _, r := range reqs {
		if asked[r.UserID] {
			c.fail("team %s: user %s has two pending join requests (JOIN-3)", id, r.UserID)
		}
		asked[r.UserID] = true
		if _, member := c.members[id][r.UserID]; member {
			c.fail("team %s: member %s still has pending join request %s (JOIN-3)", id, r.UserID, r.ID)
		}
	}
	for _, l := range links {
		switch {
		case !rp.links[l.ID]:
			c.fail("team %s: invite link %s has no invite_link.created event (AUD-1)", id, l.ID)
		case l.MaxUses > 0 && l.Uses > l.MaxUses:
			c.fail("team %s: invite link %s was used %d times, more than its %d (LINK-4)", id, l.ID, l.Uses, l.MaxUses)
		case l.Uses != rp.linkJoins[l.ID]:
			c.fail("team %s: invite link %s counts %d uses; the audit trail records %d joins through it (AUD-1)", id, l.ID, l.Uses, rp.linkJoins[l.ID])
		}
	}
}

// checkUser checks a user's personal team, memberships and account.
func (c *checker) checkUser(id string) {
	teams, err := c.r.TeamsOfUser(c.ctx, id)
	if !c.read(err, "teams of "+id) {
		return
	}
	seen := map[string]bool{}
	for _, t := range teams {
		if seen[t.ID] {
			c.fail("user %s: TeamsOfUser lists team %s twice", id, t.ID)
		}
		seen[t.ID] = true
		if ms, ok := c.members[t.ID]; ok {
			if _, in := ms[id]; !in {
				c.fail("user %s: TeamsOfUser lists team %s, whose Members lack the user", id, t.ID)
			}
		}
	}
	for teamID, ms := range c.members {
		if _, in := ms[id]; in && !seen[teamID] {
			c.fail("user %s: member of team %s, which TeamsOfUser does not list", id, teamID)
		}
	}
	offboarded := false
	if p, err := c.r.PersonalTeam(c.ctx, id); err == nil {
		// Only offboarding deletes a personal team (USER-2).
		offboarded = p.Deleted()
		if p.Kind != team.Personal || p.OwnerID != id {
			c.fail("user %s: personal team %s is %s, owned by %s (TEAM-1)", id, p.ID, p.Kind, p.OwnerID)
		}
	} else if !errors.Is(err, team.ErrNotFound) {
		c.read(err, "personal team of "+id)
	}
	if offboarded {
		for _, t := range teams {
			if !t.Deleted() {
				c.fail("user %s: offboarded, but a member of team %s (USER-2)", id, t.ID)
			}
		}
	}
	a, err := c.r.Account(c.ctx, id)
	if errors.Is(err, team.ErrNotFound) {
		return
	}
	if !c.read(err, "account of "+id) {
		return
	}
	plans := c.scope.Plans
	if len(plans.Names()) == 0 {
		plans = billing.DefaultPlans()
	}
	_, planErr := plans.Lookup(a.Plan)
	if a.UserID != id || a.Balance < 0 || planErr != nil ||
		(a.Status != billing.StatusActive && a.Status != billing.StatusSuspended && a.Status != billing.StatusClosed) {
		c.fail("user %s: account %s of %s has balance %d, plan %q, status %q (BILL-1, BILL-3)", id, a.ID, a.UserID, a.Balance, a.Plan, a.Status)
	}
	if offboarded != (a.Status == billing.StatusClosed) {
		c.fail("user %s: personal team deleted %v but account status %q; offboarding does both (USER-2)", id, offboarded, a.Status)
	}
}

// checkBalances checks that every balance equals top-ups minus charges.
func (c *checker) checkBalances() {
	accounts := map[string]billing.Account{} // by ID
	byUser := map[string]string{}            // user ID -> account ID
	for _, u := range uniq(c.scope.UserIDs) {
		if a, err := c.r.Account(c.ctx, u); err == nil {
			accounts[a.ID] = a
			byUser[u] = a.ID
		}
	}
	for _, id := range slices.Sorted(maps.Keys(accounts)) {
		c.checkAccountTrail(accounts[id])
	}
	if c.scope.Ledger != nil {
		c.checkLedger(accounts)
		return
	}
	// Without a ledger: top-ups from the trails, charges by team. A team
	// that changed owner may have charged several accounts; those accounts
	// form one group whose sum is checked.
	group := map[string]string{} // account ID -> group representative
	find := func(a string) string {
		for group[a] != "" && group[a] != a {
			a = group[a]
		}
		return a
	}
	charged := map[string]int64{} // account ID -> charges attributed
	for teamID, amount := range c.teamUsage {
		if amount == 0 {
			continue
		}
		owners := c.ownersOf[teamID]
		if len(owners) == 0 {
			continue
		}
		first, ok := byUser[owners[0]]
		if !ok {
			c.fail("team %s was charged %d tokens but its owner %s has no account in scope", teamID, amount, owners[0])
			continue
		}
		for _, o := range owners[1:] {
			if a, ok := byUser[o]; ok && find(a) != find(first) {
				group[find(a)] = find(first)
			}
		}
		charged[first] += amount
	}
	type sums struct{ balance, topUps, charges int64 }
	groups := map[string]*sums{}
	for id, a := range accounts {
		g := find(id)
		if groups[g] == nil {
			groups[g] = &sums{}
		}
		groups[g].balance += a.Balance
		groups[g].topUps += c.auditTopUps[id]
		groups[g].charges += charged[id]
	}
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		s := groups[g]
		if s.balance != s.topUps-s.charges {
			c.fail("account %s (with the accounts that shared its teams): balance %d, top-ups %d, charges %d (BILL-2)", g, s.balance, s.topUps, s.charges)
		}
	}
}

// checkLedger checks each account against the ledger's records.
func (c *checker) checkLedger(accounts map[string]billing.Account) {
	l, err := c.scope.Ledger(c.ctx)
	if !c.read(err, "the ledger") {
		return
	}
	inScope := map[string]bool{}
	for _, id := range c.scope.TeamIDs {
		inScope[id] = true
	}
	topUps, charges := map[string]int64{}, map[string]int64{}
	perTeam := map[string]int64{}
	ids := map[string]bool{}
	for _, t := range l.TopUps {
		if _, ok := accounts[t.AccountID]; !ok {
			continue
		}
		if t.Amount <= 0 {
			c.fail("top-up %s of account %s has amount %d", t.ID, t.AccountID, t.Amount)
		}
		topUps[t.AccountID] += t.Amount
	}
	for _, r := range l.Usage {
		if !inScope[r.TeamID] {
			continue
		}
		if ids[r.ID] {
			c.fail("usage record %s appears twice", r.ID)
		}
		ids[r.ID] = true
		if _, ok := accounts[r.AccountID]; !ok {
			c.fail("usage record %s of team %s is charged to account %q, no account of a user in scope (BILL-2)", r.ID, r.TeamID, r.AccountID)
		}
		if r.Amount <= 0 {
			c.fail("usage record %s has amount %d", r.ID, r.Amount)
		}
		charges[r.AccountID] += r.Amount
		perTeam[r.TeamID] += r.Amount
	}
	for _, id := range slices.Sorted(maps.Keys(inScope)) {
		if perTeam[id] != c.teamUsage[id] {
			c.fail("team %s: usage records sum to %d, UsageTotals to %d", id, perTeam[id], c.teamUsage[id])
		}
	}
	for _, id := range slices.Sorted(maps.Keys(accounts)) {
		a := accounts[id]
		if a.Balance != topUps[id]-charges[id] {
			c.fail("account %s of %s: balance %d, top-ups %d, charges %d (BILL-2)", id, a.UserID, a.Balance, topUps[id], charges[id])
		}
		if topUps[id] != c.auditTopUps[id] {
			c.fail("account %s: top-ups sum to %d, their billing.top_up audit events to %d (AUD-1)", id, topUps[id], c.auditTopUps[id])
		}
	}
}

// checkAccountTrail verifies the hash chain of a's own audit trail (BILL-8,
// AUD-4) and sums its top-up events, which checkLedger compares with the
// stored top-ups.
func (c *checker) checkAccountTrail(a billing.Account) {
	events, err := c.r.AccountAuditEvents(c.ctx, a.ID, audit.Filter{})
	if !c.read(err, "audit trail of account "+a.ID) {
		return
	}
	head, err := c.r.LastAccountAuditEvent(c.ctx, a.ID)
	if errors.Is(err, team.ErrNotFound) {
		head = audit.Event{}
	} else if !c.read(err, "last audit event of account "+a.ID) {
		return
	}
	v := audit.NewVerifier(a.ID)
	for _, e := range events {
		if err := v.Add(e); err != nil {
			c.fail("account %s: audit chain: %v (AUD-4)", a.ID, err)
			return
		}
		switch e.Action {
		case audit.BillingTopUp:
			n, err := strconv.ParseInt(e.Details["amount"], 10, 64)
			if err != nil || n <= 0 {
				c.fail("account %s: audit event %d: top-up amount %q (AUD-1)", a.ID, e.Seq, e.Details["amount"])
				continue
			}
			c.auditTopUps[a.ID] += n
		case audit.BillingPlanChanged, audit.BillingStatusChanged:
		default:
			c.fail("account %s: audit event %d has action %s, which is no account operation (BILL-8)", a.ID, e.Seq, e.Action)
		}
		if e.Details["user_id"] != a.UserID {
			c.fail("account %s: audit event %d names user %q, the account is %s's (BILL-8)", a.ID, e.Seq, e.Details["user_id"], a.UserID)
		}
	}
	if err := v.End(head); err != nil {
		c.fail("account %s: audit chain: %v (AUD-4)", a.ID, err)
	}
}
