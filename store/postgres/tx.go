package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// InTx runs fn in one PostgreSQL transaction (READ COMMITTED; LockTeam and
// LockAccount take row locks with SELECT … FOR UPDATE, which serialize the
// units of work that touch one team or account). It commits when fn returns
// nil, and rolls back when fn returns an error, panics (InTx re-panics) or
// ctx is done before fn starts or when it returns (InTx then returns an
// error matching ctx.Err()).
//
// When ctx carries a host transaction (WithTx), the unit of work runs inside
// it as a savepoint, and commits or rolls back only that savepoint.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx team.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("postgres: unit of work not started: %w", err)
	}
	var (
		pgtx pgx.Tx
		err  error
	)
	if host := hostTx(ctx); host != nil {
		pgtx, err = host.Begin(ctx) // a savepoint in the host's transaction
	} else {
		var conn *pgxpool.Conn
		if conn, err = s.pool.Acquire(ctx); err == nil {
			// BEGIN goes with fn's first statement; the connection returns
			// to the pool when the transaction ends.
			pgtx = &lazyTx{conn: conn.Conn(), release: conn.Release}
		}
	}
	if err != nil {
		return fmt.Errorf("postgres: beginning a unit of work: %w", err)
	}
	t := &tx{reader: reader{q: &s.qs, db: pgtx}, pg: pgtx}
	err = runTx(ctx, pgtx, t, fn)
	if hostTx(ctx) == nil { // a host's transaction reports when it commits (LISTEN)
		s.reportChanged(t.changed)
	}
	return err
}

// runTx runs fn on t and then commits or rolls back pgtx.
func runTx(ctx context.Context, pgtx pgx.Tx, t team.Tx, fn func(ctx context.Context, tx team.Tx) error) (err error) {
	committed := false
	defer func() {
		if committed {
			return
		}
		// Roll back even when ctx is done: the rollback must reach the server.
		_ = pgtx.Rollback(context.WithoutCancel(ctx))
	}()
	if err := fn(ctx, t); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("postgres: unit of work rolled back: %w", err)
	}
	// COMMIT is not cancelled with ctx: once it is sent, its outcome is the
	// answer, and a commit that succeeds must not be reported as failed
	// (SEC-5). It is given up commitGrace after ctx ends.
	cctx, stop := commitContext(ctx)
	defer stop()
	if err := pgtx.Commit(cctx); err != nil {
		if cctx.Err() != nil {
			return fmt.Errorf("%w: COMMIT did not answer within %v of the caller's context ending (%v)",
				ErrCommitOutcomeUnknown, commitGrace, ctx.Err())
		}
		return mapErr("committing the unit of work", err)
	}
	committed = true
	return nil
}

// commitContext returns the context for a COMMIT on behalf of ctx: it
// keeps ctx's values, is not cancelled when ctx is, and is cancelled
// commitGrace after ctx ends. stop releases it.
func commitContext(ctx context.Context) (cctx context.Context, stop func()) {
	if ctx.Done() == nil { // ctx never ends
		return ctx, func() {}
	}
	g := &graceCtx{}
	g.Context, g.cancel = context.WithCancel(context.WithoutCancel(ctx))
	g.unwatch = context.AfterFunc(ctx, g.ctxDone)
	return g, g.stop
}

// graceCtx is a commitContext.
type graceCtx struct {
	context.Context
	cancel  context.CancelFunc
	unwatch func() bool
	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

func (g *graceCtx) ctxDone() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.stopped {
		g.timer = time.AfterFunc(commitGrace, g.cancel)
	}
}

func (g *graceCtx) stop() {
	g.unwatch()
	g.mu.Lock()
	g.stopped = true
	if g.timer != nil {
		g.timer.Stop()
	}
	g.mu.Unlock()
	g.cancel()
}

// tx is a unit of work on a PostgreSQL transaction (or savepoint).
type tx struct {
	reader
	pg pgx.Tx

	// The memberships written, reported to the Store's watchers when the
	// unit of work ends (team.ChangeNotifier).
	changed []memberKey
}

var _ team.Tx = (*tx)(nil)

// exec runs a write and maps "no row affected" to notFoundErr (when not nil).
func (t *tx) exec(ctx context.Context, doing string, noRows error, sql string, args ...any) error {
	tag, err := t.pg.Exec(ctx, sql, args...)
	if err != nil {
		return mapErr(doing, err)
	}
	if tag.RowsAffected() == 0 && noRows != nil {
		return noRows
	}
	return nil
}

// guarded runs an UPDATE that may break a unique index inside a savepoint,
// so that the conflict (team.ErrConflict) leaves the transaction usable, as
// the contract's inserts (ON CONFLICT DO NOTHING) do.
func (t *tx) guarded(ctx context.Context, doing string, sql string, args ...any) error {
	sp, err := t.pg.Begin(ctx)
	if err != nil {
		return mapErr(doing, err)
	}
	tag, err := sp.Exec(ctx, sql, args...)
	if err != nil {
		_ = sp.Rollback(context.WithoutCancel(ctx))
		return mapErr(doing, err)
	}
	if err := sp.Commit(ctx); err != nil {
		return mapErr(doing, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(doing)
	}
	return nil
}

// LockTeam implements team.Tx with SELECT … FOR UPDATE.
func (t *tx) LockTeam(ctx context.Context, teamID string) (team.Team, error) {
	return one(ctx, t.db, scanTeam, "locking team "+teamID, t.q.teamForUpdate, teamID)
}

func teamArgs(tm team.Team) []any {
	return []any{tm.ID, string(tm.Kind), tm.Name, tm.OwnerID, encodeMap(tm.Settings), ts(tm.CreatedAt), ts(tm.UpdatedAt), nullTS(tm.DeletedAt)}
}

// InsertTeam implements team.Tx.
func (t *tx) InsertTeam(ctx context.Context, tm team.Team) error {
	return t.exec(ctx, "inserting team "+tm.ID, conflict("team "+tm.ID+" or the owner's personal team exists"),
		t.q.insertTeam, teamArgs(tm)...)
}

// UpdateTeam implements team.Tx.
func (t *tx) UpdateTeam(ctx context.Context, tm team.Team) error {
	return t.guarded(ctx, "updating team "+tm.ID, t.q.updateTeam, teamArgs(tm)...)
}

// DeleteTeamMembers implements team.Tx.
func (t *tx) DeleteTeamMembers(ctx context.Context, teamID string) error {
	var (
		n     int
		users []string
	)
	if err := t.pg.QueryRow(ctx, t.q.deleteTeamMembers, teamID).Scan(&n, &users); err != nil {
		return mapErr("deleting members of "+teamID, err)
	}
	for _, u := range users {
		t.changed = append(t.changed, memberKey{teamID, u})
	}
	if n == 0 {
		return notFound("team " + teamID)
	}
	return nil
}

func memberArgs(m team.Member) []any {
	return []any{m.TeamID, m.UserID, m.Email, m.Name, m.Role, ts(m.JoinedAt), int64(m.Epoch)}
}

// InsertMember implements team.Tx.
func (t *tx) InsertMember(ctx context.Context, m team.Member) error {
	t.changed = append(t.changed, memberKey{m.TeamID, m.UserID})
	return t.exec(ctx, "inserting member", conflict("user "+m.UserID+" is a member of "+m.TeamID), t.q.insertMember, memberArgs(m)...)
}

// UpdateMember implements team.Tx.
func (t *tx) UpdateMember(ctx context.Context, m team.Member) error {
	t.changed = append(t.changed, memberKey{m.TeamID, m.UserID})
	return t.exec(ctx, "updating member", notFound("membership of "+m.UserID+" in "+m.TeamID), t.q.updateMember, memberArgs(m)...)
}

// DeleteMember implements team.Tx.
func (t *tx) DeleteMember(ctx context.Context, teamID, userID string) error {
	t.changed = append(t.changed, memberKey{teamID, userID})
	return t.exec(ctx, "deleting member", notFound("membership of "+userID+" in "+teamID), t.q.deleteMember, teamID, userID)
}

func invitationArgs(inv team.Invitation) []any {
	return []any{inv.ID, inv.TeamID, inv.Email, inv.Role, inv.InviterID, string(inv.Status), inv.TokenHash,
		ts(inv.CreatedAt), ts(inv.ExpiresAt), ts(inv.UpdatedAt)}
}

// InsertInvitation implements team.Tx.
func (t *tx) InsertInvitation(ctx context.Context, inv team.Invitation) error {
	return t.exec(ctx, "inserting invitation", conflict("invitation "+inv.ID+", its token or a pending invitation to the email exists"),
		t.q.insertInvitation, invitationArgs(inv)...)
}

// UpdateInvitation implements team.Tx.
func (t *tx) UpdateInvitation(ctx context.Context, inv team.Invitation) error {
	return t.guarded(ctx, "updating invitation "+inv.ID, t.q.updateInvitation, invitationArgs(inv)...)
}

func accountArgs(a billing.Account) []any {
	return []any{a.ID, a.UserID, string(a.Plan), string(a.Status), a.Balance, ts(a.CreatedAt), ts(a.UpdatedAt)}
}

// InsertAccount implements team.Tx.
func (t *tx) InsertAccount(ctx context.Context, a billing.Account) error {
	return t.exec(ctx, "inserting account", conflict("account "+a.ID+" or an account of user "+a.UserID+" exists"),
		t.q.insertAccount, accountArgs(a)...)
}

// LockAccount implements team.Tx with SELECT … FOR UPDATE.
func (t *tx) LockAccount(ctx context.Context, userID string) (billing.Account, error) {
	return one(ctx, t.db, scanAccount, "locking account of "+userID, t.q.accountForUpdate, userID)
}

// UpdateAccount implements team.Tx.
func (t *tx) UpdateAccount(ctx context.Context, a billing.Account) error {
	return t.exec(ctx, "updating account", notFound("account "+a.ID), t.q.updateAccount, accountArgs(a)...)
}

func usageArgs(r billing.UsageRecord) []any {
	return []any{r.ID, r.TeamID, r.UserID, r.AccountID, r.Amount, ts(r.Time), r.IdempotencyKey, encodeMap(r.Metadata)}
}

// InsertUsage implements team.Tx.
func (t *tx) InsertUsage(ctx context.Context, r billing.UsageRecord) error {
	return t.exec(ctx, "inserting usage", conflict("usage record "+r.ID+" or its idempotency key exists in "+r.TeamID),
		t.q.insertUsage, usageArgs(r)...)
}

// InsertTopUp implements team.Tx.
func (t *tx) InsertTopUp(ctx context.Context, tu billing.TopUp) error {
	return t.exec(ctx, "inserting top-up", conflict("top-up "+tu.ID+" or key "+tu.IdempotencyKey+" of account "+tu.AccountID+" exists"), t.q.insertTopUp,
		tu.ID, tu.AccountID, tu.TeamID, tu.ActorID, tu.Amount, ts(tu.Time), tu.IdempotencyKey)
}

// AppendAuditEvent implements team.Tx: one statement inserts the event and
// moves the team's audit head (AUD-4). Events are never updated, deleted or
// truncated (triggers refuse all three).
func (t *tx) AppendAuditEvent(ctx context.Context, e audit.Event) error {
	if e.Seq > 1<<63-1 {
		return fmt.Errorf("postgres: audit event seq %d out of range", e.Seq)
	}
	var inserted, teamExists bool
	err := t.pg.QueryRow(ctx, t.q.appendAuditEvent, e.ID, e.TeamID, int64(e.Seq), ts(e.Time), e.ActorID,
		string(e.Action), e.Target, encodeMap(e.Details), e.PrevHash, e.Hash).Scan(&inserted, &teamExists)
	switch {
	case err != nil:
		return mapErr("appending audit event", err)
	case !teamExists:
		return notFound("team " + e.TeamID + " of audit event " + e.ID)
	case !inserted:
		return conflict("audit event " + e.ID + " or seq in " + e.TeamID + " exists")
	}
	return nil
}

// MemberEpochMark implements team.Tx from member_epochs, which a trigger on
// members keeps (migration 0003).
func (t *tx) MemberEpochMark(ctx context.Context, teamID, userID string) (uint64, error) {
	var mark int64
	if err := t.pg.QueryRow(ctx, t.q.memberEpochMark, teamID, userID).Scan(&mark); err != nil {
		return 0, mapErr("epoch mark of "+userID+" in "+teamID, err)
	}
	return uint64(mark), nil
}

// User lifecycle (USER-2).

// DeleteInvitationsByEmail implements team.Tx in one statement.
func (t *tx) DeleteInvitationsByEmail(ctx context.Context, teamID, email string) (int, error) {
	var teams, n int
	if err := t.pg.QueryRow(ctx, t.q.deleteInvitationsByEmail, teamID, email).Scan(&teams, &n); err != nil {
		return 0, mapErr("deleting invitations of "+teamID+" by email", err)
	}
	if teams == 0 {
		return 0, notFound("team " + teamID)
	}
	return n, nil
}
