package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sync/atomic"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// querier is what both a pool and a transaction offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// reader implements team.Reader on a querier: the read pool for the Store's
// own reads, a transaction for a unit of work's.
type reader struct {
	db querier
	// member holds qMember prepared on the read pool once Migrate has
	// made the tables; nil in a unit of work.
	member *atomic.Pointer[sql.Stmt]
}

// timeLayout is how times are stored: UTC, fixed width, nanoseconds, so
// that comparing the text compares the times.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// ts is a time as a statement argument, in timeLayout. Its Value refuses
// years outside 0000–9999, whose text would not sort with the others.
type ts time.Time

// Value implements driver.Valuer.
func (t ts) Value() (driver.Value, error) {
	u := time.Time(t).UTC()
	if y := u.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("sqlite: time %s is outside the years 0000-9999 the store keeps", u)
	}
	return u.Format(timeLayout), nil
}

// nullTS stores the zero time as NULL.
func nullTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

// timeDest scans a stored time into t; NULL is the zero time.
type timeDest struct{ t *time.Time }

// Scan implements sql.Scanner.
func (d timeDest) Scan(src any) error {
	var text string
	switch v := src.(type) {
	case nil:
		*d.t = time.Time{}
		return nil
	case string:
		text = v
	case []byte:
		text = string(v)
	default:
		return fmt.Errorf("sqlite: stored time is a %T, want text", src)
	}
	t, err := time.Parse(timeLayout, text)
	if err != nil {
		return fmt.Errorf("sqlite: reading stored time %q: %w", text, err)
	}
	*d.t = t.UTC()
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
		panic(fmt.Sprintf("sqlite: encoding map: %v", err))
	}
	return string(b)
}

func decodeMap(s sql.NullString) (map[string]string, error) {
	if !s.Valid {
		return nil, nil
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(s.String), &m); err != nil {
		return nil, fmt.Errorf("sqlite: decoding JSON map: %w", err)
	}
	return m, nil
}

// row is what both *sql.Row and *sql.Rows offer.
type row interface{ Scan(dest ...any) error }

func scanTeam(r row) (team.Team, error) {
	var (
		t        team.Team
		kind     string
		settings sql.NullString
	)
	if err := r.Scan(&t.ID, &kind, &t.Name, &t.OwnerID, &settings,
		timeDest{&t.CreatedAt}, timeDest{&t.UpdatedAt}, timeDest{&t.DeletedAt}); err != nil {
		return team.Team{}, err
	}
	t.Kind = team.Kind(kind)
	var err error
	t.Settings, err = decodeMap(settings)
	return t, err
}

func scanMember(r row) (team.Member, error) {
	var (
		m     team.Member
		epoch int64
	)
	if err := r.Scan(&m.TeamID, &m.UserID, &m.Email, &m.Name, &m.Role, timeDest{&m.JoinedAt}, &epoch); err != nil {
		return team.Member{}, err
	}
	m.Epoch = uint64(epoch)
	return m, nil
}

func scanMembership(r row) (team.Membership, error) {
	var (
		ms       team.Membership
		kind     string
		settings sql.NullString
		epoch    int64
	)
	t, m := &ms.Team, &ms.Member
	if err := r.Scan(&t.ID, &kind, &t.Name, &t.OwnerID, &settings,
		timeDest{&t.CreatedAt}, timeDest{&t.UpdatedAt}, timeDest{&t.DeletedAt},
		&m.TeamID, &m.UserID, &m.Email, &m.Name, &m.Role, timeDest{&m.JoinedAt}, &epoch); err != nil {
		return team.Membership{}, err
	}
	t.Kind, m.Epoch = team.Kind(kind), uint64(epoch)
	var err error
	t.Settings, err = decodeMap(settings)
	return ms, err
}

func scanInvitation(r row) (team.Invitation, error) {
	var (
		inv    team.Invitation
		status string
	)
	if err := r.Scan(&inv.ID, &inv.TeamID, &inv.Email, &inv.Role, &inv.InviterID, &status, &inv.TokenHash,
		timeDest{&inv.CreatedAt}, timeDest{&inv.ExpiresAt}, timeDest{&inv.UpdatedAt}); err != nil {
		return team.Invitation{}, err
	}
	inv.Status = team.InvitationStatus(status)
	return inv, nil
}

func scanAccount(r row) (billing.Account, error) {
	var (
		a            billing.Account
		plan, status string
	)
	if err := r.Scan(&a.ID, &a.UserID, &plan, &status, &a.Balance, timeDest{&a.CreatedAt}, timeDest{&a.UpdatedAt}); err != nil {
		return billing.Account{}, err
	}
	a.Plan, a.Status = billing.Plan(plan), billing.Status(status)
	return a, nil
}

func scanUsage(r row) (billing.UsageRecord, error) {
	var (
		u    billing.UsageRecord
		meta sql.NullString
	)
	if err := r.Scan(&u.ID, &u.TeamID, &u.UserID, &u.AccountID, &u.Amount, timeDest{&u.Time}, &u.IdempotencyKey, &meta); err != nil {
		return billing.UsageRecord{}, err
	}
	var err error
	u.Metadata, err = decodeMap(meta)
	return u, err
}

func scanEvent(r row) (audit.Event, error) {
	var (
		e       audit.Event
		seq     int64
		action  string
		details sql.NullString
	)
	if err := r.Scan(&e.ID, &e.TeamID, &seq, timeDest{&e.Time}, &e.ActorID, &action, &e.Target, &details, &e.PrevHash, &e.Hash); err != nil {
		return audit.Event{}, err
	}
	e.Seq, e.Action = uint64(seq), audit.Action(action)
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
	defer func() { _ = rows.Close() }()
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
	return one(ctx, r.db, scanTeam, "team "+teamID, qTeam, teamID)
}

// PersonalTeam implements team.Reader.
func (r reader) PersonalTeam(ctx context.Context, userID string) (team.Team, error) {
	return one(ctx, r.db, scanTeam, "personal team of "+userID, qPersonalTeam, userID)
}

// TeamsOfUser implements team.Reader.
func (r reader) TeamsOfUser(ctx context.Context, userID string) ([]team.Team, error) {
	return list(ctx, r.db, scanTeam, "teams of "+userID, qTeamsOfUser, userID)
}

// MembershipsOfUser implements team.Reader with one JOIN.
func (r reader) MembershipsOfUser(ctx context.Context, userID string) ([]team.Membership, error) {
	return list(ctx, r.db, scanMembership, "memberships of "+userID, qMembershipsOfUser, userID)
}

// CountOwnedTeams implements team.Reader.
func (r reader) CountOwnedTeams(ctx context.Context, ownerID string, kind team.Kind) (int, error) {
	var n int
	if err := r.db.QueryRowContext(ctx, qCountOwned, ownerID, string(kind)).Scan(&n); err != nil {
		return 0, mapErr("counting teams of "+ownerID, err)
	}
	return n, nil
}

// Member implements team.Reader with one query on the primary key.
func (r reader) Member(ctx context.Context, teamID, userID string) (team.Member, error) {
	var rw *sql.Row
	if stmt := r.prepared(); stmt != nil {
		rw = stmt.QueryRowContext(ctx, teamID, userID) // prepared once per connection
	} else {
		rw = r.db.QueryRowContext(ctx, qMember, teamID, userID)
	}
	m, err := scanMember(rw)
	if err != nil {
		return team.Member{}, mapErr("membership", err)
	}
	return m, nil
}

func (r reader) prepared() *sql.Stmt {
	if r.member == nil {
		return nil
	}
	return r.member.Load()
}

// Members implements team.Reader.
func (r reader) Members(ctx context.Context, teamID string) ([]team.Member, error) {
	return list(ctx, r.db, scanMember, "members of "+teamID, qMembers, teamID)
}

// Invitation implements team.Reader.
func (r reader) Invitation(ctx context.Context, invitationID string) (team.Invitation, error) {
	return one(ctx, r.db, scanInvitation, "invitation "+invitationID, qInvitation, invitationID)
}

// InvitationByTokenHash implements team.Reader.
func (r reader) InvitationByTokenHash(ctx context.Context, hash string) (team.Invitation, error) {
	return one(ctx, r.db, scanInvitation, "invitation by token", qInvitationByToken, hash)
}

// Invitations implements team.Reader.
func (r reader) Invitations(ctx context.Context, teamID string, status team.InvitationStatus) ([]team.Invitation, error) {
	return list(ctx, r.db, scanInvitation, "invitations of "+teamID, qInvitations, teamID, string(status))
}

// InvitationsByEmail implements team.Reader.
func (r reader) InvitationsByEmail(ctx context.Context, email string, status team.InvitationStatus) ([]team.Invitation, error) {
	return list(ctx, r.db, scanInvitation, "invitations by email", qInvitationsByEmail, email, string(status))
}

// Account implements team.Reader.
func (r reader) Account(ctx context.Context, userID string) (billing.Account, error) {
	return one(ctx, r.db, scanAccount, "account of "+userID, qAccount, userID)
}

// UsageByKey implements team.Reader.
func (r reader) UsageByKey(ctx context.Context, teamID, key string) (billing.UsageRecord, error) {
	return one(ctx, r.db, scanUsage, "usage by key in "+teamID, qUsageByKey, teamID, key)
}

var (
	two32    = big.NewInt(1 << 32)
	maxInt64 = big.NewInt(math.MaxInt64)
	minInt64 = big.NewInt(math.MinInt64)
)

// UsageTotals implements team.Reader. SQLite's sum() of integers fails on
// overflow, so the query sums the high and low 32 bits of the amounts
// apart and the exact total is put together here: a member's total beyond
// int64 is an error matching billing.ErrTotalOverflow (BILL-10), never a
// wrapped number nor an "integer overflow" from SQLite.
func (r reader) UsageTotals(ctx context.Context, teamID string, from, to time.Time) ([]billing.MemberUsage, error) {
	scan := func(rw row) (billing.MemberUsage, error) {
		var (
			u      billing.MemberUsage
			hi, lo int64
			n      int64
		)
		if err := rw.Scan(&u.UserID, &hi, &lo, &n); err != nil {
			return u, err
		}
		sum := new(big.Int).Mul(big.NewInt(hi), two32)
		sum.Add(sum, big.NewInt(lo))
		if sum.Cmp(maxInt64) > 0 || sum.Cmp(minInt64) < 0 {
			return u, fmt.Errorf("%w: member %s used %s in the range", billing.ErrTotalOverflow, u.UserID, sum)
		}
		u.Amount, u.Records = sum.Int64(), int(n)
		return u, nil
	}
	return list(ctx, r.db, scan, "usage totals of "+teamID, qUsageTotals, teamID, nullTS(from), nullTS(to))
}

// AuditEvents implements team.Reader.
func (r reader) AuditEvents(ctx context.Context, teamID string, f audit.Filter) ([]audit.Event, error) {
	var actions any
	if len(f.Actions) > 0 {
		b, err := json.Marshal(f.Actions)
		if err != nil {
			return nil, fmt.Errorf("sqlite: encoding audit actions: %w", err)
		}
		actions = string(b)
	}
	limit := int64(-1) // SQLite: no limit
	if f.Limit > 0 {
		limit = int64(f.Limit)
	}
	after := int64(min(f.AfterSeq, uint64(math.MaxInt64)))
	return list(ctx, r.db, scanEvent, "audit events of "+teamID, qAuditEvents,
		teamID, after, f.ActorID, actions, nullTS(f.From), nullTS(f.To), limit)
}

// LastAuditEvent implements team.Reader.
func (r reader) LastAuditEvent(ctx context.Context, teamID string) (audit.Event, error) {
	return one(ctx, r.db, scanEvent, "last audit event of "+teamID, qLastAuditEvent, teamID)
}
