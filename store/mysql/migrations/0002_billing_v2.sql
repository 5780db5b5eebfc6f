-- 0002_billing_v2: billing v2 (rules BILL-8 … BILL-12). Top-ups carry an
-- idempotency key, unique per account when not empty (a generated column
-- holds NULL for "no key", which a unique index lets repeat); each billing
-- account has its own append-only audit trail; indexes serve the ledger
-- pages of accounts and teams and the usage aggregates of accounts.

-- +goose Up
ALTER TABLE top_ups ADD COLUMN idempotency_key VARBINARY(255) NOT NULL DEFAULT '';
ALTER TABLE top_ups ADD COLUMN unique_key VARBINARY(255) AS (IF(idempotency_key = '', NULL, idempotency_key)) STORED;
CREATE UNIQUE INDEX top_ups_account_key ON top_ups (account_id, unique_key);
CREATE INDEX top_ups_account_time ON top_ups (account_id, time, id);
CREATE INDEX top_ups_team_time ON top_ups (team_id, time, id);
CREATE INDEX usage_records_account_time ON usage_records (account_id, time, id);

CREATE TABLE account_audit_events (
    id          VARBINARY(255) NOT NULL,
    account_id  VARBINARY(255) NOT NULL,
    seq         BIGINT NOT NULL,
    time        DATETIME(6) NOT NULL,
    actor_id    VARBINARY(255) NOT NULL,
    action      VARBINARY(255) NOT NULL,
    target      TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    details     JSON NULL,
    prev_hash   VARBINARY(255) NOT NULL,
    hash        VARBINARY(255) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY account_audit_events_seq (account_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TRIGGER account_audit_events_no_update BEFORE UPDATE ON account_audit_events FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'teamkit: audit events are append-only (UPDATE refused)';

CREATE TRIGGER account_audit_events_no_delete BEFORE DELETE ON account_audit_events FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'teamkit: audit events are append-only (DELETE refused)';

-- +goose Down
DROP TRIGGER account_audit_events_no_delete;
DROP TRIGGER account_audit_events_no_update;
DROP TABLE account_audit_events;
DROP INDEX usage_records_account_time ON usage_records;
DROP INDEX top_ups_team_time ON top_ups;
DROP INDEX top_ups_account_time ON top_ups;
DROP INDEX top_ups_account_key ON top_ups;
ALTER TABLE top_ups DROP COLUMN unique_key;
ALTER TABLE top_ups DROP COLUMN idempotency_key;
