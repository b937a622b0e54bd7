"""Submissions, revisions and item facts partitioned by month of visit (#20, migrations/0052): rows land
in their visit's month through the API, a correction to another month moves them, the keys stay unique
across months, queries that name dates prune to their months, the periodic job adds the months ahead,
and retention detaches (or drops) whole old months with what points at them."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from inspect_api import cli
from inspect_api.submissions.partitions import (
    ensure_months,
    first_of_month,
    partitions_job,
    retention_cutoff,
)
from inspect_api.submissions.queries import SELECT_SUMMARIES
from tests.integration.conftest import Engines
from tests.integration.factories import World
from tests.integration.plans import scans_of
from tests.integration.releases import (
    Catalogue,
    Inspections,
    fuel_catalogue,  # noqa: F401  (fixture)
    local_noon,
    reference_month,
)

pytestmark = pytest.mark.asyncio

TABLES = ("submissions", "submission_revisions", "submission_items")
ITEM = "p1_greeting"

WHERE_ROWS_ARE = """
SELECT (SELECT tableoid::regclass::text FROM submissions WHERE id = $1) AS submission,
       (SELECT array_agg(DISTINCT tableoid::regclass::text) FROM submission_revisions WHERE submission_id = $1)
           AS revisions,
       (SELECT array_agg(DISTINCT i.tableoid::regclass::text) FROM submission_items i
        JOIN submission_revisions r ON r.id = i.revision_id WHERE r.submission_id = $1) AS items,
       (SELECT visited_on FROM submission_keys WHERE submission_id = $1) AS key_day,
       (SELECT array_agg(DISTINCT k.visited_on) FROM revision_keys k
        JOIN submission_revisions r ON r.id = k.revision_id WHERE r.submission_id = $1) AS revision_key_days
"""


def month_of(table: str, day: date) -> str:
    return f"{table}_m{day:%Y_%m}"


@pytest_asyncio.fixture
async def run(client: AsyncTestClient, world: World, fuel_catalogue: Catalogue) -> Inspections:  # noqa: F811
    return Inspections(client, world, fuel_catalogue)


async def test_the_three_tables_are_split_by_month_of_visit(db: asyncpg.Pool) -> None:
    rows = await db.fetch("""
        SELECT c.relname, p.partstrat::text AS partstrat, a.attname
        FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
        JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
        ORDER BY 1""")
    assert [(r["relname"], r["partstrat"], r["attname"]) for r in rows] == [
        ("submission_items", "r", "visited_on"), ("submission_revisions", "r", "visited_on"),
        ("submissions", "r", "visited_on")]
    today = datetime.now(UTC).date()
    for table in TABLES:
        parts = {r["name"] for r in await db.fetch(
            "SELECT c.relname AS name FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid "
            "WHERE h.inhparent = $1::regclass", table)}
        ahead = {month_of(table, first_of_month(today, n)) for n in range(3)}
        assert ahead | {f"{table}_default"} <= parts, parts  # this month, two ahead, and the default


async def test_a_released_inspection_lives_in_its_visits_month(
    run: Inspections, world: World, db: asyncpg.Pool,
) -> None:
    day = reference_month() + timedelta(days=3)
    async with db.acquire() as conn:
        assert {m.outcome for m in await ensure_months(conn, day, day)} == {"created"}
    receipt = await run.released(world.a.b11, day, failing=(ITEM,))
    where = await db.fetchrow(WHERE_ROWS_ARE, UUID(receipt["submission_id"]))
    assert where["submission"] == month_of("submissions", day)
    assert where["revisions"] == [month_of("submission_revisions", day)]
    assert where["items"] == [month_of("submission_items", day)]
    assert where["key_day"] == day and where["revision_key_days"] == [day]
    # What points at the submission (its follow-up action for the failed item) holds through the keys.
    assert await db.fetchval("SELECT count(*) FROM actions WHERE submission_id = $1",
                             UUID(receipt["submission_id"])) == 1


async def test_a_correction_to_another_month_moves_the_rows(
    run: Inspections, client: AsyncTestClient, world: World, db: asyncpg.Pool
) -> None:
    first = reference_month() + timedelta(days=10)
    moved = first - timedelta(days=20)  # the month before
    async with db.acquire() as conn:
        await ensure_months(conn, moved, first)
    receipt = await run.submit(world.a.b11, first)
    submission_id = receipt["submission_id"]
    rejected = await client.post(f"/submissions/{submission_id}/reject", json={"reason": "wrong date"},
                                 headers=await run.headers("admin"))
    assert rejected.status_code == 200, rejected.text
    body = (await client.get(f"/submissions/{submission_id}", headers=await run.headers("inspector"))).json()
    finished = local_noon(moved)
    correction = {
        "client_id": str(uuid.uuid4()), "answers": body["answers"],
        "started_at": (finished - timedelta(minutes=20)).isoformat(), "finished_at": finished.isoformat(),
        "comment": "the visit was a month earlier",
    }
    corrected = await client.post(f"/submissions/{submission_id}/revisions", json=correction,
                                  headers=await run.headers("inspector"))
    assert corrected.status_code == 201, corrected.text
    await run.release(submission_id)
    where = await db.fetchrow(WHERE_ROWS_ARE, UUID(submission_id))
    # Both revisions (the rejected one too) and the items moved with the submission.
    assert where["submission"] == month_of("submissions", moved)
    assert where["revisions"] == [month_of("submission_revisions", moved)]
    assert where["items"] == [month_of("submission_items", moved)]
    assert where["key_day"] == moved and where["revision_key_days"] == [moved]
    assert await db.fetchval("SELECT count(*) FROM submission_revisions WHERE submission_id = $1",
                             UUID(submission_id)) == 2
    # A later change of the date (any UPDATE) cascades the same way, items included.
    await db.execute("UPDATE submissions SET visited_on = $2 WHERE id = $1", UUID(submission_id), first)
    where = await db.fetchrow(WHERE_ROWS_ARE, UUID(submission_id))
    assert (where["submission"], where["revisions"], where["items"], where["key_day"]) == (
        month_of("submissions", first), [month_of("submission_revisions", first)],
        [month_of("submission_items", first)], first)


async def test_a_client_id_stays_unique_across_months(run: Inspections, world: World, db: asyncpg.Pool) -> None:
    day = reference_month() + timedelta(days=1)
    other_month = day + timedelta(days=40)
    async with db.acquire() as conn:
        await ensure_months(conn, day, other_month)
    receipt = await run.submit(world.a.b11, day)
    other = await run.submit(world.a.b12, other_month)
    with pytest.raises(asyncpg.UniqueViolationError) as raised:
        await db.execute(
            """INSERT INTO submission_revisions (org_id, submission_id, revision, client_id, request_hash, answers,
                                                 score_card, started_at, finished_at, proof, visited_on)
               SELECT org_id, id, 2, $2, 'h', '[]', '{}', now(), now(), '{}', visited_on
               FROM submissions WHERE id = $1""",
            UUID(other["submission_id"]), UUID(receipt["client_id"]))
    assert raised.value.constraint_name == "revision_keys_client_id_key"


async def test_a_query_naming_dates_reads_only_their_months(world: World, db: asyncpg.Pool) -> None:
    a = world.a
    start = date(2026, 1, 1)
    async with db.acquire() as conn:
        await ensure_months(conn, start, date(2026, 6, 30))
        await conn.execute(
            """INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status,
                                        current_revision, passed, visited_on)
               SELECT $1, $2, $3, $4, 'adhoc', 'submitted', 1, false, $5::date + (g % 181)
               FROM generate_series(1, 2000) g""",
            a.id, a.b11, world.form_version_id, a.inspector.id, start)
        await conn.execute("ANALYZE submissions")
        # GET /submissions?from=2026-03-01&to=2026-03-31 as the admin: one month of six (and never the
        # DEFAULT partition, whose dates the monthly ones cover).
        args = (a.id, a.admin.id, "admin", None, None, None, date(2026, 3, 1), date(2026, 3, 31), 26, 0,
                date.max, uuid.UUID(int=(1 << 128) - 1), True)
        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {SELECT_SUMMARIES}", *args)
        scanned = {n["Relation Name"] for n in scans_of(json.loads(raw)[0]["Plan"], "submissions")}
        assert scanned == {"submissions_m2026_03"}, scanned
        assert len(await conn.fetch(SELECT_SUMMARIES, *args)) == 26
        # The same statement as a generic plan (what a prepared statement turns into after five runs)
        # prunes when it starts: the other months are "Subplans Removed".
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        try:
            raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {SELECT_SUMMARIES}", *args)
        finally:
            await conn.execute("RESET plan_cache_mode")
        scanned = {n["Relation Name"] for n in scans_of(json.loads(raw)[0]["Plan"], "submissions")}
        assert scanned == {"submissions_m2026_03"}, scanned


async def test_the_job_adds_the_months_ahead_once(db: asyncpg.Pool) -> None:
    job = partitions_job()
    now = datetime(2031, 5, 10, tzinfo=UTC)
    async with db.acquire() as conn:
        assert await job.run(conn, now) == 3  # May, June and July of 2031, for each of the three tables
        assert await job.run(conn, now) == 0
        for table in TABLES:
            for month in ("2031_05", "2031_06", "2031_07"):
                assert await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{table}_m{month}")


async def test_a_month_whose_rows_sit_in_the_default_partition_is_left_there(world: World, db: asyncpg.Pool) -> None:
    a = world.a
    day = date(2032, 2, 14)  # no test makes 2032's months
    await db.execute(
        """INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status,
                                    current_revision, passed, visited_on) VALUES ($1, $2, $3, $4, 'adhoc',
                                    'submitted', 1, false, $5)""",
        a.id, a.b11, world.form_version_id, a.inspector.id, day)
    assert await db.fetchval("SELECT tableoid::regclass::text FROM submissions WHERE visited_on = $1",
                             day) == "submissions_default"
    async with db.acquire() as conn:
        assert [m.outcome for m in await ensure_months(conn, day, day)] == ["rows in default"]
        assert await conn.fetchval("SELECT to_regclass('submissions_m2032_02')") is None
        assert [m.outcome for m in await ensure_months(conn, day + timedelta(days=31), day + timedelta(days=31))] == [
            "created"]


async def test_retention_detaches_old_months_with_what_points_at_them(
    run: Inspections, client: AsyncTestClient, world: World, db: asyncpg.Pool, engines: Engines,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    today = datetime.now(UTC).date()
    old_day = reference_month() + timedelta(days=2)  # ~2-3 months ago
    kept_day = today - timedelta(days=1) if today.day > 1 else today
    async with db.acquire() as conn:
        await ensure_months(conn, old_day, old_day)
    old = await run.released(world.a.b11, old_day, failing=(ITEM,))
    kept = await run.released(world.a.b11, kept_day, failing=(ITEM,))
    ancient = date(2019, 7, 4)  # in the DEFAULT partition
    await db.execute(
        """INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status,
                                    current_revision, passed, visited_on) VALUES ($1, $2, $3, $4, 'adhoc',
                                    'submitted', 1, false, $5)""",
        world.a.id, world.a.b11, world.form_version_id, world.a.inspector.id, ancient)
    keep_months = 2 if first_of_month(kept_day) == first_of_month(today) else 3
    cutoff = retention_cutoff(today, keep_months)
    assert old_day < cutoff <= kept_day
    before = {r["submission_id"] for r in await db.fetch("SELECT submission_id FROM actions")}
    assert before == {UUID(old["submission_id"]), UUID(kept["submission_id"])}
    # A detached archive first (the default), checked, then dropped by a second run with --drop.
    monkeypatch.setenv("DATABASE_URL", engines.database_url)
    assert await asyncio.to_thread(cli.main, ["retention", "--keep-months", str(keep_months)]) == 0
    printed = capsys.readouterr().out
    assert f"{old_day:%Y-%m}: detached" in printed, printed
    archive = month_of("submissions", old_day)
    assert await db.fetchval("SELECT count(*) FROM pg_inherits WHERE inhrelid = to_regclass($1)", archive) == 0
    assert await db.fetchval(f"SELECT count(*) FROM {archive}") == 1  # the archive holds the old row
    live = {r["id"] for r in await db.fetch("SELECT id FROM submissions WHERE org_id = $1", world.a.id)}
    assert live == {UUID(kept["submission_id"])}
    # Its action went with it; the kept one's stays; the keys of the old rows are gone.
    actions = {r["submission_id"] for r in await db.fetch("SELECT submission_id FROM actions")}
    assert actions == {UUID(kept["submission_id"])}
    assert await db.fetchval("SELECT count(*) FROM submission_keys WHERE visited_on < $1", cutoff) == 0
    assert await db.fetchval("SELECT count(*) FROM revision_keys WHERE visited_on < $1", cutoff) == 0
    # The API answers the kept result only, and the ranking history (roll-ups) stays.
    listed = await client.get("/submissions", headers=await run.headers("admin"))
    assert [row["id"] for row in listed.json()] == [kept["submission_id"]]
    assert await db.fetchval("SELECT count(*) FROM rollup_branch_periods WHERE period_start < $1", cutoff) > 0
    # A month whose name an archive holds is not made again behind its back.
    async with db.acquire() as conn:
        assert [m.outcome for m in await ensure_months(conn, old_day, old_day)] == ["detached table in the way"]
    for table in TABLES:
        await db.execute(f"DROP TABLE {month_of(table, old_day)}")
    # --drop: a month made and filled, then dropped whole.
    async with db.acquire() as conn:
        await ensure_months(conn, old_day, old_day)
    await run.released(world.a.b11, old_day)
    assert await asyncio.to_thread(cli.main, ["retention", "--keep-months", str(keep_months), "--drop"]) == 0
    assert f"{old_day:%Y-%m}: dropped" in capsys.readouterr().out
    for table in TABLES:
        assert await db.fetchval("SELECT to_regclass($1)", month_of(table, old_day)) is None
    assert {r["id"] for r in await db.fetch("SELECT id FROM submissions")} == {UUID(kept["submission_id"])}


async def test_retention_refuses_to_keep_no_month(monkeypatch: pytest.MonkeyPatch, engines: Engines,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", engines.database_url)
    assert await asyncio.to_thread(cli.main, ["retention", "--keep-months", "0"]) == 2
    assert "--keep-months" in capsys.readouterr().err
    with pytest.raises(ValueError):
        retention_cutoff(date(2026, 12, 2), 0)
    assert retention_cutoff(date(2026, 12, 2), 1) == date(2026, 12, 1)
    assert retention_cutoff(date(2026, 1, 31), 3) == date(2025, 11, 1)
    assert retention_cutoff(date(2026, 12, 2), 10**9) == date(1, 1, 1)  # keeps everything, no error
    assert await asyncio.to_thread(cli.main, ["retention", "--keep-months", str(10**9)]) == 0
    assert "before 0001-01-01" in capsys.readouterr().out

