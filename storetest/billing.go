package storetest

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/team"
)

func billingCases() []testCase {
	return []testCase{
		{"Account/NotFound", testAccountNotFound},
		{"Account/ReturnsInsertedAccount", testAccountRoundTrip},
		{"InsertAccount/DuplicateIDIsConflict", testInsertAccountDuplicateID},
		{"InsertAccount/SecondAccountOfUserIsConflict", testInsertAccountDuplicateUser},
		{"LockAccount/NotFound", testLockAccountNotFound},
		{"LockAccount/ReturnsAccount", testLockAccount},
		{"UpdateAccount/NotFound", testUpdateAccountNotFound},
		{"UpdateAccount/ReplacesAccount", testUpdateAccount},
		{"UsageByKey/NotFound", testUsageByKeyNotFound},
		{"UsageByKey/ReturnsInsertedRecord", testUsageRoundTrip},
		{"InsertUsage/DuplicateIDIsConflict", testInsertUsageDuplicateID},
		{"InsertUsage/DuplicateIdempotencyKeyIsConflict", testInsertUsageDuplicateKey},
		{"InsertUsage/SameKeyInAnotherTeam", testInsertUsageKeyOtherTeam},
		{"UsageTotals/HalfOpenRangePerMemberByUserID", testUsageTotals},
		{"UsageTotals/TotalBeyondInt64IsError", testUsageTotalsOverflow},
		{"InsertTopUp/DuplicateIDIsConflict", testInsertTopUpDuplicateID},
	}
}

func testAccountNotFound(t *testing.T, s team.Store) {
	user := newID(t, "user")
	_, err := s.Account(t.Context(), user)
	wantErr(t, "Account", err, team.ErrNotFound)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		_, err := tx.Account(ctx, user)
		wantErr(t, "Tx.Account", err, team.ErrNotFound)
		return nil
	})
}

// Rule BILL-1: every user has a personal billing account.
func testAccountRoundTrip(t *testing.T, s team.Store) {
	a := newAccount(t, newID(t, "user"))
	seed(t, s, a, newAccount(t, newID(t, "user")))
	got, err := s.Account(t.Context(), a.UserID)
	noErr(t, "Account", err)
	same(t, "Account", got, a, normAccount)
}

func testInsertAccountDuplicateID(t *testing.T, s team.Store) {
	a := newAccount(t, newID(t, "user"))
	seed(t, s, a)
	dup := newAccount(t, newID(t, "user"))
	dup.ID = a.ID
	wantInsertErr(t, s, team.ErrConflict, dup)
	_, err := s.Account(t.Context(), dup.UserID)
	wantErr(t, "Account of the refused duplicate's user", err, team.ErrNotFound)
}

// Rule BILL-1: exactly one account per user.
func testInsertAccountDuplicateUser(t *testing.T, s team.Store) {
	a := newAccount(t, newID(t, "user"))
	seed(t, s, a)
	dup := newAccount(t, a.UserID)
	dup.Balance = 999
	wantInsertErr(t, s, team.ErrConflict, dup)
	got, err := s.Account(t.Context(), a.UserID)
	noErr(t, "Account", err)
	same(t, "Account after refused second account", got, a, normAccount)
}

func testLockAccountNotFound(t *testing.T, s team.Store) {
	wantTxErr(t, s, team.ErrNotFound, func(ctx context.Context, tx team.Tx) error {
		_, err := tx.LockAccount(ctx, newID(t, "user"))
		return err
	})
}

func testLockAccount(t *testing.T, s team.Store) {
	a := newAccount(t, newID(t, "user"))
	seed(t, s, a)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		got, err := tx.LockAccount(ctx, a.UserID)
		noErr(t, "LockAccount", err)
		same(t, "LockAccount", got, a, normAccount)
		return nil
	})
}

func testUpdateAccountNotFound(t *testing.T, s team.Store) {
	wantTxErr(t, s, team.ErrNotFound, func(ctx context.Context, tx team.Tx) error {
		return tx.UpdateAccount(ctx, newAccount(t, newID(t, "user")))
	})
}

func testUpdateAccount(t *testing.T, s team.Store) {
	a := newAccount(t, newID(t, "user"))
	other := newAccount(t, newID(t, "user"))
	seed(t, s, a, other)
	a.Balance = 7
	a.Plan = billing.PlanEnterprise
	a.Status = billing.StatusSuspended
	a.UpdatedAt = at(3)
	mustTx(t, s, accountLocked(a.UserID, func(ctx context.Context, tx team.Tx) error { return tx.UpdateAccount(ctx, a) }))
	got, err := s.Account(t.Context(), a.UserID)
	noErr(t, "Account", err)
	same(t, "Account after update", got, a, normAccount)
	got, err = s.Account(t.Context(), other.UserID)
	noErr(t, "other Account", err)
	same(t, "other Account after update", got, other, normAccount)
}

// Rule TEAM-6: a key of one team is not one of another.
func testUsageByKeyNotFound(t *testing.T, s team.Store) {
	a := newTeam(t, team.Collaboration, newID(t, "user"))
	b := newTeam(t, team.Collaboration, newID(t, "user"))
	r := newUsage(t, a.ID, newID(t, "user"), 5, at(0))
	seed(t, s, a, b, r)
	_, err := s.UsageByKey(t.Context(), b.ID, r.IdempotencyKey)
	wantErr(t, "UsageByKey of another team", err, team.ErrNotFound)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		_, err := tx.UsageByKey(ctx, a.ID, newID(t, "key"))
		wantErr(t, "Tx.UsageByKey", err, team.ErrNotFound)
		return nil
	})
}

// Rule BILL-2: the record keeps team, user, account, time, amount, metadata.
func testUsageRoundTrip(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	r := newUsage(t, tm.ID, newID(t, "user"), 5, at(1))
	seed(t, s, tm, r)
	got, err := s.UsageByKey(t.Context(), tm.ID, r.IdempotencyKey)
	noErr(t, "UsageByKey", err)
	same(t, "UsageByKey", got, r, normUsage)
}

func testInsertUsageDuplicateID(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	r := newUsage(t, tm.ID, newID(t, "user"), 5, at(0))
	seed(t, s, tm, r)
	dup := newUsage(t, tm.ID, newID(t, "user"), 6, at(0))
	dup.ID = r.ID
	wantInsertErr(t, s, team.ErrConflict, dup)
	_, err := s.UsageByKey(t.Context(), tm.ID, dup.IdempotencyKey)
	wantErr(t, "UsageByKey of the refused duplicate", err, team.ErrNotFound)
}

// Rule BILL-4: an idempotency key charges a team once.
func testInsertUsageDuplicateKey(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	user := newID(t, "user")
	r := newUsage(t, tm.ID, user, 5, at(0))
	seed(t, s, tm, r)
	retry := newUsage(t, tm.ID, user, 5, at(0))
	retry.IdempotencyKey = r.IdempotencyKey
	wantInsertErr(t, s, team.ErrConflict, retry)
	got, err := s.UsageTotals(t.Context(), tm.ID, time.Time{}, time.Time{})
	noErr(t, "UsageTotals", err)
	want := []billing.MemberUsage{{UserID: user, Amount: 5, Records: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("UsageTotals after refused retry = %+v, want %+v", got, want)
	}
}

func testInsertUsageKeyOtherTeam(t *testing.T, s team.Store) {
	a := newTeam(t, team.Collaboration, newID(t, "user"))
	b := newTeam(t, team.Collaboration, newID(t, "user"))
	ra := newUsage(t, a.ID, newID(t, "user"), 5, at(0))
	rb := newUsage(t, b.ID, newID(t, "user"), 6, at(0))
	rb.IdempotencyKey = ra.IdempotencyKey
	seed(t, s, a, b, ra, rb)
	for _, want := range []billing.UsageRecord{ra, rb} {
		got, err := s.UsageByKey(t.Context(), want.TeamID, want.IdempotencyKey)
		noErr(t, "UsageByKey", err)
		same(t, "UsageByKey", got, want, normUsage)
	}
}

// Rule BILL-5: totals per member for [from, to), members by user ID.
func testUsageTotals(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	other := newTeam(t, team.Collaboration, newID(t, "user"))
	u1, u2, u3 := newID(t, "user"), newID(t, "user"), newID(t, "user")
	from, to := at(10), at(20)
	recs := []billing.UsageRecord{
		newUsage(t, tm.ID, u1, 1, from.Add(-time.Microsecond)), // before
		newUsage(t, tm.ID, u1, 2, from),                        // first instant: in
		newUsage(t, tm.ID, u2, 4, at(15)),
		newUsage(t, tm.ID, u1, 8, to.Add(-time.Microsecond)), // last instant: in
		newUsage(t, tm.ID, u3, 16, to),                       // end: out
		newUsage(t, tm.ID, u2, 32, at(30)),
		newUsage(t, other.ID, u1, 64, at(15)), // another team
	}
	seedRecs := []any{tm, other}
	for i := len(recs) - 1; i >= 0; i-- { // not in time order
		seedRecs = append(seedRecs, recs[i])
	}
	seed(t, s, seedRecs...)

	check := func(what string, from, to time.Time, want map[string][2]int64) {
		t.Helper()
		var rows []billing.MemberUsage
		for _, u := range sortedKeys(want) {
			rows = append(rows, billing.MemberUsage{UserID: u, Amount: want[u][0], Records: int(want[u][1])})
		}
		got, err := s.UsageTotals(t.Context(), tm.ID, from, to)
		noErr(t, "UsageTotals", err)
		if len(got) != len(rows) || (len(rows) > 0 && !reflect.DeepEqual(got, rows)) {
			t.Fatalf("UsageTotals %s = %+v, want %+v", what, got, rows)
		}
	}
	check("[from, to)", from, to, map[string][2]int64{u1: {10, 2}, u2: {4, 1}})
	check("[from, no end)", from, time.Time{}, map[string][2]int64{u1: {10, 2}, u2: {36, 2}, u3: {16, 1}})
	check("[zero, no end)", time.Time{}, time.Time{}, map[string][2]int64{u1: {11, 3}, u2: {36, 2}, u3: {16, 1}})
	check("[zero, to)", time.Time{}, to, map[string][2]int64{u1: {11, 3}, u2: {4, 1}})
	check("empty range", at(40), at(50), nil)
	check("to before from", to, from, nil)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		got, err := tx.UsageTotals(ctx, tm.ID, from, to)
		noErr(t, "Tx.UsageTotals", err)
		if len(got) != 2 || got[0].Amount+got[1].Amount != 14 {
			t.Errorf("Tx.UsageTotals = %+v, want 2 members with 14 tokens", got)
		}
		return nil
	})
}

// Rule BILL-10: totals are exact or an error. A member whose usage in the
// range adds up to more than math.MaxInt64 gets an error matching
// billing.ErrTotalOverflow, never a wrapped number nor an untyped driver
// error; a range whose totals fit is still summed exactly.
func testUsageTotalsOverflow(t *testing.T, s team.Store) {
	tm := newTeam(t, team.Collaboration, newID(t, "user"))
	u1, u2 := newID(t, "user"), newID(t, "user")
	seed(t, s, tm,
		newUsage(t, tm.ID, u1, math.MaxInt64, at(10)),
		newUsage(t, tm.ID, u1, math.MaxInt64, at(20)),
		newUsage(t, tm.ID, u2, math.MaxInt64, at(20)))
	_, err := s.UsageTotals(t.Context(), tm.ID, time.Time{}, time.Time{})
	wantErr(t, "UsageTotals over two MaxInt64 charges", err, billing.ErrTotalOverflow)
	mustTx(t, s, func(ctx context.Context, tx team.Tx) error {
		_, err := tx.UsageTotals(ctx, tm.ID, time.Time{}, time.Time{})
		wantErr(t, "Tx.UsageTotals over two MaxInt64 charges", err, billing.ErrTotalOverflow)
		return nil
	})
	got, err := s.UsageTotals(t.Context(), tm.ID, at(15), time.Time{})
	noErr(t, "UsageTotals of a range that fits", err)
	want := []billing.MemberUsage{{UserID: u1, Amount: math.MaxInt64, Records: 1}, {UserID: u2, Amount: math.MaxInt64, Records: 1}}
	if u2 < u1 {
		want[0], want[1] = want[1], want[0]
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("UsageTotals [15, no end) = %+v, want %+v", got, want)
	}
}

func testInsertTopUpDuplicateID(t *testing.T, s team.Store) {
	a := newAccount(t, newID(t, "user"))
	tm := newTeam(t, team.Collaboration, a.UserID)
	tu := newTopUp(t, a, tm.ID)
	seed(t, s, a, tm, tu)
	dup := newTopUp(t, a, tm.ID)
	dup.ID = tu.ID
	wantInsertErr(t, s, team.ErrConflict, dup)
	seed(t, s, newTopUp(t, a, tm.ID))
}
