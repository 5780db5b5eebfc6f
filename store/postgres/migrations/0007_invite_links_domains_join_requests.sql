-- 0007_invite_links_domains_join_requests: the records of team.JoinStore
-- (LINK-1..4, JOIN-1..3): invite links, email domain claims and join
-- requests, with the contract's uniqueness rules as unique indexes.

-- +goose Up

CREATE TABLE invite_links (
    id          text COLLATE "C" PRIMARY KEY,
    team_id     text COLLATE "C" NOT NULL,
    role        text NOT NULL,
    creator_id  text COLLATE "C" NOT NULL,
    token_hash  text COLLATE "C" NOT NULL,
    max_uses    integer NOT NULL,
    uses        integer NOT NULL,
    expires_at  timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX invite_links_token_hash ON invite_links (token_hash);
CREATE INDEX invite_links_team ON invite_links (team_id, created_at, id);

CREATE TABLE domain_claims (
    team_id        text COLLATE "C" NOT NULL,
    domain         text COLLATE "C" NOT NULL,
    challenge      text NOT NULL,
    claimed_by     text COLLATE "C" NOT NULL,
    verified_at    timestamptz,
    policy         text NOT NULL,
    default_role   text NOT NULL,
    policy_set_by  text COLLATE "C" NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (team_id, domain)
);
-- Among verified claims a domain belongs to one team.
CREATE UNIQUE INDEX domain_claims_one_verified ON domain_claims (domain) WHERE verified_at IS NOT NULL;

CREATE TABLE join_requests (
    id          text COLLATE "C" PRIMARY KEY,
    team_id     text COLLATE "C" NOT NULL,
    user_id     text COLLATE "C" NOT NULL,
    email       text COLLATE "C" NOT NULL,
    name        text NOT NULL,
    domain      text COLLATE "C" NOT NULL,
    status      text NOT NULL,
    role        text NOT NULL,
    decided_by  text COLLATE "C" NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
-- One pending request per (team, user).
CREATE UNIQUE INDEX join_requests_one_pending ON join_requests (team_id, user_id) WHERE status = 'pending';
CREATE INDEX join_requests_team ON join_requests (team_id, created_at, id);

-- +goose Down

DROP TABLE join_requests;
DROP TABLE domain_claims;
DROP TABLE invite_links;
