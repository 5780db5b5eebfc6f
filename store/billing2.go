package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// Billing v2 (BILL-8 … BILL-12): account trails, top-up keys, the ledger,
// analytics and statements, on Memory and on its units of work.

// TopUpByKey implements team.Reader.
func (m *Memory) TopUpByKey(ctx context.Context, accountID, key string) (billing.TopUp, error) {
	if err := m.rlock(ctx); err != nil {
		return billing.TopUp{}, err
	}
	defer m.mu.RUnlock()
	return m.s.topUpByKeyOf(accountID, key)
}

// UsageRecords implements team.Reader.
func (m *Memory) UsageRecords(ctx context.Context, q billing.LedgerQuery) ([]billing.UsageRecord, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	return m.s.usageRecords(q), nil
}

// TopUps implements team.Reader.
func (m *Memory) TopUps(ctx context.Context, q billing.LedgerQuery) ([]billing.TopUp, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	return m.s.topUpList(q), nil
}

// UsageSeries implements team.Reader. It walks the records of the range in
// time order against the bucket bounds (billing.BucketBounds), so no
// record is converted to the time zone.
func (m *Memory) UsageSeries(ctx context.Context, q billing.SeriesQuery) ([]billing.SeriesPoint, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	return m.s.usageSeries(q)
}

// UsageBreakdown implements team.Reader.
func (m *Memory) UsageBreakdown(ctx context.Context, q billing.BreakdownQuery) ([]billing.BreakdownRow, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	return m.s.usageBreakdown(q)
}

// AccountUsageTotals implements team.Reader.
func (m *Memory) AccountUsageTotals(ctx context.Context, accountID string, from, to time.Time) ([]billing.TeamMemberUsage, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	return m.s.accountUsageTotals(accountID, from, to)
}

// AccountAuditEvents implements team.Reader.
func (m *Memory) AccountAuditEvents(ctx context.Context, accountID string, f audit.Filter) ([]audit.Event, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	return filterEvents(m.s.acctAudit[accountID], f), nil
}

// LastAccountAuditEvent implements team.Reader.
func (m *Memory) LastAccountAuditEvent(ctx context.Context, accountID string) (audit.Event, error) {
	if err := m.rlock(ctx); err != nil {
		return audit.Event{}, err
	}
	defer m.mu.RUnlock()
	return m.s.lastAccountAuditEvent(accountID)
}

// TopUpByKey implements team.Reader.
func (t *memTx) TopUpByKey(ctx context.Context, accountID, key string) (billing.TopUp, error) {
	if err := t.check(ctx); err != nil {
		return billing.TopUp{}, err
	}
	return t.s.topUpByKeyOf(accountID, key)
}

// UsageRecords implements team.Reader.
func (t *memTx) UsageRecords(ctx context.Context, q billing.LedgerQuery) ([]billing.UsageRecord, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.usageRecords(q), nil
}

// TopUps implements team.Reader.
func (t *memTx) TopUps(ctx context.Context, q billing.LedgerQuery) ([]billing.TopUp, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.topUpList(q), nil
}

// UsageSeries implements team.Reader.
func (t *memTx) UsageSeries(ctx context.Context, q billing.SeriesQuery) ([]billing.SeriesPoint, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.usageSeries(q)
}

// UsageBreakdown implements team.Reader.
func (t *memTx) UsageBreakdown(ctx context.Context, q billing.BreakdownQuery) ([]billing.BreakdownRow, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.usageBreakdown(q)
}

// AccountUsageTotals implements team.Reader.
func (t *memTx) AccountUsageTotals(ctx context.Context, accountID string, from, to time.Time) ([]billing.TeamMemberUsage, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.accountUsageTotals(accountID, from, to)
}

// AccountAuditEvents implements team.Reader.
func (t *memTx) AccountAuditEvents(ctx context.Context, accountID string, f audit.Filter) ([]audit.Event, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return filterEvents(t.s.acctAudit[accountID], f), nil
}

// LastAccountAuditEvent implements team.Reader.
func (t *memTx) LastAccountAuditEvent(ctx context.Context, accountID string) (audit.Event, error) {
	if err := t.check(ctx); err != nil {
		return audit.Event{}, err
	}
	return t.s.lastAccountAuditEvent(accountID)
}

// AppendAccountAuditEvent implements team.Tx: the account (e.TeamID) must
// be locked or inserted by the unit.
func (t *memTx) AppendAccountAuditEvent(ctx context.Context, e audit.Event) error {
	if err := t.write(ctx, "AppendAccountAuditEvent"); err != nil {
		return err
	}
	if err := t.needAccount("AppendAccountAuditEvent", e.TeamID); err != nil {
		return err
	}
	if _, ok := t.s.acctAuditIDs[e.ID]; ok {
		return conflict("account audit event %q already exists", e.ID)
	}
	es := t.s.acctAudit[e.TeamID]
	i := seqAfter(es, e.Seq)
	if i > 0 && es[i-1].Seq == e.Seq {
		return conflict("account %q already has audit event %d", e.TeamID, e.Seq)
	}
	e = copyEvent(e)
	acct, id := e.TeamID, e.ID
	t.s.acctAuditIDs[id] = struct{}{}
	t.s.acctAudit[acct] = slices.Insert(es, i, e)
	t.undo.add(undoEntry{fn: func() {
		delete(t.s.acctAuditIDs, id)
		t.s.acctAudit[acct] = slices.Delete(t.s.acctAudit[acct], i, i+1)
		if len(t.s.acctAudit[acct]) == 0 {
			delete(t.s.acctAudit, acct)
		}
	}})
	return nil
}

// ---- on the state ----

func (s *state) topUpByKeyOf(accountID, key string) (billing.TopUp, error) {
	id, ok := s.topUpByKey[[2]string{accountID, key}]
	if !ok {
		return billing.TopUp{}, notFound("top-up with this idempotency key of account", accountID)
	}
	return s.topUps[id], nil
}

func (s *state) lastAccountAuditEvent(accountID string) (audit.Event, error) {
	es := s.acctAudit[accountID]
	if len(es) == 0 {
		return audit.Event{}, notFound("audit events of account", accountID)
	}
	return copyEvent(es[len(es)-1]), nil
}

func filterEvents(es []audit.Event, f audit.Filter) []audit.Event {
	es = es[seqAfter(es, f.AfterSeq):]
	out := []audit.Event{}
	for _, e := range es {
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
		if f.Match(e) {
			out = append(out, copyEvent(e))
		}
	}
	return out
}

// inRange reports whether t is in [from, to), a zero bound being open.
func inRange(t, from, to time.Time) bool {
	return !t.Before(from) && (to.IsZero() || t.Before(to))
}

// comparePos orders ledger positions by Time, then ID.
func comparePos(at time.Time, id string, p billing.LedgerPosition) int {
	if c := at.Compare(p.Time); c != 0 {
		return c
	}
	return strings.Compare(id, p.ID)
}

// scanUsage calls fn on every usage record of the team (in time order) or
// of the account (every team's, unordered) in [from, to).
func (s *state) scanUsage(teamID, accountID string, from, to time.Time, fn func(r *billing.UsageRecord)) {
	visit := func(l *usageLog) {
		rs := l.recs
		lo, hi := usageFrom(rs, from), len(rs)
		if !to.IsZero() {
			hi = max(lo, usageFrom(rs, to))
		}
		for _, r := range rs[lo:hi] {
			if accountID == "" || r.AccountID == accountID {
				fn(r)
			}
		}
	}
	if teamID != "" {
		if l := s.usageByTeam[teamID]; l != nil {
			visit(l)
		}
		return
	}
	for _, l := range s.usageByTeam {
		visit(l)
	}
}

// page orders, skips up to after and limits a ledger selection.
func page[T any](out []T, q billing.LedgerQuery, pos func(T) (time.Time, string)) []T {
	slices.SortFunc(out, func(a, b T) int {
		at, aid := pos(a)
		bt, bid := pos(b)
		c := comparePos(at, aid, billing.LedgerPosition{Time: bt, ID: bid})
		if q.Desc {
			return -c
		}
		return c
	})
	if !q.After.IsZero() {
		i, _ := slices.BinarySearchFunc(out, q.After, func(e T, p billing.LedgerPosition) int {
			t, id := pos(e)
			c := comparePos(t, id, p)
			if q.Desc {
				c = -c
			}
			if c == 0 {
				return -1 // equal: skip it too
			}
			return c
		})
		out = out[i:]
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return slices.Clip(out)
}

func (s *state) usageRecords(q billing.LedgerQuery) []billing.UsageRecord {
	if q.TeamID != "" && q.Limit > 0 {
		return s.teamUsagePage(q)
	}
	out := []billing.UsageRecord{}
	s.scanUsage(q.TeamID, q.AccountID, q.From, q.To, func(r *billing.UsageRecord) {
		if q.UserID == "" || r.UserID == q.UserID {
			out = append(out, copyUsage(*r))
		}
	})
	return page(out, q, func(r billing.UsageRecord) (time.Time, string) { return r.Time, r.ID })
}

// teamUsagePage is usageRecords for one page of a team's ledger: the
// team's log is in time order, so it starts at the cursor (binary search)
// and walks at most the page, plus the records sharing the last one's time
// (the log orders those by insertion, the ledger by ID).
func (s *state) teamUsagePage(q billing.LedgerQuery) []billing.UsageRecord {
	l := s.usageByTeam[q.TeamID]
	if l == nil {
		return []billing.UsageRecord{}
	}
	rs := l.recs
	lo, hi := usageFrom(rs, q.From), len(rs)
	if !q.To.IsZero() {
		hi = max(lo, usageFrom(rs, q.To))
	}
	after := func(r *billing.UsageRecord) bool {
		if q.After.IsZero() {
			return true
		}
		c := comparePos(r.Time, r.ID, q.After)
		return (c > 0 && !q.Desc) || (c < 0 && q.Desc)
	}
	var picked []*billing.UsageRecord
	take := func(r *billing.UsageRecord) bool { // reports whether to go on
		if len(picked) >= q.Limit && !r.Time.Equal(picked[len(picked)-1].Time) {
			return false
		}
		if (q.AccountID == "" || r.AccountID == q.AccountID) && (q.UserID == "" || r.UserID == q.UserID) && after(r) {
			picked = append(picked, r)
		}
		return true
	}
	if q.Desc {
		if !q.After.IsZero() {
			hi = min(hi, max(lo, usageAfter(rs, q.After.Time)))
		}
		for i := hi - 1; i >= lo && take(rs[i]); i-- {
		}
	} else {
		if !q.After.IsZero() {
			lo = max(lo, min(hi, usageFrom(rs, q.After.Time)))
		}
		for i := lo; i < hi && take(rs[i]); i++ {
		}
	}
	out := make([]billing.UsageRecord, len(picked))
	for i, r := range picked {
		out[i] = copyUsage(*r)
	}
	q.After = billing.LedgerPosition{} // applied above
	return page(out, q, func(r billing.UsageRecord) (time.Time, string) { return r.Time, r.ID })
}

func (s *state) topUpList(q billing.LedgerQuery) []billing.TopUp {
	out := []billing.TopUp{}
	for _, tu := range s.topUps {
		switch {
		case q.AccountID != "" && tu.AccountID != q.AccountID,
			q.TeamID != "" && tu.TeamID != q.TeamID,
			q.AccountID == "" && q.TeamID == "",
			q.UserID != "" && tu.ActorID != q.UserID,
			!inRange(tu.Time, q.From, q.To):
			continue
		}
		out = append(out, tu)
	}
	return page(out, q, func(t billing.TopUp) (time.Time, string) { return t.Time, t.ID })
}

// addExact adds b to *a, refusing a sum beyond int64 (amounts are
// positive) with an error matching billing.ErrTotalOverflow that what
// describes (called only then: the hot loops build no message).
func addExact(a *int64, b int64, what func() string) error {
	if b > math.MaxInt64-*a {
		return fmt.Errorf("%w: %s", billing.ErrTotalOverflow, what())
	}
	*a += b
	return nil
}

func (s *state) usageSeries(q billing.SeriesQuery) ([]billing.SeriesPoint, error) {
	bounds, err := billing.BucketBounds(q.From, q.To, q.Bucket, q.Location)
	if err != nil {
		return nil, fmt.Errorf("store: usage series: %w", err)
	}
	// The points of each bucket by member. Records of one team come in time
	// order: the bucket [start, next) of the last record is kept, and the
	// next one found by binary search over the bounds only when a record
	// leaves it; within it, a member's point is one string-keyed lookup.
	buckets := map[int]map[string]*billing.SeriesPoint{}
	var start, next time.Time
	bucket := -1
	var points map[string]*billing.SeriesPoint
	s.scanUsage(q.TeamID, q.AccountID, q.From, q.To, func(r *billing.UsageRecord) {
		if err != nil || (q.UserID != "" && r.UserID != q.UserID) {
			return
		}
		if bucket < 0 || r.Time.Before(start) || !r.Time.Before(next) {
			bucket = sort.Search(len(bounds), func(i int) bool { return bounds[i].After(r.Time) }) - 1
			start, next = bounds[bucket], bounds[bucket+1]
			points = buckets[bucket]
			if points == nil {
				points = map[string]*billing.SeriesPoint{}
				buckets[bucket] = points
			}
		}
		p := points[r.UserID]
		if p == nil {
			p = &billing.SeriesPoint{Start: start, UserID: r.UserID}
			points[r.UserID] = p
		}
		if e := addExact(&p.Amount, r.Amount, func() string { return "a bucket of member " + r.UserID + " used more than that" }); e != nil {
			err = e
			return
		}
		p.Records++
	})
	if err != nil {
		return nil, err
	}
	var out []billing.SeriesPoint
	for _, points := range buckets {
		for _, p := range points {
			out = append(out, *p)
		}
	}
	slices.SortFunc(out, func(a, b billing.SeriesPoint) int {
		return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.UserID, b.UserID))
	})
	return out, nil
}

func (s *state) usageBreakdown(q billing.BreakdownQuery) ([]billing.BreakdownRow, error) {
	type vk struct {
		value   string
		missing bool
	}
	sums := map[vk]*billing.BreakdownRow{}
	var err error
	s.scanUsage(q.TeamID, q.AccountID, q.From, q.To, func(r *billing.UsageRecord) {
		if err != nil || (q.UserID != "" && r.UserID != q.UserID) {
			return
		}
		v, ok := r.Metadata[q.Key]
		k := vk{v, !ok}
		row := sums[k]
		if row == nil {
			row = &billing.BreakdownRow{Value: v, Missing: !ok}
			sums[k] = row
		}
		if e := addExact(&row.Amount, r.Amount, func() string { return fmt.Sprintf("the usage with %s=%q is more than that", q.Key, v) }); e != nil {
			err = e
			return
		}
		row.Records++
	})
	if err != nil {
		return nil, err
	}
	out := make([]billing.BreakdownRow, 0, len(sums))
	for _, r := range sums {
		out = append(out, *r)
	}
	sortBreakdown(out)
	return out, nil
}

// sortBreakdown orders breakdown rows as team.Reader.UsageBreakdown
// returns them: by Amount descending, then Value, a missing key after a
// present empty value.
func sortBreakdown(rows []billing.BreakdownRow) {
	slices.SortFunc(rows, func(a, b billing.BreakdownRow) int {
		return cmp.Or(cmp.Compare(b.Amount, a.Amount), strings.Compare(a.Value, b.Value), boolCmp(a.Missing, b.Missing))
	})
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

func (s *state) accountUsageTotals(accountID string, from, to time.Time) ([]billing.TeamMemberUsage, error) {
	type tk struct{ team, user string }
	sums := map[tk]*billing.TeamMemberUsage{}
	var err error
	s.scanUsage("", accountID, from, to, func(r *billing.UsageRecord) {
		if err != nil {
			return
		}
		k := tk{r.TeamID, r.UserID}
		u := sums[k]
		if u == nil {
			u = &billing.TeamMemberUsage{TeamID: r.TeamID, UserID: r.UserID}
			sums[k] = u
		}
		if e := addExact(&u.Amount, r.Amount, func() string { return "member " + r.UserID + " of team " + r.TeamID + " used more than that" }); e != nil {
			err = e
			return
		}
		u.Records++
	})
	if err != nil {
		return nil, err
	}
	out := slices.Collect(maps.Values(sums))
	rows := make([]billing.TeamMemberUsage, len(out))
	for i, u := range out {
		rows[i] = *u
	}
	slices.SortFunc(rows, func(a, b billing.TeamMemberUsage) int {
		return cmp.Or(strings.Compare(a.TeamID, b.TeamID), strings.Compare(a.UserID, b.UserID))
	})
	return rows, nil
}

var _ team.Reader = (*Memory)(nil)
