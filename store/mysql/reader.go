package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// querier is what the pool, a connection and a transaction all offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// row is what *sql.Row and *sql.Rows offer the scan functions.
type row interface {
	Scan(dest ...any) error
}

// reader implements team.Reader on a querier: the pool for the Store's own
// reads, a transaction for a unit of work's.
type reader struct {
	q  *queries
	db querier
}

// timeLayout is how the store writes DATETIME(6) values: UTC, microseconds.
const timeLayout = "2006-01-02 15:04:05.000000"

// ts prepares a time for storage: UTC, truncated to the microsecond that
// DATETIME(6) keeps, as text, so that neither the driver's loc parameter
// nor the server's rounding of extra digits changes what is stored.
func ts(t time.Time) string { return t.UTC().Truncate(time.Microsecond).Format(timeLayout) }

// nullTS stores the zero time as NULL.
func nullTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

// dbTime scans a DATETIME(6) column that holds UTC: a time.Time (DSN with
// parseTime=true; the driver parsed it in its loc, so the wall clock is
// read back as UTC), or text (parseTime=false). NULL is the zero time.
type dbTime struct{ t time.Time }

// Scan implements sql.Scanner.
func (d *dbTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		d.t = time.Time{}
	case time.Time:
		d.t = time.Date(v.Year(), v.Month(), v.Day(), v.Hour(), v.Minute(), v.Second(), v.Nanosecond(), time.UTC)
	case []byte:
		return d.parse(string(v))
	case string:
		return d.parse(v)
	default:
		return fmt.Errorf("mysql: scanning a DATETIME: unexpected %T", v)
	}
	return nil
}

func (d *dbTime) parse(s string) error {
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999", s, time.UTC)
	if err != nil {
		return fmt.Errorf("mysql: scanning a DATETIME: %w", err)
	}
	d.t = t
	return nil
}

// encodeMap stores a nil map as NULL and any other map as a JSON object, so
// nil and empty maps both read back as they were written.
func encodeMap(m map[string]string) any {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil { // cannot happen for map[string]string
		panic(fmt.Sprintf("mysql: encoding map: %v", err))
	}
	return string(b)
}

func decodeMap(b []byte) (map[string]string, error) {
	if b == nil {
		return nil, nil
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("mysql: decoding JSON map: %w", err)
	}
	return m, nil
}

func scanTeam(r row) (team.Team, error) {
	var (
		t                         team.Team
		kind                      string
		settings                  []byte
		created, updated, deleted dbTime
	)
	if err := r.Scan(&t.ID, &kind, &t.Name, &t.OwnerID, &settings, &created, &updated, &deleted); err != nil {
		return team.Team{}, err
	}
	t.Kind = team.Kind(kind)
	t.CreatedAt, t.UpdatedAt, t.DeletedAt = created.t, updated.t, deleted.t
	var err error
	t.Settings, err = decodeMap(settings)
	return t, err
}

func scanMember(r row) (team.Member, error) {
	var (
		m      team.Member
		joined dbTime
		epoch  int64
	)
	if err := r.Scan(&m.TeamID, &m.UserID, &m.Email, &m.Name, &m.Role, &joined, &epoch); err != nil {
		return team.Member{}, err
	}
	m.JoinedAt = joined.t
	m.Epoch = uint64(epoch)
	return m, nil
}

func scanInvitation(r row) (team.Invitation, error) {
	var (
		inv                       team.Invitation
		status                    string
		created, expires, updated dbTime
	)
	if err := r.Scan(&inv.ID, &inv.TeamID, &inv.Email, &inv.Role, &inv.InviterID, &status, &inv.TokenHash,
		&created, &expires, &updated); err != nil {
		return team.Invitation{}, err
	}
	inv.Status = team.InvitationStatus(status)
	inv.CreatedAt, inv.ExpiresAt, inv.UpdatedAt = created.t, expires.t, updated.t
	return inv, nil
}

func scanAccount(r row) (billing.Account, error) {
	var (
		a                billing.Account
		plan, status     string
		created, updated dbTime
	)
	if err := r.Scan(&a.ID, &a.UserID, &plan, &status, &a.Balance, &created, &updated); err != nil {
		return billing.Account{}, err
	}
	a.Plan, a.Status = billing.Plan(plan), billing.Status(status)
	a.CreatedAt, a.UpdatedAt = created.t, updated.t
	return a, nil
}

func scanUsage(r row) (billing.UsageRecord, error) {
	var (
		u    billing.UsageRecord
		at   dbTime
		meta []byte
	)
	if err := r.Scan(&u.ID, &u.TeamID, &u.UserID, &u.AccountID, &u.Amount, &at, &u.IdempotencyKey, &meta); err != nil {
		return billing.UsageRecord{}, err
	}
	u.Time = at.t
	var err error
	u.Metadata, err = decodeMap(meta)
	return u, err
}

func scanEvent(r row) (audit.Event, error) {
	var (
		e       audit.Event
		seq     int64
		at      dbTime
		action  string
		details []byte
	)
	if err := r.Scan(&e.ID, &e.TeamID, &seq, &at, &e.ActorID, &action, &e.Target, &details, &e.PrevHash, &e.Hash); err != nil {
		return audit.Event{}, err
	}
	e.Seq, e.Time, e.Action = uint64(seq), at.t, audit.Action(action)
	var err error
	e.Details, err = decodeMap(details)
	return e, err
}

// one runs a query for one record and maps no rows to team.ErrNotFound.
func one[T any](ctx context.Context, db querier, scan func(row) (T, error), doing, query string, args ...any) (T, error) {
	v, err := scan(db.QueryRowContext(ctx, query, args...))
	if err != nil {
		var zero T
		return zero, mapErr(doing, err)
	}
	return v, nil
}

// list runs a query for many records; none is an empty, non-nil slice.
func list[T any](ctx context.Context, db querier, scan func(row) (T, error), doing, query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
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

// exists reports whether query finds a row.
func exists(ctx context.Context, db querier, doing, query string, args ...any) (bool, error) {
	var one int
	err := db.QueryRowContext(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, mapErr(doing, err)
	}
	return true, nil
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
	if err := r.db.QueryRowContext(ctx, r.q.countOwned, ownerID, string(kind)).Scan(&n); err != nil {
		return 0, mapErr("counting teams of "+ownerID, err)
	}
	return n, nil
}

// Member implements team.Reader with one query on the primary key.
func (r reader) Member(ctx context.Context, teamID, userID string) (team.Member, error) {
	m, err := scanMember(r.db.QueryRowContext(ctx, r.q.member, teamID, userID))
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
	return list(ctx, r.db, scanInvitation, "invitations of "+teamID, r.q.invitations, teamID, string(status), string(status))
}

// InvitationsByEmail implements team.Reader.
func (r reader) InvitationsByEmail(ctx context.Context, email string, status team.InvitationStatus) ([]team.Invitation, error) {
	return list(ctx, r.db, scanInvitation, "invitations by email", r.q.invitationsByEmail, email, string(status), string(status))
}

// Account implements team.Reader.
func (r reader) Account(ctx context.Context, userID string) (billing.Account, error) {
	return one(ctx, r.db, scanAccount, "account of "+userID, r.q.account, userID)
}

// UsageByKey implements team.Reader.
func (r reader) UsageByKey(ctx context.Context, teamID, key string) (billing.UsageRecord, error) {
	return one(ctx, r.db, scanUsage, "usage by key in "+teamID, r.q.usageByKey, teamID, key)
}

// UsageTotals implements team.Reader. MySQL sums BIGINTs as DECIMAL, so a
// member's total beyond int64 is an error matching billing.ErrTotalOverflow
// (BILL-10), never a wrapped number nor an out-of-range error from the
// server.
func (r reader) UsageTotals(ctx context.Context, teamID string, from, to time.Time) ([]billing.MemberUsage, error) {
	scan := func(rw row) (billing.MemberUsage, error) {
		var u billing.MemberUsage
		var sum string
		var n int64
		if err := rw.Scan(&u.UserID, &sum, &n); err != nil {
			return u, err
		}
		amount, err := strconv.ParseInt(sum, 10, 64)
		if err != nil {
			return u, fmt.Errorf("%w: member %s used more than that in the range", billing.ErrTotalOverflow, u.UserID)
		}
		u.Amount, u.Records = amount, int(n)
		return u, nil
	}
	f, t := nullTS(from), nullTS(to)
	return list(ctx, r.db, scan, "usage totals of "+teamID, r.q.usageTotals, teamID, f, f, t, t)
}

// AuditEvents implements team.Reader.
func (r reader) AuditEvents(ctx context.Context, teamID string, f audit.Filter) ([]audit.Event, error) {
	after := int64(min(f.AfterSeq, uint64(1<<63-1)))
	from, to := nullTS(f.From), nullTS(f.To)
	args := []any{teamID, after, f.ActorID, f.ActorID, from, from, to, to}
	var q strings.Builder
	q.WriteString(r.q.auditEvents)
	if len(f.Actions) > 0 {
		q.WriteString(" AND action IN (" + placeholders(len(f.Actions)) + ")")
		for _, a := range f.Actions {
			args = append(args, string(a))
		}
	}
	q.WriteString(" ORDER BY seq")
	if f.Limit > 0 {
		q.WriteString(" LIMIT ?")
		args = append(args, int64(f.Limit))
	}
	return list(ctx, r.db, scanEvent, "audit events of "+teamID, q.String(), args...)
}

// LastAuditEvent implements team.Reader.
func (r reader) LastAuditEvent(ctx context.Context, teamID string) (audit.Event, error) {
	return one(ctx, r.db, scanEvent, "last audit event of "+teamID, r.q.lastAuditEvent, teamID)
}

// User lifecycle (ROLE-8, USER-1, USER-2).

func scanMembership(r row) (team.Membership, error) {
	var (
		ms                        team.Membership
		kind                      string
		settings                  []byte
		created, updated, deleted dbTime
		joined                    dbTime
		epoch                     int64
	)
	t, m := &ms.Team, &ms.Member
	if err := r.Scan(&t.ID, &kind, &t.Name, &t.OwnerID, &settings, &created, &updated, &deleted,
		&m.TeamID, &m.UserID, &m.Email, &m.Name, &m.Role, &joined, &epoch); err != nil {
		return team.Membership{}, err
	}
	t.Kind = team.Kind(kind)
	t.CreatedAt, t.UpdatedAt, t.DeletedAt = created.t, updated.t, deleted.t
	m.JoinedAt, m.Epoch = joined.t, uint64(epoch)
	var err error
	t.Settings, err = decodeMap(settings)
	return ms, err
}

// MembershipsOfUser implements team.Reader with one JOIN.
func (r reader) MembershipsOfUser(ctx context.Context, userID string) ([]team.Membership, error) {
	return list(ctx, r.db, scanMembership, "memberships of "+userID, r.q.membershipsOfUser, userID)
}
