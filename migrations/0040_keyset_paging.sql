-- Keyset paging (issue #20, inspect_api/paging.py): GET /submissions and GET /visits page by a cursor
-- (the last row's sort key and id) instead of an offset. Each page is a backward range scan of one of
-- these indexes from just below the cursor, whatever the page's depth.
CREATE INDEX submissions_org_visited_id_idx ON submissions (org_id, visited_on, id);
CREATE INDEX visits_org_window_id_idx ON visits (org_id, window_start, id);
-- Superseded by the index above (same leading columns).
DROP INDEX visits_org_window_idx;
