-- 0004_billing_v2: billing v2 (rules BILL-8 … BILL-12). Top-ups carry an
-- idempotency key, unique per account when not empty; each billing account
-- has its own append-only audit trail; indexes serve the ledger pages
-- (keyset on time, id) of accounts and teams and the usage analytics, whose
-- team index covers user_id and amount; and usage_hourly, kept by a
-- statement trigger in the inserting transaction, sums each team's usage per
-- member and UTC hour, so a series over whole hours (a day in any zone
-- whose offset is whole hours) reads one row per member and hour instead of
-- every record.

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

CREATE TABLE usage_hourly (
    team_id  text COLLATE "C" NOT NULL,
    hour     timestamptz NOT NULL,
    user_id  text COLLATE "C" NOT NULL,
    amount   numeric NOT NULL,
    records  bigint NOT NULL,
    PRIMARY KEY (team_id, hour, user_id)
);
INSERT INTO usage_hourly (team_id, hour, user_id, amount, records)
    SELECT team_id, date_trunc('hour', time, 'UTC'), user_id, sum(amount), count(*)
    FROM usage_records GROUP BY 1, 2, 3;

-- usage_hourly_add adds the records one INSERT (or COPY) stored to their
-- hours: one upsert per statement, whatever its number of rows.
-- +goose StatementBegin
CREATE FUNCTION usage_hourly_add() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO usage_hourly AS h (team_id, hour, user_id, amount, records)
        SELECT team_id, date_trunc('hour', time, 'UTC'), user_id, sum(amount), count(*)
        FROM new_rows GROUP BY 1, 2, 3
    ON CONFLICT (team_id, hour, user_id)
        DO UPDATE SET amount = h.amount + EXCLUDED.amount, records = h.records + EXCLUDED.records;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER usage_records_hourly
    AFTER INSERT ON usage_records REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage_hourly_add();

-- +goose Down
DROP TRIGGER usage_records_hourly ON usage_records;
DROP FUNCTION usage_hourly_add();
DROP TABLE usage_hourly;
DROP TABLE account_audit_events;
DROP INDEX usage_records_account_time;
DROP INDEX usage_records_team_time;
CREATE INDEX usage_records_team_time ON usage_records (team_id, time);
DROP INDEX top_ups_team_time;
DROP INDEX top_ups_account_time;
DROP INDEX top_ups_account_key;
ALTER TABLE top_ups DROP COLUMN idempotency_key;
