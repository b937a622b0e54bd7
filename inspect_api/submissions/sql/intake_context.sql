-- Everything intake reads before its write, in one call and so one snapshot (submissions/intake.py):
-- the revision stored under the client id (a retry) with who stored it, the visit or ad-hoc target,
-- and the caller's unattached photos among those named, with the visit each was asked for and their
-- reuse matches (photos/sql/photo_reuse_matches.sql); JSON text that the API decodes into one typed
-- struct (submissions/queries.py: IntakeContext; the photo columns are photos/queries.py's
-- _OWN_PHOTO_COLUMNS, the stored revision its SELECT_REVISION_BY_CLIENT_ID).
--
-- A function, for one reason: a generic plan. As a prepared statement its custom plans looked cheaper
-- (they prune the visit/ad-hoc branch and know the photo count), so Postgres re-planned it on every
-- call: 0.29 ms of planning for 0.09 ms of execution (statement log, sequential intakes).
-- The generic plan is made once per connection, often while the photos table's statistics still
-- describe a younger table, so the caller's photos are looked up by primary key only (LIMIT 1 lateral,
-- conditions outside it), never by scanning the growing partial index photos_unattached_idx.
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
                   (SELECT s.inspector_id FROM submissions s
                    WHERE s.id = r.submission_id AND s.org_id = r.org_id AND s.visited_on = r.visited_on)
                       AS inspector_id
            -- revision_keys holds the one revision per client_id across every month (migrations/0052).
            FROM revision_keys k
            JOIN submission_revisions r ON r.id = k.revision_id AND r.org_id = k.org_id AND r.visited_on = k.visited_on
            WHERE k.org_id = in_org AND k.client_id = in_client
        ) stored),
        'target', (SELECT to_jsonb(target) FROM (
            SELECT v.id AS visit_id, v.branch_id, v.form_version_id, v.mode, v.window_start, v.window_end,
                   v.status AS visit_status, b.timezone, b.latitude, b.longitude, true AS adhoc_allowed,
                   form_version_retired(in_org, v.form_version_id) AS form_retired
            FROM visits v JOIN branches b ON b.id = v.branch_id AND b.org_id = v.org_id
            WHERE in_visit IS NOT NULL AND v.org_id = in_org AND v.id = in_visit AND v.inspector_id = in_inspector
            UNION ALL
            SELECT NULL::uuid, b.id, in_form_version, 'adhoc', NULL::timestamptz, NULL::timestamptz, NULL,
                   b.timezone, b.latitude, b.longitude,
                   (org_setting(in_org, 'allow_adhoc_submissions'))::boolean,  -- false: intake answers 422
                   form_version_retired(in_org, in_form_version)  -- true: no new submissions (#17)
            FROM branches b
            WHERE in_visit IS NULL AND b.org_id = in_org AND b.id = in_branch AND b.active
        ) target),
        'photos', (SELECT coalesce(jsonb_agg(to_jsonb(photo) ORDER BY photo.id), '[]') FROM (
            SELECT own.id, own.status, own.object_key, own.content_type, own.size_bytes,
                   CASE WHEN own.phash IS NULL THEN NULL ELSE lpad(to_hex(own.phash::bigint), 16, '0') END AS phash,
                   own.exif_latitude, own.exif_longitude, own.exif_taken_at, own.visit_id,
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
