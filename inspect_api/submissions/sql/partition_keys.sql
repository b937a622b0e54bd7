-- The key tables of the partitioned submissions (migrations/0052): one row per submission and per
-- revision, written with the row, so that one submission per visit and one revision per client_id stay
-- unique across every month (a partitioned table enforces only keys that hold visited_on). A second
-- submission for a visit fails here with submission_keys_visit_key, a reused client_id with
-- revision_keys_client_id_key (submissions/intake.py names both). A change of visited_on and a delete
-- reach these rows by their foreign keys' cascades, so only inserts (and a changed visit or client_id,
-- which the service never changes) are written here. A change of visited_on to another month moves the
-- row between partitions, which PostgreSQL runs as a delete and an insert that fires AFTER INSERT: the
-- conflict on the row's own id is that move, not a duplicate (a duplicate visit or client_id conflicts
-- on the other unique key and still raises).
CREATE OR REPLACE FUNCTION submission_keys_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO submission_keys (org_id, submission_id, visited_on, visit_id)
        VALUES (NEW.org_id, NEW.id, NEW.visited_on, NEW.visit_id)
        ON CONFLICT (org_id, submission_id)
            DO UPDATE SET visited_on = EXCLUDED.visited_on, visit_id = EXCLUDED.visit_id;
    ELSE
        UPDATE submission_keys SET visit_id = NEW.visit_id
        WHERE org_id = NEW.org_id AND submission_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER submission_keys_write
    AFTER INSERT OR UPDATE OF visit_id ON submissions
    FOR EACH ROW EXECUTE FUNCTION submission_keys_write();

CREATE OR REPLACE FUNCTION revision_keys_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO revision_keys (org_id, revision_id, visited_on, client_id)
        VALUES (NEW.org_id, NEW.id, NEW.visited_on, NEW.client_id)
        ON CONFLICT (org_id, revision_id)
            DO UPDATE SET visited_on = EXCLUDED.visited_on, client_id = EXCLUDED.client_id;
    ELSE
        UPDATE revision_keys SET client_id = NEW.client_id WHERE org_id = NEW.org_id AND revision_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER revision_keys_write
    AFTER INSERT OR UPDATE OF client_id ON submission_revisions
    FOR EACH ROW EXECUTE FUNCTION revision_keys_write();

-- The visit date of one submission (or revision), i.e. the month partition that holds it, from its key
-- row. A statement that names one submission by id adds `AND visited_on = submission_visited_on($org,
-- $id)`: a STABLE function of the statement's parameters, which PostgreSQL evaluates when the statement
-- starts and prunes every other month with (generic plans included: "Subplans Removed"). By id alone,
-- each month's index is probed (28 at two years). NULL for an unknown id: no month, no row.
CREATE OR REPLACE FUNCTION submission_visited_on(org uuid, submission uuid) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT visited_on FROM submission_keys WHERE org_id = org AND submission_id = submission
$$;

CREATE OR REPLACE FUNCTION revision_visited_on(org uuid, revision uuid) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT visited_on FROM revision_keys WHERE org_id = org AND revision_id = revision
$$;
