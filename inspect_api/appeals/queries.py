"""SQL for appeals, one typed function per statement.

Scope: an appeal is seen by whoever sees its branch (visible_branch_ids: admin the org, a regional lead
their regions, a reviewer its regions or the org, a branch manager their branches); out of scope and
unknown look the same (no row). Appeals exist only for released results.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.forms.scoring import ScoreCard
from inspect_api.storage.db import row_to, rows_to


class AppealRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    submission_id: UUID
    branch_id: UUID
    branch_code: str
    branch_name_zh: str
    branch_name_en: str
    form_key: str
    visited_on: date
    item_key: str | None
    status: str
    reason: str
    evidence_photo_ids: list[UUID]
    opened_by: UUID
    opened_by_name: str
    opened_at: datetime
    decided_by: UUID | None
    decided_by_name: str | None
    decided_at: datetime | None
    decision_reason: str | None
    disputed_revision: int
    disputed_total: float | None
    disputed_passed: bool
    disputed_item_status: str | None
    corrected_revision: int | None
    corrected_total: float | None
    corrected_passed: bool | None
    corrected_item_status: str | None


class AppealTarget(msgspec.Struct, frozen=True, kw_only=True):
    """A released submission of the caller's branches, as an appeal needs it."""

    id: UUID
    branch_id: UUID
    current_revision: int
    score_card: ScoreCard


class LockedAppeal(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    submission_id: UUID
    branch_id: UUID
    item_key: str | None
    status: str


class ListFilters(msgspec.Struct, frozen=True, kw_only=True):
    status: str | None = None
    branch_id: UUID | None = None
    submission_id: UUID | None = None


SCOPE: Final = "a.org_id = $1 AND a.branch_id IN (SELECT visible_branch_ids($1, $2, $3)) AND s.status = 'released'"

_ITEM_STATUS: Final = "(SELECT i ->> 'status' FROM jsonb_array_elements({r}.score_card -> 'items') i " \
                      "WHERE i ->> 'key' = a.item_key)"

_COLUMNS: Final = f"""
a.id, a.submission_id, a.branch_id, b.code AS branch_code, b.name_zh AS branch_name_zh,
b.name_en AS branch_name_en, f.key AS form_key, s.visited_on, a.item_key, a.status, a.reason,
ARRAY(SELECT ap.photo_id FROM appeal_photos ap WHERE ap.org_id = a.org_id AND ap.appeal_id = a.id
      ORDER BY ap.photo_id) AS evidence_photo_ids,
a.opened_by, ou.display_name AS opened_by_name, a.opened_at,
a.decided_by, du.display_name AS decided_by_name, a.decided_at, a.decision_reason,
a.disputed_revision, (dr.score_card ->> 'total_percent')::float8 AS disputed_total,
(dr.score_card ->> 'passed')::boolean AS disputed_passed, {_ITEM_STATUS.format(r="dr")} AS disputed_item_status,
a.corrected_revision, (cr.score_card ->> 'total_percent')::float8 AS corrected_total,
(cr.score_card ->> 'passed')::boolean AS corrected_passed, {_ITEM_STATUS.format(r="cr")} AS corrected_item_status
"""
# The appeal's submission through its key row (one probe of submission_keys) and then the one month
# partition that holds it; its revisions live in the same month (migrations/0052). `LIMIT 1` keeps each a
# per-row lookup, so the executor prunes to the month k.visited_on names (as actions/queries.py JOINS).
# Joined by id alone, each appeal probed every month's index (28 at two years), or the planner hashed
# every month whole: tests/integration/test_appeal_plans.py.
_JOINS: Final = """
FROM appeals a
JOIN submission_keys k ON k.org_id = a.org_id AND k.submission_id = a.submission_id
CROSS JOIN LATERAL (SELECT s.visited_on, s.status, s.form_version_id FROM submissions s
                    WHERE s.org_id = k.org_id AND s.id = k.submission_id AND s.visited_on = k.visited_on
                    LIMIT 1) s
JOIN branches b ON b.org_id = a.org_id AND b.id = a.branch_id
JOIN form_versions fv ON fv.id = s.form_version_id
JOIN forms f ON f.id = fv.form_id
JOIN users ou ON ou.org_id = a.org_id AND ou.id = a.opened_by
LEFT JOIN users du ON du.org_id = a.org_id AND du.id = a.decided_by
CROSS JOIN LATERAL (SELECT dr.score_card FROM submission_revisions dr
                    WHERE dr.org_id = k.org_id AND dr.submission_id = k.submission_id
                      AND dr.visited_on = k.visited_on AND dr.revision = a.disputed_revision
                    LIMIT 1) dr
LEFT JOIN LATERAL (SELECT cr.score_card FROM submission_revisions cr
                   WHERE cr.org_id = k.org_id AND cr.submission_id = k.submission_id
                     AND cr.visited_on = k.visited_on AND cr.revision = a.corrected_revision
                   LIMIT 1) cr ON true
"""

SELECT_APPEAL: Final = f"SELECT {_COLUMNS} {_JOINS} WHERE a.id = $4 AND {SCOPE}"

SELECT_APPEALS: Final = f"""
SELECT {_COLUMNS} {_JOINS}
WHERE {SCOPE}
  AND ($4::text IS NULL OR a.status = $4)
  AND ($5::uuid IS NULL OR a.branch_id = $5)
  AND ($6::uuid IS NULL OR a.submission_id = $6)
ORDER BY a.opened_at DESC, a.id
LIMIT $7 OFFSET $8
"""

SELECT_DISPUTED_CARD: Final = f"SELECT dr.score_card {_JOINS} WHERE a.id = $4 AND {SCOPE}"

# The submission and its current revision from the one month its key row names (as _JOINS).
SELECT_TARGET: Final = """
SELECT s.id, s.branch_id, s.current_revision, r.score_card
FROM submission_keys k
CROSS JOIN LATERAL (SELECT s.id, s.branch_id, s.current_revision, s.status FROM submissions s
                    WHERE s.org_id = k.org_id AND s.id = k.submission_id AND s.visited_on = k.visited_on
                    LIMIT 1) s
CROSS JOIN LATERAL (SELECT r.score_card FROM submission_revisions r
                    WHERE r.org_id = k.org_id AND r.submission_id = k.submission_id
                      AND r.visited_on = k.visited_on AND r.revision = s.current_revision
                    LIMIT 1) r
WHERE k.org_id = $1 AND k.submission_id = $4 AND s.status = 'released'
  AND s.branch_id IN (SELECT visible_branch_ids($1, $2, $3))
"""

SELECT_OPEN_APPEAL: Final = """
SELECT id FROM appeals
WHERE org_id = $3 AND submission_id = $1 AND coalesce(item_key, '') = coalesce($2, '') AND status = 'open'
"""

INSERT_APPEAL: Final = """
INSERT INTO appeals (org_id, submission_id, branch_id, item_key, reason, opened_by, disputed_revision)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id
"""

INSERT_PHOTOS: Final = """
INSERT INTO appeal_photos (org_id, appeal_id, photo_id) SELECT $3, $1, unnest($2::uuid[])
"""

# The key row stands for the submission (its foreign key holds it to one): no probe of every month.
LOCK_APPEAL: Final = """
SELECT a.id, a.submission_id, a.branch_id, a.item_key, a.status
FROM appeals a JOIN submission_keys k ON k.org_id = a.org_id AND k.submission_id = a.submission_id
WHERE a.id = $4 AND a.org_id = $1 AND a.branch_id IN (SELECT visible_branch_ids($1, $2, $3))
FOR UPDATE OF a
"""

DECIDE: Final = """
UPDATE appeals SET status = $2, decided_by = $3, decided_at = now(), decision_reason = $4, corrected_revision = $5
WHERE org_id = $6 AND id = $1 AND status = 'open'
RETURNING id
"""

ONE_OPEN_CONSTRAINT: Final = "appeals_one_open_key"


async def appeal(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, role: str, appeal_id: UUID) -> AppealRow | None:
    return row_to(AppealRow, await conn.fetchrow(SELECT_APPEAL, org_id, user_id, role, appeal_id))


async def appeals(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, role: str, filters: ListFilters, limit: int, offset: int
) -> list[AppealRow]:
    rows = await conn.fetch(SELECT_APPEALS, org_id, user_id, role, filters.status, filters.branch_id,
                            filters.submission_id, limit, offset)
    return rows_to(AppealRow, rows)


async def disputed_card(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, role: str,
                        appeal_id: UUID) -> ScoreCard | None:
    value = await conn.fetchval(SELECT_DISPUTED_CARD, org_id, user_id, role, appeal_id)
    return None if value is None else msgspec.convert(value, ScoreCard)


async def target(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, role: str,
                 submission_id: UUID) -> AppealTarget | None:
    return row_to(AppealTarget, await conn.fetchrow(SELECT_TARGET, org_id, user_id, role, submission_id))


async def open_appeal_id(
    conn: asyncpg.Connection, org_id: UUID, submission_id: UUID, item_key: str | None
) -> UUID | None:
    return await conn.fetchval(SELECT_OPEN_APPEAL, submission_id, item_key, org_id)


async def insert_appeal(conn: asyncpg.Connection, org_id: UUID, submission_id: UUID, branch_id: UUID,
                        item_key: str | None, reason: str, opened_by: UUID, revision: int) -> UUID:
    return await conn.fetchval(INSERT_APPEAL, org_id, submission_id, branch_id, item_key, reason, opened_by, revision)


async def insert_photos(conn: asyncpg.Connection, org_id: UUID, appeal_id: UUID, photo_ids: list[UUID]) -> None:
    if photo_ids:
        await conn.execute(INSERT_PHOTOS, appeal_id, photo_ids, org_id)


async def lock_appeal(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, role: str,
                      appeal_id: UUID) -> LockedAppeal | None:
    return row_to(LockedAppeal, await conn.fetchrow(LOCK_APPEAL, org_id, user_id, role, appeal_id))


async def decide(conn: asyncpg.Connection, org_id: UUID, appeal_id: UUID, status: str, decided_by: UUID,
                 reason: str | None, corrected_revision: int | None) -> bool:
    return await conn.fetchval(DECIDE, appeal_id, status, decided_by, reason, corrected_revision,
                               org_id) is not None
