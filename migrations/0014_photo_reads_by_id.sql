-- Intake's photo reads stay bounded by the photos named, whatever the statistics say.
--
-- Found in the API bench (bench/RESULTS.md, 2026-11-30): intake_context() took 10 ms per call under
-- load and grew through the run. Its plan is generic and made once per connection (migration 0013),
-- often while the photos table's statistics still describe a younger table (few or no attached photos).
-- With such statistics the planner found the reuse matches by scanning the partial index of attached
-- photos (photos_submission_idx) and filtering on the links, instead of looking up each link by id:
-- the cost of every intake then grew with the org's attached photos. The same could happen to the
-- caller's own photos through the partial index of unattached ones (photos_unattached_idx), which grows
-- with the org's backlog of uploads not yet submitted.
--
-- Both lookups are now by primary key only: each named id (or link) is looked up in a LIMIT 1 lateral
-- subquery whose conditions imply no partial index, so the only index it can use is photos_pkey, and
-- the conditions that would match a partial index are checked outside it. The results are unchanged.

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

CREATE OR REPLACE FUNCTION intake_context(
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
            FROM unnest(in_photos) AS wanted (id)
            CROSS JOIN LATERAL (
                SELECT p.* FROM photos p
                WHERE p.id = wanted.id AND p.org_id = in_org AND p.uploaded_by = in_inspector
                  AND p.purpose = 'submission'
                LIMIT 1  -- by primary key, never by scanning photos_unattached_idx
            ) own
            WHERE own.status <> 'attached'
        ) photo)
    )::text);
END
$$;
