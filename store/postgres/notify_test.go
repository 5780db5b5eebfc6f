package postgres_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store/postgres"
	"github.com/teamkit/teamkit/storetest"
	"github.com/teamkit/teamkit/team"
)

// peerPool is a second pool on the test database, standing in for another
// process: its stores share schemas with the first pool's but no
// connection.
func peerPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	p := testPool(t)
	cfg := p.Config()
	cfg.MaxConns = 4
	peer, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(peer.Close)
	return peer
}

// peerOf returns a Store over st's schema on another pool.
func peerOf(t *testing.T, st team.Store) team.Store {
	t.Helper()
	var s *postgres.Store
	switch v := st.(type) {
	case *postgres.Store:
		s = v
	case inBatchStore:
		s = v.Store
	}
	peer, err := postgres.New(peerPool(t), postgres.WithSchema(s.Schema()))
	noErr(t, "postgres.New", err)
	return peer
}

// TestChangeNotifierConformance: the store reports its own commits before
// InTx (and InBatch) returns, and other processes' through LISTEN/NOTIFY
// (RES-3).
func TestChangeNotifierConformance(t *testing.T) {
	testPool(t)
	t.Run("InTx", func(t *testing.T) {
		storetest.RunChangeNotifier(t, func(t *testing.T) team.Store { return newStore(t) }, peerOf, 5*time.Second)
	})
	t.Run("InBatch", func(t *testing.T) {
		storetest.RunChangeNotifier(t, func(t *testing.T) team.Store { return inBatchStore{newStore(t)} }, peerOf, 5*time.Second)
	})
}

// Rule RES-3, ROLE-5: a service's index over PostgreSQL answers warm checks
// without a query, forgets a change another process commits once its
// notification arrives, and after its listening connection is lost
// (terminated by the server) answers nothing from before: a change
// committed while it was not listening is seen.
func TestRES3_PostgresIndexAcrossLostConnection(t *testing.T) {
	ctx := context.Background()
	st := &countingPG{Store: newStore(t)}
	svc, err := team.New(st)
	noErr(t, "team.New", err)
	defer svc.Close()
	peer := peerOf(t, st.Store)
	mix, err := storetest.LoadAuthMix(ctx, st, storetest.AuthMixOptions{Teams: 10, Users: 200, Requests: 64})
	noErr(t, "LoadAuthMix", err)
	waitFor(t, "the index to warm", func() bool { return mix.Check(ctx, svc) == nil && warm(t, st, svc, mix) })

	var req storetest.AuthRequest
	for _, r := range mix.Requests {
		if r.Want == nil {
			req = r
			break
		}
	}
	revoke := func(s team.Store) {
		t.Helper()
		noErr(t, "revoke", s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
			if _, err := tx.LockTeam(ctx, req.TeamID); err != nil {
				return err
			}
			return tx.DeleteMember(ctx, req.TeamID, req.UserID)
		}))
	}
	restore := func(s team.Store) {
		t.Helper()
		noErr(t, "restore", s.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
			if _, err := tx.LockTeam(ctx, req.TeamID); err != nil {
				return err
			}
			return tx.InsertMember(ctx, team.Member{TeamID: req.TeamID, UserID: req.UserID, Role: rbac.RoleOwner, JoinedAt: time.Now().UTC().Truncate(time.Microsecond), Epoch: 9})
		}))
	}
	check := func() error { return svc.Authorize(ctx, req.UserID, req.TeamID, req.Action, req.Resource) }

	// Another process revokes: seen once NOTIFY arrives.
	revoke(peer)
	waitFor(t, "the revocation to arrive", func() bool { return check() != nil })
	restore(peer)
	waitFor(t, "the restoration to arrive", func() bool { return check() == nil })

	// A change whose NOTIFY never comes (triggers off in that session) is
	// not seen while the listener lives: the index relies on notifications.
	conn, err := peerPool(t).Acquire(ctx)
	noErr(t, "acquire", err)
	defer conn.Release()
	_, err = conn.Exec(ctx, "SET session_replication_role = replica")
	noErr(t, "replica", err)
	_, err = conn.Exec(ctx, "DELETE FROM "+pgx.Identifier{st.Schema()}.Sanitize()+".members WHERE team_id = $1 AND user_id = $2", req.TeamID, req.UserID)
	noErr(t, "quiet delete", err)
	_, err = conn.Exec(ctx, "RESET session_replication_role")
	noErr(t, "reset", err)
	if err := check(); err != nil {
		t.Fatalf("before the listener reconnects, the index still answers (%v)", err)
	}

	// The server drops the listening connection: the index is emptied
	// before it answers again, so the quiet change is seen.
	var n int
	noErr(t, "terminate", testPool(t).QueryRow(ctx,
		"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", st.ListenerName()).Scan(&n))
	if n != 1 {
		t.Fatalf("terminated %d listening connections, want 1", n)
	}
	waitFor(t, "the index to forget what it held", func() bool { return errors.Is(check(), team.ErrNotMember) })
	waitFor(t, "the listener to reconnect", func() bool { return warm(t, st, svc, mix) })
	requireErrorIs(t, check(), team.ErrNotMember)
	restore(st)
	requireErrorIs(t, check(), nil)
}

// countingPG counts Member reads; WatchMembers and the rest are the
// store's.
type countingPG struct {
	*postgres.Store
	members atomic.Int64
}

func (c *countingPG) Member(ctx context.Context, teamID, userID string) (team.Member, error) {
	c.members.Add(1)
	return c.Store.Member(ctx, teamID, userID)
}

// warm reports whether a pass over the mix read no membership from the
// store (every answer from the index).
func warm(t *testing.T, st *countingPG, svc *team.Service, mix *storetest.AuthMix) bool {
	t.Helper()
	before := st.members.Load()
	_ = mix.Check(context.Background(), svc)
	return st.members.Load() == before
}

func requireErrorIs(t *testing.T, err, want error) {
	t.Helper()
	if (want == nil && err != nil) || !errors.Is(err, want) {
		t.Fatalf("got %v, want an error matching %v", err, want)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	end := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
