-- emit_event(...): the one way an event is written (events/__init__.py explains the ordering).
-- Called inside the transaction that makes the change, so the event commits or rolls back with it.
-- 1. An advisory lock on the subject, held to commit, so one subject's events are numbered
--    (subject_seq) in the order their transactions commit.
-- 2. The event row; its xid (pg_current_xact_id) orders the feed.
-- 3. One pending delivery per enabled webhook endpoint that wants it (type, branch/region filter, and a
--    branch-manager-shaped endpoint only for events a branch manager may see). `webhook.ping` events
--    are delivered only to the endpoint that asked (webhooks/service.ping).
-- 4. When a delivery was queued, NOTIFY webhook_due (sent at commit, once per transaction): idle
--    workers LISTEN and claim at once instead of at their next poll (webhooks/worker.py).
CREATE OR REPLACE FUNCTION emit_event(
    p_org uuid, p_type text, p_subject uuid, p_branch uuid, p_region uuid, p_payload jsonb, p_branch_payload jsonb
) RETURNS bigint
LANGUAGE plpgsql AS $$
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
