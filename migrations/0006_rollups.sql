-- Incremental roll-ups behind rankings, trends and weakness maps, and what follow-up actions need to
-- close the loop. The roll-ups are changed only in the transaction that releases a submission
-- (inspect_api/submissions/review.py on_release -> inspect_api/rankings/rollups.py), by deltas
-- computed in inspect_api/rankings/deltas.py; rollups.backfill recomputes them from submissions.
--
-- Period kinds: ISO week (Monday first), month, quarter of submissions.visited_on (the branch's local
-- date); period_start = date_trunc(kind, visited_on). Form = forms.key (all versions of a form rank
-- together).

CREATE TABLE rollup_branch_periods (
    org_id        uuid NOT NULL,
    form_key      text NOT NULL,
    period_kind   text NOT NULL CHECK (period_kind IN ('week', 'month', 'quarter')),
    period_start  date NOT NULL,
    branch_id     uuid NOT NULL,
    visits        integer NOT NULL CHECK (visits >= 0),          -- released visits
    scored        integer NOT NULL CHECK (scored >= 0),          -- of which with a total score
    score_sum     numeric NOT NULL,                              -- exact: incremental == recomputed
    score_sq_sum  numeric NOT NULL,
    passes        integer NOT NULL CHECK (passes >= 0),          -- no critical failure, threshold met
    PRIMARY KEY (org_id, form_key, period_kind, period_start, branch_id),
    FOREIGN KEY (org_id, branch_id) REFERENCES branches (org_id, id) ON DELETE CASCADE
);
-- A branch's trend (last N periods).
CREATE INDEX rollup_branch_periods_branch_idx
    ON rollup_branch_periods (org_id, branch_id, form_key, period_kind, period_start);

CREATE TABLE rollup_item_periods (
    org_id           uuid NOT NULL,
    form_key         text NOT NULL,
    period_kind      text NOT NULL CHECK (period_kind IN ('week', 'month', 'quarter')),
    period_start     date NOT NULL,
    branch_id        uuid NOT NULL,
    item_key         text NOT NULL,
    applicable       integer NOT NULL CHECK (applicable >= 0),   -- item status pass, fail or partial
    failures         integer NOT NULL CHECK (failures >= 0),
    partials         integer NOT NULL CHECK (partials >= 0),
    -- failures whose previous released visit of the series (branch x form) failed the item too
    repeat_failures  integer NOT NULL CHECK (repeat_failures >= 0),
    PRIMARY KEY (org_id, form_key, period_kind, period_start, branch_id, item_key),
    FOREIGN KEY (org_id, branch_id) REFERENCES branches (org_id, id) ON DELETE CASCADE
);

-- The series order (branch x form, by visit date) is looked up on every release.
CREATE INDEX submissions_released_series_idx
    ON submissions (org_id, branch_id, visited_on, released_at) WHERE status = 'released';

-- Closing the loop. When the next released visit fails an item again, the earlier action is reopened
-- (recurrence_count + 1) and the new visit's own action for that item is kept, marked 'merged', and
-- points at the reopened one: receipts and history stay as they were, lists show one action.
ALTER TABLE actions DROP CONSTRAINT actions_status_check;
ALTER TABLE actions
    ADD CONSTRAINT actions_status_check CHECK (status IN
        ('open', 'in_progress', 'resolved', 'verified', 'reopened', 'rechecked_ok', 'merged')),
    ADD COLUMN merged_into uuid REFERENCES actions (id) ON DELETE SET NULL;
CREATE INDEX actions_series_idx ON actions (org_id, branch_id, form_key, item_key)
    WHERE status IN ('open', 'in_progress', 'resolved', 'verified', 'reopened');

-- 'recheck': the system's verdict from a later visit (to_status rechecked_ok or reopened);
-- 'merged': this action was folded into an earlier one. submission_id names the visit that did it.
ALTER TABLE action_events DROP CONSTRAINT action_events_kind_check;
ALTER TABLE action_events
    ADD CONSTRAINT action_events_kind_check CHECK (kind IN
        ('created', 'status', 'comment', 'evidence', 'recheck', 'merged')),
    ADD COLUMN submission_id uuid REFERENCES submissions (id) ON DELETE SET NULL;
