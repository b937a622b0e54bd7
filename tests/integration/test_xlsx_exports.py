"""xlsx exports of submissions and actions (issue #20, inspect_api/exports.py): the CSV's columns and rows
on one sheet, written in constant_memory mode to a temp file that is gone once the body ends (or the
client leaves), capped at EXPORT_XLSX_MAX_ROWS rows (a 422 naming the filters before any byte).

The sheets are read from the zip's XML (openpyxl is not a dependency): constant_memory writes inline
strings, other workbooks shared strings; both are read."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import tempfile
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from inspect_api.app import create_app
from inspect_api.settings import Settings
from tests.integration.factories import World, login, login_as
from tests.integration.live_server import ThreadedServer
from tests.integration.releases import (
    FUEL,
    Catalogue,
    Inspections,
    fuel_catalogue,  # noqa: F401  (fixture)
    reference_month,
)
from tests.integration.shared import fast_settings

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVIL_NAME = '=HYPERLINK("http://evil.test","x")'


def _column(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference).group()  # type: ignore[union-attr]
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def sheet_rows(content: bytes) -> list[list[str]]:
    """The first sheet's cells as text, gaps (blank cells are not written) as ''."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{MAIN}t")) for si in root.iter(f"{MAIN}si")]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{MAIN}row"):
        cells: dict[int, str] = {}
        for cell in row.iter(f"{MAIN}c"):
            kind, value = cell.get("t"), cell.find(f"{MAIN}v")
            if kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{MAIN}t"))
            elif kind == "s":
                text = shared[int(value.text)]  # type: ignore[union-attr, arg-type]
            else:
                text = value.text or "" if value is not None else ""
            cells[_column(cell.get("r", "A1"))] = text
        rows.append([cells.get(n, "") for n in range(max(cells, default=-1) + 1)])
    return rows


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def same_cells(xlsx: list[str], csv_row: list[str]) -> bool:
    """Equal as text, or as numbers (87.5 and 87.5; the CSV writes 1.0 where the sheet has 1)."""
    padded = xlsx + [""] * (len(csv_row) - len(xlsx))
    if len(padded) != len(csv_row):
        return False
    for a, b in zip(padded, csv_row, strict=True):
        if a == b:
            continue
        try:
            if float(a) != float(b):
                return False
        except ValueError:
            return False
    return True


def assert_same_table(book: httpx.Response, table: httpx.Response) -> list[list[str]]:
    assert book.status_code == 200, book.text
    assert book.headers["content-type"] == XLSX
    assert book.headers["content-disposition"].startswith("attachment; filename=")
    rows, expected = sheet_rows(book.content), csv_rows(table.content)
    assert rows[0] == expected[0]
    assert len(rows) == len(expected)
    for got, want in zip(rows, expected, strict=True):
        assert same_cells(got, want), (got, want)
    return rows


@pytest.fixture
def export_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the exports' temp directories go in this test (tempfile's default directory)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def leftovers(directory: Path) -> list[Path]:
    return list(directory.glob("inspect-export-*"))


async def arrange(client: AsyncTestClient, world: World, catalogue: Catalogue, db: asyncpg.Pool) -> date:
    """B11: two released visits and one only submitted; B21: one released, failing an item (an action)."""
    run = Inspections(client, world, catalogue)
    month = reference_month()
    await run.released(world.a.b11, month + timedelta(days=2))
    await run.released(world.a.b11, month + timedelta(days=5), failing=("p1_greeting",))
    await run.submit(world.a.b11, month + timedelta(days=6))
    await run.released(world.a.b21, month + timedelta(days=3), failing=("p1_greeting",))
    await db.execute("UPDATE branches SET name_en = $2, name_zh = '+86 店' WHERE id = $1", world.a.b11, EVIL_NAME)
    return month


async def test_the_submissions_xlsx_is_the_csv_on_a_sheet_scoped_and_escaped(
    client: AsyncTestClient, world: World, fuel_catalogue: Catalogue, db: asyncpg.Pool,  # noqa: F811
    export_dir: Path,
) -> None:
    month = await arrange(client, world, fuel_catalogue, db)
    admin, manager = await login_as(client, world.a.admin), await login_as(client, world.a.manager)
    query = {"form_key": FUEL}

    book = await client.get("/exports/submissions.xlsx", params=query, headers=admin)
    rows = assert_same_table(book, await client.get("/exports/submissions.csv", params=query, headers=admin))
    header = rows[0]
    assert header[:11] == ["submission_id", "visited_on", "branch_code", "branch_name_zh", "branch_name_en",
                           "region_code", "form_key", "form_version", "status", "total_percent", "passed"]
    assert "p1_greeting" in header and "p1_greeting_points" in header
    data = [dict(zip(header, row, strict=False)) for row in rows[1:]]
    assert len(data) == 4 and {r["status"] for r in data} == {"released", "submitted"}
    b11 = [r for r in data if r["branch_code"] == "B11"]
    # Formula-looking text is written as text behind an apostrophe, in the sheet as in the CSV.
    assert {r["branch_name_en"] for r in b11} == {"'" + EVIL_NAME} and {r["branch_name_zh"] for r in b11} == {"'+86 店"}
    with zipfile.ZipFile(io.BytesIO(book.content)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and 't="inlineStr"' in sheet  # no formula; constant_memory's inline strings
    assert '<autoFilter ref="A1:' in sheet and '<pane ySplit="1"' in sheet  # filter and frozen header
    assert not leftovers(export_dir)  # the temp file went with the body

    # A branch manager's copy: their branch's released visits only, the same redacted columns.
    mine = await client.get("/exports/submissions.xlsx", params=query, headers=manager)
    manager_rows = assert_same_table(mine, await client.get("/exports/submissions.csv", params=query,
                                                            headers=manager))
    assert manager_rows[0] == header
    seen = [dict(zip(header, row, strict=False)) for row in manager_rows[1:]]
    assert len(seen) == 2 and {(r["branch_code"], r["status"]) for r in seen} == {("B11", "released")}
    assert not [c for c in header if re.search(r"inspector|gps|latitude|longitude|exif|_at$|time", c)]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["visited_on"]) for r in seen)
    with zipfile.ZipFile(io.BytesIO(mine.content)) as archive:
        xml = " ".join(archive.read(name).decode(errors="replace") for name in archive.namelist()
                       if name.startswith("xl/"))
    assert "Inspector" not in xml and not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", xml)
    inspector_name = await db.fetchval("SELECT display_name FROM users WHERE id = $1", world.a.inspector.id)
    assert inspector_name not in xml

    # Filters as the CSV's: one branch, a date range; an empty result is the header alone.
    narrowed = {**query, "branch_id": str(world.a.b21), "from": month.isoformat()}
    one = await client.get("/exports/submissions.xlsx", params=narrowed, headers=admin)
    assert [r[2] for r in assert_same_table(one, await client.get("/exports/submissions.csv", params=narrowed,
                                                                  headers=admin))[1:]] == ["B21"]
    later = {**query, "from": (month + timedelta(days=40)).isoformat()}
    empty = await client.get("/exports/submissions.xlsx", params=later, headers=admin)
    assert empty.status_code == 200 and sheet_rows(empty.content) == [header]

    # Bad filters are problems naming the parameter, before any byte; an unknown form is a 404.
    for params, field in (({**query, "from": "0001-01-01"}, "from"), ({**query, "to": "9999-12-31"}, "to"),
                          ({**query, "from": "2026-02-30"}, "from"),
                          ({**query, "branch_id": "not-a-uuid"}, "branch_id"), ({"form_key": "Bad Key!"}, "form_key")):
        refused = await client.get("/exports/submissions.xlsx", params=params, headers=admin)
        assert refused.status_code in (400, 422), (params, refused.text)
        assert field in [e["field"] for e in refused.json()["errors"]], (params, refused.json())
    missing = await client.get("/exports/submissions.xlsx", headers=admin)
    assert missing.status_code == 400 and [e["field"] for e in missing.json()["errors"]] == ["form_key"]
    assert (await client.get("/exports/submissions.xlsx", params={"form_key": "no-such-form"},
                             headers=admin)).status_code == 404
    inspector = await login_as(client, world.a.inspector)
    assert (await client.get("/exports/submissions.xlsx", params=query, headers=inspector)).status_code == 403
    assert not leftovers(export_dir)


async def test_the_actions_xlsx_is_the_csv_on_a_sheet(
    client: AsyncTestClient, world: World, fuel_catalogue: Catalogue, db: asyncpg.Pool,  # noqa: F811
    export_dir: Path,
) -> None:
    await arrange(client, world, fuel_catalogue, db)
    for user in (world.a.admin, world.a.manager):
        headers = await login_as(client, user)
        for params in ({}, {"region_id": str(world.a.r2)}, {"status": "verified"}):
            book = await client.get("/exports/actions.xlsx", params=params, headers=headers)
            rows = assert_same_table(book, await client.get("/exports/actions.csv", params=params, headers=headers))
            codes = {r[1] for r in rows[1:]}
            if user is world.a.manager:
                assert codes <= {"B11"}
            elif not params:
                assert codes == {"B11", "B21"}
    assert not leftovers(export_dir)


async def test_an_xlsx_over_the_row_cap_is_a_422_naming_the_filters(
    settings: Settings, world: World, fuel_catalogue: Catalogue, db: asyncpg.Pool,  # noqa: F811
    export_dir: Path,
) -> None:
    app = create_app(fast_settings(settings, export_xlsx_max_rows=2))
    async with AsyncTestClient(app=app) as client:
        await arrange(client, world, fuel_catalogue, db)
        admin = await login_as(client, world.a.admin)
        refused = await client.get("/exports/submissions.xlsx", params={"form_key": FUEL}, headers=admin)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in refused.json()["errors"]] == ["from", "to", "branch_id", "region_id"]
        assert "CSV" in refused.json()["detail"]
        # Exactly the cap is fine; the CSV has no cap.
        capped = await client.get("/exports/submissions.xlsx", params={"form_key": FUEL, "branch_id": str(world.a.b11),
                                                                       "to": (reference_month() + timedelta(days=5))
                                                                       .isoformat()}, headers=admin)
        assert capped.status_code == 200 and len(sheet_rows(capped.content)) == 3
        csv_all = await client.get("/exports/submissions.csv", params={"form_key": FUEL}, headers=admin)
        assert len(csv_rows(csv_all.content)) == 5
        actions = await client.get("/exports/actions.xlsx", headers=admin)
        assert actions.status_code == 200  # two actions: at the cap
        assert (await client.get("/exports/actions.xlsx", params={"status": "open"}, headers=admin)).status_code == 200
        audited = await db.fetch("SELECT target_id FROM audit_log WHERE action = 'export.downloaded' ORDER BY id")
        assert [r["target_id"] for r in audited] == ["submissions.xlsx", "submissions.csv", "actions.xlsx",
                                                     "actions.xlsx"]  # the refused one is not recorded
    assert not leftovers(export_dir)


INSERT_MANY = """
INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status, current_revision,
                         passed, visited_on)
SELECT $1, $2, $3, $4, 'adhoc', 'submitted', 1, false, $5::date - (g % 300)
FROM generate_series(1, $6) g
"""
EXPORTING = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND state = 'idle in transaction' AND query LIKE '%SELECT s.id, s.visited_on%'
"""


async def exporting(db: asyncpg.Pool, count: int) -> bool:
    return await db.fetchval(EXPORTING) == count


async def until(check: Any, seconds: float = 30) -> bool:
    """Poll `check()` (a coroutine) until true; False after `seconds` (a bound, not a threshold)."""
    for _ in range(int(seconds / 0.05)):
        if await check():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_client_leaving_mid_build_ends_the_export_and_removes_its_file(
    settings: Settings, world: World, fuel_catalogue: Catalogue, db: asyncpg.Pool,  # noqa: F811
    export_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A real server (Litestar cancels a body on http.disconnect only over a real connection). The
    export's writes are held on their thread until the server has let go of the export's transaction,
    which happens only if the disconnect cancelled it; then the file must be gone and never zipped."""
    from inspect_api import exports

    rows = 3 * exports.XLSX_BATCH_ROWS
    async with db.acquire() as conn:
        await conn.execute(INSERT_MANY, world.a.id, world.a.b11, fuel_catalogue.version_id, world.a.inspector.id,
                           reference_month(), rows)
        await conn.execute("""INSERT INTO submission_revisions (org_id, submission_id, revision, client_id,
                                  request_hash, answers, score_card, started_at, finished_at, proof, visited_on)
                              SELECT org_id, id, 1, gen_random_uuid(), 'h', '[]', '{}', now(), now(), '{}', visited_on
                              FROM submissions WHERE org_id = $1""", world.a.id)
    writing, release = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    closed: list[int] = []
    original_write, original_close = exports.SheetFile.write, exports.SheetFile.close

    def held_write(self: Any, records: Any) -> None:
        loop.call_soon_threadsafe(writing.set)
        asyncio.run_coroutine_threadsafe(asyncio.wait_for(release.wait(), 60), loop).result()
        original_write(self, records)

    def recorded_close(self: Any) -> None:
        closed.append(1)
        original_close(self)

    monkeypatch.setattr(exports.SheetFile, "write", held_write)
    monkeypatch.setattr(exports.SheetFile, "close", recorded_close)
    with ThreadedServer(fast_settings(settings)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            headers = await login(http, world.a.admin.email)  # type: ignore[arg-type]  (any client with .post)
            async with http.stream("GET", "/exports/submissions.xlsx", params={"form_key": FUEL},
                                   headers=headers) as response:
                assert response.status_code == 200
                await asyncio.wait_for(writing.wait(), 30)
                # Held in a write, the next batch fetched: the transaction waits, idle.
                assert await until(lambda: exporting(db, 1)), "the export's transaction was not seen"
                assert leftovers(export_dir)
            # The client is gone: the server cancels the body, which ends the transaction at once.
            assert await until(lambda: exporting(db, 0)), "the export kept its transaction after the client left"
            release.set()
            assert await until(lambda: asyncio.sleep(0, not leftovers(export_dir))), "the temp file stayed"
    assert not closed  # never zipped: the build stopped with the client
