"""GET /exports/rankings.csv and .xlsx: the ranking the API answers, every row, same scope rules; CSV
(UTF-8 with a BOM) streamed in chunks, xlsx built off the event loop. Cells are made safe from formulas
by inspect_api.exports; submissions and actions export their own CSV in their features."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any, Final

import asyncpg
import msgspec
import xlsxwriter

from inspect_api.auth.principal import Principal
from inspect_api.exports import CHUNK_ROWS, csv_bytes, safe_cell
from inspect_api.rankings.schemas import RankingRow, RankingsOut
from inspect_api.rankings.service import rankings

XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
