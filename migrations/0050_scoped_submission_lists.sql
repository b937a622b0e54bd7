-- Scoped submission lists (issue #20): a branch manager's, a regional lead's or a regional reviewer's
-- GET /submissions walked the whole org's (org_id, visited_on, id) index and filtered on the branch
-- (at 50k rows, 49,975 read and thrown away for a page of 25). The list now merges one keyset range per
-- visible branch (submissions/queries.py SELECT_BRANCH_SET_SUMMARIES), each a backward scan of this
-- index from just below the cursor; an inspector's own list scans the second one.
CREATE INDEX submissions_org_branch_visited_id_idx ON submissions (org_id, branch_id, visited_on, id);
CREATE INDEX submissions_org_inspector_visited_id_idx ON submissions (org_id, inspector_id, visited_on, id);
-- Superseded by the first index above (same leading columns, the id added).
DROP INDEX IF EXISTS submissions_branch_idx;
