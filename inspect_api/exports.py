"""What every feature's export shares: cells Excel cannot read as formulas, CSV as UTF-8 with a BOM (so
Excel shows Chinese), and a CSV or xlsx streamed from a server-side cursor inside one read-only
REPEATABLE READ transaction (a consistent snapshot however long the download). Each feature writes its
own export (submissions/exports.py, actions/exports.py, rankings/exports.py) with its own scoped query.

Every cell that Excel could read as a formula (starting with = + - @ tab or CR) is prefixed with an
apostrophe; numbers stay numbers.

xlsx (issue #20: 1M rows in bounded memory): a zip cannot be sent before it is complete, so the
workbook is written by xlsxwriter in constant_memory mode (each row goes to the sheet's XML temp file
as it is written, nothing is kept per row) into a private temp directory, on the export's own thread
(never the event loop) while the next batch of rows is fetched from the cursor; then the connection
goes back to the pool, the file is zipped and streamed out in FILE_CHUNK_BYTES chunks, and the directory
is removed when the body ends, fails, or the client disconnects (Litestar cancels the body on
http.disconnect; the removal runs on the export's thread after whatever it was doing).

Bounded: an xlsx holds at most `max_rows` rows (EXPORT_XLSX_MAX_ROWS, by default Excel's own sheet
limit of 1,048,576 rows less the header: a longer file would not open). A larger result is refused
with a 422 naming the filters before any byte is sent (counted in the same snapshot, LIMIT max_rows + 1),
as spreadsheet exports of serious products do: narrow the dates, or take the CSV, which has no cap.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, Final

import asyncpg
import xlsxwriter

from inspect_api.errors import InvalidInput

BOM: Final = "\ufeff"
CHUNK_ROWS: Final = 500
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE: Final = "text/csv"  # Litestar appends "; charset=utf-8" to every text/* type itself
XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS: Final = 1_048_575  # Excel's sheet limit (1,048,576 rows) less the header row
XLSX_BATCH_ROWS: Final = 2_000  # rows fetched while the previous batch is written on the export's thread
FILE_CHUNK_BYTES: Final = 256 * 1024
# Per statement of an export (the pool's command_timeout is 30 s): the first fetch of a large export
# sorts the whole result before its first row (1M rows: over 30 s on a busy 2-core host; measured by
# bench/export_bench.py), and the xlsx's count reads up to its cap.
EXPORT_STATEMENT_SECONDS: Final = 600.0
WORKBOOK_OPTIONS: Final = {
    "constant_memory": True,  # rows go to the sheet's temp file as written: memory does not grow with rows
    "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
}


class TooManyRows(InvalidInput):
    """An xlsx export whose filters select more rows than a sheet holds (or the configured cap)."""


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
        while rows := await cursor.fetch(CHUNK_ROWS, timeout=EXPORT_STATEMENT_SECONDS):
            yield csv_bytes(cells(row) for row in rows)


async def query_csv(
    pool: asyncpg.Pool, header: Sequence[str], sql: str, args: Sequence[Any],
    cells: Callable[[asyncpg.Record], Sequence[Any]],
) -> AsyncIterator[bytes]:
    """The rows of `sql` as CSV, one consistent snapshot streamed CHUNK_ROWS rows at a time, started
    (see started()): the header goes out once the query is declared."""
    return await started(_csv_from_cursor(pool, header, sql, args, cells))


# ---- xlsx ----------------------------------------------------------------------------------------

class SheetFile:
    """One single-sheet workbook in constant_memory mode in its own temp directory. Not thread-safe:
    every method runs on the export's one thread, in order."""

    def __init__(self, title: str, header: Sequence[str], cells: Callable[[Any], Sequence[Any]]) -> None:
        self.directory = tempfile.mkdtemp(prefix="inspect-export-")
        self.path = os.path.join(self.directory, "export.xlsx")
        self.cells = cells
        self.columns = len(header)
        self.rows = 0
        self.file: IO[bytes] | None = None
        self.workbook = xlsxwriter.Workbook(self.path, {**WORKBOOK_OPTIONS, "tmpdir": self.directory})
        self.workbook.use_zip64()  # a wide form's 1M rows can pass 4 GB of sheet XML before compression
        self.sheet = self.workbook.add_worksheet(title[:31])  # Excel's limit on a sheet name
        self.sheet.write_row(0, 0, header, self.workbook.add_format({"bold": True}))
        self.sheet.freeze_panes(1, 0)

    def write(self, records: Sequence[Any]) -> None:
        for record in records:
            self.rows += 1
            self.sheet.write_row(self.rows, 0, [safe_cell(v) for v in self.cells(record)])

    def close(self) -> None:
        """Zip the workbook and open it for reading."""
        self.sheet.autofilter(0, 0, max(1, self.rows), self.columns - 1)
        self.workbook.close()
        self.file = open(self.path, "rb")  # closed by remove()

    def read(self, size: int) -> bytes:
        assert self.file is not None
        return self.file.read(size)

    def remove(self) -> None:
        """Drop every file, finished or not (an unclosed workbook's sheet XML is still open)."""
        if self.file is not None:
            self.file.close()
        for sheet in self.workbook.worksheets():
            handle = getattr(sheet, "row_data_fh", None)
            if handle is not None and not handle.closed:
                handle.close()
        shutil.rmtree(self.directory, ignore_errors=True)


async def _xlsx_from_cursor(
    pool: asyncpg.Pool, title: str, header: Sequence[str], sql: str, args: Sequence[Any],
    cells: Callable[[asyncpg.Record], Sequence[Any]], max_rows: int, filter_fields: Sequence[str],
) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlsx-export")
    made: list[SheetFile] = []  # filled on the thread: a cancel during the constructor still cleans up

    def on_thread(function: Callable[..., Any], *arguments: Any) -> asyncio.Future[Any]:
        return loop.run_in_executor(thread, function, *arguments)

    try:
        async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            count = await conn.fetchval(f"SELECT count(*) FROM ({sql} LIMIT {max_rows + 1}) capped", *args,
                                        timeout=EXPORT_STATEMENT_SECONDS)
            if count > max_rows:
                message = f"more than {max_rows:,} rows: narrow the filters, or download the CSV (no cap)"
                raise TooManyRows(f"the export selects {message}",
                                  extra={"errors": [{"field": f, "message": message, "source": "query"}
                                                    for f in filter_fields]})
            cursor = await conn.cursor(sql, *args)
            yield b""  # checked: the response starts (see started()), the rows follow
            book = await on_thread(lambda: made.append(SheetFile(title, header, cells)) or made[0])
            rows = await cursor.fetch(XLSX_BATCH_ROWS, timeout=EXPORT_STATEMENT_SECONDS)
            while rows:  # write one batch on the thread while the next comes from Postgres
                _, rows = await asyncio.gather(on_thread(book.write, rows),
                                               cursor.fetch(XLSX_BATCH_ROWS, timeout=EXPORT_STATEMENT_SECONDS))
        await on_thread(book.close)  # zipping needs no connection: it went back to the pool
        while chunk := await on_thread(book.read, FILE_CHUNK_BYTES):
            yield chunk
    finally:
        # After whatever the thread is doing (a batch, the zip); the event loop does not wait for it.
        thread.submit(lambda: [book.remove() for book in made])
        thread.shutdown(wait=False)


async def query_xlsx(
    pool: asyncpg.Pool, title: str, header: Sequence[str], sql: str, args: Sequence[Any],
    cells: Callable[[asyncpg.Record], Sequence[Any]], *, max_rows: int = XLSX_MAX_ROWS,
    filter_fields: Sequence[str] = ("body",),
) -> AsyncIterator[bytes]:
    """The rows of `sql` as a one-sheet xlsx, one consistent snapshot (see the module's docstring),
    started: a result over `max_rows` is a TooManyRows naming `filter_fields` before any byte."""
    return await started(_xlsx_from_cursor(pool, title, header, sql, args, cells, max_rows, filter_fields))
