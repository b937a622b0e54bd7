"""What every feature's export shares: cells Excel cannot read as formulas, CSV as UTF-8 with a BOM (so
Excel shows Chinese), and a CSV streamed from a server-side cursor inside one read-only REPEATABLE READ
transaction (a consistent snapshot however long the download). Each feature writes its own export
(submissions/exports.py, actions/exports.py, rankings/exports.py) with its own scoped query.

Every cell that Excel could read as a formula (starting with = + - @ tab or CR) is prefixed with an
apostrophe; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any, Final

import asyncpg

BOM: Final = "\ufeff"
CHUNK_ROWS: Final = 500
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE: Final = "text/csv"  # Litestar appends "; charset=utf-8" to every text/* type itself


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


def attachment(filename: str) -> dict[str, str]:
    """Response headers of a download."""
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"}


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
    pool: asyncpg.Pool, header: Sequence[str], sql: str, args: Sequence[Any],
    cells: Callable[[asyncpg.Record], Sequence[Any]],
) -> AsyncIterator[bytes]:
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        cursor = await conn.cursor(sql, *args)
        yield csv_bytes([header], bom=True)
        while rows := await cursor.fetch(CHUNK_ROWS):
            yield csv_bytes(cells(row) for row in rows)


async def query_csv(
    pool: asyncpg.Pool, header: Sequence[str], sql: str, args: Sequence[Any],
    cells: Callable[[asyncpg.Record], Sequence[Any]],
) -> AsyncIterator[bytes]:
    """The rows of `sql` as CSV, one consistent snapshot streamed CHUNK_ROWS rows at a time, started
    (see started()): the header goes out once the query is declared."""
    return await started(_csv_from_cursor(pool, header, sql, args, cells))
