package team_test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

const (
	benchMembersPerTeam = 50
	benchUserPool       = 10_000 // users spread over the teams, so per-user indexes stay small
	benchPairs          = 1 << 16
)

// authFixture is a loaded store and the (team, user) pairs to ask about.
type authFixture struct {
	svc   *team.Service
	pairs []authPair
}

type authPair struct{ teamID, userID string }

var (
	authFixtures   = map[int]*authFixture{}
	authFixturesMu sync.Mutex
	authOnce       = map[int]*sync.Once{1_000: {}, 100_000: {}}
)

// loadAuthFixture builds, once per size, a memory store holding teams teams
// of 50 members each, loaded directly through the store (one unit of work
// per team), and a random spread of member lookups.
func loadAuthFixture(b *testing.B, teams int) *authFixture {
	authOnce[teams].Do(func() {
		ctx := context.Background()
		st := store.NewMemory()
		users := make([]string, benchUserPool)
		for i := range users {
			users[i] = "u" + strconv.FormatInt(int64(i), 36)
		}
		roles := []string{rbac.RoleAdmin, rbac.RoleMember, rbac.RoleMember, rbac.RoleViewer}
		teamIDs := make([]string, teams)
		for i := range teams {
			id := "t" + strconv.FormatInt(int64(i), 36)
			teamIDs[i] = id
			err := st.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
				first := users[(i*benchMembersPerTeam)%benchUserPool]
				if err := tx.InsertTeam(ctx, team.Team{ID: id, Kind: team.Collaboration, Name: "T", OwnerID: first, CreatedAt: t0, UpdatedAt: t0}); err != nil {
					return err
				}
				for k := range benchMembersPerTeam {
					role := roles[k%len(roles)]
					if k == 0 {
						role = rbac.RoleOwner
					}
					u := users[(i*benchMembersPerTeam+k)%benchUserPool]
					if err := tx.InsertMember(ctx, team.Member{TeamID: id, UserID: u, Role: role, JoinedAt: t0}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		svc, err := team.New(st)
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, uint64(teams)))
		pairs := make([]authPair, benchPairs)
		for i := range pairs {
			t := rng.IntN(teams)
			k := rng.IntN(benchMembersPerTeam)
			pairs[i] = authPair{teamIDs[t], users[(t*benchMembersPerTeam+k)%benchUserPool]}
		}
		authFixturesMu.Lock()
		authFixtures[teams] = &authFixture{svc: svc, pairs: pairs}
		authFixturesMu.Unlock()
	})
	authFixturesMu.Lock()
	defer authFixturesMu.Unlock()
	return authFixtures[teams]
}

// BenchmarkAuthorize measures the hot path (RES-1): a member lookup and a
// role decision, spread over many teams. Target: 0 allocs/op, <= 50 ns/op
// at 1k teams and <= 100 ns/op at 100k teams (5M memberships).
func BenchmarkAuthorize(b *testing.B) {
	for _, size := range []struct {
		name  string
		teams int
	}{{"teams=1k", 1_000}, {"teams=100k", 100_000}} {
		b.Run(size.name, func(b *testing.B) {
			f := loadAuthFixture(b, size.teams)
			ctx := context.Background()
			res := team.Resource{Type: "agent", ID: "a1", CreatorID: "u0"}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := f.pairs[i&(benchPairs-1)]
				if err := f.svc.Authorize(ctx, p.userID, p.teamID, rbac.View, res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// fixedStore answers Member with one membership and nothing else, so that
// BenchmarkAuthorizeServiceOnly measures the service's own share of the
// hot path, without the store's lookup.
type fixedStore struct {
	team.Store
	m team.Member
}

func (f fixedStore) Member(context.Context, string, string) (team.Member, error) { return f.m, nil }

// BenchmarkAuthorizeServiceOnly measures Authorize over a store whose Member
// costs nothing: input checks, the role lookup and the decision.
func BenchmarkAuthorizeServiceOnly(b *testing.B) {
	svc, err := team.New(fixedStore{m: team.Member{TeamID: "t1", UserID: "u1", Role: rbac.RoleViewer}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	res := team.Resource{Type: "agent", ID: "a1", CreatorID: "u0"}
	b.ReportAllocs()
	for b.Loop() {
		if err := svc.Authorize(ctx, "u1", "t1", rbac.View, res); err != nil {
			b.Fatal(err)
		}
	}
}

var (
	mixOnce  sync.Once
	mixStore *store.Memory
	mixLoad  *storetest.AuthMix
	mixErr   error
)

// BenchmarkAuthorizeMix measures Authorize on the realistic mix (RES-1,
// RES-3): 1000 teams × 50 members from 20,000 users, 4096 requests, 90%
// from real members, every action, the caller the resource's creator half
// of the time, about 38% refused. Each variant runs next to the bare
// map[team]map[user]role baseline on the same requests, single-threaded
// and under b.RunParallel. "index" answers from the membership index
// (warmed by one pass), "strict" reads the store on every check. Targets:
// index ≤ 1.5× bare-map, 0 allocs/op on every outcome; parallel ≥ 1.7×
// single-core throughput.
func BenchmarkAuthorizeMix(b *testing.B) {
	ctx := context.Background()
	mixOnce.Do(func() {
		mixStore = store.NewMemory()
		mixLoad, mixErr = storetest.LoadAuthMix(ctx, mixStore, storetest.AuthMixOptions{})
	})
	if mixErr != nil {
		b.Fatal(mixErr)
	}
	for _, v := range []struct {
		name string
		opts []team.Option
	}{{"index", nil}, {"strict", []team.Option{team.WithStrictAuthorization()}}} {
		b.Run(v.name, func(b *testing.B) {
			svc, err := team.New(mixStore, v.opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer svc.Close()
			if err := mixLoad.Check(ctx, svc); err != nil { // and warms the index
				b.Fatal(err)
			}
			mixLoad.Bench(b, svc)
		})
	}
}
