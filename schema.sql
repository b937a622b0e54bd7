-- Today's schema: pg_dump --schema-only of a freshly migrated database, normalised.
-- Generated, do not edit: .venv/bin/python -m inspect_api.storage.schema_dump > schema.sql
-- Tables change through migrations/NNNN_*.sql, functions and triggers in inspect_api/<feature>/sql/.

--
-- PostgreSQL database dump
--

--
-- Name: audit_log_refuse_change(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.audit_log_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

--
-- Name: bump_rankings_generation(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.bump_rankings_generation() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

--
-- Name: bump_rankings_generation_for_org(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.bump_rankings_generation_for_org() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

--
-- Name: bump_token_version(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.bump_token_version() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF (NEW.password_hash IS DISTINCT FROM OLD.password_hash
            AND current_setting('inspect_api.same_password', true) IS DISTINCT FROM 'on')
       OR (NEW.active AND NOT OLD.active) THEN
        NEW.token_version := GREATEST(NEW.token_version, OLD.token_version + 1);
    ELSIF NEW.token_version < OLD.token_version THEN
        NEW.token_version := OLD.token_version;  -- never back to a generation whose tokens were revoked
    END IF;
    RETURN NEW;
END $$;

--
-- Name: detach_submission_months(date, boolean); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.detach_submission_months(before date, drop_detached boolean) RETURNS TABLE(month date, outcome text)
    LANGUAGE plpgsql
    AS $_$
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
END $_$;

--
-- Name: emit_event(uuid, text, uuid, uuid, uuid, jsonb, jsonb); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.emit_event(p_org uuid, p_type text, p_subject uuid, p_branch uuid, p_region uuid, p_payload jsonb, p_branch_payload jsonb) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_seq bigint;
    v_id  bigint;
BEGIN
    -- The branch's region as of this commit, unless the caller knows it (a branch's own events).
    IF p_region IS NULL AND p_branch IS NOT NULL THEN
        SELECT region_id INTO p_region FROM branches WHERE org_id = p_org AND id = p_branch;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('event-subject:' || p_subject::text, 0));
    SELECT COALESCE(max(subject_seq), 0) + 1 INTO v_seq FROM events WHERE org_id = p_org AND subject_id = p_subject;
    INSERT INTO events (org_id, type, subject_id, subject_seq, branch_id, region_id, payload, branch_payload)
    VALUES (p_org, p_type, p_subject, v_seq, p_branch, p_region, p_payload, p_branch_payload)
    RETURNING id INTO v_id;
    IF p_type <> 'webhook.ping' THEN
        INSERT INTO webhook_deliveries (org_id, endpoint_id, event_id, subject_id, subject_seq)
        SELECT w.org_id, w.id, v_id, p_subject, v_seq
        FROM webhook_endpoints w
        WHERE w.org_id = p_org AND w.enabled
          AND (cardinality(w.event_types) = 0 OR p_type = ANY (w.event_types))
          AND (w.shape = 'admin' OR p_branch_payload IS NOT NULL)
          AND ((cardinality(w.branch_ids) = 0 AND cardinality(w.region_ids) = 0)
               OR p_branch = ANY (w.branch_ids) OR p_region = ANY (w.region_ids));
        IF FOUND THEN
            PERFORM pg_notify('webhook_due', '');
        END IF;
    END IF;
    RETURN v_id;
END $$;

--
-- Name: end_device_sessions_with_credentials(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.end_device_sessions_with_credentials() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF OLD.active AND NOT NEW.active THEN
        UPDATE device_sessions SET ended_at = now(), end_reason = 'user_disabled'
        WHERE user_id = NEW.id AND ended_at IS NULL;
    ELSIF NEW.token_version <> OLD.token_version THEN
        UPDATE device_sessions SET ended_at = now(), end_reason = 'credentials_changed'
        WHERE user_id = NEW.id AND ended_at IS NULL;
    END IF;
    RETURN NULL;
END $$;

--
-- Name: ensure_submission_partitions(date, date); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.ensure_submission_partitions(first_month date, last_month date) RETURNS TABLE(month date, outcome text)
    LANGUAGE plpgsql
    AS $$
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

--
-- Name: form_version_retired(uuid, uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.form_version_retired(p_org uuid, p_form_version uuid) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT EXISTS (
        SELECT 1 FROM form_versions v
        JOIN form_retirements r ON r.form_id = v.form_id AND r.org_id = p_org
                               AND (r.version IS NULL OR r.version = v.version)
        WHERE v.id = p_form_version
    )
$$;

--
-- Name: intake_context(uuid, uuid, uuid, uuid, uuid, uuid, uuid[], uuid, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.intake_context(in_org uuid, in_client uuid, in_inspector uuid, in_visit uuid, in_branch uuid, in_form_version uuid, in_photos uuid[], in_exclude_submission uuid, in_reuse_threshold integer) RETURNS text
    LANGUAGE plpgsql STABLE
    SET plan_cache_mode TO 'force_generic_plan'
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

--
-- Name: log_rankings_rollup_change(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.log_rankings_rollup_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

--
-- Name: mystery_revisit_clash(text, timestamp with time zone, timestamp with time zone, text, timestamp with time zone, timestamp with time zone, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.mystery_revisit_clash(p_mode text, p_start timestamp with time zone, p_end timestamp with time zone, p_other_mode text, p_other_start timestamp with time zone, p_other_end timestamp with time zone, p_days integer) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT (p_mode = 'mystery' OR p_other_mode = 'mystery')
       AND p_other_start < p_end + make_interval(days => p_days)
       AND p_other_end > p_start - make_interval(days => p_days)
$$;

--
-- Name: notify_principal_changed(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.notify_principal_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    changed jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
BEGIN
    -- users rows carry the user as `id`, scope rows as `user_id`
    PERFORM pg_notify('principal_changed', COALESCE(changed->>'user_id', changed->>'id'));
    RETURN NULL;
END $$;

--
-- Name: org_setting(uuid, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.org_setting(p_org uuid, p_key text) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT org_settings(p_org) -> p_key
$$;

--
-- Name: org_setting_defaults(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.org_setting_defaults() RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT '{"mystery_revisit_days": 30, "allow_adhoc_submissions": false, "min_ranked_visits": 3,
             "show_peer_names": false}'::jsonb
$$;

--
-- Name: org_settings(uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.org_settings(p_org uuid) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT jsonb_object_agg(d.key, CASE WHEN jsonb_typeof(o.settings -> d.key) = jsonb_typeof(d.value)
                                        THEN o.settings -> d.key ELSE d.value END)
    FROM jsonb_each(org_setting_defaults()) d
    LEFT JOIN orgs o ON o.id = p_org
$$;

--
-- Name: phash_masks32(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.phash_masks32(radius integer) RETURNS integer[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    SELECT CASE WHEN radius > 3 THEN NULL ELSE array_agg(m.mask ORDER BY m.mask) END FROM (
        SELECT 0 AS mask
        UNION ALL
        SELECT (1::bigint << a)::bit(32)::int
        FROM generate_series(0, 31) a WHERE radius >= 1
        UNION ALL
        SELECT ((1::bigint << a) | (1::bigint << b))::bit(32)::int
        FROM generate_series(0, 31) a, generate_series(0, 31) b WHERE radius >= 2 AND a < b
        UNION ALL
        SELECT ((1::bigint << a) | (1::bigint << b) | (1::bigint << c))::bit(32)::int
        FROM generate_series(0, 31) a, generate_series(0, 31) b, generate_series(0, 31) c
        WHERE radius >= 3 AND a < b AND b < c
    ) m
$$;

--
-- Name: photo_lookalikes(uuid, bit, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.photo_lookalikes(org uuid, hash bit, threshold integer) RETURNS TABLE(id uuid, distance integer)
    LANGUAGE sql STABLE
    AS $$
    SELECT c.id, bit_count(c.phash # hash)::int
    FROM (
        SELECT p.id, p.phash FROM photos p
        WHERE p.org_id = org AND p.phash IS NOT NULL AND p.purpose = 'submission'
          AND substring(p.phash FROM 1 FOR 32)::int = ANY (ARRAY(
                SELECT substring(hash FROM 1 FOR 32)::int # m FROM unnest(phash_masks32(3)) AS m))
        UNION
        SELECT p.id, p.phash FROM photos p
        WHERE p.org_id = org AND p.phash IS NOT NULL AND p.purpose = 'submission'
          AND substring(p.phash FROM 33 FOR 32)::int = ANY (ARRAY(
                SELECT substring(hash FROM 33 FOR 32)::int # m FROM unnest(phash_masks32(2)) AS m))
    ) c
    WHERE bit_count(c.phash # hash) <= threshold
$$;

--
-- Name: photo_reuse_matches(uuid, uuid[], uuid, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.photo_reuse_matches(org uuid, photo_ids uuid[], exclude_submission uuid, threshold integer) RETURNS TABLE(photo_id uuid, match_id uuid, submission_id uuid, distance integer, attached_at timestamp with time zone)
    LANGUAGE sql STABLE
    AS $$
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

--
-- Name: photos_attached_elsewhere(uuid[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.photos_attached_elsewhere(photo_ids uuid[]) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'photo(s) % already attached elsewhere', array_to_string(photo_ids, ', ')
        USING ERRCODE = 'IA001', DETAIL = array_to_string(photo_ids, ',');
END $$;

--
-- Name: proof_counts_for_fairness(jsonb, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.proof_counts_for_fairness(proof jsonb, exclude_from text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE
        WHEN exclude_from IS NULL OR proof IS NULL OR jsonb_typeof(proof -> 'integrity') IS DISTINCT FROM 'object'
            THEN true
        ELSE coalesce(array_position(ARRAY['ok', 'review', 'suspect'], proof -> 'integrity' ->> 'level')
                      < array_position(ARRAY['ok', 'review', 'suspect'], exclude_from), true)
    END
$$;

--
-- Name: rankings_changes_kept(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.rankings_changes_kept() RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT 1024::bigint $$;

--
-- Name: refuse_published_form_version_change(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.refuse_published_form_version_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'form version % is published and immutable', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

--
-- Name: revision_keys_write(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.revision_keys_write() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

--
-- Name: revision_visited_on(uuid, uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.revision_visited_on(org uuid, revision uuid) RETURNS date
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT visited_on FROM revision_keys WHERE org_id = org AND revision_id = revision
$$;

--
-- Name: submission_keys_write(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.submission_keys_write() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

--
-- Name: submission_score_card_frozen(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.submission_score_card_frozen() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.score_card IS DISTINCT FROM OLD.score_card
       AND EXISTS (SELECT 1 FROM submissions s WHERE s.id = OLD.submission_id AND s.status = 'released') THEN
        RAISE EXCEPTION 'the score card of released submission % is frozen', OLD.submission_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END $$;

--
-- Name: submission_visited_on(uuid, uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.submission_visited_on(org uuid, submission uuid) RETURNS date
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT visited_on FROM submission_keys WHERE org_id = org AND submission_id = submission
$$;

--
-- Name: visible_branch_ids(uuid, uuid, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.visible_branch_ids(p_org uuid, p_user uuid, p_role text) RETURNS SETOF uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    WITH me AS (
        SELECT u.id, u.role FROM users u
        WHERE u.id = p_user AND u.org_id = p_org AND u.role = p_role AND u.active
    )
    SELECT b.id FROM branches b JOIN me ON me.role = 'admin'
    WHERE b.org_id = p_org
    UNION
    SELECT b.id FROM me
    JOIN user_regions ur ON ur.user_id = me.id AND ur.org_id = p_org
    JOIN branches b ON b.region_id = ur.region_id AND b.org_id = p_org
    WHERE me.role IN ('regional_lead', 'reviewer')
    UNION
    SELECT b.id FROM me JOIN branches b ON b.org_id = p_org
    WHERE me.role = 'reviewer'
      AND NOT EXISTS (SELECT 1 FROM user_regions ur WHERE ur.user_id = me.id AND ur.org_id = p_org)
    UNION
    SELECT ub.branch_id FROM me
    JOIN user_branches ub ON ub.user_id = me.id AND ub.org_id = p_org
    WHERE me.role = 'branch_manager'
    UNION
    SELECT v.branch_id FROM me
    JOIN visits v ON v.inspector_id = me.id AND v.org_id = p_org
    WHERE me.role = 'inspector' AND v.status <> 'cancelled'
$$;

--
-- Name: visible_region_ids(uuid, uuid, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.visible_region_ids(p_org uuid, p_user uuid, p_role text) RETURNS SETOF uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    WITH me AS (
        SELECT u.id, u.role FROM users u
        WHERE u.id = p_user AND u.org_id = p_org AND u.role = p_role AND u.active
    )
    SELECT r.id FROM regions r JOIN me ON me.role = 'admin'
    WHERE r.org_id = p_org
    UNION
    SELECT ur.region_id FROM me
    JOIN user_regions ur ON ur.user_id = me.id AND ur.org_id = p_org
    WHERE me.role IN ('regional_lead', 'reviewer')
    UNION
    SELECT r.id FROM me JOIN regions r ON r.org_id = p_org
    WHERE me.role = 'reviewer'
      AND NOT EXISTS (SELECT 1 FROM user_regions ur WHERE ur.user_id = me.id AND ur.org_id = p_org)
    UNION
    SELECT b.region_id FROM branches b
    WHERE p_role IN ('branch_manager', 'inspector') AND b.org_id = p_org
      AND b.id IN (SELECT visible_branch_ids(p_org, p_user, p_role))
$$;

--
-- Name: action_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.action_events (
    id bigint NOT NULL,
    action_id uuid NOT NULL,
    actor_id uuid,
    kind text NOT NULL,
    from_status text,
    to_status text,
    note text DEFAULT ''::text NOT NULL,
    photo_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    submission_id uuid,
    org_id uuid NOT NULL,
    CONSTRAINT action_events_kind_check CHECK ((kind = ANY (ARRAY['created'::text, 'status'::text, 'comment'::text, 'evidence'::text, 'recheck'::text, 'merged'::text, 'assigned'::text])))
);

--
-- Name: action_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.action_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: action_events_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.action_events_id_seq OWNED BY public.action_events.id;

--
-- Name: actions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.actions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    branch_id uuid NOT NULL,
    submission_id uuid NOT NULL,
    revision_id uuid NOT NULL,
    form_key text NOT NULL,
    item_key text NOT NULL,
    title_zh text NOT NULL,
    title_en text NOT NULL,
    priority text NOT NULL,
    evidence_required boolean NOT NULL,
    due_on date NOT NULL,
    status text DEFAULT 'open'::text NOT NULL,
    recurrence_count integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    merged_into uuid,
    assignee_id uuid,
    due_soon_notified_at timestamp with time zone,
    overdue_notified_at timestamp with time zone,
    CONSTRAINT actions_priority_check CHECK ((priority = ANY (ARRAY['low'::text, 'normal'::text, 'high'::text, 'urgent'::text]))),
    CONSTRAINT actions_status_check CHECK ((status = ANY (ARRAY['open'::text, 'in_progress'::text, 'resolved'::text, 'verified'::text, 'reopened'::text, 'rechecked_ok'::text, 'merged'::text])))
);

--
-- Name: appeal_photos; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.appeal_photos (
    appeal_id uuid NOT NULL,
    photo_id uuid NOT NULL,
    org_id uuid NOT NULL
);

--
-- Name: appeals; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.appeals (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    submission_id uuid NOT NULL,
    branch_id uuid NOT NULL,
    item_key text,
    status text DEFAULT 'open'::text NOT NULL,
    reason text NOT NULL,
    opened_by uuid NOT NULL,
    opened_at timestamp with time zone DEFAULT now() NOT NULL,
    disputed_revision integer NOT NULL,
    decided_by uuid,
    decided_at timestamp with time zone,
    decision_reason text,
    corrected_revision integer,
    CONSTRAINT appeals_check CHECK ((corrected_revision > disputed_revision)),
    CONSTRAINT appeals_check1 CHECK (((status = 'open'::text) = (decided_at IS NULL))),
    CONSTRAINT appeals_check2 CHECK (((status = 'open'::text) = (decided_by IS NULL))),
    CONSTRAINT appeals_check3 CHECK (((status <> 'rejected'::text) OR (decision_reason IS NOT NULL))),
    CONSTRAINT appeals_check4 CHECK (((status = 'accepted'::text) = (corrected_revision IS NOT NULL))),
    CONSTRAINT appeals_decision_reason_check CHECK ((char_length(decision_reason) <= 2000)),
    CONSTRAINT appeals_disputed_revision_check CHECK ((disputed_revision > 0)),
    CONSTRAINT appeals_item_key_check CHECK (((char_length(item_key) >= 1) AND (char_length(item_key) <= 200))),
    CONSTRAINT appeals_reason_check CHECK (((char_length(reason) >= 3) AND (char_length(reason) <= 2000))),
    CONSTRAINT appeals_status_check CHECK ((status = ANY (ARRAY['open'::text, 'accepted'::text, 'rejected'::text, 'withdrawn'::text])))
);

--
-- Name: audit_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_log (
    id bigint NOT NULL,
    org_id uuid NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    actor_id uuid,
    actor_role text,
    action text NOT NULL,
    target_type text,
    target_id text,
    before jsonb,
    after jsonb,
    request_id text,
    client_addr text,
    CONSTRAINT audit_log_action_check CHECK ((action ~ '^[a-z_]+\.[a-z_]+$'::text))
);

--
-- Name: audit_log_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: audit_log_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.audit_log_id_seq OWNED BY public.audit_log.id;

--
-- Name: branches; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.branches (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    region_id uuid NOT NULL,
    code text NOT NULL,
    name_zh text NOT NULL,
    name_en text NOT NULL,
    timezone text NOT NULL,
    latitude double precision,
    longitude double precision,
    address text DEFAULT ''::text NOT NULL,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    format text,
    CONSTRAINT branches_code_check CHECK ((code <> ''::text)),
    CONSTRAINT branches_format_check CHECK ((format ~ '^[a-z0-9][a-z0-9_-]{0,39}$'::text)),
    CONSTRAINT branches_latitude_check CHECK (((latitude >= ('-90'::integer)::double precision) AND (latitude <= (90)::double precision))),
    CONSTRAINT branches_longitude_check CHECK (((longitude >= ('-180'::integer)::double precision) AND (longitude <= (180)::double precision)))
);

--
-- Name: device_session_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.device_session_tokens (
    token_hash bytea NOT NULL,
    session_id uuid NOT NULL,
    issued_at timestamp with time zone DEFAULT now() NOT NULL,
    rotated_at timestamp with time zone,
    org_id uuid NOT NULL,
    CONSTRAINT device_session_tokens_token_hash_check CHECK ((octet_length(token_hash) = 32))
);

--
-- Name: device_sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.device_sessions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    user_id uuid NOT NULL,
    device_name text NOT NULL,
    device_id text,
    token_version integer NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    ended_at timestamp with time zone,
    end_reason text,
    CONSTRAINT device_sessions_check CHECK (((ended_at IS NULL) = (end_reason IS NULL))),
    CONSTRAINT device_sessions_device_id_check CHECK (((char_length(device_id) >= 1) AND (char_length(device_id) <= 100))),
    CONSTRAINT device_sessions_device_name_check CHECK (((char_length(device_name) >= 1) AND (char_length(device_name) <= 100))),
    CONSTRAINT device_sessions_end_reason_check CHECK ((end_reason = ANY (ARRAY['revoked'::text, 'revoked_by_admin'::text, 'refresh_reuse'::text, 'replaced'::text, 'user_disabled'::text, 'credentials_changed'::text])))
);

--
-- Name: events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events (
    id bigint NOT NULL,
    xid xid8 DEFAULT pg_current_xact_id() NOT NULL,
    org_id uuid NOT NULL,
    type text NOT NULL,
    subject_id uuid NOT NULL,
    subject_seq bigint NOT NULL,
    branch_id uuid,
    region_id uuid,
    payload jsonb NOT NULL,
    branch_payload jsonb,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT events_subject_seq_check CHECK ((subject_seq > 0)),
    CONSTRAINT events_type_check CHECK ((type ~ '^[a-z_]+\.[a-z_]+$'::text))
);

--
-- Name: events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: events_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.events_id_seq OWNED BY public.events.id;

--
-- Name: form_retirements; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.form_retirements (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    form_id uuid NOT NULL,
    version integer,
    reason text DEFAULT ''::text NOT NULL,
    retired_by uuid,
    retired_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT form_retirements_version_check CHECK ((version > 0))
);

--
-- Name: form_versions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.form_versions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    form_id uuid NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    document jsonb NOT NULL,
    content_hash text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    published_at timestamp with time zone,
    CONSTRAINT form_versions_check CHECK (((status = 'published'::text) = (published_at IS NOT NULL))),
    CONSTRAINT form_versions_status_check CHECK ((status = ANY (ARRAY['draft'::text, 'published'::text]))),
    CONSTRAINT form_versions_version_check CHECK ((version > 0))
);

--
-- Name: forms; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.forms (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid,
    key text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT forms_key_check CHECK ((key ~ '^[a-z0-9][a-z0-9-]{1,62}$'::text))
);

--
-- Name: job_runs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.job_runs (
    name text NOT NULL,
    next_run_at timestamp with time zone NOT NULL,
    last_started_at timestamp with time zone,
    last_finished_at timestamp with time zone,
    last_count integer,
    last_error text,
    runs bigint DEFAULT 0 NOT NULL,
    CONSTRAINT job_runs_name_check CHECK ((name ~ '^[a-z0-9_.-]+$'::text))
);

--
-- Name: kv_store; Type: TABLE; Schema: public; Owner: -
--

CREATE UNLOGGED TABLE public.kv_store (
    key text NOT NULL,
    value bytea NOT NULL,
    expires_at timestamp with time zone
);

--
-- Name: login_attempts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.login_attempts (
    account_key bytea NOT NULL,
    attempts integer NOT NULL,
    window_ends_at timestamp with time zone NOT NULL
);

--
-- Name: orgs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.orgs (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    slug text NOT NULL,
    name text NOT NULL,
    settings jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT orgs_slug_check CHECK ((slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'::text))
);

--
-- Name: photos; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.photos (
    id uuid NOT NULL,
    org_id uuid NOT NULL,
    uploaded_by uuid NOT NULL,
    purpose text NOT NULL,
    object_key text NOT NULL,
    content_type text NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    size_bytes bigint,
    phash bit(64),
    exif_latitude double precision,
    exif_longitude double precision,
    exif_taken_at timestamp without time zone,
    redacted_key text,
    submission_id uuid,
    action_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    attached_at timestamp with time zone,
    upload_key text,
    verified_at timestamp with time zone,
    lookalike_ids uuid[] DEFAULT '{}'::uuid[] NOT NULL,
    visit_id uuid,
    CONSTRAINT photos_check CHECK (((status = 'attached'::text) = (attached_at IS NOT NULL))),
    CONSTRAINT photos_purpose_check CHECK ((purpose = ANY (ARRAY['submission'::text, 'action_evidence'::text]))),
    CONSTRAINT photos_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'verified'::text, 'attached'::text]))),
    CONSTRAINT photos_verified_check CHECK (((status = 'pending'::text) = (verified_at IS NULL)))
);

--
-- Name: programme_branches; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.programme_branches (
    org_id uuid NOT NULL,
    programme_id uuid NOT NULL,
    branch_id uuid NOT NULL
);

--
-- Name: programmes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.programmes (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    name text NOT NULL,
    form_id uuid NOT NULL,
    mode text NOT NULL,
    branch_rule text NOT NULL,
    region_id uuid,
    period_kind text NOT NULL,
    visits_per_period integer NOT NULL,
    days_of_week smallint[] NOT NULL,
    window_start_time time without time zone NOT NULL,
    window_end_time time without time zone NOT NULL,
    starts_on date NOT NULL,
    ends_on date,
    inspector_cap_per_period integer,
    status text DEFAULT 'active'::text NOT NULL,
    paused_at timestamp with time zone,
    created_by uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT programmes_branch_rule_check CHECK ((branch_rule = ANY (ARRAY['region'::text, 'list'::text]))),
    CONSTRAINT programmes_check CHECK ((window_end_time > window_start_time)),
    CONSTRAINT programmes_check1 CHECK (((ends_on IS NULL) OR (ends_on >= starts_on))),
    CONSTRAINT programmes_check2 CHECK (((branch_rule = 'region'::text) = (region_id IS NOT NULL))),
    CONSTRAINT programmes_check3 CHECK (((status = 'paused'::text) = (paused_at IS NOT NULL))),
    CONSTRAINT programmes_days_of_week_check CHECK ((((cardinality(days_of_week) >= 1) AND (cardinality(days_of_week) <= 7)) AND (days_of_week <@ ARRAY[(1)::smallint, (2)::smallint, (3)::smallint, (4)::smallint, (5)::smallint, (6)::smallint, (7)::smallint]))),
    CONSTRAINT programmes_inspector_cap_per_period_check CHECK (((inspector_cap_per_period >= 1) AND (inspector_cap_per_period <= 1000))),
    CONSTRAINT programmes_mode_check CHECK ((mode = ANY (ARRAY['mystery'::text, 'announced'::text]))),
    CONSTRAINT programmes_name_check CHECK ((name <> ''::text)),
    CONSTRAINT programmes_period_kind_check CHECK ((period_kind = ANY (ARRAY['month'::text, 'quarter'::text]))),
    CONSTRAINT programmes_status_check CHECK ((status = ANY (ARRAY['active'::text, 'paused'::text]))),
    CONSTRAINT programmes_visits_per_period_check CHECK (((visits_per_period >= 1) AND (visits_per_period <= 31)))
);

--
-- Name: rankings_changes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rankings_changes (
    org_id uuid NOT NULL,
    generation bigint NOT NULL,
    everything boolean NOT NULL,
    form_keys text[] DEFAULT '{}'::text[] NOT NULL,
    period_kinds text[] DEFAULT '{}'::text[] NOT NULL,
    period_starts date[] DEFAULT '{}'::date[] NOT NULL,
    branch_ids uuid[] DEFAULT '{}'::uuid[] NOT NULL
);

--
-- Name: rankings_generations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rankings_generations (
    org_id uuid NOT NULL,
    generation bigint NOT NULL
);

--
-- Name: regions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.regions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    code text NOT NULL,
    name_zh text NOT NULL,
    name_en text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT regions_code_check CHECK ((code <> ''::text))
);

--
-- Name: review_comments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.review_comments (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    submission_id uuid NOT NULL,
    item_key text,
    body text NOT NULL,
    share_with_branch boolean DEFAULT false NOT NULL,
    author_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT review_comments_body_check CHECK (((length(body) >= 1) AND (length(body) <= 4000))),
    CONSTRAINT review_comments_item_key_check CHECK (((item_key IS NULL) OR ((length(item_key) >= 1) AND (length(item_key) <= 200))))
);

--
-- Name: revision_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.revision_keys (
    org_id uuid NOT NULL,
    revision_id uuid NOT NULL,
    visited_on date NOT NULL,
    client_id uuid NOT NULL
);

--
-- Name: rollup_branch_periods; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rollup_branch_periods (
    org_id uuid NOT NULL,
    form_key text NOT NULL,
    period_kind text NOT NULL,
    period_start date NOT NULL,
    branch_id uuid NOT NULL,
    visits integer NOT NULL,
    scored integer NOT NULL,
    score_sum numeric NOT NULL,
    score_sq_sum numeric NOT NULL,
    passes integer NOT NULL,
    mean double precision GENERATED ALWAYS AS (
CASE
    WHEN (scored > 0) THEN (round((score_sum / (scored)::numeric), 4))::double precision
    ELSE NULL::double precision
END) STORED,
    variance double precision GENERATED ALWAYS AS (
CASE
    WHEN (scored > 1) THEN (((score_sq_sum - ((score_sum * score_sum) / (scored)::numeric)) / ((scored - 1))::numeric))::double precision
    ELSE NULL::double precision
END) STORED,
    CONSTRAINT rollup_branch_periods_passes_check CHECK ((passes >= 0)),
    CONSTRAINT rollup_branch_periods_period_kind_check CHECK ((period_kind = ANY (ARRAY['week'::text, 'month'::text, 'quarter'::text]))),
    CONSTRAINT rollup_branch_periods_scored_check CHECK ((scored >= 0)),
    CONSTRAINT rollup_branch_periods_visits_check CHECK ((visits >= 0))
);

--
-- Name: rollup_item_periods; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rollup_item_periods (
    org_id uuid NOT NULL,
    form_key text NOT NULL,
    period_kind text NOT NULL,
    period_start date NOT NULL,
    branch_id uuid NOT NULL,
    item_key text NOT NULL,
    applicable integer NOT NULL,
    failures integer NOT NULL,
    partials integer NOT NULL,
    repeat_failures integer NOT NULL,
    CONSTRAINT rollup_item_periods_applicable_check CHECK ((applicable >= 0)),
    CONSTRAINT rollup_item_periods_failures_check CHECK ((failures >= 0)),
    CONSTRAINT rollup_item_periods_partials_check CHECK ((partials >= 0)),
    CONSTRAINT rollup_item_periods_period_kind_check CHECK ((period_kind = ANY (ARRAY['week'::text, 'month'::text, 'quarter'::text]))),
    CONSTRAINT rollup_item_periods_repeat_failures_check CHECK ((repeat_failures >= 0))
);

--
-- Name: score_rescores; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.score_rescores (
    id bigint NOT NULL,
    org_id uuid NOT NULL,
    submission_id uuid NOT NULL,
    revision_id uuid NOT NULL,
    rescored_by uuid NOT NULL,
    rescored_at timestamp with time zone DEFAULT now() NOT NULL,
    card_before jsonb NOT NULL,
    card_after jsonb NOT NULL,
    change jsonb NOT NULL
);

--
-- Name: score_rescores_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.score_rescores ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.score_rescores_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: submission_items; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submission_items (
    revision_id uuid NOT NULL,
    item_key text NOT NULL,
    section_key text NOT NULL,
    status text NOT NULL,
    earned double precision NOT NULL,
    possible double precision NOT NULL,
    org_id uuid NOT NULL,
    visited_on date NOT NULL,
    CONSTRAINT submission_items_status_check CHECK ((status = ANY (ARRAY['pass'::text, 'fail'::text, 'partial'::text, 'na'::text, 'inapplicable'::text, 'unscored'::text])))
)
PARTITION BY RANGE (visited_on);

--
-- Name: submission_items_default; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submission_items_default (
    revision_id uuid NOT NULL,
    item_key text NOT NULL,
    section_key text NOT NULL,
    status text NOT NULL,
    earned double precision NOT NULL,
    possible double precision NOT NULL,
    org_id uuid NOT NULL,
    visited_on date NOT NULL,
    CONSTRAINT submission_items_status_check CHECK ((status = ANY (ARRAY['pass'::text, 'fail'::text, 'partial'::text, 'na'::text, 'inapplicable'::text, 'unscored'::text])))
);

--
-- Name: submission_items_m2026_12; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submission_items_m2026_12 (
    revision_id uuid NOT NULL,
    item_key text NOT NULL,
    section_key text NOT NULL,
    status text NOT NULL,
    earned double precision NOT NULL,
    possible double precision NOT NULL,
    org_id uuid NOT NULL,
    visited_on date NOT NULL,
    CONSTRAINT submission_items_status_check CHECK ((status = ANY (ARRAY['pass'::text, 'fail'::text, 'partial'::text, 'na'::text, 'inapplicable'::text, 'unscored'::text])))
);

--
-- Name: submission_items_m2027_01; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submission_items_m2027_01 (
    revision_id uuid NOT NULL,
    item_key text NOT NULL,
    section_key text NOT NULL,
    status text NOT NULL,
    earned double precision NOT NULL,
    possible double precision NOT NULL,
    org_id uuid NOT NULL,
    visited_on date NOT NULL,
    CONSTRAINT submission_items_status_check CHECK ((status = ANY (ARRAY['pass'::text, 'fail'::text, 'partial'::text, 'na'::text, 'inapplicable'::text, 'unscored'::text])))
);

--
-- Name: submission_items_m2027_02; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submission_items_m2027_02 (
    revision_id uuid NOT NULL,
    item_key text NOT NULL,
    section_key text NOT NULL,
    status text NOT NULL,
    earned double precision NOT NULL,
    possible double precision NOT NULL,
    org_id uuid NOT NULL,
    visited_on date NOT NULL,
    CONSTRAINT submission_items_status_check CHECK ((status = ANY (ARRAY['pass'::text, 'fail'::text, 'partial'::text, 'na'::text, 'inapplicable'::text, 'unscored'::text])))
);

--
-- Name: submission_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submission_keys (
    org_id uuid NOT NULL,
    submission_id uuid NOT NULL,
    visited_on date NOT NULL,
    visit_id uuid
);

--
-- Name: submission_revisions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submission_revisions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    submission_id uuid NOT NULL,
    revision integer NOT NULL,
    client_id uuid NOT NULL,
    request_hash text NOT NULL,
    answers jsonb NOT NULL,
    score_card jsonb NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone NOT NULL,
    gps_latitude double precision,
    gps_longitude double precision,
    gps_accuracy_m double precision,
    comment text DEFAULT ''::text NOT NULL,
    proof jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    visited_on date NOT NULL,
    CONSTRAINT submission_revisions_answers_array CHECK ((jsonb_typeof(answers) = 'array'::text)),
    CONSTRAINT submission_revisions_finished_after_start CHECK ((finished_at >= started_at)),
    CONSTRAINT submission_revisions_gps_accuracy CHECK ((gps_accuracy_m >= (0)::double precision)),
    CONSTRAINT submission_revisions_gps_latitude CHECK (((gps_latitude >= ('-90'::integer)::double precision) AND (gps_latitude <= (90)::double precision))),
    CONSTRAINT submission_revisions_gps_longitude CHECK (((gps_longitude >= ('-180'::integer)::double precision) AND (gps_longitude <= (180)::double precision))),
    CONSTRAINT submission_revisions_proof_object CHECK ((jsonb_typeof(proof) = 'object'::text)),
    CONSTRAINT submission_revisions_revision_check CHECK ((revision > 0)),
    CONSTRAINT submission_revisions_score_card_object CHECK ((jsonb_typeof(score_card) = 'object'::text))
)
PARTITION BY RANGE (visited_on);

--
-- Name: submission_revisions_default; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submission_revisions_default (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    submission_id uuid NOT NULL,
    revision integer NOT NULL,
    client_id uuid NOT NULL,
    request_hash text NOT NULL,
    answers jsonb NOT NULL,
    score_card jsonb NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone NOT NULL,
    gps_latitude double precision,
    gps_longitude double precision,
    gps_accuracy_m double precision,
    comment text DEFAULT ''::text NOT NULL,
    proof jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    visited_on date NOT NULL,
    CONSTRAINT submission_revisions_answers_array CHECK ((jsonb_typeof(answers) = 'array'::text)),
    CONSTRAINT submission_revisions_finished_after_start CHECK ((finished_at >= started_at)),
    CONSTRAINT submission_revisions_gps_accuracy CHECK ((gps_accuracy_m >= (0)::double precision)),
    CONSTRAINT submission_revisions_gps_latitude CHECK (((gps_latitude >= ('-90'::integer)::double precision) AND (gps_latitude <= (90)::double precision))),
    CONSTRAINT submission_revisions_gps_longitude CHECK (((gps_longitude >= ('-180'::integer)::double precision) AND (gps_longitude <= (180)::double precision))),
    CONSTRAINT submission_revisions_proof_object CHECK ((jsonb_typeof(proof) = 'object'::text)),
    CONSTRAINT submission_revisions_revision_check CHECK ((revision > 0)),
    CONSTRAINT submission_revisions_score_card_object CHECK ((jsonb_typeof(score_card) = 'object'::text))
);

--
-- Name: submission_revisions_m2026_12; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submission_revisions_m2026_12 (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    submission_id uuid NOT NULL,
    revision integer NOT NULL,
    client_id uuid NOT NULL,
    request_hash text NOT NULL,
    answers jsonb NOT NULL,
    score_card jsonb NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone NOT NULL,
    gps_latitude double precision,
    gps_longitude double precision,
    gps_accuracy_m double precision,
    comment text DEFAULT ''::text NOT NULL,
    proof jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    visited_on date NOT NULL,
    CONSTRAINT submission_revisions_answers_array CHECK ((jsonb_typeof(answers) = 'array'::text)),
    CONSTRAINT submission_revisions_finished_after_start CHECK ((finished_at >= started_at)),
    CONSTRAINT submission_revisions_gps_accuracy CHECK ((gps_accuracy_m >= (0)::double precision)),
    CONSTRAINT submission_revisions_gps_latitude CHECK (((gps_latitude >= ('-90'::integer)::double precision) AND (gps_latitude <= (90)::double precision))),
    CONSTRAINT submission_revisions_gps_longitude CHECK (((gps_longitude >= ('-180'::integer)::double precision) AND (gps_longitude <= (180)::double precision))),
    CONSTRAINT submission_revisions_proof_object CHECK ((jsonb_typeof(proof) = 'object'::text)),
    CONSTRAINT submission_revisions_revision_check CHECK ((revision > 0)),
    CONSTRAINT submission_revisions_score_card_object CHECK ((jsonb_typeof(score_card) = 'object'::text))
);

--
-- Name: submission_revisions_m2027_01; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submission_revisions_m2027_01 (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    submission_id uuid NOT NULL,
    revision integer NOT NULL,
    client_id uuid NOT NULL,
    request_hash text NOT NULL,
    answers jsonb NOT NULL,
    score_card jsonb NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone NOT NULL,
    gps_latitude double precision,
    gps_longitude double precision,
    gps_accuracy_m double precision,
    comment text DEFAULT ''::text NOT NULL,
    proof jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    visited_on date NOT NULL,
    CONSTRAINT submission_revisions_answers_array CHECK ((jsonb_typeof(answers) = 'array'::text)),
    CONSTRAINT submission_revisions_finished_after_start CHECK ((finished_at >= started_at)),
    CONSTRAINT submission_revisions_gps_accuracy CHECK ((gps_accuracy_m >= (0)::double precision)),
    CONSTRAINT submission_revisions_gps_latitude CHECK (((gps_latitude >= ('-90'::integer)::double precision) AND (gps_latitude <= (90)::double precision))),
    CONSTRAINT submission_revisions_gps_longitude CHECK (((gps_longitude >= ('-180'::integer)::double precision) AND (gps_longitude <= (180)::double precision))),
    CONSTRAINT submission_revisions_proof_object CHECK ((jsonb_typeof(proof) = 'object'::text)),
    CONSTRAINT submission_revisions_revision_check CHECK ((revision > 0)),
    CONSTRAINT submission_revisions_score_card_object CHECK ((jsonb_typeof(score_card) = 'object'::text))
);

--
-- Name: submission_revisions_m2027_02; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submission_revisions_m2027_02 (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    submission_id uuid NOT NULL,
    revision integer NOT NULL,
    client_id uuid NOT NULL,
    request_hash text NOT NULL,
    answers jsonb NOT NULL,
    score_card jsonb NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone NOT NULL,
    gps_latitude double precision,
    gps_longitude double precision,
    gps_accuracy_m double precision,
    comment text DEFAULT ''::text NOT NULL,
    proof jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    visited_on date NOT NULL,
    CONSTRAINT submission_revisions_answers_array CHECK ((jsonb_typeof(answers) = 'array'::text)),
    CONSTRAINT submission_revisions_finished_after_start CHECK ((finished_at >= started_at)),
    CONSTRAINT submission_revisions_gps_accuracy CHECK ((gps_accuracy_m >= (0)::double precision)),
    CONSTRAINT submission_revisions_gps_latitude CHECK (((gps_latitude >= ('-90'::integer)::double precision) AND (gps_latitude <= (90)::double precision))),
    CONSTRAINT submission_revisions_gps_longitude CHECK (((gps_longitude >= ('-180'::integer)::double precision) AND (gps_longitude <= (180)::double precision))),
    CONSTRAINT submission_revisions_proof_object CHECK ((jsonb_typeof(proof) = 'object'::text)),
    CONSTRAINT submission_revisions_revision_check CHECK ((revision > 0)),
    CONSTRAINT submission_revisions_score_card_object CHECK ((jsonb_typeof(score_card) = 'object'::text))
);

--
-- Name: submissions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submissions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    branch_id uuid NOT NULL,
    visit_id uuid,
    form_version_id uuid NOT NULL,
    inspector_id uuid NOT NULL,
    mode text NOT NULL,
    status text NOT NULL,
    current_revision integer NOT NULL,
    total_percent numeric(5,2),
    passed boolean NOT NULL,
    visited_on date NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL,
    reviewed_by uuid,
    reviewed_at timestamp with time zone,
    released_at timestamp with time zone,
    reject_reason text,
    held_at timestamp with time zone,
    held_by uuid,
    hold_reason text,
    CONSTRAINT submissions_check CHECK (((status = 'released'::text) = (released_at IS NOT NULL))),
    CONSTRAINT submissions_check1 CHECK (((status <> 'rejected'::text) OR (reject_reason IS NOT NULL))),
    CONSTRAINT submissions_current_revision_check CHECK ((current_revision > 0)),
    CONSTRAINT submissions_hold_complete CHECK (((held_at IS NULL) = (hold_reason IS NULL))),
    CONSTRAINT submissions_mode_check CHECK ((mode = ANY (ARRAY['mystery'::text, 'announced'::text, 'adhoc'::text]))),
    CONSTRAINT submissions_released_not_held CHECK (((status <> 'released'::text) OR (held_at IS NULL))),
    CONSTRAINT submissions_status_check CHECK ((status = ANY (ARRAY['submitted'::text, 'approved'::text, 'released'::text, 'rejected'::text])))
)
PARTITION BY RANGE (visited_on);

--
-- Name: submissions_default; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submissions_default (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    branch_id uuid NOT NULL,
    visit_id uuid,
    form_version_id uuid NOT NULL,
    inspector_id uuid NOT NULL,
    mode text NOT NULL,
    status text NOT NULL,
    current_revision integer NOT NULL,
    total_percent numeric(5,2),
    passed boolean NOT NULL,
    visited_on date NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL,
    reviewed_by uuid,
    reviewed_at timestamp with time zone,
    released_at timestamp with time zone,
    reject_reason text,
    held_at timestamp with time zone,
    held_by uuid,
    hold_reason text,
    CONSTRAINT submissions_check CHECK (((status = 'released'::text) = (released_at IS NOT NULL))),
    CONSTRAINT submissions_check1 CHECK (((status <> 'rejected'::text) OR (reject_reason IS NOT NULL))),
    CONSTRAINT submissions_current_revision_check CHECK ((current_revision > 0)),
    CONSTRAINT submissions_hold_complete CHECK (((held_at IS NULL) = (hold_reason IS NULL))),
    CONSTRAINT submissions_mode_check CHECK ((mode = ANY (ARRAY['mystery'::text, 'announced'::text, 'adhoc'::text]))),
    CONSTRAINT submissions_released_not_held CHECK (((status <> 'released'::text) OR (held_at IS NULL))),
    CONSTRAINT submissions_status_check CHECK ((status = ANY (ARRAY['submitted'::text, 'approved'::text, 'released'::text, 'rejected'::text])))
);

--
-- Name: submissions_m2026_12; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submissions_m2026_12 (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    branch_id uuid NOT NULL,
    visit_id uuid,
    form_version_id uuid NOT NULL,
    inspector_id uuid NOT NULL,
    mode text NOT NULL,
    status text NOT NULL,
    current_revision integer NOT NULL,
    total_percent numeric(5,2),
    passed boolean NOT NULL,
    visited_on date NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL,
    reviewed_by uuid,
    reviewed_at timestamp with time zone,
    released_at timestamp with time zone,
    reject_reason text,
    held_at timestamp with time zone,
    held_by uuid,
    hold_reason text,
    CONSTRAINT submissions_check CHECK (((status = 'released'::text) = (released_at IS NOT NULL))),
    CONSTRAINT submissions_check1 CHECK (((status <> 'rejected'::text) OR (reject_reason IS NOT NULL))),
    CONSTRAINT submissions_current_revision_check CHECK ((current_revision > 0)),
    CONSTRAINT submissions_hold_complete CHECK (((held_at IS NULL) = (hold_reason IS NULL))),
    CONSTRAINT submissions_mode_check CHECK ((mode = ANY (ARRAY['mystery'::text, 'announced'::text, 'adhoc'::text]))),
    CONSTRAINT submissions_released_not_held CHECK (((status <> 'released'::text) OR (held_at IS NULL))),
    CONSTRAINT submissions_status_check CHECK ((status = ANY (ARRAY['submitted'::text, 'approved'::text, 'released'::text, 'rejected'::text])))
);

--
-- Name: submissions_m2027_01; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submissions_m2027_01 (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    branch_id uuid NOT NULL,
    visit_id uuid,
    form_version_id uuid NOT NULL,
    inspector_id uuid NOT NULL,
    mode text NOT NULL,
    status text NOT NULL,
    current_revision integer NOT NULL,
    total_percent numeric(5,2),
    passed boolean NOT NULL,
    visited_on date NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL,
    reviewed_by uuid,
    reviewed_at timestamp with time zone,
    released_at timestamp with time zone,
    reject_reason text,
    held_at timestamp with time zone,
    held_by uuid,
    hold_reason text,
    CONSTRAINT submissions_check CHECK (((status = 'released'::text) = (released_at IS NOT NULL))),
    CONSTRAINT submissions_check1 CHECK (((status <> 'rejected'::text) OR (reject_reason IS NOT NULL))),
    CONSTRAINT submissions_current_revision_check CHECK ((current_revision > 0)),
    CONSTRAINT submissions_hold_complete CHECK (((held_at IS NULL) = (hold_reason IS NULL))),
    CONSTRAINT submissions_mode_check CHECK ((mode = ANY (ARRAY['mystery'::text, 'announced'::text, 'adhoc'::text]))),
    CONSTRAINT submissions_released_not_held CHECK (((status <> 'released'::text) OR (held_at IS NULL))),
    CONSTRAINT submissions_status_check CHECK ((status = ANY (ARRAY['submitted'::text, 'approved'::text, 'released'::text, 'rejected'::text])))
);

--
-- Name: submissions_m2027_02; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.submissions_m2027_02 (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    branch_id uuid NOT NULL,
    visit_id uuid,
    form_version_id uuid NOT NULL,
    inspector_id uuid NOT NULL,
    mode text NOT NULL,
    status text NOT NULL,
    current_revision integer NOT NULL,
    total_percent numeric(5,2),
    passed boolean NOT NULL,
    visited_on date NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL,
    reviewed_by uuid,
    reviewed_at timestamp with time zone,
    released_at timestamp with time zone,
    reject_reason text,
    held_at timestamp with time zone,
    held_by uuid,
    hold_reason text,
    CONSTRAINT submissions_check CHECK (((status = 'released'::text) = (released_at IS NOT NULL))),
    CONSTRAINT submissions_check1 CHECK (((status <> 'rejected'::text) OR (reject_reason IS NOT NULL))),
    CONSTRAINT submissions_current_revision_check CHECK ((current_revision > 0)),
    CONSTRAINT submissions_hold_complete CHECK (((held_at IS NULL) = (hold_reason IS NULL))),
    CONSTRAINT submissions_mode_check CHECK ((mode = ANY (ARRAY['mystery'::text, 'announced'::text, 'adhoc'::text]))),
    CONSTRAINT submissions_released_not_held CHECK (((status <> 'released'::text) OR (held_at IS NULL))),
    CONSTRAINT submissions_status_check CHECK ((status = ANY (ARRAY['submitted'::text, 'approved'::text, 'released'::text, 'rejected'::text])))
);

--
-- Name: user_branches; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_branches (
    org_id uuid NOT NULL,
    user_id uuid NOT NULL,
    branch_id uuid NOT NULL
);

--
-- Name: user_regions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_regions (
    org_id uuid NOT NULL,
    user_id uuid NOT NULL,
    region_id uuid NOT NULL
);

--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    email text NOT NULL,
    display_name text NOT NULL,
    role text NOT NULL,
    password_hash text NOT NULL,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    token_version integer DEFAULT 0 NOT NULL,
    CONSTRAINT users_email_check CHECK (((email = lower(email)) AND (email ~~ '%_@_%'::text))),
    CONSTRAINT users_role_check CHECK ((role = ANY (ARRAY['admin'::text, 'regional_lead'::text, 'branch_manager'::text, 'inspector'::text, 'reviewer'::text])))
);

--
-- Name: visits; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.visits (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    branch_id uuid NOT NULL,
    form_version_id uuid NOT NULL,
    inspector_id uuid,
    mode text NOT NULL,
    window_start timestamp with time zone NOT NULL,
    window_end timestamp with time zone NOT NULL,
    status text DEFAULT 'scheduled'::text NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    cancelled_by uuid,
    cancelled_at timestamp with time zone,
    programme_id uuid,
    period_start date,
    occurrence_n integer,
    assigned_at timestamp with time zone,
    missed_at timestamp with time zone,
    CONSTRAINT visits_check CHECK ((window_end > window_start)),
    CONSTRAINT visits_check1 CHECK (((status = 'cancelled'::text) = (cancelled_at IS NOT NULL))),
    CONSTRAINT visits_inspector_check CHECK (((inspector_id IS NOT NULL) OR (programme_id IS NOT NULL))),
    CONSTRAINT visits_missed_check CHECK (((status <> 'missed'::text) OR (missed_at IS NOT NULL))),
    CONSTRAINT visits_mode_check CHECK ((mode = ANY (ARRAY['mystery'::text, 'announced'::text]))),
    CONSTRAINT visits_occurrence_check CHECK ((((programme_id IS NULL) AND (period_start IS NULL) AND (occurrence_n IS NULL)) OR ((programme_id IS NOT NULL) AND (period_start IS NOT NULL) AND (occurrence_n >= 1)))),
    CONSTRAINT visits_status_check CHECK ((status = ANY (ARRAY['scheduled'::text, 'submitted'::text, 'cancelled'::text, 'missed'::text])))
);

--
-- Name: webhook_attempts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhook_attempts (
    id bigint NOT NULL,
    delivery_id bigint NOT NULL,
    attempted_at timestamp with time zone DEFAULT now() NOT NULL,
    status_code integer,
    error text,
    latency_ms integer NOT NULL,
    response_excerpt text DEFAULT ''::text NOT NULL,
    org_id uuid NOT NULL,
    CONSTRAINT webhook_attempts_latency_ms_check CHECK ((latency_ms >= 0))
);

--
-- Name: webhook_attempts_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.webhook_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: webhook_attempts_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.webhook_attempts_id_seq OWNED BY public.webhook_attempts.id;

--
-- Name: webhook_deliveries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhook_deliveries (
    id bigint NOT NULL,
    message_id uuid DEFAULT gen_random_uuid() NOT NULL,
    endpoint_id uuid NOT NULL,
    event_id bigint NOT NULL,
    subject_id uuid NOT NULL,
    subject_seq bigint NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    leased_until timestamp with time zone,
    last_status integer,
    last_error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    delivered_at timestamp with time zone,
    org_id uuid NOT NULL,
    CONSTRAINT webhook_deliveries_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT webhook_deliveries_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'delivered'::text, 'failed'::text])))
);

--
-- Name: webhook_deliveries_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.webhook_deliveries_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: webhook_deliveries_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.webhook_deliveries_id_seq OWNED BY public.webhook_deliveries.id;

--
-- Name: webhook_endpoints; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhook_endpoints (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    url text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    event_types text[] DEFAULT '{}'::text[] NOT NULL,
    branch_ids uuid[] DEFAULT '{}'::uuid[] NOT NULL,
    region_ids uuid[] DEFAULT '{}'::uuid[] NOT NULL,
    shape text NOT NULL,
    secret text NOT NULL,
    previous_secret text,
    previous_secret_until timestamp with time zone,
    enabled boolean DEFAULT true NOT NULL,
    disabled_reason text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhook_endpoints_check CHECK (((previous_secret IS NULL) = (previous_secret_until IS NULL))),
    CONSTRAINT webhook_endpoints_previous_secret_check CHECK (((previous_secret ~~ 'enc1:%'::text) OR (previous_secret ~~ 'whsec\_%'::text))),
    CONSTRAINT webhook_endpoints_secret_check CHECK (((secret ~~ 'enc1:%'::text) OR (secret ~~ 'whsec\_%'::text))),
    CONSTRAINT webhook_endpoints_shape_check CHECK ((shape = ANY (ARRAY['admin'::text, 'branch_manager'::text]))),
    CONSTRAINT webhook_endpoints_url_check CHECK ((url ~ '^https?://'::text))
);

--
-- Name: submission_items_default; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_items ATTACH PARTITION public.submission_items_default DEFAULT;

--
-- Name: submission_items_m2026_12; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_items ATTACH PARTITION public.submission_items_m2026_12 FOR VALUES FROM ('2026-12-01') TO ('2027-01-01');

--
-- Name: submission_items_m2027_01; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_items ATTACH PARTITION public.submission_items_m2027_01 FOR VALUES FROM ('2027-01-01') TO ('2027-02-01');

--
-- Name: submission_items_m2027_02; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_items ATTACH PARTITION public.submission_items_m2027_02 FOR VALUES FROM ('2027-02-01') TO ('2027-03-01');

--
-- Name: submission_revisions_default; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_revisions ATTACH PARTITION public.submission_revisions_default DEFAULT;

--
-- Name: submission_revisions_m2026_12; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_revisions ATTACH PARTITION public.submission_revisions_m2026_12 FOR VALUES FROM ('2026-12-01') TO ('2027-01-01');

--
-- Name: submission_revisions_m2027_01; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_revisions ATTACH PARTITION public.submission_revisions_m2027_01 FOR VALUES FROM ('2027-01-01') TO ('2027-02-01');

--
-- Name: submission_revisions_m2027_02; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_revisions ATTACH PARTITION public.submission_revisions_m2027_02 FOR VALUES FROM ('2027-02-01') TO ('2027-03-01');

--
-- Name: submissions_default; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submissions ATTACH PARTITION public.submissions_default DEFAULT;

--
-- Name: submissions_m2026_12; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submissions ATTACH PARTITION public.submissions_m2026_12 FOR VALUES FROM ('2026-12-01') TO ('2027-01-01');

--
-- Name: submissions_m2027_01; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submissions ATTACH PARTITION public.submissions_m2027_01 FOR VALUES FROM ('2027-01-01') TO ('2027-02-01');

--
-- Name: submissions_m2027_02; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submissions ATTACH PARTITION public.submissions_m2027_02 FOR VALUES FROM ('2027-02-01') TO ('2027-03-01');

--
-- Name: action_events id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.action_events ALTER COLUMN id SET DEFAULT nextval('public.action_events_id_seq'::regclass);

--
-- Name: audit_log id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log ALTER COLUMN id SET DEFAULT nextval('public.audit_log_id_seq'::regclass);

--
-- Name: events id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ALTER COLUMN id SET DEFAULT nextval('public.events_id_seq'::regclass);

--
-- Name: webhook_attempts id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_attempts ALTER COLUMN id SET DEFAULT nextval('public.webhook_attempts_id_seq'::regclass);

--
-- Name: webhook_deliveries id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries ALTER COLUMN id SET DEFAULT nextval('public.webhook_deliveries_id_seq'::regclass);

--
-- Name: action_events action_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.action_events
    ADD CONSTRAINT action_events_pkey PRIMARY KEY (org_id, id);

--
-- Name: actions actions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.actions
    ADD CONSTRAINT actions_pkey PRIMARY KEY (org_id, id);

--
-- Name: actions actions_revision_id_item_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.actions
    ADD CONSTRAINT actions_revision_id_item_key_key UNIQUE (org_id, revision_id, item_key);

--
-- Name: appeal_photos appeal_photos_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appeal_photos
    ADD CONSTRAINT appeal_photos_pkey PRIMARY KEY (org_id, appeal_id, photo_id);

--
-- Name: appeals appeals_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appeals
    ADD CONSTRAINT appeals_pkey PRIMARY KEY (org_id, id);

--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (org_id, id);

--
-- Name: branches branches_org_id_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.branches
    ADD CONSTRAINT branches_org_id_code_key UNIQUE (org_id, code);

--
-- Name: branches branches_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.branches
    ADD CONSTRAINT branches_pkey PRIMARY KEY (org_id, id);

--
-- Name: device_session_tokens device_session_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_session_tokens
    ADD CONSTRAINT device_session_tokens_pkey PRIMARY KEY (org_id, token_hash);

--
-- Name: device_session_tokens device_session_tokens_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_session_tokens
    ADD CONSTRAINT device_session_tokens_token_hash_key UNIQUE (token_hash);

--
-- Name: device_sessions device_sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_sessions
    ADD CONSTRAINT device_sessions_pkey PRIMARY KEY (org_id, id);

--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (org_id, id);

--
-- Name: form_retirements form_retirements_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.form_retirements
    ADD CONSTRAINT form_retirements_pkey PRIMARY KEY (org_id, id);

--
-- Name: form_versions form_versions_form_id_version_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.form_versions
    ADD CONSTRAINT form_versions_form_id_version_key UNIQUE (form_id, version);

--
-- Name: form_versions form_versions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.form_versions
    ADD CONSTRAINT form_versions_pkey PRIMARY KEY (id);

--
-- Name: forms forms_org_id_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.forms
    ADD CONSTRAINT forms_org_id_key_key UNIQUE NULLS NOT DISTINCT (org_id, key);

--
-- Name: forms forms_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.forms
    ADD CONSTRAINT forms_pkey PRIMARY KEY (id);

--
-- Name: job_runs job_runs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_runs
    ADD CONSTRAINT job_runs_pkey PRIMARY KEY (name);

--
-- Name: kv_store kv_store_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.kv_store
    ADD CONSTRAINT kv_store_pkey PRIMARY KEY (key);

--
-- Name: login_attempts login_attempts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.login_attempts
    ADD CONSTRAINT login_attempts_pkey PRIMARY KEY (account_key);

--
-- Name: orgs orgs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.orgs
    ADD CONSTRAINT orgs_pkey PRIMARY KEY (id);

--
-- Name: orgs orgs_slug_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.orgs
    ADD CONSTRAINT orgs_slug_key UNIQUE (slug);

--
-- Name: photos photos_object_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.photos
    ADD CONSTRAINT photos_object_key_key UNIQUE (org_id, object_key);

--
-- Name: photos photos_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.photos
    ADD CONSTRAINT photos_pkey PRIMARY KEY (org_id, id);

--
-- Name: programme_branches programme_branches_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.programme_branches
    ADD CONSTRAINT programme_branches_pkey PRIMARY KEY (org_id, programme_id, branch_id);

--
-- Name: programmes programmes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.programmes
    ADD CONSTRAINT programmes_pkey PRIMARY KEY (org_id, id);

--
-- Name: rankings_changes rankings_changes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rankings_changes
    ADD CONSTRAINT rankings_changes_pkey PRIMARY KEY (org_id, generation);

--
-- Name: rankings_generations rankings_generations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rankings_generations
    ADD CONSTRAINT rankings_generations_pkey PRIMARY KEY (org_id);

--
-- Name: regions regions_org_id_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.regions
    ADD CONSTRAINT regions_org_id_code_key UNIQUE (org_id, code);

--
-- Name: regions regions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.regions
    ADD CONSTRAINT regions_pkey PRIMARY KEY (org_id, id);

--
-- Name: review_comments review_comments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.review_comments
    ADD CONSTRAINT review_comments_pkey PRIMARY KEY (org_id, id);

--
-- Name: revision_keys revision_keys_client_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.revision_keys
    ADD CONSTRAINT revision_keys_client_id_key UNIQUE (org_id, client_id);

--
-- Name: revision_keys revision_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.revision_keys
    ADD CONSTRAINT revision_keys_pkey PRIMARY KEY (org_id, revision_id);

--
-- Name: rollup_branch_periods rollup_branch_periods_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rollup_branch_periods
    ADD CONSTRAINT rollup_branch_periods_pkey PRIMARY KEY (org_id, form_key, period_kind, period_start, branch_id);

--
-- Name: rollup_item_periods rollup_item_periods_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rollup_item_periods
    ADD CONSTRAINT rollup_item_periods_pkey PRIMARY KEY (org_id, form_key, period_kind, period_start, branch_id, item_key);

--
-- Name: score_rescores score_rescores_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.score_rescores
    ADD CONSTRAINT score_rescores_pkey PRIMARY KEY (org_id, id);

--
-- Name: submission_items submission_items_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_items
    ADD CONSTRAINT submission_items_pkey PRIMARY KEY (revision_id, item_key, org_id, visited_on);

--
-- Name: submission_items_default submission_items_default_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_items_default
    ADD CONSTRAINT submission_items_default_pkey PRIMARY KEY (revision_id, item_key, org_id, visited_on);

--
-- Name: submission_items_m2026_12 submission_items_m2026_12_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_items_m2026_12
    ADD CONSTRAINT submission_items_m2026_12_pkey PRIMARY KEY (revision_id, item_key, org_id, visited_on);

--
-- Name: submission_items_m2027_01 submission_items_m2027_01_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_items_m2027_01
    ADD CONSTRAINT submission_items_m2027_01_pkey PRIMARY KEY (revision_id, item_key, org_id, visited_on);

--
-- Name: submission_items_m2027_02 submission_items_m2027_02_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_items_m2027_02
    ADD CONSTRAINT submission_items_m2027_02_pkey PRIMARY KEY (revision_id, item_key, org_id, visited_on);

--
-- Name: submission_keys submission_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_keys
    ADD CONSTRAINT submission_keys_pkey PRIMARY KEY (org_id, submission_id);

--
-- Name: submission_keys submission_keys_visit_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_keys
    ADD CONSTRAINT submission_keys_visit_key UNIQUE (org_id, visit_id);

--
-- Name: submission_revisions submission_revisions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_revisions
    ADD CONSTRAINT submission_revisions_pkey PRIMARY KEY (id, org_id, visited_on);

--
-- Name: submission_revisions_default submission_revisions_default_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_revisions_default
    ADD CONSTRAINT submission_revisions_default_pkey PRIMARY KEY (id, org_id, visited_on);

--
-- Name: submission_revisions submission_revisions_submission_id_revision_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_revisions
    ADD CONSTRAINT submission_revisions_submission_id_revision_key UNIQUE (submission_id, revision, org_id, visited_on);

--
-- Name: submission_revisions_default submission_revisions_default_submission_id_revision_org_id__key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_revisions_default
    ADD CONSTRAINT submission_revisions_default_submission_id_revision_org_id__key UNIQUE (submission_id, revision, org_id, visited_on);

--
-- Name: submission_revisions_m2026_12 submission_revisions_m2026_12_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_revisions_m2026_12
    ADD CONSTRAINT submission_revisions_m2026_12_pkey PRIMARY KEY (id, org_id, visited_on);

--
-- Name: submission_revisions_m2026_12 submission_revisions_m2026_12_submission_id_revision_org_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_revisions_m2026_12
    ADD CONSTRAINT submission_revisions_m2026_12_submission_id_revision_org_id_key UNIQUE (submission_id, revision, org_id, visited_on);

--
-- Name: submission_revisions_m2027_01 submission_revisions_m2027_01_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_revisions_m2027_01
    ADD CONSTRAINT submission_revisions_m2027_01_pkey PRIMARY KEY (id, org_id, visited_on);

--
-- Name: submission_revisions_m2027_01 submission_revisions_m2027_01_submission_id_revision_org_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_revisions_m2027_01
    ADD CONSTRAINT submission_revisions_m2027_01_submission_id_revision_org_id_key UNIQUE (submission_id, revision, org_id, visited_on);

--
-- Name: submission_revisions_m2027_02 submission_revisions_m2027_02_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_revisions_m2027_02
    ADD CONSTRAINT submission_revisions_m2027_02_pkey PRIMARY KEY (id, org_id, visited_on);

--
-- Name: submission_revisions_m2027_02 submission_revisions_m2027_02_submission_id_revision_org_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_revisions_m2027_02
    ADD CONSTRAINT submission_revisions_m2027_02_submission_id_revision_org_id_key UNIQUE (submission_id, revision, org_id, visited_on);

--
-- Name: submissions submissions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submissions
    ADD CONSTRAINT submissions_pkey PRIMARY KEY (id, org_id, visited_on);

--
-- Name: submissions_default submissions_default_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submissions_default
    ADD CONSTRAINT submissions_default_pkey PRIMARY KEY (id, org_id, visited_on);

--
-- Name: submissions_m2026_12 submissions_m2026_12_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submissions_m2026_12
    ADD CONSTRAINT submissions_m2026_12_pkey PRIMARY KEY (id, org_id, visited_on);

--
-- Name: submissions_m2027_01 submissions_m2027_01_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submissions_m2027_01
    ADD CONSTRAINT submissions_m2027_01_pkey PRIMARY KEY (id, org_id, visited_on);

--
-- Name: submissions_m2027_02 submissions_m2027_02_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submissions_m2027_02
    ADD CONSTRAINT submissions_m2027_02_pkey PRIMARY KEY (id, org_id, visited_on);

--
-- Name: user_branches user_branches_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_branches
    ADD CONSTRAINT user_branches_pkey PRIMARY KEY (org_id, user_id, branch_id);

--
-- Name: user_regions user_regions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_regions
    ADD CONSTRAINT user_regions_pkey PRIMARY KEY (org_id, user_id, region_id);

--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (org_id, id);

--
-- Name: visits visits_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.visits
    ADD CONSTRAINT visits_pkey PRIMARY KEY (org_id, id);

--
-- Name: webhook_attempts webhook_attempts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_attempts
    ADD CONSTRAINT webhook_attempts_pkey PRIMARY KEY (org_id, id);

--
-- Name: webhook_deliveries webhook_deliveries_endpoint_id_event_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_endpoint_id_event_id_key UNIQUE (org_id, endpoint_id, event_id);

--
-- Name: webhook_deliveries webhook_deliveries_message_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_message_id_key UNIQUE (org_id, message_id);

--
-- Name: webhook_deliveries webhook_deliveries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (org_id, id);

--
-- Name: webhook_endpoints webhook_endpoints_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_endpoints
    ADD CONSTRAINT webhook_endpoints_pkey PRIMARY KEY (org_id, id);

--
-- Name: action_events_action_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX action_events_action_idx ON public.action_events USING btree (action_id, id);

--
-- Name: actions_branch_status_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX actions_branch_status_idx ON public.actions USING btree (org_id, branch_id, status, due_on);

--
-- Name: actions_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX actions_id_idx ON public.actions USING btree (id);

--
-- Name: actions_org_due_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX actions_org_due_idx ON public.actions USING btree (org_id, due_on, array_position(ARRAY['urgent'::text, 'high'::text, 'normal'::text, 'low'::text], priority), created_at, id);

--
-- Name: actions_pending_due_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX actions_pending_due_idx ON public.actions USING btree (org_id, due_on, array_position(ARRAY['urgent'::text, 'high'::text, 'normal'::text, 'low'::text], priority), created_at, id) WHERE (status = ANY (ARRAY['open'::text, 'in_progress'::text, 'reopened'::text]));

--
-- Name: actions_reminders_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX actions_reminders_due ON public.actions USING btree (due_on) WHERE ((overdue_notified_at IS NULL) AND (status = ANY (ARRAY['open'::text, 'in_progress'::text, 'reopened'::text])));

--
-- Name: actions_series_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX actions_series_idx ON public.actions USING btree (org_id, branch_id, form_key, item_key) WHERE (status = ANY (ARRAY['open'::text, 'in_progress'::text, 'resolved'::text, 'verified'::text, 'reopened'::text]));

--
-- Name: appeal_photos_photo_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX appeal_photos_photo_key ON public.appeal_photos USING btree (org_id, photo_id);

--
-- Name: appeals_branch_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX appeals_branch_idx ON public.appeals USING btree (org_id, branch_id, status);

--
-- Name: appeals_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX appeals_id_idx ON public.appeals USING btree (id);

--
-- Name: appeals_one_open_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX appeals_one_open_key ON public.appeals USING btree (org_id, submission_id, COALESCE(item_key, ''::text)) WHERE (status = 'open'::text);

--
-- Name: appeals_org_opened_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX appeals_org_opened_idx ON public.appeals USING btree (org_id, opened_at DESC, id);

--
-- Name: audit_log_org_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_log_org_at ON public.audit_log USING btree (org_id, at, id);

--
-- Name: branches_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX branches_id_idx ON public.branches USING btree (id);

--
-- Name: branches_region_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX branches_region_idx ON public.branches USING btree (region_id);

--
-- Name: device_session_tokens_current_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX device_session_tokens_current_key ON public.device_session_tokens USING btree (org_id, session_id) WHERE (rotated_at IS NULL);

--
-- Name: device_session_tokens_session_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX device_session_tokens_session_idx ON public.device_session_tokens USING btree (session_id);

--
-- Name: device_sessions_device_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX device_sessions_device_key ON public.device_sessions USING btree (org_id, user_id, device_id) WHERE ((ended_at IS NULL) AND (device_id IS NOT NULL));

--
-- Name: device_sessions_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX device_sessions_id_idx ON public.device_sessions USING btree (id);

--
-- Name: device_sessions_user_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX device_sessions_user_idx ON public.device_sessions USING btree (user_id, last_used_at DESC) WHERE (ended_at IS NULL);

--
-- Name: events_feed; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_feed ON public.events USING btree (org_id, xid, id);

--
-- Name: events_subject; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_subject ON public.events USING btree (subject_id, subject_seq);

--
-- Name: form_retirements_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX form_retirements_key ON public.form_retirements USING btree (org_id, form_id, COALESCE(version, 0));

--
-- Name: form_versions_hash_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX form_versions_hash_idx ON public.form_versions USING btree (form_id, content_hash);

--
-- Name: form_versions_one_draft; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX form_versions_one_draft ON public.form_versions USING btree (form_id) WHERE (status = 'draft'::text);

--
-- Name: kv_store_expires_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX kv_store_expires_idx ON public.kv_store USING btree (expires_at) WHERE (expires_at IS NOT NULL);

--
-- Name: login_attempts_window_ends_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX login_attempts_window_ends_idx ON public.login_attempts USING btree (window_ends_at);

--
-- Name: photos_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX photos_id_idx ON public.photos USING btree (id);

--
-- Name: photos_lookalike_ids_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX photos_lookalike_ids_idx ON public.photos USING gin (lookalike_ids) WITH (fastupdate=off) WHERE (lookalike_ids <> '{}'::uuid[]);

--
-- Name: photos_phash_hi_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX photos_phash_hi_idx ON public.photos USING btree (org_id, ((SUBSTRING(phash FROM 1 FOR 32))::integer)) WHERE ((phash IS NOT NULL) AND (purpose = 'submission'::text));

--
-- Name: photos_phash_lo_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX photos_phash_lo_idx ON public.photos USING btree (org_id, ((SUBSTRING(phash FROM 33 FOR 32))::integer)) WHERE ((phash IS NOT NULL) AND (purpose = 'submission'::text));

--
-- Name: photos_submission_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX photos_submission_idx ON public.photos USING btree (submission_id) WHERE (submission_id IS NOT NULL);

--
-- Name: photos_unattached_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX photos_unattached_idx ON public.photos USING btree (created_at) WHERE (status <> 'attached'::text);

--
-- Name: programme_branches_branch_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX programme_branches_branch_idx ON public.programme_branches USING btree (branch_id);

--
-- Name: programmes_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX programmes_id_idx ON public.programmes USING btree (id);

--
-- Name: programmes_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX programmes_org_idx ON public.programmes USING btree (org_id, created_at);

--
-- Name: review_comments_submission_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX review_comments_submission_idx ON public.review_comments USING btree (submission_id, created_at, id);

--
-- Name: revision_keys_visited_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX revision_keys_visited_idx ON public.revision_keys USING btree (visited_on);

--
-- Name: rollup_branch_periods_branch_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX rollup_branch_periods_branch_idx ON public.rollup_branch_periods USING btree (org_id, branch_id, form_key, period_kind, period_start);

--
-- Name: score_rescores_submission_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX score_rescores_submission_idx ON public.score_rescores USING btree (submission_id, id);

--
-- Name: submission_keys_visited_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submission_keys_visited_idx ON public.submission_keys USING btree (visited_on);

--
-- Name: submissions_inspector_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_inspector_idx ON ONLY public.submissions USING btree (inspector_id, submitted_at);

--
-- Name: submissions_default_inspector_id_submitted_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_default_inspector_id_submitted_at_idx ON public.submissions_default USING btree (inspector_id, submitted_at);

--
-- Name: submissions_org_branch_visited_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_org_branch_visited_id_idx ON ONLY public.submissions USING btree (org_id, branch_id, visited_on, id);

--
-- Name: submissions_default_org_id_branch_id_visited_on_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_default_org_id_branch_id_visited_on_id_idx ON public.submissions_default USING btree (org_id, branch_id, visited_on, id);

--
-- Name: submissions_released_series_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_released_series_idx ON ONLY public.submissions USING btree (org_id, branch_id, visited_on, released_at) WHERE (status = 'released'::text);

--
-- Name: submissions_default_org_id_branch_id_visited_on_released_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_default_org_id_branch_id_visited_on_released_at_idx ON public.submissions_default USING btree (org_id, branch_id, visited_on, released_at) WHERE (status = 'released'::text);

--
-- Name: submissions_on_hold_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_on_hold_idx ON ONLY public.submissions USING btree (org_id) WHERE (held_at IS NOT NULL);

--
-- Name: submissions_default_org_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_default_org_id_idx ON public.submissions_default USING btree (org_id) WHERE (held_at IS NOT NULL);

--
-- Name: submissions_org_inspector_visited_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_org_inspector_visited_id_idx ON ONLY public.submissions USING btree (org_id, inspector_id, visited_on, id);

--
-- Name: submissions_default_org_id_inspector_id_visited_on_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_default_org_id_inspector_id_visited_on_id_idx ON public.submissions_default USING btree (org_id, inspector_id, visited_on, id);

--
-- Name: submissions_org_visited_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_org_visited_id_idx ON ONLY public.submissions USING btree (org_id, visited_on, id);

--
-- Name: submissions_default_org_id_visited_on_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_default_org_id_visited_on_id_idx ON public.submissions_default USING btree (org_id, visited_on, id);

--
-- Name: submissions_m2026_12_inspector_id_submitted_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2026_12_inspector_id_submitted_at_idx ON public.submissions_m2026_12 USING btree (inspector_id, submitted_at);

--
-- Name: submissions_m2026_12_org_id_branch_id_visited_on_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2026_12_org_id_branch_id_visited_on_id_idx ON public.submissions_m2026_12 USING btree (org_id, branch_id, visited_on, id);

--
-- Name: submissions_m2026_12_org_id_branch_id_visited_on_released_a_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2026_12_org_id_branch_id_visited_on_released_a_idx ON public.submissions_m2026_12 USING btree (org_id, branch_id, visited_on, released_at) WHERE (status = 'released'::text);

--
-- Name: submissions_m2026_12_org_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2026_12_org_id_idx ON public.submissions_m2026_12 USING btree (org_id) WHERE (held_at IS NOT NULL);

--
-- Name: submissions_m2026_12_org_id_inspector_id_visited_on_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2026_12_org_id_inspector_id_visited_on_id_idx ON public.submissions_m2026_12 USING btree (org_id, inspector_id, visited_on, id);

--
-- Name: submissions_m2026_12_org_id_visited_on_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2026_12_org_id_visited_on_id_idx ON public.submissions_m2026_12 USING btree (org_id, visited_on, id);

--
-- Name: submissions_m2027_01_inspector_id_submitted_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2027_01_inspector_id_submitted_at_idx ON public.submissions_m2027_01 USING btree (inspector_id, submitted_at);

--
-- Name: submissions_m2027_01_org_id_branch_id_visited_on_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2027_01_org_id_branch_id_visited_on_id_idx ON public.submissions_m2027_01 USING btree (org_id, branch_id, visited_on, id);

--
-- Name: submissions_m2027_01_org_id_branch_id_visited_on_released_a_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2027_01_org_id_branch_id_visited_on_released_a_idx ON public.submissions_m2027_01 USING btree (org_id, branch_id, visited_on, released_at) WHERE (status = 'released'::text);

--
-- Name: submissions_m2027_01_org_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2027_01_org_id_idx ON public.submissions_m2027_01 USING btree (org_id) WHERE (held_at IS NOT NULL);

--
-- Name: submissions_m2027_01_org_id_inspector_id_visited_on_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2027_01_org_id_inspector_id_visited_on_id_idx ON public.submissions_m2027_01 USING btree (org_id, inspector_id, visited_on, id);

--
-- Name: submissions_m2027_01_org_id_visited_on_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2027_01_org_id_visited_on_id_idx ON public.submissions_m2027_01 USING btree (org_id, visited_on, id);

--
-- Name: submissions_m2027_02_inspector_id_submitted_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2027_02_inspector_id_submitted_at_idx ON public.submissions_m2027_02 USING btree (inspector_id, submitted_at);

--
-- Name: submissions_m2027_02_org_id_branch_id_visited_on_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2027_02_org_id_branch_id_visited_on_id_idx ON public.submissions_m2027_02 USING btree (org_id, branch_id, visited_on, id);

--
-- Name: submissions_m2027_02_org_id_branch_id_visited_on_released_a_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2027_02_org_id_branch_id_visited_on_released_a_idx ON public.submissions_m2027_02 USING btree (org_id, branch_id, visited_on, released_at) WHERE (status = 'released'::text);

--
-- Name: submissions_m2027_02_org_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2027_02_org_id_idx ON public.submissions_m2027_02 USING btree (org_id) WHERE (held_at IS NOT NULL);

--
-- Name: submissions_m2027_02_org_id_inspector_id_visited_on_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2027_02_org_id_inspector_id_visited_on_id_idx ON public.submissions_m2027_02 USING btree (org_id, inspector_id, visited_on, id);

--
-- Name: submissions_m2027_02_org_id_visited_on_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX submissions_m2027_02_org_id_visited_on_id_idx ON public.submissions_m2027_02 USING btree (org_id, visited_on, id);

--
-- Name: user_branches_branch_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_branches_branch_idx ON public.user_branches USING btree (branch_id);

--
-- Name: user_regions_region_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_regions_region_idx ON public.user_regions USING btree (region_id);

--
-- Name: users_email_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email);

--
-- Name: users_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_id_idx ON public.users USING btree (id);

--
-- Name: visits_branch_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX visits_branch_idx ON public.visits USING btree (branch_id, window_start);

--
-- Name: visits_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX visits_id_idx ON public.visits USING btree (id);

--
-- Name: visits_inspector_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX visits_inspector_idx ON public.visits USING btree (inspector_id, status, window_start);

--
-- Name: visits_occurrence_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX visits_occurrence_key ON public.visits USING btree (org_id, programme_id, branch_id, period_start, occurrence_n) WHERE (programme_id IS NOT NULL);

--
-- Name: visits_open_jobs_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX visits_open_jobs_idx ON public.visits USING btree (org_id, window_start) WHERE ((inspector_id IS NULL) AND (status = 'scheduled'::text));

--
-- Name: visits_org_window_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX visits_org_window_id_idx ON public.visits USING btree (org_id, window_start, id);

--
-- Name: visits_scheduled_end_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX visits_scheduled_end_idx ON public.visits USING btree (window_end) WHERE (status = 'scheduled'::text);

--
-- Name: webhook_attempts_delivery; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_attempts_delivery ON public.webhook_attempts USING btree (delivery_id, id);

--
-- Name: webhook_deliveries_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_deliveries_due ON public.webhook_deliveries USING btree (next_attempt_at) WHERE (status = 'pending'::text);

--
-- Name: webhook_deliveries_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_deliveries_id_idx ON public.webhook_deliveries USING btree (id);

--
-- Name: webhook_deliveries_log; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_deliveries_log ON public.webhook_deliveries USING btree (endpoint_id, id);

--
-- Name: webhook_deliveries_subject; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_deliveries_subject ON public.webhook_deliveries USING btree (endpoint_id, subject_id, subject_seq) WHERE (status = 'pending'::text);

--
-- Name: webhook_endpoints_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_endpoints_id_idx ON public.webhook_endpoints USING btree (id);

--
-- Name: webhook_endpoints_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_endpoints_org ON public.webhook_endpoints USING btree (org_id) WHERE enabled;

--
-- Name: submission_items_default_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submission_items_pkey ATTACH PARTITION public.submission_items_default_pkey;

--
-- Name: submission_items_m2026_12_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submission_items_pkey ATTACH PARTITION public.submission_items_m2026_12_pkey;

--
-- Name: submission_items_m2027_01_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submission_items_pkey ATTACH PARTITION public.submission_items_m2027_01_pkey;

--
-- Name: submission_items_m2027_02_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submission_items_pkey ATTACH PARTITION public.submission_items_m2027_02_pkey;

--
-- Name: submission_revisions_default_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submission_revisions_pkey ATTACH PARTITION public.submission_revisions_default_pkey;

--
-- Name: submission_revisions_default_submission_id_revision_org_id__key; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submission_revisions_submission_id_revision_key ATTACH PARTITION public.submission_revisions_default_submission_id_revision_org_id__key;

--
-- Name: submission_revisions_m2026_12_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submission_revisions_pkey ATTACH PARTITION public.submission_revisions_m2026_12_pkey;

--
-- Name: submission_revisions_m2026_12_submission_id_revision_org_id_key; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submission_revisions_submission_id_revision_key ATTACH PARTITION public.submission_revisions_m2026_12_submission_id_revision_org_id_key;

--
-- Name: submission_revisions_m2027_01_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submission_revisions_pkey ATTACH PARTITION public.submission_revisions_m2027_01_pkey;

--
-- Name: submission_revisions_m2027_01_submission_id_revision_org_id_key; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submission_revisions_submission_id_revision_key ATTACH PARTITION public.submission_revisions_m2027_01_submission_id_revision_org_id_key;

--
-- Name: submission_revisions_m2027_02_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submission_revisions_pkey ATTACH PARTITION public.submission_revisions_m2027_02_pkey;

--
-- Name: submission_revisions_m2027_02_submission_id_revision_org_id_key; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submission_revisions_submission_id_revision_key ATTACH PARTITION public.submission_revisions_m2027_02_submission_id_revision_org_id_key;

--
-- Name: submissions_default_inspector_id_submitted_at_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_inspector_idx ATTACH PARTITION public.submissions_default_inspector_id_submitted_at_idx;

--
-- Name: submissions_default_org_id_branch_id_visited_on_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_org_branch_visited_id_idx ATTACH PARTITION public.submissions_default_org_id_branch_id_visited_on_id_idx;

--
-- Name: submissions_default_org_id_branch_id_visited_on_released_at_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_released_series_idx ATTACH PARTITION public.submissions_default_org_id_branch_id_visited_on_released_at_idx;

--
-- Name: submissions_default_org_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_on_hold_idx ATTACH PARTITION public.submissions_default_org_id_idx;

--
-- Name: submissions_default_org_id_inspector_id_visited_on_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_org_inspector_visited_id_idx ATTACH PARTITION public.submissions_default_org_id_inspector_id_visited_on_id_idx;

--
-- Name: submissions_default_org_id_visited_on_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_org_visited_id_idx ATTACH PARTITION public.submissions_default_org_id_visited_on_id_idx;

--
-- Name: submissions_default_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_pkey ATTACH PARTITION public.submissions_default_pkey;

--
-- Name: submissions_m2026_12_inspector_id_submitted_at_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_inspector_idx ATTACH PARTITION public.submissions_m2026_12_inspector_id_submitted_at_idx;

--
-- Name: submissions_m2026_12_org_id_branch_id_visited_on_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_org_branch_visited_id_idx ATTACH PARTITION public.submissions_m2026_12_org_id_branch_id_visited_on_id_idx;

--
-- Name: submissions_m2026_12_org_id_branch_id_visited_on_released_a_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_released_series_idx ATTACH PARTITION public.submissions_m2026_12_org_id_branch_id_visited_on_released_a_idx;

--
-- Name: submissions_m2026_12_org_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_on_hold_idx ATTACH PARTITION public.submissions_m2026_12_org_id_idx;

--
-- Name: submissions_m2026_12_org_id_inspector_id_visited_on_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_org_inspector_visited_id_idx ATTACH PARTITION public.submissions_m2026_12_org_id_inspector_id_visited_on_id_idx;

--
-- Name: submissions_m2026_12_org_id_visited_on_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_org_visited_id_idx ATTACH PARTITION public.submissions_m2026_12_org_id_visited_on_id_idx;

--
-- Name: submissions_m2026_12_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_pkey ATTACH PARTITION public.submissions_m2026_12_pkey;

--
-- Name: submissions_m2027_01_inspector_id_submitted_at_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_inspector_idx ATTACH PARTITION public.submissions_m2027_01_inspector_id_submitted_at_idx;

--
-- Name: submissions_m2027_01_org_id_branch_id_visited_on_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_org_branch_visited_id_idx ATTACH PARTITION public.submissions_m2027_01_org_id_branch_id_visited_on_id_idx;

--
-- Name: submissions_m2027_01_org_id_branch_id_visited_on_released_a_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_released_series_idx ATTACH PARTITION public.submissions_m2027_01_org_id_branch_id_visited_on_released_a_idx;

--
-- Name: submissions_m2027_01_org_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_on_hold_idx ATTACH PARTITION public.submissions_m2027_01_org_id_idx;

--
-- Name: submissions_m2027_01_org_id_inspector_id_visited_on_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_org_inspector_visited_id_idx ATTACH PARTITION public.submissions_m2027_01_org_id_inspector_id_visited_on_id_idx;

--
-- Name: submissions_m2027_01_org_id_visited_on_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_org_visited_id_idx ATTACH PARTITION public.submissions_m2027_01_org_id_visited_on_id_idx;

--
-- Name: submissions_m2027_01_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_pkey ATTACH PARTITION public.submissions_m2027_01_pkey;

--
-- Name: submissions_m2027_02_inspector_id_submitted_at_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_inspector_idx ATTACH PARTITION public.submissions_m2027_02_inspector_id_submitted_at_idx;

--
-- Name: submissions_m2027_02_org_id_branch_id_visited_on_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_org_branch_visited_id_idx ATTACH PARTITION public.submissions_m2027_02_org_id_branch_id_visited_on_id_idx;

--
-- Name: submissions_m2027_02_org_id_branch_id_visited_on_released_a_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_released_series_idx ATTACH PARTITION public.submissions_m2027_02_org_id_branch_id_visited_on_released_a_idx;

--
-- Name: submissions_m2027_02_org_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_on_hold_idx ATTACH PARTITION public.submissions_m2027_02_org_id_idx;

--
-- Name: submissions_m2027_02_org_id_inspector_id_visited_on_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_org_inspector_visited_id_idx ATTACH PARTITION public.submissions_m2027_02_org_id_inspector_id_visited_on_id_idx;

--
-- Name: submissions_m2027_02_org_id_visited_on_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_org_visited_id_idx ATTACH PARTITION public.submissions_m2027_02_org_id_visited_on_id_idx;

--
-- Name: submissions_m2027_02_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.submissions_pkey ATTACH PARTITION public.submissions_m2027_02_pkey;

--
-- Name: audit_log audit_log_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER audit_log_append_only BEFORE DELETE OR UPDATE ON public.audit_log FOR EACH ROW EXECUTE FUNCTION public.audit_log_refuse_change();

--
-- Name: branches branches_deleted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER branches_deleted AFTER DELETE ON public.branches REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION public.bump_rankings_generation();

--
-- Name: branches branches_inserted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER branches_inserted AFTER INSERT ON public.branches REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION public.bump_rankings_generation();

--
-- Name: branches branches_updated; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER branches_updated AFTER UPDATE ON public.branches REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION public.bump_rankings_generation();

--
-- Name: form_versions form_versions_immutable; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER form_versions_immutable BEFORE DELETE OR UPDATE ON public.form_versions FOR EACH ROW EXECUTE FUNCTION public.refuse_published_form_version_change();

--
-- Name: orgs orgs_settings_updated; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER orgs_settings_updated AFTER UPDATE OF settings ON public.orgs FOR EACH ROW WHEN ((old.settings IS DISTINCT FROM new.settings)) EXECUTE FUNCTION public.bump_rankings_generation_for_org();

--
-- Name: regions regions_updated; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER regions_updated AFTER UPDATE ON public.regions REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION public.bump_rankings_generation();

--
-- Name: submission_revisions revision_keys_write; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER revision_keys_write AFTER INSERT OR UPDATE OF client_id ON public.submission_revisions FOR EACH ROW EXECUTE FUNCTION public.revision_keys_write();

--
-- Name: rollup_branch_periods rollup_branch_periods_deleted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER rollup_branch_periods_deleted AFTER DELETE ON public.rollup_branch_periods REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION public.log_rankings_rollup_change();

--
-- Name: rollup_branch_periods rollup_branch_periods_inserted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER rollup_branch_periods_inserted AFTER INSERT ON public.rollup_branch_periods REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION public.log_rankings_rollup_change();

--
-- Name: rollup_branch_periods rollup_branch_periods_updated; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER rollup_branch_periods_updated AFTER UPDATE ON public.rollup_branch_periods REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION public.log_rankings_rollup_change();

--
-- Name: submissions submission_keys_write; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER submission_keys_write AFTER INSERT OR UPDATE OF visit_id ON public.submissions FOR EACH ROW EXECUTE FUNCTION public.submission_keys_write();

--
-- Name: submission_revisions submission_score_card_frozen; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER submission_score_card_frozen BEFORE UPDATE OF score_card ON public.submission_revisions FOR EACH ROW EXECUTE FUNCTION public.submission_score_card_frozen();

--
-- Name: user_branches user_branches_principal_changed; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER user_branches_principal_changed AFTER INSERT OR DELETE OR UPDATE ON public.user_branches FOR EACH ROW EXECUTE FUNCTION public.notify_principal_changed();

--
-- Name: user_regions user_regions_principal_changed; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER user_regions_principal_changed AFTER INSERT OR DELETE OR UPDATE ON public.user_regions FOR EACH ROW EXECUTE FUNCTION public.notify_principal_changed();

--
-- Name: users users_end_device_sessions; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER users_end_device_sessions AFTER UPDATE OF active, token_version, password_hash ON public.users FOR EACH ROW EXECUTE FUNCTION public.end_device_sessions_with_credentials();

--
-- Name: users users_principal_changed; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER users_principal_changed AFTER DELETE OR UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.notify_principal_changed();

--
-- Name: users users_token_version; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER users_token_version BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.bump_token_version();

--
-- Name: action_events action_events_action_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.action_events
    ADD CONSTRAINT action_events_action_id_fkey FOREIGN KEY (org_id, action_id) REFERENCES public.actions(org_id, id) ON DELETE CASCADE;

--
-- Name: action_events action_events_photo_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.action_events
    ADD CONSTRAINT action_events_photo_id_fkey FOREIGN KEY (org_id, photo_id) REFERENCES public.photos(org_id, id);

--
-- Name: action_events action_events_submission_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.action_events
    ADD CONSTRAINT action_events_submission_fkey FOREIGN KEY (org_id, submission_id) REFERENCES public.submission_keys(org_id, submission_id) ON DELETE SET NULL (submission_id);

--
-- Name: actions actions_assignee_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.actions
    ADD CONSTRAINT actions_assignee_id_fkey FOREIGN KEY (org_id, assignee_id) REFERENCES public.users(org_id, id) ON DELETE SET NULL (assignee_id);

--
-- Name: actions actions_merged_into_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.actions
    ADD CONSTRAINT actions_merged_into_fkey FOREIGN KEY (org_id, merged_into) REFERENCES public.actions(org_id, id) ON DELETE SET NULL (merged_into);

--
-- Name: actions actions_org_id_branch_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.actions
    ADD CONSTRAINT actions_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id) REFERENCES public.branches(org_id, id);

--
-- Name: actions actions_revision_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.actions
    ADD CONSTRAINT actions_revision_fkey FOREIGN KEY (org_id, revision_id) REFERENCES public.revision_keys(org_id, revision_id) ON DELETE CASCADE;

--
-- Name: actions actions_submission_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.actions
    ADD CONSTRAINT actions_submission_fkey FOREIGN KEY (org_id, submission_id) REFERENCES public.submission_keys(org_id, submission_id) ON DELETE CASCADE;

--
-- Name: appeal_photos appeal_photos_appeal_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appeal_photos
    ADD CONSTRAINT appeal_photos_appeal_id_fkey FOREIGN KEY (org_id, appeal_id) REFERENCES public.appeals(org_id, id) ON DELETE CASCADE;

--
-- Name: appeal_photos appeal_photos_photo_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appeal_photos
    ADD CONSTRAINT appeal_photos_photo_id_fkey FOREIGN KEY (org_id, photo_id) REFERENCES public.photos(org_id, id);

--
-- Name: appeals appeals_org_id_branch_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appeals
    ADD CONSTRAINT appeals_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id) REFERENCES public.branches(org_id, id);

--
-- Name: appeals appeals_org_id_decided_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appeals
    ADD CONSTRAINT appeals_org_id_decided_by_fkey FOREIGN KEY (org_id, decided_by) REFERENCES public.users(org_id, id);

--
-- Name: appeals appeals_org_id_opened_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appeals
    ADD CONSTRAINT appeals_org_id_opened_by_fkey FOREIGN KEY (org_id, opened_by) REFERENCES public.users(org_id, id);

--
-- Name: appeals appeals_submission_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appeals
    ADD CONSTRAINT appeals_submission_fkey FOREIGN KEY (org_id, submission_id) REFERENCES public.submission_keys(org_id, submission_id) ON DELETE CASCADE;

--
-- Name: branches branches_org_id_region_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.branches
    ADD CONSTRAINT branches_org_id_region_id_fkey FOREIGN KEY (org_id, region_id) REFERENCES public.regions(org_id, id);

--
-- Name: device_session_tokens device_session_tokens_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_session_tokens
    ADD CONSTRAINT device_session_tokens_session_id_fkey FOREIGN KEY (org_id, session_id) REFERENCES public.device_sessions(org_id, id) ON DELETE CASCADE;

--
-- Name: device_sessions device_sessions_org_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_sessions
    ADD CONSTRAINT device_sessions_org_id_user_id_fkey FOREIGN KEY (org_id, user_id) REFERENCES public.users(org_id, id) ON DELETE CASCADE;

--
-- Name: events events_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;

--
-- Name: form_retirements form_retirements_form_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.form_retirements
    ADD CONSTRAINT form_retirements_form_id_fkey FOREIGN KEY (form_id) REFERENCES public.forms(id) ON DELETE CASCADE;

--
-- Name: form_retirements form_retirements_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.form_retirements
    ADD CONSTRAINT form_retirements_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;

--
-- Name: form_versions form_versions_form_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.form_versions
    ADD CONSTRAINT form_versions_form_id_fkey FOREIGN KEY (form_id) REFERENCES public.forms(id) ON DELETE CASCADE;

--
-- Name: forms forms_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.forms
    ADD CONSTRAINT forms_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;

--
-- Name: photos photos_action_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.photos
    ADD CONSTRAINT photos_action_id_fkey FOREIGN KEY (org_id, action_id) REFERENCES public.actions(org_id, id) ON DELETE SET NULL (action_id);

--
-- Name: photos photos_org_id_uploaded_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.photos
    ADD CONSTRAINT photos_org_id_uploaded_by_fkey FOREIGN KEY (org_id, uploaded_by) REFERENCES public.users(org_id, id);

--
-- Name: photos photos_submission_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.photos
    ADD CONSTRAINT photos_submission_fkey FOREIGN KEY (org_id, submission_id) REFERENCES public.submission_keys(org_id, submission_id) ON DELETE SET NULL (submission_id);

--
-- Name: photos photos_visit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.photos
    ADD CONSTRAINT photos_visit_id_fkey FOREIGN KEY (org_id, visit_id) REFERENCES public.visits(org_id, id);

--
-- Name: programme_branches programme_branches_org_id_branch_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.programme_branches
    ADD CONSTRAINT programme_branches_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id) REFERENCES public.branches(org_id, id);

--
-- Name: programme_branches programme_branches_org_id_programme_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.programme_branches
    ADD CONSTRAINT programme_branches_org_id_programme_id_fkey FOREIGN KEY (org_id, programme_id) REFERENCES public.programmes(org_id, id) ON DELETE CASCADE;

--
-- Name: programmes programmes_form_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.programmes
    ADD CONSTRAINT programmes_form_id_fkey FOREIGN KEY (form_id) REFERENCES public.forms(id);

--
-- Name: programmes programmes_org_id_created_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.programmes
    ADD CONSTRAINT programmes_org_id_created_by_fkey FOREIGN KEY (org_id, created_by) REFERENCES public.users(org_id, id);

--
-- Name: programmes programmes_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.programmes
    ADD CONSTRAINT programmes_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;

--
-- Name: programmes programmes_org_id_region_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.programmes
    ADD CONSTRAINT programmes_org_id_region_id_fkey FOREIGN KEY (org_id, region_id) REFERENCES public.regions(org_id, id);

--
-- Name: rankings_changes rankings_changes_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rankings_changes
    ADD CONSTRAINT rankings_changes_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;

--
-- Name: rankings_generations rankings_generations_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rankings_generations
    ADD CONSTRAINT rankings_generations_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;

--
-- Name: regions regions_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.regions
    ADD CONSTRAINT regions_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;

--
-- Name: review_comments review_comments_author_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.review_comments
    ADD CONSTRAINT review_comments_author_id_fkey FOREIGN KEY (org_id, author_id) REFERENCES public.users(org_id, id);

--
-- Name: review_comments review_comments_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.review_comments
    ADD CONSTRAINT review_comments_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;

--
-- Name: review_comments review_comments_submission_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.review_comments
    ADD CONSTRAINT review_comments_submission_fkey FOREIGN KEY (org_id, submission_id) REFERENCES public.submission_keys(org_id, submission_id) ON DELETE CASCADE;

--
-- Name: revision_keys revision_keys_revision_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.revision_keys
    ADD CONSTRAINT revision_keys_revision_fkey FOREIGN KEY (org_id, revision_id, visited_on) REFERENCES public.submission_revisions(org_id, id, visited_on) ON UPDATE CASCADE ON DELETE CASCADE;

--
-- Name: rollup_branch_periods rollup_branch_periods_org_id_branch_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rollup_branch_periods
    ADD CONSTRAINT rollup_branch_periods_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id) REFERENCES public.branches(org_id, id) ON DELETE CASCADE;

--
-- Name: rollup_item_periods rollup_item_periods_org_id_branch_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rollup_item_periods
    ADD CONSTRAINT rollup_item_periods_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id) REFERENCES public.branches(org_id, id) ON DELETE CASCADE;

--
-- Name: score_rescores score_rescores_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.score_rescores
    ADD CONSTRAINT score_rescores_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;

--
-- Name: score_rescores score_rescores_rescored_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.score_rescores
    ADD CONSTRAINT score_rescores_rescored_by_fkey FOREIGN KEY (org_id, rescored_by) REFERENCES public.users(org_id, id);

--
-- Name: score_rescores score_rescores_revision_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.score_rescores
    ADD CONSTRAINT score_rescores_revision_fkey FOREIGN KEY (org_id, revision_id) REFERENCES public.revision_keys(org_id, revision_id) ON DELETE CASCADE;

--
-- Name: score_rescores score_rescores_submission_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.score_rescores
    ADD CONSTRAINT score_rescores_submission_fkey FOREIGN KEY (org_id, submission_id) REFERENCES public.submission_keys(org_id, submission_id) ON DELETE CASCADE;

--
-- Name: submission_items submission_items_revision_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.submission_items
    ADD CONSTRAINT submission_items_revision_fkey FOREIGN KEY (org_id, revision_id, visited_on) REFERENCES public.submission_revisions(org_id, id, visited_on) ON UPDATE CASCADE ON DELETE CASCADE;

--
-- Name: submission_keys submission_keys_submission_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.submission_keys
    ADD CONSTRAINT submission_keys_submission_fkey FOREIGN KEY (org_id, submission_id, visited_on) REFERENCES public.submissions(org_id, id, visited_on) ON UPDATE CASCADE ON DELETE CASCADE;

--
-- Name: submission_revisions submission_revisions_submission_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.submission_revisions
    ADD CONSTRAINT submission_revisions_submission_fkey FOREIGN KEY (org_id, submission_id, visited_on) REFERENCES public.submissions(org_id, id, visited_on) ON UPDATE CASCADE ON DELETE CASCADE;

--
-- Name: submissions submissions_form_version_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.submissions
    ADD CONSTRAINT submissions_form_version_id_fkey FOREIGN KEY (form_version_id) REFERENCES public.form_versions(id);

--
-- Name: submissions submissions_org_id_branch_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.submissions
    ADD CONSTRAINT submissions_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id) REFERENCES public.branches(org_id, id);

--
-- Name: submissions submissions_org_id_inspector_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.submissions
    ADD CONSTRAINT submissions_org_id_inspector_id_fkey FOREIGN KEY (org_id, inspector_id) REFERENCES public.users(org_id, id);

--
-- Name: submissions submissions_visit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.submissions
    ADD CONSTRAINT submissions_visit_id_fkey FOREIGN KEY (org_id, visit_id) REFERENCES public.visits(org_id, id);

--
-- Name: user_branches user_branches_org_id_branch_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_branches
    ADD CONSTRAINT user_branches_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id) REFERENCES public.branches(org_id, id) ON DELETE CASCADE;

--
-- Name: user_branches user_branches_org_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_branches
    ADD CONSTRAINT user_branches_org_id_user_id_fkey FOREIGN KEY (org_id, user_id) REFERENCES public.users(org_id, id) ON DELETE CASCADE;

--
-- Name: user_regions user_regions_org_id_region_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_regions
    ADD CONSTRAINT user_regions_org_id_region_id_fkey FOREIGN KEY (org_id, region_id) REFERENCES public.regions(org_id, id) ON DELETE CASCADE;

--
-- Name: user_regions user_regions_org_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_regions
    ADD CONSTRAINT user_regions_org_id_user_id_fkey FOREIGN KEY (org_id, user_id) REFERENCES public.users(org_id, id) ON DELETE CASCADE;

--
-- Name: users users_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;

--
-- Name: visits visits_form_version_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.visits
    ADD CONSTRAINT visits_form_version_id_fkey FOREIGN KEY (form_version_id) REFERENCES public.form_versions(id);

--
-- Name: visits visits_org_id_branch_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.visits
    ADD CONSTRAINT visits_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id) REFERENCES public.branches(org_id, id);

--
-- Name: visits visits_org_id_cancelled_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.visits
    ADD CONSTRAINT visits_org_id_cancelled_by_fkey FOREIGN KEY (org_id, cancelled_by) REFERENCES public.users(org_id, id);

--
-- Name: visits visits_org_id_created_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.visits
    ADD CONSTRAINT visits_org_id_created_by_fkey FOREIGN KEY (org_id, created_by) REFERENCES public.users(org_id, id);

--
-- Name: visits visits_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.visits
    ADD CONSTRAINT visits_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;

--
-- Name: visits visits_org_id_inspector_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.visits
    ADD CONSTRAINT visits_org_id_inspector_id_fkey FOREIGN KEY (org_id, inspector_id) REFERENCES public.users(org_id, id);

--
-- Name: visits visits_programme_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.visits
    ADD CONSTRAINT visits_programme_fkey FOREIGN KEY (org_id, programme_id) REFERENCES public.programmes(org_id, id);

--
-- Name: webhook_attempts webhook_attempts_delivery_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_attempts
    ADD CONSTRAINT webhook_attempts_delivery_id_fkey FOREIGN KEY (org_id, delivery_id) REFERENCES public.webhook_deliveries(org_id, id) ON DELETE CASCADE;

--
-- Name: webhook_deliveries webhook_deliveries_endpoint_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_endpoint_id_fkey FOREIGN KEY (org_id, endpoint_id) REFERENCES public.webhook_endpoints(org_id, id) ON DELETE CASCADE;

--
-- Name: webhook_deliveries webhook_deliveries_event_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_event_id_fkey FOREIGN KEY (org_id, event_id) REFERENCES public.events(org_id, id) ON DELETE CASCADE;

--
-- Name: webhook_endpoints webhook_endpoints_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_endpoints
    ADD CONSTRAINT webhook_endpoints_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.orgs(id) ON DELETE CASCADE;

--
-- PostgreSQL database dump complete
--
