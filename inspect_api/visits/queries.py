"""SQL for visits, one typed function per statement.

Visit scope ($1 org, $2 user, $3 role): admins and regional leads see the visits of their visible
branches (visible_branch_ids), an inspector only their own visits, a branch manager none (visits name
the inspector and the exact time, which a branch must never learn).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.auth.principal import Principal
from inspect_api.paging import FIRST_TIME, LAST_UUID
from inspect_api.storage.db import row_to, rows_to
from inspect_api.visits.schemas import MyVisitOut, VisitOut


def _scope(p: Principal) -> tuple[UUID, UUID, str]:
    return (p.org_id, p.user_id, p.role)


_VISIT_SELECT: Final = """
SELECT v.id, v.status, v.mode, v.window_start, v.window_end, v.created_at, v.cancelled_at, v.programme_id,
       jsonb_build_object('id', b.id, 'code', b.code, 'name_zh', b.name_zh, 'name_en', b.name_en,
                          'timezone', b.timezone, 'address', b.address, 'latitude', b.latitude,
                          'longitude', b.longitude) AS branch,
       jsonb_build_object('form_version_id', fv.id, 'key', f.key, 'version', fv.version,
                          'title_zh', fv.document->'title'->>'zh', 'title_en', fv.document->'title'->>'en') AS form,
       CASE WHEN u.id IS NOT NULL THEN jsonb_build_object('id', u.id, 'display_name', u.display_name) END
           AS inspector
FROM visits v
JOIN branches b ON b.org_id = v.org_id AND b.id = v.branch_id
JOIN form_versions fv ON fv.id = v.form_version_id
JOIN forms f ON f.id = fv.form_id
LEFT JOIN users u ON u.org_id = v.org_id AND u.id = v.inspector_id  -- none: an open programme occurrence (#17)
"""
_VISIBLE_VISIT: Final = """
v.org_id = $1 AND (
    ($3 IN ('admin', 'regional_lead') AND v.branch_id IN (SELECT visible_branch_ids($1, $2, $3)))
    OR ($3 = 'inspector' AND v.inspector_id = $2)
)"""

LIST_VISITS: Final = f"""
{_VISIT_SELECT}
WHERE {_VISIBLE_VISIT}
  AND ($4::text IS NULL OR v.status = $4)
  AND ($5::uuid IS NULL OR v.branch_id = $5)
  AND ($6::uuid IS NULL OR v.inspector_id = $6)
  AND ($7::text IS NULL OR v.mode = $7)
  AND ($8::timestamptz IS NULL OR v.window_end > $8)
  AND ($9::timestamptz IS NULL OR v.window_start < $9)
  AND (v.window_start, v.id) < ($12::timestamptz, $13::uuid)  -- keyset (inspect_api/paging.py),
ORDER BY v.window_start DESC, v.id DESC                        -- visits_org_window_id_idx (migration 0040)
LIMIT $10 OFFSET $11
"""


class VisitFilters(msgspec.Struct, frozen=True, kw_only=True):
    status: str | None = None
    branch_id: UUID | None = None
    inspector_id: UUID | None = None
    mode: str | None = None
    window_from: datetime | None = None
    window_to: datetime | None = None
    limit: int = 200
    offset: int = 0
    after: tuple[datetime, UUID] = (FIRST_TIME, LAST_UUID)  # the page starts after this (window_start, id)


async def list_visits(conn: asyncpg.Connection, p: Principal, f: VisitFilters) -> list[VisitOut]:
    rows = await conn.fetch(
        LIST_VISITS,
        *_scope(p),
        f.status,
        f.branch_id,
        f.inspector_id,
        f.mode,
        f.window_from,
        f.window_to,
        f.limit,
        f.offset,
        *f.after,
    )
    return rows_to(VisitOut, rows)


GET_VISIT: Final = f"{_VISIT_SELECT} WHERE {_VISIBLE_VISIT} AND v.id = $4"


async def get_visit(conn: asyncpg.Connection, p: Principal, visit_id: UUID) -> VisitOut | None:
    return row_to(VisitOut, await conn.fetchrow(GET_VISIT, *_scope(p), visit_id))


MY_OPEN_VISITS: Final = f"""
{_VISIT_SELECT}
WHERE v.org_id = $1 AND v.inspector_id = $2 AND v.status = 'scheduled'
ORDER BY v.window_start, v.id
"""


async def my_open_visits(conn: asyncpg.Connection, p: Principal) -> list[MyVisitOut]:
    return rows_to(MyVisitOut, await conn.fetch(MY_OPEN_VISITS, p.org_id, p.user_id))


class SchedulableBranch(msgspec.Struct, frozen=True):
    id: UUID
    active: bool


VISIBLE_BRANCH: Final = """
SELECT b.id, b.active FROM branches b
WHERE b.org_id = $1 AND b.id IN (SELECT visible_branch_ids($1, $2, $3)) AND b.id = $4
"""


async def visible_branch(conn: asyncpg.Connection, p: Principal, branch_id: UUID) -> SchedulableBranch | None:
    return row_to(SchedulableBranch, await conn.fetchrow(VISIBLE_BRANCH, *_scope(p), branch_id))


class InspectorRow(msgspec.Struct, frozen=True):
    id: UUID
    role: str
    active: bool


# Locks the inspector's row: scheduling for one inspector is serialised, so two concurrent requests
# cannot both pass the revisit rule.
LOCK_INSPECTOR: Final = "SELECT id, role, active FROM users WHERE org_id = $1 AND id = $2 FOR NO KEY UPDATE"


async def lock_inspector(conn: asyncpg.Connection, org_id: UUID, user_id: UUID) -> InspectorRow | None:
    return row_to(InspectorRow, await conn.fetchrow(LOCK_INSPECTOR, org_id, user_id))


class FormVersionRow(msgspec.Struct, frozen=True):
    id: UUID
    status: str
    retired: bool = False  # the org retired it (forms/sql/form_version_retired.sql): no new visits


USABLE_FORM_VERSION: Final = """
SELECT fv.id, fv.status, form_version_retired($1, fv.id) AS retired
FROM form_versions fv JOIN forms f ON f.id = fv.form_id
WHERE fv.id = $2 AND (f.org_id IS NULL OR f.org_id = $1)
"""


async def form_version(conn: asyncpg.Connection, org_id: UUID, form_version_id: UUID) -> FormVersionRow | None:
    """The version if the org may use it (catalogue or own form), whatever its status."""
    return row_to(FormVersionRow, await conn.fetchrow(USABLE_FORM_VERSION, org_id, form_version_id))


class RevisitConflict(msgspec.Struct, frozen=True):
    id: UUID
    mode: str
    window_start: datetime


# Another live visit of the same inspector at the same branch that clashes with the new one under the
# mystery revisit rule (visits/sql/mystery_revisit_clash.sql).
REVISIT_CONFLICT: Final = """
SELECT v.id, v.mode, v.window_start FROM visits v
WHERE v.org_id = $1 AND v.inspector_id = $2 AND v.branch_id = $3 AND v.status <> 'cancelled'
  AND mystery_revisit_clash($6, $4::timestamptz, $5::timestamptz, v.mode, v.window_start, v.window_end, $7)
ORDER BY v.window_start
LIMIT 1
"""


async def revisit_conflict(
    conn: asyncpg.Connection,
    org_id: UUID,
    inspector_id: UUID,
    branch_id: UUID,
    window_start: datetime,
    window_end: datetime,
    mode: str,
    days: int,
) -> RevisitConflict | None:
    row = await conn.fetchrow(REVISIT_CONFLICT, org_id, inspector_id, branch_id, window_start, window_end, mode, days)
    return row_to(RevisitConflict, row)


INSERT_VISIT: Final = """
INSERT INTO visits (org_id, branch_id, form_version_id, inspector_id, mode, window_start, window_end, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id
"""


async def insert_visit(
    conn: asyncpg.Connection,
    org_id: UUID,
    *,
    branch_id: UUID,
    form_version_id: UUID,
    inspector_id: UUID,
    mode: str,
    window_start: datetime,
    window_end: datetime,
    created_by: UUID,
) -> UUID:
    return await conn.fetchval(
        INSERT_VISIT, org_id, branch_id, form_version_id, inspector_id, mode, window_start, window_end, created_by
    )


LOCK_VISIT_STATUS: Final = f"""
SELECT v.status FROM visits v WHERE {_VISIBLE_VISIT} AND v.id = $4 FOR UPDATE OF v
"""


async def lock_visit_status(conn: asyncpg.Connection, p: Principal, visit_id: UUID) -> str | None:
    return await conn.fetchval(LOCK_VISIT_STATUS, *_scope(p), visit_id)


CANCEL_VISIT: Final = f"""
UPDATE visits AS v SET status = 'cancelled', cancelled_at = now(), cancelled_by = $2
WHERE {_VISIBLE_VISIT} AND v.id = $4 AND v.status = 'scheduled'
RETURNING v.id
"""


async def cancel_visit(conn: asyncpg.Connection, p: Principal, visit_id: UUID) -> bool:
    return await conn.fetchval(CANCEL_VISIT, *_scope(p), visit_id) is not None
