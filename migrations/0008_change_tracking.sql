-- What in-process caches need to stay correct (inspect_api/storage/changes.py and its users).
--
-- 1. Principals (auth/principal.py): every worker keeps the callers it authenticated for a
--    short while. Any change to a user or their scope NOTIFYs `principal_changed` with the user id;
--    Postgres delivers it at commit to every worker's listening connection, which drops that entry.
--    Triggers, not application code, so that every write path (API, CSV import, psql) is covered.
--
-- 2. Rankings (rankings/cache.py): computed ranking pages are cached per org under a generation
--    number. Anything a ranking is computed from bumps the org's generation in the writing
--    transaction, and a request reads the generation in the same query as the org's settings, so a
--    released submission is in the very next ranking request of any worker (no notification race).

CREATE FUNCTION notify_principal_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
BEGIN
    -- users rows carry the user as `id`, scope rows as `user_id`
    PERFORM pg_notify('principal_changed', COALESCE(changed->>'user_id', changed->>'id'));
    RETURN NULL;
END $$;

CREATE TRIGGER users_principal_changed AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_principal_changed();
CREATE TRIGGER user_regions_principal_changed AFTER INSERT OR UPDATE OR DELETE ON user_regions
    FOR EACH ROW EXECUTE FUNCTION notify_principal_changed();
CREATE TRIGGER user_branches_principal_changed AFTER INSERT OR UPDATE OR DELETE ON user_branches
    FOR EACH ROW EXECUTE FUNCTION notify_principal_changed();


CREATE TABLE rankings_generations (
    org_id      uuid PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    generation  bigint NOT NULL
);

-- Statement-level with a transition table: a backfill writing 300k roll-up rows bumps once.
CREATE FUNCTION bump_rankings_generation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rankings_generations AS g (org_id, generation)
    SELECT DISTINCT org_id, 1 FROM changed_rows
    ON CONFLICT (org_id) DO UPDATE SET generation = g.generation + 1;
    RETURN NULL;
END $$;

-- A trigger with a transition table serves one event, hence one trigger per event.
CREATE TRIGGER rollup_branch_periods_inserted AFTER INSERT ON rollup_branch_periods
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE TRIGGER rollup_branch_periods_updated AFTER UPDATE ON rollup_branch_periods
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE TRIGGER rollup_branch_periods_deleted AFTER DELETE ON rollup_branch_periods
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE TRIGGER branches_inserted AFTER INSERT ON branches
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE TRIGGER branches_updated AFTER UPDATE ON branches
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE TRIGGER branches_deleted AFTER DELETE ON branches
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE TRIGGER regions_updated AFTER UPDATE ON regions
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();

-- Org settings (min_ranked_visits, show_peer_names) are read per request and are part of the cache
-- key, so orgs need no trigger; a deleted org takes its generation row with it.
