"""Rankings read from a real streaming replica (issue #20, storage/read_pool.py): a hot standby made with
pg_basebackup -R from the session's embedded primary (the pgserver binaries), started on its own port.

Replay on the standby is paused on purpose (pg_wal_replay_pause), so which pool served a request is
decided by the data, not by timing: while the replica lacks a release, the org's rankings come from the
primary (the releasing admin sees it at once); once replay catches up they come from the replica again.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Final
from urllib.parse import urlparse
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient

from inspect_api.app import create_app
from inspect_api.settings import Settings
from inspect_api.storage.embedded import EmbeddedPostgres
from tests.integration.factories import World, login_as
from tests.integration.releases import (
    FUEL,
    Catalogue,
    Inspections,
    fuel_catalogue,  # noqa: F401  (fixture)
    reference_month,
)
from tests.integration.shared import fast_settings

WAIT_SECONDS: Final = 60.0


@pytest_asyncio.fixture
async def standby_url(engines, settings: Settings, tmp_path: Path, db: asyncpg.Pool) -> AsyncIterator[str]:
    """A hot standby of the session's primary; yields the test database's URL on it."""
    if engines.postgres is None:
        pytest.skip("the primary is an external server (DATABASE_URL): no local pg_basebackup")
    primary: EmbeddedPostgres = engines.postgres
    standby = EmbeddedPostgres(tmp_path / "standby")  # a free port: nothing fixed to clash with a bench
    standby._prepare_dirs()
    made = standby._run("pg_basebackup", "-D", str(standby.pgdata), "-R", "-X", "stream", "-c", "fast",
                        "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", check=False)
    assert made.returncode == 0, made.stderr
    standby.start()
    try:
        parsed = urlparse(settings.database_url)
        yield parsed._replace(netloc=f"{parsed.username or 'postgres'}@127.0.0.1:{standby.port}").geturl()
    finally:
        standby.stop()
        shutil.rmtree(standby.data_dir, ignore_errors=True)


@pytest_asyncio.fixture
async def replica_app(settings: Settings, standby_url: str) -> Litestar:
    return create_app(fast_settings(settings, database_read_url=standby_url))


async def _until(check, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while not await check():
        assert loop.time() < deadline, f"gave up waiting: {what}"
        await asyncio.sleep(0.05)


async def test_rankings_read_the_replica_and_the_releasing_admin_reads_their_release(
    replica_app: Litestar, standby_url: str, world: World, fuel_catalogue: Catalogue,  # noqa: F811
    db: asyncpg.Pool,
) -> None:
    replica = await asyncpg.connect(standby_url)
    try:
        assert await replica.fetchval("SELECT pg_is_in_recovery()")
        async with AsyncTestClient(app=replica_app) as client:
            router = replica_app.state.resources.reads
            run = Inspections(client, world, fuel_catalogue)
            month = reference_month()
            for day in range(2):
                await run.released(world.a.b11, month + timedelta(days=3 + day))
            admin = await run.headers("admin")
            lead = await login_as(client, world.a.lead)
            query = {"form_key": FUEL, "on": month.isoformat(), "min_visits": "1"}

            async def b11_visits(headers: dict[str, str]) -> int:
                response = await client.get("/rankings", params=query, headers=headers)
                assert response.status_code == 200, response.text
                return next(r for r in response.json()["rows"]
                            if (r["branch"] or {}).get("code") == "B11")["current"]["visits"]

            generation = "SELECT generation FROM rankings_generations WHERE org_id = $1"

            async def replica_caught_up() -> bool:
                return await replica.fetchval(generation, world.a.id) == await db.fetchval(generation, world.a.id)

            await _until(replica_caught_up, "the standby replays the releases")
            before = dict(router.routed)
            assert await b11_visits(lead) == 2
            assert router.routed["replica"] == before["replica"] + 1  # served by the standby

            await replica.execute("SELECT pg_wal_replay_pause()")
            await _until(lambda: _paused(replica), "replay paused")
            receipt = await run.submit(world.a.b11, month + timedelta(days=10))
            await run.release(receipt["submission_id"])
            released = "SELECT count(*) FROM submissions WHERE org_id = $1 AND status = 'released'"
            assert await replica.fetchval(released, world.a.id) == 2  # the standby does not have it yet
            before = dict(router.routed)
            assert await b11_visits(admin) == 3  # the admin who released reads their release: primary
            assert await b11_visits(lead) == 3  # so does everyone in the org
            assert router.routed == {"replica": before["replica"], "primary": before["primary"] + 2}

            await replica.execute("SELECT pg_wal_replay_resume()")
            await _until(replica_caught_up, "the standby catches up")
            before = dict(router.routed)
            assert await b11_visits(admin) == 3
            assert router.routed["replica"] == before["replica"] + 1  # back on the standby
    finally:
        await replica.close()


async def test_exports_read_the_replica_and_the_primary_once_it_lacks_a_release(
    replica_app: Litestar, standby_url: str, world: World, fuel_catalogue: Catalogue,  # noqa: F811
    db: asyncpg.Pool,
) -> None:
    """The submissions CSV and xlsx come from the standby, shown by a value only the standby still has
    (an SQL update on the primary that bumps no generation, made while replay is paused); after a
    release the standby lacks, the same exports come from the primary, with the release."""
    replica = await asyncpg.connect(standby_url)
    try:
        async with AsyncTestClient(app=replica_app) as client:
            router = replica_app.state.resources.reads
            run = Inspections(client, world, fuel_catalogue)
            month = reference_month()
            first = await run.released(world.a.b11, month + timedelta(days=3))
            admin = await run.headers("admin")
            generation = "SELECT generation FROM rankings_generations WHERE org_id = $1"

            async def replica_caught_up() -> bool:
                return await replica.fetchval(generation, world.a.id) == await db.fetchval(generation, world.a.id)

            await _until(replica_caught_up, "the standby replays the release")
            await replica.execute("SELECT pg_wal_replay_pause()")
            await _until(lambda: _paused(replica), "replay paused")
            await db.execute("UPDATE submissions SET total_percent = 12.34 WHERE id = $1", UUID(first["submission_id"]))

            async def exported(path: str) -> str:
                response = await client.get(path, params={"form_key": FUEL}, headers=admin)
                assert response.status_code == 200, response.text
                if path.endswith(".csv"):
                    return response.content.decode("utf-8-sig")
                with zipfile.ZipFile(io.BytesIO(response.content)) as book:
                    return book.read("xl/worksheets/sheet1.xml").decode()

            for path in ("/exports/submissions.csv", "/exports/submissions.xlsx"):
                before = dict(router.routed)
                text = await exported(path)
                assert router.routed == {"replica": before["replica"] + 1, "primary": before["primary"]}
                assert first["submission_id"] in text and "12.34" not in text  # the standby's snapshot

            second = await run.released(world.a.b21, month + timedelta(days=4))  # bumps the generation
            for path in ("/exports/submissions.csv", "/exports/submissions.xlsx"):
                before = dict(router.routed)
                text = await exported(path)
                assert router.routed == {"replica": before["replica"], "primary": before["primary"] + 1}
                assert second["submission_id"] in text and "12.34" in text  # the primary's
            await replica.execute("SELECT pg_wal_replay_resume()")
    finally:
        await replica.close()


async def _paused(replica: asyncpg.Connection) -> bool:
    return await replica.fetchval("SELECT pg_get_wal_replay_pause_state()") == "paused"


async def test_without_a_read_url_reads_stay_on_the_primary(app: Litestar, client, world: World) -> None:
    assert app.state.resources.reads.replica is None
    headers = await login_as(client, world.a.admin)
    response = await client.get("/rankings", params={"form_key": FUEL}, headers=headers)
    assert response.status_code in (200, 404), response.text
    assert app.state.resources.reads.routed == {"replica": 0, "primary": 0}
