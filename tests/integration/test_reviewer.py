"""The reviewer (QA) role (#17) end to end: created through /users with or without regions, reviews
and releases real inspections in its scope (release hooks run, the audit row names the reviewer), an
unscoped reviewer reviews the whole org, and it administers nothing. The role x endpoint x scope matrix
is in test_permissions.py / test_permissions_writes.py."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest_asyncio
from litestar.testing import AsyncTestClient

from tests.integration.factories import PASSWORD, World, login, login_as
from tests.integration.releases import (
    Catalogue,
    Inspections,
    fuel_catalogue,  # noqa: F401  (fixture)
    reference_month,
)


@pytest_asyncio.fixture
async def run(client: AsyncTestClient, world: World, fuel_catalogue: Catalogue) -> Inspections:  # noqa: F811
    return Inspections(client, world, fuel_catalogue)


async def test_admin_creates_reviewers_with_and_without_regions(client: AsyncTestClient, world: World) -> None:
    admin = await login_as(client, world.a.admin)
    regional = await client.post("/users", headers=admin, json={
        "email": "qa.east@alpha.test", "display_name": "QA East", "role": "reviewer",
        "password": PASSWORD, "region_ids": [str(world.a.r2)]})
    assert regional.status_code == 201, regional.text
    assert regional.json()["role"] == "reviewer" and regional.json()["region_ids"] == [str(world.a.r2)]
    orgwide = await client.post("/users", headers=admin, json={
        "email": "qa.all@alpha.test", "display_name": "QA All", "role": "reviewer", "password": PASSWORD})
    assert orgwide.status_code == 201, orgwide.text
    # branches are a branch manager's, never a reviewer's
    refused = await client.post("/users", headers=admin, json={
        "email": "qa.x@alpha.test", "display_name": "QA X", "role": "reviewer", "password": PASSWORD,
        "branch_ids": [str(world.a.b11)]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "branch_ids"

    east = await login(client, "qa.east@alpha.test")
    branches = {b["id"] for b in (await client.get("/branches", headers=east)).json()}
    assert branches == {str(world.a.b21), str(world.a.b22)}
    everyone = await login(client, "qa.all@alpha.test")
    branches = {b["id"] for b in (await client.get("/branches", headers=everyone)).json()}
    assert branches == {str(b) for b in (world.a.b11, world.a.b12, world.a.b21, world.a.b22)}  # never bravo's

    # a lead turned reviewer keeps its regions; a reviewer turned branch manager loses them
    moved = await client.patch(f"/users/{world.a.lead.id}", json={"role": "reviewer"}, headers=admin)
    assert moved.status_code == 200 and moved.json()["region_ids"] == [str(world.a.r1)]
    demoted = await client.patch(f"/users/{regional.json()['id']}", json={"role": "branch_manager"}, headers=admin)
    assert demoted.status_code == 200 and demoted.json()["region_ids"] == []
    regions = await client.put(f"/users/{orgwide.json()['id']}/regions", json={"region_ids": [str(world.a.r1)]},
                               headers=admin)
    assert regions.status_code == 200 and regions.json()["region_ids"] == [str(world.a.r1)]


async def test_a_reviewer_releases_in_scope_and_is_audited(
    client: AsyncTestClient, world: World, run: Inspections, db: asyncpg.Pool
) -> None:
    reviewer = await login_as(client, world.a.reviewer)  # reviews r1 (b11, b12)
    day = reference_month() + timedelta(days=5)
    inside = await run.submit(world.a.b12, day, failing=("p1_greeting",))
    outside = await run.submit(world.a.b21, day)

    queue = (await client.get("/submissions", params={"status": "submitted"}, headers=reviewer)).json()
    assert [s["id"] for s in queue] == [inside["submission_id"]]
    view = (await client.get(f"/submissions/{inside['submission_id']}", headers=reviewer)).json()
    assert view["proof"] is not None and view["inspector"]["id"] == str(world.a.inspector.id)

    for step, status in (("approve", "approved"), ("release", "released")):
        answer = await client.post(f"/submissions/{inside['submission_id']}/{step}", headers=reviewer)
        assert answer.status_code == 200 and answer.json()["status"] == status, answer.text
    assert (await client.post(f"/submissions/{outside['submission_id']}/approve", headers=reviewer)).status_code == 404

    # the release derived what the branch sees (hooks ran): the follow-up action exists
    opened = await db.fetchval("SELECT count(*) FROM actions WHERE submission_id = $1", inside["submission_id"])
    assert opened == 1
    audit = await db.fetch("SELECT action, actor_id, actor_role FROM audit_log WHERE target_id = $1 ORDER BY id",
                           inside["submission_id"])
    assert [(r["action"], r["actor_id"], r["actor_role"]) for r in audit] == [
        ("submission.approved", world.a.reviewer.id, "reviewer"),
        ("submission.released", world.a.reviewer.id, "reviewer"),
    ]


async def test_a_reviewer_manages_nothing(client: AsyncTestClient, world: World) -> None:
    reviewer = await login_as(client, world.a.reviewer)
    refused = [
        await client.patch("/org", json={"name": "Mine now"}, headers=reviewer),
        await client.post("/users", json={"email": "x@alpha.test", "display_name": "X", "role": "admin",
                                          "password": PASSWORD}, headers=reviewer),
        await client.patch(f"/users/{world.a.reviewer.id}", json={"role": "admin"}, headers=reviewer),
        await client.get("/audit", headers=reviewer),
        await client.get("/webhooks/endpoints", headers=reviewer),
        await client.post("/visits", json={}, headers=reviewer),
        await client.get("/actions", headers=reviewer),
        await client.post("/branches", json={}, headers=reviewer),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused), [r.text for r in refused]
    assert (await client.get("/forms", headers=reviewer)).status_code == 200  # reads the labels it reviews
