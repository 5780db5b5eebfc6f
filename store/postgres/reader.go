package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// querier is what both the pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// reader implements team.Reader on a querier: the pool for the Store's own
// reads, a transaction for a unit of work's.
type reader struct {
	q  *queries
	db querier
}

// ts prepares a time for storage: UTC, truncated to the microsecond that
// PostgreSQL keeps, so what is stored is what is read back.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// nullTS stores the zero time as NULL.
func nullTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

// fromTS returns a read time in UTC, the zero time for NULL.
func fromTS(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// encodeMap stores a nil map as NULL and any other map as a JSON object, so
// nil and empty maps both read back as they were written.
func encodeMap(m map[string]string) []byte {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil { // cannot happen for map[string]string
		panic(fmt.Sprintf("postgres: encoding map: %v", err))
	}
	return b
}

func decodeMap(b []byte) (map[string]string, error) {
	if b == nil {
		return nil, nil
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("postgres: decoding jsonb map: %w", err)
	}
	return m, nil
}

func scanTeam(row pgx.Row) (team.Team, error) {
	var (
		t                         team.Team
		kind                      string
		settings                  []byte
		created, updated, deleted pgtype.Timestamptz
	)
	if err := row.Scan(&t.ID, &kind, &t.Name, &t.OwnerID, &settings, &created, &updated, &deleted); err != nil {
		return team.Team{}, err
	}
	t.Kind = team.Kind(kind)
	t.CreatedAt, t.UpdatedAt, t.DeletedAt = fromTS(created), fromTS(updated), fromTS(deleted)
	var err error
	t.Settings, err = decodeMap(settings)
	return t, err
}

func scanMember(row pgx.Row) (team.Member, error) {
	var (
		m      team.Member
		joined pgtype.Timestamptz
		epoch  int64
	)
	if err := row.Scan(&m.TeamID, &m.UserID, &m.Email, &m.Name, &m.Role, &joined, &epoch); err != nil {
		return team.Member{}, err
	}
	m.JoinedAt = fromTS(joined)
	m.Epoch = uint64(epoch)
	return m, nil
}

func scanInvitation(row pgx.Row) (team.Invitation, error) {
	var (
		inv                       team.Invitation
		status                    string
		created, expires, updated pgtype.Timestamptz
	)
	if err := row.Scan(&inv.ID, &inv.TeamID, &inv.Email, &inv.Role, &inv.InviterID, &status, &inv.TokenHash,
		&created, &expires, &updated); err != nil {
		return team.Invitation{}, err
	}
	inv.Status = team.InvitationStatus(status)
	inv.CreatedAt, inv.ExpiresAt, inv.UpdatedAt = fromTS(created), fromTS(expires), fromTS(updated)
	return inv, nil
}

func scanAccount(row pgx.Row) (billing.Account, error) {
	var (
		a                billing.Account
		plan, status     string
		created, updated pgtype.Timestamptz
	)
	if err := row.Scan(&a.ID, &a.UserID, &plan, &status, &a.Balance, &created, &updated); err != nil {
		return billing.Account{}, err
	}
	a.Plan, a.Status = billing.Plan(plan), billing.Status(status)
	a.CreatedAt, a.UpdatedAt = fromTS(created), fromTS(updated)
	return a, nil
}

func scanUsage(row pgx.Row) (billing.UsageRecord, error) {
	var (
		r    billing.UsageRecord
		at   pgtype.Timestamptz
		meta []byte
	)
	if err := row.Scan(&r.ID, &r.TeamID, &r.UserID, &r.AccountID, &r.Amount, &at, &r.IdempotencyKey, &meta); err != nil {
		return billing.UsageRecord{}, err
	}
	r.Time = fromTS(at)
	var err error
	r.Metadata, err = decodeMap(meta)
	return r, err
}

func scanEvent(row pgx.Row) (audit.Event, error) {
	var (
		e       audit.Event
		seq     int64
		at      pgtype.Timestamptz
		action  string
		details []byte
	)
	if err := row.Scan(&e.ID, &e.TeamID, &seq, &at, &e.ActorID, &action, &e.Target, &details, &e.PrevHash, &e.Hash); err != nil {
		return audit.Event{}, err
	}
	e.Seq, e.Time, e.Action = uint64(seq), fromTS(at), audit.Action(action)
	var err error
	e.Details, err = decodeMap(details)
	return e, err
}

// one runs a query for one record and maps no rows to team.ErrNotFound.
func one[T any](ctx context.Context, db querier, scan func(pgx.Row) (T, error), doing, sql string, args ...any) (T, error) {
	v, err := scan(db.QueryRow(ctx, sql, args...))
	if err != nil {
		var zero T
		return zero, mapErr(doing, err)
	}
	return v, nil
}

// list runs a query for many records; none is an empty, non-nil slice.
func list[T any](ctx context.Context, db querier, scan func(pgx.Row) (T, error), doing, sql string, args ...any) ([]T, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr(doing, err)
	}
	defer rows.Close()
	out := make([]T, 0)
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, mapErr(doing, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(doing, err)
	}
	return out, nil
}

// Team implements team.Reader.
func (r reader) Team(ctx context.Context, teamID string) (team.Team, error) {
	return one(ctx, r.db, scanTeam, "team "+teamID, r.q.team, teamID)
}

// PersonalTeam implements team.Reader.
func (r reader) PersonalTeam(ctx context.Context, userID string) (team.Team, error) {
	return one(ctx, r.db, scanTeam, "personal team of "+userID, r.q.personalTeam, userID)
}

// TeamsOfUser implements team.Reader.
func (r reader) TeamsOfUser(ctx context.Context, userID string) ([]team.Team, error) {
	return list(ctx, r.db, scanTeam, "teams of "+userID, r.q.teamsOfUser, userID)
}

// CountOwnedTeams implements team.Reader.
func (r reader) CountOwnedTeams(ctx context.Context, ownerID string, kind team.Kind) (int, error) {
	var n int
	if err := r.db.QueryRow(ctx, r.q.countOwned, ownerID, string(kind)).Scan(&n); err != nil {
		return 0, mapErr("counting teams of "+ownerID, err)
	}
	return n, nil
}

// Member implements team.Reader with one query on the primary key.
func (r reader) Member(ctx context.Context, teamID, userID string) (team.Member, error) {
	m, err := scanMember(r.db.QueryRow(ctx, r.q.member, teamID, userID))
	if err != nil {
		return team.Member{}, mapErr("membership", err)
	}
	return m, nil
}

// Members implements team.Reader.
func (r reader) Members(ctx context.Context, teamID string) ([]team.Member, error) {
	return list(ctx, r.db, scanMember, "members of "+teamID, r.q.members, teamID)
}

// Invitation implements team.Reader.
func (r reader) Invitation(ctx context.Context, invitationID string) (team.Invitation, error) {
	return one(ctx, r.db, scanInvitation, "invitation "+invitationID, r.q.invitation, invitationID)
}

// InvitationByTokenHash implements team.Reader.
func (r reader) InvitationByTokenHash(ctx context.Context, hash string) (team.Invitation, error) {
	return one(ctx, r.db, scanInvitation, "invitation by token", r.q.invitationByToken, hash)
}

// Invitations implements team.Reader.
func (r reader) Invitations(ctx context.Context, teamID string, status team.InvitationStatus) ([]team.Invitation, error) {
	return list(ctx, r.db, scanInvitation, "invitations of "+teamID, r.q.invitations, teamID, string(status))
}

// InvitationsByEmail implements team.Reader.
func (r reader) InvitationsByEmail(ctx context.Context, email string, status team.InvitationStatus) ([]team.Invitation, error) {
	return list(ctx, r.db, scanInvitation, "invitations by email", r.q.invitationsByEmail, email, string(status))
}

// Account implements team.Reader.
func (r reader) Account(ctx context.Context, userID string) (billing.Account, error) {
	return one(ctx, r.db, scanAccount, "account of "+userID, r.q.account, userID)
}

// UsageByKey implements team.Reader.
func (r reader) UsageByKey(ctx context.Context, teamID, key string) (billing.UsageRecord, error) {
	return one(ctx, r.db, scanUsage, "usage by key in "+teamID, r.q.usageByKey, teamID, key)
}

// UsageTotals implements team.Reader. The sums are numeric in PostgreSQL,
// so a member's total beyond int64 is an error matching
// billing.ErrTotalOverflow (BILL-10), never a wrapped number nor a
// "bigint out of range" from the server.
func (r reader) UsageTotals(ctx context.Context, teamID string, from, to time.Time) ([]billing.MemberUsage, error) {
	scan := func(row pgx.Row) (billing.MemberUsage, error) {
		var u billing.MemberUsage
		var sum pgtype.Numeric
		var n int64
		if err := row.Scan(&u.UserID, &sum, &n); err != nil {
			return u, err
		}
		amount, err := sum.Int64Value()
		if err != nil || !amount.Valid {
			return u, fmt.Errorf("%w: member %s used more than that in the range", billing.ErrTotalOverflow, u.UserID)
		}
		u.Amount, u.Records = amount.Int64, int(n)
		return u, nil
	}
	return list(ctx, r.db, scan, "usage totals of "+teamID, r.q.usageTotals, teamID, nullTS(from), nullTS(to))
}

// AuditEvents implements team.Reader.
func (r reader) AuditEvents(ctx context.Context, teamID string, f audit.Filter) ([]audit.Event, error) {
	actions := make([]string, len(f.Actions))
	for i, a := range f.Actions {
		actions[i] = string(a)
	}
	var limit any
	if f.Limit > 0 {
		limit = int64(f.Limit)
	}
	after := int64(min(f.AfterSeq, uint64(1<<63-1)))
	return list(ctx, r.db, scanEvent, "audit events of "+teamID, r.q.auditEvents,
		teamID, after, f.ActorID, actions, nullTS(f.From), nullTS(f.To), limit)
}

// LastAuditEvent implements team.Reader.
func (r reader) LastAuditEvent(ctx context.Context, teamID string) (audit.Event, error) {
	return one(ctx, r.db, scanEvent, "last audit event of "+teamID, r.q.lastAuditEvent, teamID)
}

// User lifecycle (ROLE-8, USER-2).

// scanMembership reads the team columns, then the member columns.
func scanMembership(row pgx.Row) (team.Membership, error) {
	var (
		ms                        team.Membership
		kind                      string
		settings                  []byte
		created, updated, deleted pgtype.Timestamptz
		joined                    pgtype.Timestamptz
		epoch                     int64
	)
	t, m := &ms.Team, &ms.Member
	if err := row.Scan(&t.ID, &kind, &t.Name, &t.OwnerID, &settings, &created, &updated, &deleted,
		&m.TeamID, &m.UserID, &m.Email, &m.Name, &m.Role, &joined, &epoch); err != nil {
		return team.Membership{}, err
	}
	t.Kind = team.Kind(kind)
	t.CreatedAt, t.UpdatedAt, t.DeletedAt = fromTS(created), fromTS(updated), fromTS(deleted)
	m.JoinedAt, m.Epoch = fromTS(joined), uint64(epoch)
	var err error
	t.Settings, err = decodeMap(settings)
	return ms, err
}

// MembershipsOfUser implements team.Reader with one JOIN.
func (r reader) MembershipsOfUser(ctx context.Context, userID string) ([]team.Membership, error) {
	return list(ctx, r.db, scanMembership, "memberships of "+userID, r.q.membershipsOfUser, userID)
}

// AuditHead implements team.Reader: the head kept on the team record.
func (r reader) AuditHead(ctx context.Context, teamID string) (team.AuditHead, error) {
	var (
		seq  int64
		head team.AuditHead
	)
	if err := r.db.QueryRow(ctx, r.q.auditHead, teamID).Scan(&seq, &head.Hash); err != nil {
		return team.AuditHead{}, mapErr("audit head of team "+teamID, err)
	}
	head.Seq = uint64(seq)
	return head, nil
}
