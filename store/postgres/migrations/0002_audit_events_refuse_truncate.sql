-- 0002_audit_events_refuse_truncate: the audit log is append-only (rule
-- AUD-4), and row triggers do not fire on TRUNCATE, so 0001's trigger let
-- the whole log be erased in one statement. A statement-level trigger
-- refuses TRUNCATE too (TRUNCATE … CASCADE from another table included),
-- with 0001's function and error.

-- +goose Up
CREATE TRIGGER audit_events_refuse_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- +goose Down
DROP TRIGGER audit_events_refuse_truncate ON audit_events;
