"""Per-worker caches stay correct across workers: each test runs two apps (two "workers") on one database.

* Cached callers: a change to a user reaches every worker through LISTEN/NOTIFY at commit; the cache's
  own time limit is set to an hour here, so only the notification can explain a refusal.
* Cached ranking pages: a release, a renamed branch or an org setting shows in the very next request of
  the other worker (generation read with the request, no notification involved).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient

from inspect_api.app import create_app
from inspect_api.settings import Settings
from tests.integration.factories import World, fast_settings, login_as
from tests.integration.releases import (
    FUEL,
    Catalogue,
    Inspections,
    fuel_catalogue,  # noqa: F401  (fixture)
    reference_month,
    set_org_settings,
)

HOUR = 3600
WAIT_SECONDS = 10.0


@pytest.fixture
def app(settings: Settings, db: asyncpg.Pool) -> Litestar:
    return create_app(fast_settings(settings, principal_cache_seconds=HOUR))


@pytest_asyncio.fixture
async def other(settings: Settings, db: asyncpg.Pool) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A second worker on the same database, with its own caches and change feed."""
    async with AsyncTestClient(app=create_app(fast_settings(settings, principal_cache_seconds=HOUR))) as client:
        yield client


async def eventually_401(client: AsyncTestClient, headers: dict[str, str]) -> int:
    """Poll GET /me until 401 (bounded): a notification arrives after commit, not with the response."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        status = (await client.get("/me", headers=headers)).status_code
        if status == 401 or loop.time() > deadline:
            return status
        await asyncio.sleep(0.02)


async def test_a_disabled_user_is_refused_by_every_worker(
    client: AsyncTestClient, other: AsyncTestClient, world: World
) -> None:
    admin = await login_as(client, world.a.admin)
    inspector = await login_as(client, world.a.inspector)
    for worker in (client, other):  # both workers now hold the inspector
        assert (await worker.get("/me", headers=inspector)).status_code == 200
    disabled = await client.patch(f"/users/{world.a.inspector.id}", json={"active": False}, headers=admin)
    assert disabled.status_code == 200, disabled.text
    assert (await client.get("/me", headers=inspector)).status_code == 401  # the writing worker: at once
    assert await eventually_401(other, inspector) == 401


async def test_a_change_made_outside_the_api_reaches_cached_callers(
    client: AsyncTestClient, world: World, db: asyncpg.Pool
) -> None:
    """psql, a migration, another service: the trigger notifies whoever wrote the row."""
    manager = await login_as(client, world.a.manager)
    assert (await client.get("/me", headers=manager)).json()["branch_ids"] == [str(world.a.b11)]
    await db.execute("DELETE FROM user_branches WHERE user_id = $1", world.a.manager.id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while (await client.get("/rankings/weakness", params={"form_key": FUEL, "branch_id": str(world.a.b11)},
                            headers=manager)).status_code != 404:
        assert loop.time() < deadline, "the branch manager still sees a branch taken away from them"
        await asyncio.sleep(0.02)
    await db.execute("UPDATE users SET active = false WHERE id = $1", world.a.manager.id)
    assert await eventually_401(client, manager) == 401


async def test_a_lost_feed_connection_forgets_every_cached_caller(
    client: AsyncTestClient, app: Litestar, world: World, db: asyncpg.Pool
) -> None:
    """Notifications sent while the listening connection is gone are lost: on reconnecting, the worker
    must drop what it cached instead of trusting it."""
    inspector = await login_as(client, world.a.inspector)
    assert (await client.get("/me", headers=inspector)).status_code == 200
    feed = app.state.resources.changes
    reconnects = feed.reconnects
    killed = await db.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid = $1", feed.backend_pid)
    assert killed == 1
    await db.execute("UPDATE users SET active = false WHERE id = $1", world.a.inspector.id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while feed.reconnects == reconnects or not feed.live:
        assert loop.time() < deadline, "the change feed did not reconnect"
        await asyncio.sleep(0.02)
    assert (await client.get("/me", headers=inspector)).status_code == 401


async def test_cached_rankings_follow_releases_renames_and_settings_on_every_worker(
    client: AsyncTestClient, other: AsyncTestClient, world: World, fuel_catalogue: Catalogue,  # noqa: F811
    db: asyncpg.Pool,
) -> None:
    run = Inspections(client, world, fuel_catalogue)
    month = reference_month()
    for day in range(3):
        await run.released(world.a.b11, month + timedelta(days=3 + day))
    admin = await run.headers("admin")
    manager = await login_as(other, world.a.manager)
    query = {"form_key": FUEL, "on": month.isoformat(), "min_visits": "1"}

    async def rows(worker: AsyncTestClient, headers: dict[str, str]) -> dict[str, Any]:
        response = await worker.get("/rankings", params=query, headers=headers)
        assert response.status_code == 200, response.text
        return {f"{r['region_id']}:{(r['branch'] or {}).get('code') or '?'}": r for r in response.json()["rows"]}

    assert (await rows(other, admin))[f"{world.a.r1}:B11"]["current"]["visits"] == 3  # cached on `other`
    assert (await rows(other, admin)) == (await rows(other, admin))

    receipt = await run.submit(world.a.b11, month + timedelta(days=10), failing=("p1_greeting",))
    await run.release(receipt["submission_id"])  # released through the first worker
    assert (await rows(other, admin))[f"{world.a.r1}:B11"]["current"]["visits"] == 4

    renamed = await client.patch(f"/branches/{world.a.b11}", json={"code": "B11X"}, headers=admin)
    assert renamed.status_code == 200, renamed.text
    assert f"{world.a.r1}:B11X" in await rows(other, admin)

    peers = await rows(other, manager)  # the manager's region: peers anonymised by default
    assert any(key.endswith(":?") for key in peers)
    before = await rows(other, manager)
    await set_org_settings(db, world.a.id, show_peer_names=True)
    named = await rows(other, manager)
    assert all(not key.endswith(":?") for key in named)
    assert len(named) == len(before)
