-- The monthly partitions of submissions, submission_revisions and submission_items (migrations/0052).
-- A month is three tables named <table>_mYYYY_MM; a DEFAULT partition of each takes any other date.

-- Adds the months first_month..last_month that do not exist yet (the periodic job submissions.partitions
-- keeps the current month and two ahead; generators call it for the dates they load). A month whose
-- rows already sit in a DEFAULT partition is left there ('rows in default': Postgres refuses a partition
-- whose rows the default holds; they stay correct, only unpruned), and so is a month whose name a
-- detached archive still holds ('detached table in the way'). DDL runs only for a missing month,
-- so a call that finds every month in place takes no lock on the tables.
CREATE OR REPLACE FUNCTION ensure_submission_partitions(first_month date, last_month date)
RETURNS TABLE (month date, outcome text)
LANGUAGE plpgsql AS $$
DECLARE
    tbl text;
BEGIN
    FOR month IN
        SELECT m::date FROM generate_series(date_trunc('month', first_month), date_trunc('month', last_month),
                                            interval '1 month') AS m
    LOOP
        IF EXISTS (SELECT 1 FROM pg_inherits h
                   WHERE h.inhparent = 'submissions'::regclass
                     AND h.inhrelid = to_regclass('submissions' || to_char(month, '"_m"YYYY_MM'))) THEN
            outcome := 'exists';
        ELSIF to_regclass('submissions' || to_char(month, '"_m"YYYY_MM')) IS NOT NULL THEN
            outcome := 'detached table in the way';  -- an archive of retention: dump and drop it first
        ELSIF EXISTS (SELECT 1 FROM submissions_default d
                      WHERE d.visited_on >= month AND d.visited_on < month + interval '1 month') THEN
            outcome := 'rows in default';
        ELSE
            FOREACH tbl IN ARRAY ARRAY['submissions', 'submission_revisions', 'submission_items'] LOOP
                EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                               tbl || to_char(month, '"_m"YYYY_MM'), tbl, month, (month + interval '1 month')::date);
            END LOOP;
            outcome := 'created';
        END IF;
        RETURN NEXT;
    END LOOP;
END $$;

-- Retention (`inspect-api retention --keep-months N`): every submission visited before `before` (a
-- month's first day) leaves the live tables, with what points at it (actions, appeals, comments and
-- re-scores are deleted; photos and action events keep their rows, unlinked). Whole months are
-- DETACHED, not deleted row by row: each becomes a standalone table of its own name (an archive to
-- dump), or is dropped when drop_detached. Old rows in a DEFAULT partition are deleted. Roll-ups and
-- rankings history stay. DETACH locks the three tables briefly: run it off-peak.
CREATE OR REPLACE FUNCTION detach_submission_months(before date, drop_detached boolean)
RETURNS TABLE (month date, outcome text)
LANGUAGE plpgsql AS $$
DECLARE
    cutoff date := date_trunc('month', before)::date;
    part_name text;
BEGIN
    DELETE FROM submission_keys WHERE visited_on < cutoff;
    DELETE FROM revision_keys WHERE visited_on < cutoff;
    FOR part_name, month IN
        SELECT c.relname, to_date(substr(c.relname, length('submissions_m') + 1), 'YYYY_MM')
        FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
        WHERE h.inhparent = 'submissions'::regclass AND c.relname ~ '^submissions_m[0-9]{4}_[0-9]{2}$'
        ORDER BY 2
    LOOP
        CONTINUE WHEN month >= cutoff;
        -- Children first: a detached table keeps its foreign keys, which would still point into the
        -- month its parent table is about to leave.
        EXECUTE format('ALTER TABLE submission_items DETACH PARTITION %I', 'submission_items' || substr(part_name, 12));
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT submission_items_revision_fkey',
                       'submission_items' || substr(part_name, 12));
        EXECUTE format('ALTER TABLE submission_revisions DETACH PARTITION %I',
                       'submission_revisions' || substr(part_name, 12));
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT submission_revisions_submission_fkey',
                       'submission_revisions' || substr(part_name, 12));
        EXECUTE format('ALTER TABLE submissions DETACH PARTITION %I', part_name);
        IF drop_detached THEN
            EXECUTE format('DROP TABLE %I, %I, %I', 'submission_items' || substr(part_name, 12),
                           'submission_revisions' || substr(part_name, 12), part_name);
            outcome := 'dropped';
        ELSE
            outcome := 'detached';
        END IF;
        RETURN NEXT;
    END LOOP;
    DELETE FROM submissions WHERE visited_on < cutoff;
END $$;
