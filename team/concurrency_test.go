package team_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// Rule SEC-3 (INV-3): 200 concurrent invitations into a team of 50 seats,
// the owner holding one, grant exactly the 49 free seats.
func TestSEC3_ConcurrentInvitesNeverExceedSeats(t *testing.T) {
	e := newEnv(t) // default: 50 seats
	ana := user("ana")
	tm := e.teamOf(ana, "Agency")

	errs := concurrently(200, func(i int) error {
		_, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: fmt.Sprintf("guest%03d@example.com", i)})
		return err
	})
	granted := countOK(t, errs, team.ErrSeatLimit)
	require.Equal(t, team.DefaultSeatLimit-1, granted)
	pending, err := e.st.Invitations(e.ctx, tm.ID, team.InvitationPending)
	require.NoError(t, err)
	require.Len(t, pending, granted)
	require.Equal(t, granted, e.out.count())
}

// Rule SEC-3 (ROLE-1): racing transfers, leaves and removals leave exactly
// one owner, who is the team's OwnerID.
func TestSEC3_ConcurrentOwnershipChangesKeepOneOwner(t *testing.T) {
	e := newEnv(t)
	owner := user("owner")
	tm := e.teamOf(owner, "Agency")
	users := []team.User{owner}
	for i := range 8 {
		u := user(fmt.Sprintf("m%d", i))
		role := rbac.RoleMember
		if i%2 == 0 {
			role = rbac.RoleAdmin
		}
		e.join(owner.ID, tm, u, role)
		e.entitle(u) // may receive ownership (OWN-5)
		users = append(users, u)
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	unexpected := []error{}
	for round := range 3 {
		for i, actor := range users {
			target := users[(i+round+1)%len(users)]
			calls := []func() error{
				func() error { return e.svc.TransferOwnership(e.ctx, transferTo(actor.ID, tm.ID, target)) },
				func() error { return e.svc.Leave(e.ctx, actor.ID, tm.ID) },
				func() error {
					return e.svc.RemoveMember(e.ctx, team.RemoveMemberParams{ActorID: actor.ID, TeamID: tm.ID, UserID: target.ID})
				},
				func() error {
					_, err := e.svc.ChangeRole(e.ctx, team.ChangeRoleParams{ActorID: actor.ID, TeamID: tm.ID, UserID: target.ID, Role: rbac.RoleAdmin})
					return err
				},
			}
			for _, call := range calls {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := call()
					if err != nil && !errors.Is(err, team.ErrPermissionDenied) && !errors.Is(err, team.ErrNotMember) &&
						!errors.Is(err, team.ErrOwnerCannotLeave) && !errors.Is(err, team.ErrInvalidInput) {
						mu.Lock()
						unexpected = append(unexpected, err)
						mu.Unlock()
					}
				}()
			}
		}
	}
	wg.Wait()
	require.Empty(t, unexpected)

	owners := e.ownersOf(tm.ID)
	require.Len(t, owners, 1)
	got, err := e.st.Team(e.ctx, tm.ID)
	require.NoError(t, err)
	require.Equal(t, owners[0].UserID, got.OwnerID)
	e.actions(tm.ID) // the audit chain verifies
}

// Rule SEC-3 (INV-5): concurrent accepts of one invitation create one
// membership.
func TestSEC3_ConcurrentAcceptsCreateOneMembership(t *testing.T) {
	e := newEnv(t)
	ana, zoe := user("ana"), user("zoe")
	tm := e.teamOf(ana, "Agency")
	e.register(zoe)
	inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: zoe.Email})
	require.NoError(t, err)
	tok := e.out.token(t, inv.Invitation.ID)

	errs := concurrently(50, func(int) error {
		_, err := e.svc.AcceptInvitation(e.ctx, zoe, tok)
		return err
	})
	require.Equal(t, 1, countOK(t, errs, team.ErrInvitationUsed))
	ms, err := e.st.Members(e.ctx, tm.ID)
	require.NoError(t, err)
	require.Len(t, ms, 2)
}

// Rule TEAM-1 and SEC-3: concurrent EnsurePersonalTeam calls for one user
// return one team and create one account.
func TestTEAM1_ConcurrentEnsurePersonalTeamReturnsOneTeam(t *testing.T) {
	e := newEnv(t)
	ana := user("ana")
	const n = 50
	teams := make([]team.Team, n)
	errs := concurrently(n, func(i int) (err error) {
		teams[i], err = e.svc.EnsurePersonalTeam(e.ctx, ana)
		return err
	})
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, teams[0], teams[i])
	}
	snap := e.st.Snapshot()
	require.Len(t, snap.Teams, 1)
	require.Len(t, snap.Accounts, 1)
	require.Len(t, snap.AuditEvents[teams[0].ID], 1)
}

// Rule TEAM-1: when a concurrent call inserts the personal team first (the
// store reports ErrConflict, as PostgreSQL does), EnsurePersonalTeam returns
// the team the other call created.
func TestTEAM1_EnsurePersonalTeamRetriesAfterConflict(t *testing.T) {
	ctrl := gomock.NewController(t)
	st := NewMockStore(ctrl)
	tx := NewMockTx(ctrl)
	ana := user("ana")
	theirs := team.Team{ID: "their-team", Kind: team.Personal, Name: "Ana", OwnerID: ana.ID}
	acct := billing.Account{ID: "acct", UserID: ana.ID, Plan: billing.PlanFree, Status: billing.StatusActive}

	gomock.InOrder(
		st.EXPECT().PersonalTeam(gomock.Any(), ana.ID).Return(team.Team{}, team.ErrNotFound),
		// First unit: the insert loses the race.
		st.EXPECT().InTx(gomock.Any(), gomock.Any()).DoAndReturn(func(ctx context.Context, fn func(context.Context, team.Tx) error) error {
			return fn(ctx, tx)
		}),
		// Second unit: the other call's team is there.
		st.EXPECT().InTx(gomock.Any(), gomock.Any()).DoAndReturn(func(ctx context.Context, fn func(context.Context, team.Tx) error) error {
			return fn(ctx, tx)
		}),
	)
	gomock.InOrder(
		tx.EXPECT().Account(gomock.Any(), ana.ID).Return(billing.Account{}, team.ErrNotFound),
		tx.EXPECT().InsertAccount(gomock.Any(), gomock.Any()).Return(nil),
		tx.EXPECT().PersonalTeam(gomock.Any(), ana.ID).Return(team.Team{}, team.ErrNotFound),
		tx.EXPECT().InsertTeam(gomock.Any(), gomock.Any()).Return(fmt.Errorf("duplicate personal team: %w", team.ErrConflict)),
		tx.EXPECT().Account(gomock.Any(), ana.ID).Return(acct, nil),
		tx.EXPECT().PersonalTeam(gomock.Any(), ana.ID).Return(theirs, nil),
	)
	svc, err := team.New(st, team.WithIDs(seqIDs("id-")))
	require.NoError(t, err)
	got, err := svc.EnsurePersonalTeam(context.Background(), ana)
	require.NoError(t, err)
	require.Equal(t, theirs, got)
}

// concurrently runs call(0) to call(n-1) at once and returns their errors,
// by i.
func concurrently(n int, call func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = call(i) })
	}
	wg.Wait()
	return errs
}

// countOK returns how many of errs are nil and requires every other one to
// match refused.
func countOK(t *testing.T, errs []error, refused error) int {
	t.Helper()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		require.ErrorIs(t, err, refused)
	}
	return ok
}

// racingStore runs hook once, right after the committed token lookup of
// AcceptInvitation and before its unit of work.
type racingStore struct {
	*store.Memory
	hook func()
}

func (r *racingStore) InvitationByTokenHash(ctx context.Context, hash string) (team.Invitation, error) {
	inv, err := r.Memory.InvitationByTokenHash(ctx, hash)
	if h := r.hook; h != nil {
		r.hook = nil
		h()
	}
	return inv, err
}

// Rule INV-6: a link re-sent while it is being accepted is dead: the unit of
// work compares the token hash again under the team lock.
func TestINV6_ResendDuringAcceptKillsOldLink(t *testing.T) {
	e := newEnv(t)
	ana, zoe := user("ana"), user("zoe")
	tm := e.teamOf(ana, "Agency")
	e.register(zoe)
	rs := &racingStore{Memory: e.st}
	svc, err := team.New(rs, team.WithClock(e.clock.Now), team.WithIDs(seqIDs("r-")), team.WithRandom(&countingReader{}), team.WithNotifier(e.out))
	require.NoError(t, err)
	inv, err := svc.Invite(e.ctx, team.InviteParams{ActorID: ana.ID, TeamID: tm.ID, Email: zoe.Email})
	require.NoError(t, err)
	oldTok := e.out.token(t, inv.Invitation.ID)
	rs.hook = func() {
		_, err := svc.ResendInvitation(e.ctx, team.ResendInvitationParams{ActorID: ana.ID, TeamID: tm.ID, InvitationID: inv.Invitation.ID})
		require.NoError(t, err)
	}
	_, err = svc.AcceptInvitation(e.ctx, zoe, oldTok)
	requireRefused(t, err, team.ErrNotFound)
	_, err = e.member(tm.ID, zoe.ID)
	require.ErrorIs(t, err, team.ErrNotFound)
	_, err = svc.AcceptInvitation(e.ctx, zoe, e.out.token(t, inv.Invitation.ID))
	require.NoError(t, err)
}
