package billing

import (
	"fmt"
	"time"
)

// Ledger, analytics and statements (BILL-9, BILL-10, BILL-12): the query
// types the team.Store contract answers and the results the team service
// returns.

// LedgerQuery selects usage records or top-ups (BILL-9). Exactly one of
// AccountID and TeamID names whose ledger it is: the usage charged to an
// account (or its top-ups), or the usage recorded in a team (or the
// top-ups made through it).
type LedgerQuery struct {
	AccountID string
	TeamID    string
	// UserID keeps only the records of one member (the user charged for
	// usage, the actor of a top-up); "" keeps all.
	UserID string
	// From and To bound Time to [From, To); a zero value leaves that side
	// open.
	From, To time.Time
	// Desc orders newest first; otherwise oldest first. The order is by
	// Time, then ID.
	Desc bool
	// After, when not zero, keeps only records strictly after this
	// position in the order (keyset paging).
	After LedgerPosition
	// Limit caps the number of records; 0 means no cap.
	Limit int
}

// LedgerPosition is a place in the ledger's order: a record's Time and ID.
type LedgerPosition struct {
	Time time.Time
	ID   string
}

// IsZero reports whether p is the zero position (the start of the order).
func (p LedgerPosition) IsZero() bool { return p.ID == "" && p.Time.IsZero() }

// Entry kinds of the ledger.
const (
	EntryUsage = "usage"
	EntryTopUp = "top_up"
)

// LedgerEntry is one line of the ledger (BILL-9): a usage charge or a
// top-up. UserID is the member charged (usage) or the actor (top-up).
//
// It marshals to JSON as {"kind", "id", "time", "account_id", "team_id",
// "user_id", "amount", "idempotency_key", "metadata"}, time in RFC 3339,
// team_id, idempotency_key and metadata left out when empty.
type LedgerEntry struct {
	Kind           string            `json:"kind"` // EntryUsage or EntryTopUp
	ID             string            `json:"id"`
	Time           time.Time         `json:"time"`
	AccountID      string            `json:"account_id"`
	TeamID         string            `json:"team_id,omitempty"`
	UserID         string            `json:"user_id"`
	Amount         int64             `json:"amount"` // tokens, > 0: charged for usage, credited for a top-up
	IdempotencyKey string            `json:"idempotency_key,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
}

// Bucket is the width of a usage series' buckets (BILL-10).
type Bucket string

// The bucket widths. A day follows the series' time zone: it starts at
// local midnight and lasts 23, 24 or 25 hours around DST changes.
const (
	BucketHour Bucket = "hour"
	BucketDay  Bucket = "day"
)

// SeriesQuery selects a usage series (BILL-10): the usage of TeamID (or,
// when TeamID is "", of everything charged to AccountID) with Time in
// [From, To), summed per bucket and member.
type SeriesQuery struct {
	TeamID    string
	AccountID string
	UserID    string // "" for every member
	From, To  time.Time
	Bucket    Bucket
	// Location is the time zone buckets follow; it must be time.UTC or a
	// zone loaded by name (time.LoadLocation), never nil.
	Location *time.Location
}

// SeriesPoint is one member's usage in one bucket.
//
// It marshals to JSON as {"start", "user_id", "amount", "records"}, start
// in RFC 3339 with the zone's offset.
type SeriesPoint struct {
	Start   time.Time `json:"start"` // the bucket's first instant, in the query's Location
	UserID  string    `json:"user_id"`
	Amount  int64     `json:"amount"`
	Records int       `json:"records"`
}

// BreakdownQuery selects a usage breakdown by one metadata key (BILL-10):
// the usage of TeamID (or, when TeamID is "", of AccountID) with Time in
// [From, To), summed per value of Metadata[Key].
type BreakdownQuery struct {
	TeamID    string
	AccountID string
	UserID    string // "" for every member
	From, To  time.Time
	Key       string
}

// BreakdownRow is the usage of one metadata value. Records without the key
// are in the row whose Value is "" and Missing true. The service's
// "other" row (the values beyond the top N) has Other true.
//
// It marshals to JSON as {"value", "amount", "records", "missing",
// "other"}, the two flags left out when false.
type BreakdownRow struct {
	Value   string `json:"value"`
	Amount  int64  `json:"amount"`
	Records int    `json:"records"`
	Missing bool   `json:"missing,omitempty"`
	Other   bool   `json:"other,omitempty"`
}

// Breakdown is a usage breakdown (BILL-10): the top rows by amount
// (ties by value), then, when more values exist, one Other row summing the
// rest. Amount and Records are the totals of every row.
//
// It marshals to JSON as {"key", "from", "to", "amount", "records",
// "rows"}.
type Breakdown struct {
	Key     string         `json:"key"`
	From    time.Time      `json:"from"`
	To      time.Time      `json:"to"`
	Amount  int64          `json:"amount"`
	Records int            `json:"records"`
	Rows    []BreakdownRow `json:"rows"`
}

// TeamMemberUsage is the usage of one member in one team.
//
// It marshals to JSON as {"team_id", "user_id", "amount", "records"}.
type TeamMemberUsage struct {
	TeamID  string `json:"team_id"`
	UserID  string `json:"user_id"`
	Amount  int64  `json:"amount"`
	Records int    `json:"records"`
}

// TeamCharges is the usage charged to an account from one team in a
// statement, with its members' parts, by user ID.
//
// It marshals to JSON as {"team_id", "amount", "records", "members"}.
type TeamCharges struct {
	TeamID  string        `json:"team_id"`
	Amount  int64         `json:"amount"`
	Records int           `json:"records"`
	Members []MemberUsage `json:"members"`
}

// Statement is an account's statement for a period [From, To) (BILL-12,
// the seeds' "invoice"). Opening + TopUpTotal − ChargeTotal = Closing
// exactly; Opening is the balance at From, Closing the balance at To (or
// now, for a period not yet over).
//
// It marshals to JSON as {"account_id", "user_id", "from", "to",
// "opening_balance", "top_ups", "top_up_total", "charges", "charge_total",
// "closing_balance"}, times in RFC 3339, top_ups a list of TopUp and
// charges a list of TeamCharges (both [] when empty); see
// testdata/statement.json.
type Statement struct {
	AccountID   string        `json:"account_id"`
	UserID      string        `json:"user_id"`
	From        time.Time     `json:"from"`
	To          time.Time     `json:"to"`
	Opening     int64         `json:"opening_balance"`
	TopUps      []TopUp       `json:"top_ups"`
	TopUpTotal  int64         `json:"top_up_total"`
	Charges     []TeamCharges `json:"charges"`
	ChargeTotal int64         `json:"charge_total"`
	Closing     int64         `json:"closing_balance"`
}

// BucketStart returns the first instant of the bucket of width b that holds
// t in loc, in loc: local midnight for a day, the whole local hour for an
// hour (exact across DST changes: the repeated hour of autumn makes two
// buckets).
func BucketStart(t time.Time, b Bucket, loc *time.Location) time.Time {
	lt := t.In(loc)
	if b == BucketDay {
		return time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	}
	off := time.Duration(lt.Minute())*time.Minute + time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
	return t.Add(-off).In(loc)
}

// NextBucket returns the start of the bucket after the one that starts at
// start.
func NextBucket(start time.Time, b Bucket, loc *time.Location) time.Time {
	if b == BucketDay {
		lt := start.In(loc)
		return time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, loc)
	}
	next := BucketStart(start.Add(time.Hour), b, loc)
	if !next.After(start) {
		next = start.Add(time.Hour)
	}
	return next
}

// MaxSeriesBuckets is the most buckets one series may span.
const MaxSeriesBuckets = 10000

// BucketBounds returns the starts of the buckets of width b in loc that
// overlap [from, to), followed by to: len-1 buckets, bucket i spanning
// [bounds[i], bounds[i+1]). It refuses an empty range, a nil loc, an
// unknown width and more than MaxSeriesBuckets buckets.
func BucketBounds(from, to time.Time, b Bucket, loc *time.Location) ([]time.Time, error) {
	switch {
	case loc == nil:
		return nil, fmt.Errorf("billing: series time zone is nil; pass time.UTC or a zone from time.LoadLocation")
	case b != BucketHour && b != BucketDay:
		return nil, fmt.Errorf("billing: bucket %q is not %s or %s", b, BucketHour, BucketDay)
	case from.IsZero() || to.IsZero() || !from.Before(to):
		return nil, fmt.Errorf("billing: series range [%s, %s) is empty or open; pass a start before the end", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	bounds := []time.Time{BucketStart(from, b, loc)}
	for {
		next := NextBucket(bounds[len(bounds)-1], b, loc)
		if !next.Before(to) {
			break
		}
		if len(bounds) == MaxSeriesBuckets {
			return nil, fmt.Errorf("billing: the series spans more than %d buckets; query a shorter range or wider buckets", MaxSeriesBuckets)
		}
		bounds = append(bounds, next)
	}
	return append(bounds, to.In(loc)), nil
}
