package team

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
)

// Ledger, analytics and statements (BILL-9, BILL-10, BILL-12).

// Page sizes of the ledger (BILL-9).
const (
	DefaultLedgerLimit = 50
	MaxLedgerLimit     = 1000
)

// Breakdown sizes (BILL-10).
const (
	DefaultBreakdownTop = 10
	MaxBreakdownTop     = 1000
)

var (
	usageOrBilling = []rbac.Permission{rbac.ViewUsage, rbac.Billing}
	billingOnly    = []rbac.Permission{rbac.Billing}
)

// LedgerParams are the arguments of Ledger (BILL-9).
type LedgerParams struct {
	// ActorID is the acting user, or SystemActor for the host.
	ActorID string
	// AccountUserID names an account's ledger: every charge to the
	// account, from any team, and its top-ups. Read by the holder, the
	// host, or a member with the billing permission in TeamID, a team
	// billed to the account.
	AccountUserID string
	// TeamID, without AccountUserID, names a team's ledger: its usage
	// records and the top-ups made through it. Read by members with the
	// usage or the billing permission (or the host).
	TeamID string
	// UserID keeps only one member's lines (charged, or topping up).
	UserID string
	// From and To bound the lines' Time to [From, To); zero is open.
	From, To time.Time
	// NewestFirst orders the lines newest first; otherwise oldest first.
	NewestFirst bool
	// Cursor is the NextCursor of the previous page ("" for the first).
	Cursor string
	// Limit is the page size: 0 means 50; at most 1000.
	Limit int
}

// LedgerPage is one page of a ledger (BILL-9). NextCursor is "" on the
// last page.
//
// It marshals to JSON as {"entries": [...], "next_cursor"}, next_cursor
// left out when empty.
type LedgerPage struct {
	Entries    []billing.LedgerEntry `json:"entries"`
	NextCursor string                `json:"next_cursor,omitempty"`
}

// ledgerCursorVersion is the first byte of every ledger cursor.
const ledgerCursorVersion = 1

func encodeLedgerCursor(desc bool, p billing.LedgerPosition) string {
	b := make([]byte, 10, 10+len(p.ID))
	b[0] = ledgerCursorVersion
	if desc {
		b[1] = 1
	}
	binary.BigEndian.PutUint64(b[2:], uint64(p.Time.UnixMicro()))
	return base64.RawURLEncoding.EncodeToString(append(b, p.ID...))
}

func decodeLedgerCursor(s string, desc bool) (billing.LedgerPosition, error) {
	if s == "" {
		return billing.LedgerPosition{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	bad := invalid("cursor", "is not a NextCursor of this ledger in this order; start again without one")
	if err != nil || len(b) < 11 || b[0] != ledgerCursorVersion || b[1] > 1 || (b[1] == 1) != desc {
		return billing.LedgerPosition{}, bad
	}
	at := time.UnixMicro(int64(binary.BigEndian.Uint64(b[2:10]))).UTC()
	return billing.LedgerPosition{Time: at, ID: string(b[10:])}, nil
}

// checkRange refuses a range whose end is not after its start.
func checkRange(from, to time.Time) error {
	if !to.IsZero() && !from.Before(to) {
		return invalid("to", "%s is not after from %s; pass a later end or a zero time for no end",
			to.UTC().Format(time.RFC3339Nano), from.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// readScope resolves whose lines a ledger or analytics call reads: a team
// (for members with perms, or the host) or, with accountUserID, an account
// (the holder, the host, or a member with the billing permission in a team
// billed to it).
func (s *Service) readScope(ctx context.Context, actorID, accountUserID, teamID string, perms []rbac.Permission, doing string) (teamScope string, acct billing.Account, err error) {
	if accountUserID != "" {
		a, err := s.resolveAccount(ctx, s.store, AccountRef{actorID, accountUserID, teamID}, billingOnly, doing, false)
		if err != nil {
			return "", billing.Account{}, err
		}
		return "", a.acct, nil
	}
	if teamID == "" {
		return "", billing.Account{}, invalid("team_id", "is empty; name a team, or an account by its user")
	}
	if actorID == SystemActor {
		if _, err := live(s.store.Team(ctx, teamID)); err != nil {
			return "", billing.Account{}, fmt.Errorf("teamkit: team %s: %w", teamID, err)
		}
		return teamID, billing.Account{}, nil
	}
	_, _, role, err := s.readAs(ctx, s.store, actorID, teamID, membersOnly, "")
	if err != nil {
		return "", billing.Account{}, err
	}
	if err := requireAny(role, perms, doing); err != nil {
		return "", billing.Account{}, err
	}
	return teamID, billing.Account{}, nil
}

// checkReadIDs validates the IDs of a read: the actor (SystemActor
// allowed) and the optional account user, team and member.
func checkReadIDs(actorID, accountUserID, teamID, userID string) error {
	if err := checkRef(AccountRef{actorID, accountUserID, teamID}); err != nil {
		return err
	}
	if userID != "" {
		return checkID("user_id", userID)
	}
	return nil
}

// Ledger returns one page of a ledger (BILL-9): the usage records and
// top-ups of p.AccountUserID's account or of p.TeamID, as p asks, ordered by
// time then ID. Pages are consistent under concurrent charges: a line
// recorded after a page was read shows on a later page in oldest-first
// order (its time is later).
//
// Errors match ErrInvalidInput (also a cursor of another order or ledger),
// ErrNotMember, ErrPermissionDenied or ErrInvalidAccount.
func (s *Service) Ledger(ctx context.Context, p LedgerParams) (LedgerPage, error) {
	if err := checkReadIDs(p.ActorID, p.AccountUserID, p.TeamID, p.UserID); err != nil {
		return LedgerPage{}, err
	}
	if err := checkRange(p.From, p.To); err != nil {
		return LedgerPage{}, err
	}
	limit := p.Limit
	switch {
	case limit < 0:
		return LedgerPage{}, invalid("limit", "is negative; use 0 for the default of %d", DefaultLedgerLimit)
	case limit == 0:
		limit = DefaultLedgerLimit
	case limit > MaxLedgerLimit:
		limit = MaxLedgerLimit
	}
	after, err := decodeLedgerCursor(p.Cursor, p.NewestFirst)
	if err != nil {
		return LedgerPage{}, err
	}
	teamID, acct, err := s.readScope(ctx, p.ActorID, p.AccountUserID, p.TeamID, usageOrBilling, "read the ledger")
	if err != nil {
		return LedgerPage{}, err
	}
	q := billing.LedgerQuery{AccountID: acct.ID, TeamID: teamID, UserID: p.UserID, From: p.From, To: p.To,
		Desc: p.NewestFirst, After: after, Limit: limit + 1}
	usage, err := s.store.UsageRecords(ctx, q)
	if err != nil {
		return LedgerPage{}, err
	}
	tops, err := s.store.TopUps(ctx, q)
	if err != nil {
		return LedgerPage{}, err
	}
	entries := make([]billing.LedgerEntry, 0, len(usage)+len(tops))
	for _, r := range usage {
		entries = append(entries, billing.LedgerEntry{Kind: billing.EntryUsage, ID: r.ID, Time: r.Time, AccountID: r.AccountID,
			TeamID: r.TeamID, UserID: r.UserID, Amount: r.Amount, IdempotencyKey: r.IdempotencyKey, Metadata: r.Metadata})
	}
	for _, t := range tops {
		entries = append(entries, billing.LedgerEntry{Kind: billing.EntryTopUp, ID: t.ID, Time: t.Time, AccountID: t.AccountID,
			TeamID: t.TeamID, UserID: t.ActorID, Amount: t.Amount, IdempotencyKey: t.IdempotencyKey})
	}
	slices.SortFunc(entries, func(a, b billing.LedgerEntry) int {
		c := a.Time.Compare(b.Time)
		if c == 0 {
			c = strings.Compare(a.ID, b.ID)
		}
		if p.NewestFirst {
			return -c
		}
		return c
	})
	page := LedgerPage{Entries: entries}
	if len(entries) > limit {
		page.Entries = entries[:limit:limit]
		last := page.Entries[limit-1]
		page.NextCursor = encodeLedgerCursor(p.NewestFirst, billing.LedgerPosition{Time: last.Time, ID: last.ID})
	}
	return page, nil
}

// UsageSeriesParams are the arguments of UsageSeries (BILL-10).
type UsageSeriesParams struct {
	// ActorID is the acting user, who needs the usage or the billing
	// permission in TeamID (or SystemActor).
	ActorID string
	// TeamID is the team whose usage is read.
	TeamID string
	// UserID keeps one member's usage; "" keeps all.
	UserID string
	// From and To bound the series to [From, To); both are required.
	From, To time.Time
	// Bucket is billing.BucketDay (the default when "") or
	// billing.BucketHour.
	Bucket billing.Bucket
	// Location is the time zone days and hours follow (default UTC).
	Location *time.Location
}

// UsageSeries returns p.TeamID's usage in [p.From, p.To) per bucket and
// member (BILL-10): one point per bucket and member with usage, by start
// then user ID, starts in p.Location. Days follow the zone: across a DST
// change a day lasts 23 or 25 hours. Sums are exact: one that does not fit
// an int64 is ErrTotalOverflow. At most billing.MaxSeriesBuckets buckets.
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPermissionDenied or
// ErrTotalOverflow.
func (s *Service) UsageSeries(ctx context.Context, p UsageSeriesParams) ([]billing.SeriesPoint, error) {
	if err := checkReadIDs(p.ActorID, "", p.TeamID, p.UserID); err != nil {
		return nil, err
	}
	if p.TeamID == "" {
		return nil, invalid("team_id", "is empty")
	}
	if p.Bucket == "" {
		p.Bucket = billing.BucketDay
	}
	if p.Location == nil {
		p.Location = time.UTC
	}
	if _, err := billing.BucketBounds(p.From, p.To, p.Bucket, p.Location); err != nil {
		return nil, &InputError{Field: "range", Problem: strings.TrimPrefix(err.Error(), "billing: ")}
	}
	teamID, _, err := s.readScope(ctx, p.ActorID, "", p.TeamID, usageOrBilling, "view usage")
	if err != nil {
		return nil, err
	}
	return s.store.UsageSeries(ctx, billing.SeriesQuery{TeamID: teamID, UserID: p.UserID, From: p.From, To: p.To,
		Bucket: p.Bucket, Location: p.Location})
}

// UsageBreakdownParams are the arguments of UsageBreakdown (BILL-10).
type UsageBreakdownParams struct {
	// ActorID is the acting user, who needs the usage or the billing
	// permission in TeamID (or SystemActor).
	ActorID string
	// TeamID is the team whose usage is read.
	TeamID string
	// UserID keeps one member's usage; "" keeps all.
	UserID string
	// From and To bound the usage to [From, To); zero is open.
	From, To time.Time
	// Key is the metadata key to break down by, such as "model".
	Key string
	// Top is how many values to list before the "other" row: 0 means 10;
	// at most 1000.
	Top int
}

// UsageBreakdown returns p.TeamID's usage in [p.From, p.To) by the value
// of metadata key p.Key (BILL-10): the p.Top values with the most tokens
// (ties by value), records without the key counted as one row (Missing),
// then one Other row summing the rest when there are more. Totals are
// exact (ErrTotalOverflow).
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPermissionDenied or
// ErrTotalOverflow.
func (s *Service) UsageBreakdown(ctx context.Context, p UsageBreakdownParams) (billing.Breakdown, error) {
	if err := checkReadIDs(p.ActorID, "", p.TeamID, p.UserID); err != nil {
		return billing.Breakdown{}, err
	}
	if p.TeamID == "" {
		return billing.Breakdown{}, invalid("team_id", "is empty")
	}
	if err := checkRange(p.From, p.To); err != nil {
		return billing.Breakdown{}, err
	}
	if err := checkText(textField{field: "key", limit: MaxUsageMetadataLength}, p.Key); err != nil {
		return billing.Breakdown{}, err
	}
	top := p.Top
	switch {
	case top < 0:
		return billing.Breakdown{}, invalid("top", "is negative; use 0 for the default of %d", DefaultBreakdownTop)
	case top == 0:
		top = DefaultBreakdownTop
	case top > MaxBreakdownTop:
		top = MaxBreakdownTop
	}
	teamID, _, err := s.readScope(ctx, p.ActorID, "", p.TeamID, usageOrBilling, "view usage")
	if err != nil {
		return billing.Breakdown{}, err
	}
	rows, err := s.store.UsageBreakdown(ctx, billing.BreakdownQuery{TeamID: teamID, UserID: p.UserID, From: p.From, To: p.To, Key: p.Key})
	if err != nil {
		return billing.Breakdown{}, err
	}
	out := billing.Breakdown{Key: p.Key, From: p.From, To: p.To, Rows: []billing.BreakdownRow{}}
	var other billing.BreakdownRow
	for i, r := range rows {
		if err := addTotal(&out.Amount, r.Amount, "the breakdown of team "+teamID); err != nil {
			return billing.Breakdown{}, err
		}
		out.Records += r.Records
		if i < top {
			out.Rows = append(out.Rows, r)
			continue
		}
		other.Amount += r.Amount // below out.Amount, which did not overflow
		other.Records += r.Records
	}
	if len(rows) > top {
		other.Other = true
		out.Rows = append(out.Rows, other)
	}
	return out, nil
}

// addTotal adds b (non-negative) to *a, refusing a sum beyond int64.
func addTotal(a *int64, b int64, what string) error {
	if b > (1<<63-1)-*a {
		return fmt.Errorf("%w: %s over the range", billing.ErrTotalOverflow, what)
	}
	*a += b
	return nil
}

// MonthPeriod returns the calendar month of t in loc (UTC when nil) as
// [first instant, first instant of the next month): the default billing
// period of a statement (BILL-12).
func MonthPeriod(t time.Time, loc *time.Location) (from, to time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	from = time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 1, 0)
}

// StatementParams are the arguments of Statement (BILL-12).
type StatementParams struct {
	// ActorID is the holder, SystemActor, or a member with the billing
	// permission in TeamID, a team billed to the account.
	ActorID string
	// AccountUserID is the user whose account the statement is of.
	AccountUserID string
	// TeamID is the team the actor reads through (see AccountRef).
	TeamID string
	// From and To are the period [From, To). Both zero means the current
	// calendar month in Location (MonthPeriod).
	From, To time.Time
	// Location is the time zone of the default period (default UTC).
	Location *time.Location
}

// Statement returns the statement of p.AccountUserID's account for a
// period (BILL-12, the seeds' "invoice"): the balance at the period's
// start, every top-up in it, the charges grouped by team and member, and
// the balance at its end (now, for a period not over), where opening +
// top-ups − charges = closing exactly. It is read in one unit of work
// holding the account's lock, so it is consistent while charges and
// top-ups run. Sums that do not fit an int64 are ErrTotalOverflow.
//
// Errors match ErrInvalidInput, ErrNotMember, ErrPermissionDenied,
// ErrInvalidAccount or ErrTotalOverflow.
func (s *Service) Statement(ctx context.Context, p StatementParams) (billing.Statement, error) {
	ref := AccountRef{p.ActorID, p.AccountUserID, p.TeamID}
	if p.AccountUserID == "" {
		return billing.Statement{}, invalid("account_user_id", "is empty; name the account by its user")
	}
	if err := checkRef(ref); err != nil {
		return billing.Statement{}, err
	}
	from, to := p.From, p.To
	if from.IsZero() && to.IsZero() {
		from, to = MonthPeriod(s.now(), p.Location)
	}
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return billing.Statement{}, invalid("to", "the period needs a start before its end (or neither, for this month)")
	}
	var st billing.Statement
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		a, err := s.resolveAccount(ctx, tx, ref, billingOnly, "read statements", true)
		if err != nil {
			return err
		}
		st, err = statementOf(ctx, tx, a.acct, from, to)
		return err
	})
	if err != nil {
		return billing.Statement{}, err
	}
	return st, nil
}

// statementOf computes acct's statement for [from, to) in tx, which holds
// the account's lock: from the balance now, the top-ups and charges since
// from give the opening balance, those in the period the closing one.
func statementOf(ctx context.Context, tx Tx, acct billing.Account, from, to time.Time) (billing.Statement, error) {
	st := billing.Statement{AccountID: acct.ID, UserID: acct.UserID, From: from, To: to,
		TopUps: []billing.TopUp{}, Charges: []billing.TeamCharges{}}
	sinceTops, err := tx.TopUps(ctx, billing.LedgerQuery{AccountID: acct.ID, From: from})
	if err != nil {
		return st, err
	}
	sinceUse, err := tx.AccountUsageTotals(ctx, acct.ID, from, time.Time{})
	if err != nil {
		return st, err
	}
	inUse, err := tx.AccountUsageTotals(ctx, acct.ID, from, to)
	if err != nil {
		return st, err
	}
	var topSince, useSince, topIn, useIn big.Int
	for _, t := range sinceTops {
		topSince.Add(&topSince, big.NewInt(t.Amount))
		if t.Time.Before(to) {
			topIn.Add(&topIn, big.NewInt(t.Amount))
			st.TopUps = append(st.TopUps, t)
		}
	}
	for _, u := range sinceUse {
		useSince.Add(&useSince, big.NewInt(u.Amount))
	}
	for _, u := range inUse { // by team, then user
		useIn.Add(&useIn, big.NewInt(u.Amount))
		n := len(st.Charges)
		if n == 0 || st.Charges[n-1].TeamID != u.TeamID {
			st.Charges = append(st.Charges, billing.TeamCharges{TeamID: u.TeamID, Members: []billing.MemberUsage{}})
			n++
		}
		tc := &st.Charges[n-1]
		if err := addTotal(&tc.Amount, u.Amount, "the charges of team "+u.TeamID); err != nil {
			return st, err
		}
		tc.Records += u.Records
		tc.Members = append(tc.Members, billing.MemberUsage{UserID: u.UserID, Amount: u.Amount, Records: u.Records})
	}
	var opening, closing big.Int
	opening.Sub(big.NewInt(acct.Balance), &topSince)
	opening.Add(&opening, &useSince)
	closing.Add(&opening, &topIn)
	closing.Sub(&closing, &useIn)
	for _, v := range []struct {
		dst *int64
		n   *big.Int
	}{{&st.Opening, &opening}, {&st.Closing, &closing}, {&st.TopUpTotal, &topIn}, {&st.ChargeTotal, &useIn}} {
		if !v.n.IsInt64() {
			return st, fmt.Errorf("%w: a statement total of account %s does not fit; query a shorter period", billing.ErrTotalOverflow, acct.ID)
		}
		*v.dst = v.n.Int64()
	}
	return st, nil
}
