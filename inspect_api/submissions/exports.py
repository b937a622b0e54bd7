"""GET /exports/submissions.csv and .xlsx: submissions of a form with their item scores, scoped like the API
(SCOPE: released only for leads and managers), never the inspector, exact times or GPS. Item scores
come from each current revision's score card, so QA sees unreleased results the same way. The xlsx has
the CSV's columns and rows (inspect_api/exports.py: constant memory, at most EXPORT_XLSX_MAX_ROWS rows)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date
from typing import Any, Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.auth.principal import Principal
from inspect_api.errors import NotFound
from inspect_api.exports import XLSX_MAX_ROWS, query_csv, query_xlsx
from inspect_api.submissions.queries import SCOPE

# Every published document of the form key the org uses, newest (and the org's own) first.
SELECT_DOCUMENTS: Final = """
SELECT fv.document FROM form_versions fv JOIN forms f ON f.id = fv.form_id
WHERE f.key = $2 AND (f.org_id = $1 OR f.org_id IS NULL) AND fv.status = 'published'
ORDER BY f.org_id NULLS LAST, fv.version DESC
"""

# No inspector, no exact times, no GPS: the same columns for every role.
SELECT_SUBMISSIONS_EXPORT: Final = f"""
SELECT s.id, s.visited_on, b.code AS branch_code, b.name_zh AS branch_name_zh, b.name_en AS branch_name_en,
       rg.code AS region_code, f.key AS form_key, fv.version AS form_version, s.status,
       s.total_percent::float8 AS total_percent, s.passed,
       (SELECT jsonb_object_agg(i.key, jsonb_build_array(i.status, i.earned, i.possible))
        FROM jsonb_to_recordset(r.score_card -> 'items') AS i (key text, status text, earned float8, possible float8)
       ) AS items
FROM submissions s
JOIN submission_revisions r ON r.org_id = s.org_id AND r.visited_on = s.visited_on
                          AND r.submission_id = s.id AND r.revision = s.current_revision
                          -- the dates again, for the revisions' months (the join alone does not prune them)
                          AND ($5::date IS NULL OR r.visited_on >= $5) AND ($6::date IS NULL OR r.visited_on <= $6)
JOIN branches b ON b.id = s.branch_id
JOIN regions rg ON rg.id = b.region_id
JOIN form_versions fv ON fv.id = s.form_version_id
JOIN forms f ON f.id = fv.form_id
WHERE {SCOPE}
  AND f.key = $4
  AND ($5::date IS NULL OR s.visited_on >= $5)
  AND ($6::date IS NULL OR s.visited_on <= $6)
  AND ($7::uuid IS NULL OR s.branch_id = $7)
  AND ($8::uuid IS NULL OR b.region_id = $8)
ORDER BY s.visited_on, b.code, s.id
"""

SUBMISSION_HEADER: Final = (
    "submission_id", "visited_on", "branch_code", "branch_name_zh", "branch_name_en", "region_code", "form_key",
    "form_version", "status", "total_percent", "passed",
)


class SubmissionExportFilters(msgspec.Struct, frozen=True, kw_only=True):
    form_key: str
    date_from: date | None = None
    date_to: date | None = None
    branch_id: UUID | None = None
    region_id: UUID | None = None


def submission_cells(record: asyncpg.Record, item_keys: Sequence[str]) -> list[Any]:
    items = record["items"] or {}
    cells: list[Any] = [str(record["id"]), record["visited_on"].isoformat(), record["branch_code"],
                        record["branch_name_zh"], record["branch_name_en"], record["region_code"],
                        record["form_key"], record["form_version"], record["status"], record["total_percent"],
                        record["passed"]]
    for key in item_keys:
        status, earned, _possible = items.get(key, (None, None, None))
        scored = status in ("pass", "fail", "partial")
        cells.extend([status, earned if scored else None])
    return cells


def document_item_keys(document: Any) -> list[str]:
    """Item keys of a form document in order, read leniently (any version's shape)."""
    if not isinstance(document, dict):
        return []
    return [item["key"] for section in document.get("sections") or [] if isinstance(section, dict)
            for item in section.get("items") or [] if isinstance(item, dict) and isinstance(item.get("key"), str)]


async def _item_columns(conn: asyncpg.Connection, org_id: UUID, form_key: str) -> list[str]:
    """Items in the newest version's order, then items only older versions had."""
    keys: dict[str, None] = {}
    for row in await conn.fetch(SELECT_DOCUMENTS, org_id, form_key):
        keys.update(dict.fromkeys(document_item_keys(row["document"])))
    return list(keys)


# The query parameters a too-large xlsx names (the filters that narrow it).
FILTER_FIELDS: Final = ("from", "to", "branch_id", "region_id")


class _Export(msgspec.Struct, frozen=True):
    header: list[str]
    args: tuple[Any, ...]
    cells: Callable[[asyncpg.Record], list[Any]]


async def _export(pool: asyncpg.Pool, p: Principal, filters: SubmissionExportFilters) -> _Export:
    """Checks the form first (404 before any byte is sent)."""
    async with pool.acquire() as conn:
        item_keys = await _item_columns(conn, p.org_id, filters.form_key)
    if not item_keys:
        raise NotFound(f"form {filters.form_key} not found")
    header = [*SUBMISSION_HEADER, *(c for key in item_keys for c in (key, f"{key}_points"))]
    args = (p.org_id, p.user_id, p.role, filters.form_key, filters.date_from, filters.date_to, filters.branch_id,
            filters.region_id)
    return _Export(header, args, lambda record: submission_cells(record, item_keys))


async def submissions_csv(
    pool: asyncpg.Pool, p: Principal, filters: SubmissionExportFilters
) -> AsyncIterator[bytes]:
    """The started streaming body (see exports.started)."""
    export = await _export(pool, p, filters)
    return await query_csv(pool, export.header, SELECT_SUBMISSIONS_EXPORT, export.args, export.cells)


async def submissions_xlsx(
    pool: asyncpg.Pool, p: Principal, filters: SubmissionExportFilters, *, max_rows: int = XLSX_MAX_ROWS
) -> AsyncIterator[bytes]:
    """The same rows as one sheet; more than `max_rows` of them is a 422 before any byte is sent."""
    export = await _export(pool, p, filters)
    return await query_xlsx(pool, filters.form_key, export.header, SELECT_SUBMISSIONS_EXPORT, export.args,
                            export.cells, max_rows=max_rows, filter_fields=FILTER_FIELDS)
