-- 0003_audit_head_epoch_marks: the records issue 12 keeps apart from the
-- ones they guard: the audit head on the team record (AUD-4) and the epoch
-- high-water marks of memberships (ROLE-5).
-- The triggers are made before the backfills, and the backfills only ever
-- raise a value, so a write that runs while this version is applied (each
-- DDL statement commits on its own) is not lost.

-- +goose Up

-- AUD-4: the head of each team's audit chain (Seq and hash of its newest
-- event), kept on the team record and moved by the insert of every event
-- (trigger audit_events_move_head, in the insert's own statement), so that
-- events removed from the end of the log, or all of them, are detected.
ALTER TABLE teams
    ADD COLUMN audit_seq  BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN audit_hash VARBINARY(255) NOT NULL DEFAULT '';

CREATE TRIGGER audit_events_move_head AFTER INSERT ON audit_events FOR EACH ROW
    UPDATE teams SET audit_seq = NEW.seq, audit_hash = NEW.hash
    WHERE id = NEW.team_id AND audit_seq < NEW.seq;

-- Existing teams start at their newest event.
UPDATE teams t
    JOIN (SELECT e.team_id, e.seq, e.hash FROM audit_events e
          JOIN (SELECT team_id, MAX(seq) AS seq FROM audit_events GROUP BY team_id) m
            ON m.team_id = e.team_id AND m.seq = e.seq) h ON h.team_id = t.id
    SET t.audit_seq = h.seq, t.audit_hash = h.hash
    WHERE t.audit_seq < h.seq;

-- ROLE-5: the highest epoch each (team, user) pair has had. It outlives the
-- membership, so a member removed and invited again starts above every
-- epoch of the old membership, whatever the clock does.
CREATE TABLE member_epochs (
    team_id  VARBINARY(255) NOT NULL,
    user_id  VARBINARY(255) NOT NULL,
    epoch    BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TRIGGER members_mark_epoch_insert AFTER INSERT ON members FOR EACH ROW
    INSERT INTO member_epochs (team_id, user_id, epoch) VALUES (NEW.team_id, NEW.user_id, NEW.epoch)
    ON DUPLICATE KEY UPDATE epoch = GREATEST(epoch, NEW.epoch);

CREATE TRIGGER members_mark_epoch_update AFTER UPDATE ON members FOR EACH ROW
    INSERT INTO member_epochs (team_id, user_id, epoch) VALUES (NEW.team_id, NEW.user_id, NEW.epoch)
    ON DUPLICATE KEY UPDATE epoch = GREATEST(epoch, NEW.epoch);

INSERT INTO member_epochs (team_id, user_id, epoch)
    SELECT team_id, user_id, epoch FROM members
    ON DUPLICATE KEY UPDATE epoch = GREATEST(member_epochs.epoch, VALUES(epoch));

-- +goose Down
DROP TRIGGER members_mark_epoch_update;
DROP TRIGGER members_mark_epoch_insert;
DROP TABLE member_epochs;
DROP TRIGGER audit_events_move_head;
ALTER TABLE teams
    DROP COLUMN audit_hash,
    DROP COLUMN audit_seq;
