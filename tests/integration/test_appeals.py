"""Appeals (#17) through the HTTP API on real Postgres + SeaweedFS, per role: a branch manager appeals an
item of a released result with an evidence photo, QA accepts with a corrected answer -> a new, server-scored
revision (the total changes in /submissions/{id} and /rankings, roll-ups equal a recomputation, the item's
follow-up is cleared, the old revision and score card stay for QA), a rejection leaves the result alone,
the manager withdraws; a manager of another branch can neither appeal nor see; double appeal 409; a bad
item key 422 naming item_key; an unreleased result 422 naming submission_id; audit rows and events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest_asyncio
from litestar.testing import AsyncTestClient

from inspect_api.rankings import rollups
from tests.integration.factories import World, login_as, make_user
from tests.integration.phone import answers_for, get_slots, upload
from tests.integration.releases import (
    FUEL,
    Catalogue,
    Inspections,
    fuel_catalogue,  # noqa: F401  (fixture)
    reference_month,
)
from tests.unit.photos.samples import jpeg

ITEM = "p1_greeting"
OTHER_ITEM = "p8_six_voices"


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest_asyncio.fixture
async def run(client: AsyncTestClient, world: World, fuel_catalogue: Catalogue) -> Inspections:  # noqa: F811
    return Inspections(client, world, fuel_catalogue)


async def get(client: AsyncTestClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get(path, params={k: str(v) for k, v in params.items()}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def passing_answer(catalogue: Catalogue, item: str) -> dict[str, Any]:
    return next(a for a in answers_for(catalogue.form) if a["item"] == item)


async def b11_mean(client: AsyncTestClient, headers: dict[str, str], day: date) -> float:
    body = await get(client, "/rankings", headers, form_key=FUEL, period="month", on=day, min_visits=1)
    return next(r for r in body["rows"] if r["branch"]["code"] == "B11")["current"]["mean"]


async def rollup_rows(conn: asyncpg.Connection, org_id: Any) -> tuple[list[Any], list[Any]]:
    branch = await conn.fetch("SELECT * FROM rollup_branch_periods WHERE org_id = $1 AND visits > 0 "
                              "ORDER BY form_key, period_kind, period_start, branch_id", org_id)
    items = await conn.fetch("SELECT * FROM rollup_item_periods WHERE org_id = $1 AND applicable > 0 "
                             "ORDER BY form_key, period_kind, period_start, branch_id, item_key", org_id)
    return [tuple(r) for r in branch], [tuple(r) for r in items]


async def assert_rollups_equal_recomputation(db: asyncpg.Pool, org_id: Any) -> None:
    async with db.acquire() as conn:
        incremental = await rollup_rows(conn, org_id)
        tx = conn.transaction()
        await tx.start()
        try:
            await rollups.backfill(conn, org_id)
            recomputed = await rollup_rows(conn, org_id)
        finally:
            await tx.rollback()
    assert incremental == recomputed


async def test_appeal_accepted_corrects_the_result_and_rankings(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, run: Inspections, db: asyncpg.Pool,
    fuel_catalogue: Catalogue,  # noqa: F811
) -> None:
    admin, manager, inspector = [await run.headers(r) for r in ("admin", "branch_manager", "inspector")]
    lead = await login_as(client, world.a.lead)
    day = reference_month() + timedelta(days=9)
    earlier = await run.released(world.a.b11, day - timedelta(days=3), failing=(ITEM,))  # a series neighbour
    receipt = await run.released(world.a.b11, day, failing=(ITEM, OTHER_ITEM))
    later = await run.released(world.a.b11, day + timedelta(days=3), failing=(ITEM,))
    submission_id = receipt["submission_id"]
    before = await get(client, f"/submissions/{submission_id}", admin)
    mean_before = await b11_mean(client, admin, day)
    action = next(a for a in await get(client, "/actions", manager, include_merged=True)
                  if a["submission_id"] == submission_id and a["item_key"] == ITEM)

    # The manager appeals the item with an evidence photo uploaded straight to S3.
    slot = (await get_slots(client, manager, "image/jpeg", purpose="action_evidence", action_id=action["id"]))[0]
    assert (await upload(http, slot, jpeg(5))).status_code in (200, 204)
    opened = await client.post("/appeals", json={
        "submission_id": submission_id, "item_key": ITEM, "reason": "The attendant greeted; see the CCTV still",
        "photo_ids": [slot["photo_id"]]}, headers=manager)
    assert opened.status_code == 201, opened.text
    appeal = opened.json()["appeal"]
    assert opened.json()["disputed_score"] is None  # the manager's view
    assert (appeal["status"], appeal["item_key"], appeal["evidence_photo_ids"]) == ("open", ITEM, [slot["photo_id"]])
    assert appeal["disputed"] == {"revision": 1, "total_percent": before["total_percent"], "passed": before["passed"],
                                  "item_status": "fail"}
    assert appeal["corrected"] is None and appeal["opened_by"]["id"] == str(world.a.manager.id)

    # One open appeal per result and item.
    again = await client.post("/appeals", json={"submission_id": submission_id, "item_key": ITEM,
                                                "reason": "once more"}, headers=manager)
    assert again.status_code == 409, again.text

    # Listed per role: manager, lead, admin see it (filter by state); inspectors never.
    assert [a["id"] for a in await get(client, "/appeals", manager)] == [appeal["id"]]
    assert [a["id"] for a in await get(client, "/appeals", lead, status="open")] == [appeal["id"]]
    assert await get(client, "/appeals", admin, status="accepted") == []
    assert (await client.get("/appeals", headers=inspector)).status_code == 403
    qa_view = await get(client, f"/appeals/{appeal['id']}", admin)
    assert qa_view["disputed_score"]["total_percent"] == before["total_percent"]

    # Accepting: only the disputed item may change; the manager may not decide.
    wrong_item = await client.post(f"/appeals/{appeal['id']}/accept",
                                   json={"answers": [passing_answer(fuel_catalogue, OTHER_ITEM)]}, headers=admin)
    assert wrong_item.status_code == 422 and wrong_item.json()["errors"][0]["field"] == "answers[0].item"
    bad_value = await client.post(f"/appeals/{appeal['id']}/accept",
                                  json={"answers": [{"item": ITEM, "value": "not a value"}]}, headers=admin)
    assert bad_value.status_code == 422 and bad_value.json()["errors"][0]["field"] == f"answers[{ITEM}]"
    for who in (manager, lead, inspector):
        assert (await client.post(f"/appeals/{appeal['id']}/accept",
                                  json={"answers": [passing_answer(fuel_catalogue, ITEM)]},
                                  headers=who)).status_code == 403
    assert (await db.fetchval("SELECT current_revision FROM submissions WHERE id = $1", submission_id)) == 1

    accepted = await client.post(f"/appeals/{appeal['id']}/accept",
                                 json={"answers": [passing_answer(fuel_catalogue, ITEM)], "note": "CCTV confirms"},
                                 headers=admin)
    assert accepted.status_code == 200, accepted.text
    decided = accepted.json()["appeal"]
    assert decided["status"] == "accepted" and decided["decided_by"]["id"] == str(world.a.admin.id)
    assert decided["corrected"]["revision"] == 2 and decided["corrected"]["item_status"] == "pass"
    assert decided["corrected"]["total_percent"] > before["total_percent"]

    # The result: a new revision, the total changed, still released; the old revision stays for QA.
    after = await get(client, f"/submissions/{submission_id}", admin)
    assert after["status"] == "released" and after["revision"] == 2 and after["released_at"] == before["released_at"]
    assert after["total_percent"] == decided["corrected"]["total_percent"]
    assert [(r["revision"], r["total_percent"]) for r in after["revisions"]] == [
        (1, before["total_percent"]), (2, after["total_percent"])]
    assert (await get(client, f"/submissions/{submission_id}", manager))["total_percent"] == after["total_percent"]
    old_card = await db.fetchval(
        "SELECT score_card FROM submission_revisions WHERE submission_id = $1 AND revision = 1", submission_id)
    assert old_card["total_percent"] == before["total_percent"]
    assert (await get(client, f"/appeals/{appeal['id']}", admin))["disputed_score"]["total_percent"] == \
        before["total_percent"]

    # Rankings moved by exactly the change of one visit's score; roll-ups equal a recomputation.
    mean_after = await b11_mean(client, admin, day)
    assert abs((mean_after - mean_before) * 3 - (after["total_percent"] - before["total_percent"])) < 1e-3
    await assert_rollups_equal_recomputation(db, world.a.id)
    items = await db.fetch("SELECT item_key, status FROM submission_items i JOIN submission_revisions r "
                           "ON r.id = i.revision_id WHERE r.submission_id = $1 AND r.revision = 1", submission_id)
    assert items == []  # per-item facts exist for the current revision only

    # Follow-ups: the visit's own p1 action was merged into the earlier visit's, which the later visit
    # (still failing p1) judged last: both stay. The other item's action moves to the new revision as it is.
    assert (await get(client, f"/actions/{action['id']}", manager))["action"]["status"] == "merged"
    assert (await get(client, f"/actions/{action['merged_into']}", manager))["action"]["status"] == "reopened"
    other = await db.fetchrow("SELECT a.status, r.revision FROM actions a JOIN submission_revisions r "
                              "ON r.id = a.revision_id WHERE a.submission_id = $1 AND a.item_key = $2",
                              submission_id, OTHER_ITEM)
    assert tuple(other) == ("rechecked_ok", 2)  # the later visit passed it: its verdict is kept
    assert earlier and later  # neighbours in the series, judged again by the recomputation above

    # Audit rows and events, written with the change.
    audited = [r["action"] for r in await db.fetch(
        "SELECT action FROM audit_log WHERE target_id = ANY($1::text[]) ORDER BY id", [appeal["id"], submission_id])]
    assert audited[-3:] == ["appeal.opened", "submission.corrected", "appeal.accepted"]
    events = await get(client, "/events", admin, wait=0)
    kinds = [e["type"] for e in events["events"] if e["subject_id"] == appeal["id"]]
    assert kinds == ["appeal.opened", "appeal.accepted"]
    manager_events = await get(client, "/events", manager, wait=0)
    assert [e["type"] for e in manager_events["events"] if e["subject_id"] == appeal["id"]] == kinds

    # A decided appeal is final.
    assert (await client.post(f"/appeals/{appeal['id']}/reject", json={"reason": "too late"},
                              headers=admin)).status_code == 409


async def test_rejected_and_withdrawn_appeals_leave_the_result(
    client: AsyncTestClient, world: World, run: Inspections, db: asyncpg.Pool
) -> None:
    admin, manager = [await run.headers(r) for r in ("admin", "branch_manager")]
    day = reference_month() + timedelta(days=12)
    submission_id = (await run.released(world.a.b11, day, failing=(ITEM,)))["submission_id"]
    before = await get(client, f"/submissions/{submission_id}", admin)
    rankings_before = await b11_mean(client, admin, day)

    whole = await client.post("/appeals", json={"submission_id": submission_id, "reason": "The visit was unfair"},
                              headers=manager)
    assert whole.status_code == 201, whole.text
    appeal_id = whole.json()["appeal"]["id"]
    assert whole.json()["appeal"]["item_key"] is None and whole.json()["appeal"]["disputed"]["item_status"] is None
    no_reason = await client.post(f"/appeals/{appeal_id}/reject", json={"reason": ""}, headers=admin)
    assert no_reason.status_code == 400
    rejected = await client.post(f"/appeals/{appeal_id}/reject", json={"reason": "The photos show no greeting"},
                                 headers=admin)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["appeal"]["status"] == "rejected"
    assert rejected.json()["appeal"]["decision_reason"] == "The photos show no greeting"
    after = await get(client, f"/submissions/{submission_id}", admin)
    assert (after["revision"], after["total_percent"]) == (1, before["total_percent"])
    assert await b11_mean(client, admin, day) == rankings_before
    assert [a["id"] for a in await get(client, "/appeals", manager, status="rejected")] == [appeal_id]

    # Closed, the same result and item may be appealed again; the manager withdraws that one.
    reopened = await client.post("/appeals", json={"submission_id": submission_id, "reason": "New evidence"},
                                 headers=manager)
    assert reopened.status_code == 201, reopened.text
    second = reopened.json()["appeal"]["id"]
    assert (await client.post(f"/appeals/{second}/withdraw", json={}, headers=admin)).status_code == 403
    withdrawn = await client.post(f"/appeals/{second}/withdraw", json={}, headers=manager)
    assert withdrawn.status_code == 200 and withdrawn.json()["appeal"]["status"] == "withdrawn"
    assert (await client.post(f"/appeals/{second}/withdraw", json={}, headers=manager)).status_code == 409
    audited = [r["action"] for r in await db.fetch(
        "SELECT action FROM audit_log WHERE target_id = ANY($1::text[]) ORDER BY id", [appeal_id, second])]
    assert audited == ["appeal.opened", "appeal.rejected", "appeal.opened", "appeal.withdrawn"]

    # Accepted at last, for the item: the latest visit of its series no longer fails it, so the system
    # clears the item's follow-up (a recheck event says why); the total rises.
    action = next(a for a in await get(client, "/actions", manager) if a["submission_id"] == submission_id)
    assert action["item_key"] == ITEM and action["status"] == "open"
    third = await client.post("/appeals", json={"submission_id": submission_id, "item_key": ITEM,
                                                "reason": "CCTV shows the greeting"}, headers=manager)
    assert third.status_code == 201, third.text
    passing = next(a for a in answers_for(run.catalogue.form) if a["item"] == ITEM)
    accepted = await client.post(f"/appeals/{third.json()['appeal']['id']}/accept", json={"answers": [passing]},
                                 headers=admin)
    assert accepted.status_code == 200, accepted.text
    cleared = await get(client, f"/actions/{action['id']}", manager)
    assert cleared["action"]["status"] == "rechecked_ok"
    assert cleared["events"][-1]["kind"] == "recheck" and ITEM in cleared["events"][-1]["note"]
    assert (await get(client, f"/submissions/{submission_id}", manager))["total_percent"] > before["total_percent"]
    await assert_rollups_equal_recomputation(db, world.a.id)


async def test_who_may_appeal_what(client: AsyncTestClient, world: World, run: Inspections, db: asyncpg.Pool) -> None:
    admin, manager, inspector = [await run.headers(r) for r in ("admin", "branch_manager", "inspector")]
    lead = await login_as(client, world.a.lead)
    async with db.acquire() as conn:
        other_manager_user = await make_user(conn, world.a.id, "manager12@alpha.test", "branch_manager",
                                             branch_ids=(world.a.b12,))
    other_manager = await login_as(client, other_manager_user)
    day = reference_month() + timedelta(days=14)
    b11 = (await run.released(world.a.b11, day, failing=(ITEM,)))["submission_id"]
    b12 = (await run.released(world.a.b12, day, failing=(ITEM,)))["submission_id"]
    unreleased = (await run.submit(world.a.b11, day + timedelta(days=1), failing=(ITEM,)))["submission_id"]

    def body(submission_id: str, **extra: Any) -> dict[str, Any]:
        return {"submission_id": submission_id, "reason": "Please look again", **extra}

    # A bad item key: 422 naming item_key; nothing written.
    bad_item = await client.post("/appeals", json=body(b11, item_key="p99_nothing"), headers=manager)
    assert bad_item.status_code == 422 and bad_item.json()["errors"][0]["field"] == "item_key", bad_item.text
    # Another branch's result, an unreleased result, an unknown id: the same 422 naming submission_id.
    for target in (b12, unreleased, "00000000-0000-4000-8000-000000000000"):
        refused = await client.post("/appeals", json=body(target), headers=manager)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "submission_id"
        assert "released" in refused.json()["detail"]
    # Only branch managers appeal.
    for who in (admin, lead, inspector):
        assert (await client.post("/appeals", json=body(b11), headers=who)).status_code == 403
    # A reason is bounded.
    assert (await client.post("/appeals", json=body(b11, reason="x" * 2001), headers=manager)).status_code == 400
    assert await db.fetchval("SELECT count(*) FROM appeals") == 0

    mine = await client.post("/appeals", json=body(b11, item_key=ITEM), headers=manager)
    assert mine.status_code == 201, mine.text
    appeal_id = mine.json()["appeal"]["id"]
    theirs = await client.post("/appeals", json=body(b12), headers=other_manager)
    assert theirs.status_code == 201, theirs.text

    # The other branch's manager sees nothing of it, nor may they withdraw it; each sees their own.
    assert (await client.get(f"/appeals/{appeal_id}", headers=other_manager)).status_code == 404
    assert (await client.post(f"/appeals/{appeal_id}/withdraw", json={},
                              headers=other_manager)).status_code == 404
    assert [a["id"] for a in await get(client, "/appeals", other_manager)] == [theirs.json()["appeal"]["id"]]
    assert [a["id"] for a in await get(client, "/appeals", manager)] == [appeal_id]
    assert {a["id"] for a in await get(client, "/appeals", admin)} == {appeal_id, theirs.json()["appeal"]["id"]}
    assert [a["id"] for a in await get(client, "/appeals", admin, branch_id=world.a.b12)] == [
        theirs.json()["appeal"]["id"]]
    # Another org's admin sees none of them.
    bravo = await login_as(client, world.b.admin)
    assert await get(client, "/appeals", bravo) == []
    assert (await client.get(f"/appeals/{appeal_id}", headers=bravo)).status_code == 404
    # A bad state filter is a 400 naming it.
    bad_state = await client.get("/appeals", params={"status": "pending"}, headers=admin)
    assert bad_state.status_code == 400
