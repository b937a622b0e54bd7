"""Patched ranking pages equal a recomputation (#20, rankings/incremental.py).

Two workers (two apps on one database) hold admins' ranking scopes and patch them from the change log
after each release. Random sequences of releases (any branch, days in the month, the month before and
across week boundaries, random failed items), corrections (an appeal accepted: the old revision's roll-ups
retracted, the new one added), a branch renamed and org settings changed, with views through both workers
between the steps: every page either worker answers must equal the one the SQL ranking query computes
with no cache at all (service.rankings(cache=None): queries.SELECT_*_RANKING_PAGE), and the patch path
must have served views (or the test would only compare recomputations).
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient

from inspect_api.app import create_app
from inspect_api.auth.principal import fetch_principal
from inspect_api.rankings import service
from inspect_api.settings import Settings
from tests.integration.factories import World, fast_settings
from tests.integration.releases import (
    Catalogue,
    Inspections,
    fuel_catalogue,  # noqa: F401  (fixture)
    previous_month,
    reference_month,
    set_org_settings,
)
from tests.integration.test_appeals import passing_answer

FUEL = "fuel-attendant"
ITEMS = ("p1_greeting", "p2_needs", "p3_courtesy", "p4_equal_treatment")
STEPS = 14


@pytest_asyncio.fixture
async def other(settings: Settings, db: asyncpg.Pool) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A second worker on the same database, with its own ranking cache."""
    second = create_app(fast_settings(settings))
    async with AsyncTestClient(app=second) as client:
        yield client


def _views(world: World) -> list[dict[str, str]]:
    month = reference_month()
    base = {"form_key": FUEL, "on": (month + timedelta(days=3)).isoformat()}
    return [
        base | {"min_visits": "1"},
        base,  # the org's min_ranked_visits
        base | {"min_visits": "2", "limit": "2", "offset": "1"},
        base | {"region_id": str(world.a.r1), "min_visits": "1"},
        base | {"period": "week", "min_visits": "1"},
        base | {"period": "week", "on": (month + timedelta(days=10)).isoformat(), "min_visits": "1"},
        base | {"adjust": "shrinkage", "min_visits": "1"},
        base | {"adjust": "shrinkage", "peer": "format", "region_id": str(world.a.r2)},
        {"form_key": FUEL, "on": previous_month(month).isoformat(), "min_visits": "1"},
    ]


async def _recomputed(db: asyncpg.Pool, admin_id: UUID, view: dict[str, str]) -> Any:
    async with db.acquire() as conn:
        principal = await fetch_principal(conn, admin_id)
    assert principal is not None
    out = await service.rankings(
        db, principal, form_key=view["form_key"], kind=view.get("period", "month"),  # type: ignore[arg-type]
        on=date.fromisoformat(view["on"]),
        region_id=UUID(view["region_id"]) if "region_id" in view else None,
        min_visits=int(view["min_visits"]) if "min_visits" in view else None,
        limit=int(view.get("limit", "100")), offset=int(view.get("offset", "0")),
        adjust=view.get("adjust", "none"), peer=view.get("peer"),  # type: ignore[arg-type]
        cache=None,
    )
    return json.loads(msgspec.json.encode(out))


@pytest.mark.parametrize("seed", [7, 23, 1009])
async def test_patched_pages_equal_a_recomputation_after_random_releases_and_corrections(
    client: AsyncTestClient, other: AsyncTestClient, app: Litestar, world: World, db: asyncpg.Pool,
    fuel_catalogue: Catalogue, seed: int,  # noqa: F811
) -> None:
    rnd = random.Random(seed)
    run = Inspections(client, world, fuel_catalogue)
    admin, manager = await run.headers("admin"), await run.headers("branch_manager")
    views = _views(world)
    month = reference_month()
    days = [previous_month(month) + timedelta(days=d) for d in (2, 9, 20)] + \
           [month + timedelta(days=d) for d in (0, 2, 3, 6, 7, 9, 12, 26)]
    branches = [world.a.b11, world.a.b12, world.a.b21, world.a.b22]
    appealable: list[tuple[str, str]] = []  # (b11 submission, failed item): the manager may appeal those
    workers = (client, other)

    async def check(worker: AsyncTestClient, view: dict[str, str]) -> None:
        response = await worker.get("/rankings", params=view, headers=admin)
        assert response.status_code == 200, response.text
        assert response.json() == await _recomputed(db, world.a.admin.id, view), (seed, view)

    for worker in workers:  # both workers hold every scope before the first change
        for view in views:
            await check(worker, view)
    renamed = False
    for _ in range(STEPS):
        roll = rnd.random()
        if roll < 0.72 or not appealable:
            branch = rnd.choice(branches)
            failing = tuple(sorted(rnd.sample(ITEMS, rnd.randint(0, 3))))
            receipt = await run.released(branch, rnd.choice(days), failing=failing)
            if branch == world.a.b11 and failing:
                appealable.append((receipt["submission_id"], failing[0]))
        elif roll < 0.9:
            submission_id, item = appealable.pop(rnd.randrange(len(appealable)))
            opened = await client.post("/appeals", json={"submission_id": submission_id, "item_key": item,
                                                         "reason": "the attendant did it"}, headers=manager)
            assert opened.status_code == 201, opened.text
            accepted = await client.post(f"/appeals/{opened.json()['appeal']['id']}/accept",
                                         json={"answers": [passing_answer(fuel_catalogue, item)]}, headers=admin)
            assert accepted.status_code == 200, accepted.text
        elif not renamed:
            renamed = True  # an `everything` change: branch names are in every row
            patch = await client.patch(f"/branches/{world.a.b21}", json={"code": "B20"}, headers=admin)
            assert patch.status_code == 200, patch.text
        else:
            await set_org_settings(db, world.a.id, min_ranked_visits=rnd.randint(1, 3))
        for view in rnd.sample(views, 4):
            await check(rnd.choice(workers), view)
    for worker in workers:
        for view in views:
            await check(worker, view)
    counters = app.state.resources.rankings.counters
    assert counters.get("patched", 0) > 0 and counters.get("held", 0) > 0, counters


async def test_a_log_gap_or_an_everything_change_reads_the_scope_whole(
    client: AsyncTestClient, app: Litestar, world: World, db: asyncpg.Pool, fuel_catalogue: Catalogue,  # noqa: F811
) -> None:
    """A worker never patches over a gap in the log (rows pruned, or written before it existed)."""
    run = Inspections(client, world, fuel_catalogue)
    admin = await run.headers("admin")
    view = _views(world)[0]
    counters = app.state.resources.rankings.counters
    await run.released(world.a.b12, reference_month() + timedelta(days=3))
    assert (await client.get("/rankings", params=view, headers=admin)).status_code == 200
    whole = counters.get("whole", 0)
    await run.released(world.a.b12, reference_month() + timedelta(days=4))
    # The release's log rows vanish (as pruning would): the worker must read the whole scope again.
    await db.execute("DELETE FROM rankings_changes WHERE org_id = $1", world.a.id)
    response = await client.get("/rankings", params=view, headers=admin)
    assert response.status_code == 200 and counters["whole"] == whole + 1
    assert response.json() == await _recomputed(db, world.a.admin.id, view)
    patched = counters.get("patched", 0)
    await run.released(world.a.b12, reference_month() + timedelta(days=5))
    response = await client.get("/rankings", params=view, headers=admin)
    assert counters["patched"] == patched + 1 and response.json() == await _recomputed(db, world.a.admin.id, view)
