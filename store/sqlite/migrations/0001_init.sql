-- 0001_init: the tables of the team.Store contract, in SQLite.
-- Times are TEXT in one fixed-width UTC form, 2006-01-02T15:04:05.000000000Z,
-- so that text order is time order; a NULL time is the zero time. Maps are
-- JSON text, NULL for a nil map. Text compares byte-wise (SQLite's BINARY
-- collation), which matches Go's string order.
-- The +goose annotations split the file into its Up and Down parts (see
-- migrations/README.md); to SQLite they are comments.

-- +goose Up

CREATE TABLE teams (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    settings    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
) STRICT;
-- One personal team per owner.
CREATE UNIQUE INDEX teams_one_personal ON teams (owner_id) WHERE kind = 'personal';
CREATE INDEX teams_owner ON teams (owner_id, kind);

CREATE TABLE members (
    team_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    email      TEXT NOT NULL,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    joined_at  TEXT NOT NULL,
    epoch      INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX members_user ON members (user_id);

CREATE TABLE invitations (
    id          TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL,
    email       TEXT NOT NULL,
    role        TEXT NOT NULL,
    inviter_id  TEXT NOT NULL,
    status      TEXT NOT NULL,
    token_hash  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX invitations_token_hash ON invitations (token_hash);
-- One pending invitation per (team, email).
CREATE UNIQUE INDEX invitations_one_pending ON invitations (team_id, email) WHERE status = 'pending';
CREATE INDEX invitations_team ON invitations (team_id, created_at, id);
CREATE INDEX invitations_email ON invitations (email, created_at, id);

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL UNIQUE,
    plan        TEXT NOT NULL,
    status      TEXT NOT NULL,
    balance     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE usage_records (
    id               TEXT PRIMARY KEY,
    team_id          TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    account_id       TEXT NOT NULL,
    amount           INTEGER NOT NULL,
    time             TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    metadata         TEXT,
    UNIQUE (team_id, idempotency_key)
) STRICT;
CREATE INDEX usage_records_team_time ON usage_records (team_id, time);

CREATE TABLE top_ups (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    team_id     TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    time        TEXT NOT NULL
) STRICT;

CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY,
    team_id    TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    time       TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    details    TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    UNIQUE (team_id, seq)
) STRICT;

-- The audit log is append-only (AUD-4): refuse UPDATE and DELETE of events.
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'teamkit: audit events are append-only (UPDATE refused)');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'teamkit: audit events are append-only (DELETE refused)');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_events_no_delete;
DROP TRIGGER audit_events_no_update;
DROP TABLE audit_events;
DROP TABLE top_ups;
DROP TABLE usage_records;
DROP TABLE accounts;
DROP TABLE invitations;
DROP TABLE members;
DROP TABLE teams;
