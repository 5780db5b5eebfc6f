package storetest

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin for the DST cases on any machine

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

// Billing v2 (BILL-8 … BILL-12): the Store methods of team.Store's billing
// v2 block.
func billing2Cases() []testCase {
	return []testCase{
		{"TopUpByKey/NotFoundThenInserted", testTopUpByKey},
		{"InsertTopUp/DuplicateKeyOfAccountIsConflict", testInsertTopUpDuplicateKey},
		{"AccountAuditEvents/ChainFilterAndLast", testAccountAuditEvents},
		{"AppendAccountAuditEvent/DuplicateSeqIsConflict", testAppendAccountAuditEventDuplicate},
		{"UsageRecords/OrderRangeMemberAndKeyset", testUsageRecordsLedger},
		{"TopUps/OrderRangeActorAndKeyset", testTopUpsLedger},
		{"UsageSeries/DaysFollowTheZoneAcrossDST", testUsageSeriesDST},
		{"UsageSeries/HoursAcrossDST", testUsageSeriesHours},
		{"UsageSeries/PartialHoursAtTheEnds", testUsageSeriesPartialHours},
		{"UsageSeries/HalfHourZone", testUsageSeriesHalfHourZone},
		{"UsageSeries/RefusesOpenRange", testUsageSeriesOpenRange},
		{"UsageSeries/TotalBeyondInt64IsError", testUsageSeriesOverflow},
		{"UsageBreakdown/ByKeyWithMissing", testUsageBreakdown},
		{"UsageBreakdown/TotalBeyondInt64IsError", testUsageBreakdownOverflow},
		{"AccountUsageTotals/PerTeamAndMember", testAccountUsageTotals},
	}
}

// Rule BILL-8: a top-up's key finds it.
func testTopUpByKey(t *testing.T, s team.Store) {
	a := newAccount(t, newID(t, "user"))
	tu := newTopUp(t, a, "")
	tu.IdempotencyKey = "pay-1"
	seed(t, s, a)
	_, err := s.TopUpByKey(t.Context(), a.ID, "pay-1")
	wantErr(t, "TopUpByKey before the top-up", err, team.ErrNotFound)
	seed(t, s, tu)
	got, err := s.TopUpByKey(t.Context(), a.ID, "pay-1")
	noErr(t, "TopUpByKey", err)
	same(t, "TopUpByKey", got, tu.TopUp, normTopUp)
	_, err = s.TopUpByKey(t.Context(), newID(t, "acct"), "pay-1")
	wantErr(t, "TopUpByKey of another account", err, team.ErrNotFound)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		got, err := tx.TopUpByKey(ctx, a.ID, "pay-1")
		noErr(t, "Tx.TopUpByKey", err)
		same(t, "Tx.TopUpByKey", got, tu.TopUp, normTopUp)
		return nil
	})
}

// Rule BILL-8: a key is unique per account; another account, or no key,
// is no conflict.
func testInsertTopUpDuplicateKey(t *testing.T, s team.Store) {
	a, b := newAccount(t, newID(t, "user")), newAccount(t, newID(t, "user"))
	first := newTopUp(t, a, "")
	first.IdempotencyKey = "pay-1"
	seed(t, s, a, b, first)
	dup := newTopUp(t, a, "")
	dup.IdempotencyKey = "pay-1"
	wantInsertErr(t, s, team.ErrConflict, dup)
	other := newTopUp(t, b, "")
	other.IdempotencyKey = "pay-1"
	noKey1, noKey2 := newTopUp(t, a, ""), newTopUp(t, a, "")
	seed(t, s, other, noKey1, noKey2)
	got, err := s.TopUps(t.Context(), billing.LedgerQuery{AccountID: a.ID})
	noErr(t, "TopUps", err)
	if len(got) != 3 {
		t.Fatalf("account has %d top-ups, want 3 (the refused duplicate left out)", len(got))
	}
}

func accountEvents(t *testing.T, accountID string, n int) []audit.Event {
	t.Helper()
	es := newEvents(t, accountID, n)
	for i := range es { // re-seal with account actions
		var prev audit.Event
		if i > 0 {
			prev = es[i-1]
		}
		es[i].Action = []audit.Action{audit.BillingTopUp, audit.BillingPlanChanged}[i%2]
		es[i] = audit.Seal(es[i], prev)
	}
	return es
}

func appendAccountEvents(t *testing.T, s team.Store, a billing.Account, es ...audit.Event) error {
	t.Helper()
	return s.InTx(t.Context(), accountLocked(a.UserID, func(ctx context.Context, tx team.Tx) error {
		for _, e := range es {
			if err := tx.AppendAccountAuditEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	}))
}

// Rule BILL-8: an account has its own trail, apart from the teams' logs.
func testAccountAuditEvents(t *testing.T, s team.Store) {
	a := newAccount(t, newID(t, "user"))
	seed(t, s, a)
	_, err := s.LastAccountAuditEvent(t.Context(), a.ID)
	wantErr(t, "LastAccountAuditEvent of an empty trail", err, team.ErrNotFound)
	es := accountEvents(t, a.ID, 5)
	if err := appendAccountEvents(t, s, a, es...); err != nil {
		t.Fatalf("AppendAccountAuditEvent: %v", err)
	}
	got, err := s.AccountAuditEvents(t.Context(), a.ID, audit.Filter{})
	noErr(t, "AccountAuditEvents", err)
	sameList(t, "AccountAuditEvents", got, es, normEvent)
	if err := audit.Verify(a.ID, got); err != nil {
		t.Fatalf("the trail read back does not verify: %v", err)
	}
	got, err = s.AccountAuditEvents(t.Context(), a.ID, audit.Filter{AfterSeq: 1, Limit: 2, Actions: []audit.Action{audit.BillingTopUp}})
	noErr(t, "AccountAuditEvents filtered", err)
	sameIDs(t, "AccountAuditEvents after 1, top-ups, 2", eventIDs(got), eventIDs([]audit.Event{es[2], es[4]}))
	last, err := s.LastAccountAuditEvent(t.Context(), a.ID)
	noErr(t, "LastAccountAuditEvent", err)
	same(t, "LastAccountAuditEvent", last, es[4], normEvent)
	teamLog, err := s.AuditEvents(t.Context(), a.ID, audit.Filter{})
	noErr(t, "AuditEvents of the account's ID", err)
	if len(teamLog) != 0 {
		t.Fatalf("account events show in the teams' log: %d", len(teamLog))
	}
}

func testAppendAccountAuditEventDuplicate(t *testing.T, s team.Store) {
	a := newAccount(t, newID(t, "user"))
	seed(t, s, a)
	es := accountEvents(t, a.ID, 2)
	if err := appendAccountEvents(t, s, a, es...); err != nil {
		t.Fatalf("AppendAccountAuditEvent: %v", err)
	}
	dup := accountEvents(t, a.ID, 2)[1] // same Seq 2, new ID
	wantErr(t, "AppendAccountAuditEvent of a taken seq", appendAccountEvents(t, s, a, dup), team.ErrConflict)
	got, err := s.AccountAuditEvents(t.Context(), a.ID, audit.Filter{})
	noErr(t, "AccountAuditEvents", err)
	sameList(t, "AccountAuditEvents after the refused duplicate", got, es, normEvent)
}

// ledgerFixture: team tm charged to account a (users u1, u2), plus a
// record of another team charged to a and one of tm charged elsewhere.
type ledgerFixture struct {
	a       billing.Account
	tm, tm2 team.Team
	u1, u2  string
	recs    []billing.UsageRecord // tm's, charged to a, in time order
	other   billing.UsageRecord   // tm2's, charged to a
	foreign billing.UsageRecord   // tm's, charged to another account
}

func newLedgerFixture(t *testing.T, s team.Store) ledgerFixture {
	f := ledgerFixture{a: newAccount(t, newID(t, "user")), u1: newID(t, "user"), u2: newID(t, "user")}
	f.tm, f.tm2 = newTeam(t, team.Collaboration, f.a.UserID), newTeam(t, team.Collaboration, f.a.UserID)
	for i := range 6 {
		u := f.u1
		if i%2 == 1 {
			u = f.u2
		}
		r := newUsage(t, f.tm.ID, u, int64(1+i), at(10+i/2)) // pairs share a time: ID breaks the tie
		r.AccountID = f.a.ID
		f.recs = append(f.recs, r)
	}
	sortLedger(f.recs)
	f.other = newUsage(t, f.tm2.ID, f.u1, 100, at(11))
	f.other.AccountID = f.a.ID
	f.foreign = newUsage(t, f.tm.ID, f.u1, 1000, at(11))
	recs := []any{f.a, f.tm, f.tm2, f.other, f.foreign}
	for i := len(f.recs) - 1; i >= 0; i-- {
		recs = append(recs, f.recs[i])
	}
	seed(t, s, recs...)
	return f
}

func sortLedger(rs []billing.UsageRecord) {
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			if rs[j].Time.Before(rs[i].Time) || (rs[j].Time.Equal(rs[i].Time) && rs[j].ID < rs[i].ID) {
				rs[i], rs[j] = rs[j], rs[i]
			}
		}
	}
}

func usageIDs(rs []billing.UsageRecord) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func reversed[T any](xs []T) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[len(xs)-1-i] = x
	}
	return out
}

// Rule BILL-9: usage records of a team or an account, by member and time
// range, oldest or newest first, paged by (time, id) keyset.
func testUsageRecordsLedger(t *testing.T, s team.Store) {
	f := newLedgerFixture(t, s)
	list := func(what string, q billing.LedgerQuery, want []billing.UsageRecord) {
		t.Helper()
		got, err := s.UsageRecords(t.Context(), q)
		noErr(t, "UsageRecords "+what, err)
		sameIDs(t, "UsageRecords "+what, usageIDs(got), usageIDs(want))
	}
	teamAll := append([]billing.UsageRecord{}, f.recs...)
	teamAll = append(teamAll, f.foreign)
	sortLedger(teamAll)
	list("of the team", billing.LedgerQuery{TeamID: f.tm.ID}, teamAll)
	list("of the team, newest first", billing.LedgerQuery{TeamID: f.tm.ID, Desc: true}, reversed(teamAll))
	acctAll := append([]billing.UsageRecord{}, f.recs...)
	acctAll = append(acctAll, f.other)
	sortLedger(acctAll)
	list("of the account", billing.LedgerQuery{AccountID: f.a.ID}, acctAll)
	var u2 []billing.UsageRecord
	for _, r := range f.recs {
		if r.UserID == f.u2 {
			u2 = append(u2, r)
		}
	}
	list("of one member", billing.LedgerQuery{AccountID: f.a.ID, TeamID: "", UserID: f.u2}, u2)
	var inRange []billing.UsageRecord
	for _, r := range acctAll {
		if !r.Time.Before(at(11)) && r.Time.Before(at(12)) {
			inRange = append(inRange, r)
		}
	}
	list("in [at(11), at(12))", billing.LedgerQuery{AccountID: f.a.ID, From: at(11), To: at(12)}, inRange)
	// Keyset pages of 2, both ways, cover the ledger exactly once.
	for _, desc := range []bool{false, true} {
		want := acctAll
		if desc {
			want = reversed(acctAll)
		}
		var got []billing.UsageRecord
		var after billing.LedgerPosition
		for range len(want) + 1 {
			page, err := s.UsageRecords(t.Context(), billing.LedgerQuery{AccountID: f.a.ID, Desc: desc, After: after, Limit: 2})
			noErr(t, "UsageRecords page", err)
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			last := page[len(page)-1]
			after = billing.LedgerPosition{Time: last.Time, ID: last.ID}
		}
		sameIDs(t, "UsageRecords paged", usageIDs(got), usageIDs(want))
	}
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		got, err := tx.UsageRecords(ctx, billing.LedgerQuery{TeamID: f.tm.ID, Limit: 1})
		noErr(t, "Tx.UsageRecords", err)
		sameIDs(t, "Tx.UsageRecords", usageIDs(got), usageIDs(teamAll[:1]))
		return nil
	})
}

// Rule BILL-9: top-ups of an account or made through a team.
func testTopUpsLedger(t *testing.T, s team.Store) {
	a := newAccount(t, newID(t, "user"))
	tm := newTeam(t, team.Collaboration, a.UserID)
	var tops []topUp
	recs := []any{a, tm}
	for i := range 5 {
		tu := newTopUp(t, a, "")
		if i%2 == 0 {
			tu.TeamID = tm.ID
		}
		tu.Time = at(20 - i)
		tops = append(tops, tu)
		recs = append(recs, tu)
	}
	seed(t, s, recs...)
	ids := func(ts []billing.TopUp) []string {
		out := []string{}
		for _, x := range ts {
			out = append(out, x.ID)
		}
		return out
	}
	got, err := s.TopUps(t.Context(), billing.LedgerQuery{AccountID: a.ID})
	noErr(t, "TopUps", err)
	sameIDs(t, "TopUps oldest first", ids(got), []string{tops[4].ID, tops[3].ID, tops[2].ID, tops[1].ID, tops[0].ID})
	same(t, "TopUps record", got[0], tops[4].TopUp, normTopUp)
	got, err = s.TopUps(t.Context(), billing.LedgerQuery{TeamID: tm.ID, Desc: true})
	noErr(t, "TopUps of the team", err)
	sameIDs(t, "TopUps through the team, newest first", ids(got), []string{tops[0].ID, tops[2].ID, tops[4].ID})
	got, err = s.TopUps(t.Context(), billing.LedgerQuery{AccountID: a.ID, From: at(17), To: at(20), Limit: 2})
	noErr(t, "TopUps in range", err)
	sameIDs(t, "TopUps in [at(17), at(20)), 2", ids(got), []string{tops[3].ID, tops[2].ID})
	got, err = s.TopUps(t.Context(), billing.LedgerQuery{AccountID: a.ID, After: billing.LedgerPosition{Time: tops[2].Time, ID: tops[2].ID}})
	noErr(t, "TopUps after", err)
	sameIDs(t, "TopUps after the third", ids(got), []string{tops[1].ID, tops[0].ID})
	got, err = s.TopUps(t.Context(), billing.LedgerQuery{AccountID: a.ID, UserID: tops[1].ActorID})
	noErr(t, "TopUps by actor", err)
	sameIDs(t, "TopUps by one actor", ids(got), []string{tops[1].ID})
}

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("loading Europe/Berlin: %v", err)
	}
	return loc
}

func seriesOf(t *testing.T, s team.Store, q billing.SeriesQuery) []billing.SeriesPoint {
	t.Helper()
	got, err := s.UsageSeries(t.Context(), q)
	noErr(t, "UsageSeries", err)
	return got
}

func sameSeries(t *testing.T, what string, got, want []billing.SeriesPoint) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		g, w := got[i], want[i]
		ok = g.Start.Equal(w.Start) && g.Start.Location().String() == w.Start.Location().String() &&
			g.UserID == w.UserID && g.Amount == w.Amount && g.Records == w.Records
	}
	if !ok {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// Rule BILL-10: a day bucket starts at local midnight of the query's zone,
// so across Berlin's DST changes (2026-03-29: 23 hours, 2026-10-25: 25
// hours) records near midnight land in the local day, not the UTC one.
func testUsageSeriesDST(t *testing.T, s team.Store) {
	loc := berlin(t)
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	u1, u2 := "a-"+newID(t, "user"), "b-"+newID(t, "user")
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	recs := []any{tm,
		newUsage(t, tm.ID, u1, 1, utc("2026-03-28T22:30:00Z")),  // 23:30 CET, 28th
		newUsage(t, tm.ID, u1, 2, utc("2026-03-28T23:30:00Z")),  // 00:30 CET, 29th
		newUsage(t, tm.ID, u2, 4, utc("2026-03-29T21:30:00Z")),  // 23:30 CEST, 29th
		newUsage(t, tm.ID, u1, 8, utc("2026-03-29T22:30:00Z")),  // 00:30 CEST, 30th
		newUsage(t, tm.ID, u1, 16, utc("2026-10-24T22:30:00Z")), // 00:30 CEST, 25th
		newUsage(t, tm.ID, u1, 32, utc("2026-10-25T22:30:00Z")), // 23:30 CET, 25th
		newUsage(t, tm.ID, u1, 64, utc("2026-10-25T23:30:00Z")), // 00:30 CET, 26th
	}
	seed(t, s, recs...)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, loc) }
	got := seriesOf(t, s, billing.SeriesQuery{TeamID: tm.ID, From: day(2026, 3, 28), To: day(2026, 3, 31), Bucket: billing.BucketDay, Location: loc})
	sameSeries(t, "March days in Berlin", got, []billing.SeriesPoint{
		{Start: day(2026, 3, 28), UserID: u1, Amount: 1, Records: 1},
		{Start: day(2026, 3, 29), UserID: u1, Amount: 2, Records: 1},
		{Start: day(2026, 3, 29), UserID: u2, Amount: 4, Records: 1},
		{Start: day(2026, 3, 30), UserID: u1, Amount: 8, Records: 1},
	})
	if h := day(2026, 3, 30).Sub(day(2026, 3, 29)); h != 23*time.Hour {
		t.Fatalf("2026-03-29 in Berlin lasts %s, want 23h", h)
	}
	got = seriesOf(t, s, billing.SeriesQuery{TeamID: tm.ID, From: day(2026, 10, 25), To: day(2026, 10, 27), Bucket: billing.BucketDay, Location: loc})
	sameSeries(t, "October days in Berlin", got, []billing.SeriesPoint{
		{Start: day(2026, 10, 25), UserID: u1, Amount: 48, Records: 2},
		{Start: day(2026, 10, 26), UserID: u1, Amount: 64, Records: 1},
	})
	got = seriesOf(t, s, billing.SeriesQuery{TeamID: tm.ID, UserID: u2, From: day(2026, 3, 1), To: day(2026, 4, 1), Bucket: billing.BucketDay, Location: loc})
	sameSeries(t, "one member", got, []billing.SeriesPoint{{Start: day(2026, 3, 29), UserID: u2, Amount: 4, Records: 1}})
	// In UTC the same records fall on other days.
	got = seriesOf(t, s, billing.SeriesQuery{TeamID: tm.ID, From: utc("2026-03-28T00:00:00Z"), To: utc("2026-03-31T00:00:00Z"), Bucket: billing.BucketDay, Location: time.UTC})
	d := func(s string) time.Time { return utc(s).In(time.UTC) }
	sameSeries(t, "March days in UTC", got, []billing.SeriesPoint{
		{Start: d("2026-03-28T00:00:00Z"), UserID: u1, Amount: 3, Records: 2},
		{Start: d("2026-03-29T00:00:00Z"), UserID: u1, Amount: 8, Records: 1},
		{Start: d("2026-03-29T00:00:00Z"), UserID: u2, Amount: 4, Records: 1},
	})
}

// Rule BILL-10: hour buckets across the autumn change: Berlin's 02:00
// comes twice (CEST, then CET), two buckets.
func testUsageSeriesHours(t *testing.T, s team.Store) {
	loc := berlin(t)
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	u := newID(t, "user")
	first := time.Date(2026, 10, 25, 0, 10, 0, 0, time.UTC)  // 02:10 CEST
	second := time.Date(2026, 10, 25, 1, 10, 0, 0, time.UTC) // 02:10 CET
	third := time.Date(2026, 10, 25, 1, 50, 0, 0, time.UTC)  // 02:50 CET
	seed(t, s, tm, newUsage(t, tm.ID, u, 1, first), newUsage(t, tm.ID, u, 2, second), newUsage(t, tm.ID, u, 4, third))
	got := seriesOf(t, s, billing.SeriesQuery{TeamID: tm.ID, From: time.Date(2026, 10, 25, 0, 0, 0, 0, loc),
		To: time.Date(2026, 10, 25, 6, 0, 0, 0, loc), Bucket: billing.BucketHour, Location: loc})
	sameSeries(t, "hours of 2026-10-25 in Berlin", got, []billing.SeriesPoint{
		{Start: time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC).In(loc), UserID: u, Amount: 1, Records: 1},
		{Start: time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC).In(loc), UserID: u, Amount: 6, Records: 2},
	})
}

// Rule BILL-10: a range that starts and ends inside an hour counts exactly
// the records in it (stores that keep hourly sums read the partial hours
// from the records).
func testUsageSeriesPartialHours(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	u := newID(t, "user")
	h := func(hh, mm int) time.Time { return time.Date(2026, 6, 1, hh, mm, 0, 0, time.UTC) }
	seed(t, s, tm, newUsage(t, tm.ID, u, 1, h(0, 10)), newUsage(t, tm.ID, u, 2, h(0, 40)), newUsage(t, tm.ID, u, 4, h(1, 20)),
		newUsage(t, tm.ID, u, 8, h(2, 50)), newUsage(t, tm.ID, u, 16, h(3, 5)), newUsage(t, tm.ID, u, 32, h(3, 35)))
	day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	got := seriesOf(t, s, billing.SeriesQuery{TeamID: tm.ID, From: h(0, 30), To: h(3, 30), Bucket: billing.BucketDay, Location: time.UTC})
	sameSeries(t, "[00:30, 03:30) in one day", got, []billing.SeriesPoint{{Start: day, UserID: u, Amount: 30, Records: 4}})
	got = seriesOf(t, s, billing.SeriesQuery{TeamID: tm.ID, From: h(0, 30), To: h(3, 30), Bucket: billing.BucketHour, Location: time.UTC})
	sameSeries(t, "[00:30, 03:30) by hour", got, []billing.SeriesPoint{
		{Start: h(0, 0), UserID: u, Amount: 2, Records: 1},
		{Start: h(1, 0), UserID: u, Amount: 4, Records: 1},
		{Start: h(2, 0), UserID: u, Amount: 8, Records: 1},
		{Start: h(3, 0), UserID: u, Amount: 16, Records: 1},
	})
}

// Rule BILL-10: in a zone half an hour off UTC (Asia/Kolkata, +05:30) a
// day starts at 18:30 UTC.
func testUsageSeriesHalfHourZone(t *testing.T, s team.Store) {
	loc, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	u := newID(t, "user")
	seed(t, s, tm,
		newUsage(t, tm.ID, u, 1, time.Date(2026, 6, 1, 18, 20, 0, 0, time.UTC)), // 23:50 on the 1st
		newUsage(t, tm.ID, u, 2, time.Date(2026, 6, 1, 18, 40, 0, 0, time.UTC)), // 00:10 on the 2nd
	)
	d := func(day int) time.Time { return time.Date(2026, 6, day, 0, 0, 0, 0, loc) }
	got := seriesOf(t, s, billing.SeriesQuery{TeamID: tm.ID, From: d(1), To: d(3), Bucket: billing.BucketDay, Location: loc})
	sameSeries(t, "days in Kolkata", got, []billing.SeriesPoint{
		{Start: d(1), UserID: u, Amount: 1, Records: 1},
		{Start: d(2), UserID: u, Amount: 2, Records: 1},
	})
}

func testUsageSeriesOpenRange(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	seed(t, s, tm)
	for _, q := range []billing.SeriesQuery{
		{TeamID: tm.ID, To: at(10), Bucket: billing.BucketDay, Location: time.UTC},
		{TeamID: tm.ID, From: at(10), To: at(5), Bucket: billing.BucketDay, Location: time.UTC},
		{TeamID: tm.ID, From: at(0), To: at(10), Bucket: billing.BucketDay},
		{TeamID: tm.ID, From: at(0), To: at(10), Bucket: "week", Location: time.UTC},
	} {
		if _, err := s.UsageSeries(t.Context(), q); err == nil {
			t.Fatalf("UsageSeries(%+v) = nil error, want a refusal", q)
		}
	}
}

func testUsageSeriesOverflow(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	u := newID(t, "user")
	seed(t, s, tm, newUsage(t, tm.ID, u, math.MaxInt64, at(1)), newUsage(t, tm.ID, u, 1, at(2)))
	_, err := s.UsageSeries(t.Context(), billing.SeriesQuery{TeamID: tm.ID, From: at(0), To: at(10), Bucket: billing.BucketDay, Location: time.UTC})
	wantErr(t, "UsageSeries beyond int64", err, billing.ErrTotalOverflow)
}

// Rule BILL-10: usage by the value of one metadata key, records without
// it in their own row, by amount descending then value.
func testUsageBreakdown(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	u1, u2 := newID(t, "user"), newID(t, "user")
	rec := func(u string, amount int64, model string, when time.Time) billing.UsageRecord {
		r := newUsage(t, tm.ID, u, amount, when)
		if model != "-" {
			r.Metadata = map[string]string{"model": model}
		} else {
			r.Metadata = nil
		}
		return r
	}
	seed(t, s, tm,
		rec(u1, 5, "large", at(1)), rec(u2, 5, "large", at(2)), rec(u1, 3, "small", at(3)),
		rec(u1, 7, "-", at(4)), rec(u2, 3, "", at(5)), rec(u2, 100, "large", at(50)))
	got, err := s.UsageBreakdown(t.Context(), billing.BreakdownQuery{TeamID: tm.ID, From: at(0), To: at(10), Key: "model"})
	noErr(t, "UsageBreakdown", err)
	want := []billing.BreakdownRow{
		{Value: "large", Amount: 10, Records: 2},
		{Value: "", Amount: 7, Records: 1, Missing: true},
		{Value: "", Amount: 3, Records: 1},
		{Value: "small", Amount: 3, Records: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("UsageBreakdown = %+v\nwant %+v", got, want)
	}
	got, err = s.UsageBreakdown(t.Context(), billing.BreakdownQuery{TeamID: tm.ID, UserID: u2, Key: "model"})
	noErr(t, "UsageBreakdown of one member", err)
	want = []billing.BreakdownRow{{Value: "large", Amount: 105, Records: 2}, {Value: "", Amount: 3, Records: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("UsageBreakdown of one member = %+v\nwant %+v", got, want)
	}
}

func testUsageBreakdownOverflow(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	u := newID(t, "user")
	seed(t, s, tm, newUsage(t, tm.ID, u, math.MaxInt64, at(1)), newUsage(t, tm.ID, u, 1, at(2)))
	_, err := s.UsageBreakdown(t.Context(), billing.BreakdownQuery{TeamID: tm.ID, Key: "resource"})
	wantErr(t, "UsageBreakdown beyond int64", err, billing.ErrTotalOverflow)
}

// Rule BILL-12: the charges to an account per team and member, the
// statement's lines.
func testAccountUsageTotals(t *testing.T, s team.Store) {
	f := newLedgerFixture(t, s)
	got, err := s.AccountUsageTotals(t.Context(), f.a.ID, at(11), time.Time{})
	noErr(t, "AccountUsageTotals", err)
	want := map[[2]string][2]int64{}
	for _, r := range append(append([]billing.UsageRecord{}, f.recs...), f.other) {
		if !r.Time.Before(at(11)) {
			k := [2]string{r.TeamID, r.UserID}
			v := want[k]
			want[k] = [2]int64{v[0] + r.Amount, v[1] + 1}
		}
	}
	if len(got) != len(want) {
		t.Fatalf("AccountUsageTotals = %+v, want %v", got, want)
	}
	for i, g := range got {
		if i > 0 && (got[i-1].TeamID > g.TeamID || (got[i-1].TeamID == g.TeamID && got[i-1].UserID >= g.UserID)) {
			t.Fatalf("AccountUsageTotals not ordered by team then user: %+v", got)
		}
		w := want[[2]string{g.TeamID, g.UserID}]
		if g.Amount != w[0] || int64(g.Records) != w[1] {
			t.Fatalf("AccountUsageTotals row %+v, want %v", g, w)
		}
	}
	none, err := s.AccountUsageTotals(t.Context(), f.a.ID, at(100), at(200))
	noErr(t, "AccountUsageTotals of an empty range", err)
	if len(none) != 0 {
		t.Fatalf("AccountUsageTotals of an empty range = %+v", none)
	}
}

func normTopUp(x billing.TopUp) billing.TopUp {
	x.Time = normTime(x.Time)
	return x
}
