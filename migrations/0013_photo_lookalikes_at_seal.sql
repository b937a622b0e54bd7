-- The reuse search moves from every submission to the moment a photo is sealed (verified).
--
-- Before: each intake searched the org's attached photos for hashes near its new photos (about 1 ms of
-- Postgres per intake at 2,000 photos, growing with the org). Now sealing a submission photo stores in
-- `lookalike_ids` the org's submission photos sealed before it whose hash is within 6 bits (the most
-- the pieces index finds, migration 0010), and intake only reads those links, in both directions: a
-- photo's own list (photos sealed before it) and the lists that name it (photos sealed after it).
--
-- Every pair of lookalikes is linked once both are sealed, provided seals of one org do not overlap:
-- the sealing transaction takes an advisory lock per org before its search (photos/queries.py), so a
-- seal always sees the one before it. Links to photos later deleted (abandoned uploads) dangle
-- harmlessly: intake joins them to attached photos only.

ALTER TABLE photos ADD COLUMN lookalike_ids uuid[] NOT NULL DEFAULT '{}';

-- Candidates are now every sealed submission photo (verified or attached), not only attached ones.
DROP INDEX photos_phash_pieces_idx;
CREATE INDEX photos_phash_pieces_idx ON photos USING gin (phash_pieces) WITH (fastupdate = off)
    WHERE phash IS NOT NULL AND purpose = 'submission';

-- "Which photos name this one": only the few photos with lookalikes are indexed.
CREATE INDEX photos_lookalike_ids_idx ON photos USING gin (lookalike_ids) WITH (fastupdate = off)
    WHERE lookalike_ids <> '{}';

-- Photos sealed before this migration: link every pair (each photo lists all its lookalikes; intake
-- reads both directions, so listing a pair twice changes nothing).
UPDATE photos p
SET lookalike_ids = linked.ids
FROM (
    SELECT n.id, array_agg(c.id ORDER BY c.id) AS ids
    FROM photos n
    JOIN photos c ON c.phash_pieces && n.phash_pieces AND c.org_id = n.org_id AND c.id <> n.id
                 AND c.phash IS NOT NULL AND c.purpose = 'submission'
                 AND bit_count(c.phash # n.phash) <= 6
    WHERE n.phash IS NOT NULL AND n.purpose = 'submission'
    GROUP BY n.id
) linked
WHERE p.id = linked.id;

-- Attached photos of other submissions that look like the given photos: the links stored at seal,
-- both directions, within `threshold` bits, outside `exclude_submission` (a correction's own). One
-- definition for intake's single read (submissions/queries.py) and find_reused (photos/queries.py).
CREATE FUNCTION photo_reuse_matches(org uuid, photo_ids uuid[], exclude_submission uuid, threshold int)
RETURNS TABLE (photo_id uuid, match_id uuid, submission_id uuid, distance int, attached_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT n.id, m.id, m.submission_id, bit_count(m.phash # n.phash)::int, m.attached_at
    FROM photos n
    CROSS JOIN LATERAL (
        SELECT l.id FROM unnest(n.lookalike_ids) AS l (id)
        UNION
        SELECT r.id FROM photos r WHERE r.lookalike_ids @> ARRAY[n.id] AND r.lookalike_ids <> '{}'
    ) link
    JOIN photos m ON m.id = link.id
    WHERE n.id = ANY(photo_ids) AND n.org_id = org AND n.phash IS NOT NULL
      AND m.org_id = org AND m.status = 'attached' AND m.submission_id IS NOT NULL
      AND m.submission_id IS DISTINCT FROM exclude_submission
      AND bit_count(m.phash # n.phash) <= threshold
$$;

-- Everything intake reads before its write, in one call and so one snapshot (submissions/intake.py):
-- the revision stored under the client id (a retry), the visit or ad-hoc target, and the caller's
-- unattached photos among those named, with their reuse matches; JSON text that the API decodes into
-- one typed struct (submissions/queries.py: IntakeContext; the photo columns are photos/queries.py's
-- _OWN_PHOTO_COLUMNS, the stored revision its SELECT_REVISION_BY_CLIENT_ID).
-- A function, for one reason: a generic plan. As a prepared statement its custom plans looked cheaper
-- (they prune the visit/ad-hoc branch and know the photo count), so Postgres re-planned it on every
-- call: 0.29 ms of planning for 0.09 ms of execution (statement log, sequential intakes).
CREATE FUNCTION intake_context(
    in_org uuid, in_client uuid, in_inspector uuid, in_visit uuid, in_branch uuid, in_form_version uuid,
    in_photos uuid[], in_exclude_submission uuid, in_reuse_threshold int
) RETURNS text
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN (SELECT jsonb_build_object(
        'stored', (SELECT to_jsonb(stored) FROM (
            SELECT r.submission_id, r.id AS revision_id, r.revision, r.client_id, r.request_hash,
                   r.created_at, r.score_card,
                   (SELECT count(*) FROM actions a WHERE a.revision_id = r.id) AS actions_opened
            FROM submission_revisions r
            WHERE r.org_id = in_org AND r.client_id = in_client
        ) stored),
        'target', (SELECT to_jsonb(target) FROM (
            SELECT v.id AS visit_id, v.branch_id, v.form_version_id, v.mode, v.window_start, v.window_end,
                   v.status AS visit_status, b.timezone, b.latitude, b.longitude
            FROM visits v JOIN branches b ON b.id = v.branch_id AND b.org_id = v.org_id
            WHERE in_visit IS NOT NULL AND v.org_id = in_org AND v.id = in_visit AND v.inspector_id = in_inspector
            UNION ALL
            SELECT NULL::uuid, b.id, in_form_version, 'adhoc', NULL::timestamptz, NULL::timestamptz, NULL,
                   b.timezone, b.latitude, b.longitude
            FROM branches b JOIN orgs o ON o.id = b.org_id
            WHERE in_visit IS NULL AND b.org_id = in_org AND b.id = in_branch AND b.active
              AND coalesce((o.settings->>'allow_adhoc_submissions')::boolean, false)
        ) target),
        'photos', (SELECT coalesce(jsonb_agg(to_jsonb(photo) ORDER BY photo.id), '[]') FROM (
            SELECT own.id, own.status, own.object_key, own.content_type, own.size_bytes,
                   CASE WHEN own.phash IS NULL THEN NULL ELSE lpad(to_hex(own.phash::bigint), 16, '0') END AS phash,
                   own.exif_latitude, own.exif_longitude, own.exif_taken_at,
                   (SELECT coalesce(jsonb_agg(to_jsonb(m) ORDER BY m.distance, m.attached_at), '[]')
                    FROM photo_reuse_matches(in_org, ARRAY[own.id], in_exclude_submission, in_reuse_threshold) m
                   ) AS matches
            FROM photos own
            WHERE own.id = ANY(in_photos) AND own.org_id = in_org AND own.uploaded_by = in_inspector
              AND own.purpose = 'submission' AND own.status <> 'attached'
        ) photo)
    )::text);
END
$$;
