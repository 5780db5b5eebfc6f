-- 0003_audit_head_epoch_marks: the records issue 12 keeps apart from the ones
-- they guard.

-- AUD-4: the head of each team's audit chain (Seq and hash of its newest
-- event), kept on the team record and moved by every append in the same
-- statement, so that events removed from the end of the log, or all of
-- them, are detected. Existing teams start at their newest event.

-- +goose Up
ALTER TABLE teams
    ADD COLUMN audit_seq  bigint NOT NULL DEFAULT 0,
    ADD COLUMN audit_hash text   NOT NULL DEFAULT '';

UPDATE teams t SET audit_seq = e.seq, audit_hash = e.hash
FROM (SELECT DISTINCT ON (team_id) team_id, seq, hash
      FROM audit_events ORDER BY team_id, seq DESC) e
WHERE e.team_id = t.id;

-- ROLE-5: the highest epoch each (team, user) pair has had. It outlives the
-- membership, so a member removed and invited again starts above every
-- epoch of the old membership, whatever the clock does.
CREATE TABLE member_epochs (
    team_id  text COLLATE "C" NOT NULL,
    user_id  text COLLATE "C" NOT NULL,
    epoch    bigint NOT NULL,
    PRIMARY KEY (team_id, user_id)
);

INSERT INTO member_epochs (team_id, user_id, epoch)
SELECT team_id, user_id, epoch FROM members;

-- +goose StatementBegin
CREATE FUNCTION members_keep_epoch_mark() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO member_epochs (team_id, user_id, epoch)
    VALUES (NEW.team_id, NEW.user_id, NEW.epoch)
    ON CONFLICT (team_id, user_id) DO UPDATE
        SET epoch = greatest(member_epochs.epoch, EXCLUDED.epoch);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER members_keep_epoch_mark
    AFTER INSERT OR UPDATE OF epoch ON members
    FOR EACH ROW EXECUTE FUNCTION members_keep_epoch_mark();

-- +goose Down
DROP TRIGGER members_keep_epoch_mark ON members;
DROP FUNCTION members_keep_epoch_mark();
DROP TABLE member_epochs;
ALTER TABLE teams DROP COLUMN audit_hash, DROP COLUMN audit_seq;
