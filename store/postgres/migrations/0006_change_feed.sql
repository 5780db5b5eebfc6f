-- 0006_change_feed: the change feed (FEED-1) and its named consumers
-- (FEED-2). Each audit event gets the ID of the transaction that wrote it
-- (feed_xid) and an insertion number (feed_id); the feed is ordered by
-- (feed_xid, feed_id) and read only below the oldest transaction still
-- running, so an event can never appear before a position a reader has
-- passed. feed_consumers keeps each consumer's acknowledged position and
-- its lease.

-- +goose Up
ALTER TABLE audit_events
    ADD COLUMN feed_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    ADD COLUMN feed_id bigint GENERATED ALWAYS AS IDENTITY;

CREATE INDEX audit_events_feed ON audit_events (feed_xid, feed_id);

CREATE TABLE feed_consumers (
    name        text COLLATE "C" PRIMARY KEY,
    cursor_xid  xid8 NOT NULL DEFAULT '0',
    cursor_id   bigint NOT NULL DEFAULT 0,
    holder      text COLLATE "C" NOT NULL DEFAULT '',
    lease_until timestamptz
);

-- +goose Down
DROP TABLE feed_consumers;
DROP INDEX audit_events_feed;
ALTER TABLE audit_events DROP COLUMN feed_id, DROP COLUMN feed_xid;
