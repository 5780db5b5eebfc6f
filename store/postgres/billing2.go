package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
)

// Billing v2 (BILL-8 … BILL-12): account trails, top-up keys, the ledger
// and the usage aggregates, each one SQL statement.

func scanTopUp(row pgx.Row) (billing.TopUp, error) {
	var (
		t  billing.TopUp
		at pgtype.Timestamptz
	)
	if err := row.Scan(&t.ID, &t.AccountID, &t.TeamID, &t.ActorID, &t.Amount, &at, &t.IdempotencyKey); err != nil {
		return billing.TopUp{}, err
	}
	t.Time = fromTS(at)
	return t, nil
}

// exactSum converts a numeric sum to int64, refusing one beyond it with an
// error matching billing.ErrTotalOverflow (BILL-10).
func exactSum(sum pgtype.Numeric, what string) (int64, error) {
	v, err := sum.Int64Value()
	if err != nil || !v.Valid {
		return 0, fmt.Errorf("%w: %s", billing.ErrTotalOverflow, what)
	}
	return v.Int64, nil
}

// TopUpByKey implements team.Reader.
func (r reader) TopUpByKey(ctx context.Context, accountID, key string) (billing.TopUp, error) {
	return one(ctx, r.db, scanTopUp, "top-up by key of account "+accountID, r.q.topUpByKey, accountID, key)
}

// ledgerArgs are the arguments of a ledger page query (see ledgerQuery).
func ledgerArgs(q billing.LedgerQuery) (ledgerKey, []any) {
	k := ledgerKey{byAccount: q.AccountID != "", desc: q.Desc, after: !q.After.IsZero()}
	owner := q.TeamID
	if k.byAccount {
		owner = q.AccountID
	}
	var limit, afterTime, afterID any
	if q.Limit > 0 {
		limit = int64(q.Limit)
	}
	if k.after {
		afterTime, afterID = ts(q.After.Time), q.After.ID
	}
	return k, []any{owner, q.UserID, nullTS(q.From), nullTS(q.To), afterTime, afterID, limit}
}

// UsageRecords implements team.Reader with a keyset page on the index of
// (team or account, time, id).
func (r reader) UsageRecords(ctx context.Context, q billing.LedgerQuery) ([]billing.UsageRecord, error) {
	if q.AccountID == "" && q.TeamID == "" {
		return []billing.UsageRecord{}, nil
	}
	k, args := ledgerArgs(q)
	return list(ctx, r.db, scanUsage, "usage records", r.q.ledger[k], args...)
}

// TopUps implements team.Reader like UsageRecords.
func (r reader) TopUps(ctx context.Context, q billing.LedgerQuery) ([]billing.TopUp, error) {
	if q.AccountID == "" && q.TeamID == "" {
		return []billing.TopUp{}, nil
	}
	k, args := ledgerArgs(q)
	k.topUps = true
	return list(ctx, r.db, scanTopUp, "top-ups", r.q.ledger[k], args...)
}

// UsageSeries implements team.Reader: PostgreSQL groups the records by
// bucket (width_bucket against the bounds Go computes from the time zone,
// so days follow DST exactly as in every store) and member.
func (r reader) UsageSeries(ctx context.Context, q billing.SeriesQuery) ([]billing.SeriesPoint, error) {
	bounds, err := billing.BucketBounds(q.From, q.To, q.Bucket, q.Location)
	if err != nil {
		return nil, fmt.Errorf("postgres: usage series: %w", err)
	}
	sqlBounds := make([]time.Time, len(bounds))
	for i, b := range bounds {
		sqlBounds[i] = b.UTC()
	}
	owner, sql := q.TeamID, r.q.usageSeriesTeam
	if owner == "" {
		owner, sql = q.AccountID, r.q.usageSeriesAccount
	}
	args := []any{owner, ts(q.From), ts(q.To), sqlBounds, q.UserID}
	if h0, h1, ok := wholeHours(q.From, q.To, bounds); ok && q.TeamID != "" {
		sql, args = r.q.usageSeriesHourly, append(args, h0, h1)
	}
	scan := func(row pgx.Row) (billing.SeriesPoint, error) {
		var (
			p      billing.SeriesPoint
			bucket int32
			sum    pgtype.Numeric
			n      int64
		)
		if err := row.Scan(&bucket, &p.UserID, &sum, &n); err != nil {
			return p, err
		}
		if bucket < 1 || int(bucket) >= len(bounds) {
			return p, fmt.Errorf("postgres: usage series: record outside the buckets (bucket %d of %d)", bucket, len(bounds)-1)
		}
		p.Start, p.Records = bounds[bucket-1], int(n)
		p.Amount, err = exactSum(sum, "a bucket of member "+p.UserID+" used more than that")
		return p, err
	}
	return list(ctx, r.db, scan, "usage series", sql, args...)
}

// wholeHours returns the whole UTC hours [h0, h1) inside [from, to) when
// every bucket bound between them is a whole UTC hour, so usage_hourly can
// answer them: days and hours in any zone whose offset is whole hours.
func wholeHours(from, to time.Time, bounds []time.Time) (h0, h1 time.Time, ok bool) {
	h0, h1 = ts(from).Truncate(time.Hour), ts(to).Truncate(time.Hour)
	if h0.Before(ts(from)) {
		h0 = h0.Add(time.Hour)
	}
	if !h0.Before(h1) {
		return time.Time{}, time.Time{}, false
	}
	for _, b := range bounds[1 : len(bounds)-1] {
		if !b.UTC().Truncate(time.Hour).Equal(b) {
			return time.Time{}, time.Time{}, false
		}
	}
	return h0, h1, true
}

// UsageBreakdown implements team.Reader, grouped in PostgreSQL.
func (r reader) UsageBreakdown(ctx context.Context, q billing.BreakdownQuery) ([]billing.BreakdownRow, error) {
	owner, sql := q.TeamID, r.q.usageBreakdownTeam
	if owner == "" {
		owner, sql = q.AccountID, r.q.usageBreakdownAccount
	}
	scan := func(row pgx.Row) (billing.BreakdownRow, error) {
		var (
			b   billing.BreakdownRow
			sum pgtype.Numeric
			n   int64
		)
		if err := row.Scan(&b.Value, &b.Missing, &sum, &n); err != nil {
			return b, err
		}
		b.Records = int(n)
		var err error
		b.Amount, err = exactSum(sum, fmt.Sprintf("the usage with %s=%q is more than that", q.Key, b.Value))
		return b, err
	}
	return list(ctx, r.db, scan, "usage breakdown", sql, owner, nullTS(q.From), nullTS(q.To), q.Key, q.UserID)
}

// AccountUsageTotals implements team.Reader, grouped in PostgreSQL.
func (r reader) AccountUsageTotals(ctx context.Context, accountID string, from, to time.Time) ([]billing.TeamMemberUsage, error) {
	scan := func(row pgx.Row) (billing.TeamMemberUsage, error) {
		var (
			u   billing.TeamMemberUsage
			sum pgtype.Numeric
			n   int64
		)
		if err := row.Scan(&u.TeamID, &u.UserID, &sum, &n); err != nil {
			return u, err
		}
		u.Records = int(n)
		var err error
		u.Amount, err = exactSum(sum, "member "+u.UserID+" of team "+u.TeamID+" used more than that")
		return u, err
	}
	return list(ctx, r.db, scan, "usage totals of account "+accountID, r.q.accountUsageTotals, accountID, nullTS(from), nullTS(to))
}

// AccountAuditEvents implements team.Reader.
func (r reader) AccountAuditEvents(ctx context.Context, accountID string, f audit.Filter) ([]audit.Event, error) {
	actions := make([]string, len(f.Actions))
	for i, a := range f.Actions {
		actions[i] = string(a)
	}
	var limit any
	if f.Limit > 0 {
		limit = int64(f.Limit)
	}
	after := int64(min(f.AfterSeq, uint64(1<<63-1)))
	return list(ctx, r.db, scanEvent, "audit events of account "+accountID, r.q.accountAuditEvents,
		accountID, after, f.ActorID, actions, nullTS(f.From), nullTS(f.To), limit)
}

// LastAccountAuditEvent implements team.Reader.
func (r reader) LastAccountAuditEvent(ctx context.Context, accountID string) (audit.Event, error) {
	return one(ctx, r.db, scanEvent, "last audit event of account "+accountID, r.q.lastAccountAuditEvent, accountID)
}

// AppendAccountAuditEvent implements team.Tx. Events are never updated,
// deleted or truncated (triggers refuse all three).
func (t *tx) AppendAccountAuditEvent(ctx context.Context, e audit.Event) error {
	if e.Seq > 1<<63-1 {
		return fmt.Errorf("postgres: audit event seq %d out of range", e.Seq)
	}
	return t.exec(ctx, "appending account audit event", conflict("account audit event "+e.ID+" or seq in "+e.TeamID+" exists"),
		t.q.appendAccountAuditEvent, e.ID, e.TeamID, int64(e.Seq), ts(e.Time), e.ActorID, string(e.Action), e.Target,
		encodeMap(e.Details), e.PrevHash, e.Hash)
}

// ---- the batch's unit of work: usage reads need the buffered records in
// the database first; the rest go straight through ----

// TopUpByKey implements team.Reader.
func (b *batchTx) TopUpByKey(_ context.Context, accountID, key string) (billing.TopUp, error) {
	return b.tx.TopUpByKey(b.ctx, accountID, key)
}

// UsageRecords implements team.Reader.
func (b *batchTx) UsageRecords(_ context.Context, q billing.LedgerQuery) ([]billing.UsageRecord, error) {
	if err := b.unbuffered(); err != nil {
		return nil, err
	}
	return b.tx.UsageRecords(b.ctx, q)
}

// TopUps implements team.Reader.
func (b *batchTx) TopUps(_ context.Context, q billing.LedgerQuery) ([]billing.TopUp, error) {
	return b.tx.TopUps(b.ctx, q)
}

// UsageSeries implements team.Reader.
func (b *batchTx) UsageSeries(_ context.Context, q billing.SeriesQuery) ([]billing.SeriesPoint, error) {
	if err := b.unbuffered(); err != nil {
		return nil, err
	}
	return b.tx.UsageSeries(b.ctx, q)
}

// UsageBreakdown implements team.Reader.
func (b *batchTx) UsageBreakdown(_ context.Context, q billing.BreakdownQuery) ([]billing.BreakdownRow, error) {
	if err := b.unbuffered(); err != nil {
		return nil, err
	}
	return b.tx.UsageBreakdown(b.ctx, q)
}

// AccountUsageTotals implements team.Reader.
func (b *batchTx) AccountUsageTotals(_ context.Context, accountID string, from, to time.Time) ([]billing.TeamMemberUsage, error) {
	if err := b.unbuffered(); err != nil {
		return nil, err
	}
	return b.tx.AccountUsageTotals(b.ctx, accountID, from, to)
}

// AccountAuditEvents implements team.Reader.
func (b *batchTx) AccountAuditEvents(_ context.Context, accountID string, f audit.Filter) ([]audit.Event, error) {
	return b.tx.AccountAuditEvents(b.ctx, accountID, f)
}

// LastAccountAuditEvent implements team.Reader.
func (b *batchTx) LastAccountAuditEvent(_ context.Context, accountID string) (audit.Event, error) {
	return b.tx.LastAccountAuditEvent(b.ctx, accountID)
}

// AppendAccountAuditEvent implements team.Tx.
func (b *batchTx) AppendAccountAuditEvent(_ context.Context, e audit.Event) error {
	if err := b.unbuffered(); err != nil {
		return err
	}
	return b.tx.AppendAccountAuditEvent(b.ctx, e)
}
