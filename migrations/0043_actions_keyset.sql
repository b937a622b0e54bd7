-- Keyset paging of GET /actions (issue #20, inspect_api/paging.py): the list's own order (due date,
-- priority rank, created_at, id) under the org, so a page starts just after the previous one's last row.
CREATE INDEX actions_org_due_idx ON actions
    (org_id, due_on, array_position(ARRAY['urgent', 'high', 'normal', 'low'], priority), created_at, id);
