package team_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

// t0 is the start of every test clock.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// seqIDs returns a deterministic, concurrency-safe ID source.
func seqIDs(prefix string) func() string {
	var n atomic.Uint64
	return func() string { return fmt.Sprintf("%s%06d", prefix, n.Add(1)) }
}

// countingReader is a deterministic, concurrency-safe source of bytes that
// never repeats a 32-byte block: each block holds a counter.
type countingReader struct {
	mu sync.Mutex
	n  uint64
}

func (r *countingReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range p {
		if i%8 == 0 {
			r.n++
		}
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], r.n*0x9E3779B97F4A7C15)
		p[i] = b[i%8]
	}
	return len(p), nil
}

// outbox records the messages a Notifier was given.
type outbox struct {
	mu   sync.Mutex
	msgs []team.InvitationMessage
}

func (o *outbox) NotifyInvitation(_ context.Context, msg team.InvitationMessage) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, msg)
	return nil
}

// token returns the newest token sent for invitationID.
func (o *outbox) token(t *testing.T, invitationID string) string {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.msgs) - 1; i >= 0; i-- {
		if o.msgs[i].Invitation.ID == invitationID {
			return o.msgs[i].Token
		}
	}
	t.Fatalf("no notification for invitation %s", invitationID)
	return ""
}

func (o *outbox) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.msgs)
}

// env is a service over a fresh memory store with a fake clock, sequential
// IDs, deterministic random bytes and a recording notifier.
type env struct {
	t     *testing.T
	ctx   context.Context
	st    *store.Memory
	svc   *team.Service
	clock *fakeClock
	out   *outbox

	personal team.Team // set by tests that need one
}

func newEnv(t *testing.T, opts ...team.Option) *env {
	t.Helper()
	return newEnvOn(t, store.NewMemory(), opts...)
}

func newEnvOn(t *testing.T, st *store.Memory, opts ...team.Option) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), st: st, clock: &fakeClock{now: t0}, out: &outbox{}}
	all := append([]team.Option{
		team.WithClock(e.clock.Now),
		team.WithIDs(seqIDs("id-")),
		team.WithRandom(&countingReader{}),
		team.WithNotifier(e.out),
	}, opts...)
	svc, err := team.New(st, all...)
	require.NoError(t, err)
	e.svc = svc
	return e
}

// user returns a user named name with a matching example.com email.
func user(name string) team.User {
	return team.User{ID: "user-" + name, Email: name + "@example.com", Name: strings.ToUpper(name[:1]) + name[1:]}
}

// register runs EnsurePersonalTeam for u.
func (e *env) register(u team.User) team.Team {
	e.t.Helper()
	p, err := e.svc.EnsurePersonalTeam(e.ctx, u)
	require.NoError(e.t, err)
	return p
}

// setPlan sets userID's plan and status directly in the store.
func (e *env) setAccount(userID string, plan billing.Plan, status billing.Status) {
	e.t.Helper()
	require.NoError(e.t, e.st.InTx(e.ctx, func(ctx context.Context, tx team.Tx) error {
		a, err := tx.LockAccount(ctx, userID)
		if err != nil {
			return err
		}
		a.Plan, a.Status = plan, status
		return tx.UpdateAccount(ctx, a)
	}))
}

// entitle puts each user's account on the ENTERPRISE plan, so they may own
// collaboration teams, by creation or by transfer (TEAM-4, OWN-5).
func (e *env) entitle(users ...team.User) {
	e.t.Helper()
	for _, u := range users {
		e.setAccount(u.ID, billing.PlanEnterprise, billing.StatusActive)
	}
}

// teamOf registers owner on the TEAM plan and creates a collaboration team.
func (e *env) teamOf(owner team.User, name string) team.Team {
	e.t.Helper()
	e.register(owner)
	e.setAccount(owner.ID, billing.PlanEnterprise, billing.StatusActive)
	tm, err := e.svc.CreateTeam(e.ctx, team.CreateTeamParams{Owner: owner, Name: name})
	require.NoError(e.t, err)
	return tm
}

// join invites u to tm as role (by actor) and accepts; u is registered.
func (e *env) join(actorID string, tm team.Team, u team.User, role string) team.Member {
	e.t.Helper()
	e.register(u)
	inv, err := e.svc.Invite(e.ctx, team.InviteParams{ActorID: actorID, TeamID: tm.ID, Email: u.Email, Role: role})
	require.NoError(e.t, err)
	m, err := e.svc.AcceptInvitation(e.ctx, u, e.out.token(e.t, inv.Invitation.ID))
	require.NoError(e.t, err)
	return m
}

// member reads userID's membership of teamID from the store.
func (e *env) member(teamID, userID string) (team.Member, error) {
	return e.st.Member(e.ctx, teamID, userID)
}

// events returns the actions recorded for teamID, in order.
func (e *env) actions(teamID string) []audit.Action {
	e.t.Helper()
	evs, err := e.st.AuditEvents(e.ctx, teamID, audit.Filter{})
	require.NoError(e.t, err)
	out := make([]audit.Action, len(evs))
	for i, ev := range evs {
		out[i] = ev.Action
	}
	require.NoError(e.t, audit.Verify(teamID, evs))
	return out
}

// requireUnchanged runs fn and checks that it failed and left the store as
// it was (SEC-2).
func (e *env) requireUnchanged(fn func() error) error {
	e.t.Helper()
	before := e.st.Snapshot()
	err := fn()
	require.Error(e.t, err)
	require.Equal(e.t, before, e.st.Snapshot(), "a refused call changed the store: %v", err)
	return err
}

// requireRefused checks that err matches want and says something more than
// the bare sentinel (SEC-1).
func requireRefused(t *testing.T, err, want error) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, want)
	require.NotEmpty(t, err.Error())
	if errors.Is(err, team.ErrInvalidInput) {
		var ie *team.InputError
		require.ErrorAs(t, err, &ie)
		require.NotEmpty(t, ie.Field)
	} else {
		require.NotEqual(t, want.Error(), err.Error(), "the message should say more than the sentinel")
	}
}

// ownersOf returns the members of teamID holding the owner role.
func (e *env) ownersOf(teamID string) []team.Member {
	e.t.Helper()
	ms, err := e.st.Members(e.ctx, teamID)
	require.NoError(e.t, err)
	var out []team.Member
	for _, m := range ms {
		if m.Role == rbac.RoleOwner {
			out = append(out, m)
		}
	}
	return out
}
