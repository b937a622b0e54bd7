-- Cached principals (auth/principal.py): every worker keeps the callers it authenticated for a short
-- while. Any change to a user or their scope NOTIFYs `principal_changed` with the user id; Postgres
-- delivers it at commit to every worker's listening connection (storage/changes.py), which drops that
-- entry. Triggers, not application code, so that every write path (API, CSV import, psql) is covered.
CREATE OR REPLACE FUNCTION notify_principal_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
BEGIN
    -- users rows carry the user as `id`, scope rows as `user_id`
    PERFORM pg_notify('principal_changed', COALESCE(changed->>'user_id', changed->>'id'));
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER users_principal_changed AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_principal_changed();
CREATE OR REPLACE TRIGGER user_regions_principal_changed AFTER INSERT OR UPDATE OR DELETE ON user_regions
    FOR EACH ROW EXECUTE FUNCTION notify_principal_changed();
CREATE OR REPLACE TRIGGER user_branches_principal_changed AFTER INSERT OR UPDATE OR DELETE ON user_branches
    FOR EACH ROW EXECUTE FUNCTION notify_principal_changed();
