-- 0003_audit_head_epoch_marks: the records issue 12 keeps apart from the ones
-- they guard: each team's audit head (AUD-4) and each membership pair's
-- epoch mark (ROLE-5), both kept by triggers and backfilled from what the
-- file already holds.

-- +goose Up

-- AUD-4: the head of each team's audit chain (Seq and hash of its newest
-- event), kept on the team record so that events removed from the end of
-- the log, or all of them, are detected. Existing teams start at their
-- newest event.
ALTER TABLE teams ADD COLUMN audit_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN audit_hash TEXT NOT NULL DEFAULT '';

UPDATE teams SET (audit_seq, audit_hash) = (
    SELECT e.seq, e.hash FROM audit_events e WHERE e.team_id = teams.id ORDER BY e.seq DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM audit_events e WHERE e.team_id = teams.id);

-- Every append moves the head in the same statement, never back.
-- +goose StatementBegin
CREATE TRIGGER audit_events_move_head AFTER INSERT ON audit_events
BEGIN
    UPDATE teams SET audit_seq = NEW.seq, audit_hash = NEW.hash
    WHERE id = NEW.team_id AND audit_seq < NEW.seq;
END;
-- +goose StatementEnd

-- ROLE-5: the highest epoch each (team, user) pair has had. It outlives the
-- membership, so a member removed and invited again starts above every
-- epoch of the old membership, whatever the clock does.
CREATE TABLE member_epochs (
    team_id  TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    epoch    INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
) STRICT, WITHOUT ROWID;

INSERT INTO member_epochs (team_id, user_id, epoch)
SELECT team_id, user_id, epoch FROM members WHERE true;

-- +goose StatementBegin
CREATE TRIGGER members_keep_epoch_mark_insert AFTER INSERT ON members
BEGIN
    INSERT INTO member_epochs (team_id, user_id, epoch)
    VALUES (NEW.team_id, NEW.user_id, NEW.epoch)
    ON CONFLICT (team_id, user_id) DO UPDATE
        SET epoch = max(member_epochs.epoch, excluded.epoch);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER members_keep_epoch_mark_update AFTER UPDATE OF epoch ON members
BEGIN
    INSERT INTO member_epochs (team_id, user_id, epoch)
    VALUES (NEW.team_id, NEW.user_id, NEW.epoch)
    ON CONFLICT (team_id, user_id) DO UPDATE
        SET epoch = max(member_epochs.epoch, excluded.epoch);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER members_keep_epoch_mark_update;
DROP TRIGGER members_keep_epoch_mark_insert;
DROP TABLE member_epochs;
DROP TRIGGER audit_events_move_head;
ALTER TABLE teams DROP COLUMN audit_hash;
ALTER TABLE teams DROP COLUMN audit_seq;
