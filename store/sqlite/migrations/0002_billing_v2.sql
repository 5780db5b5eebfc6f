-- 0002_billing_v2: billing v2 (rules BILL-8 … BILL-12). Top-ups carry an
-- idempotency key, unique per account when not empty; each billing account
-- has its own append-only audit trail; indexes serve the ledger pages of
-- accounts and teams and the usage aggregates of accounts.

-- +goose Up
ALTER TABLE top_ups ADD COLUMN idempotency_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX top_ups_account_key ON top_ups (account_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX top_ups_account_time ON top_ups (account_id, time, id);
CREATE INDEX top_ups_team_time ON top_ups (team_id, time, id);
CREATE INDEX usage_records_account_time ON usage_records (account_id, time, id);

CREATE TABLE account_audit_events (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    time        TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    details     TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    UNIQUE (account_id, seq)
) STRICT;

-- +goose StatementBegin
CREATE TRIGGER account_audit_events_no_update BEFORE UPDATE ON account_audit_events
BEGIN
    SELECT RAISE(ABORT, 'teamkit: audit events are append-only (UPDATE refused)');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER account_audit_events_no_delete BEFORE DELETE ON account_audit_events
BEGIN
    SELECT RAISE(ABORT, 'teamkit: audit events are append-only (DELETE refused)');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER account_audit_events_no_delete;
DROP TRIGGER account_audit_events_no_update;
DROP TABLE account_audit_events;
DROP INDEX usage_records_account_time;
DROP INDEX top_ups_team_time;
DROP INDEX top_ups_account_time;
DROP INDEX top_ups_account_key;
ALTER TABLE top_ups DROP COLUMN idempotency_key;
