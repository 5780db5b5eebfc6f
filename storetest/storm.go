package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// StormOptions configures Storm. Zero fields take the defaults named.
type StormOptions struct {
	// Goroutines run operations at the same time (default 64).
	Goroutines int
	// Teams is the number of collaboration teams they share (default 10).
	Teams int
	// Users is the number of users acting (default 24).
	Users int
	// OpsPerGoroutine is how many operations each goroutine runs (default
	// 150).
	OpsPerGoroutine int
	// SeatLimit is the service's seat limit, small so that it is reached
	// (default 6).
	SeatLimit int
	// Policy is the service's policy (default rbac.Standard()).
	Policy *rbac.Policy
	// Seed seeds the goroutines' random choices (0: time-based). Storm logs
	// it; the interleaving of goroutines is not reproducible, the choices
	// each goroutine makes are.
	Seed uint64
	// Ledger, when set, returns the store's top-ups and usage records for an
	// exact per-account balance check (see InvariantScope.Ledger).
	Ledger func(ctx context.Context, s team.Store) (Ledger, error)
	// Report, when set, receives the scope Storm checked at its end, so a
	// caller can check it again later (say, after other processes ran
	// their storms on the same database).
	Report func(InvariantScope)
}

// Storm runs a concurrency storm against a service over the store newStore
// returns (SEC-3): Goroutines goroutines run random operations — every
// mutating use case of the service, with valid and invalid arguments, by
// members of every role and by outsiders — on Teams collaboration teams
// and their members' personal teams, then CheckInvariants checks the
// result. Every refusal must match one of the service's sentinel errors
// (SEC-1).
//
// The users and teams get random IDs, so a store shared with other tests
// (one database) works.
func Storm(t *testing.T, newStore func(t *testing.T) team.Store, opts StormOptions) {
	t.Helper()
	if opts.Goroutines <= 0 {
		opts.Goroutines = 64
	}
	if opts.Teams <= 0 {
		opts.Teams = 10
	}
	if opts.Users <= 0 {
		opts.Users = 24
	}
	if opts.Users < opts.Teams {
		opts.Users = opts.Teams
	}
	if opts.OpsPerGoroutine <= 0 {
		opts.OpsPerGoroutine = 150
	}
	if opts.SeatLimit <= 0 {
		opts.SeatLimit = 6
	}
	if opts.Policy == nil {
		opts.Policy = rbac.Standard()
	}
	if opts.Seed == 0 {
		opts.Seed = uint64(time.Now().UnixNano())
	}
	t.Logf("storm seed %d (set StormOptions.Seed to repeat each goroutine's choices)", opts.Seed)

	st := newStore(t)
	w := &stormWorld{opts: opts, tokens: map[string]string{}, emails: map[string]string{}}
	_, w.joins = st.(team.JoinStore)
	svc, err := team.New(st,
		team.WithPolicy(opts.Policy),
		team.WithSeatLimit(opts.SeatLimit),
		team.WithNotifier(team.NotifierFunc(w.notify)),
		team.WithDomainVerifier(verifyAll{}),
	)
	if err != nil {
		t.Fatalf("team.New: %v", err)
	}
	defer svc.Close()
	w.svc = svc
	ctx := context.Background()
	w.setup(ctx, t)
	if t.Failed() {
		return
	}

	var wg sync.WaitGroup
	for g := range opts.Goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := mrand.New(mrand.NewPCG(opts.Seed, uint64(g)))
			for range opts.OpsPerGoroutine {
				name, err := w.step(ctx, rng)
				w.count(name, err)
				if err != nil && !knownRefusal(err) {
					t.Errorf("%s: error matches no sentinel of the service (SEC-1): %v", name, err)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("storm: %d goroutines ran %d operations on %d teams: %s",
		opts.Goroutines, w.ops.Load(), opts.Teams, w.summary())

	scope := InvariantScope{
		TeamIDs:   w.allTeams(),
		UserIDs:   w.userIDs(),
		SeatLimit: opts.SeatLimit,
		Policy:    opts.Policy,
	}
	if opts.Ledger != nil {
		scope.Ledger = func(ctx context.Context) (Ledger, error) { return opts.Ledger(ctx, st) }
	}
	if err := CheckInvariants(ctx, st, scope); err != nil {
		t.Errorf("invariants broken after the storm (SEC-3):\n%v", err)
	}
	if opts.Report != nil {
		opts.Report(scope)
	}
}

// stormWorld is what the storm's goroutines share.
type stormWorld struct {
	opts  StormOptions
	svc   *team.Service
	users []team.User
	teams []string // the collaboration teams, fixed at setup

	mu       sync.Mutex
	tokens   map[string]string // invitation ID -> newest token
	emails   map[string]string // invitation ID -> invited email
	invIDs   []string
	links    []stormLink // invite links made (on a JoinStore)
	domains  []stormDomain
	requests []stormRequest // join requests filed
	extra    []string       // personal teams of the setup, teams made during the storm (upgrades)
	outcomes map[string]int

	ops   atomic.Int64
	joins bool // the store is a team.JoinStore: invite links join the mix
}

func (w *stormWorld) notify(_ context.Context, msg team.InvitationMessage) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.tokens[msg.Invitation.ID]; !ok {
		w.invIDs = append(w.invIDs, msg.Invitation.ID)
	}
	w.tokens[msg.Invitation.ID] = msg.Token
	w.emails[msg.Invitation.ID] = msg.Invitation.Email
	return nil
}

// invitee returns the user invited by invitation id, or def.
func (w *stormWorld) invitee(id string, def team.User) team.User {
	w.mu.Lock()
	email := w.emails[id]
	w.mu.Unlock()
	for _, u := range w.users {
		if u.Email == email {
			return u
		}
	}
	return def
}

// membersOf returns the users who are members of teamID now, as the
// committed state says.
func (w *stormWorld) membersOf(ctx context.Context, teamID string) []team.User {
	var out []team.User
	for _, u := range w.users {
		if _, err := w.svc.SessionEpoch(ctx, u.ID, teamID); err == nil {
			out = append(out, u)
		}
	}
	return out
}

func (w *stormWorld) setup(ctx context.Context, t *testing.T) {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("crypto/rand: %v", err)
	}
	prefix := "storm-" + hex.EncodeToString(b[:])
	for i := range w.opts.Users {
		id := fmt.Sprintf("%s-u%02d", prefix, i)
		w.users = append(w.users, team.User{ID: id, Email: id + "@example.com", Name: fmt.Sprintf("User %d", i)})
	}
	for i, u := range w.users {
		p, err := w.svc.EnsurePersonalTeam(ctx, u)
		if err != nil {
			t.Fatalf("EnsurePersonalTeam: %v", err)
		}
		// Checked at the end even once offboarding deleted it (TeamsOf no
		// longer lists it, but its charges count).
		w.extra = append(w.extra, p.ID)
		if i >= w.opts.Teams {
			continue
		}
		if _, err := w.svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: u.ID, TeamID: p.ID, Plan: billing.PlanEnterprise}); err != nil {
			t.Fatalf("ChangePlan: %v", err)
		}
		tm, err := w.svc.CreateTeam(ctx, team.CreateTeamParams{Owner: u, Name: fmt.Sprintf("Storm team %d", i)})
		if err != nil {
			t.Fatalf("CreateTeam: %v", err)
		}
		if _, err := w.svc.TopUp(ctx, team.TopUpParams{ActorID: u.ID, TeamID: tm.ID, Amount: 10_000}); err != nil {
			t.Fatalf("TopUp: %v", err)
		}
		w.teams = append(w.teams, tm.ID)
	}
	if w.joins {
		// The first teams verify a domain each (JOIN-1), with users at it
		// who join automatically or ask to (JOIN-2, JOIN-3).
		for i, tm := range w.teams[:min(3, len(w.teams))] {
			owner := w.users[i]
			d := stormDomain{teamID: tm, domain: fmt.Sprintf("%s-t%d.test", prefix, i)}
			if _, err := w.svc.ClaimDomain(ctx, team.ClaimDomainParams{ActorID: owner.ID, TeamID: tm, Domain: d.domain}); err != nil {
				t.Fatalf("ClaimDomain: %v", err)
			}
			if _, err := w.svc.VerifyDomain(ctx, team.VerifyDomainParams{ActorID: owner.ID, TeamID: tm, Domain: d.domain}); err != nil {
				t.Fatalf("VerifyDomain: %v", err)
			}
			policy := []team.JoinPolicy{team.JoinAutomatic, team.JoinByRequest, team.JoinOff}[i]
			if _, err := w.svc.SetJoinPolicy(ctx, team.SetJoinPolicyParams{ActorID: owner.ID, TeamID: tm, Domain: d.domain, Policy: policy, DefaultRole: w.opts.Policy.RegularRole().Name}); err != nil && policy == team.JoinAutomatic {
				t.Fatalf("SetJoinPolicy: %v", err)
			}
			for k := range 4 {
				d.users = append(d.users, team.User{ID: fmt.Sprintf("%s-d%d-%d", prefix, i, k), Email: fmt.Sprintf("d%d@%s", k, d.domain), Name: fmt.Sprintf("Domain user %d.%d", i, k)})
			}
			w.domains = append(w.domains, d)
			w.users = append(w.users, d.users...) // invited, promoted and removed like the others
		}
	}
	w.outcomes = map[string]int{}
}

func (w *stormWorld) userIDs() []string {
	out := make([]string, len(w.users))
	for i, u := range w.users {
		out[i] = u.ID
	}
	return out
}

// allTeams returns every team of the storm: collaboration, personal and
// those made by upgrades.
func (w *stormWorld) allTeams() []string {
	ctx := context.Background()
	out := slices.Clone(w.teams)
	w.mu.Lock()
	out = append(out, w.extra...)
	w.mu.Unlock()
	for _, u := range w.users {
		ts, err := w.svc.TeamsOf(ctx, u.ID)
		if err != nil {
			continue
		}
		for _, tm := range ts {
			out = append(out, tm.ID)
		}
	}
	return uniq(out)
}

func (w *stormWorld) count(name string, err error) {
	w.ops.Add(1)
	key := name + ":ok"
	if err != nil {
		key = name + ":" + RefusalName(err)
	}
	w.mu.Lock()
	w.outcomes[key]++
	w.mu.Unlock()
}

func (w *stormWorld) summary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	keys := make([]string, 0, len(w.outcomes))
	for k := range w.outcomes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "%s=%d ", k, w.outcomes[k])
	}
	return sb.String()
}

// verifyAll is a DomainVerifier that confirms every claim: the storm is
// about what happens once domains are verified.
type verifyAll struct{}

func (verifyAll) VerifyDomain(context.Context, team.DomainClaim) error { return nil }

// stormDomain is a domain a storm team verified, and users at it.
type stormDomain struct {
	teamID, domain string
	users          []team.User
}

// stormRequest is a join request the storm filed.
type stormRequest struct{ teamID, id string }

// stormLink is an invite link the storm made.
type stormLink struct{ teamID, id, token string }

// randomLink returns a link the storm made, or one that names nothing.
func (w *stormWorld) randomLink(rng *mrand.Rand) stormLink {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.links) == 0 || rng.IntN(20) == 0 {
		return stormLink{teamID: "storm-no-such-team", id: "no-such-link", token: "no-such-token"}
	}
	return w.links[rng.IntN(len(w.links))]
}

// randomInvitation returns a known invitation ID and its newest token.
func (w *stormWorld) randomInvitation(rng *mrand.Rand) (string, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.invIDs) == 0 {
		return "no-such-invitation", "no-such-token"
	}
	id := w.invIDs[rng.IntN(len(w.invIDs))]
	return id, w.tokens[id]
}

func (w *stormWorld) roleName(rng *mrand.Rand) string {
	roles := w.opts.Policy.Roles()
	switch n := rng.IntN(len(roles) + 2); {
	case n < len(roles):
		return roles[n].Name
	case n == len(roles):
		return "" // the default role
	default:
		return "no-such-role"
	}
}

// step runs one random operation and returns its name and error.
func (w *stormWorld) step(ctx context.Context, rng *mrand.Rand) (string, error) {
	u := w.users[rng.IntN(len(w.users))]
	other := w.users[rng.IntN(len(w.users))]
	tm := w.teams[rng.IntN(len(w.teams))]
	if rng.IntN(20) == 0 {
		tm = "storm-no-such-team" // TEAM-6: IDs that name nothing
	}
	// Mostly act as a member of the team, and on a member, so that calls
	// get past the membership check and race on what matters.
	if members := w.membersOf(ctx, tm); len(members) > 0 {
		if rng.IntN(10) < 7 {
			u = members[rng.IntN(len(members))]
		}
		if rng.IntN(10) < 5 {
			other = members[rng.IntN(len(members))]
		}
	}
	op := rng.IntN(26)
	if op >= 21 && op < 25 && (!w.joins || (op >= 23 && len(w.domains) == 0)) {
		op = 25 // no invite links or domains on this store: a read instead
	}
	switch op {
	case 0, 1, 2:
		email := other.Email
		if rng.IntN(8) == 0 {
			email = fmt.Sprintf("guest%d@example.org", rng.IntN(5))
		}
		_, err := w.svc.Invite(ctx, team.InviteParams{ActorID: u.ID, TeamID: tm, Email: email, Role: w.roleName(rng)})
		return "Invite", err
	case 3, 4, 5:
		id, tok := w.randomInvitation(rng)
		if rng.IntN(10) < 7 {
			other = w.invitee(id, other)
		}
		_, err := w.svc.AcceptInvitation(ctx, other, tok)
		return "AcceptInvitation", err
	case 6:
		id, _ := w.randomInvitation(rng)
		return "DeclineInvitation", w.svc.DeclineInvitation(ctx, other, id)
	case 7:
		id, _ := w.randomInvitation(rng)
		return "CancelInvitation", w.svc.CancelInvitation(ctx, team.CancelInvitationParams{ActorID: u.ID, TeamID: tm, InvitationID: id})
	case 8:
		id, _ := w.randomInvitation(rng)
		_, err := w.svc.ResendInvitation(ctx, team.ResendInvitationParams{ActorID: u.ID, TeamID: tm, InvitationID: id})
		return "ResendInvitation", err
	case 9, 10:
		_, err := w.svc.ChangeRole(ctx, team.ChangeRoleParams{ActorID: u.ID, TeamID: tm, UserID: other.ID, Role: w.roleName(rng)})
		return "ChangeRole", err
	case 11:
		return "RemoveMember", w.svc.RemoveMember(ctx, team.RemoveMemberParams{ActorID: u.ID, TeamID: tm, UserID: other.ID})
	case 12:
		return "Leave", w.svc.Leave(ctx, u.ID, tm)
	case 13:
		return "TransferOwnership", w.svc.TransferOwnership(ctx, team.TransferOwnershipParams{ActorID: u.ID, TeamID: tm, NewOwnerID: other.ID, ConfirmNewOwnerID: other.ID})
	case 14, 15, 16:
		amount := int64(rng.IntN(40) + 1)
		key := fmt.Sprintf("k%d", rng.IntN(400))
		if rng.IntN(3) == 0 {
			if p, err := w.svc.TeamsOf(ctx, u.ID); err == nil && len(p) > 0 {
				tm = p[rng.IntN(len(p))].ID
			}
		}
		_, err := w.svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: u.ID, TeamID: tm, Amount: amount, IdempotencyKey: key})
		return "RecordUsage", err
	case 17:
		_, err := w.svc.TopUp(ctx, team.TopUpParams{ActorID: u.ID, TeamID: tm, Amount: int64(rng.IntN(200) + 1)})
		return "TopUp", err
	case 18:
		name := fmt.Sprintf("Renamed %d", rng.IntN(100))
		_, err := w.svc.UpdateTeam(ctx, team.UpdateTeamParams{ActorID: u.ID, TeamID: tm, Name: &name})
		return "UpdateTeam", err
	case 19:
		if rng.IntN(3) != 0 {
			_, err := w.svc.SessionEpoch(ctx, u.ID, tm)
			return "SessionEpoch", err
		}
		status := billing.StatusActive
		if rng.IntN(8) == 0 {
			status = billing.StatusSuspended
		}
		_, err := w.svc.SetAccountStatus(ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: u.ID, Status: status})
		return "SetAccountStatus", err
	case 20:
		switch rng.IntN(4) {
		case 0:
			if rng.IntN(10) == 0 {
				return "DeleteTeam", w.svc.DeleteTeam(ctx, u.ID, tm)
			}
			if rng.IntN(20) == 0 {
				// USER-2, rarely: the user is gone for good, and every later
				// call about them must be refused cleanly.
				return "OffboardUser", w.svc.OffboardUser(ctx, u.ID)
			}
			_, err := w.svc.EnsurePersonalTeam(ctx, u)
			return "EnsurePersonalTeam", err
		case 1:
			p, err := w.svc.TeamsOf(ctx, u.ID)
			if err != nil || len(p) == 0 {
				return "TeamsOf", err
			}
			up, pers, err := w.svc.UpgradeToCollaboration(ctx, team.UpgradeToCollaborationParams{ActorID: u.ID, TeamID: p[0].ID})
			if err == nil {
				w.mu.Lock()
				w.extra = append(w.extra, up.ID, pers.ID)
				w.mu.Unlock()
			}
			return "UpgradeToCollaboration", err
		case 2:
			if rng.IntN(4) == 0 {
				// USER-1: a member's email becomes one the storm invites,
				// racing with invitations to it.
				email := fmt.Sprintf("guest%d@example.org", rng.IntN(5))
				return "UpdateUser", w.svc.UpdateUser(ctx, team.UpdateUserParams{UserID: u.ID, Email: &email})
			}
			plans := []billing.Plan{billing.PlanFree, billing.PlanTeam, billing.PlanEnterprise}
			_, err := w.svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: u.ID, TeamID: tm, Plan: plans[rng.IntN(len(plans))]})
			return "ChangePlan", err
		default:
			_, err := w.svc.RecordEvent(ctx, team.RecordEventParams{ActorID: u.ID, TeamID: tm, Action: "storm.event", Target: other.ID})
			return "RecordEvent", err
		}
	case 21:
		// Invite links (LINK-1..4), racing with invitations and removals
		// for the same seats.
		if rng.IntN(3) == 0 {
			l := w.randomLink(rng)
			return "RevokeInviteLink", w.svc.RevokeInviteLink(ctx, team.RevokeInviteLinkParams{ActorID: u.ID, TeamID: l.teamID, LinkID: l.id})
		}
		res, err := w.svc.CreateInviteLink(ctx, team.CreateInviteLinkParams{ActorID: u.ID, TeamID: tm, Role: w.roleName(rng), MaxUses: rng.IntN(4)})
		if err == nil {
			w.mu.Lock()
			w.links = append(w.links, stormLink{teamID: tm, id: res.Link.ID, token: res.Token})
			w.mu.Unlock()
		}
		return "CreateInviteLink", err
	case 22:
		_, err := w.svc.JoinByLink(ctx, other, w.randomLink(rng).token)
		return "JoinByLink", err
	case 23:
		// A user at a verified domain joins at once or asks to, whatever the
		// policy is now (JOIN-2).
		d := w.domains[rng.IntN(len(w.domains))]
		du := d.users[rng.IntN(len(d.users))]
		if rng.IntN(2) == 0 {
			_, err := w.svc.JoinByDomain(ctx, du, d.teamID)
			return "JoinByDomain", err
		}
		r, err := w.svc.RequestToJoin(ctx, du, d.teamID)
		if err == nil {
			w.mu.Lock()
			w.requests = append(w.requests, stormRequest{teamID: d.teamID, id: r.ID})
			w.mu.Unlock()
		}
		return "RequestToJoin", err
	case 24:
		// Members decide requests and change policies (JOIN-2, JOIN-3).
		d := w.domains[rng.IntN(len(w.domains))]
		if ms := w.membersOf(ctx, d.teamID); len(ms) > 0 && rng.IntN(10) < 8 {
			u = ms[rng.IntN(len(ms))]
		}
		switch rng.IntN(3) {
		case 0:
			policies := []team.JoinPolicy{team.JoinOff, team.JoinByRequest, team.JoinAutomatic}
			_, err := w.svc.SetJoinPolicy(ctx, team.SetJoinPolicyParams{ActorID: u.ID, TeamID: d.teamID, Domain: d.domain,
				Policy: policies[rng.IntN(len(policies))], DefaultRole: w.roleName(rng)})
			return "SetJoinPolicy", err
		default:
			w.mu.Lock()
			r := stormRequest{teamID: d.teamID, id: "no-such-request"}
			if len(w.requests) > 0 {
				r = w.requests[rng.IntN(len(w.requests))]
			}
			w.mu.Unlock()
			if rng.IntN(3) == 0 {
				return "RejectJoinRequest", w.svc.RejectJoinRequest(ctx, team.RejectJoinRequestParams{ActorID: u.ID, TeamID: r.teamID, RequestID: r.id})
			}
			_, err := w.svc.ApproveJoinRequest(ctx, team.ApproveJoinRequestParams{ActorID: u.ID, TeamID: r.teamID, RequestID: r.id, Role: w.roleName(rng)})
			return "ApproveJoinRequest", err
		}
	default:
		// Reads that must agree with themselves under writes.
		if err := w.svc.Authorize(ctx, u.ID, tm, rbac.Use, team.Resource{Type: "doc", ID: "d1", CreatorID: other.ID}); err != nil {
			return "Authorize", err
		}
		ms, err := w.svc.Members(ctx, u.ID, tm)
		if err != nil {
			return "Members", err
		}
		owners := 0
		for _, m := range ms {
			if m.Role == w.opts.Policy.Owner().Name {
				owners++
			}
		}
		if owners != 1 {
			return "Members", fmt.Errorf("storm: team %s lists %d owners (ROLE-1)", tm, owners)
		}
		return "Members", nil
	}
}

// refusals are the sentinels a refusal may match (SEC-1), most specific
// first.
var refusals = []struct {
	name string
	err  error
}{
	{"ErrInvalidAmount", team.ErrInvalidAmount},
	{"ErrInvalidInput", team.ErrInvalidInput},
	{"ErrPermissionDenied", team.ErrPermissionDenied},
	{"ErrNotMember", team.ErrNotMember},
	{"ErrPersonalTeam", team.ErrPersonalTeam},
	{"ErrSeatLimit", team.ErrSeatLimit},
	{"ErrAlreadyMember", team.ErrAlreadyMember},
	{"ErrAlreadyInvited", team.ErrAlreadyInvited},
	{"ErrInvitationExpired", team.ErrInvitationExpired},
	{"ErrInvitationCancelled", team.ErrInvitationCancelled},
	{"ErrInvitationDeclined", team.ErrInvitationDeclined},
	{"ErrInvitationUsed", team.ErrInvitationUsed},
	{"ErrEmailMismatch", team.ErrEmailMismatch},
	{"ErrNotifyFailed", team.ErrNotifyFailed},
	{"ErrOwnerCannotLeave", team.ErrOwnerCannotLeave},
	{"ErrConfirmationMismatch", team.ErrConfirmationMismatch},
	{"ErrResourcesRemain", team.ErrResourcesRemain},
	{"ErrInviterLacksAuthority", team.ErrInviterLacksAuthority},
	{"ErrSubscriptionRequired", team.ErrSubscriptionRequired},
	{"ErrTeamLimit", team.ErrTeamLimit},
	{"ErrInvalidAccount", team.ErrInvalidAccount},
	{"ErrInsufficientBalance", team.ErrInsufficientBalance},
	{"ErrIdempotencyConflict", team.ErrIdempotencyConflict},
	{"ErrBrokenChain", team.ErrBrokenChain},
	{"ErrUnknownRole", team.ErrUnknownRole},
	{"ErrLinkRevoked", team.ErrLinkRevoked},
	{"ErrLinkExpired", team.ErrLinkExpired},
	{"ErrLinkUsedUp", team.ErrLinkUsedUp},
	{"ErrLinkAuthorityLost", team.ErrLinkAuthorityLost},
	{"ErrOwnsTeams", team.ErrOwnsTeams},
	{"ErrJoinNotAllowed", team.ErrJoinNotAllowed},
	{"ErrAlreadyRequested", team.ErrAlreadyRequested},
	{"ErrJoinRequestClosed", team.ErrJoinRequestClosed},
	{"ErrDomainClaimed", team.ErrDomainClaimed},
	{"ErrDomainNotVerified", team.ErrDomainNotVerified},
	{"ErrNotFound", team.ErrNotFound},
	{"ErrConflict", team.ErrConflict},
}

// RefusalName names the first sentinel of the team package that err
// matches (SEC-1), such as "ErrNotMember", most specific first, or returns
// "unknown". Tests use it to tally and compare refusals.
func RefusalName(err error) string {
	for _, r := range refusals {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return "unknown"
}

func knownRefusal(err error) bool { return RefusalName(err) != "unknown" }
