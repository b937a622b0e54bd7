-- Ranking pages are cached per org under a generation number (rankings/cache.py). Anything a ranking
-- is computed from (roll-up rows, branches, regions) bumps the org's generation in the writing
-- transaction, and a request reads the generation in the same query as the org's settings
-- (rankings/queries.py), so a released submission is in the very next ranking request of any worker
-- (no notification race). Org settings are part of the cache key, so orgs need no trigger; a deleted
-- org takes its generation row with it.
--
-- Statement-level with a transition table: a backfill writing 300k roll-up rows bumps once.
CREATE OR REPLACE FUNCTION bump_rankings_generation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rankings_generations AS g (org_id, generation)
    SELECT DISTINCT org_id, 1 FROM changed_rows
    ON CONFLICT (org_id) DO UPDATE SET generation = g.generation + 1;
    RETURN NULL;
END $$;

-- A trigger with a transition table serves one event, hence one trigger per event.
CREATE OR REPLACE TRIGGER rollup_branch_periods_inserted AFTER INSERT ON rollup_branch_periods
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE OR REPLACE TRIGGER rollup_branch_periods_updated AFTER UPDATE ON rollup_branch_periods
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE OR REPLACE TRIGGER rollup_branch_periods_deleted AFTER DELETE ON rollup_branch_periods
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE OR REPLACE TRIGGER branches_inserted AFTER INSERT ON branches
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE OR REPLACE TRIGGER branches_updated AFTER UPDATE ON branches
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE OR REPLACE TRIGGER branches_deleted AFTER DELETE ON branches
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE OR REPLACE TRIGGER regions_updated AFTER UPDATE ON regions
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
