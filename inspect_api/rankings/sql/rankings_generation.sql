-- Ranking pages are cached per org under a generation number (rankings/cache.py). Anything a ranking
-- is computed from (roll-up rows, branches, regions, org settings) bumps the org's generation in the
-- writing transaction, and a request reads the generation (rankings/queries.py), so a released
-- submission is in the very next ranking request of any worker (no notification race). Each bump also
-- writes one rankings_changes row (migrations/0049) saying what changed: the roll-up rows' keys, or
-- `everything`, so a worker patches its cached ranking instead of recomputing it (#20). The bump's row
-- lock on rankings_generations is held to commit, so an org's generations commit in order and a reader
-- that sees generation G sees every change up to G. A deleted org takes its rows with it.

-- Log rows older than this many generations go (readers further behind recompute from scratch).
CREATE OR REPLACE FUNCTION rankings_changes_kept() RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 1024::bigint $$;

-- Branches, regions: everything may have changed (names, regions, time zones, active).
-- Statement-level with a transition table: one bump per statement.
CREATE OR REPLACE FUNCTION bump_rankings_generation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    WITH bumped AS (
        INSERT INTO rankings_generations AS g (org_id, generation)
        SELECT DISTINCT org_id, 1 FROM changed_rows
        ON CONFLICT (org_id) DO UPDATE SET generation = g.generation + 1
        RETURNING g.org_id, g.generation
    )
    INSERT INTO rankings_changes (org_id, generation, everything)
    SELECT org_id, generation, true FROM bumped;
    RETURN NULL;
END $$;

-- Roll-up rows: their keys, unless the statement wrote many (a backfill): then everything.
CREATE OR REPLACE FUNCTION log_rankings_rollup_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM changed_rows) > 256 THEN
        WITH bumped AS (
            INSERT INTO rankings_generations AS g (org_id, generation)
            SELECT DISTINCT org_id, 1 FROM changed_rows
            ON CONFLICT (org_id) DO UPDATE SET generation = g.generation + 1
            RETURNING g.org_id, g.generation
        )
        INSERT INTO rankings_changes (org_id, generation, everything)
        SELECT org_id, generation, true FROM bumped;
    ELSE
        WITH bumped AS (
            INSERT INTO rankings_generations AS g (org_id, generation)
            SELECT DISTINCT org_id, 1 FROM changed_rows
            ON CONFLICT (org_id) DO UPDATE SET generation = g.generation + 1
            RETURNING g.org_id, g.generation
        )
        INSERT INTO rankings_changes (org_id, generation, everything, form_keys, period_kinds, period_starts,
                                      branch_ids)
        SELECT b.org_id, b.generation, false, k.form_keys, k.period_kinds, k.period_starts, k.branch_ids
        FROM bumped b
        CROSS JOIN LATERAL (
            SELECT array_agg(c.form_key) AS form_keys, array_agg(c.period_kind) AS period_kinds,
                   array_agg(c.period_start) AS period_starts, array_agg(c.branch_id) AS branch_ids
            FROM changed_rows c WHERE c.org_id = b.org_id
        ) k;
    END IF;
    DELETE FROM rankings_changes c
    USING rankings_generations g
    WHERE g.org_id IN (SELECT DISTINCT org_id FROM changed_rows) AND c.org_id = g.org_id
      AND c.generation <= g.generation - rankings_changes_kept();
    RETURN NULL;
END $$;

-- Org settings (min_ranked_visits, show_peer_names): everything. Row-level: a column list admits no
-- transition table, and settings change rarely.
CREATE OR REPLACE FUNCTION bump_rankings_generation_for_org() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    WITH bumped AS (
        INSERT INTO rankings_generations AS g (org_id, generation) VALUES (NEW.id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = g.generation + 1
        RETURNING g.org_id, g.generation
    )
    INSERT INTO rankings_changes (org_id, generation, everything)
    SELECT org_id, generation, true FROM bumped;
    RETURN NULL;
END $$;

-- A trigger with a transition table serves one event, hence one trigger per event.
CREATE OR REPLACE TRIGGER rollup_branch_periods_inserted AFTER INSERT ON rollup_branch_periods
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION log_rankings_rollup_change();
CREATE OR REPLACE TRIGGER rollup_branch_periods_updated AFTER UPDATE ON rollup_branch_periods
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION log_rankings_rollup_change();
CREATE OR REPLACE TRIGGER rollup_branch_periods_deleted AFTER DELETE ON rollup_branch_periods
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION log_rankings_rollup_change();
CREATE OR REPLACE TRIGGER branches_inserted AFTER INSERT ON branches
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE OR REPLACE TRIGGER branches_updated AFTER UPDATE ON branches
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE OR REPLACE TRIGGER branches_deleted AFTER DELETE ON branches
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE OR REPLACE TRIGGER regions_updated AFTER UPDATE ON regions
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_rankings_generation();
CREATE OR REPLACE TRIGGER orgs_settings_updated AFTER UPDATE OF settings ON orgs
    FOR EACH ROW WHEN (OLD.settings IS DISTINCT FROM NEW.settings)
    EXECUTE FUNCTION bump_rankings_generation_for_org();
