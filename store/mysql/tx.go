package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// savepoint is the name of the savepoint a unit of work runs in when it
// runs in a host transaction (WithTx).
const savepoint = "teamkit_unit"

// InTx runs fn in one InnoDB transaction at READ COMMITTED (LockTeam and
// LockAccount take row locks with SELECT … FOR UPDATE, which serialize the
// units of work that touch one team or account; every plain read sees the
// rows committed before it). It commits when fn returns nil, and rolls back
// when fn returns an error, panics (InTx re-panics) or ctx is done before
// fn starts or when it returns (InTx then returns an error matching
// ctx.Err()). When ctx ends while a statement of fn runs on the server,
// such as a wait for a lock, that statement is ended there too (KILL
// QUERY), so the unit's locks go at once.
//
// When the server aborts the transaction for a deadlock (MySQL error 1213)
// or a lock wait timeout (1205), InTx rolls back and runs fn again, from
// the start in a new transaction, up to WithRetries times (default
// DefaultRetries) with a short random pause before each; fn must therefore
// set its results afresh on each run, as the team service's units of work
// do. After the last try the error matches ErrRetryable. Once such an error
// has occurred, every further statement of that run of fn fails with it,
// so nothing runs outside the aborted transaction.
//
// When ctx carries a host transaction (WithTx), the unit of work runs inside
// it as a savepoint, rolls back only that savepoint on failure, and is never
// run again (see WithTx).
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx team.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mysql: unit of work not started: %w", err)
	}
	if host := hostTx(ctx); host != nil {
		return s.inHostTx(ctx, host, fn)
	}
	for attempt := 0; ; attempt++ {
		err, aborted := s.runOnce(ctx, fn)
		if !aborted || ctx.Err() != nil {
			return err
		}
		if attempt >= s.retries {
			if !errors.Is(err, ErrRetryable) {
				err = fmt.Errorf("%w: %w", ErrRetryable, err)
			}
			return fmt.Errorf("%w (after %d tries)", err, attempt+1)
		}
		pause := time.Duration(1+rand.IntN(4<<attempt)) * time.Millisecond
		select {
		case <-ctx.Done():
			return fmt.Errorf("mysql: unit of work not retried: %w", ctx.Err())
		case <-time.After(pause):
		}
	}
}

// runOnce runs fn in a new transaction. aborted reports whether the server
// aborted it for a deadlock or lock wait timeout (so that it may run again).
func (s *Store) runOnce(ctx context.Context, fn func(ctx context.Context, tx team.Tx) error) (err error, aborted bool) {
	sqlTx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return mapErr("beginning a unit of work", err), retryable(err)
	}
	t := &tx{reader: reader{q: &s.qs}}
	t.reader.db = guard{t: t, db: sqlTx}
	if ctx.Done() != nil {
		stop := s.killOnDone(ctx, t)
		defer stop()
	}
	committed := false
	defer func() {
		if !committed {
			_ = sqlTx.Rollback()
		}
	}()
	err = fn(ctx, t)
	if t.aborted != nil { // fn's error, if any, follows from the abort
		return t.aborted, true
	}
	if err != nil {
		return err, retryable(err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mysql: unit of work rolled back: %w", err), false
	}
	if err := sqlTx.Commit(); err != nil {
		// database/sql refuses to COMMIT once ctx has ended (and rolls
		// back); a COMMIT it has sent is not cancelled by ctx.
		if cerr := ctx.Err(); cerr != nil && (errors.Is(err, cerr) || errors.Is(err, sql.ErrTxDone)) {
			return fmt.Errorf("mysql: unit of work rolled back: %w", cerr), false
		}
		return mapErr("committing the unit of work", err), retryable(err)
	}
	committed = true
	return nil, false
}

// inHostTx runs fn once inside host as a savepoint.
func (s *Store) inHostTx(ctx context.Context, host *sql.Tx, fn func(ctx context.Context, tx team.Tx) error) (err error) {
	if _, err := host.ExecContext(ctx, "SAVEPOINT "+savepoint); err != nil {
		return mapErr("beginning a unit of work in the host's transaction", err)
	}
	t := &tx{reader: reader{q: &s.qs}}
	t.reader.db = guard{t: t, db: host}
	if ctx.Done() != nil {
		stop := s.killOnDone(ctx, t)
		defer stop()
	}
	released := false
	defer func() {
		if released || t.aborted != nil {
			return // nothing to roll back to: the server ended the host's transaction
		}
		_, _ = host.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT "+savepoint)
	}()
	err = fn(ctx, t)
	if t.aborted != nil {
		return t.aborted
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mysql: unit of work rolled back: %w", err)
	}
	if _, err := host.ExecContext(ctx, "RELEASE SAVEPOINT "+savepoint); err != nil {
		return mapErr("ending the unit of work in the host's transaction", err)
	}
	released = true
	return nil
}

// guard is the querier of a unit of work: it refuses every statement once
// the server has aborted the transaction (after which a statement would run
// on its own, outside any transaction), and records such an abort.
type guard struct {
	t  *tx
	db querier
}

func (g guard) note(err error) {
	if err != nil && g.t.aborted == nil && retryable(err) {
		g.t.aborted = mapErr("the unit of work", err)
	}
}

func (g guard) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if g.t.aborted != nil {
		return nil, g.t.aborted
	}
	res, err := g.db.ExecContext(ctx, g.t.tag+query, args...)
	g.note(err)
	return res, err
}

func (g guard) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if g.t.aborted != nil {
		return nil, g.t.aborted
	}
	rows, err := g.db.QueryContext(ctx, g.t.tag+query, args...)
	g.note(err)
	return rows, err
}

// QueryRowContext cannot build a failed *sql.Row itself, so after an abort
// it asks with a context that has ended, which database/sql refuses before
// anything reaches the server. InTx then reports the abort, not that error.
func (g guard) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if g.t.aborted != nil {
		return g.db.QueryRowContext(endedCtx, query, args...)
	}
	return g.db.QueryRowContext(ctx, g.t.tag+query, args...)
}

// killTimeout bounds the statements that end a cancelled unit's statement
// on the server.
const killTimeout = 5 * time.Second

// killOnDone tags every statement of t with a comment naming the unit of
// work and, when ctx ends, ends the unit's running statement on the server
// with KILL QUERY (found by its tag in the process list). The driver only
// closes its connection when ctx ends; the server would notice that only
// after the statement, say a lock wait of up to innodb_lock_wait_timeout,
// and keep the unit's locks until then. COMMIT carries no tag, so a COMMIT
// already sent is never interrupted. stop ends the watch.
func (s *Store) killOnDone(ctx context.Context, t *tx) (stop func() bool) {
	t.tag = fmt.Sprintf("/* teamkit unit %016x */ ", rand.Uint64())
	tag := t.tag
	return context.AfterFunc(ctx, func() {
		kctx, cancel := context.WithTimeout(context.Background(), killTimeout)
		defer cancel()
		rows, err := s.db.QueryContext(kctx, "SELECT id FROM information_schema.processlist WHERE info LIKE ? AND id <> CONNECTION_ID()",
			"%"+strings.TrimSpace(tag)+"%")
		if err != nil {
			return // best effort: the server ends the statement by itself later
		}
		var ids []uint64
		for rows.Next() {
			var id uint64
			if rows.Scan(&id) == nil {
				ids = append(ids, id)
			}
		}
		rows.Close()
		for _, id := range ids {
			_, _ = s.db.ExecContext(kctx, "KILL QUERY "+strconv.FormatUint(id, 10))
		}
	})
}

// endedCtx is a context that has ended (see guard.QueryRowContext).
var endedCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// tx is a unit of work on a MySQL transaction (or savepoint).
type tx struct {
	reader         // on a guard of the transaction
	aborted error  // set once the server aborted the transaction
	tag     string // comment in front of every statement (killOnDone), or ""

}

var _ team.Tx = (*tx)(nil)

// exec runs a write. When it affects no row, notFound (when not nil) is
// returned unless existsQuery (when not "") finds the row: MySQL counts
// changed rows, not matched ones, so an UPDATE that stores the values the
// row already holds affects none.
func (t *tx) exec(ctx context.Context, doing string, notFoundErr error, existsQuery string, existsArgs []any, query string, args ...any) error {
	db := t.reader.db
	res, err := db.ExecContext(ctx, query, args...)
	if err != nil {
		return mapErr(doing, err)
	}
	if notFoundErr == nil {
		return nil
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(doing, err)
	}
	if n > 0 {
		return nil
	}
	if existsQuery != "" {
		found, err := exists(ctx, db, doing, existsQuery, existsArgs...)
		if err != nil {
			return err
		}
		if found {
			return nil
		}
	}
	return notFoundErr
}

// LockTeam implements team.Tx with SELECT … FOR UPDATE.
func (t *tx) LockTeam(ctx context.Context, teamID string) (team.Team, error) {
	tm, err := one(ctx, t.db, scanTeam, "locking team "+teamID, t.q.teamForUpdate, teamID)
	t.noteRow(err)
	return tm, err
}

// noteRow records an abort reported through a *sql.Row, which guard cannot
// see.
func (t *tx) noteRow(err error) {
	if err != nil && t.aborted == nil && retryable(err) {
		t.aborted = err
	}
}

func teamArgs(tm team.Team) []any {
	return []any{tm.ID, string(tm.Kind), tm.Name, tm.OwnerID, encodeMap(tm.Settings), ts(tm.CreatedAt), ts(tm.UpdatedAt), nullTS(tm.DeletedAt)}
}

// InsertTeam implements team.Tx.
func (t *tx) InsertTeam(ctx context.Context, tm team.Team) error {
	return t.exec(ctx, "inserting team "+tm.ID+" (it or the owner's personal team exists)", nil, "", nil, t.q.insertTeam, teamArgs(tm)...)
}

// UpdateTeam implements team.Tx.
func (t *tx) UpdateTeam(ctx context.Context, tm team.Team) error {
	a := teamArgs(tm)
	return t.exec(ctx, "updating team "+tm.ID, notFound("team "+tm.ID), t.q.teamExists, a[:1], t.q.updateTeam, append(a[1:], a[0])...)
}

// DeleteTeamMembers implements team.Tx.
func (t *tx) DeleteTeamMembers(ctx context.Context, teamID string) error {
	found, err := exists(ctx, t.db, "finding team "+teamID, t.q.teamExists, teamID)
	if err != nil {
		return err
	}
	if !found {
		return notFound("team " + teamID)
	}
	if err := t.exec(ctx, "deleting members of "+teamID, nil, "", nil, t.q.deleteTeamMembers, teamID); err != nil {
		return err
	}
	return t.exec(ctx, "deleting pending invitations of "+teamID, nil, "", nil, t.q.deleteTeamPending, teamID)
}

func memberArgs(m team.Member) []any {
	return []any{m.TeamID, m.UserID, m.Email, m.Name, m.Role, ts(m.JoinedAt), int64(m.Epoch)}
}

// InsertMember implements team.Tx.
func (t *tx) InsertMember(ctx context.Context, m team.Member) error {
	return t.exec(ctx, "inserting member (user "+m.UserID+" is a member of "+m.TeamID+")", nil, "", nil, t.q.insertMember, memberArgs(m)...)
}

// UpdateMember implements team.Tx.
func (t *tx) UpdateMember(ctx context.Context, m team.Member) error {
	a := memberArgs(m)
	return t.exec(ctx, "updating member", notFound("membership of "+m.UserID+" in "+m.TeamID), t.q.memberExists, a[:2],
		t.q.updateMember, append(a[2:], a[0], a[1])...)
}

// DeleteMember implements team.Tx.
func (t *tx) DeleteMember(ctx context.Context, teamID, userID string) error {
	return t.exec(ctx, "deleting member", notFound("membership of "+userID+" in "+teamID), "", nil, t.q.deleteMember, teamID, userID)
}

func invitationArgs(inv team.Invitation) []any {
	return []any{inv.ID, inv.TeamID, inv.Email, inv.Role, inv.InviterID, string(inv.Status), inv.TokenHash,
		ts(inv.CreatedAt), ts(inv.ExpiresAt), ts(inv.UpdatedAt)}
}

// InsertInvitation implements team.Tx.
func (t *tx) InsertInvitation(ctx context.Context, inv team.Invitation) error {
	return t.exec(ctx, "inserting invitation "+inv.ID+" (it, its token or a pending invitation to the email exists)", nil, "", nil,
		t.q.insertInvitation, invitationArgs(inv)...)
}

// UpdateInvitation implements team.Tx.
func (t *tx) UpdateInvitation(ctx context.Context, inv team.Invitation) error {
	a := invitationArgs(inv)
	return t.exec(ctx, "updating invitation "+inv.ID, notFound("invitation "+inv.ID), t.q.invitationExists, a[:1],
		t.q.updateInvitation, append(a[1:], a[0])...)
}

func accountArgs(a billing.Account) []any {
	return []any{a.ID, a.UserID, string(a.Plan), string(a.Status), a.Balance, ts(a.CreatedAt), ts(a.UpdatedAt)}
}

// InsertAccount implements team.Tx.
func (t *tx) InsertAccount(ctx context.Context, a billing.Account) error {
	return t.exec(ctx, "inserting account "+a.ID+" (it or an account of user "+a.UserID+" exists)", nil, "", nil,
		t.q.insertAccount, accountArgs(a)...)
}

// LockAccount implements team.Tx with SELECT … FOR UPDATE.
func (t *tx) LockAccount(ctx context.Context, userID string) (billing.Account, error) {
	a, err := one(ctx, t.db, scanAccount, "locking account of "+userID, t.q.accountForUpdate, userID)
	t.noteRow(err)
	return a, err
}

// UpdateAccount implements team.Tx.
func (t *tx) UpdateAccount(ctx context.Context, a billing.Account) error {
	args := accountArgs(a)
	return t.exec(ctx, "updating account", notFound("account "+a.ID), t.q.accountExists, args[:1],
		t.q.updateAccount, append(args[1:], args[0])...)
}

func usageArgs(r billing.UsageRecord) []any {
	return []any{r.ID, r.TeamID, r.UserID, r.AccountID, r.Amount, ts(r.Time), r.IdempotencyKey, encodeMap(r.Metadata)}
}

// InsertUsage implements team.Tx.
func (t *tx) InsertUsage(ctx context.Context, r billing.UsageRecord) error {
	return t.exec(ctx, "inserting usage record "+r.ID+" (it or its idempotency key exists in "+r.TeamID+")", nil, "", nil,
		t.q.insertUsage, usageArgs(r)...)
}

// InsertTopUp implements team.Tx.
func (t *tx) InsertTopUp(ctx context.Context, tu billing.TopUp) error {
	return t.exec(ctx, "inserting top-up "+tu.ID, nil, "", nil, t.q.insertTopUp,
		tu.ID, tu.AccountID, tu.TeamID, tu.ActorID, tu.Amount, ts(tu.Time))
}

// AppendAuditEvent implements team.Tx. Events are never updated or deleted
// (triggers refuse both).
func (t *tx) AppendAuditEvent(ctx context.Context, e audit.Event) error {
	if e.Seq > 1<<63-1 {
		return fmt.Errorf("mysql: audit event seq %d out of range", e.Seq)
	}
	return t.exec(ctx, "appending audit event "+e.ID+" (it or its seq in "+e.TeamID+" exists)", nil, "", nil,
		t.q.appendAuditEvent, e.ID, e.TeamID, int64(e.Seq), ts(e.Time), e.ActorID, string(e.Action), e.Target,
		encodeMap(e.Details), e.PrevHash, e.Hash)
}

// User lifecycle (USER-2).

// DeleteInvitationsByEmail implements team.Tx.
func (t *tx) DeleteInvitationsByEmail(ctx context.Context, teamID, email string) (int, error) {
	found, err := exists(ctx, t.db, "finding team "+teamID, t.q.teamExists, teamID)
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, notFound("team " + teamID)
	}
	res, err := t.db.ExecContext(ctx, t.q.deleteInvitationsByEmail, teamID, email)
	if err != nil {
		return 0, mapErr("deleting invitations of "+teamID+" by email", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, mapErr("deleting invitations of "+teamID+" by email", err)
	}
	return int(n), nil
}
