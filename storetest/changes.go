package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/team"
)

// RunChangeNotifier checks the team.ChangeNotifier contract of the stores
// made by newStore, which must implement it: every committed insert, update
// or delete of a membership is reported, before the committing InTx returns
// when it went through the same Store value; a watcher hears
// MembersStale(true) before it may trust anything; stop ends the reports.
//
// When peer is not nil it returns another Store value over the same data as
// st (for a database: another connection pool, as another process would
// have), and the suite also checks that commits made through the peer reach
// st's watchers within the deadline.
func RunChangeNotifier(t *testing.T, newStore func(t *testing.T) team.Store, peer func(t *testing.T, st team.Store) team.Store, deadline time.Duration) {
	t.Helper()
	notifier := func(t *testing.T, st team.Store) team.ChangeNotifier {
		n, ok := st.(team.ChangeNotifier)
		if !ok {
			t.Fatalf("%T does not implement team.ChangeNotifier", st)
		}
		return n
	}
	t.Run("ReportsEveryCommittedMembershipChange", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		rec := watch(t, notifier(t, st), deadline)
		checkReports(t, st, st, rec, 0)
	})
	t.Run("StopEndsReports", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		rec := &recorder{}
		stop := notifier(t, st).WatchMembers(rec)
		stop()
		stop()
		tm := newChangeTeam(t, st)
		insertMember(t, st, tm, newID(t, "user"))
		if got := rec.changes(); len(got) != 0 {
			t.Errorf("reports after stop: %v", got)
		}
	})
	t.Run("RolledBackChangeIsNoLossForCommittedOnes", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		rec := watch(t, notifier(t, st), deadline)
		tm := newChangeTeam(t, st)
		u := newID(t, "user")
		errRollback := errors.New("roll back")
		err := st.InTx(context.Background(), func(ctx context.Context, tx team.Tx) error {
			if _, err := tx.LockTeam(ctx, tm); err != nil {
				return err
			}
			if err := tx.InsertMember(ctx, member(tm, u)); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx = %v, want the unit's error", err)
		}
		insertMember(t, st, tm, u)
		rec.expect(t, 0, change{tm, u})
	})
	if peer != nil {
		t.Run("ReportsCommitsOfOtherStoreValues", func(t *testing.T) {
			t.Parallel()
			st := newStore(t)
			rec := watch(t, notifier(t, st), deadline)
			checkReports(t, st, peer(t, st), rec, deadline)
		})
	}
}

// checkReports writes memberships through w and expects rec, watching r, to
// hear of each within wait (0: by the time InTx returned).
func checkReports(t *testing.T, r, w team.Store, rec *recorder, wait time.Duration) {
	t.Helper()
	ctx := context.Background()
	tm := newChangeTeam(t, w)
	a, b, c := newID(t, "user"), newID(t, "user"), newID(t, "user")
	insertMember(t, w, tm, a)
	rec.expect(t, wait, change{tm, a})
	inTeam(t, w, tm, func(ctx context.Context, tx team.Tx) error {
		if err := tx.InsertMember(ctx, member(tm, b)); err != nil {
			return err
		}
		return tx.InsertMember(ctx, member(tm, c))
	})
	rec.expect(t, wait, change{tm, b}, change{tm, c})
	inTeam(t, w, tm, func(ctx context.Context, tx team.Tx) error {
		m := member(tm, a)
		m.Role, m.Epoch = rbac.RoleAdmin, 2
		return tx.UpdateMember(ctx, m)
	})
	rec.expect(t, wait, change{tm, a})
	inTeam(t, w, tm, func(ctx context.Context, tx team.Tx) error { return tx.DeleteMember(ctx, tm, b) })
	rec.expect(t, wait, change{tm, b})
	inTeam(t, w, tm, func(ctx context.Context, tx team.Tx) error { return tx.DeleteTeamMembers(ctx, tm) })
	rec.expect(t, wait, change{tm, a}, change{tm, c})
	if _, err := r.Member(ctx, tm, a); !errors.Is(err, team.ErrNotFound) {
		t.Errorf("Member after DeleteTeamMembers = %v, want ErrNotFound", err)
	}
}

type change struct{ teamID, userID string }

// recorder is a team.MemberWatcher that keeps what it heard.
type recorder struct {
	mu        sync.Mutex
	heard     []change
	reporting bool
	stales    int
}

func (r *recorder) MemberChanged(teamID, userID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.heard = append(r.heard, change{teamID, userID})
}

func (r *recorder) MembersStale(reporting bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reporting = reporting
	r.stales++
}

func (r *recorder) changes() []change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]change(nil), r.heard...)
}

// expect waits up to wait for every one of want to have been heard (wait 0:
// they must have been already) and forgets what was heard.
func (r *recorder) expect(t *testing.T, wait time.Duration, want ...change) {
	t.Helper()
	end := time.Now().Add(wait)
	for {
		r.mu.Lock()
		missing := []change{}
		for _, w := range want {
			found := false
			for _, h := range r.heard {
				if h == w {
					found = true
					break
				}
			}
			if !found {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			r.heard = r.heard[:0]
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		if !time.Now().Before(end) {
			if wait == 0 {
				t.Fatalf("not reported by the time InTx returned: %v (heard %v)", missing, r.changes())
			}
			t.Fatalf("not reported within %s: %v (heard %v)", wait, missing, r.changes())
		}
		time.Sleep(time.Millisecond)
	}
}

// watch registers a recorder with n, waits for MembersStale(true) and
// unregisters it when the test ends.
func watch(t *testing.T, n team.ChangeNotifier, deadline time.Duration) *recorder {
	t.Helper()
	rec := &recorder{}
	t.Cleanup(n.WatchMembers(rec))
	end := time.Now().Add(max(deadline, time.Second))
	for {
		rec.mu.Lock()
		ok := rec.reporting
		rec.mu.Unlock()
		if ok {
			return rec
		}
		if time.Now().After(end) {
			t.Fatalf("no MembersStale(true) within %s of WatchMembers", max(deadline, time.Second))
		}
		time.Sleep(time.Millisecond)
	}
}

func newChangeTeam(t *testing.T, st team.Store) string {
	t.Helper()
	id := newID(t, "team")
	err := st.InTx(context.Background(), func(ctx context.Context, tx team.Tx) error {
		return tx.InsertTeam(ctx, team.Team{ID: id, Kind: team.Collaboration, Name: "Changes", OwnerID: newID(t, "user"), CreatedAt: base, UpdatedAt: base})
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func member(teamID, userID string) team.Member {
	return team.Member{TeamID: teamID, UserID: userID, Email: userID + "@example.com", Role: rbac.RoleMember, JoinedAt: base, Epoch: 1}
}

func insertMember(t *testing.T, st team.Store, teamID, userID string) {
	t.Helper()
	inTeam(t, st, teamID, func(ctx context.Context, tx team.Tx) error { return tx.InsertMember(ctx, member(teamID, userID)) })
}

// inTeam runs fn in a unit of work that locked teamID first.
func inTeam(t *testing.T, st team.Store, teamID string, fn func(ctx context.Context, tx team.Tx) error) {
	t.Helper()
	err := st.InTx(context.Background(), func(ctx context.Context, tx team.Tx) error {
		if _, err := tx.LockTeam(ctx, teamID); err != nil {
			return err
		}
		return fn(ctx, tx)
	})
	if err != nil {
		t.Fatal(fmt.Errorf("storetest: unit of work on team %s: %w", teamID, err))
	}
}
