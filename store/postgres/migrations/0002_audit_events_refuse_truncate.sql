-- 0002_audit_events_refuse_truncate: the audit log is append-only (rule AUD-4). Row triggers do not fire on
-- TRUNCATE, so 0001's trigger let the whole log be erased in one
-- statement: a statement-level trigger refuses TRUNCATE too (with CASCADE
-- from another table included). The function is 0001's.
CREATE TRIGGER audit_events_refuse_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
