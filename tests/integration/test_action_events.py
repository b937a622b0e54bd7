"""action.* events (#16) and the action assignee, priority and SLA reminders (#17): each change writes
its event in the changing transaction with a snapshot of the action as /actions shows it, branch
managers get exactly that shape in their feed, PATCH validates the assignee (nothing written when
refused), moves and assignment are audited, and the reminder job emits due_soon and overdue once each."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest_asyncio
from litestar.testing import AsyncTestClient

from inspect_api.actions.reminders import reminder_job, send_reminders
from inspect_api.jobs import run_due
from tests.integration.factories import World, login_as, make_user
from tests.integration.releases import (
    BRANCH_ZONE,
    Catalogue,
    Inspections,
    fuel_catalogue,  # noqa: F401  (fixture)
    reference_month,
)

FAILING = ("p1_greeting", "p7_no_argument")


@pytest_asyncio.fixture
async def run(client: AsyncTestClient, world: World, fuel_catalogue: Catalogue) -> Inspections:  # noqa: F811
    return Inspections(client, world, fuel_catalogue)


async def feed(client: AsyncTestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "wait": 0, **({"after": cursor} if cursor else {})}
        response = await client.get("/events", params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        if not page["events"]:
            return events
        events += page["events"]
        cursor = page["next_cursor"]


def action_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"].startswith("action.")]


async def released_actions(client: AsyncTestClient, run: Inspections, world: World) -> dict[str, dict[str, Any]]:
    await run.released(world.a.b11, reference_month() + timedelta(days=9), failing=FAILING)
    manager = await run.headers("branch_manager")
    response = await client.get("/actions", headers=manager)
    return {a["item_key"]: a for a in response.json()}


async def test_every_action_change_is_an_event_with_its_snapshot(
    client: AsyncTestClient, world: World, run: Inspections, db: asyncpg.Pool
) -> None:
    admin, manager = await run.headers("admin"), await run.headers("branch_manager")
    lead = await login_as(client, world.a.lead)
    actions = await released_actions(client, run, world)
    p7 = actions["p7_no_argument"]["id"]

    opened = [e for e in action_events(await feed(client, admin)) if e["type"] == "action.opened"]
    assert sorted(e["payload"]["action"]["item_key"] for e in opened) == sorted(FAILING)
    assert all(e["payload"]["change"]["kind"] == "opened" and e["payload"]["action"]["status"] == "open"
               and e["branch_id"] == str(world.a.b11) for e in opened)

    assert (await client.post(f"/actions/{p7}/start", headers=manager)).status_code == 200
    assert (await client.post(f"/actions/{p7}/comments", json={"note": "on it"}, headers=manager)).status_code == 201
    patched = await client.patch(f"/actions/{p7}", json={"assignee_id": str(world.a.manager.id),
                                                          "priority": "urgent", "note": "before the audit"},
                                 headers=lead)
    assert patched.status_code == 200, patched.text
    body = patched.json()["action"]
    assert body["assignee"] == {"id": str(world.a.manager.id), "display_name": "manager"}
    assert body["priority"] == "urgent"
    assert patched.json()["events"][-1]["kind"] == "assigned"

    mine = [e for e in action_events(await feed(client, admin)) if e["subject_id"] == p7]
    assert [e["type"] for e in mine] == ["action.opened", "action.moved", "action.commented", "action.updated"]
    assert [e["subject_seq"] for e in mine] == [1, 2, 3, 4]
    moved, commented, updated = (e["payload"] for e in mine[1:])
    # snapshots as of each commit, not re-read later
    assert (moved["action"]["status"], moved["action"]["priority"]) == ("in_progress", "high")
    assert moved["change"]["from_status"] == "open"
    assert moved["change"]["actor"] == {"id": str(world.a.manager.id), "display_name": "manager"}
    assert commented["change"]["note"] == "on it" and commented["action"]["assignee"] is None
    assert updated["change"]["before"] == {"assignee_id": None, "priority": "high"}
    assert updated["change"]["after"] == {"assignee_id": str(world.a.manager.id), "priority": "urgent"}
    assert updated["action"]["priority"] == "urgent"

    # The branch manager's feed: the same events, each payload exactly the /actions shape they read.
    theirs = [e for e in action_events(await feed(client, manager)) if e["subject_id"] == p7]
    assert [e["payload"] for e in theirs] == [e["payload"] for e in mine]
    now = (await client.get(f"/actions/{p7}", headers=manager)).json()["action"]
    assert set(theirs[-1]["payload"]["action"]) == set(now)
    assert {k: v for k, v in theirs[-1]["payload"]["action"].items() if k != "overdue"} == \
        {k: v for k, v in now.items() if k != "overdue"}

    audit = await db.fetch("SELECT action, actor_id, before, after FROM audit_log WHERE target_id = $1 ORDER BY id",
                           p7)
    assert [(r["action"], r["actor_id"]) for r in audit] == [
        ("action.moved", world.a.manager.id), ("action.assigned", world.a.lead.id)]
    assert audit[0]["before"] == {"status": "open"} and audit[0]["after"]["status"] == "in_progress"
    assert audit[1]["after"] == {"assignee_id": str(world.a.manager.id), "priority": "urgent"}


async def test_patch_validates_the_assignee_and_writes_nothing_when_refused(
    client: AsyncTestClient, world: World, run: Inspections, db: asyncpg.Pool
) -> None:
    admin, manager = await run.headers("admin"), await run.headers("branch_manager")
    actions = await released_actions(client, run, world)
    p1 = actions["p1_greeting"]["id"]
    async with db.acquire() as conn:
        other_manager = await make_user(conn, world.a.id, "manager21@a.test", "branch_manager",
                                        branch_ids=(world.a.b21,))
    before_events = await db.fetchval("SELECT count(*) FROM events")
    before_audit = await db.fetchval("SELECT count(*) FROM audit_log")
    for assignee in (world.a.inspector.id, world.b.manager.id, other_manager.id, world.a.reviewer.id,
                     UUID(int=7)):
        refused = await client.patch(f"/actions/{p1}", json={"assignee_id": str(assignee)}, headers=admin)
        assert refused.status_code == 422, (assignee, refused.text)
        assert refused.json()["errors"][0]["field"] == "assignee_id"
    bad = await client.patch(f"/actions/{p1}", json={"priority": "asap"}, headers=admin)
    assert bad.status_code == 400 and "priority" in bad.text
    unknown = await client.patch(f"/actions/{p1}", json={"owner": "x"}, headers=admin)
    assert unknown.status_code == 400
    assert (await client.patch(f"/actions/{p1}", json={"priority": "low"}, headers=manager)).status_code == 403
    assert await db.fetchval("SELECT count(*) FROM events") == before_events
    assert await db.fetchval("SELECT count(*) FROM audit_log") == before_audit
    assert await db.fetchval("SELECT priority FROM actions WHERE id = $1", UUID(p1)) == "normal"

    # The region's lead and the branch's manager are assignable; null clears; no change writes nothing.
    for assignee in (world.a.lead.id, world.a.manager.id):
        ok = await client.patch(f"/actions/{p1}", json={"assignee_id": str(assignee)}, headers=admin)
        assert ok.status_code == 200 and ok.json()["action"]["assignee"]["id"] == str(assignee)
    cleared = await client.patch(f"/actions/{p1}", json={"assignee_id": None}, headers=admin)
    assert cleared.status_code == 200 and cleared.json()["action"]["assignee"] is None
    count = await db.fetchval("SELECT count(*) FROM events")
    same = await client.patch(f"/actions/{p1}", json={"priority": "normal"}, headers=admin)
    assert same.status_code == 200
    assert await db.fetchval("SELECT count(*) FROM events") == count
    # other org's admin: not found
    other = await login_as(client, world.b.admin)
    assert (await client.patch(f"/actions/{p1}", json={"priority": "low"}, headers=other)).status_code == 404


async def test_the_next_visit_emits_rechecked(client: AsyncTestClient, world: World, run: Inspections) -> None:
    admin = await run.headers("admin")
    actions = await released_actions(client, run, world)
    # p1 passes now, p7 fails again (reopened; the new visit's own p7 merges into it)
    await run.released(world.a.b11, reference_month() + timedelta(days=20), failing=("p7_no_argument",))
    rechecked = {e["subject_id"]: e["payload"] for e in action_events(await feed(client, admin))
                 if e["type"] == "action.rechecked"}
    p1, p7 = actions["p1_greeting"]["id"], actions["p7_no_argument"]["id"]
    assert set(rechecked) == {p1, p7}
    assert rechecked[p1]["change"]["to_status"] == "rechecked_ok"
    assert rechecked[p1]["action"]["status"] == "rechecked_ok"
    assert rechecked[p7]["change"]["to_status"] == "reopened" and len(rechecked[p7]["change"]["merged"]) == 1
    assert rechecked[p7]["action"]["recurrence_count"] == 1
    opened = [e for e in action_events(await feed(client, admin)) if e["type"] == "action.opened"]
    assert len(opened) == 2  # the merged duplicate opens nothing new


async def test_reminders_due_soon_then_overdue_once_each(
    client: AsyncTestClient, world: World, run: Inspections, db: asyncpg.Pool
) -> None:
    admin, manager = await run.headers("admin"), await run.headers("branch_manager")
    actions = await released_actions(client, run, world)
    p1, p7 = actions["p1_greeting"]["id"], actions["p7_no_argument"]["id"]
    due_on = datetime.now(BRANCH_ZONE).date() + timedelta(days=3)
    await db.execute("UPDATE actions SET due_on = $2 WHERE id = $1", UUID(p1), due_on)
    due_at = datetime.combine(due_on + timedelta(days=1), time(0), BRANCH_ZONE).astimezone(UTC)
    lead_time = timedelta(hours=24)

    async def sent(now: datetime) -> int:
        async with db.acquire() as conn, conn.transaction():
            return await send_reminders(conn, now, lead_time)

    # p7 is long past due (a visit of the reference month): overdue at once, no late due_soon
    assert await sent(due_at - timedelta(hours=30)) == 1
    assert await sent(due_at - timedelta(hours=23)) == 1  # p1: due soon
    assert await sent(due_at - timedelta(hours=1)) == 0
    job = reminder_job(lead=lead_time)
    assert [r.count for r in await run_due(db, due_at + timedelta(minutes=1), jobs=(job,))] == [1]  # p1 overdue
    assert await sent(due_at + timedelta(hours=2)) == 0
    reminders = [(e["subject_id"], e["type"]) for e in action_events(await feed(client, admin))
                 if e["type"] in ("action.due_soon", "action.overdue")]
    assert reminders == [(p7, "action.overdue"), (p1, "action.due_soon"), (p1, "action.overdue")]
    theirs = [e for e in action_events(await feed(client, manager)) if e["type"] == "action.due_soon"]
    assert len(theirs) == 1 and datetime.fromisoformat(theirs[0]["payload"]["change"]["due_at"]) == due_at
    # resolved work is not reminded of; a new due date at a recurrence clears the marks (loop.py)
    assert await db.fetchval("SELECT count(*) FROM actions WHERE overdue_notified_at IS NULL") == 0
