package team_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// Rule RES-1, RES-3: Authorize allocates nothing on any outcome (allowed,
// denied by role, denied by scope, not a member, no such team), with the
// membership index and in strict mode, and its refusals still match their
// sentinels and say what to do.
func TestRES1_AuthorizeDoesNotAllocateOnAnyOutcome(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []team.Option
	}{{"index", nil}, {"strict", []team.Option{team.WithStrictAuthorization()}}} {
		t.Run(mode.name, func(t *testing.T) {
			e := newEnv(t, mode.opts...)
			ana, max, vic := user("ana"), user("max"), user("vic")
			tm := e.teamOf(ana, "A")
			e.join(ana.ID, tm, max, rbac.RoleMember)
			e.join(ana.ID, tm, vic, rbac.RoleViewer)
			theirs := team.Resource{Type: "doc", ID: "d1", CreatorID: ana.ID}
			for _, c := range []struct {
				name         string
				user, teamID string
				action       rbac.Action
				want         error
				says         string
			}{
				{"allowed", max.ID, tm.ID, rbac.Use, nil, ""},
				{"denied by role", vic.ID, tm.ID, rbac.Use, team.ErrPermissionDenied, `role "viewer" may not use resources; ask`},
				{"denied by scope", max.ID, tm.ID, rbac.Edit, team.ErrPermissionDenied, `role "member" may edit only resources the user created; ask`},
				{"not a member", "user-stranger", tm.ID, rbac.View, team.ErrNotMember, "ask a team admin for an invitation"},
				{"no such team", max.ID, "team-none", rbac.View, team.ErrNotMember, "ask a team admin for an invitation"},
			} {
				err := e.svc.Authorize(e.ctx, c.user, c.teamID, c.action, theirs)
				if c.want == nil {
					require.NoError(t, err, c.name)
				} else {
					requireRefused(t, err, c.want)
					require.Contains(t, err.Error(), c.says, c.name)
					require.Equal(t, team.Code(c.want), team.Code(err), c.name)
				}
				allocs := testing.AllocsPerRun(100, func() {
					if got := e.svc.Authorize(e.ctx, c.user, c.teamID, c.action, theirs); !errors.Is(got, c.want) && (got != nil || c.want != nil) {
						t.Fatalf("%s: %v", c.name, got)
					}
				})
				require.Zero(t, allocs, c.name)
			}
		})
	}
}

// Rule RES-3, ROLE-5 (removal takes effect immediately): with the index warm,
// a removal, a role change or a re-join committed through the same Store
// is seen by the very next check, whoever committed it: this service,
// another service over the same store, or the host writing to the store
// directly.
func TestRES3_IndexSeesEveryCommitAtOnce(t *testing.T) {
	e := newEnv(t)
	other, err := team.New(e.st)
	require.NoError(t, err)
	defer other.Close()
	ana, max := user("ana"), user("max")
	tm := e.teamOf(ana, "A")
	e.join(ana.ID, tm, max, rbac.RoleAdmin)
	res := team.Resource{Type: "doc", ID: "d1", CreatorID: ana.ID}
	warm := func() {
		t.Helper()
		for _, svc := range []*team.Service{e.svc, other} {
			for range 3 {
				require.NoError(t, svc.Authorize(e.ctx, max.ID, tm.ID, rbac.Delete, res))
			}
		}
	}

	warm()
	_, err = e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID, Role: rbac.RoleViewer})
	require.NoError(t, err)
	for _, svc := range []*team.Service{e.svc, other} {
		requireRefused(t, svc.Authorize(e.ctx, max.ID, tm.ID, rbac.Delete, res), team.ErrPermissionDenied)
		p, err := svc.Permissions(e.ctx, max.ID, tm.ID)
		require.NoError(t, err)
		require.Equal(t, rbac.RoleViewer, p.Role)
		m, err := e.member(tm.ID, max.ID)
		require.NoError(t, err)
		ep, err := svc.SessionEpoch(e.ctx, max.ID, tm.ID)
		require.NoError(t, err)
		require.Equal(t, m.Epoch, ep, "ROLE-5: the index serves the new epoch")
		require.Equal(t, m.Epoch, p.Epoch)
	}

	// The host writes to the store directly: the index follows.
	require.NoError(t, e.st.InTx(e.ctx, func(ctx context.Context, tx team.Tx) error {
		if _, err := tx.LockTeam(ctx, tm.ID); err != nil {
			return err
		}
		m, err := tx.Member(ctx, tm.ID, max.ID)
		if err != nil {
			return err
		}
		m.Role, m.Epoch = rbac.RoleAdmin, m.Epoch+1
		return tx.UpdateMember(ctx, m)
	}))
	warm()

	// The other service removes max; this one refuses him at once.
	require.NoError(t, other.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: ana.ID, TeamID: tm.ID, UserID: max.ID}))
	for _, svc := range []*team.Service{e.svc, other} {
		requireRefused(t, svc.Authorize(e.ctx, max.ID, tm.ID, rbac.View, res), team.ErrNotMember)
		_, err := svc.SessionEpoch(e.ctx, max.ID, tm.ID)
		requireRefused(t, err, team.ErrNotMember)
	}

	// Not being a member is cached too, and forgotten when he joins again.
	e.join(ana.ID, tm, max, rbac.RoleMember)
	for _, svc := range []*team.Service{e.svc, other} {
		require.NoError(t, svc.Authorize(e.ctx, max.ID, tm.ID, rbac.View, res))
	}

	// Deleting the team removes every membership at once.
	require.NoError(t, e.svc.DeleteTeam(e.ctx, ana.ID, tm.ID))
	for _, svc := range []*team.Service{e.svc, other} {
		for _, u := range []string{ana.ID, max.ID} {
			requireRefused(t, svc.Authorize(e.ctx, u, tm.ID, rbac.View, res), team.ErrNotMember)
			_, err := svc.Permissions(e.ctx, u, tm.ID)
			requireRefused(t, err, team.ErrNotMember)
		}
	}
}

// memberCountingStore counts Member reads and hides the memory store's
// ChangeNotifier unless notify is set, in which case it stands in for it.
type memberCountingStore struct {
	*store.Memory
	members atomic.Int64
}

func (c *memberCountingStore) Member(ctx context.Context, teamID, userID string) (team.Member, error) {
	c.members.Add(1)
	return c.Memory.Member(ctx, teamID, userID)
}

// plainStore is a team.Store and nothing more.
type plainStore struct{ team.Store }

// notifyingStore is a store whose ChangeNotifier the test drives.
type notifyingStore struct {
	team.Store
	mu sync.Mutex
	w  team.MemberWatcher
}

func (n *notifyingStore) WatchMembers(w team.MemberWatcher) func() {
	n.mu.Lock()
	n.w = w
	n.mu.Unlock()
	return func() {}
}

// Rule RES-1, RES-3: over a Store without ChangeNotifier, and in strict
// mode, every check reads the store; with the index, a warm check reads
// nothing.
func TestRES1_IndexOnlyOverNotifyingStores(t *testing.T) {
	ctx := context.Background()
	cs := &memberCountingStore{Memory: store.NewMemory()}
	mix := loadSmallMix(t, cs)
	for _, c := range []struct {
		name   string
		st     team.Store
		opts   []team.Option
		cached bool
	}{
		{"notifier", cs, nil, true},
		{"notifier strict", cs, []team.Option{team.WithStrictAuthorization()}, false},
		{"notifier cache off", cs, []team.Option{team.WithMembershipCache(0)}, false},
		{"no notifier", plainStore{cs}, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			svc, err := team.New(c.st, c.opts...)
			require.NoError(t, err)
			defer svc.Close()
			require.NoError(t, mix.Check(ctx, svc))
			before := cs.members.Load()
			require.NoError(t, mix.Check(ctx, svc))
			reads := cs.members.Load() - before
			if c.cached {
				require.Zero(t, reads, "a warm index reads nothing")
			} else {
				require.Equal(t, int64(len(mix.Requests)), reads, "every check reads the store")
			}
		})
	}
	_, err := team.New(cs, team.WithMembershipCache(-1))
	requireRefused(t, err, team.ErrInvalidInput)
}

// Rule RES-3: the index answers nothing before its store's first
// MembersStale(true), nor while the store says it cannot report changes
// (a lost connection), and it forgets everything before it answers again.
func TestRES3_IndexBypassedWhileStoreCannotReport(t *testing.T) {
	ctx := context.Background()
	cs := &memberCountingStore{Memory: store.NewMemory()}
	ns := &notifyingStore{Store: cs}
	mix := loadSmallMix(t, cs)
	svc, err := team.New(ns)
	require.NoError(t, err)
	reads := func() int64 {
		before := cs.members.Load()
		require.NoError(t, mix.Check(ctx, svc))
		return cs.members.Load() - before
	}
	all := int64(len(mix.Requests))
	require.Equal(t, all, reads(), "not trusted before MembersStale(true)")
	require.Equal(t, all, reads())
	ns.w.MembersStale(true)
	reads()
	require.Zero(t, reads(), "warm")
	ns.w.MembersStale(false)
	require.Equal(t, all, reads(), "bypassed while the store cannot report")

	// A change the store could not report, made while it was down, is seen.
	req := mix.Requests[0]
	require.NoError(t, cs.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		if _, err := tx.LockTeam(ctx, req.TeamID); err != nil {
			return err
		}
		return tx.DeleteMember(ctx, req.TeamID, req.UserID)
	}))
	requireRefused(t, svc.Authorize(ctx, req.UserID, req.TeamID, req.Action, req.Resource), team.ErrNotMember)
	ns.w.MembersStale(true)
	requireRefused(t, svc.Authorize(ctx, req.UserID, req.TeamID, req.Action, req.Resource), team.ErrNotMember)

	// A reported change is forgotten; an unreported one would not be (the
	// store's part of the contract).
	ns.w.MemberChanged(req.TeamID, req.UserID)
	require.NoError(t, svc.Close())
	require.Equal(t, int64(1), func() int64 {
		before := cs.members.Load()
		_ = svc.Authorize(ctx, req.UserID, req.TeamID, req.Action, req.Resource)
		return cs.members.Load() - before
	}(), "a closed service reads the store")
}

// Rule RES-3, ROLE-5: concurrent checks never put back a membership that a
// commit removed: after each commit that adds or removes a member, the next
// check agrees with the store, however many checks raced with the commit.
func TestRES3_IndexFillsNeverResurrectRemovedMembers(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	svc, err := team.New(st, team.WithMembershipCache(64))
	require.NoError(t, err)
	tm := team.Team{ID: "team-race", Kind: team.Collaboration, Name: "R", OwnerID: "user-o", CreatedAt: t0, UpdatedAt: t0}
	require.NoError(t, st.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		if err := tx.InsertTeam(ctx, tm); err != nil {
			return err
		}
		return tx.InsertMember(ctx, team.Member{TeamID: tm.ID, UserID: "user-o", Role: rbac.RoleOwner, JoinedAt: t0, Epoch: 1})
	}))
	users := make([]string, 16)
	for i := range users {
		users[i] = "user-" + strconv.Itoa(i)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_ = svc.Authorize(ctx, users[i%len(users)], tm.ID, rbac.View, team.Resource{})
			}
		}()
	}
	member := map[string]bool{}
	rounds := 2000
	if testing.Short() {
		rounds = 300
	}
	for i := range rounds {
		u := users[i%len(users)]
		require.NoError(t, st.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
			if _, err := tx.LockTeam(ctx, tm.ID); err != nil {
				return err
			}
			if member[u] {
				return tx.DeleteMember(ctx, tm.ID, u)
			}
			return tx.InsertMember(ctx, team.Member{TeamID: tm.ID, UserID: u, Role: rbac.RoleViewer, JoinedAt: t0, Epoch: uint64(i + 1)})
		}))
		member[u] = !member[u]
		err := svc.Authorize(ctx, u, tm.ID, rbac.View, team.Resource{})
		if member[u] {
			require.NoError(t, err, "round %d", i)
		} else {
			require.ErrorIs(t, err, team.ErrNotMember, "round %d", i)
		}
	}
	close(stop)
	wg.Wait()
}

// loadSmallMix loads a small realistic mix into st.
func loadSmallMix(t *testing.T, st team.Store) *storetest.AuthMix {
	t.Helper()
	mix, err := storetest.LoadAuthMix(context.Background(), st, storetest.AuthMixOptions{Teams: 20, Users: 400, Requests: 256})
	require.NoError(t, err)
	return mix
}
