package sqlite

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// Billing v2 (BILL-8 … BILL-12): account trails, top-up keys, the ledger
// and the usage aggregates, each one SQL statement grouped by SQLite. Sums
// add the high and low 32 bits of the amounts apart, as UsageTotals does,
// so they are exact.

const (
	accountAuditCols = "id, account_id, seq, time, actor_id, action, target, details, prev_hash, hash"

	qTopUpByKey         = "SELECT " + topUpCols + " FROM top_ups WHERE account_id = ?1 AND idempotency_key = ?2 AND ?2 <> ''"
	qAccountAuditEvents = "SELECT " + accountAuditCols + " FROM account_audit_events WHERE account_id = ?1 AND seq > ?2" +
		" AND (?3 = '' OR actor_id = ?3) AND (?4 IS NULL OR action IN (SELECT value FROM json_each(?4)))" +
		" AND (?5 IS NULL OR time >= ?5) AND (?6 IS NULL OR time < ?6)" +
		" ORDER BY seq LIMIT ?7"
	qLastAccountAuditEvent = "SELECT " + accountAuditCols + " FROM account_audit_events WHERE account_id = ?1 ORDER BY seq DESC LIMIT 1"
	qAppendAccountEvent    = "INSERT INTO account_audit_events (" + accountAuditCols + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)" +
		" ON CONFLICT DO NOTHING"
	// The ends of the stored times, standing in for an open range.
	minTime = "0000-01-01T00:00:00.000000000Z"
	maxTime = "9999-12-31T23:59:59.999999999Z"
)

// exact adds the two halves of a sum, refusing one beyond int64.
func exact(hi, lo int64, what func() string) (int64, error) {
	sum := new(big.Int).Mul(big.NewInt(hi), two32)
	sum.Add(sum, big.NewInt(lo))
	if sum.Cmp(maxInt64) > 0 || sum.Cmp(minInt64) < 0 {
		return 0, fmt.Errorf("%w: %s", billing.ErrTotalOverflow, what())
	}
	return sum.Int64(), nil
}

func rangeArgs(from, to time.Time) (any, any) {
	var f, t any = minTime, maxTime
	if !from.IsZero() {
		f = ts(from)
	}
	if !to.IsZero() {
		t = ts(to)
	}
	return f, t
}

func scanTopUp(r row) (billing.TopUp, error) {
	var t billing.TopUp
	if err := r.Scan(&t.ID, &t.AccountID, &t.TeamID, &t.ActorID, &t.Amount, timeDest{&t.Time}, &t.IdempotencyKey); err != nil {
		return billing.TopUp{}, err
	}
	return t, nil
}

// TopUpByKey implements team.Reader.
func (r reader) TopUpByKey(ctx context.Context, accountID, key string) (billing.TopUp, error) {
	return one(ctx, r.db, scanTopUp, "top-up by key of account "+accountID, qTopUpByKey, accountID, key)
}

// ledgerQuery builds a keyset page query of usage records or top-ups.
func ledgerQuery(q billing.LedgerQuery, topUps bool) (string, []any) {
	table, cols, member := "usage_records", usageCols, "user_id"
	if topUps {
		table, cols, member = "top_ups", topUpCols, "actor_id"
	}
	owner, id := "team_id", q.TeamID
	if q.AccountID != "" {
		owner, id = "account_id", q.AccountID
	}
	from, to := rangeArgs(q.From, q.To)
	var b strings.Builder
	b.WriteString("SELECT " + cols + " FROM " + table + " WHERE " + owner + " = ?1 AND (?2 = '' OR " + member + " = ?2)" +
		" AND time >= ?3 AND time < ?4")
	args := []any{id, q.UserID, from, to}
	op, order := ">", " ORDER BY time, id"
	if q.Desc {
		op, order = "<", " ORDER BY time DESC, id DESC"
	}
	if !q.After.IsZero() {
		b.WriteString(" AND (time, id) " + op + " (?5, ?6)")
		args = append(args, ts(q.After.Time), q.After.ID)
	}
	b.WriteString(order)
	limit := int64(-1)
	if q.Limit > 0 {
		limit = int64(q.Limit)
	}
	fmt.Fprintf(&b, " LIMIT ?%d", len(args)+1)
	return b.String(), append(args, limit)
}

// UsageRecords implements team.Reader with a keyset page on the index of
// (team or account, time).
func (r reader) UsageRecords(ctx context.Context, q billing.LedgerQuery) ([]billing.UsageRecord, error) {
	if q.AccountID == "" && q.TeamID == "" {
		return []billing.UsageRecord{}, nil
	}
	sql, args := ledgerQuery(q, false)
	return list(ctx, r.db, scanUsage, "usage records", sql, args...)
}

// TopUps implements team.Reader like UsageRecords.
func (r reader) TopUps(ctx context.Context, q billing.LedgerQuery) ([]billing.TopUp, error) {
	if q.AccountID == "" && q.TeamID == "" {
		return []billing.TopUp{}, nil
	}
	sql, args := ledgerQuery(q, true)
	return list(ctx, r.db, scanTopUp, "top-ups", sql, args...)
}

// UsageSeries implements team.Reader: SQLite joins the records with the
// buckets (json_each over the bounds Go computes from the time zone, so
// days follow DST exactly as in every store), one index range per bucket,
// and groups by bucket and member.
func (r reader) UsageSeries(ctx context.Context, q billing.SeriesQuery) ([]billing.SeriesPoint, error) {
	bounds, err := billing.BucketBounds(q.From, q.To, q.Bucket, q.Location)
	if err != nil {
		return nil, fmt.Errorf("sqlite: usage series: %w", err)
	}
	type span struct {
		Lo string `json:"lo"`
		Hi string `json:"hi"`
	}
	spans := make([]span, len(bounds)-1)
	for i := range spans {
		lo := bounds[i]
		if lo.Before(q.From) {
			lo = q.From
		}
		spans[i] = span{lo.UTC().Format(timeLayout), bounds[i+1].UTC().Format(timeLayout)}
	}
	js, err := json.Marshal(spans)
	if err != nil {
		return nil, err
	}
	owner, id := "team_id", q.TeamID
	if id == "" {
		owner, id = "account_id", q.AccountID
	}
	sql := "SELECT b.key, u.user_id, sum(u.amount >> 32), sum(u.amount & 4294967295), count(*)" +
		" FROM json_each(?1) b JOIN usage_records u ON u." + owner + " = ?2" +
		" AND u.time >= json_extract(b.value, '$.lo') AND u.time < json_extract(b.value, '$.hi')" +
		" AND (?3 = '' OR u.user_id = ?3) GROUP BY b.key, u.user_id ORDER BY b.key, u.user_id"
	scan := func(rw row) (billing.SeriesPoint, error) {
		var (
			p         billing.SeriesPoint
			bucket    int
			hi, lo, n int64
		)
		if err := rw.Scan(&bucket, &p.UserID, &hi, &lo, &n); err != nil {
			return p, err
		}
		if bucket < 0 || bucket >= len(bounds)-1 {
			return p, fmt.Errorf("sqlite: usage series: bucket %d of %d", bucket, len(bounds)-1)
		}
		p.Start, p.Records = bounds[bucket], int(n)
		var err error
		p.Amount, err = exact(hi, lo, func() string { return "a bucket of member " + p.UserID + " used more than that" })
		return p, err
	}
	return list(ctx, r.db, scan, "usage series", sql, string(js), id, q.UserID)
}

// UsageBreakdown implements team.Reader, grouped by SQLite: json_each
// finds the key in each record's metadata (no JSON path to escape).
func (r reader) UsageBreakdown(ctx context.Context, q billing.BreakdownQuery) ([]billing.BreakdownRow, error) {
	owner, id := "team_id", q.TeamID
	if id == "" {
		owner, id = "account_id", q.AccountID
	}
	from, to := rangeArgs(q.From, q.To)
	sql := "SELECT coalesce(m.value, ''), m.key IS NULL, sum(u.amount >> 32), sum(u.amount & 4294967295), count(*)" +
		" FROM usage_records u LEFT JOIN json_each(u.metadata) m ON m.key = ?4" +
		" WHERE u." + owner + " = ?1 AND u.time >= ?2 AND u.time < ?3 AND (?5 = '' OR u.user_id = ?5)" +
		" GROUP BY 1, 2"
	scan := func(rw row) (billing.BreakdownRow, error) {
		var (
			b         billing.BreakdownRow
			hi, lo, n int64
		)
		if err := rw.Scan(&b.Value, &b.Missing, &hi, &lo, &n); err != nil {
			return b, err
		}
		b.Records = int(n)
		var err error
		b.Amount, err = exact(hi, lo, func() string { return fmt.Sprintf("the usage with %s=%q is more than that", q.Key, b.Value) })
		return b, err
	}
	rows, err := list(ctx, r.db, scan, "usage breakdown", sql, id, from, to, q.Key, q.UserID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(a, b billing.BreakdownRow) int {
		return cmp.Or(cmp.Compare(b.Amount, a.Amount), strings.Compare(a.Value, b.Value), boolCmp(a.Missing, b.Missing))
	})
	return rows, nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// AccountUsageTotals implements team.Reader, grouped by SQLite.
func (r reader) AccountUsageTotals(ctx context.Context, accountID string, from, to time.Time) ([]billing.TeamMemberUsage, error) {
	f, t := rangeArgs(from, to)
	scan := func(rw row) (billing.TeamMemberUsage, error) {
		var (
			u         billing.TeamMemberUsage
			hi, lo, n int64
		)
		if err := rw.Scan(&u.TeamID, &u.UserID, &hi, &lo, &n); err != nil {
			return u, err
		}
		u.Records = int(n)
		var err error
		u.Amount, err = exact(hi, lo, func() string { return "member " + u.UserID + " of team " + u.TeamID + " used more than that" })
		return u, err
	}
	return list(ctx, r.db, scan, "usage totals of account "+accountID,
		"SELECT team_id, user_id, sum(amount >> 32), sum(amount & 4294967295), count(*) FROM usage_records"+
			" WHERE account_id = ?1 AND time >= ?2 AND time < ?3 GROUP BY team_id, user_id ORDER BY team_id, user_id",
		accountID, f, t)
}

// AccountAuditEvents implements team.Reader.
func (r reader) AccountAuditEvents(ctx context.Context, accountID string, f audit.Filter) ([]audit.Event, error) {
	var actions any
	if len(f.Actions) > 0 {
		b, err := json.Marshal(f.Actions)
		if err != nil {
			return nil, fmt.Errorf("sqlite: encoding audit actions: %w", err)
		}
		actions = string(b)
	}
	limit := int64(-1)
	if f.Limit > 0 {
		limit = int64(f.Limit)
	}
	after := int64(min(f.AfterSeq, uint64(math.MaxInt64)))
	return list(ctx, r.db, scanEvent, "audit events of account "+accountID, qAccountAuditEvents,
		accountID, after, f.ActorID, actions, nullTS(f.From), nullTS(f.To), limit)
}

// LastAccountAuditEvent implements team.Reader.
func (r reader) LastAccountAuditEvent(ctx context.Context, accountID string) (audit.Event, error) {
	return one(ctx, r.db, scanEvent, "last audit event of account "+accountID, qLastAccountAuditEvent, accountID)
}

// AppendAccountAuditEvent implements team.Tx. Events are never updated or
// deleted (triggers refuse both).
func (t *tx) AppendAccountAuditEvent(ctx context.Context, e audit.Event) error {
	if e.Seq > math.MaxInt64 {
		return fmt.Errorf("sqlite: audit event seq %d out of range", e.Seq)
	}
	return t.exec(ctx, "appending account audit event", conflict("account audit event "+e.ID+" or seq in "+e.TeamID+" exists"),
		qAppendAccountEvent, e.ID, e.TeamID, int64(e.Seq), ts(e.Time), e.ActorID, string(e.Action), e.Target,
		encodeMap(e.Details), e.PrevHash, e.Hash)
}

var _ team.Tx = (*tx)(nil)
