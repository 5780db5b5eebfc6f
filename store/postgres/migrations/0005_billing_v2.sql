-- 0005_billing_v2: billing v2 (rules BILL-8 … BILL-12). Top-ups carry an
-- idempotency key, unique per account when not empty; each billing account
-- has its own append-only audit trail; indexes serve the ledger pages
-- (keyset on time, id) of accounts and teams and the usage analytics, whose
-- team index covers user_id and amount so a series is an index-only scan.

-- +goose Up
ALTER TABLE top_ups ADD COLUMN idempotency_key text COLLATE "C" NOT NULL DEFAULT '';
CREATE UNIQUE INDEX top_ups_account_key ON top_ups (account_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX top_ups_account_time ON top_ups (account_id, time, id);
CREATE INDEX top_ups_team_time ON top_ups (team_id, time, id);

DROP INDEX usage_records_team_time;
CREATE INDEX usage_records_team_time ON usage_records (team_id, time, id) INCLUDE (user_id, amount);
CREATE INDEX usage_records_account_time ON usage_records (account_id, time, id);

CREATE TABLE account_audit_events (
    id          text COLLATE "C" PRIMARY KEY,
    account_id  text COLLATE "C" NOT NULL,
    seq         bigint NOT NULL,
    time        timestamptz NOT NULL,
    actor_id    text COLLATE "C" NOT NULL,
    action      text COLLATE "C" NOT NULL,
    target      text NOT NULL,
    details     jsonb,
    prev_hash   text NOT NULL,
    hash        text NOT NULL,
    UNIQUE (account_id, seq)
);
-- Append-only like the teams' log (AUD-4), with 0001's function and error.
CREATE TRIGGER account_audit_events_append_only
    BEFORE UPDATE OR DELETE ON account_audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER account_audit_events_refuse_truncate
    BEFORE TRUNCATE ON account_audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- +goose Down
DROP TABLE account_audit_events;
DROP INDEX usage_records_account_time;
DROP INDEX usage_records_team_time;
CREATE INDEX usage_records_team_time ON usage_records (team_id, time);
DROP INDEX top_ups_team_time;
DROP INDEX top_ups_account_time;
DROP INDEX top_ups_account_key;
ALTER TABLE top_ups DROP COLUMN idempotency_key;
