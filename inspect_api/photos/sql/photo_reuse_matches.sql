-- Attached photos of other submissions that look like the given photos: the links stored at seal
-- (photos.lookalike_ids, photos/queries.py), both directions, within `threshold` bits, outside
-- `exclude_submission` (a correction's own). One definition for intake's single read
-- (submissions/sql/intake_context.sql) and find_reused (photos/queries.py).
--
-- Every lookup is by primary key: each link is looked up in a LIMIT 1 lateral subquery whose
-- conditions imply no partial index, so the only index it can use is photos_pkey, and the conditions
-- that would match photos_submission_idx are checked outside it. With young statistics the planner
-- otherwise scanned that partial index of attached photos, and every intake grew with the org's
-- attached photos (bench/RESULTS.md, 2026-11-30; migration 0014).
CREATE OR REPLACE FUNCTION photo_reuse_matches(org uuid, photo_ids uuid[], exclude_submission uuid, threshold int)
RETURNS TABLE (photo_id uuid, match_id uuid, submission_id uuid, distance int, attached_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT n.id, m.id, m.submission_id, bit_count(m.phash # n.phash)::int, m.attached_at
    FROM photos n
    CROSS JOIN LATERAL (
        SELECT l.id FROM unnest(n.lookalike_ids) AS l (id)
        UNION
        SELECT r.id FROM photos r WHERE r.lookalike_ids @> ARRAY[n.id] AND r.lookalike_ids <> '{}'
    ) link
    CROSS JOIN LATERAL (
        SELECT m.id, m.submission_id, m.phash, m.attached_at FROM photos m
        WHERE m.id = link.id AND m.org_id = org AND m.status = 'attached'
        LIMIT 1  -- by primary key, never by scanning photos_submission_idx
    ) m
    WHERE n.id = ANY(photo_ids) AND n.org_id = org AND n.phash IS NOT NULL
      AND m.submission_id IS NOT NULL AND m.submission_id IS DISTINCT FROM exclude_submission
      AND bit_count(m.phash # n.phash) <= threshold
$$;
