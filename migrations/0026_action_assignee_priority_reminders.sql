-- Issue #17 "Actions and results" / #16 action events: a named assignee (a user with scope on the
-- action's branch; the service checks it), four priorities, and the SLA reminder marks the periodic
-- job (actions/reminders.py) sets when it emits action.due_soon / action.overdue, so each is sent once
-- per due date (a new due date clears them).
ALTER TABLE actions
    ADD COLUMN assignee_id uuid REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN due_soon_notified_at timestamptz,
    ADD COLUMN overdue_notified_at timestamptz;

ALTER TABLE actions DROP CONSTRAINT actions_priority_check;
ALTER TABLE actions ADD CONSTRAINT actions_priority_check
    CHECK (priority IN ('low', 'normal', 'high', 'urgent'));

-- Actions waiting for a reminder: pending ones whose overdue mark is not set yet.
CREATE INDEX actions_reminders_due ON actions (due_on)
    WHERE overdue_notified_at IS NULL AND status IN ('open', 'in_progress', 'reopened');

-- The audit of action moves and assignment (kind 'assigned' in the action's own history).
ALTER TABLE action_events DROP CONSTRAINT action_events_kind_check;
ALTER TABLE action_events ADD CONSTRAINT action_events_kind_check
    CHECK (kind IN ('created', 'status', 'comment', 'evidence', 'recheck', 'merged', 'assigned'));
