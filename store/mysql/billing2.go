package mysql

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// Billing v2 (BILL-8 … BILL-12): account trails, top-up keys, the ledger
// and the usage aggregates, each one SQL statement grouped by the server.

// The ends of DATETIME(6), standing in for an open range.
const (
	minTS = "1000-01-01 00:00:00.000000"
	maxTS = "9999-12-31 23:59:59.999999"
)

func rangeTS(from, to time.Time) (string, string) {
	f, t := minTS, maxTS
	if !from.IsZero() {
		f = ts(from)
	}
	if !to.IsZero() {
		t = ts(to)
	}
	return f, t
}

// exactSum parses a DECIMAL sum, refusing one beyond int64 with an error
// matching billing.ErrTotalOverflow (BILL-10).
func exactSum(sum, what string) (int64, error) {
	v, err := strconv.ParseInt(sum, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s", billing.ErrTotalOverflow, what)
	}
	return v, nil
}

func scanTopUp(r row) (billing.TopUp, error) {
	var (
		t  billing.TopUp
		at dbTime
	)
	if err := r.Scan(&t.ID, &t.AccountID, &t.TeamID, &t.ActorID, &t.Amount, &at, &t.IdempotencyKey); err != nil {
		return billing.TopUp{}, err
	}
	t.Time = at.t
	return t, nil
}

// TopUpByKey implements team.Reader.
func (r reader) TopUpByKey(ctx context.Context, accountID, key string) (billing.TopUp, error) {
	return one(ctx, r.db, scanTopUp, "top-up by key of account "+accountID, r.q.topUpByKey, accountID, key)
}

// ledgerQuery builds a keyset page query of usage records or top-ups.
func (r reader) ledgerQuery(q billing.LedgerQuery, topUps bool) (string, []any) {
	table, cols, member := "usage_records", usageCols, "user_id"
	if topUps {
		table, cols, member = "top_ups", topUpCols, "actor_id"
	}
	owner, id := "team_id", q.TeamID
	if q.AccountID != "" {
		owner, id = "account_id", q.AccountID
	}
	from, to := rangeTS(q.From, q.To)
	var b strings.Builder
	b.WriteString("SELECT " + cols + " FROM " + r.q.prefix + table + " WHERE " + owner + " = ? AND (? = '' OR " + member + " = ?)" +
		" AND time >= ? AND time < ?")
	args := []any{id, q.UserID, q.UserID, from, to}
	cmp, order := ">", " ORDER BY time, id"
	if q.Desc {
		cmp, order = "<", " ORDER BY time DESC, id DESC"
	}
	if !q.After.IsZero() {
		b.WriteString(" AND (time " + cmp + " ? OR (time = ? AND id " + cmp + " ?))")
		at := ts(q.After.Time)
		args = append(args, at, at, q.After.ID)
	}
	b.WriteString(order)
	if q.Limit > 0 {
		b.WriteString(" LIMIT ?")
		args = append(args, int64(q.Limit))
	}
	return b.String(), args
}

// UsageRecords implements team.Reader with a keyset page on the index of
// (team or account, time).
func (r reader) UsageRecords(ctx context.Context, q billing.LedgerQuery) ([]billing.UsageRecord, error) {
	if q.AccountID == "" && q.TeamID == "" {
		return []billing.UsageRecord{}, nil
	}
	sql, args := r.ledgerQuery(q, false)
	return list(ctx, r.db, scanUsage, "usage records", sql, args...)
}

// TopUps implements team.Reader like UsageRecords.
func (r reader) TopUps(ctx context.Context, q billing.LedgerQuery) ([]billing.TopUp, error) {
	if q.AccountID == "" && q.TeamID == "" {
		return []billing.TopUp{}, nil
	}
	sql, args := r.ledgerQuery(q, true)
	return list(ctx, r.db, scanTopUp, "top-ups", sql, args...)
}

// UsageSeries implements team.Reader: the server joins the records with
// the buckets (JSON_TABLE over the bounds Go computes from the time zone,
// so days follow DST exactly as in every store), one index range per
// bucket, and groups by bucket and member.
func (r reader) UsageSeries(ctx context.Context, q billing.SeriesQuery) ([]billing.SeriesPoint, error) {
	bounds, err := billing.BucketBounds(q.From, q.To, q.Bucket, q.Location)
	if err != nil {
		return nil, fmt.Errorf("mysql: usage series: %w", err)
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
		spans[i] = span{ts(lo), ts(bounds[i+1])}
	}
	js, err := json.Marshal(spans)
	if err != nil {
		return nil, err
	}
	owner, id := "team_id", q.TeamID
	if id == "" {
		owner, id = "account_id", q.AccountID
	}
	sql := "SELECT b.i, u.user_id, CAST(SUM(u.amount) AS CHAR), COUNT(*)" +
		" FROM JSON_TABLE(?, '$[*]' COLUMNS (i FOR ORDINALITY, lo DATETIME(6) PATH '$.lo', hi DATETIME(6) PATH '$.hi')) b" +
		" JOIN " + r.q.prefix + "usage_records u ON u." + owner + " = ? AND u.time >= b.lo AND u.time < b.hi" +
		" AND (? = '' OR u.user_id = ?) GROUP BY b.i, u.user_id ORDER BY b.i, u.user_id"
	scan := func(rw row) (billing.SeriesPoint, error) {
		var (
			p      billing.SeriesPoint
			bucket int
			sum    string
			n      int64
		)
		if err := rw.Scan(&bucket, &p.UserID, &sum, &n); err != nil {
			return p, err
		}
		if bucket < 1 || bucket >= len(bounds) {
			return p, fmt.Errorf("mysql: usage series: bucket %d of %d", bucket, len(bounds)-1)
		}
		p.Start, p.Records = bounds[bucket-1], int(n)
		var err error
		p.Amount, err = exactSum(sum, "a bucket of member "+p.UserID+" used more than that")
		return p, err
	}
	return list(ctx, r.db, scan, "usage series", sql, string(js), id, q.UserID, q.UserID)
}

// jsonPath is the JSON path of the top-level member key.
func jsonPath(key string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(key) // a string always encodes
	return "$." + strings.TrimSpace(b.String())
}

// UsageBreakdown implements team.Reader, grouped by the server on the
// value as bytes (no collation folds two values into one).
func (r reader) UsageBreakdown(ctx context.Context, q billing.BreakdownQuery) ([]billing.BreakdownRow, error) {
	owner, id := "team_id", q.TeamID
	if id == "" {
		owner, id = "account_id", q.AccountID
	}
	from, to := rangeTS(q.From, q.To)
	path := jsonPath(q.Key)
	sql := "SELECT CAST(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(metadata, ?)), '') AS BINARY) AS v," +
		" COALESCE(JSON_CONTAINS_PATH(metadata, 'one', ?), 0) AS present, CAST(SUM(amount) AS CHAR), COUNT(*)" +
		" FROM " + r.q.prefix + "usage_records WHERE " + owner + " = ? AND time >= ? AND time < ? AND (? = '' OR user_id = ?)" +
		" GROUP BY v, present"
	scan := func(rw row) (billing.BreakdownRow, error) {
		var (
			b       billing.BreakdownRow
			value   []byte
			present int
			sum     string
			n       int64
		)
		if err := rw.Scan(&value, &present, &sum, &n); err != nil {
			return b, err
		}
		b.Value, b.Missing, b.Records = string(value), present == 0, int(n)
		var err error
		b.Amount, err = exactSum(sum, fmt.Sprintf("the usage with %s=%q is more than that", q.Key, b.Value))
		return b, err
	}
	rows, err := list(ctx, r.db, scan, "usage breakdown", sql, path, path, id, from, to, q.UserID, q.UserID)
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

// AccountUsageTotals implements team.Reader, grouped by the server.
func (r reader) AccountUsageTotals(ctx context.Context, accountID string, from, to time.Time) ([]billing.TeamMemberUsage, error) {
	f, t := rangeTS(from, to)
	sql := "SELECT team_id, user_id, CAST(SUM(amount) AS CHAR), COUNT(*) FROM " + r.q.prefix + "usage_records" +
		" WHERE account_id = ? AND time >= ? AND time < ? GROUP BY team_id, user_id ORDER BY team_id, user_id"
	scan := func(rw row) (billing.TeamMemberUsage, error) {
		var (
			u   billing.TeamMemberUsage
			sum string
			n   int64
		)
		if err := rw.Scan(&u.TeamID, &u.UserID, &sum, &n); err != nil {
			return u, err
		}
		u.Records = int(n)
		var err error
		u.Amount, err = exactSum(sum, "member "+u.UserID+" of team "+u.TeamID+" used more than that")
		return u, err
	}
	return list(ctx, r.db, scan, "usage totals of account "+accountID, sql, accountID, f, t)
}

// AccountAuditEvents implements team.Reader.
func (r reader) AccountAuditEvents(ctx context.Context, accountID string, f audit.Filter) ([]audit.Event, error) {
	after := int64(min(f.AfterSeq, uint64(1<<63-1)))
	from, to := nullTS(f.From), nullTS(f.To)
	args := []any{accountID, after, f.ActorID, f.ActorID, from, from, to, to}
	var q strings.Builder
	q.WriteString(r.q.accountAuditEvents)
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
	return list(ctx, r.db, scanEvent, "audit events of account "+accountID, q.String(), args...)
}

// LastAccountAuditEvent implements team.Reader.
func (r reader) LastAccountAuditEvent(ctx context.Context, accountID string) (audit.Event, error) {
	return one(ctx, r.db, scanEvent, "last audit event of account "+accountID, r.q.lastAccountAuditEvent, accountID)
}

// AppendAccountAuditEvent implements team.Tx. Events are never updated or
// deleted (triggers refuse both).
func (t *tx) AppendAccountAuditEvent(ctx context.Context, e audit.Event) error {
	if e.Seq > 1<<63-1 {
		return fmt.Errorf("mysql: audit event seq %d out of range", e.Seq)
	}
	return t.exec(ctx, "appending account audit event "+e.ID+" (it or its seq in "+e.TeamID+" exists)", nil, "", nil,
		t.q.appendAccountAuditEvent, e.ID, e.TeamID, int64(e.Seq), ts(e.Time), e.ActorID, string(e.Action), e.Target,
		encodeMap(e.Details), e.PrevHash, e.Hash)
}

var _ team.Tx = (*tx)(nil)
