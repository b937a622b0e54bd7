"""Submission events in the feed (#16): every submission.* type appears in commit order with its own
subject sequence, the type filter works, and a branch manager's feed carries the release (and the
actions it opened) but nothing of a result before its release: no received, approved, rejected or
revised, and nothing at all of a result never released."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from tests.integration.factories import World, login_as, make_visit
from tests.integration.fuel_visit import Fuel, fuel_fixture  # noqa: F401  (fixture)
from tests.integration.phone import answers_for, submission_body

SUBMISSION_TYPES = ["submission.received", "submission.rejected", "submission.revised", "submission.approved",
                    "submission.released"]


async def feed(client: AsyncTestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "wait": 0, "limit": 2, **({"after": cursor} if cursor else {})}  # small pages
        response = await client.get("/events", params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        if not page["events"]:
            return events
        events += page["events"]
        cursor = page["next_cursor"]


def position(event: dict[str, Any]) -> tuple[int, int]:
    xid, _, event_id = event["cursor"].partition("-")
    return int(xid), int(event_id)


async def test_every_submission_event_in_commit_order_and_the_managers_feed_only_after_release(
    client: AsyncTestClient, world: World, fuel: Fuel, db: asyncpg.Pool
) -> None:
    inspector, admin = await login_as(client, world.a.inspector), await login_as(client, world.a.admin)
    manager = await login_as(client, world.a.manager)
    first = await client.post("/submissions", json=submission_body(
        answers_for(fuel.form, failing={"p1_greeting"}), visit_id=str(fuel.visit_id)), headers=inspector)
    assert first.status_code == 201, first.text
    submission_id = first.json()["submission_id"]
    rejected = await client.post(f"/submissions/{submission_id}/reject", json={"reason": "p1 needs a note"},
                                 headers=admin)
    assert rejected.status_code == 200, rejected.text
    revised = await client.post(f"/submissions/{submission_id}/revisions",
                                json=submission_body(answers_for(fuel.form, failing={"p1_greeting"})),
                                headers=inspector)
    assert revised.status_code == 201, revised.text
    assert (await client.post(f"/submissions/{submission_id}/approve", headers=admin)).status_code == 200

    # A second result at the same branch that is never released.
    async with db.acquire() as conn:
        other_visit = await make_visit(conn, world.a.id, world.a.b11, world.a.inspector.id, fuel.version_id,
                                       world.a.admin.id)
    unreleased = await client.post("/submissions", json=submission_body(
        answers_for(fuel.form, failing={"p1_greeting"}), visit_id=str(other_visit)), headers=inspector)
    assert unreleased.status_code == 201, unreleased.text
    unreleased_id = unreleased.json()["submission_id"]

    # Before the release the manager's feed has nothing of either result.
    theirs = await feed(client, manager)
    assert not [e for e in theirs if e["type"].startswith(("submission.", "action."))], theirs

    assert (await client.post(f"/submissions/{submission_id}/release", headers=admin)).status_code == 200

    everything = await feed(client, admin)
    assert [position(e) for e in everything] == sorted(position(e) for e in everything)
    mine = [e for e in everything if e["subject_id"] == submission_id]
    assert [e["type"] for e in mine] == SUBMISSION_TYPES
    assert [e["subject_seq"] for e in mine] == [1, 2, 3, 4, 5]
    assert [e["type"] for e in everything if e["subject_id"] == unreleased_id] == ["submission.received"]
    # the type filter
    released_only = await feed(client, admin, types=["submission.released"])
    assert [e["subject_id"] for e in released_only] == [submission_id]

    theirs = await feed(client, manager)
    seen = [(e["type"], e["subject_id"]) for e in theirs if e["type"].startswith("submission.")]
    assert seen == [("submission.released", submission_id)]
    assert not [e for e in theirs if e["subject_id"] == unreleased_id]
    opened = [e for e in theirs if e["type"] == "action.opened"]
    assert [e["payload"]["action"]["submission_id"] for e in opened] == [submission_id]
    # the release as the manager's other endpoints show it: the branch view, not QA's
    admin_release = next(e for e in mine if e["type"] == "submission.released")
    manager_release = next(e for e in theirs if e["type"] == "submission.released")
    assert manager_release["payload"] != admin_release["payload"]
    assert "inspector" not in str(manager_release["payload"]) and "started_at" not in str(manager_release["payload"])
