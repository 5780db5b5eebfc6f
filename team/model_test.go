package team_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// Flags of the model-based random test. Replay one failing sequence with
//
//	go test ./team/ -run TestModel -teamkit.seed=S -teamkit.sequences=1 -v
var (
	mdlSequences = flag.Int("teamkit.sequences", 10000, "model test: number of random sequences")
	mdlSeed      = flag.Uint64("teamkit.seed", 0, "model test: seed of the first sequence (0: time-based); sequence i uses seed+i")
	mdlVerbose   = flag.Bool("teamkit.trace", false, "model test: log every sequence's operations")
)

// Parameters of the model world.
const (
	mdlUsers     = 6
	mdlSeatLimit = 4
	mdlTTL       = time.Hour
)

// TestModel_SEC3 runs seeded random sequences of operations — every use
// case of the service, with valid and invalid arguments, by every role and
// by outsiders — against the service on the memory store, and after every
// step compares the outcome (success or which sentinel error, SEC-1) and the
// whole stored state with a small reference model of SPEC written below.
// At the end of each sequence storetest.CheckInvariants checks the store
// (SEC-3, AUD-1, AUD-4, INV-3, ROLE-1). On a failure it prints the seed and
// the sequence so it can be replayed.
func TestModel_SEC3(t *testing.T) {
	n := *mdlSequences
	if testing.Short() && n > 1000 {
		n = 1000
	}
	base := *mdlSeed
	if base == 0 {
		base = uint64(time.Now().UnixNano()) &^ 0xffff // leave room for seed+i
	}
	t.Logf("model: %d sequences from seed %d", n, base)
	start := time.Now()

	var next, ops, failures atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := map[string]int{}
			defer func() {
				mu.Lock()
				for k, v := range local {
					counts[k] += v
				}
				mu.Unlock()
			}()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || failures.Load() > 0 {
					return
				}
				seed := base + uint64(i)
				r := newMdlRun(seed)
				err := r.run()
				ops.Add(int64(r.steps))
				for k, v := range r.outcomes {
					local[k] += v
				}
				if *mdlVerbose {
					t.Logf("seed %d:\n%s", seed, strings.Join(r.log, "\n"))
				}
				if err != nil {
					if failures.Add(1) == 1 {
						t.Errorf("model sequence with seed %d failed: %v\nreplay: go test ./team/ -run 'TestModel_SEC3$' -teamkit.seed=%d -teamkit.sequences=1 -v\nsequence:\n%s",
							seed, err, seed, strings.Join(r.log, "\n"))
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "%s=%d ", k, counts[k])
	}
	t.Logf("model: %d sequences, %d operations in %s; outcomes: %s", min(next.Load(), int64(n)), ops.Load(), time.Since(start).Round(time.Millisecond), sb.String())
}

// The reference model.

// keepMark records the epoch of userID's membership as it ends: a later
// membership of the pair starts above it (ROLE-5).
func (t *mdlTeam) keepMark(userID string) {
	if t.marks == nil {
		t.marks = map[string]uint64{}
	}
	t.marks[userID] = max(t.marks[userID], t.members[userID].epoch)
}

type mdlMember struct {
	role  string
	epoch uint64
	email string
}

type mdlTeam struct {
	id        string
	kind      team.Kind
	name      string
	owner     string
	deleted   bool
	members   map[string]*mdlMember
	events    int
	resources int // what the host's ResourceCounter reports (DEL-2)
	// marks: the last epoch of each user's removed membership (ROLE-5).
	marks map[string]uint64
}

type mdlInv struct {
	id, teamID, email, role string
	inviter                 string // whose authority it carries (INV-8)
	status                  team.InvitationStatus
	expires                 time.Time
	token                   string   // newest token delivered; "" when the Notifier failed
	old                     []string // tokens that were replaced (INV-6)
	gone                    bool     // removed with its team (DEL-3)
}

type mdlAccount struct {
	plan    billing.Plan
	status  billing.Status
	balance int64
}

type mdlUsage struct {
	user   string
	amount int64
}

// mdlRun is one sequence: the service under test and the model.
type mdlRun struct {
	seed   uint64
	rng    *rand.Rand
	ctx    context.Context
	st     *store.Memory
	svc    *team.Service
	policy *rbac.Policy
	now    time.Time

	notifyFails bool
	delivered   map[string]string // invitation ID -> token, this step

	users    []team.User
	teams    []*mdlTeam
	byID     map[string]*mdlTeam
	personal map[string]*mdlTeam
	invs     []*mdlInv
	invByID  map[string]*mdlInv
	accounts map[string]*mdlAccount
	usage    map[string]map[string]mdlUsage // team ID -> key -> charge

	log      []string
	steps    int
	outcomes map[string]int
}

// mdlRandom is a deterministic byte source for tokens.
type mdlRandom struct{ r *rand.ChaCha8 }

func (m mdlRandom) Read(p []byte) (int, error) { return m.r.Read(p) }

var errMdlNotifier = errors.New("smtp: connection refused")

func newMdlRun(seed uint64) *mdlRun {
	r := &mdlRun{
		seed:      seed,
		rng:       rand.New(rand.NewPCG(seed, 0x7ea3)),
		ctx:       context.Background(),
		st:        store.NewMemory(),
		now:       time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		delivered: map[string]string{},
		byID:      map[string]*mdlTeam{},
		personal:  map[string]*mdlTeam{},
		invByID:   map[string]*mdlInv{},
		accounts:  map[string]*mdlAccount{},
		usage:     map[string]map[string]mdlUsage{},
		outcomes:  map[string]int{},
	}
	r.policy = rbac.Standard()
	if seed%2 == 1 {
		r.policy = rbac.Platform()
	}
	for i := range mdlUsers {
		r.users = append(r.users, team.User{ID: fmt.Sprintf("u%d", i), Email: fmt.Sprintf("u%d@example.com", i), Name: fmt.Sprintf("User %d", i)})
	}
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	var ids atomic.Uint64
	svc, err := team.New(r.st,
		team.WithPolicy(r.policy),
		team.WithSeatLimit(mdlSeatLimit),
		team.WithInvitationTTL(mdlTTL),
		team.WithClock(func() time.Time { return r.now }),
		team.WithIDs(func() string { return fmt.Sprintf("id%d", ids.Add(1)) }),
		team.WithRandom(mdlRandom{rand.NewChaCha8(key)}),
		team.WithNotifier(team.NotifierFunc(func(_ context.Context, msg team.InvitationMessage) error {
			if r.notifyFails {
				return errMdlNotifier
			}
			r.delivered[msg.Invitation.ID] = msg.Token
			return nil
		})),
		team.WithResourceCounter(team.ResourceCounterFunc(func(_ context.Context, teamID string) (map[string]int, error) {
			if t := r.byID[teamID]; t != nil && t.resources > 0 {
				return map[string]int{"documents": t.resources}, nil
			}
			return nil, nil
		})),
	)
	if err != nil {
		panic(err)
	}
	r.svc = svc
	return r
}

// mdlFailure stops a sequence.
type mdlFailure struct{ msg string }

func (r *mdlRun) failf(format string, args ...any) {
	panic(mdlFailure{fmt.Sprintf(format, args...)})
}

// run plays the prologue and 20 to 40 random operations, comparing after
// each, then checks the invariants.
func (r *mdlRun) run() (err error) {
	defer func() {
		if p := recover(); p != nil {
			f, ok := p.(mdlFailure)
			if !ok {
				panic(p)
			}
			err = errors.New(f.msg)
		}
	}()
	// Prologue: a few registered users and one collaboration team, so that
	// random operations start from an interesting state.
	for i := range 4 {
		r.ensurePersonal(r.users[i])
	}
	r.changePlan("u0", r.personal["u0"].id, billing.PlanEnterprise)
	// u1 and u2 may receive ownership, u1 of one team, u2 of many (OWN-5).
	r.changePlan("u1", r.personal["u1"].id, billing.PlanTeam)
	r.changePlan("u2", r.personal["u2"].id, billing.PlanEnterprise)
	r.topUp("u0", r.personal["u0"].id, 500)
	r.createTeam(r.users[0], "Alpha")
	if len(r.teams) > 0 {
		alpha := r.teams[len(r.teams)-1].id
		admin := r.policy.Roles()[1].Name
		r.invite("u0", alpha, "u1@example.com", admin)
		r.invite("u0", alpha, "u2@example.com", r.policy.RegularRole().Name)
		for _, inv := range r.invs {
			r.accept(r.userByEmail(inv.email), inv.token)
		}
	}
	n := 20 + r.rng.IntN(21)
	for range n {
		r.randomStep()
	}
	snap := r.st.Snapshot()
	var teamIDs []string
	for _, t := range r.teams {
		teamIDs = append(teamIDs, t.id)
	}
	var userIDs []string
	for _, u := range r.users {
		userIDs = append(userIDs, u.ID)
	}
	// Users registered on acceptance (INV-5), such as guests, are in scope too.
	for _, id := range slices.Sorted(maps.Keys(r.accounts)) {
		if !slices.Contains(userIDs, id) {
			userIDs = append(userIDs, id)
		}
	}
	if err := storetest.CheckInvariants(r.ctx, r.st, storetest.InvariantScope{
		TeamIDs: teamIDs, UserIDs: userIDs, SeatLimit: mdlSeatLimit, Policy: r.policy, Now: r.now,
		Ledger: func(context.Context) (storetest.Ledger, error) {
			return storetest.Ledger{TopUps: snap.TopUps, Usage: snap.Usage}, nil
		},
	}); err != nil {
		r.failf("invariants: %v", err)
	}
	return nil
}

func (r *mdlRun) userByEmail(email string) team.User {
	for _, u := range r.users {
		if u.Email == email {
			return u
		}
	}
	return team.User{ID: "guest", Email: email}
}

// Random choices, valid most of the time.

func (r *mdlRun) pct(p int) bool { return r.rng.IntN(100) < p }

func (r *mdlRun) pickUser() team.User {
	u := r.users[r.rng.IntN(len(r.users))]
	switch {
	case r.pct(4):
		u.ID = ""
	case r.pct(3):
		u.ID = "bad id"
	case r.pct(4):
		u.Email = "not-an-email"
	case r.pct(15):
		u.Email = "  " + strings.ToUpper(u.Email) + " " // normalised (INV-2)
	}
	return u
}

func (r *mdlRun) pickUserID() string {
	switch {
	case r.pct(3):
		return ""
	case r.pct(3):
		return "bad id"
	case r.pct(3):
		return "stranger"
	}
	return r.users[r.rng.IntN(len(r.users))].ID
}

func (r *mdlRun) pickTeamID() string {
	switch {
	case len(r.teams) == 0 || r.pct(3):
		return "team-none"
	case r.pct(2):
		return ""
	case r.pct(2):
		return "bad id"
	}
	// Prefer live collaboration teams, where most rules apply.
	var collab []*mdlTeam
	for _, t := range r.teams {
		if t.kind == team.Collaboration && (!t.deleted || r.pct(20)) {
			collab = append(collab, t)
		}
	}
	if len(collab) > 0 && r.pct(80) {
		return collab[r.rng.IntN(len(collab))].id
	}
	return r.teams[r.rng.IntN(len(r.teams))].id
}

// pickActor returns a member of teamID most of the time.
func (r *mdlRun) pickActor(teamID string) string {
	if t := r.byID[teamID]; t != nil && len(t.members) > 0 && r.pct(75) {
		ids := slices.Sorted(maps.Keys(t.members))
		return ids[r.rng.IntN(len(ids))]
	}
	return r.pickUserID()
}

// pickManager returns a member of teamID who holds perm, often.
func (r *mdlRun) pickManager(teamID string, perm rbac.Permission) string {
	if t := r.byID[teamID]; t != nil && r.pct(50) {
		var ids []string
		for _, id := range slices.Sorted(maps.Keys(t.members)) {
			if r.role(t.members[id].role).Can(perm) {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			return ids[r.rng.IntN(len(ids))]
		}
	}
	return r.pickActor(teamID)
}

func (r *mdlRun) pickRole() string {
	roles := r.policy.Roles()
	switch {
	case r.pct(8):
		return ""
	case r.pct(6):
		return "no-such-role"
	}
	return roles[r.rng.IntN(len(roles))].Name
}

func (r *mdlRun) pickName() string {
	switch {
	case r.pct(3):
		return ""
	case r.pct(3):
		return " \t "
	case r.pct(3):
		return strings.Repeat("x", team.MaxNameLength+1)
	case r.pct(3):
		return "bad\x01name"
	case r.pct(5):
		return "  Spaced name  "
	}
	return fmt.Sprintf("Team %d", r.rng.IntN(100))
}

func (r *mdlRun) pickEmail() string {
	switch {
	case r.pct(4):
		return ""
	case r.pct(4):
		return "not-an-email"
	case r.pct(8):
		return "guest@example.org"
	}
	e := r.users[r.rng.IntN(len(r.users))].Email
	if r.pct(15) {
		e = " " + strings.ToUpper(e)
	}
	return e
}

func (r *mdlRun) pickInvID(teamID string) string {
	switch {
	case len(r.invs) == 0 || r.pct(5):
		return "inv-none"
	case r.pct(3):
		return ""
	}
	if r.pct(60) {
		for _, i := range r.rng.Perm(len(r.invs)) {
			if inv := r.invs[i]; inv.teamID == teamID && inv.status == team.InvitationPending && !inv.gone {
				return inv.id
			}
		}
	}
	return r.invs[r.rng.IntN(len(r.invs))].id
}

func (r *mdlRun) pickToken() string {
	var known []string
	for _, inv := range r.invs {
		if inv.token != "" {
			known = append(known, inv.token)
		}
		known = append(known, inv.old...)
	}
	switch {
	case len(known) == 0 || r.pct(5):
		return "forged-token-0123456789abcdefghijklmnopqrstuvw"
	case r.pct(3):
		return ""
	case r.pct(2):
		return strings.Repeat("t", 129)
	}
	// Prefer the newest tokens of pending invitations.
	if r.pct(60) {
		for _, i := range r.rng.Perm(len(r.invs)) {
			if inv := r.invs[i]; inv.token != "" && inv.status == team.InvitationPending && !inv.gone {
				return inv.token
			}
		}
	}
	return known[r.rng.IntN(len(known))]
}

// randomStep runs one random operation.
func (r *mdlRun) randomStep() {
	teamID := r.pickTeamID()
	actor := r.pickActor(teamID)
	switch r.rng.IntN(40) {
	case 0:
		r.ensurePersonal(r.pickUser())
	case 1:
		name := ""
		if r.pct(40) {
			name = r.pickName()
		}
		r.upgrade(actor, r.pickPersonalOr(teamID), name)
	case 2:
		r.createTeam(r.pickUser(), r.pickName())
	case 3:
		r.updateTeam(actor, teamID)
	case 4:
		r.getTeam(actor, teamID)
	case 5:
		r.teamsOf(r.pickUserID())
	case 6, 7, 8:
		r.invite(r.pickManager(teamID, rbac.Invite), teamID, r.pickEmail(), r.pickRole())
	case 9:
		r.resend(r.pickManager(teamID, rbac.Invite), teamID, r.pickInvID(teamID))
	case 10:
		r.cancel(r.pickManager(teamID, rbac.Invite), teamID, r.pickInvID(teamID))
	case 11:
		id := r.pickInvID(teamID)
		u := r.pickUser()
		if inv := r.invByID[id]; inv != nil && r.pct(60) {
			u = r.userByEmail(inv.email)
		}
		r.decline(u, id)
	case 12, 13, 14:
		tok := r.pickToken()
		u := r.pickUser()
		for _, inv := range r.invs {
			if (inv.token == tok || slices.Contains(inv.old, tok)) && r.pct(70) {
				u = r.userByEmail(inv.email)
			}
		}
		r.accept(u, tok)
	case 15:
		r.listInvitations(actor, teamID)
	case 16:
		r.pendingInvitations(r.pickUser())
	case 17:
		r.members(actor, teamID)
	case 18, 19:
		r.changeRole(r.pickManager(teamID, rbac.ChangeRoles), teamID, r.pickActor(teamID), r.pickRole())
	case 20:
		r.removeMember(r.pickManager(teamID, rbac.RemoveMembers), teamID, r.pickActor(teamID))
	case 21:
		r.leave(actor, teamID)
	case 22:
		target := r.pickActor(teamID)
		confirm := target
		if r.pct(8) {
			confirm = r.pickUserID()
		}
		r.transfer(r.pickManager(teamID, rbac.TransferOwnership), teamID, target, confirm)
	case 23:
		r.preflight(r.pickManager(teamID, rbac.DeleteTeam), teamID)
	case 24:
		r.deleteTeam(r.pickManager(teamID, rbac.DeleteTeam), teamID)
	case 25, 26:
		r.authorize(actor, teamID)
	case 27:
		r.sessionEpoch(actor, teamID)
	case 28, 29, 30:
		r.recordUsage(actor, teamID)
	case 31:
		amount := int64(r.rng.IntN(300) + 1)
		switch {
		case r.pct(5):
			amount = 0
		case r.pct(5):
			amount = -7
		case r.pct(3):
			amount = math.MaxInt64 // overflows any positive balance
		}
		r.topUp(actor, teamID, amount)
	case 32:
		plans := []billing.Plan{billing.PlanFree, billing.PlanTeam, billing.PlanEnterprise, "GOLD"}
		r.changePlan(actor, teamID, plans[r.rng.IntN(len(plans))])
	case 33:
		r.billingAccount(actor, teamID)
	case 34:
		r.usageSummary(actor, teamID)
	case 35:
		statuses := []billing.Status{billing.StatusActive, billing.StatusActive, billing.StatusSuspended, "frozen"}
		r.setStatus(r.pickUserID(), statuses[r.rng.IntN(len(statuses))])
	case 36:
		r.recordEvent(actor, teamID)
	case 37:
		r.auditReads(actor, teamID)
	case 38:
		// The world moves: time passes (invitations expire), the host
		// keeps or clears resources, the Notifier goes down or comes back.
		switch r.rng.IntN(4) {
		case 0, 3:
			d := time.Duration(r.rng.IntN(80)) * time.Minute
			r.now = r.now.Add(d)
			r.logf("clock += %s", d)
		case 1:
			if t := r.byID[teamID]; t != nil {
				t.resources = []int{0, 0, 3}[r.rng.IntN(3)]
				r.logf("host resources of %s = %d", teamID, t.resources)
			}
		default:
			r.notifyFails = !r.notifyFails
			r.logf("notifier failing = %v", r.notifyFails)
		}
	default:
		r.invite(r.pickManager(teamID, rbac.Invite), teamID, r.pickEmail(), r.pickRole())
	}
}

func (r *mdlRun) pickPersonalOr(teamID string) string {
	if r.pct(50) {
		for _, t := range r.teams {
			if t.kind == team.Personal && r.pct(40) {
				return t.id
			}
		}
	}
	return teamID
}

// Bookkeeping.

func (r *mdlRun) logf(format string, args ...any) {
	r.log = append(r.log, fmt.Sprintf("%3d  ", len(r.log)+1)+fmt.Sprintf(format, args...))
}

// mdlRefusal names the sentinel err matches first (SEC-1): "ok" for nil,
// "unknown(message)" for none.
func mdlRefusal(err error) string {
	if err == nil {
		return "ok"
	}
	if name := storetest.RefusalName(err); name != "unknown" {
		return name
	}
	return "unknown(" + err.Error() + ")"
}

// expect compares the outcome of a call with the model's, then the stored
// state with the model's. It reports whether the call succeeded as wanted
// (the caller then applies the change to the model before the comparison
// of state: apply runs first).
func (r *mdlRun) expect(op string, want, got error, apply func()) {
	r.steps++
	w, g := mdlRefusal(want), mdlRefusal(got)
	r.outcomes[strings.SplitN(op, "(", 2)[0]+":"+g]++
	r.logf("%s -> want %s, got %s", op, w, g)
	if w != g {
		r.failf("%s: want %s, got %v", op, w, got)
	}
	if want == nil || errors.Is(want, team.ErrNotifyFailed) {
		if apply != nil {
			apply()
		}
	}
	r.compare()
}

// Model helpers that mirror the order of the service's checks.

func mdlValidID(id string) bool {
	return id != "" && !strings.ContainsAny(id, " \t\x00\x01") && len(id) <= team.MaxIDLength
}

func mdlValidUser(u team.User) bool {
	if !mdlValidID(u.ID) {
		return false
	}
	_, err := team.NormalizeEmail(u.Email)
	return err == nil
}

func mdlNorm(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func (r *mdlRun) role(name string) rbac.Role {
	ro, err := r.policy.Role(name)
	if err != nil {
		r.failf("model: unknown role %q", name)
	}
	return ro
}

// lockForActor mirrors the service's: the live team and the actor's role,
// or ErrNotMember (TEAM-6).
func (r *mdlRun) lockForActor(teamID, actorID string) (*mdlTeam, rbac.Role, error) {
	t := r.byID[teamID]
	if t == nil || t.deleted {
		return nil, rbac.Role{}, team.ErrNotMember
	}
	m := t.members[actorID]
	if m == nil {
		return nil, rbac.Role{}, team.ErrNotMember
	}
	return t, r.role(m.role), nil
}

// memberOf is the read path: membership only.
func (r *mdlRun) memberOf(teamID, userID string) (*mdlTeam, *mdlMember) {
	t := r.byID[teamID]
	if t == nil {
		return nil, nil
	}
	return t, t.members[userID]
}

func (r *mdlRun) entitlement(userID string) error {
	a := r.accounts[userID]
	if a == nil || a.status != billing.StatusActive {
		return team.ErrInvalidAccount
	}
	spec, _ := billing.DefaultPlans().Lookup(a.plan)
	limit := spec.TeamLimit
	if limit <= 0 {
		return team.ErrSubscriptionRequired
	}
	owned := 0
	for _, t := range r.teams {
		if t.owner == userID && t.kind == team.Collaboration && !t.deleted {
			owned++
		}
	}
	if owned >= limit {
		return team.ErrTeamLimit
	}
	return nil
}

// firstEpoch and nextEpoch are the session epochs of ROLE-5: a new
// membership starts at the clock's microseconds, so a rejoining user starts
// above their old membership; each change adds one, never falling behind
// the clock.
func (r *mdlRun) firstEpoch() uint64 { return uint64(r.now.UnixMicro()) }

func (r *mdlRun) nextEpoch(cur uint64) uint64 { return max(cur+1, r.firstEpoch()) }

func (r *mdlRun) addTeam(t *mdlTeam) {
	if r.byID[t.id] != nil {
		r.failf("model: team ID %s returned twice", t.id)
	}
	r.teams = append(r.teams, t)
	r.byID[t.id] = t
}

func (r *mdlRun) pendingOf(t *mdlTeam) []*mdlInv {
	var out []*mdlInv
	for _, inv := range r.invs {
		if inv.teamID == t.id && inv.status == team.InvitationPending && !inv.gone {
			out = append(out, inv)
		}
	}
	return out
}

func (r *mdlRun) expired(inv *mdlInv) bool { return !r.now.Before(inv.expires) }

// state returns the invitation's status as of now (Invitation.State).
func (r *mdlRun) state(inv *mdlInv) team.InvitationStatus {
	if inv.status == team.InvitationPending && r.expired(inv) {
		return team.InvitationExpired
	}
	return inv.status
}

func mdlStatusErr(st team.InvitationStatus) error {
	switch st {
	case team.InvitationExpired:
		return team.ErrInvitationExpired
	case team.InvitationCancelled:
		return team.ErrInvitationCancelled
	case team.InvitationDeclined:
		return team.ErrInvitationDeclined
	case team.InvitationAccepted:
		return team.ErrInvitationUsed
	}
	return nil
}

// Operations: each computes the model's answer, calls the service and
// compares.

func (r *mdlRun) ensurePersonal(u team.User) {
	op := fmt.Sprintf("EnsurePersonalTeam(%s, %q)", u.ID, u.Email)
	var want error
	if !mdlValidUser(u) {
		want = team.ErrInvalidInput
	}
	got, err := r.svc.EnsurePersonalTeam(r.ctx, u)
	r.expect(op, want, err, func() {
		if r.accounts[u.ID] == nil {
			r.accounts[u.ID] = &mdlAccount{plan: billing.PlanFree, status: billing.StatusActive}
		}
		if p := r.personal[u.ID]; p != nil {
			if got.ID != p.id {
				r.failf("%s: returned team %s, want the existing %s (TEAM-1)", op, got.ID, p.id)
			}
			return
		}
		t := &mdlTeam{id: got.ID, kind: team.Personal, name: u.Name, owner: u.ID, events: 1,
			members: map[string]*mdlMember{u.ID: {role: r.policy.Owner().Name, email: mdlNorm(u.Email), epoch: r.firstEpoch()}}}
		r.addTeam(t)
		r.personal[u.ID] = t
	})
}

func (r *mdlRun) upgrade(actor, teamID, name string) {
	op := fmt.Sprintf("UpgradeToCollaboration(%s, %s, %q)", actor, teamID, name)
	want := func() error {
		if !mdlValidID(actor) || !mdlValidID(teamID) {
			return team.ErrInvalidInput
		}
		if name != "" {
			if _, err := team.NormalizeTeamName(name); err != nil {
				return team.ErrInvalidInput
			}
		}
		t, ro, err := r.lockForActor(teamID, actor)
		if err != nil {
			return err
		}
		if t.kind != team.Personal {
			return team.ErrInvalidInput
		}
		if !r.policy.IsOwner(ro) || t.owner != actor {
			return team.ErrPermissionDenied
		}
		return r.entitlement(actor)
	}()
	up, pers, err := r.svc.UpgradeToCollaboration(r.ctx, team.UpgradeToCollaborationParams{ActorID: actor, TeamID: teamID, Name: name})
	r.expect(op, want, err, func() {
		t := r.byID[teamID]
		t.kind = team.Collaboration
		if name != "" {
			t.name = strings.TrimSpace(name)
		}
		t.events++
		if up.ID != teamID || up.Kind != team.Collaboration || up.Name != t.name {
			r.failf("%s: returned %+v", op, up)
		}
		p := &mdlTeam{id: pers.ID, kind: team.Personal, name: "Personal", owner: actor, events: 1,
			members: map[string]*mdlMember{actor: {role: r.policy.Owner().Name, email: t.members[actor].email, epoch: r.firstEpoch()}}}
		r.addTeam(p)
		r.personal[actor] = p
	})
}

func (r *mdlRun) createTeam(owner team.User, name string) {
	op := fmt.Sprintf("CreateTeam(%s, %q)", owner.ID, name)
	want := func() error {
		if !mdlValidUser(owner) {
			return team.ErrInvalidInput
		}
		if _, err := team.NormalizeTeamName(name); err != nil {
			return team.ErrInvalidInput
		}
		return r.entitlement(owner.ID)
	}()
	got, err := r.svc.CreateTeam(r.ctx, team.CreateTeamParams{Owner: owner, Name: name})
	r.expect(op, want, err, func() {
		r.addTeam(&mdlTeam{id: got.ID, kind: team.Collaboration, name: strings.TrimSpace(name), owner: owner.ID, events: 1,
			members: map[string]*mdlMember{owner.ID: {role: r.policy.Owner().Name, email: mdlNorm(owner.Email), epoch: r.firstEpoch()}}})
	})
}

func (r *mdlRun) updateTeam(actor, teamID string) {
	upd := team.UpdateTeamParams{ActorID: actor, TeamID: teamID}
	var name string
	if !r.pct(5) {
		name = r.pickName()
		upd.Name = &name
	}
	op := fmt.Sprintf("UpdateTeam(%s, %s, name=%q, set=%v)", actor, teamID, name, upd.Name != nil)
	want := func() error {
		if !mdlValidID(actor) || !mdlValidID(teamID) || upd.Name == nil {
			return team.ErrInvalidInput
		}
		if _, err := team.NormalizeTeamName(name); err != nil {
			return team.ErrInvalidInput
		}
		_, ro, err := r.lockForActor(teamID, actor)
		if err != nil {
			return err
		}
		if !ro.Can(rbac.Settings) {
			return team.ErrPermissionDenied
		}
		return nil
	}()
	_, err := r.svc.UpdateTeam(r.ctx, upd)
	r.expect(op, want, err, func() {
		t := r.byID[teamID]
		t.name = strings.TrimSpace(name)
		t.events++
	})
}

func (r *mdlRun) getTeam(actor, teamID string) {
	op := fmt.Sprintf("Team(%s, %s)", actor, teamID)
	want := func() error {
		if !mdlValidID(actor) || !mdlValidID(teamID) {
			return team.ErrInvalidInput
		}
		if t, m := r.memberOf(teamID, actor); t == nil || m == nil || t.deleted {
			return team.ErrNotMember
		}
		return nil
	}()
	got, err := r.svc.Team(r.ctx, actor, teamID)
	r.expect(op, want, err, func() {
		t := r.byID[teamID]
		if got.ID != t.id || got.Name != t.name || got.Kind != t.kind || got.OwnerID != t.owner {
			r.failf("%s: returned %+v", op, got)
		}
	})
}

func (r *mdlRun) teamsOf(userID string) {
	op := fmt.Sprintf("TeamsOf(%s)", userID)
	var want error
	if !mdlValidID(userID) {
		want = team.ErrInvalidInput
	}
	got, err := r.svc.TeamsOf(r.ctx, userID)
	r.expect(op, want, err, func() {
		var have, exp []string
		for _, t := range got {
			have = append(have, t.ID)
		}
		for _, t := range r.teams {
			if t.members[userID] != nil && !t.deleted {
				exp = append(exp, t.id)
			}
		}
		slices.Sort(have)
		slices.Sort(exp)
		if !slices.Equal(have, exp) {
			r.failf("%s: returned %v, want %v", op, have, exp)
		}
	})
}

func (r *mdlRun) invite(actor, teamID, email, roleName string) {
	op := fmt.Sprintf("Invite(%s, %s, %q, %q)", actor, teamID, email, roleName)
	norm := mdlNorm(email)
	var replaced *mdlInv
	effRole := roleName
	if effRole == "" {
		effRole = r.policy.DefaultRole().Name
	}
	want := func() error {
		if !mdlValidID(actor) || !mdlValidID(teamID) {
			return team.ErrInvalidInput
		}
		if _, err := team.NormalizeEmail(email); err != nil {
			return team.ErrInvalidInput
		}
		ro, err := r.policy.Role(effRole)
		if err != nil {
			return team.ErrInvalidInput
		}
		t, actorRole, err := r.lockForActor(teamID, actor)
		if err != nil {
			return err
		}
		if t.kind == team.Personal {
			return team.ErrPersonalTeam
		}
		if !actorRole.Can(rbac.Invite) || !r.policy.CanInvite(actorRole, ro) {
			return team.ErrPermissionDenied
		}
		for _, m := range t.members {
			if m.email == norm {
				return team.ErrAlreadyMember
			}
		}
		used := len(t.members)
		for _, p := range r.pendingOf(t) {
			if p.email == norm {
				if !r.expired(p) {
					return team.ErrAlreadyInvited
				}
				replaced = p
				continue
			}
			if !r.expired(p) {
				used++
			}
		}
		if used >= mdlSeatLimit {
			return team.ErrSeatLimit
		}
		if r.notifyFails {
			return team.ErrNotifyFailed // INV-7: stored all the same
		}
		return nil
	}()
	clear(r.delivered)
	got, err := r.svc.Invite(r.ctx, team.InviteParams{ActorID: actor, TeamID: teamID, Email: email, Role: roleName})
	r.expect(op, want, err, func() {
		if replaced != nil {
			replaced.status = team.InvitationExpired
		}
		inv := &mdlInv{id: got.Invitation.ID, teamID: teamID, email: norm, role: effRole, inviter: actor, status: team.InvitationPending,
			expires: r.now.Add(mdlTTL), token: r.delivered[got.Invitation.ID]}
		if got.Invitation.ID == "" || got.Invitation.Status != team.InvitationPending || got.Invitation.Email != norm || got.Invitation.Role != effRole {
			r.failf("%s: returned %+v (INV-7: the invitation comes back with ErrNotifyFailed too)", op, got)
		}
		if !r.notifyFails && inv.token == "" {
			r.failf("%s: the Notifier got no token (INV-4)", op)
		}
		r.invs = append(r.invs, inv)
		r.invByID[inv.id] = inv
		r.byID[teamID].events++
	})
}

// teamInvitation mirrors the service's lookup of an invitation in a team.
func (r *mdlRun) teamInvitation(teamID, invID string) (*mdlInv, error) {
	inv := r.invByID[invID]
	if inv == nil || inv.gone || inv.teamID != teamID {
		return nil, team.ErrNotFound
	}
	return inv, nil
}

// invitationAs mirrors the common start of resending and cancelling: valid
// IDs, the actor a member with the invite permission, the invitation one
// of the team's.
func (r *mdlRun) invitationAs(actor, teamID, invID string) (*mdlTeam, rbac.Role, *mdlInv, error) {
	if !mdlValidID(actor) || !mdlValidID(teamID) || !mdlValidID(invID) {
		return nil, rbac.Role{}, nil, team.ErrInvalidInput
	}
	t, actorRole, err := r.lockForActor(teamID, actor)
	if err != nil {
		return nil, rbac.Role{}, nil, err
	}
	if !actorRole.Can(rbac.Invite) {
		return nil, rbac.Role{}, nil, team.ErrPermissionDenied
	}
	inv, err := r.teamInvitation(teamID, invID)
	if err != nil {
		return nil, rbac.Role{}, nil, err
	}
	return t, actorRole, inv, nil
}

func (r *mdlRun) resend(actor, teamID, invID string) {
	op := fmt.Sprintf("ResendInvitation(%s, %s, %s)", actor, teamID, invID)
	want := func() error {
		t, actorRole, inv, err := r.invitationAs(actor, teamID, invID)
		if err != nil {
			return err
		}
		if inv.status != team.InvitationPending {
			return mdlStatusErr(inv.status)
		}
		if !r.policy.CanInvite(actorRole, r.role(inv.role)) {
			return team.ErrPermissionDenied
		}
		used := len(t.members)
		for _, m := range t.members {
			if m.email == inv.email {
				return team.ErrAlreadyMember
			}
		}
		for _, p := range r.pendingOf(t) {
			if !r.expired(p) {
				used++
			}
		}
		if r.expired(inv) && used >= mdlSeatLimit {
			return team.ErrSeatLimit
		}
		if r.notifyFails {
			return team.ErrNotifyFailed
		}
		return nil
	}()
	clear(r.delivered)
	_, err := r.svc.ResendInvitation(r.ctx, team.ResendInvitationParams{ActorID: actor, TeamID: teamID, InvitationID: invID})
	r.expect(op, want, err, func() {
		inv := r.invByID[invID]
		if inv.token != "" {
			inv.old = append(inv.old, inv.token) // dead from now on (INV-6)
		}
		inv.token = r.delivered[invID]
		inv.expires = r.now.Add(mdlTTL)
		inv.inviter = actor // re-issued under the re-sender (INV-8)
		r.byID[teamID].events++
	})
}

func (r *mdlRun) cancel(actor, teamID, invID string) {
	op := fmt.Sprintf("CancelInvitation(%s, %s, %s)", actor, teamID, invID)
	want := func() error {
		_, _, inv, err := r.invitationAs(actor, teamID, invID)
		if err != nil {
			return err
		}
		return mdlStatusErr(inv.status)
	}()
	err := r.svc.CancelInvitation(r.ctx, team.CancelInvitationParams{ActorID: actor, TeamID: teamID, InvitationID: invID})
	r.expect(op, want, err, func() {
		r.invByID[invID].status = team.InvitationCancelled
		r.byID[teamID].events++
	})
}

func (r *mdlRun) decline(u team.User, invID string) {
	op := fmt.Sprintf("DeclineInvitation(%s %q, %s)", u.ID, u.Email, invID)
	want := func() error {
		if !mdlValidUser(u) || !mdlValidID(invID) {
			return team.ErrInvalidInput
		}
		inv := r.invByID[invID]
		if inv == nil || inv.gone || r.byID[inv.teamID].deleted {
			return team.ErrNotFound
		}
		if inv.email != mdlNorm(u.Email) {
			return team.ErrEmailMismatch
		}
		return mdlStatusErr(r.state(inv))
	}()
	err := r.svc.DeclineInvitation(r.ctx, u, invID)
	r.expect(op, want, err, func() {
		inv := r.invByID[invID]
		inv.status = team.InvitationDeclined
		r.byID[inv.teamID].events++
	})
}

func (r *mdlRun) accept(u team.User, token string) {
	op := fmt.Sprintf("AcceptInvitation(%s %q, %.10q)", u.ID, u.Email, token)
	var inv *mdlInv
	want := func() error {
		if !mdlValidUser(u) || token == "" || len(token) > 128 {
			return team.ErrInvalidInput
		}
		for _, i := range r.invs {
			if i.token == token && !i.gone {
				inv = i
			}
		}
		if inv == nil || r.byID[inv.teamID].deleted {
			return team.ErrNotFound // unknown, replaced (INV-6) or removed link
		}
		if err := mdlStatusErr(r.state(inv)); err != nil {
			return err
		}
		if inv.email != mdlNorm(u.Email) {
			return team.ErrEmailMismatch
		}
		t := r.byID[inv.teamID]
		if t.members[u.ID] != nil {
			return team.ErrAlreadyMember
		}
		// INV-8: the inviter must still be a member who could issue it.
		m := t.members[inv.inviter]
		if m == nil || !r.policy.CanInvite(r.role(m.role), r.role(inv.role)) {
			return team.ErrInviterLacksAuthority
		}
		return nil
	}()
	got, err := r.svc.AcceptInvitation(r.ctx, u, token)
	r.expect(op, want, err, func() {
		t := r.byID[inv.teamID]
		// ROLE-5: above the pair's high-water mark, whatever the clock did.
		epoch := r.firstEpoch()
		if mark, ok := t.marks[u.ID]; ok {
			epoch = r.nextEpoch(mark)
		}
		t.members[u.ID] = &mdlMember{role: inv.role, email: mdlNorm(u.Email), epoch: epoch}
		inv.status = team.InvitationAccepted
		t.events++
		if got.TeamID != t.id || got.UserID != u.ID || got.Role != inv.role || got.Epoch != epoch {
			r.failf("%s: returned %+v, want epoch %d", op, got, epoch)
		}
		// INV-5: a user the library did not know is registered with it.
		if r.accounts[u.ID] == nil {
			r.accounts[u.ID] = &mdlAccount{plan: billing.PlanFree, status: billing.StatusActive}
		}
		if r.personal[u.ID] == nil {
			pt, err := r.st.PersonalTeam(r.ctx, u.ID)
			if err != nil {
				r.failf("%s: no personal team after acceptance (INV-5): %v", op, err)
				return
			}
			name := u.Name
			if name == "" {
				name = "Personal"
			}
			p := &mdlTeam{id: pt.ID, kind: team.Personal, name: name, owner: u.ID, events: 1,
				members: map[string]*mdlMember{u.ID: {role: r.policy.Owner().Name, email: mdlNorm(u.Email), epoch: r.firstEpoch()}}}
			r.addTeam(p)
			r.personal[u.ID] = p
		}
	})
}

func (r *mdlRun) listInvitations(actor, teamID string) {
	op := fmt.Sprintf("Invitations(%s, %s)", actor, teamID)
	want := func() error {
		if !mdlValidID(actor) || !mdlValidID(teamID) {
			return team.ErrInvalidInput
		}
		if _, m := r.memberOf(teamID, actor); m == nil {
			return team.ErrNotMember
		}
		return nil
	}()
	got, err := r.svc.Invitations(r.ctx, actor, teamID)
	r.expect(op, want, err, func() {
		var have, exp []string
		for _, inv := range got {
			have = append(have, inv.ID)
		}
		for _, inv := range r.pendingOf(r.byID[teamID]) {
			exp = append(exp, inv.id)
		}
		slices.Sort(have)
		slices.Sort(exp)
		if !slices.Equal(have, exp) {
			r.failf("%s: returned %v, want %v (MEM-5, TEAM-6)", op, have, exp)
		}
	})
}

func (r *mdlRun) pendingInvitations(u team.User) {
	op := fmt.Sprintf("PendingInvitations(%s %q)", u.ID, u.Email)
	var want error
	if !mdlValidUser(u) {
		want = team.ErrInvalidInput
	}
	got, err := r.svc.PendingInvitations(r.ctx, u)
	r.expect(op, want, err, func() {
		var have, exp []string
		for _, inv := range got {
			have = append(have, inv.ID)
		}
		for _, inv := range r.invs {
			if !inv.gone && inv.email == mdlNorm(u.Email) && r.state(inv) == team.InvitationPending {
				exp = append(exp, inv.id)
			}
		}
		slices.Sort(have)
		slices.Sort(exp)
		if !slices.Equal(have, exp) {
			r.failf("%s: returned %v, want %v (INV-5)", op, have, exp)
		}
	})
}

func (r *mdlRun) members(actor, teamID string) {
	op := fmt.Sprintf("Members(%s, %s)", actor, teamID)
	want := func() error {
		if !mdlValidID(actor) || !mdlValidID(teamID) {
			return team.ErrInvalidInput
		}
		if _, m := r.memberOf(teamID, actor); m == nil {
			return team.ErrNotMember
		}
		return nil
	}()
	got, err := r.svc.Members(r.ctx, actor, teamID)
	r.expect(op, want, err, func() {
		t := r.byID[teamID]
		if len(got) != len(t.members) {
			r.failf("%s: %d members, want %d", op, len(got), len(t.members))
		}
		for _, m := range got {
			if w := t.members[m.UserID]; w == nil || w.role != m.Role || m.TeamID != teamID {
				r.failf("%s: returned %+v (MEM-5, TEAM-6)", op, m)
			}
		}
	})
}

func (r *mdlRun) changeRole(actor, teamID, userID, roleName string) {
	op := fmt.Sprintf("ChangeRole(%s, %s, %s, %q)", actor, teamID, userID, roleName)
	var noop bool
	want := func() error {
		if !mdlValidID(actor) || !mdlValidID(teamID) || !mdlValidID(userID) || roleName == "" {
			return team.ErrInvalidInput
		}
		newRole, err := r.policy.Role(roleName)
		if err != nil {
			return team.ErrInvalidInput
		}
		actorRole, target, targetRole, err := r.memberAs(actor, teamID, userID, rbac.ChangeRoles)
		if err != nil {
			return err
		}
		// ROLE-6: never the owner's role, never to owner, never above one's own.
		if r.policy.IsOwner(targetRole) || r.policy.IsOwner(newRole) ||
			targetRole.Rank > actorRole.Rank || newRole.Rank > actorRole.Rank {
			return team.ErrPermissionDenied
		}
		noop = target.role == roleName
		return nil
	}()
	got, err := r.svc.ChangeRole(r.ctx, team.ChangeRoleParams{ActorID: actor, TeamID: teamID, UserID: userID, Role: roleName})
	r.expect(op, want, err, func() {
		t := r.byID[teamID]
		m := t.members[userID]
		if !noop {
			m.role = roleName
			m.epoch = r.nextEpoch(m.epoch) // ROLE-5
			t.events++
		}
		if got.Role != m.role || got.Epoch != m.epoch {
			r.failf("%s: returned %+v", op, got)
		}
	})
}

// memberAs mirrors the common start of changing and removing a member:
// the actor a member of the live team with perm, the target a member too.
func (r *mdlRun) memberAs(actor, teamID, userID string, perm rbac.Permission) (actorRole rbac.Role, target *mdlMember, targetRole rbac.Role, err error) {
	t, actorRole, err := r.lockForActor(teamID, actor)
	if err != nil {
		return rbac.Role{}, nil, rbac.Role{}, err
	}
	if !actorRole.Can(perm) {
		return rbac.Role{}, nil, rbac.Role{}, team.ErrPermissionDenied
	}
	target = t.members[userID]
	if target == nil {
		return rbac.Role{}, nil, rbac.Role{}, team.ErrNotMember
	}
	return actorRole, target, r.role(target.role), nil
}

func (r *mdlRun) removeMember(actor, teamID, userID string) {
	op := fmt.Sprintf("RemoveMember(%s, %s, %s)", actor, teamID, userID)
	want := func() error {
		if !mdlValidID(actor) || !mdlValidID(teamID) || !mdlValidID(userID) || actor == userID {
			return team.ErrInvalidInput
		}
		actorRole, _, tr, err := r.memberAs(actor, teamID, userID, rbac.RemoveMembers)
		if err != nil {
			return err
		}
		if r.policy.IsOwner(tr) || tr.Rank > actorRole.Rank {
			return team.ErrPermissionDenied
		}
		return nil
	}()
	err := r.svc.RemoveMember(r.ctx, team.RemoveMemberParams{ActorID: actor, TeamID: teamID, UserID: userID})
	r.expect(op, want, err, func() {
		t := r.byID[teamID]
		t.keepMark(userID)
		delete(t.members, userID)
		t.events++
	})
}

func (r *mdlRun) leave(userID, teamID string) {
	op := fmt.Sprintf("Leave(%s, %s)", userID, teamID)
	want := func() error {
		if !mdlValidID(userID) || !mdlValidID(teamID) {
			return team.ErrInvalidInput
		}
		t, ro, err := r.lockForActor(teamID, userID)
		if err != nil {
			return err
		}
		if t.kind == team.Personal {
			return team.ErrPersonalTeam
		}
		if r.policy.IsOwner(ro) || t.owner == userID {
			return team.ErrOwnerCannotLeave
		}
		if !ro.Can(rbac.Leave) {
			return team.ErrPermissionDenied
		}
		return nil
	}()
	err := r.svc.Leave(r.ctx, userID, teamID)
	r.expect(op, want, err, func() {
		t := r.byID[teamID]
		t.keepMark(userID)
		delete(t.members, userID)
		t.events++
	})
}

func (r *mdlRun) transfer(actor, teamID, newOwner, confirm string) {
	op := fmt.Sprintf("TransferOwnership(%s, %s, %s, confirm %s)", actor, teamID, newOwner, confirm)
	want := func() error {
		if !mdlValidID(actor) || !mdlValidID(teamID) || !mdlValidID(newOwner) || !mdlValidID(confirm) {
			return team.ErrInvalidInput
		}
		if newOwner != confirm {
			return team.ErrConfirmationMismatch
		}
		t, ro, err := r.lockForActor(teamID, actor)
		if err != nil {
			return err
		}
		if t.kind == team.Personal {
			return team.ErrPersonalTeam
		}
		if !ro.Can(rbac.TransferOwnership) || !r.policy.IsOwner(ro) || t.owner != actor {
			return team.ErrPermissionDenied
		}
		if newOwner == actor {
			return team.ErrInvalidInput
		}
		if t.members[newOwner] == nil {
			return team.ErrNotMember
		}
		if a := r.accounts[newOwner]; a == nil || a.status != billing.StatusActive {
			return team.ErrInvalidAccount // OWN-4
		}
		return r.entitlement(newOwner) // OWN-5, as if they created one more (TEAM-4)
	}()
	err := r.svc.TransferOwnership(r.ctx, team.TransferOwnershipParams{ActorID: actor, TeamID: teamID, NewOwnerID: newOwner, ConfirmNewOwnerID: confirm})
	r.expect(op, want, err, func() {
		t := r.byID[teamID]
		old, nw := t.members[actor], t.members[newOwner]
		old.role, nw.role = r.policy.RegularRole().Name, r.policy.Owner().Name // OWN-2, OWN-3
		old.epoch, nw.epoch = r.nextEpoch(old.epoch), r.nextEpoch(nw.epoch)
		t.owner = newOwner
		t.events++
	})
}

// deletable mirrors checkDeletable.
func (r *mdlRun) deletable(actor, teamID string) error {
	if !mdlValidID(actor) || !mdlValidID(teamID) {
		return team.ErrInvalidInput
	}
	t, m := r.memberOf(teamID, actor)
	if m == nil {
		return team.ErrNotMember
	}
	if t.kind == team.Personal {
		return team.ErrPersonalTeam
	}
	ro := r.role(m.role)
	if !ro.Can(rbac.DeleteTeam) || !r.policy.IsOwner(ro) || t.owner != actor {
		return team.ErrPermissionDenied
	}
	return nil
}

func (r *mdlRun) preflight(actor, teamID string) {
	op := fmt.Sprintf("DeletionPreflight(%s, %s)", actor, teamID)
	want := r.deletable(actor, teamID)
	got, err := r.svc.DeletionPreflight(r.ctx, actor, teamID)
	r.expect(op, want, err, func() {
		if n := r.byID[teamID].resources; got["documents"] != n || (n == 0 && len(got) != 0) {
			r.failf("%s: returned %v, want %d documents (DEL-2)", op, got, n)
		}
	})
}

func (r *mdlRun) deleteTeam(actor, teamID string) {
	op := fmt.Sprintf("DeleteTeam(%s, %s)", actor, teamID)
	want := r.deletable(actor, teamID)
	if want == nil && r.byID[teamID].resources > 0 {
		want = team.ErrResourcesRemain
	}
	err := r.svc.DeleteTeam(r.ctx, actor, teamID)
	r.expect(op, want, err, func() {
		t := r.byID[teamID]
		t.deleted = true
		clear(t.members)
		for _, inv := range r.pendingOf(t) {
			inv.gone = true // DEL-3
		}
		t.events++
	})
}

func (r *mdlRun) authorize(userID, teamID string) {
	actions := []team.Action{rbac.View, rbac.Use, rbac.Create, rbac.Edit, rbac.Delete}
	action := actions[r.rng.IntN(len(actions))]
	creator := r.pickUserID()
	if r.pct(40) {
		creator = userID
	}
	op := fmt.Sprintf("Authorize(%s, %s, %s, creator %s)", userID, teamID, action, creator)
	want := func() error {
		if userID == "" || teamID == "" {
			return team.ErrInvalidInput
		}
		_, m := r.memberOf(teamID, userID)
		if m == nil {
			return team.ErrNotMember // RES-3
		}
		if !r.role(m.role).CanAct(action, userID, creator) {
			return team.ErrPermissionDenied
		}
		return nil
	}()
	err := r.svc.Authorize(r.ctx, userID, teamID, action, team.Resource{Type: "doc", ID: "d1", CreatorID: creator})
	r.expect(op, want, err, nil)
}

func (r *mdlRun) sessionEpoch(userID, teamID string) {
	op := fmt.Sprintf("SessionEpoch(%s, %s)", userID, teamID)
	want := func() error {
		if !mdlValidID(userID) || !mdlValidID(teamID) {
			return team.ErrInvalidInput
		}
		if _, m := r.memberOf(teamID, userID); m == nil {
			return team.ErrNotMember
		}
		return nil
	}()
	got, err := r.svc.SessionEpoch(r.ctx, userID, teamID)
	r.expect(op, want, err, func() {
		if _, m := r.memberOf(teamID, userID); got != m.epoch {
			r.failf("%s: epoch %d, want %d (ROLE-5)", op, got, m.epoch)
		}
	})
}

func (r *mdlRun) recordUsage(actor, teamID string) {
	amount := int64(r.rng.IntN(60) + 1)
	key := fmt.Sprintf("k%d", r.rng.IntN(6))
	switch {
	case r.pct(4):
		amount = 0
	case r.pct(4):
		key = ""
	}
	op := fmt.Sprintf("RecordUsage(%s, %s, %d, %q)", actor, teamID, amount, key)
	var retry bool
	want := func() error {
		if !mdlValidID(actor) || !mdlValidID(teamID) {
			return team.ErrInvalidInput
		}
		if amount <= 0 {
			return team.ErrInvalidAmount
		}
		if key == "" {
			return team.ErrInvalidInput
		}
		t, m := r.memberOf(teamID, actor)
		if m == nil {
			return team.ErrNotMember
		}
		if ro := r.role(m.role); !ro.Can(rbac.UseOwnResources) && !ro.Can(rbac.UseAnyResources) {
			return team.ErrPermissionDenied
		}
		if prev, ok := r.usage[teamID][key]; ok {
			if prev.amount != amount || prev.user != actor {
				return team.ErrIdempotencyConflict // BILL-4
			}
			retry = true
			return nil
		}
		a := r.accounts[t.owner]
		if a == nil || a.status != billing.StatusActive {
			return team.ErrInvalidAccount
		}
		if a.balance < amount {
			return team.ErrInsufficientBalance // BILL-3
		}
		return nil
	}()
	_, err := r.svc.RecordUsage(r.ctx, team.RecordUsageParams{ActorID: actor, TeamID: teamID, Amount: amount, IdempotencyKey: key})
	r.expect(op, want, err, func() {
		if retry {
			return
		}
		r.accounts[r.byID[teamID].owner].balance -= amount
		if r.usage[teamID] == nil {
			r.usage[teamID] = map[string]mdlUsage{}
		}
		r.usage[teamID][key] = mdlUsage{user: actor, amount: amount}
	})
}

// billingAs mirrors billingLockTeamAs / billingMember.
func (r *mdlRun) billingAs(actor, teamID string, perm rbac.Permission) (*mdlTeam, error) {
	t, m := r.memberOf(teamID, actor)
	if t == nil || t.deleted || m == nil {
		return nil, team.ErrNotMember
	}
	if !r.role(m.role).Can(perm) {
		return nil, team.ErrPermissionDenied
	}
	return t, nil
}

func (r *mdlRun) topUp(actor, teamID string, amount int64) {
	op := fmt.Sprintf("TopUp(%s, %s, %d)", actor, teamID, amount)
	want := func() error {
		if !mdlValidID(actor) || !mdlValidID(teamID) {
			return team.ErrInvalidInput
		}
		if amount <= 0 {
			return team.ErrInvalidAmount
		}
		t, err := r.billingAs(actor, teamID, rbac.Billing)
		if err != nil {
			return err
		}
		a := r.accounts[t.owner]
		if a == nil {
			return team.ErrInvalidAccount
		}
		if a.balance > math.MaxInt64-amount {
			return team.ErrInvalidAmount
		}
		return nil
	}()
	got, err := r.svc.TopUp(r.ctx, team.TopUpParams{ActorID: actor, TeamID: teamID, Amount: amount})
	r.expect(op, want, err, func() {
		t := r.byID[teamID]
		a := r.accounts[t.owner]
		a.balance += amount // audited in the account's trail (BILL-8)
		if got.Balance != a.balance {
			r.failf("%s: balance %d, want %d", op, got.Balance, a.balance)
		}
	})
}

func (r *mdlRun) changePlan(actor, teamID string, plan billing.Plan) {
	op := fmt.Sprintf("ChangePlan(%s, %s, %s)", actor, teamID, plan)
	want := func() error {
		if !mdlValidID(actor) || !mdlValidID(teamID) || !plan.Valid() {
			return team.ErrInvalidInput
		}
		t, err := r.billingAs(actor, teamID, rbac.Billing)
		if err != nil {
			return err
		}
		if r.accounts[t.owner] == nil {
			return team.ErrInvalidAccount
		}
		return nil
	}()
	_, err := r.svc.ChangePlan(r.ctx, team.ChangePlanParams{ActorID: actor, TeamID: teamID, Plan: plan})
	r.expect(op, want, err, func() {
		t := r.byID[teamID]
		if a := r.accounts[t.owner]; a.plan != plan {
			a.plan = plan // audited in the account's trail (BILL-8)
		}
	})
}

func (r *mdlRun) billingAccount(actor, teamID string) {
	op := fmt.Sprintf("BillingAccount(%s, %s)", actor, teamID)
	want := func() error {
		if !mdlValidID(actor) || !mdlValidID(teamID) {
			return team.ErrInvalidInput
		}
		_, err := r.billingAs(actor, teamID, rbac.Billing)
		return err
	}()
	got, err := r.svc.BillingAccount(r.ctx, actor, teamID)
	r.expect(op, want, err, func() {
		t := r.byID[teamID]
		a := r.accounts[t.owner]
		if got.UserID != t.owner || got.Balance != a.balance || got.Plan != a.plan || got.Status != a.status {
			r.failf("%s: returned %+v, want owner %s's %+v (BILL-1)", op, got, t.owner, *a)
		}
	})
}

func (r *mdlRun) usageSummary(actor, teamID string) {
	from, to := time.Time{}, time.Time{}
	bad := r.pct(5)
	if bad {
		from, to = r.now, r.now.Add(-time.Hour)
	}
	op := fmt.Sprintf("UsageSummary(%s, %s, bad range %v)", actor, teamID, bad)
	want := func() error {
		if !mdlValidID(actor) || !mdlValidID(teamID) || bad {
			return team.ErrInvalidInput
		}
		_, err := r.billingAs(actor, teamID, rbac.ViewUsage)
		return err
	}()
	got, err := r.svc.UsageSummary(r.ctx, team.UsageSummaryParams{ActorID: actor, TeamID: teamID, From: from, To: to})
	r.expect(op, want, err, func() {
		var amount int64
		for _, u := range r.usage[teamID] {
			amount += u.amount
		}
		if got.Amount != amount || got.Records != len(r.usage[teamID]) {
			r.failf("%s: %d tokens in %d records, want %d in %d (BILL-5)", op, got.Amount, got.Records, amount, len(r.usage[teamID]))
		}
	})
}

func (r *mdlRun) setStatus(userID string, status billing.Status) {
	op := fmt.Sprintf("SetAccountStatus(%s, %s)", userID, status)
	want := func() error {
		if !mdlValidID(userID) || (status != billing.StatusActive && status != billing.StatusSuspended) {
			return team.ErrInvalidInput
		}
		if r.personal[userID] == nil || r.accounts[userID] == nil {
			return team.ErrInvalidAccount
		}
		return nil
	}()
	_, err := r.svc.SetAccountStatus(r.ctx, team.SetAccountStatusParams{ActorID: team.SystemActor, AccountUserID: userID, Status: status})
	r.expect(op, want, err, func() {
		if a := r.accounts[userID]; a.status != status {
			a.status = status // audited in the account's trail (BILL-8)
		}
	})
}

func (r *mdlRun) recordEvent(actor, teamID string) {
	action := audit.Action("doc.viewed")
	if r.pct(8) {
		action = audit.TeamDeleted // reserved for the library
	}
	op := fmt.Sprintf("RecordEvent(%s, %s, %s)", actor, teamID, action)
	want := func() error {
		if !mdlValidID(actor) || !mdlValidID(teamID) || action.Reserved() {
			return team.ErrInvalidInput
		}
		if t := r.byID[teamID]; t == nil || t.deleted {
			return team.ErrNotFound
		}
		return nil
	}()
	_, err := r.svc.RecordEvent(r.ctx, team.RecordEventParams{ActorID: actor, TeamID: teamID, Action: action, Target: "d1"})
	r.expect(op, want, err, func() { r.byID[teamID].events++ })
}

func (r *mdlRun) auditReads(actor, teamID string) {
	switch r.rng.IntN(3) {
	case 0:
		q := audit.Query{Limit: audit.MaxLimit}
		if r.pct(5) {
			q.Limit = -1
		}
		op := fmt.Sprintf("AuditLog(%s, %s, limit %d)", actor, teamID, q.Limit)
		want := func() error {
			if !mdlValidID(actor) || !mdlValidID(teamID) || q.Limit < 0 {
				return team.ErrInvalidInput
			}
			_, m := r.memberOf(teamID, actor)
			if m == nil {
				return team.ErrNotMember
			}
			if !r.role(m.role).Can(rbac.ViewAudit) {
				return team.ErrPermissionDenied // AUD-3
			}
			return nil
		}()
		got, err := r.svc.AuditLog(r.ctx, team.AuditLogParams{ActorID: actor, TeamID: teamID, Query: q})
		r.expect(op, want, err, func() {
			if len(got.Events) != r.byID[teamID].events {
				r.failf("%s: %d events, want %d (AUD-1)", op, len(got.Events), r.byID[teamID].events)
			}
		})
	case 1:
		op := fmt.Sprintf("HostAuditLog(%s)", teamID)
		want := func() error {
			if !mdlValidID(teamID) {
				return team.ErrInvalidInput
			}
			if r.byID[teamID] == nil {
				return team.ErrNotFound
			}
			return nil
		}()
		got, err := r.svc.HostAuditLog(r.ctx, teamID, audit.Query{Limit: audit.MaxLimit})
		r.expect(op, want, err, func() {
			if len(got.Events) != r.byID[teamID].events {
				r.failf("%s: %d events, want %d (DEL-3)", op, len(got.Events), r.byID[teamID].events)
			}
		})
	default:
		op := fmt.Sprintf("VerifyAuditChain(%s)", teamID)
		want := func() error {
			if !mdlValidID(teamID) {
				return team.ErrInvalidInput
			}
			if r.byID[teamID] == nil {
				return team.ErrNotFound
			}
			return nil
		}()
		r.expect(op, want, r.svc.VerifyAuditChain(r.ctx, teamID), nil)
	}
}

// compare checks the whole stored state against the model.
func (r *mdlRun) compare() {
	snap := r.st.Snapshot()
	if len(snap.Teams) != len(r.teams) {
		r.failf("state: %d teams stored, model has %d", len(snap.Teams), len(r.teams))
	}
	for _, st := range snap.Teams {
		t := r.byID[st.ID]
		if t == nil {
			r.failf("state: team %s stored, unknown to the model", st.ID)
		}
		if st.Kind != t.kind || st.Name != t.name || st.OwnerID != t.owner || st.Deleted() != t.deleted {
			r.failf("state: team %s is %s %q owner %s deleted %v; model: %s %q owner %s deleted %v",
				st.ID, st.Kind, st.Name, st.OwnerID, st.Deleted(), t.kind, t.name, t.owner, t.deleted)
		}
		if n := len(snap.AuditEvents[st.ID]); n != t.events {
			r.failf("state: team %s has %d audit events, model %d (AUD-1)", st.ID, n, t.events)
		}
	}
	members := 0
	for _, t := range r.teams {
		members += len(t.members)
	}
	if len(snap.Members) != members {
		r.failf("state: %d memberships stored, model has %d", len(snap.Members), members)
	}
	for _, m := range snap.Members {
		w := r.byID[m.TeamID].members[m.UserID]
		if w == nil || w.role != m.Role || w.epoch != m.Epoch || w.email != m.Email {
			r.failf("state: membership %+v; model %+v", m, w)
		}
	}
	live := 0
	for _, inv := range r.invs {
		if !inv.gone {
			live++
		}
	}
	if len(snap.Invitations) != live {
		r.failf("state: %d invitations stored, model has %d", len(snap.Invitations), live)
	}
	for _, si := range snap.Invitations {
		w := r.invByID[si.ID]
		if w == nil || w.gone || si.TeamID != w.teamID || si.Email != w.email || si.Role != w.role || si.InviterID != w.inviter || si.Status != w.status || !si.ExpiresAt.Equal(w.expires) {
			r.failf("state: invitation %+v; model %+v", si, w)
		}
		if w.token != "" && si.TokenHash != mdlHash(w.token) {
			r.failf("state: invitation %s does not hold the hash of its newest token (INV-4)", si.ID)
		}
	}
	if len(snap.Accounts) != len(r.accounts) {
		r.failf("state: %d accounts stored, model has %d", len(snap.Accounts), len(r.accounts))
	}
	for _, a := range snap.Accounts {
		w := r.accounts[a.UserID]
		if w == nil || a.Plan != w.plan || a.Status != w.status || a.Balance != w.balance {
			r.failf("state: account %+v; model %+v", a, w)
		}
	}
	n := 0
	for _, u := range snap.Usage {
		w, ok := r.usage[u.TeamID][u.IdempotencyKey]
		if !ok || w.user != u.UserID || w.amount != u.Amount {
			r.failf("state: usage record %+v; model %+v", u, w)
		}
		n++
	}
	want := 0
	for _, m := range r.usage {
		want += len(m)
	}
	if n != want {
		r.failf("state: %d usage records, model %d (BILL-4)", n, want)
	}
}

func mdlHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
