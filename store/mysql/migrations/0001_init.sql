-- 0001_init: the tables of the team.Store contract.
-- Migrate runs this file with the store's database as the default database
-- (USE), so names are unqualified here. Identifiers, emails, keys, roles,
-- statuses and hashes are VARBINARY: compared and ordered byte by byte,
-- with no case folding and no trailing-space padding, on MySQL and MariaDB
-- alike. Human text (names, audit targets) is utf8mb4 with the binary
-- collation. Times are DATETIME(6) holding UTC.
-- The +goose annotations split the file into its Up and Down parts (see
-- migrations/README.md); to MySQL they are comments.

-- +goose Up

CREATE TABLE teams (
    id              VARBINARY(255) NOT NULL,
    kind            VARBINARY(32) NOT NULL,
    name            VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    owner_id        VARBINARY(255) NOT NULL,
    settings        JSON NULL,
    created_at      DATETIME(6) NOT NULL,
    updated_at      DATETIME(6) NOT NULL,
    deleted_at      DATETIME(6) NULL,
    -- One personal team per owner: MySQL has no partial indexes, so a
    -- unique key on a column that is NULL for other kinds stands in.
    personal_owner  VARBINARY(255) AS (CASE WHEN kind = 'personal' THEN owner_id END) STORED,
    PRIMARY KEY (id),
    UNIQUE KEY teams_one_personal (personal_owner),
    KEY teams_owner (owner_id, kind)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE members (
    team_id    VARBINARY(255) NOT NULL,
    user_id    VARBINARY(255) NOT NULL,
    email      VARBINARY(320) NOT NULL,
    name       VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    role       VARBINARY(255) NOT NULL,
    joined_at  DATETIME(6) NOT NULL,
    epoch      BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id),
    KEY members_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE invitations (
    id             VARBINARY(255) NOT NULL,
    team_id        VARBINARY(255) NOT NULL,
    email          VARBINARY(320) NOT NULL,
    role           VARBINARY(255) NOT NULL,
    inviter_id     VARBINARY(255) NOT NULL,
    status         VARBINARY(32) NOT NULL,
    token_hash     VARBINARY(255) NOT NULL,
    created_at     DATETIME(6) NOT NULL,
    expires_at     DATETIME(6) NOT NULL,
    updated_at     DATETIME(6) NOT NULL,
    -- One pending invitation per (team, email), as teams_one_personal.
    pending_email  VARBINARY(320) AS (CASE WHEN status = 'pending' THEN email END) STORED,
    PRIMARY KEY (id),
    UNIQUE KEY invitations_token_hash (token_hash),
    UNIQUE KEY invitations_one_pending (team_id, pending_email),
    KEY invitations_team (team_id, created_at, id),
    KEY invitations_email (email, created_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE accounts (
    id          VARBINARY(255) NOT NULL,
    user_id     VARBINARY(255) NOT NULL,
    plan        VARBINARY(64) NOT NULL,
    status      VARBINARY(64) NOT NULL,
    balance     BIGINT NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY accounts_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE usage_records (
    id               VARBINARY(255) NOT NULL,
    team_id          VARBINARY(255) NOT NULL,
    user_id          VARBINARY(255) NOT NULL,
    account_id       VARBINARY(255) NOT NULL,
    amount           BIGINT NOT NULL,
    time             DATETIME(6) NOT NULL,
    idempotency_key  VARBINARY(255) NOT NULL,
    metadata         JSON NULL,
    PRIMARY KEY (id),
    UNIQUE KEY usage_records_key (team_id, idempotency_key),
    KEY usage_records_team_time (team_id, time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE top_ups (
    id          VARBINARY(255) NOT NULL,
    account_id  VARBINARY(255) NOT NULL,
    team_id     VARBINARY(255) NOT NULL,
    actor_id    VARBINARY(255) NOT NULL,
    amount      BIGINT NOT NULL,
    time        DATETIME(6) NOT NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE audit_events (
    id         VARBINARY(255) NOT NULL,
    team_id    VARBINARY(255) NOT NULL,
    seq        BIGINT NOT NULL,
    time       DATETIME(6) NOT NULL,
    actor_id   VARBINARY(255) NOT NULL,
    action     VARBINARY(255) NOT NULL,
    target     TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    details    JSON NULL,
    prev_hash  VARBINARY(255) NOT NULL,
    hash       VARBINARY(255) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY audit_events_seq (team_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The audit log is append-only (AUD-4): refuse UPDATE and DELETE of events
-- (SQLSTATE 45000, error 1644).
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'teamkit: audit events are append-only (UPDATE refused)';

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'teamkit: audit events are append-only (DELETE refused)';

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
