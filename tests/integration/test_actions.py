"""Follow-up actions through the HTTP API on real Postgres + SeaweedFS: visibility on release, the
lifecycle per role with an evidence photo uploaded straight to S3, history, overdue lists, and the
recheck on the next released visit (rechecked_ok / reopened + recurrence, duplicate merged)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest_asyncio
from litestar.testing import AsyncTestClient

from tests.integration.factories import World, login_as, make_user
from tests.integration.phone import get_slots, upload
from tests.integration.releases import (
    BRANCH_ZONE,
    FUEL,
    Catalogue,
    Inspections,
    fuel_catalogue,  # noqa: F401  (fixture)
    reference_month,
)
from tests.unit.photos.samples import jpeg


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest_asyncio.fixture
async def run(client: AsyncTestClient, world: World, fuel_catalogue: Catalogue) -> Inspections:  # noqa: F811
    return Inspections(client, world, fuel_catalogue)


async def listed(client: AsyncTestClient, headers: dict[str, str], path: str = "/actions", **params: Any) -> Any:
    response = await client.get(path, params={k: str(v) for k, v in params.items()}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def by_item(actions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {a["item_key"]: a for a in actions}


async def test_the_action_lifecycle_for_each_role(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, run: Inspections, db: asyncpg.Pool
) -> None:
    admin, manager, inspector = [await run.headers(r) for r in ("admin", "branch_manager", "inspector")]
    lead = await login_as(client, world.a.lead)
    receipt = await run.submit(world.a.b11, reference_month() + timedelta(days=9),
                               failing=("p1_greeting", "p7_no_argument"))
    assert receipt["actions_opened"] == 2  # what the release will open

    # Not released yet: no action exists (#19 item 3), for anyone; QA reads the score card's follow-ups.
    assert await listed(client, manager) == [] and await listed(client, lead) == []
    assert await listed(client, admin, branch_id=world.a.b11) == []
    await run.release(receipt["submission_id"])
    assert len(await listed(client, admin, branch_id=world.a.b11)) == 2

    actions = by_item(await listed(client, manager))
    p7, p1 = actions["p7_no_argument"], actions["p1_greeting"]
    assert (p7["priority"], p7["evidence_required"], p7["status"]) == ("high", True, "open")
    assert (p1["priority"], p1["evidence_required"]) == ("normal", False)
    assert p7["assignees"] == [{"id": str(world.a.manager.id), "display_name": "manager"}]
    assert p7["overdue"] is True and p7["allowed_moves"] == ["in_progress"]
    assert p7["branch"]["code"] == "B11" and p7["submission_id"] == receipt["submission_id"]
    action = p7["id"]

    for path in ("/actions", f"/actions/{action}", "/actions/overdue"):
        assert (await client.get(path, headers=inspector)).status_code == 403
    assert (await client.post(f"/actions/{action}/start", headers=inspector)).status_code == 403

    # Wrong role: 403 (before any scope check); illegal move: 409 naming the allowed ones.
    assert (await client.post(f"/actions/{action}/start", headers=lead)).status_code == 403
    assert (await client.post(f"/actions/{action}/start", headers=admin)).status_code == 403
    early = await client.post(f"/actions/{action}/verify", json={}, headers=lead)
    assert early.status_code == 409 and "in_progress" in early.json()["detail"]
    assert (await client.post(f"/actions/{action}/verify", json={}, headers=manager)).status_code == 403

    started = await client.post(f"/actions/{action}/start", headers=manager)
    assert started.status_code == 200 and started.json()["action"]["status"] == "in_progress"
    again = await client.post(f"/actions/{action}/start", headers=manager)
    assert again.status_code == 409 and "resolved" in again.json()["detail"]

    # Resolving needs a note and, here, an evidence photo uploaded straight to S3.
    no_photo = await client.post(f"/actions/{action}/resolve", json={"note": "talked to the team"}, headers=manager)
    assert no_photo.status_code == 422 and no_photo.json()["errors"][0]["field"] == "photo_ids"
    blank = await client.post(f"/actions/{action}/resolve", json={"note": "   "}, headers=manager)
    assert blank.status_code == 400
    slot = (await get_slots(client, manager, "image/jpeg", purpose="action_evidence", action_id=action))[0]
    assert (await upload(http, slot, jpeg(3))).status_code in (200, 204)
    resolved = await client.post(f"/actions/{action}/resolve",
                                 json={"note": "Conflict training held on site", "photo_ids": [slot["photo_id"]]},
                                 headers=manager)
    assert resolved.status_code == 200, resolved.text
    detail = resolved.json()
    assert detail["action"]["status"] == "resolved" and detail["action"]["overdue"] is False
    assert detail["evidence_photo_ids"] == [slot["photo_id"]]
    assert [(e["kind"], e["to_status"]) for e in detail["events"]] == [
        ("created", "open"), ("status", "in_progress"), ("evidence", None), ("status", "resolved")]
    assert detail["events"][-1]["note"] == "Conflict training held on site"
    assert detail["events"][-1]["actor"]["id"] == str(world.a.manager.id)
    reused = await client.post(f"/actions/{p1['id']}/start", headers=manager)
    assert reused.status_code == 200
    twice = await client.post(f"/actions/{p1['id']}/resolve", json={"note": "x", "photo_ids": [slot["photo_id"]]},
                              headers=manager)
    assert twice.status_code == 404  # the photo is attached already: no longer a pending upload

    overdue = await listed(client, manager, "/actions/overdue", branch_id=world.a.b11)
    assert [a["item_key"] for a in overdue] == ["p1_greeting"]  # the resolved one no longer binds

    photo = await client.get(f"/photos/{slot['photo_id']}", headers=lead)
    assert photo.status_code == 200, photo.text

    verified = await client.post(f"/actions/{action}/verify", json={"note": "seen on site"}, headers=lead)
    assert verified.status_code == 200 and verified.json()["action"]["status"] == "verified"
    no_note = await client.post(f"/actions/{action}/reopen", json={}, headers=admin)
    assert no_note.status_code == 400
    reopened = await client.post(f"/actions/{action}/reopen", json={"note": "argument seen again"}, headers=admin)
    assert reopened.status_code == 200 and reopened.json()["action"]["status"] == "reopened"
    stuck = await client.post(f"/actions/{action}/verify", json={}, headers=lead)
    assert stuck.status_code == 409 and stuck.json()["allowed"] == ["in_progress"]
    # RFC 9457: `status` is the HTTP status; the action's own status has its own member.
    assert stuck.json()["status"] == 409 and stuck.json()["action_status"] == "reopened"

    commented = await client.post(f"/actions/{action}/comments", json={"note": "will retrain Friday"},
                                  headers=manager)
    assert commented.status_code == 201
    history = commented.json()["events"]
    assert [e["to_status"] for e in history if e["kind"] == "status"] == [
        "in_progress", "resolved", "verified", "reopened"]
    assert history[-1]["kind"] == "comment" and history[-1]["actor"]["display_name"] == "manager"

    # Out of scope: another branch's manager, a lead of another region, another org: 404.
    async with db.acquire() as conn:
        other_manager = await make_user(conn, world.a.id, "m21@alpha.test", "branch_manager",
                                        branch_ids=(world.a.b21,))
        other_lead = await make_user(conn, world.a.id, "l2@alpha.test", "regional_lead", region_ids=(world.a.r2,))
    for who in (other_manager, other_lead, world.b.admin):
        headers = await login_as(client, who)
        assert (await client.get(f"/actions/{action}", headers=headers)).status_code == 404
        assert await listed(client, headers) == []
    m21 = await login_as(client, other_manager)
    assert (await client.post(f"/actions/{action}/start", headers=m21)).status_code == 404
    l2 = await login_as(client, other_lead)
    assert (await client.post(f"/actions/{action}/verify", json={}, headers=l2)).status_code == 404


async def test_the_next_visit_closes_or_reopens_earlier_actions(
    client: AsyncTestClient, world: World, run: Inspections
) -> None:
    manager = await run.headers("branch_manager")
    month = reference_month()
    first = await run.released(world.a.b11, month + timedelta(days=9), failing=("p1_greeting", "p8_six_voices"))
    earlier = by_item(await listed(client, manager))
    assert set(earlier) == {"p1_greeting", "p8_six_voices"}
    start = await client.post(f"/actions/{earlier['p8_six_voices']['id']}/start", headers=manager)
    assert start.status_code == 200

    # Not yet released: a later visit changes nothing.
    second = await run.submit(world.a.b11, month + timedelta(days=12), failing=("p1_greeting",))
    assert {a["status"] for a in await listed(client, manager)} == {"open", "in_progress"}
    await run.release(second["submission_id"])

    now = by_item(await listed(client, manager))
    assert set(now) == {"p1_greeting", "p8_six_voices"}  # one row per problem: the duplicate is merged
    p1, p8 = now["p1_greeting"], now["p8_six_voices"]
    assert p1["id"] == earlier["p1_greeting"]["id"]
    assert (p1["status"], p1["recurrence_count"]) == ("reopened", 1)
    assert p8["status"] == "rechecked_ok" and p8["allowed_moves"] == []
    assert p1["due_on"] == str(month + timedelta(days=12 + 14))  # the later visit's due date

    merged = [a for a in await listed(client, manager, include_merged="true") if a["status"] == "merged"]
    assert len(merged) == 1 and merged[0]["merged_into"] == p1["id"]
    assert merged[0]["submission_id"] == second["submission_id"]

    detail = (await client.get(f"/actions/{p1['id']}", headers=manager)).json()
    recheck = detail["events"][-1]
    assert (recheck["kind"], recheck["from_status"], recheck["to_status"]) == ("recheck", "open", "reopened")
    assert recheck["actor"] is None and recheck["submission_id"] == second["submission_id"]
    p8_events = (await client.get(f"/actions/{p8['id']}", headers=manager)).json()["events"]
    assert (p8_events[-1]["from_status"], p8_events[-1]["to_status"]) == ("in_progress", "rechecked_ok")

    weakness = (await client.get("/rankings/weakness", params={"form_key": FUEL, "on": str(month),
                                                               "branch_id": str(world.a.b11)},
                                 headers=manager)).json()
    p1_map = next(i for i in weakness["items"] if i["item_key"] == "p1_greeting")
    assert (p1_map["failures"], p1_map["repeat_failures"], p1_map["recurring"]) == (2, 1, True)

    # A third visit that passes p1 closes the recurring action; a third failure would count again.
    await run.released(world.a.b11, month + timedelta(days=15))
    statuses = sorted(a["status"] for a in await listed(client, manager, include_merged="true"))
    assert statuses == ["merged", "rechecked_ok", "rechecked_ok"]
    assert first["submission_id"] != second["submission_id"]


async def test_recurrence_counts_every_repeat(client: AsyncTestClient, world: World, run: Inspections) -> None:
    manager = await run.headers("branch_manager")
    month = reference_month()
    for day in (9, 11, 13):
        await run.released(world.a.b11, month + timedelta(days=day), failing=("p1_greeting",))
    live = await listed(client, manager)
    assert len(live) == 1 and (live[0]["status"], live[0]["recurrence_count"]) == ("reopened", 2)
    assert len([a for a in await listed(client, manager, include_merged="true") if a["status"] == "merged"]) == 2


async def test_overdue_lists_per_branch_and_region(client: AsyncTestClient, world: World, run: Inspections) -> None:
    admin = await run.headers("admin")
    lead = await login_as(client, world.a.lead)
    yesterday = datetime.now(BRANCH_ZONE).date() - timedelta(days=1)
    await run.released(world.a.b21, reference_month() + timedelta(days=9), failing=("p1_greeting",))  # long due
    await run.released(world.a.b12, yesterday, failing=("p1_greeting",))  # due in 14 days
    await run.released(world.a.b11, reference_month() + timedelta(days=9), failing=("p8_six_voices",))

    region2 = await listed(client, admin, "/actions/overdue", region_id=world.a.r2)
    assert [(a["branch"]["code"], a["overdue"]) for a in region2] == [("B21", True)]
    region1 = await listed(client, admin, "/actions/overdue", region_id=world.a.r1)
    assert [a["branch"]["code"] for a in region1] == ["B11"]
    assert [a["branch"]["code"] for a in await listed(client, lead, "/actions/overdue")] == ["B11"]
    assert await listed(client, lead, "/actions/overdue", region_id=world.a.r2) == []
    fresh = await listed(client, admin, branch_id=world.a.b12)
    assert len(fresh) == 1 and fresh[0]["overdue"] is False
    assert fresh[0]["due_on"] == str(yesterday + timedelta(days=14))
    only_overdue = await listed(client, admin, overdue="true")
    assert sorted(a["branch"]["code"] for a in only_overdue) == ["B11", "B21"]
