"""GET /exports/actions.csv and .xlsx: follow-up actions in the caller's scope (SCOPE), merged ones left
out. The xlsx has the CSV's columns and rows (inspect_api/exports.py: constant memory, a row cap)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.actions.queries import JOINS, PENDING_SQL, SCOPE, ActionRow
from inspect_api.actions.service import action_out
from inspect_api.auth.principal import Principal
from inspect_api.exports import XLSX_MAX_ROWS, query_csv, query_xlsx

# ActionRow's columns without the assignees and the named assignee (subqueries per row the CSV does not show).
_ACTION_COLUMNS: Final = f"""
a.id, b.id AS branch_id, b.code AS branch_code, b.name_zh AS branch_name_zh, b.name_en AS branch_name_en,
b.region_id, a.submission_id, s.visited_on, a.form_key, a.item_key, a.title_zh, a.title_en, a.priority,
a.evidence_required, a.due_on, a.status, a.recurrence_count,
(a.status IN {PENDING_SQL} AND a.due_on < (now() AT TIME ZONE b.timezone)::date) AS overdue,
a.merged_into, '[]'::jsonb AS assignees, NULL::jsonb AS assignee, a.created_at, a.updated_at
"""

SELECT_ACTIONS_EXPORT: Final = f"""
SELECT {_ACTION_COLUMNS} {JOINS}
WHERE {SCOPE}
  AND ($4::uuid IS NULL OR a.branch_id = $4)
  AND ($5::uuid IS NULL OR b.region_id = $5)
  AND ($6::text IS NULL OR a.status = $6)
  AND a.status <> 'merged'
ORDER BY b.code, a.due_on, a.id
"""

ACTION_HEADER: Final = (
    "action_id", "branch_code", "branch_name_zh", "branch_name_en", "visited_on", "form_key", "item_key",
    "title_zh", "title_en", "priority", "status", "due_on", "overdue", "recurrence_count", "evidence_required",
    "created_at", "updated_at",
)


def action_cells(row: ActionRow) -> list[Any]:
    out = action_out(row)
    return [str(out.id), out.branch.code, out.branch.name_zh, out.branch.name_en, out.visited_on.isoformat(),
            out.form_key, out.item_key, out.title_zh, out.title_en, out.priority, out.status,
            out.due_on.isoformat(), out.overdue, out.recurrence_count, out.evidence_required,
            out.created_at.isoformat(), out.updated_at.isoformat()]


FILTER_FIELDS: Final = ("branch_id", "region_id", "status")  # what narrows a too-large xlsx


def _record_cells(record: asyncpg.Record) -> list[Any]:
    return action_cells(msgspec.convert(dict(record), ActionRow))


async def actions_csv(
    pool: asyncpg.Pool, p: Principal, *, branch_id: UUID | None, region_id: UUID | None, status: str | None
) -> AsyncIterator[bytes]:
    args = (p.org_id, p.user_id, p.role, branch_id, region_id, status)
    return await query_csv(pool, ACTION_HEADER, SELECT_ACTIONS_EXPORT, args, _record_cells)


async def actions_xlsx(
    pool: asyncpg.Pool, p: Principal, *, branch_id: UUID | None, region_id: UUID | None, status: str | None,
    max_rows: int = XLSX_MAX_ROWS,
) -> AsyncIterator[bytes]:
    args = (p.org_id, p.user_id, p.role, branch_id, region_id, status)
    return await query_xlsx(pool, "actions", ACTION_HEADER, SELECT_ACTIONS_EXPORT, args, _record_cells,
                            max_rows=max_rows, filter_fields=FILTER_FIELDS)
