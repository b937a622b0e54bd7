"""SQL for follow-up actions, one typed function per statement.

Scope: admins see every action of the org; regional leads and branch managers only actions of
RELEASED submissions at branches in visible_branch_ids. Out of scope and unknown look the same.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.actions.lifecycle import PENDING, RECHECKABLE
from inspect_api.storage.db import custom_plans, row_to, rows_to


class ActionRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    branch_id: UUID
    branch_code: str
    branch_name_zh: str
    branch_name_en: str
    region_id: UUID
    submission_id: UUID
    visited_on: date
    form_key: str
    item_key: str
    title_zh: str
    title_en: str
    priority: str
    evidence_required: bool
    due_on: date
    status: str
    recurrence_count: int
    overdue: bool
    merged_into: UUID | None
    assignees: list[dict[str, str]]
    assignee: dict[str, str] | None
    created_at: datetime
    updated_at: datetime


class EventRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    from_status: str | None
    to_status: str | None
    note: str
    photo_id: UUID | None
    submission_id: UUID | None
    actor_id: UUID | None
    actor_name: str | None
    created_at: datetime


class LockedAction(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    status: str
    evidence_required: bool
    branch_id: UUID
    priority: str
    assignee_id: UUID | None


class ReminderCandidate(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    org_id: UUID
    due_at: datetime  # the end of the due day in the branch's zone: overdue from then
    due_soon_notified: bool


class RecheckCandidate(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    item_key: str
    status: str
    item_status: str  # the item in the new visit: pass or fail


class OwnAction(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    item_key: str
    status: str
    due_on: date
    priority: str


class ListFilters(msgspec.Struct, frozen=True, kw_only=True):
    branch_id: UUID | None = None
    region_id: UUID | None = None
    status: str | None = None
    form_key: str | None = None
    overdue_only: bool = False
    include_merged: bool = False


SCOPE: Final = """
a.org_id = $1 AND a.branch_id IN (SELECT visible_branch_ids($1, $2, $3))
AND ($3 = 'admin' OR s.status = 'released')
"""

PENDING_SQL: Final = "(" + ", ".join(f"'{s}'" for s in PENDING) + ")"
_RECHECKABLE_SQL: Final = "(" + ", ".join(f"'{s}'" for s in RECHECKABLE) + ")"

_COLUMNS: Final = f"""
a.id, b.id AS branch_id, b.code AS branch_code, b.name_zh AS branch_name_zh, b.name_en AS branch_name_en,
b.region_id, a.submission_id, s.visited_on, a.form_key, a.item_key, a.title_zh, a.title_en, a.priority,
a.evidence_required, a.due_on, a.status, a.recurrence_count,
(a.status IN {PENDING_SQL} AND a.due_on < (now() AT TIME ZONE b.timezone)::date) AS overdue,
a.merged_into,
COALESCE((SELECT jsonb_agg(jsonb_build_object('id', u.id, 'display_name', u.display_name)
                           ORDER BY u.display_name, u.id)
          FROM user_branches ub JOIN users u ON u.org_id = ub.org_id AND u.id = ub.user_id
          WHERE ub.branch_id = a.branch_id AND ub.org_id = a.org_id AND u.active
            AND u.role = 'branch_manager'), '[]'::jsonb) AS assignees,
(SELECT jsonb_build_object('id', u.id, 'display_name', u.display_name) FROM users u
 WHERE u.org_id = a.org_id AND u.id = a.assignee_id) AS assignee,
a.created_at, a.updated_at
"""
# The action's submission through its key row (one probe of submission_keys) and then the one month
# partition that holds it (`LIMIT 1` keeps it a per-row lookup, so the executor prunes to the month
# k.visited_on names). Joined by id alone, each action probed every month's index (28 at two years):
# GET /actions/overdue took 607 ms at 1M submissions (bench/RESULTS.md, growth curves), 4.6 ms this way.
JOINS: Final = """
FROM actions a
JOIN submission_keys k ON k.org_id = a.org_id AND k.submission_id = a.submission_id
CROSS JOIN LATERAL (SELECT s.visited_on, s.status FROM submissions s
                    WHERE s.org_id = k.org_id AND s.id = k.submission_id AND s.visited_on = k.visited_on
                    LIMIT 1) s
JOIN branches b ON b.org_id = a.org_id AND b.id = a.branch_id
"""

SELECT_ACTION: Final = f"SELECT {_COLUMNS} {JOINS} WHERE a.id = $4 AND {SCOPE}"

_LIST: Final = f"""
SELECT {_COLUMNS} {JOINS}
WHERE a.org_id = $1 AND {{branch_scope}}
  AND ($3 = 'admin' OR s.status = 'released')
  AND ($4::uuid IS NULL OR a.branch_id = $4)
  AND ($5::uuid IS NULL OR b.region_id = $5)
  AND ($6::text IS NULL OR a.status = $6)
  AND ($7::text IS NULL OR a.form_key = $7)
  AND {{overdue}}
  AND ($9 OR $6::text = 'merged' OR a.status <> 'merged')
  AND (a.due_on, array_position(ARRAY['urgent', 'high', 'normal', 'low'], a.priority), a.created_at, a.id)
      > ($12::date, $13::int, $14::timestamptz, $15::uuid)  -- keyset (paging.py; migration 0043's index)
ORDER BY a.due_on, array_position(ARRAY['urgent', 'high', 'normal', 'low'], a.priority), a.created_at, a.id
LIMIT $10 OFFSET $11
"""
_OVERDUE: Final = f"a.status IN {PENDING_SQL} AND a.due_on < (now() AT TIME ZONE b.timezone)::date"
# SCOPE's condition on the branch, and the overdue filter when $8 asks for it.
SELECT_ACTIONS: Final = _LIST.format(branch_scope="a.branch_id IN (SELECT visible_branch_ids($1, $2, $3))",
                                     overdue=f"(NOT $8 OR ({_OVERDUE}))")
# Overdue lists (GET /actions/overdue, ?overdue=true: only with $8 true), the same rows (issue #20):
# SELECT_ACTIONS read every action of the org (a scan of the table, or of actions_org_due_idx from the
# earliest due date, closed ones first) and sorted all the overdue ones before
# the LIMIT: 380 ms at 1M submissions. Here the overdue test is plain conditions: the literal statuses imply
# migration 0051's partial index on pending actions, in the list's order, and a due date before the UTC
# day after tomorrow (a branch's local day is at most one past UTC's) bounds its range, so the scan reads
# pending actions in order and stops at the LIMIT. The branch scope is the same set as a hashed filter:
# `IS TRUE` keeps the planner from turning it into a join with visible_branch_ids (estimated at 1,000
# rows, then joined by hash, which lost the order and sorted every overdue action of the org).
SELECT_OVERDUE: Final = _LIST.format(
    branch_scope="(a.branch_id IN (SELECT visible_branch_ids($1, $2, $3))) IS TRUE",
    overdue=f"$8 AND {_OVERDUE} AND a.due_on < (now() AT TIME ZONE 'UTC')::date + 2")
PRIORITY_RANK: Final = {"urgent": 1, "high": 2, "normal": 3, "low": 4}  # array_position in the ORDER BY
ACTIONS_START: Final = (date(1, 1, 1), 0, datetime(1, 1, 1, tzinfo=UTC), UUID(int=0))

SELECT_EVENTS: Final = """
SELECT e.id, e.kind, e.from_status, e.to_status, e.note, e.photo_id, e.submission_id,
       e.actor_id, u.display_name AS actor_name, e.created_at
FROM action_events e LEFT JOIN users u ON u.org_id = e.org_id AND u.id = e.actor_id
WHERE e.action_id = $1
ORDER BY e.id
"""

SELECT_EVIDENCE: Final = """
SELECT id FROM photos WHERE action_id = $1 AND status = 'attached' ORDER BY attached_at, id
"""

# The submission (for SCOPE's status) from its one month, as JOINS.
LOCK_ACTION: Final = f"""
SELECT a.id, a.status, a.evidence_required, a.branch_id, a.priority, a.assignee_id
FROM actions a
JOIN submission_keys k ON k.org_id = a.org_id AND k.submission_id = a.submission_id
CROSS JOIN LATERAL (SELECT s.status FROM submissions s
                    WHERE s.org_id = k.org_id AND s.id = k.submission_id AND s.visited_on = k.visited_on
                    LIMIT 1) s
WHERE a.id = $4 AND {SCOPE}
FOR UPDATE OF a
"""

UPDATE_STATUS: Final = "UPDATE actions SET status = $2, updated_at = now() WHERE org_id = $3 AND id = $1"

INSERT_EVENT: Final = """
INSERT INTO action_events (org_id, action_id, actor_id, kind, from_status, to_status, note, photo_id)
VALUES ($8, $1, $2, $3, $4, $5, $6, $7)
"""

TOUCH: Final = "UPDATE actions SET updated_at = now() WHERE org_id = $2 AND id = $1"

# ---- closing the loop (inside the releasing transaction, series lock held) ----------------------

# The visit's own follow-up actions, opened at the release (the branch learns of them then; nothing
# exists before), from the follow_ups of the released revision's score card, read by the ScoreCard's own
# field names. Dated at the release $3, never the receive time that would date the visit finer than its
# day. $1 the released revision, $2 the form key, $4 / $5 its org and visit date (the month partition of
# the revision and its submission: by id alone, every month's index was probed). A corrected released
# result (#17 appeals) opens its new revision's follow-ups the same way, at the correction, except those
# carried over from the previous one.
OPEN_AT_RELEASE: Final = """
WITH opened AS (
    INSERT INTO actions (org_id, branch_id, submission_id, revision_id, form_key, item_key, title_zh, title_en,
                         priority, evidence_required, due_on, created_at, updated_at)
    SELECT s.org_id, s.branch_id, s.id, r.id, $2, f.item, f.title ->> 'zh', f.title ->> 'en',
           CASE WHEN f.critical THEN 'high' ELSE 'normal' END, f.evidence_required,
           s.visited_on + f.due_in_days, $3, $3
    FROM submission_revisions r
    JOIN submissions s ON s.org_id = r.org_id AND s.visited_on = r.visited_on AND s.id = r.submission_id,
         jsonb_to_recordset(r.score_card -> 'follow_ups')
             AS f (item text, due_in_days int, title jsonb, evidence_required boolean, critical boolean)
    WHERE r.id = $1 AND r.org_id = $4 AND r.visited_on = $5
    ON CONFLICT (org_id, revision_id, item_key) DO NOTHING  -- a correction: follow-ups carried over are there
    RETURNING org_id, id
)
INSERT INTO action_events (org_id, action_id, kind, to_status, created_at)
SELECT org_id, id, 'created', 'open', $3 FROM opened
RETURNING action_id
"""

# Earlier actions of the same branch and form, from visits released before this one in series order,
# still open to a recheck, whose item this visit judged pass or fail (partial / N/A leave them be).
SELECT_RECHECK_CANDIDATES: Final = f"""
SELECT a.id, a.item_key, a.status, i.status AS item_status
FROM actions a
JOIN submission_keys k ON k.org_id = a.org_id AND k.submission_id = a.submission_id
CROSS JOIN LATERAL (SELECT s.id, s.status, s.visited_on, s.released_at FROM submissions s
                    WHERE s.org_id = k.org_id AND s.id = k.submission_id AND s.visited_on = k.visited_on
                    LIMIT 1) s  -- each candidate's submission from its one month, as JOINS
JOIN (SELECT i.key, i.status
      FROM submission_revisions r, jsonb_to_recordset(r.score_card -> 'items') AS i (key text, status text)
      WHERE r.id = $6 AND r.org_id = $1 AND r.visited_on = $4) i ON i.key = a.item_key AND i.status IN ('pass', 'fail')
WHERE a.org_id = $1 AND a.branch_id = $2 AND a.form_key = $3 AND a.status IN {_RECHECKABLE_SQL}
  AND s.status = 'released' AND s.id <> $7
  AND (s.visited_on, s.released_at, s.id) < ($4::date, $5::timestamptz, $7::uuid)
ORDER BY a.item_key, s.visited_on DESC, s.released_at DESC, s.id DESC, a.id
FOR UPDATE OF a
"""

SELECT_OWN_ACTIONS: Final = """
SELECT id, item_key, status, due_on, priority FROM actions WHERE org_id = $2 AND revision_id = $1 FOR UPDATE
"""

# Is there a released visit after this one in its series (branch x form key)? Then that later visit
# already judged the earlier actions, and a correction of this one leaves them to it.
SELECT_LATER_RELEASED: Final = """
SELECT EXISTS (
    SELECT 1 FROM submissions s
    JOIN form_versions fv ON fv.id = s.form_version_id
    JOIN forms f ON f.id = fv.form_id
    WHERE s.org_id = $1 AND s.branch_id = $2 AND f.key = $3 AND s.status = 'released' AND s.id <> $6
      AND (s.visited_on, s.released_at, s.id) > ($4::date, $5::timestamptz, $6::uuid)
)
"""

# The previous revision's actions whose item the corrected result still follows up move to it.
MOVE_TO_REVISION: Final = (
    "UPDATE actions SET revision_id = $2, updated_at = now() WHERE org_id = $3 AND id = ANY($1::uuid[])"
)

MARK_RECHECKED_OK: Final = (
    "UPDATE actions SET status = 'rechecked_ok', updated_at = now() WHERE org_id = $2 AND id = ANY($1::uuid[])"
)

# A recurrence takes the later visit's due date and the higher priority, when that visit opened one;
# a new due date clears the reminder marks (actions/reminders.py).
REOPEN_RECURRING: Final = """
UPDATE actions a
SET status = 'reopened', recurrence_count = a.recurrence_count + 1,
    due_on = COALESCE(v.due_on, a.due_on),
    priority = CASE WHEN array_position(ARRAY['low', 'normal', 'high', 'urgent'], v.priority)
                         > array_position(ARRAY['low', 'normal', 'high', 'urgent'], a.priority)
                    THEN v.priority ELSE a.priority END,
    due_soon_notified_at = CASE WHEN COALESCE(v.due_on, a.due_on) = a.due_on THEN a.due_soon_notified_at END,
    overdue_notified_at = CASE WHEN COALESCE(v.due_on, a.due_on) = a.due_on THEN a.overdue_notified_at END,
    updated_at = now()
FROM unnest($1::uuid[], $2::date[], $3::text[]) AS v (id, due_on, priority)
WHERE a.org_id = $4 AND a.id = v.id
"""

MARK_MERGED: Final = """
UPDATE actions a SET status = 'merged', merged_into = v.target, updated_at = now()
FROM unnest($1::uuid[], $2::uuid[]) AS v (id, target)
WHERE a.org_id = $3 AND a.id = v.id
"""

INSERT_SYSTEM_EVENTS: Final = """
INSERT INTO action_events (org_id, action_id, kind, from_status, to_status, note, submission_id)
SELECT $7, v.action_id, v.kind, v.from_status, v.to_status, v.note, $6
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
     AS v (action_id, kind, from_status, to_status, note)
"""


async def action(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, role: str, action_id: UUID) -> ActionRow | None:
    return row_to(ActionRow, await conn.fetchrow(SELECT_ACTION, org_id, user_id, role, action_id))


async def actions(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, role: str, filters: ListFilters, limit: int, offset: int,
    after: tuple[object, ...] = ACTIONS_START,
) -> list[ActionRow]:
    """`after`: (due_on, priority rank, created_at, id) the page starts after (ACTIONS_START: the start).
    Planned per call (custom_plans): a generic plan of these optional filters sorts every match."""
    async with custom_plans(conn):
        rows = await conn.fetch(
            SELECT_OVERDUE if filters.overdue_only else SELECT_ACTIONS, org_id, user_id, role, filters.branch_id,
            filters.region_id, filters.status, filters.form_key, filters.overdue_only, filters.include_merged,
            limit, offset, *after,
        )
    return rows_to(ActionRow, rows)


async def events(conn: asyncpg.Connection, action_id: UUID) -> list[EventRow]:
    return rows_to(EventRow, await conn.fetch(SELECT_EVENTS, action_id))


async def evidence_photo_ids(conn: asyncpg.Connection, action_id: UUID) -> list[UUID]:
    return [row["id"] for row in await conn.fetch(SELECT_EVIDENCE, action_id)]


async def lock_action(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, role: str, action_id: UUID
) -> LockedAction | None:
    return row_to(LockedAction, await conn.fetchrow(LOCK_ACTION, org_id, user_id, role, action_id))


async def set_status(conn: asyncpg.Connection, org_id: UUID, action_id: UUID, status: str) -> None:
    await conn.execute(UPDATE_STATUS, action_id, status, org_id)


async def insert_event(
    conn: asyncpg.Connection,
    org_id: UUID,
    action_id: UUID,
    actor_id: UUID,
    kind: str,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str = "",
    photo_id: UUID | None = None,
) -> None:
    await conn.execute(INSERT_EVENT, action_id, actor_id, kind, from_status, to_status, note, photo_id, org_id)


async def touch(conn: asyncpg.Connection, org_id: UUID, action_id: UUID) -> None:
    await conn.execute(TOUCH, action_id, org_id)


async def open_at_release(
    conn: asyncpg.Connection, org_id: UUID, visited_on: date, revision_id: UUID, form_key: str, at: datetime
) -> list[UUID]:
    """The ids of the actions opened."""
    rows = await conn.fetch(OPEN_AT_RELEASE, revision_id, form_key, at, org_id, visited_on)
    return [r["action_id"] for r in rows]


async def recheck_candidates(
    conn: asyncpg.Connection,
    org_id: UUID,
    branch_id: UUID,
    form_key: str,
    visited_on: date,
    released_at: datetime,
    revision_id: UUID,
    submission_id: UUID,
) -> list[RecheckCandidate]:
    rows = await conn.fetch(SELECT_RECHECK_CANDIDATES, org_id, branch_id, form_key, visited_on, released_at,
                            revision_id, submission_id)
    return rows_to(RecheckCandidate, rows)


async def own_actions(conn: asyncpg.Connection, org_id: UUID, revision_id: UUID) -> list[OwnAction]:
    return rows_to(OwnAction, await conn.fetch(SELECT_OWN_ACTIONS, revision_id, org_id))


async def mark_rechecked_ok(conn: asyncpg.Connection, org_id: UUID, action_ids: list[UUID]) -> None:
    await conn.execute(MARK_RECHECKED_OK, action_ids, org_id)


async def reopen_recurring(
    conn: asyncpg.Connection, org_id: UUID, reopen: list[tuple[UUID, date | None, str | None]]
) -> None:
    await conn.execute(REOPEN_RECURRING, [r[0] for r in reopen], [r[1] for r in reopen], [r[2] for r in reopen],
                       org_id)


async def mark_merged(conn: asyncpg.Connection, org_id: UUID, merges: list[tuple[UUID, UUID]]) -> None:
    await conn.execute(MARK_MERGED, [m[0] for m in merges], [m[1] for m in merges], org_id)


async def insert_system_events(
    conn: asyncpg.Connection, org_id: UUID, submission_id: UUID, rows: list[tuple[UUID, str, str, str, str]]
) -> None:
    columns = [list(c) for c in zip(*rows, strict=True)]
    await conn.execute(INSERT_SYSTEM_EVENTS, *columns, submission_id, org_id)



async def move_to_revision(
    conn: asyncpg.Connection, org_id: UUID, action_ids: list[UUID], revision_id: UUID
) -> None:
    await conn.execute(MOVE_TO_REVISION, action_ids, revision_id, org_id)


# ---- snapshots for events, assignment, reminders (#16, #17) ----------------------------------------

# The rows as every role's /actions shows them (no scope: the caller emitting the event already holds
# the action); for event snapshots, read in the changing transaction.
SELECT_ACTIONS_BY_ID: Final = f"SELECT {_COLUMNS} {JOINS} WHERE a.org_id = $1 AND a.id = ANY($2::uuid[])"

SELECT_DISPLAY_NAME: Final = "SELECT display_name FROM users WHERE id = $1"

# A named assignee: an active user of the org who sees the branch (its manager, the region's lead,
# an admin). Inspectors and reviewers are not assignees.
CHECK_ASSIGNEE: Final = """
SELECT u.id FROM users u
WHERE u.id = $2 AND u.org_id = $1 AND u.active AND u.role IN ('admin', 'regional_lead', 'branch_manager')
  AND $3::uuid IN (SELECT visible_branch_ids($1, u.id, u.role))
"""

UPDATE_ASSIGNMENT: Final = """
UPDATE actions SET assignee_id = $2, priority = $3, updated_at = now() WHERE org_id = $4 AND id = $1
"""

INSERT_ASSIGNED_EVENT: Final = """
INSERT INTO action_events (org_id, action_id, actor_id, kind, note) VALUES ($4, $1, $2, 'assigned', $3)
"""

# Pending actions whose reminder is due at $1: due_soon from `due_at - $2`, overdue from due_at (the end
# of the due day in the branch's zone, when ActionOut.overdue turns true). Locked, SKIP LOCKED: a person
# moving the action meanwhile is not waited for (the next run sees it).
SELECT_REMINDERS_DUE: Final = f"""
SELECT a.id, a.org_id, d.due_at, a.due_soon_notified_at IS NOT NULL AS due_soon_notified
FROM actions a
JOIN branches b ON b.org_id = a.org_id AND b.id = a.branch_id,
     LATERAL (SELECT ((a.due_on + 1)::timestamp AT TIME ZONE b.timezone) AS due_at) d
WHERE a.overdue_notified_at IS NULL AND a.status IN {PENDING_SQL}
  AND a.due_on <= ($1::timestamptz + $2::interval)::date + 1
  AND (d.due_at <= $1 OR (a.due_soon_notified_at IS NULL AND d.due_at - $2::interval <= $1))
ORDER BY d.due_at, a.id
LIMIT $3
FOR UPDATE OF a SKIP LOCKED
"""

MARK_DUE_SOON: Final = "UPDATE actions SET due_soon_notified_at = $2 WHERE id = ANY($1::uuid[])"

# Overdue also sets the due-soon mark: a reminder that comes too late for `due_soon` is not sent.
MARK_OVERDUE: Final = """
UPDATE actions SET overdue_notified_at = $2, due_soon_notified_at = COALESCE(due_soon_notified_at, $2)
WHERE id = ANY($1::uuid[])
"""


async def actions_by_id(conn: asyncpg.Connection, org_id: UUID, action_ids: list[UUID]) -> list[ActionRow]:
    return rows_to(ActionRow, await conn.fetch(SELECT_ACTIONS_BY_ID, org_id, action_ids))


async def display_name(conn: asyncpg.Connection, user_id: UUID) -> str:
    return str(await conn.fetchval(SELECT_DISPLAY_NAME, user_id) or "")


async def is_assignable(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, branch_id: UUID) -> bool:
    return await conn.fetchval(CHECK_ASSIGNEE, org_id, user_id, branch_id) is not None


async def set_assignment(
    conn: asyncpg.Connection, org_id: UUID, action_id: UUID, assignee_id: UUID | None, priority: str
) -> None:
    await conn.execute(UPDATE_ASSIGNMENT, action_id, assignee_id, priority, org_id)


async def insert_assigned_event(
    conn: asyncpg.Connection, org_id: UUID, action_id: UUID, actor_id: UUID, note: str
) -> None:
    await conn.execute(INSERT_ASSIGNED_EVENT, action_id, actor_id, note, org_id)


async def reminders_due(
    conn: asyncpg.Connection, now: datetime, lead: timedelta, limit: int
) -> list[ReminderCandidate]:
    return rows_to(ReminderCandidate, await conn.fetch(SELECT_REMINDERS_DUE, now, lead, limit))


async def mark_due_soon(conn: asyncpg.Connection, action_ids: list[UUID], at: datetime) -> None:
    await conn.execute(MARK_DUE_SOON, action_ids, at)


async def mark_overdue(conn: asyncpg.Connection, action_ids: list[UUID], at: datetime) -> None:
    await conn.execute(MARK_OVERDUE, action_ids, at)


async def later_released_exists(conn: asyncpg.Connection, org_id: UUID, branch_id: UUID, form_key: str,
                                visited_on: date, released_at: datetime, submission_id: UUID) -> bool:
    return bool(await conn.fetchval(SELECT_LATER_RELEASED, org_id, branch_id, form_key, visited_on, released_at,
                                    submission_id))
