package postgres

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/team"
)

var _ team.FeedStore = (*Store)(nil)

// The change feed on PostgreSQL (FEED-1).
//
// The problem: a position taken while a transaction runs (a sequence
// value) becomes visible only when the transaction commits, so a reader
// could pass position 11, committed, while position 10 is still running,
// and never see 10. Here every audit event stores the 64-bit ID of the
// transaction that wrote it (feed_xid, the column default
// pg_current_xact_id(), also for units run as savepoints in a host's
// transaction or shared by group commit) and an insertion number
// (feed_id). The feed order is (feed_xid, feed_id), and a read returns
// only events with feed_xid below pg_snapshot_xmin(pg_current_snapshot()):
// the oldest transaction ID still running when the read's snapshot was
// taken. Every transaction below it has ended, committed (and then
// visible to the read) or rolled back, and every transaction that starts
// later gets a larger ID, so no event can ever appear at a position a
// reader has passed. Within one transaction, feed_id keeps the order of
// its inserts, and they all become visible at once.
//
// Why this and not the alternatives: it costs writers nothing (no global
// lock at commit, which would serialize every change of every team; no
// second table to fill at commit), and the read is one index range scan.
// Its price is latency: an event is held back while any transaction of
// the cluster that began before it (and has written something) still
// runs, so a transaction left open for minutes, in any database of the
// cluster, holds the feed back for minutes (it also holds back VACUUM).
// Keep transactions short; idle_in_transaction_session_timeout bounds
// forgotten ones. Read-only transactions have no ID and hold nothing back.
// xid8 values never wrap around.

// pgCursorVersion starts every PostgreSQL feed cursor.
const pgCursorVersion = 'p'

// feedPos is a feed position: the events after (xid, id).
type feedPos struct{ xid, id uint64 }

func encodePGCursor(p feedPos) string {
	if p == (feedPos{}) {
		return ""
	}
	var b [17]byte
	b[0] = pgCursorVersion
	binary.BigEndian.PutUint64(b[1:], p.xid)
	binary.BigEndian.PutUint64(b[9:], p.id)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodePGCursor(cursor string) (feedPos, error) {
	if cursor == "" {
		return feedPos{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil && len(b) == 17 && b[0] == pgCursorVersion {
		p := feedPos{xid: binary.BigEndian.Uint64(b[1:]), id: binary.BigEndian.Uint64(b[9:])}
		if p.id <= 1<<63-1 && encodePGCursor(p) == cursor {
			return p, nil
		}
	}
	return feedPos{}, fmt.Errorf("postgres: feed cursor %q was not made by this store: %w", cursor, audit.ErrInvalidCursor)
}

// feedQueries are the statements of the feed, schema-qualified once.
type feedQueries struct {
	events, claim, ack, release string
}

func buildFeedQueries(schema string) feedQueries {
	t := func(s string) string { return strings.ReplaceAll(s, "§", schema+".") }
	return feedQueries{
		// The xmin is taken once (an InitPlan), so both bounds are index
		// conditions; the text column is renamed so that ORDER BY sorts by
		// the xid8 column, not by its text.
		events: t("SELECT feed_xid::text AS feed_xid_text, feed_id, " + auditCols + " FROM §audit_events" +
			" WHERE (feed_xid, feed_id) > ($1::text::xid8, $2::bigint)" +
			" AND feed_xid < (SELECT pg_snapshot_xmin(pg_current_snapshot()))" +
			" ORDER BY feed_xid, feed_id LIMIT $3::bigint"),
		claim: t("INSERT INTO §feed_consumers AS c (name, holder, lease_until) VALUES ($1, $2, $4)" +
			" ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until" +
			" WHERE c.holder = '' OR c.holder = excluded.holder OR c.lease_until IS NULL OR c.lease_until <= $3" +
			" RETURNING c.cursor_xid::text, c.cursor_id, c.holder, c.lease_until"),
		ack: t("UPDATE §feed_consumers SET" +
			" cursor_xid = CASE WHEN (cursor_xid, cursor_id) < ($3::text::xid8, $4::bigint) THEN $3::text::xid8 ELSE cursor_xid END," +
			" cursor_id = CASE WHEN (cursor_xid, cursor_id) < ($3::text::xid8, $4::bigint) THEN $4::bigint ELSE cursor_id END" +
			" WHERE name = $1 AND holder = $2 AND lease_until > $5"),
		release: t("UPDATE §feed_consumers SET holder = '', lease_until = NULL WHERE name = $1 AND holder = $2"),
	}
}

// FeedEvents implements team.FeedStore in one index range scan; see the
// comment at the top of feed.go for the order and why it never skips.
func (s *Store) FeedEvents(ctx context.Context, cursor string, limit int) ([]team.FeedEvent, error) {
	pos, err := decodePGCursor(cursor)
	if err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, fmt.Errorf("postgres: feed limit %d: %w; pass at least 1", limit, team.ErrInvalidInput)
	}
	rows, err := s.pool.Query(ctx, s.fq.events, strconv.FormatUint(pos.xid, 10), int64(pos.id), int64(limit))
	if err != nil {
		return nil, mapErr("reading the change feed", err)
	}
	out := make([]team.FeedEvent, 0, min(limit, 1024))
	var (
		xid     string
		id, seq int64
		at      pgtype.Timestamptz
		action  string
		details []byte
	)
	for rows.Next() {
		var e audit.Event
		if err := rows.Scan(&xid, &id, &e.ID, &e.TeamID, &seq, &at, &e.ActorID, &action, &e.Target, &details, &e.PrevHash, &e.Hash); err != nil {
			rows.Close()
			return nil, mapErr("reading the change feed", err)
		}
		x, err := strconv.ParseUint(xid, 10, 64)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("postgres: reading the change feed: transaction ID %q: %w", xid, err)
		}
		e.Seq, e.Time, e.Action = uint64(seq), fromTS(at), audit.Action(action)
		if e.Details, err = decodeMap(details); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, team.FeedEvent{Event: e, Cursor: encodePGCursor(feedPos{xid: x, id: uint64(id)})})
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr("reading the change feed", err)
	}
	return out, nil
}

// ClaimConsumer implements team.FeedStore with one upsert: concurrent
// claims of one name serialize on its row, and one wins.
func (s *Store) ClaimConsumer(ctx context.Context, p team.ClaimConsumerParams) (team.ConsumerState, error) {
	if p.Name == "" || p.Holder == "" {
		return team.ConsumerState{}, fmt.Errorf("postgres: claiming a consumer needs a name and a holder: %w", team.ErrInvalidInput)
	}
	var (
		xid   string
		id    int64
		st    = team.ConsumerState{Name: p.Name}
		until pgtype.Timestamptz
	)
	err := s.pool.QueryRow(ctx, s.fq.claim, p.Name, p.Holder, ts(p.Now), ts(p.Until)).Scan(&xid, &id, &st.Holder, &until)
	if err == pgx.ErrNoRows {
		return team.ConsumerState{}, fmt.Errorf("%w: consumer %q is held by another holder whose lease has not ended", team.ErrConsumerBusy, p.Name)
	}
	if err != nil {
		return team.ConsumerState{}, mapErr("claiming consumer "+p.Name, err)
	}
	x, err := strconv.ParseUint(xid, 10, 64)
	if err != nil {
		return team.ConsumerState{}, fmt.Errorf("postgres: claiming consumer %s: transaction ID %q: %w", p.Name, xid, err)
	}
	st.Cursor, st.LeaseUntil = encodePGCursor(feedPos{xid: x, id: uint64(id)}), fromTS(until)
	return st, nil
}

// AckConsumer implements team.FeedStore with one conditional update.
func (s *Store) AckConsumer(ctx context.Context, p team.AckConsumerParams) error {
	pos, err := decodePGCursor(p.Cursor)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, s.fq.ack, p.Name, p.Holder, strconv.FormatUint(pos.xid, 10), int64(pos.id), ts(p.Now))
	if err != nil {
		return mapErr("acknowledging consumer "+p.Name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s does not hold the lease of consumer %q", team.ErrLeaseLost, p.Holder, p.Name)
	}
	return nil
}

// ReleaseConsumer implements team.FeedStore.
func (s *Store) ReleaseConsumer(ctx context.Context, name, holder string) error {
	_, err := s.pool.Exec(ctx, s.fq.release, name, holder)
	return mapErr("releasing consumer "+name, err)
}
