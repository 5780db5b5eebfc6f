package storetest

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// AuthMixOptions shapes the realistic Authorize workload of LoadAuthMix.
// Zero fields take the defaults named.
type AuthMixOptions struct {
	Teams          int // teams (default 1000)
	MembersPerTeam int // members of each team (default 50)
	Users          int // users the members are drawn from (default 20,000)
	Requests       int // requests, a power of two (default 4096)
	// Prefix starts every team and user ID, so that several loads can share
	// a database (default "mix").
	Prefix string
	// Seed seeds the choices (default 1).
	Seed uint64
}

// AuthRequest is one Authorize call of the mix and the decision a plain map
// of memberships gives for it.
type AuthRequest struct {
	TeamID, UserID string
	Action         rbac.Action
	Resource       team.Resource
	// Want is nil, team.ErrPermissionDenied or team.ErrNotMember.
	Want error
}

// AuthMix is a loaded workload: the requests, and the same memberships as a
// bare map[team]map[user]role, the baseline Authorize is measured against.
type AuthMix struct {
	Requests []AuthRequest
	Bare     map[string]map[string]rbac.Role
	Denied   float64 // the share of requests refused (not a member included)
}

// LoadAuthMix loads the Standard-policy memberships of the realistic mix
// into st (one unit of work per team) and builds the requests: 90% from
// real members, every action, the resource's creator the caller half of
// the time. Per team one owner, 11 admins, 25 members and 13 viewers, so
// about 38% of all requests are refused.
func LoadAuthMix(ctx context.Context, st team.Store, o AuthMixOptions) (*AuthMix, error) {
	o = o.withDefaults()
	policy := rbac.Standard()
	users := make([]string, o.Users)
	for i := range users {
		users[i] = o.Prefix + "-u" + strconv.Itoa(i)
	}
	rng := mrand.New(mrand.NewPCG(o.Seed, 7))
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	mix := &AuthMix{Bare: make(map[string]map[string]rbac.Role, o.Teams)}
	teamIDs := make([]string, o.Teams)
	members := make([][]string, o.Teams)
	for i := range o.Teams {
		id := o.Prefix + "-t" + strconv.Itoa(i)
		teamIDs[i] = id
		picked := make(map[string]rbac.Role, o.MembersPerTeam)
		for len(members[i]) < o.MembersPerTeam {
			u := users[rng.IntN(len(users))]
			if _, ok := picked[u]; ok {
				continue
			}
			name := mixRole(len(members[i]))
			r, err := policy.Role(name)
			if err != nil {
				return nil, err
			}
			picked[u] = r
			members[i] = append(members[i], u)
		}
		mix.Bare[id] = picked
		err := st.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
			if err := tx.InsertTeam(ctx, team.Team{ID: id, Kind: team.Collaboration, Name: "Mix", OwnerID: members[i][0], CreatedAt: at, UpdatedAt: at}); err != nil {
				return err
			}
			for _, u := range members[i] {
				m := team.Member{TeamID: id, UserID: u, Email: u + "@mix.example", Role: picked[u].Name, JoinedAt: at, Epoch: 1}
				if err := tx.InsertMember(ctx, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("storetest: loading team %s of the mix: %w", id, err)
		}
	}
	denied := 0
	for range o.Requests {
		t := rng.IntN(o.Teams)
		var u string
		if rng.IntN(10) < 9 {
			u = members[t][rng.IntN(len(members[t]))]
		} else {
			for u == "" || mix.Bare[teamIDs[t]][u].Name != "" {
				u = users[rng.IntN(len(users))]
			}
		}
		req := AuthRequest{TeamID: teamIDs[t], UserID: u, Action: rbac.View + rbac.Action(rng.IntN(5))}
		req.Resource = team.Resource{Type: "agent", ID: "agent-" + strconv.Itoa(rng.IntN(1000)), CreatorID: users[rng.IntN(len(users))]}
		if rng.IntN(2) == 0 {
			req.Resource.CreatorID = u
		}
		req.Want = mix.bare(req)
		if req.Want != nil {
			denied++
		}
		mix.Requests = append(mix.Requests, req)
	}
	mix.Denied = float64(denied) / float64(len(mix.Requests))
	return mix, nil
}

// mixRole is the role of a team's k-th member.
func mixRole(k int) string {
	switch {
	case k == 0:
		return rbac.RoleOwner
	case k <= 11:
		return rbac.RoleAdmin
	case k <= 36:
		return rbac.RoleMember
	default:
		return rbac.RoleViewer
	}
}

func (o AuthMixOptions) withDefaults() AuthMixOptions {
	if o.Teams == 0 {
		o.Teams = 1000
	}
	if o.MembersPerTeam == 0 {
		o.MembersPerTeam = 50
	}
	if o.Users == 0 {
		o.Users = 20_000
	}
	if o.Requests == 0 {
		o.Requests = 4096
	}
	if o.Prefix == "" {
		o.Prefix = "mix"
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

// bare decides req from the bare map.
func (mix *AuthMix) bare(req AuthRequest) error {
	r, ok := mix.Bare[req.TeamID][req.UserID]
	if !ok {
		return team.ErrNotMember
	}
	if !r.CanAct(req.Action, req.UserID, req.Resource.CreatorID) {
		return team.ErrPermissionDenied
	}
	return nil
}

// Check runs every request through svc.Authorize and returns an error when
// a decision differs from the bare map's.
func (mix *AuthMix) Check(ctx context.Context, svc *team.Service) error {
	for _, req := range mix.Requests {
		err := svc.Authorize(ctx, req.UserID, req.TeamID, req.Action, req.Resource)
		if (err == nil) != (req.Want == nil) || (req.Want != nil && !errors.Is(err, req.Want)) {
			return fmt.Errorf("storetest: Authorize(%s, %s, %s) = %v, the bare map says %v", req.UserID, req.TeamID, req.Action, err, req.Want)
		}
	}
	return nil
}

// Bench runs the mix's sub-benchmarks: "bare-map" (the baseline, a lookup
// in the bare map and the role's decision), "authorize" (svc.Authorize),
// and both again under b.RunParallel. Each reports ns per check and the
// share of refusals. svc must agree with the bare map (see Check).
func (mix *AuthMix) Bench(b *testing.B, svc *team.Service) {
	ctx := context.Background()
	reqs := mix.Requests
	mask := len(reqs) - 1
	if len(reqs)&mask != 0 {
		b.Fatalf("storetest: %d requests is not a power of two", len(reqs))
	}
	bare := func(req *AuthRequest) bool {
		r, ok := mix.Bare[req.TeamID][req.UserID]
		return ok && r.CanAct(req.Action, req.UserID, req.Resource.CreatorID)
	}
	auth := func(req *AuthRequest) bool {
		return svc.Authorize(ctx, req.UserID, req.TeamID, req.Action, req.Resource) == nil
	}
	for _, c := range []struct {
		name string
		fn   func(*AuthRequest) bool
	}{{"bare-map", bare}, {"authorize", auth}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			allowed, i := 0, 0
			for b.Loop() {
				if c.fn(&reqs[i&mask]) {
					allowed++
				}
				i++
			}
			b.ReportMetric(1-float64(allowed)/float64(max(i, 1)), "denied/op")
		})
		b.Run(c.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := mrand.IntN(len(reqs))
				for pb.Next() {
					c.fn(&reqs[i&mask])
					i++
				}
			})
		})
	}
}
