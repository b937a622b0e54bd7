-- Overdue lists (#20): GET /actions/overdue walked actions_org_due_idx (or scanned the table) from the
-- earliest due date and filtered out every closed action of the org before the first pending one, so
-- it grew with the org's history (380 ms at 1M submissions). This index holds the pending actions only,
-- in the list's own order, for actions/queries.py SELECT_OVERDUE (whose literal status list implies the
-- predicate; keep the two in step with lifecycle.PENDING): the scan reads the overdue rows it returns.
CREATE INDEX actions_pending_due_idx ON actions
    (org_id, due_on, array_position(ARRAY['urgent', 'high', 'normal', 'low'], priority), created_at, id)
    WHERE status IN ('open', 'in_progress', 'reopened');
