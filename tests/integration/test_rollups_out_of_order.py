"""A visit released between two released visits of its series that both failed an item, passing it
itself, takes a repeat failure back from the later one: a negative delta on an existing roll-up row.
Roll-up upserts used to carry it as an INSERT ... ON CONFLICT, whose proposed row a CHECK (>= 0) refused
first: a 500 at release. Now the release goes through and the roll-ups equal a recomputation."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest_asyncio
from litestar.testing import AsyncTestClient

from tests.integration.factories import World
from tests.integration.releases import (
    Catalogue,
    Inspections,
    fuel_catalogue,  # noqa: F401  (fixture)
    reference_month,
)
from tests.integration.test_appeals import assert_rollups_equal_recomputation

ITEM = "p1_greeting"


@pytest_asyncio.fixture
async def run(client: AsyncTestClient, world: World, fuel_catalogue: Catalogue) -> Inspections:  # noqa: F811
    return Inspections(client, world, fuel_catalogue)


async def test_a_passing_visit_released_between_two_failing_ones(
    world: World, run: Inspections, db: asyncpg.Pool
) -> None:
    day = reference_month() + timedelta(days=5)
    await run.released(world.a.b11, day, failing=(ITEM,))
    await run.released(world.a.b11, day + timedelta(days=10), failing=(ITEM,))
    repeats = await db.fetchval(
        "SELECT repeat_failures FROM rollup_item_periods WHERE org_id = $1 AND branch_id = $2 AND item_key = $3 "
        "AND period_kind = 'month'", world.a.id, world.a.b11, ITEM)
    assert repeats == 1
    await run.released(world.a.b11, day + timedelta(days=5))  # passes the item, between the two
    repeats = await db.fetchval(
        "SELECT repeat_failures FROM rollup_item_periods WHERE org_id = $1 AND branch_id = $2 AND item_key = $3 "
        "AND period_kind = 'month'", world.a.id, world.a.b11, ITEM)
    assert repeats == 0
    await assert_rollups_equal_recomputation(db, world.a.id)
