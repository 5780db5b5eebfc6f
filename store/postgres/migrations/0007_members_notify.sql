-- 0007_members_notify: every committed change to a membership is announced
-- with NOTIFY, so that the membership indexes of the services of every
-- process on this database forget it (team.ChangeNotifier; see README.md,
-- "Many application processes"). A row trigger covers every way a row
-- changes, the store's writes and anyone else's; TRUNCATE announces that
-- everything changed. The channel is derived from the schema (the store
-- LISTENs on the same name), and the payload is the team ID's length in
-- bytes, a colon, the team ID and the user ID. NOTIFY is transactional: a
-- rolled-back change announces nothing, and a committed one is delivered
-- after its commit.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION members_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    channel text := 'teamkit_members_' || left(md5(TG_TABLE_SCHEMA), 20);
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify(channel, '*');
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify(channel, octet_length(OLD.team_id) || ':' || OLD.team_id || OLD.user_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify(channel, octet_length(NEW.team_id) || ':' || NEW.team_id || NEW.user_id);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER members_notify
    AFTER INSERT OR UPDATE OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION members_notify();
CREATE TRIGGER members_notify_truncate
    AFTER TRUNCATE ON members
    FOR EACH STATEMENT EXECUTE FUNCTION members_notify();

-- +goose Down
DROP TRIGGER members_notify_truncate ON members;
DROP TRIGGER members_notify ON members;
DROP FUNCTION members_notify();
