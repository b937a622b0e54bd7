"""QA comments and the on-hold state (#17), through the API on real inspections: QA (admin, reviewer in
its scope) comments on the result or an item; shared comments reach the branch after the release as
text and date only; a held result shows in the queue and cannot be released until unheld; events and
audit rows; who may do what."""

from __future__ import annotations

from datetime import date, timedelta

import asyncpg
import pytest_asyncio
from litestar.testing import AsyncTestClient

from tests.integration.factories import World, login_as
from tests.integration.releases import (
    Catalogue,
    Inspections,
    fuel_catalogue,  # noqa: F401  (fixture)
    reference_month,
)


@pytest_asyncio.fixture
async def run(client: AsyncTestClient, world: World, fuel_catalogue: Catalogue) -> Inspections:  # noqa: F811
    return Inspections(client, world, fuel_catalogue)


async def test_comments_reach_the_branch_only_when_shared_and_released(
    client: AsyncTestClient, world: World, run: Inspections, db: asyncpg.Pool
) -> None:
    reviewer, admin = await login_as(client, world.a.reviewer), await run.headers("admin")
    manager, lead = await run.headers("branch_manager"), await login_as(client, world.a.lead)
    receipt = await run.submit(world.a.b11, reference_month() + timedelta(days=4), failing=("p1_greeting",))
    sid = receipt["submission_id"]

    private = await client.post(f"/submissions/{sid}/comments", json={"body": "photo 2 is blurred"}, headers=reviewer)
    assert private.status_code == 201, private.text
    assert private.json()["author"]["id"] == str(world.a.reviewer.id) and private.json()["share_with_branch"] is False
    shared = await client.post(f"/submissions/{sid}/comments", headers=admin, json={
        "body": "Greet every customer within 10 seconds", "item_key": "p1_greeting", "share_with_branch": True})
    assert shared.status_code == 201, shared.text
    bad = await client.post(f"/submissions/{sid}/comments", json={"body": "x", "item_key": "p99_nothing"},
                            headers=reviewer)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "item_key"
    empty = await client.post(f"/submissions/{sid}/comments", json={"body": ""}, headers=reviewer)
    assert empty.status_code == 400

    for headers in (manager, lead):  # nothing of an unreleased result
        assert (await client.get(f"/submissions/{sid}/comments", headers=headers)).status_code == 404
    qa = (await client.get(f"/submissions/{sid}/comments", headers=reviewer)).json()
    assert [c["body"] for c in qa] == ["photo 2 is blurred", "Greet every customer within 10 seconds"]

    await run.release(sid)
    for headers in (manager, lead):
        seen = (await client.get(f"/submissions/{sid}/comments", headers=headers)).json()
        assert seen == [{"id": shared.json()["id"], "item_key": "p1_greeting",
                         "body": "Greet every customer within 10 seconds",
                         "commented_on": seen[0]["commented_on"]}]
        date.fromisoformat(seen[0]["commented_on"])  # a date, nothing finer
    assert await db.fetchval("SELECT count(*) FROM events WHERE type = 'submission.commented' "
                             "AND branch_id IS NULL AND branch_payload IS NULL") == 2
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'submission.commented'") == 2


async def test_a_held_result_shows_in_the_queue_and_is_not_released_until_unheld(
    client: AsyncTestClient, world: World, run: Inspections, db: asyncpg.Pool
) -> None:
    reviewer = await login_as(client, world.a.reviewer)
    sid = (await run.submit(world.a.b12, reference_month() + timedelta(days=6)))["submission_id"]
    other = (await run.submit(world.a.b11, reference_month() + timedelta(days=7)))["submission_id"]

    held = await client.post(f"/submissions/{sid}/hold", json={"reason": "waiting for the till receipt"},
                             headers=reviewer)
    assert held.status_code == 200, held.text
    assert held.json()["hold"]["reason"] == "waiting for the till receipt"
    assert (await client.post(f"/submissions/{sid}/hold", json={"reason": "again please"},
                              headers=reviewer)).status_code == 409
    queue = (await client.get("/submissions", params={"status": "submitted"}, headers=reviewer)).json()
    assert {r["id"]: r["on_hold"] for r in queue} == {sid: True, other: False}

    assert (await client.post(f"/submissions/{sid}/approve", headers=reviewer)).status_code == 200
    refused = await client.post(f"/submissions/{sid}/release", headers=reviewer)
    assert refused.status_code == 409 and "on hold" in refused.json()["detail"]
    assert await db.fetchval("SELECT status FROM submissions WHERE id = $1", sid) == "approved"
    assert await db.fetchval("SELECT count(*) FROM actions WHERE submission_id = $1", sid) == 0

    unheld = await client.post(f"/submissions/{sid}/unhold", json={"reason": "receipt arrived"}, headers=reviewer)
    assert unheld.status_code == 200 and unheld.json()["hold"] is None
    assert (await client.post(f"/submissions/{sid}/unhold", json={"reason": "not held now"},
                              headers=reviewer)).status_code == 409
    assert (await client.post(f"/submissions/{sid}/release", headers=reviewer)).status_code == 200
    assert (await client.post(f"/submissions/{sid}/hold", json={"reason": "too late now"},
                              headers=reviewer)).status_code == 409

    # a rejection ends a hold
    assert (await client.post(f"/submissions/{other}/hold", json={"reason": "check it"},
                              headers=reviewer)).status_code == 200
    rejected = await client.post(f"/submissions/{other}/reject", json={"reason": "wrong branch"}, headers=reviewer)
    assert rejected.status_code == 200 and rejected.json()["hold"] is None

    types = [r["type"] for r in await db.fetch(
        "SELECT type FROM events WHERE type IN ('submission.held', 'submission.unheld') ORDER BY id")]
    assert types == ["submission.held", "submission.unheld", "submission.held"]
    audit = await db.fetch("SELECT action, actor_role, after FROM audit_log WHERE target_id = $1 "
                           "AND action LIKE 'submission.%held' ORDER BY id", sid)
    assert [(a["action"], a["actor_role"], a["after"]["reason"]) for a in audit] == [
        ("submission.held", "reviewer", "waiting for the till receipt"),
        ("submission.unheld", "reviewer", "receipt arrived")]


async def test_only_qa_in_scope_comments_and_holds(
    client: AsyncTestClient, world: World, run: Inspections
) -> None:
    inside = (await run.submit(world.a.b11, reference_month() + timedelta(days=8)))["submission_id"]
    outside = (await run.submit(world.a.b21, reference_month() + timedelta(days=8)))["submission_id"]
    for role in ("regional_lead", "branch_manager", "inspector"):
        headers = await run.headers(role)
        for path, body in (("comments", {"body": "mine"}), ("hold", {"reason": "mine now"})):
            answer = await client.post(f"/submissions/{inside}/{path}", json=body, headers=headers)
            assert answer.status_code == 403, (role, path, answer.text)
    reviewer = await login_as(client, world.a.reviewer)  # reviews r1 only
    for path, body in (("comments", {"body": "not mine"}), ("hold", {"reason": "not mine"})):
        assert (await client.post(f"/submissions/{outside}/{path}", json=body, headers=reviewer)).status_code == 404
    assert (await client.get(f"/submissions/{outside}/comments", headers=reviewer)).status_code == 404
    assert (await client.get(f"/submissions/{inside}/comments",
                             headers=await run.headers("inspector"))).status_code == 403
