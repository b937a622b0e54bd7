"""SQL for programmes, their occurrences (visits rows with a programme_id), the job board, the missed-visit
job and the workload view; one typed function per statement.

Scope ($1 org, $2 user, $3 role): a programme is an admin's or a regional lead's when every branch it
covers is visible to them (a region programme: its region is visible); an occurrence is theirs when its
branch is visible. Inspectors reach occurrences only through the job board (open ones, org-wide, after
the rules) and their own visits. Branch managers reach nothing here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.auth.principal import Principal
from inspect_api.programmes.schemas import (
    ClaimOut,
    CoverageRow,
    JobOut,
    OccurrenceOut,
    ProgrammeOut,
    WorkItem,
    WorkloadRow,
)
from inspect_api.storage.db import row_to, rows_to


def _scope(p: Principal) -> tuple[UUID, UUID, str]:
    return (p.org_id, p.user_id, p.role)


# ---- programmes --------------------------------------------------------------------------------

_PROGRAMME_SELECT: Final = """
SELECT p.id, p.name, f.key AS form_key, p.mode, p.branch_rule, p.region_id,
       CASE WHEN p.branch_rule = 'list'
            THEN ARRAY(SELECT pb.branch_id FROM programme_branches pb
                       JOIN branches b ON b.org_id = pb.org_id AND b.id = pb.branch_id
                       WHERE pb.org_id = p.org_id AND pb.programme_id = p.id ORDER BY b.code)
            ELSE ARRAY(SELECT b.id FROM branches b
                       WHERE b.org_id = p.org_id AND b.region_id = p.region_id AND b.active ORDER BY b.code)
       END AS branch_ids,
       p.period_kind AS period, p.visits_per_period, p.days_of_week::int[] AS days_of_week,
       to_char(p.window_start_time, 'HH24:MI') AS window_start_time,
       to_char(p.window_end_time, 'HH24:MI') AS window_end_time,
       p.starts_on, p.ends_on, p.inspector_cap_per_period, p.status, p.created_at, p.updated_at
FROM programmes p JOIN forms f ON f.id = p.form_id
"""
_VISIBLE_PROGRAMME: Final = """
p.org_id = $1 AND $3 IN ('admin', 'regional_lead') AND (
    (p.branch_rule = 'region' AND p.region_id IN (SELECT visible_region_ids($1, $2, $3)))
    OR (p.branch_rule = 'list' AND NOT EXISTS (
        SELECT 1 FROM programme_branches pb WHERE pb.org_id = p.org_id AND pb.programme_id = p.id
          AND pb.branch_id NOT IN (SELECT visible_branch_ids($1, $2, $3))))
)"""

LIST_PROGRAMMES: Final = f"""
{_PROGRAMME_SELECT}
WHERE {_VISIBLE_PROGRAMME} AND ($4::text IS NULL OR p.status = $4)
ORDER BY p.created_at DESC, p.id
LIMIT $5 OFFSET $6
"""


async def list_programmes(
    conn: asyncpg.Connection, p: Principal, status: str | None, limit: int, offset: int
) -> list[ProgrammeOut]:
    return rows_to(ProgrammeOut, await conn.fetch(LIST_PROGRAMMES, *_scope(p), status, limit, offset))


GET_PROGRAMME: Final = f"{_PROGRAMME_SELECT} WHERE {_VISIBLE_PROGRAMME} AND p.id = $4"


async def get_programme(conn: asyncpg.Connection, p: Principal, programme_id: UUID) -> ProgrammeOut | None:
    return row_to(ProgrammeOut, await conn.fetchrow(GET_PROGRAMME, *_scope(p), programme_id))


LOCK_PROGRAMME: Final = f"SELECT p.id FROM programmes p WHERE {_VISIBLE_PROGRAMME} AND p.id = $4 FOR UPDATE OF p"


async def lock_programme(conn: asyncpg.Connection, p: Principal, programme_id: UUID) -> bool:
    return await conn.fetchval(LOCK_PROGRAMME, *_scope(p), programme_id) is not None


class FormRow(msgspec.Struct, frozen=True):
    id: UUID
    published_version_id: UUID | None


# The org's own form with the key wins over the catalogue's.
FORM_BY_KEY: Final = """
SELECT f.id,
       (SELECT fv.id FROM form_versions fv WHERE fv.form_id = f.id AND fv.status = 'published'
          AND NOT form_version_retired($1, fv.id)  -- #17: a retired version takes no new visits
        ORDER BY fv.version DESC LIMIT 1) AS published_version_id
FROM forms f WHERE f.key = $2 AND (f.org_id = $1 OR f.org_id IS NULL)
ORDER BY f.org_id NULLS LAST LIMIT 1
"""


async def form_by_key(conn: asyncpg.Connection, org_id: UUID, key: str) -> FormRow | None:
    return row_to(FormRow, await conn.fetchrow(FORM_BY_KEY, org_id, key))


VISIBLE_REGION: Final = "SELECT $4::uuid IN (SELECT visible_region_ids($1, $2, $3))"


async def region_visible(conn: asyncpg.Connection, p: Principal, region_id: UUID) -> bool:
    return bool(await conn.fetchval(VISIBLE_REGION, *_scope(p), region_id))


class BranchPick(msgspec.Struct, frozen=True):
    id: UUID
    code: str
    active: bool


VISIBLE_BRANCHES_BY_ID: Final = """
SELECT b.id, b.code, b.active FROM branches b
WHERE b.org_id = $1 AND b.id = ANY($4::uuid[]) AND b.id IN (SELECT visible_branch_ids($1, $2, $3))
"""


async def visible_branches_by_id(conn: asyncpg.Connection, p: Principal, ids: list[UUID]) -> list[BranchPick]:
    return rows_to(BranchPick, await conn.fetch(VISIBLE_BRANCHES_BY_ID, *_scope(p), ids))


VISIBLE_BRANCHES_BY_CODE: Final = """
SELECT b.id, b.code, b.active FROM branches b
WHERE b.org_id = $1 AND b.code = ANY($4::text[]) AND b.id IN (SELECT visible_branch_ids($1, $2, $3))
"""


async def visible_branches_by_code(conn: asyncpg.Connection, p: Principal, codes: list[str]) -> list[BranchPick]:
    return rows_to(BranchPick, await conn.fetch(VISIBLE_BRANCHES_BY_CODE, *_scope(p), codes))


INSERT_PROGRAMME: Final = """
INSERT INTO programmes (org_id, name, form_id, mode, branch_rule, region_id, period_kind, visits_per_period,
                        days_of_week, window_start_time, window_end_time, starts_on, ends_on,
                        inspector_cap_per_period, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::smallint[], $10, $11, $12, $13, $14, $15)
RETURNING id
"""


async def insert_programme(conn: asyncpg.Connection, org_id: UUID, created_by: UUID, values: dict) -> UUID:
    return await conn.fetchval(
        INSERT_PROGRAMME, org_id, values["name"], values["form_id"], values["mode"], values["branch_rule"],
        values["region_id"], values["period_kind"], values["visits_per_period"], values["days_of_week"],
        values["window_start_time"], values["window_end_time"], values["starts_on"], values["ends_on"],
        values["inspector_cap_per_period"], created_by,
    )


DELETE_BRANCHES: Final = "DELETE FROM programme_branches WHERE org_id = $1 AND programme_id = $2"
INSERT_BRANCHES: Final = """
INSERT INTO programme_branches (org_id, programme_id, branch_id) SELECT $1, $2, unnest($3::uuid[])
"""


async def replace_branches(conn: asyncpg.Connection, org_id: UUID, programme_id: UUID, ids: list[UUID]) -> None:
    # Two statements: a DELETE and an INSERT of one statement would see the same snapshot.
    await conn.execute(DELETE_BRANCHES, org_id, programme_id)
    await conn.execute(INSERT_BRANCHES, org_id, programme_id, ids)


UPDATE_PROGRAMME: Final = """
UPDATE programmes SET name = $2, visits_per_period = $3, days_of_week = $4::smallint[],
       window_start_time = $5, window_end_time = $6, ends_on = $7, inspector_cap_per_period = $8,
       branch_rule = $9, region_id = $10, updated_at = now()
WHERE id = $1
"""


async def update_programme(conn: asyncpg.Connection, programme_id: UUID, values: dict) -> None:
    await conn.execute(
        UPDATE_PROGRAMME, programme_id, values["name"], values["visits_per_period"], values["days_of_week"],
        values["window_start_time"], values["window_end_time"], values["ends_on"],
        values["inspector_cap_per_period"], values["branch_rule"], values["region_id"],
    )


SET_STATUS: Final = """
UPDATE programmes SET status = $2, paused_at = CASE WHEN $2 = 'paused' THEN now() END, updated_at = now()
WHERE id = $1 AND status <> $2
RETURNING id
"""


async def set_status(conn: asyncpg.Connection, programme_id: UUID, status: str) -> bool:
    return await conn.fetchval(SET_STATUS, programme_id, status) is not None


PAUSED_AT: Final = "SELECT paused_at FROM programmes WHERE id = $1"


async def paused_at(conn: asyncpg.Connection, programme_id: UUID) -> datetime | None:
    return await conn.fetchval(PAUSED_AT, programme_id)


# A pause gives up the open (unassigned) occurrences whose window has not ended: all cancelled at the
# pause's own moment (now() of its transaction = paused_at), so a resume can tell them apart.
CANCEL_OPEN_OCCURRENCES: Final = """
UPDATE visits SET status = 'cancelled', cancelled_at = now(), cancelled_by = $2
WHERE programme_id = $1 AND inspector_id IS NULL AND status = 'scheduled' AND window_end > now()
RETURNING id
"""


async def cancel_open_occurrences(conn: asyncpg.Connection, programme_id: UUID, by: UUID) -> list[UUID]:
    return [r["id"] for r in await conn.fetch(CANCEL_OPEN_OCCURRENCES, programme_id, by)]


REOPEN_PAUSED_OCCURRENCES: Final = """
UPDATE visits SET status = 'scheduled', cancelled_at = NULL, cancelled_by = NULL
WHERE programme_id = $1 AND inspector_id IS NULL AND status = 'cancelled' AND cancelled_at = $2
  AND window_end > now()
RETURNING id
"""


async def reopen_paused_occurrences(conn: asyncpg.Connection, programme_id: UUID, paused: datetime) -> list[UUID]:
    return [r["id"] for r in await conn.fetch(REOPEN_PAUSED_OCCURRENCES, programme_id, paused)]


# ---- generation --------------------------------------------------------------------------------


class GenerationSource(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    org_id: UUID
    form_id: UUID
    mode: str
    branch_rule: str
    region_id: UUID | None
    period_kind: str
    visits_per_period: int
    days_of_week: list[int]
    window_start_time: str
    window_end_time: str
    starts_on: date
    ends_on: date | None
    created_by: UUID
    version_id: UUID | None  # the latest published version of the form


_SOURCE_SELECT: Final = """
SELECT p.id, p.org_id, p.form_id, p.mode, p.branch_rule, p.region_id, p.period_kind, p.visits_per_period,
       p.days_of_week::int[] AS days_of_week, to_char(p.window_start_time, 'HH24:MI') AS window_start_time,
       to_char(p.window_end_time, 'HH24:MI') AS window_end_time, p.starts_on, p.ends_on, p.created_by,
       (SELECT fv.id FROM form_versions fv WHERE fv.form_id = p.form_id AND fv.status = 'published'
          AND NOT form_version_retired(p.org_id, fv.id)  -- #17: a retired version takes no new visits
        ORDER BY fv.version DESC LIMIT 1) AS version_id
FROM programmes p
"""
GENERATION_SOURCE: Final = f"{_SOURCE_SELECT} WHERE p.id = $1"
ACTIVE_SOURCES: Final = f"""
{_SOURCE_SELECT}
WHERE p.status = 'active' AND (p.ends_on IS NULL OR p.ends_on >= $1::date)
ORDER BY p.id
FOR UPDATE OF p SKIP LOCKED
"""


async def generation_source(conn: asyncpg.Connection, programme_id: UUID) -> GenerationSource | None:
    return row_to(GenerationSource, await conn.fetchrow(GENERATION_SOURCE, programme_id))


async def active_sources(conn: asyncpg.Connection, today: date) -> list[GenerationSource]:
    return rows_to(GenerationSource, await conn.fetch(ACTIVE_SOURCES, today))


class BranchZone(msgspec.Struct, frozen=True):
    id: UUID
    timezone: str


PROGRAMME_BRANCHES: Final = """
SELECT b.id, b.timezone FROM branches b
WHERE b.org_id = $1 AND b.active AND (
    ($2 = 'region' AND b.region_id = $3)
    OR ($2 = 'list' AND b.id IN (SELECT pb.branch_id FROM programme_branches pb
                                  WHERE pb.org_id = $1 AND pb.programme_id = $4)))
ORDER BY b.code
"""


async def programme_branches(conn: asyncpg.Connection, s: GenerationSource) -> list[BranchZone]:
    return rows_to(BranchZone, await conn.fetch(PROGRAMME_BRANCHES, s.org_id, s.branch_rule, s.region_id, s.id))


INSERT_OCCURRENCES: Final = """
INSERT INTO visits (org_id, branch_id, form_version_id, inspector_id, mode, window_start, window_end, created_by,
                    programme_id, period_start, occurrence_n)
SELECT $1, o.branch_id, $2, NULL, $3, o.window_start, o.window_end, $4, $5, o.period_start, o.n
FROM unnest($6::uuid[], $7::date[], $8::int[], $9::timestamptz[], $10::timestamptz[])
     AS o (branch_id, period_start, n, window_start, window_end)
ON CONFLICT (org_id, programme_id, branch_id, period_start, occurrence_n) WHERE programme_id IS NOT NULL DO NOTHING
RETURNING id
"""


async def insert_occurrences(
    conn: asyncpg.Connection, s: GenerationSource, version_id: UUID,
    rows: list[tuple[UUID, date, int, datetime, datetime]],
) -> list[UUID]:
    if not rows:
        return []
    columns = list(zip(*rows, strict=True))
    inserted = await conn.fetch(INSERT_OCCURRENCES, s.org_id, version_id, s.mode, s.created_by, s.id,
                                *[list(c) for c in columns])
    return [r["id"] for r in inserted]


# ---- occurrences -------------------------------------------------------------------------------

_BRANCH_BRIEF: Final = ("jsonb_build_object('id', b.id, 'code', b.code, 'name_zh', b.name_zh, "
                        "'name_en', b.name_en, 'timezone', b.timezone)")
_OCCURRENCE_SELECT: Final = f"""
SELECT v.id, v.programme_id, {_BRANCH_BRIEF} AS branch, v.period_start, v.occurrence_n AS n, v.mode,
       v.form_version_id, v.window_start, v.window_end, v.status,
       CASE WHEN u.id IS NULL THEN NULL
            ELSE jsonb_build_object('id', u.id, 'display_name', u.display_name) END AS inspector,
       v.assigned_at, v.missed_at
FROM visits v JOIN branches b ON b.org_id = v.org_id AND b.id = v.branch_id
LEFT JOIN users u ON u.org_id = v.org_id AND u.id = v.inspector_id
"""
_VISIBLE_OCCURRENCE: Final = """
v.org_id = $1 AND v.programme_id IS NOT NULL AND $3 IN ('admin', 'regional_lead')
AND v.branch_id IN (SELECT visible_branch_ids($1, $2, $3))"""

OCCURRENCES_BY_ID: Final = f"{_OCCURRENCE_SELECT} WHERE v.id = ANY($1::uuid[]) ORDER BY v.window_start, v.id"


async def occurrences_by_id(conn: asyncpg.Connection, ids: list[UUID]) -> list[OccurrenceOut]:
    """Unscoped: for event payloads of rows the caller just wrote."""
    return rows_to(OccurrenceOut, await conn.fetch(OCCURRENCES_BY_ID, ids))


LIST_OCCURRENCES: Final = f"""
{_OCCURRENCE_SELECT}
WHERE {_VISIBLE_OCCURRENCE} AND v.programme_id = $4
  AND ($5::text IS NULL OR v.status = $5)
  AND ($6::date IS NULL OR v.period_start = $6)
  AND ($7::boolean IS NULL OR (v.inspector_id IS NULL) = $7)
ORDER BY v.window_start, v.id
LIMIT $8 OFFSET $9
"""


async def list_occurrences(
    conn: asyncpg.Connection, p: Principal, programme_id: UUID, status: str | None, period: date | None,
    unassigned: bool | None, limit: int, offset: int,
) -> list[OccurrenceOut]:
    rows = await conn.fetch(LIST_OCCURRENCES, *_scope(p), programme_id, status, period, unassigned, limit, offset)
    return rows_to(OccurrenceOut, rows)


class LockedOccurrence(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    org_id: UUID
    branch_id: UUID
    inspector_id: UUID | None
    status: str
    mode: str
    window_start: datetime
    window_end: datetime
    period_start: date
    programme_id: UUID
    programme_status: str
    cap: int | None


_LOCK_OCCURRENCE: Final = """
SELECT v.id, v.org_id, v.branch_id, v.inspector_id, v.status, v.mode, v.window_start, v.window_end,
       v.period_start, v.programme_id, p.status AS programme_status, p.inspector_cap_per_period AS cap
FROM visits v JOIN programmes p ON p.org_id = v.org_id AND p.id = v.programme_id
"""
LOCK_SCOPED_OCCURRENCE: Final = f"{_LOCK_OCCURRENCE} WHERE {_VISIBLE_OCCURRENCE} AND v.id = $4 FOR UPDATE OF v"
LOCK_ORG_OCCURRENCE: Final = f"{_LOCK_OCCURRENCE} WHERE v.org_id = $1 AND v.id = $2 FOR UPDATE OF v"


async def lock_scoped_occurrence(conn: asyncpg.Connection, p: Principal, visit_id: UUID) -> LockedOccurrence | None:
    return row_to(LockedOccurrence, await conn.fetchrow(LOCK_SCOPED_OCCURRENCE, *_scope(p), visit_id))


async def lock_org_occurrence(conn: asyncpg.Connection, org_id: UUID, visit_id: UUID) -> LockedOccurrence | None:
    return row_to(LockedOccurrence, await conn.fetchrow(LOCK_ORG_OCCURRENCE, org_id, visit_id))


class InspectorRow(msgspec.Struct, frozen=True):
    id: UUID
    role: str
    active: bool


# Serialises everything that gives one inspector a visit (also visits' own scheduling locks this row):
# two concurrent claims cannot both pass the revisit rule or the cap.
LOCK_INSPECTOR: Final = "SELECT id, role, active FROM users WHERE org_id = $1 AND id = $2 FOR NO KEY UPDATE"


async def lock_inspector(conn: asyncpg.Connection, org_id: UUID, user_id: UUID) -> InspectorRow | None:
    return row_to(InspectorRow, await conn.fetchrow(LOCK_INSPECTOR, org_id, user_id))


class RevisitConflict(msgspec.Struct, frozen=True):
    id: UUID
    mode: str
    window_start: datetime


# Another non-cancelled visit of the inspector at the branch that clashes with this occurrence under the
# mystery revisit rule (the rule itself: visits/sql/mystery_revisit_clash.sql).
REVISIT_CONFLICT: Final = """
SELECT o.id, o.mode, o.window_start FROM visits o
WHERE o.org_id = $1 AND o.inspector_id = $2 AND o.branch_id = $3 AND o.status <> 'cancelled' AND o.id <> $8
  AND mystery_revisit_clash($6, $4::timestamptz, $5::timestamptz, o.mode, o.window_start, o.window_end, $7)
ORDER BY o.window_start LIMIT 1
"""


async def revisit_conflict(
    conn: asyncpg.Connection, o: LockedOccurrence, inspector_id: UUID, days: int
) -> RevisitConflict | None:
    row = await conn.fetchrow(REVISIT_CONFLICT, o.org_id, inspector_id, o.branch_id, o.window_start, o.window_end,
                              o.mode, days, o.id)
    return row_to(RevisitConflict, row)


CAP_USED: Final = """
SELECT count(*) FROM visits
WHERE programme_id = $1 AND period_start = $2 AND inspector_id = $3 AND status <> 'cancelled' AND id <> $4
"""


async def cap_used(conn: asyncpg.Connection, o: LockedOccurrence, inspector_id: UUID) -> int:
    return int(await conn.fetchval(CAP_USED, o.programme_id, o.period_start, inspector_id, o.id))


ASSIGN: Final = "UPDATE visits SET inspector_id = $2, assigned_at = $3 WHERE id = $1"


async def assign(conn: asyncpg.Connection, visit_id: UUID, inspector_id: UUID, at: datetime) -> None:
    await conn.execute(ASSIGN, visit_id, inspector_id, at)


# ---- the job board -----------------------------------------------------------------------------

_JOB_BRANCH: Final = ("jsonb_build_object('id', b.id, 'code', b.code, 'name_zh', b.name_zh, 'name_en', b.name_en, "
                      "'timezone', b.timezone, 'address', b.address, 'latitude', b.latitude, "
                      "'longitude', b.longitude)")
_JOB_FORM: Final = ("jsonb_build_object('key', f.key, 'version', fv.version, "
                    "'title_zh', fv.document->'title'->>'zh', 'title_en', fv.document->'title'->>'en')")

# $1 org, $2 inspector, $3 now, $4 mystery_revisit_days (0 = off): open occurrences of active programmes
# at active branches that the inspector may claim under the revisit rule and the programme's cap. The
# inspector's own visits (a few hundred at most) are read once (`mine`) and every open occurrence is checked
# against them: a correlated count over the programme's visits per row was quadratic (30 s for 16,000 open
# occurrences).
JOB_BOARD: Final = f"""
WITH me AS (
    SELECT id FROM users WHERE id = $2 AND org_id = $1 AND role = 'inspector' AND active
), mine AS MATERIALIZED (
    SELECT o.branch_id, o.mode, o.window_start, o.window_end, o.programme_id, o.period_start
    FROM visits o JOIN me ON o.inspector_id = me.id
    WHERE o.org_id = $1 AND o.status <> 'cancelled'
), taken AS (
    SELECT programme_id, period_start, count(*) AS n FROM mine WHERE programme_id IS NOT NULL
    GROUP BY programme_id, period_start
)
SELECT v.id, v.mode, v.window_start, v.window_end, {_JOB_BRANCH} AS branch, {_JOB_FORM} AS form
FROM visits v
JOIN me ON true
JOIN programmes p ON p.org_id = v.org_id AND p.id = v.programme_id AND p.status = 'active'
JOIN branches b ON b.org_id = v.org_id AND b.id = v.branch_id AND b.active
JOIN form_versions fv ON fv.id = v.form_version_id JOIN forms f ON f.id = fv.form_id
LEFT JOIN taken t ON t.programme_id = v.programme_id AND t.period_start = v.period_start
WHERE v.org_id = $1 AND v.inspector_id IS NULL AND v.status = 'scheduled' AND v.window_end > $3
  AND ($4 = 0 OR NOT EXISTS (
      SELECT 1 FROM mine o
      WHERE o.branch_id = v.branch_id
        AND mystery_revisit_clash(v.mode, v.window_start, v.window_end, o.mode, o.window_start, o.window_end, $4)))
  AND (p.inspector_cap_per_period IS NULL OR coalesce(t.n, 0) < p.inspector_cap_per_period)
  AND ($5::timestamptz IS NULL OR v.window_end > $5)
  AND ($6::timestamptz IS NULL OR v.window_start < $6)
ORDER BY v.window_start, v.id
LIMIT $7 OFFSET $8
"""


async def job_board(
    conn: asyncpg.Connection, p: Principal, now: datetime, revisit_days: int, window_from: datetime | None,
    window_to: datetime | None, limit: int, offset: int,
) -> list[JobOut]:
    rows = await conn.fetch(JOB_BOARD, p.org_id, p.user_id, now, revisit_days, window_from, window_to, limit, offset)
    return rows_to(JobOut, rows)


CLAIMED: Final = f"""
SELECT v.id, v.status, v.mode, v.window_start, v.window_end, {_JOB_BRANCH} AS branch, {_JOB_FORM} AS form,
       v.form_version_id
FROM visits v JOIN branches b ON b.org_id = v.org_id AND b.id = v.branch_id
JOIN form_versions fv ON fv.id = v.form_version_id JOIN forms f ON f.id = fv.form_id
WHERE v.id = $1
"""


async def claimed(conn: asyncpg.Connection, visit_id: UUID) -> ClaimOut:
    return rows_to(ClaimOut, [await conn.fetchrow(CLAIMED, visit_id)])[0]


# ---- missed ------------------------------------------------------------------------------------


class MissedVisit(msgspec.Struct, frozen=True, kw_only=True):
    """The `visit.missed` event's payload (admins and regional leads only)."""

    id: UUID
    org_id: UUID
    branch_id: UUID
    programme_id: UUID | None
    inspector_id: UUID | None  # None: nobody took the occurrence
    mode: str
    window_start: datetime
    window_end: datetime
    missed_at: datetime


# Bounded per run (the job runs again); SKIP LOCKED: a visit an intake is writing right now is left to it.
MARK_MISSED: Final = """
WITH due AS (
    SELECT v.id FROM visits v WHERE v.status = 'scheduled' AND v.window_end <= $1
    ORDER BY v.window_end LIMIT $2 FOR UPDATE SKIP LOCKED
)
UPDATE visits v SET status = 'missed', missed_at = $1 FROM due WHERE v.id = due.id
RETURNING v.id, v.org_id, v.branch_id, v.programme_id, v.inspector_id, v.mode, v.window_start, v.window_end,
          v.missed_at
"""


async def mark_missed(conn: asyncpg.Connection, now: datetime, limit: int) -> list[MissedVisit]:
    return rows_to(MissedVisit, await conn.fetch(MARK_MISSED, now, limit))


# ---- workload and coverage ----------------------------------------------------------------------

_WORKLOAD_WHERE: Final = """
v.org_id = $1 AND v.inspector_id IS NOT NULL AND v.status <> 'cancelled' AND (
    ($3 IN ('admin', 'regional_lead') AND v.branch_id IN (SELECT visible_branch_ids($1, $2, $3)))
    OR ($3 = 'inspector' AND v.inspector_id = $2))
  AND ($5::uuid IS NULL OR v.inspector_id = $5)
  AND ($6::uuid IS NULL OR v.programme_id = $6)
  AND ($7::timestamptz IS NULL OR v.window_end > $7)
  AND ($8::timestamptz IS NULL OR v.window_start < $8)"""

WORKLOAD: Final = f"""
SELECT jsonb_build_object('id', u.id, 'display_name', u.display_name) AS inspector,
       count(*) FILTER (WHERE v.status = 'scheduled' AND v.window_end > $4) AS upcoming,
       count(*) FILTER (WHERE v.status = 'scheduled' AND v.window_end <= $4) AS overdue,
       count(*) FILTER (WHERE v.status = 'missed') AS missed,
       count(*) FILTER (WHERE v.status = 'submitted') AS completed
FROM visits v JOIN users u ON u.org_id = v.org_id AND u.id = v.inspector_id
WHERE {_WORKLOAD_WHERE}
GROUP BY u.id, u.display_name
ORDER BY u.display_name, u.id
LIMIT $9 OFFSET $10
"""

WORK_ITEMS: Final = f"""
SELECT v.id,
       CASE WHEN v.status = 'submitted' THEN 'completed' WHEN v.status = 'missed' THEN 'missed'
            WHEN v.window_end <= $4 THEN 'overdue' ELSE 'upcoming' END AS bucket,
       v.status, v.programme_id, {_BRANCH_BRIEF} AS branch, v.window_start, v.window_end
FROM visits v JOIN branches b ON b.org_id = v.org_id AND b.id = v.branch_id
WHERE {_WORKLOAD_WHERE}
ORDER BY v.window_start, v.id
LIMIT $9
"""


class WorkloadFilters(msgspec.Struct, frozen=True, kw_only=True):
    inspector_id: UUID | None = None
    programme_id: UUID | None = None
    window_from: datetime | None = None
    window_to: datetime | None = None
    limit: int = 200
    offset: int = 0


def _workload_args(p: Principal, now: datetime, f: WorkloadFilters) -> tuple:
    return (*_scope(p), now, f.inspector_id, f.programme_id, f.window_from, f.window_to)


async def workload(conn: asyncpg.Connection, p: Principal, now: datetime, f: WorkloadFilters) -> list[WorkloadRow]:
    return rows_to(WorkloadRow, await conn.fetch(WORKLOAD, *_workload_args(p, now, f), f.limit, f.offset))


async def work_items(
    conn: asyncpg.Connection, p: Principal, now: datetime, f: WorkloadFilters, limit: int
) -> list[WorkItem]:
    return rows_to(WorkItem, await conn.fetch(WORK_ITEMS, *_workload_args(p, now, f), limit))


COVERAGE: Final = f"""
SELECT {_BRANCH_BRIEF} AS branch,
       count(*) FILTER (WHERE v.status <> 'cancelled') AS planned,
       count(*) FILTER (WHERE v.status = 'scheduled' AND v.inspector_id IS NULL AND v.window_end > $6) AS open,
       count(*) FILTER (WHERE v.status = 'scheduled' AND v.inspector_id IS NOT NULL AND v.window_end > $6)
           AS assigned,
       count(*) FILTER (WHERE v.status = 'scheduled' AND v.window_end <= $6) AS overdue,
       count(*) FILTER (WHERE v.status = 'submitted') AS completed,
       count(*) FILTER (WHERE v.status = 'missed') AS missed
FROM visits v JOIN branches b ON b.org_id = v.org_id AND b.id = v.branch_id
WHERE {_VISIBLE_OCCURRENCE} AND v.programme_id = $4 AND v.period_start = $5
GROUP BY b.id, b.code, b.name_zh, b.name_en, b.timezone
ORDER BY b.code
"""


async def coverage(
    conn: asyncpg.Connection, p: Principal, programme_id: UUID, period: date, now: datetime
) -> list[CoverageRow]:
    return rows_to(CoverageRow, await conn.fetch(COVERAGE, *_scope(p), programme_id, period, now))


# $4 now, $5 form key or NULL, $6..$7 the period [start, end) as the branch's local dates of window_start.
SCOPE_COVERAGE: Final = f"""
SELECT {_BRANCH_BRIEF} AS branch,
       count(*) FILTER (WHERE v.status <> 'cancelled') AS planned,
       count(*) FILTER (WHERE v.status = 'scheduled' AND v.inspector_id IS NULL AND v.window_end > $4) AS open,
       count(*) FILTER (WHERE v.status = 'scheduled' AND v.inspector_id IS NOT NULL AND v.window_end > $4)
           AS assigned,
       count(*) FILTER (WHERE v.status = 'scheduled' AND v.window_end <= $4) AS overdue,
       count(*) FILTER (WHERE v.status = 'submitted') AS completed,
       count(*) FILTER (WHERE v.status = 'missed') AS missed
FROM visits v JOIN branches b ON b.org_id = v.org_id AND b.id = v.branch_id
JOIN form_versions fv ON fv.id = v.form_version_id JOIN forms f ON f.id = fv.form_id
WHERE v.org_id = $1 AND $3 IN ('admin', 'regional_lead') AND v.branch_id IN (SELECT visible_branch_ids($1, $2, $3))
  AND ($5::text IS NULL OR f.key = $5)
  AND (v.window_start AT TIME ZONE b.timezone)::date >= $6 AND (v.window_start AT TIME ZONE b.timezone)::date < $7
  AND ($8::uuid IS NULL OR b.region_id = $8)
GROUP BY b.id, b.code, b.name_zh, b.name_en, b.timezone
ORDER BY b.code, b.id
LIMIT $9 OFFSET $10
"""


async def scope_coverage(
    conn: asyncpg.Connection, p: Principal, now: datetime, form_key: str | None, start: date, end: date,
    region_id: UUID | None, limit: int, offset: int,
) -> list[CoverageRow]:
    rows = await conn.fetch(SCOPE_COVERAGE, *_scope(p), now, form_key, start, end, region_id, limit, offset)
    return rows_to(CoverageRow, rows)
