"""Exports, scoped exactly like the API: CSV (UTF-8 with a BOM, so Excel shows Chinese) of rankings,
submissions with item scores, and actions, streamed in chunks; rankings also as xlsx (xlsxwriter).

Submissions and actions stream from a server-side cursor inside one read-only REPEATABLE READ
transaction (a consistent snapshot however long the download). Every cell that Excel could read as
a formula (starting with = + - @ tab or CR) is prefixed with an apostrophe; numbers stay numbers.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date
from typing import Any, Final
from uuid import UUID

import asyncpg
import msgspec
import xlsxwriter

from inspect_api.actions.queries import SCOPE as ACTION_SCOPE
from inspect_api.actions.queries import ActionRow
from inspect_api.actions.service import action_out
from inspect_api.auth.principal import Principal
from inspect_api.errors import NotFound
from inspect_api.rankings.schemas import RankingRow, RankingsOut
from inspect_api.rankings.service import item_labels, rankings
from inspect_api.submissions.queries import SCOPE as SUBMISSION_SCOPE

BOM: Final = "\ufeff"
CHUNK_ROWS: Final = 500
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE: Final = "text/csv"  # Litestar appends "; charset=utf-8" to every text/* type itself
XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """A CSV/xlsx cell: None -> empty, bool -> true/false, text that could be a formula -> 'text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, (int, float)):
        return value
    return str(value)


def csv_bytes(rows: Iterable[Sequence[Any]], *, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


# ---- rankings ----------------------------------------------------------------------------------

RANKING_HEADER: Final = (
    "form_key", "period_kind", "period_first_day", "period_last_day", "rank", "percentile", "ranked",
    "branch_code", "branch_name_zh", "branch_name_en", "region_id", "visits", "mean", "ci_low", "ci_high",
    "pass_rate", "previous_visits", "previous_mean", "previous_rank", "delta_mean", "delta_rank",
)


def ranking_cells(out: RankingsOut, row: RankingRow) -> list[Any]:
    b, c, prev = row.branch, row.current, row.previous
    return [
        out.form_key, out.period.kind, out.period.first_day.isoformat(), out.period.last_day.isoformat(),
        c.rank, c.percentile, c.ranked, b.code if b else None, b.name_zh if b else None, b.name_en if b else None,
        str(row.region_id), c.visits, c.mean, c.ci_low, c.ci_high, c.pass_rate, prev.visits, prev.mean, prev.rank,
        row.delta_mean, row.delta_rank,
    ]


class Export(msgspec.Struct, frozen=True):
    filename: str
    body: AsyncIterator[bytes] | bytes


def _filename(out: RankingsOut, extension: str) -> str:
    return f"rankings-{out.form_key}-{out.period.kind}-{out.period.first_day.isoformat()}.{extension}"


async def _csv_chunks(out: RankingsOut) -> AsyncIterator[bytes]:
    yield csv_bytes([RANKING_HEADER], bom=True)
    for first in range(0, len(out.rows), CHUNK_ROWS):
        yield csv_bytes(ranking_cells(out, row) for row in out.rows[first:first + CHUNK_ROWS])


async def rankings_csv(pool: asyncpg.Pool, p: Principal, **query: Any) -> Export:
    """Every row of the ranking service.rankings(**query) answers, as CSV."""
    out = await rankings(pool, p, **query, limit=None)
    return Export(_filename(out, "csv"), _csv_chunks(out))


def _rankings_workbook(out: RankingsOut) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False})
    sheet = workbook.add_worksheet(f"{out.period.kind} {out.period.first_day.isoformat()}")
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, RANKING_HEADER, bold)
    for index, row in enumerate(out.rows, start=1):
        sheet.write_row(index, 0, [safe_cell(v) for v in ranking_cells(out, row)])
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(1, len(out.rows)), len(RANKING_HEADER) - 1)
    workbook.close()
    return buffer.getvalue()


async def rankings_xlsx(pool: asyncpg.Pool, p: Principal, **query: Any) -> Export:
    out = await rankings(pool, p, **query, limit=None)
    return Export(_filename(out, "xlsx"), await asyncio.to_thread(_rankings_workbook, out))  # CPU-bound


# ---- submissions with item scores ----------------------------------------------------------------

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
       (SELECT jsonb_object_agg(i.item_key, jsonb_build_array(i.status, i.earned, i.possible))
        FROM submission_items i WHERE i.revision_id = r.id) AS items
FROM submissions s
JOIN submission_revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
JOIN branches b ON b.id = s.branch_id
JOIN regions rg ON rg.id = b.region_id
JOIN form_versions fv ON fv.id = s.form_version_id
JOIN forms f ON f.id = fv.form_id
WHERE {SUBMISSION_SCOPE}
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


async def _item_columns(conn: asyncpg.Connection, org_id: UUID, form_key: str) -> list[str]:
    """Items in the newest version's order, then items only older versions had."""
    keys: dict[str, None] = {}
    for row in await conn.fetch(SELECT_DOCUMENTS, org_id, form_key):
        keys.update(dict.fromkeys(item_labels(row["document"])))
    return list(keys)


async def started(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Run a streamed body up to its first chunk now: the connection is taken and the query declared
    before the handler returns, so a database outage answers a 503 problem instead of a 200 whose body
    stops short."""
    first = await anext(chunks)

    async def body() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    return body()


async def _csv_from_cursor(
    pool: asyncpg.Pool, header: Sequence[str], sql: str, args: Sequence[Any], cells: Any
) -> AsyncIterator[bytes]:
    """One consistent snapshot, streamed CHUNK_ROWS rows at a time; the header goes out once the query
    is declared (see started())."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        cursor = await conn.cursor(sql, *args)
        yield csv_bytes([header], bom=True)
        while rows := await cursor.fetch(CHUNK_ROWS):
            yield csv_bytes(cells(row) for row in rows)


async def submissions_csv(
    pool: asyncpg.Pool, p: Principal, filters: SubmissionExportFilters
) -> AsyncIterator[bytes]:
    """Checks the form first (404 before any byte is sent), then returns the started streaming body."""
    async with pool.acquire() as conn:
        item_keys = await _item_columns(conn, p.org_id, filters.form_key)
    if not item_keys:
        raise NotFound(f"form {filters.form_key} not found")
    header = [*SUBMISSION_HEADER, *(c for key in item_keys for c in (key, f"{key}_points"))]
    args = (p.org_id, p.user_id, p.role, filters.form_key, filters.date_from, filters.date_to, filters.branch_id,
            filters.region_id)
    return await started(_csv_from_cursor(pool, header, SELECT_SUBMISSIONS_EXPORT, args,
                                          lambda record: submission_cells(record, item_keys)))


# ---- actions -------------------------------------------------------------------------------------

_ACTION_COLUMNS: Final = """
a.id, b.id AS branch_id, b.code AS branch_code, b.name_zh AS branch_name_zh, b.name_en AS branch_name_en,
b.region_id, a.submission_id, s.visited_on, a.form_key, a.item_key, a.title_zh, a.title_en, a.priority,
a.evidence_required, a.due_on, a.status, a.recurrence_count,
(a.status IN ('open', 'in_progress', 'reopened') AND a.due_on < (now() AT TIME ZONE b.timezone)::date) AS overdue,
a.merged_into, '[]'::jsonb AS assignees, a.created_at, a.updated_at
"""

SELECT_ACTIONS_EXPORT: Final = f"""
SELECT {_ACTION_COLUMNS}
FROM actions a
JOIN submissions s ON s.id = a.submission_id
JOIN branches b ON b.id = a.branch_id AND b.org_id = a.org_id
WHERE {ACTION_SCOPE}
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


async def actions_csv(
    pool: asyncpg.Pool, p: Principal, *, branch_id: UUID | None, region_id: UUID | None, status: str | None
) -> AsyncIterator[bytes]:
    args = (p.org_id, p.user_id, p.role, branch_id, region_id, status)
    return await started(_csv_from_cursor(pool, ACTION_HEADER, SELECT_ACTIONS_EXPORT, args,
                                          lambda record: action_cells(msgspec.convert(dict(record), ActionRow))))
