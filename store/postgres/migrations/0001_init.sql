-- 0001_init: the tables of the team.Store contract.
-- Migrate runs this file with search_path set to the store's schema, so
-- names are unqualified here. Identifier columns use the "C" collation so
-- that ordering matches Go's byte-wise string order.
-- The +goose annotations split the file into its Up and Down parts (see
-- migrations/README.md); to PostgreSQL they are comments.

-- +goose Up

CREATE TABLE teams (
    id          text COLLATE "C" PRIMARY KEY,
    kind        text NOT NULL,
    name        text NOT NULL,
    owner_id    text COLLATE "C" NOT NULL,
    settings    jsonb,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    deleted_at  timestamptz
);
-- One personal team per owner.
CREATE UNIQUE INDEX teams_one_personal ON teams (owner_id) WHERE kind = 'personal';
CREATE INDEX teams_owner ON teams (owner_id, kind);

CREATE TABLE members (
    team_id    text COLLATE "C" NOT NULL,
    user_id    text COLLATE "C" NOT NULL,
    email      text NOT NULL,
    name       text NOT NULL,
    role       text NOT NULL,
    joined_at  timestamptz NOT NULL,
    epoch      bigint NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX members_user ON members (user_id);

CREATE TABLE invitations (
    id          text COLLATE "C" PRIMARY KEY,
    team_id     text COLLATE "C" NOT NULL,
    email       text COLLATE "C" NOT NULL,
    role        text NOT NULL,
    inviter_id  text COLLATE "C" NOT NULL,
    status      text NOT NULL,
    token_hash  text COLLATE "C" NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX invitations_token_hash ON invitations (token_hash);
-- One pending invitation per (team, email).
CREATE UNIQUE INDEX invitations_one_pending ON invitations (team_id, email) WHERE status = 'pending';
CREATE INDEX invitations_team ON invitations (team_id, created_at, id);
CREATE INDEX invitations_email ON invitations (email, created_at, id);

CREATE TABLE accounts (
    id          text COLLATE "C" PRIMARY KEY,
    user_id     text COLLATE "C" NOT NULL UNIQUE,
    plan        text NOT NULL,
    status      text NOT NULL,
    balance     bigint NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE usage_records (
    id               text COLLATE "C" PRIMARY KEY,
    team_id          text COLLATE "C" NOT NULL,
    user_id          text COLLATE "C" NOT NULL,
    account_id       text COLLATE "C" NOT NULL,
    amount           bigint NOT NULL,
    time             timestamptz NOT NULL,
    idempotency_key  text COLLATE "C" NOT NULL,
    metadata         jsonb,
    UNIQUE (team_id, idempotency_key)
);
CREATE INDEX usage_records_team_time ON usage_records (team_id, time);

CREATE TABLE top_ups (
    id          text COLLATE "C" PRIMARY KEY,
    account_id  text COLLATE "C" NOT NULL,
    team_id     text COLLATE "C" NOT NULL,
    actor_id    text COLLATE "C" NOT NULL,
    amount      bigint NOT NULL,
    time        timestamptz NOT NULL
);

CREATE TABLE audit_events (
    id         text COLLATE "C" PRIMARY KEY,
    team_id    text COLLATE "C" NOT NULL,
    seq        bigint NOT NULL,
    time       timestamptz NOT NULL,
    actor_id   text COLLATE "C" NOT NULL,
    action     text COLLATE "C" NOT NULL,
    target     text NOT NULL,
    details    jsonb,
    prev_hash  text NOT NULL,
    hash       text NOT NULL,
    UNIQUE (team_id, seq)
);

-- The audit log is append-only (AUD-4): refuse UPDATE and DELETE of events.
-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'teamkit: audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- usage_keys_absent raises SQLSTATE TKB01 when any (team, key) pair is
-- already in the usage ledger. Group commit checks with it, in the same
-- round trip as its writes and COMMIT, the keys it assumed new.
-- +goose StatementBegin
CREATE FUNCTION usage_keys_absent(team_ids text[], idempotency_keys text[]) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM usage_records u
               JOIN unnest(team_ids, idempotency_keys) AS k(team_id, key)
                 ON u.team_id = k.team_id AND u.idempotency_key = k.key) THEN
        RAISE EXCEPTION 'teamkit: an idempotency key assumed new is in the usage ledger'
            USING ERRCODE = 'TKB01';
    END IF;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION usage_keys_absent(text[], text[]);
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE top_ups;
DROP TABLE usage_records;
DROP TABLE accounts;
DROP TABLE invitations;
DROP TABLE members;
DROP TABLE teams;
