package audit

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Page sizes of a Query (AUD-3).
const (
	DefaultLimit = 50   // the page size when Query.Limit is 0
	MaxLimit     = 1000 // larger limits are lowered to this
)

// Errors of a Query. Both are refusals of the caller's input; the team
// service also matches them against its ErrInvalidInput.
var (
	// ErrInvalidCursor: Query.Cursor is not a cursor this package made. Pass
	// the NextCursor of the previous Page unchanged, or "" for the first page.
	ErrInvalidCursor = errors.New("audit: invalid cursor; pass a Page's NextCursor unchanged or \"\" to start")
	// ErrInvalidQuery: a negative Limit, or To before From.
	ErrInvalidQuery = errors.New("audit: invalid query")
)

// Query is what a reader of a team's log asks for (AUD-3): events by
// ActorID, with one of Actions, with Time in [From, To); zero fields do not
// filter. Pages follow one another through Cursor: "" for the first page,
// then the NextCursor of the page before. Events appended between two page
// reads never make a page skip or repeat an event, because the cursor is a
// position in the team's sequence.
type Query struct {
	ActorID string
	Actions []Action
	From    time.Time // inclusive
	To      time.Time // exclusive
	Cursor  string
	Limit   int // page size: 0 means DefaultLimit; above MaxLimit means MaxLimit
}

// Page is one page of a team's log in ascending Seq. NextCursor is the
// cursor of the next page, or "" when no more events matched when the page
// was read.
//
// It marshals to JSON as {"events", "next_cursor"}, both left out when
// empty (an empty page is {}); see testdata/page.json.
type Page struct {
	Events     []Event `json:"events,omitempty"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

// cursorVersion is the first byte of every encoded cursor, so that the
// format can change without old cursors being misread.
const cursorVersion = 1

// EncodeCursor returns the opaque cursor of the page after the event with
// sequence number afterSeq ("" for 0, the start of the log).
func EncodeCursor(afterSeq uint64) string {
	if afterSeq == 0 {
		return ""
	}
	var b [9]byte
	b[0] = cursorVersion
	binary.BigEndian.PutUint64(b[1:], afterSeq)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// DecodeCursor returns the sequence number a cursor made by EncodeCursor
// stands for (0 for ""). Any other string is refused with an error matching
// ErrInvalidCursor.
func DecodeCursor(cursor string) (uint64, error) {
	if cursor == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil && len(b) == 9 && b[0] == cursorVersion {
		// Only the one encoding EncodeCursor makes is accepted (the decoder
		// skips newlines and tolerates stray bits).
		if seq := binary.BigEndian.Uint64(b[1:]); EncodeCursor(seq) == cursor {
			return seq, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrInvalidCursor, cursor)
}

// Filter converts q into the Filter of its page: the same conditions,
// AfterSeq from the cursor and Limit the page size (DefaultLimit for 0,
// at most MaxLimit). A malformed cursor matches ErrInvalidCursor; a
// negative Limit or a To before From matches ErrInvalidQuery.
func (q Query) Filter() (Filter, error) {
	after, err := DecodeCursor(q.Cursor)
	if err != nil {
		return Filter{}, err
	}
	limit := q.Limit
	switch {
	case limit < 0:
		return Filter{}, fmt.Errorf("%w: limit %d is negative; use 0 for the default of %d", ErrInvalidQuery, limit, DefaultLimit)
	case limit == 0:
		limit = DefaultLimit
	case limit > MaxLimit:
		limit = MaxLimit
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return Filter{}, fmt.Errorf("%w: time range ends (%s) before it starts (%s)", ErrInvalidQuery, q.To, q.From)
	}
	return Filter{
		ActorID:  q.ActorID,
		Actions:  q.Actions,
		From:     q.From,
		To:       q.To,
		AfterSeq: after,
		Limit:    limit,
	}, nil
}

// NewPage makes the page of at most limit events from events, a store's
// answer to the page's Filter asked with Limit raised to limit+1: when the
// store returned more than limit events, the page keeps the first limit and
// its NextCursor points after the last of them. A limit below 1 keeps every
// event.
func NewPage(events []Event, limit int) Page {
	if limit < 1 || len(events) <= limit {
		return Page{Events: events}
	}
	events = events[:limit:limit]
	return Page{Events: events, NextCursor: EncodeCursor(events[limit-1].Seq)}
}
