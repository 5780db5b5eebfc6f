package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// savepoint is the name of the savepoint a unit of work inside a host
// transaction runs in (WithTx).
const savepoint = "teamkit_unit"

// InTx runs fn in one BEGIN IMMEDIATE transaction on the Store's single
// writer connection. Units of work therefore run one after the other: each
// holds the file's write lock from its first statement to its end, and the
// next waits for the connection in database/sql's queue, which honours its
// ctx. LockTeam and LockAccount are plain reads for that reason: nobody
// else can write the row until the unit of work ends.
//
// InTx commits when fn returns nil, and rolls back when fn returns an
// error, panics (InTx re-panics) or ctx is done before fn starts or when it
// returns (InTx then returns an error matching ctx.Err()).
//
// When ctx carries a host transaction (WithTx), the unit of work runs inside
// it as a savepoint, and commits or rolls back only that savepoint.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx team.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: unit of work not started: %w", err)
	}
	if host := hostTx(ctx); host != nil {
		return inSavepoint(ctx, host, fn)
	}
	sqltx, err := s.w.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock in the DSN)
	if err != nil {
		return mapErr("beginning a unit of work", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = sqltx.Rollback() // also on panic; ErrTxDone when ctx already rolled it back
		}
	}()
	if err := fn(ctx, &tx{reader{db: sqltx}, sqltx}); err != nil {
		return withCtxErr(ctx, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: unit of work rolled back: %w", err)
	}
	if err := sqltx.Commit(); err != nil {
		return mapErr("committing the unit of work", withCtxErr(ctx, err))
	}
	committed = true
	return nil
}

// withCtxErr adds ctx's error to err when ctx is done and err does not say
// so already: database/sql rolls a transaction back when its context ends,
// and the statement that then fails reports only sql.ErrTxDone.
func withCtxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (unit of work rolled back: %w)", err, cerr)
	}
	return err
}

// inSavepoint runs fn inside the host's transaction as a savepoint.
func inSavepoint(ctx context.Context, host *sql.Tx, fn func(ctx context.Context, tx team.Tx) error) (err error) {
	if _, err := host.ExecContext(ctx, "SAVEPOINT "+savepoint); err != nil {
		return mapErr("beginning a unit of work in the host transaction", err)
	}
	done := false
	defer func() {
		if done {
			return
		}
		// Undo the savepoint's writes and drop it; the host's transaction
		// goes on. Without ctx: the rollback must reach the database.
		bg := context.WithoutCancel(ctx)
		_, _ = host.ExecContext(bg, "ROLLBACK TO "+savepoint)
		_, _ = host.ExecContext(bg, "RELEASE "+savepoint)
	}()
	if err := fn(ctx, &tx{reader{db: host}, host}); err != nil {
		return withCtxErr(ctx, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: unit of work rolled back: %w", err)
	}
	if _, err := host.ExecContext(ctx, "RELEASE "+savepoint); err != nil {
		return mapErr("releasing the unit of work's savepoint", err)
	}
	done = true
	return nil
}

// tx is a unit of work on a SQLite transaction (or savepoint).
type tx struct {
	reader
	sql querier
}

var _ team.Tx = (*tx)(nil)

// exec runs a write and returns noRows (when not nil) if it changed no row.
func (t *tx) exec(ctx context.Context, doing string, noRows error, query string, args ...any) error {
	res, err := t.sql.ExecContext(ctx, query, args...)
	if err != nil {
		return mapErr(doing, err)
	}
	if noRows == nil {
		return nil
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(doing, err)
	}
	if n == 0 {
		return noRows
	}
	return nil
}

// LockTeam implements team.Tx. It is a plain read: the unit of work holds
// the database's write lock since BEGIN IMMEDIATE, so no other unit of work
// can change the team before this one ends.
func (t *tx) LockTeam(ctx context.Context, teamID string) (team.Team, error) {
	return t.Team(ctx, teamID)
}

func teamArgs(tm team.Team) []any {
	return []any{tm.ID, string(tm.Kind), tm.Name, tm.OwnerID, encodeMap(tm.Settings), ts(tm.CreatedAt), ts(tm.UpdatedAt), nullTS(tm.DeletedAt)}
}

// InsertTeam implements team.Tx.
func (t *tx) InsertTeam(ctx context.Context, tm team.Team) error {
	return t.exec(ctx, "inserting team "+tm.ID, conflict("team "+tm.ID+" or the owner's personal team exists"),
		qInsertTeam, teamArgs(tm)...)
}

// UpdateTeam implements team.Tx.
func (t *tx) UpdateTeam(ctx context.Context, tm team.Team) error {
	return t.exec(ctx, "updating team "+tm.ID, notFound("team "+tm.ID), qUpdateTeam, teamArgs(tm)...)
}

// DeleteTeamMembers implements team.Tx.
func (t *tx) DeleteTeamMembers(ctx context.Context, teamID string) error {
	if err := t.teamExists(ctx, "deleting members of "+teamID, teamID); err != nil {
		return err
	}
	if err := t.exec(ctx, "deleting members of "+teamID, nil, qDeleteMembers, teamID); err != nil {
		return err
	}
	return t.exec(ctx, "deleting pending invitations of "+teamID, nil, qDeletePendingInvs, teamID)
}

// DeleteInvitationsByEmail implements team.Tx.
func (t *tx) DeleteInvitationsByEmail(ctx context.Context, teamID, email string) (int, error) {
	if err := t.teamExists(ctx, "deleting invitations of "+teamID+" by email", teamID); err != nil {
		return 0, err
	}
	res, err := t.sql.ExecContext(ctx, qDeleteInvsByEmail, teamID, email)
	if err != nil {
		return 0, mapErr("deleting invitations of "+teamID+" by email", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, mapErr("deleting invitations of "+teamID+" by email", err)
	}
	return int(n), nil
}

// teamExists returns an error matching team.ErrNotFound when teamID does
// not exist.
func (t *tx) teamExists(ctx context.Context, doing, teamID string) error {
	var exists bool
	if err := t.sql.QueryRowContext(ctx, qTeamExists, teamID).Scan(&exists); err != nil {
		return mapErr(doing, err)
	}
	if !exists {
		return notFound("team " + teamID)
	}
	return nil
}

func memberArgs(m team.Member) []any {
	return []any{m.TeamID, m.UserID, m.Email, m.Name, m.Role, ts(m.JoinedAt), int64(m.Epoch)}
}

// InsertMember implements team.Tx.
func (t *tx) InsertMember(ctx context.Context, m team.Member) error {
	return t.exec(ctx, "inserting member", conflict("user "+m.UserID+" is a member of "+m.TeamID), qInsertMember, memberArgs(m)...)
}

// UpdateMember implements team.Tx.
func (t *tx) UpdateMember(ctx context.Context, m team.Member) error {
	return t.exec(ctx, "updating member", notFound("membership of "+m.UserID+" in "+m.TeamID), qUpdateMember, memberArgs(m)...)
}

// DeleteMember implements team.Tx.
func (t *tx) DeleteMember(ctx context.Context, teamID, userID string) error {
	return t.exec(ctx, "deleting member", notFound("membership of "+userID+" in "+teamID), qDeleteMember, teamID, userID)
}

func invitationArgs(inv team.Invitation) []any {
	return []any{inv.ID, inv.TeamID, inv.Email, inv.Role, inv.InviterID, string(inv.Status), inv.TokenHash,
		ts(inv.CreatedAt), ts(inv.ExpiresAt), ts(inv.UpdatedAt)}
}

// InsertInvitation implements team.Tx.
func (t *tx) InsertInvitation(ctx context.Context, inv team.Invitation) error {
	return t.exec(ctx, "inserting invitation", conflict("invitation "+inv.ID+", its token or a pending invitation to the email exists"),
		qInsertInvitation, invitationArgs(inv)...)
}

// UpdateInvitation implements team.Tx. A unique index the update would
// break fails the statement alone (team.ErrConflict); the unit of work goes
// on.
func (t *tx) UpdateInvitation(ctx context.Context, inv team.Invitation) error {
	return t.exec(ctx, "updating invitation "+inv.ID, notFound("invitation "+inv.ID), qUpdateInvitation, invitationArgs(inv)...)
}

func accountArgs(a billing.Account) []any {
	return []any{a.ID, a.UserID, string(a.Plan), string(a.Status), a.Balance, ts(a.CreatedAt), ts(a.UpdatedAt)}
}

// InsertAccount implements team.Tx.
func (t *tx) InsertAccount(ctx context.Context, a billing.Account) error {
	return t.exec(ctx, "inserting account", conflict("account "+a.ID+" or an account of user "+a.UserID+" exists"),
		qInsertAccount, accountArgs(a)...)
}

// LockAccount implements team.Tx. Like LockTeam it is a plain read under
// the unit of work's write lock.
func (t *tx) LockAccount(ctx context.Context, userID string) (billing.Account, error) {
	return t.Account(ctx, userID)
}

// UpdateAccount implements team.Tx.
func (t *tx) UpdateAccount(ctx context.Context, a billing.Account) error {
	return t.exec(ctx, "updating account", notFound("account "+a.ID), qUpdateAccount, accountArgs(a)...)
}

func usageArgs(r billing.UsageRecord) []any {
	return []any{r.ID, r.TeamID, r.UserID, r.AccountID, r.Amount, ts(r.Time), r.IdempotencyKey, encodeMap(r.Metadata)}
}

// InsertUsage implements team.Tx.
func (t *tx) InsertUsage(ctx context.Context, r billing.UsageRecord) error {
	return t.exec(ctx, "inserting usage", conflict("usage record "+r.ID+" or its idempotency key exists in "+r.TeamID),
		qInsertUsage, usageArgs(r)...)
}

// InsertTopUp implements team.Tx.
func (t *tx) InsertTopUp(ctx context.Context, tu billing.TopUp) error {
	return t.exec(ctx, "inserting top-up", conflict("top-up "+tu.ID+" exists"), qInsertTopUp,
		tu.ID, tu.AccountID, tu.TeamID, tu.ActorID, tu.Amount, ts(tu.Time))
}

// AppendAuditEvent implements team.Tx. Events are never updated or deleted
// (triggers refuse both).
func (t *tx) AppendAuditEvent(ctx context.Context, e audit.Event) error {
	if e.Seq > math.MaxInt64 {
		return fmt.Errorf("sqlite: audit event seq %d out of range", e.Seq)
	}
	return t.exec(ctx, "appending audit event", conflict("audit event "+e.ID+" or seq in "+e.TeamID+" exists"),
		qAppendAuditEvent, e.ID, e.TeamID, int64(e.Seq), ts(e.Time), e.ActorID, string(e.Action), e.Target,
		encodeMap(e.Details), e.PrevHash, e.Hash)
}
