"""The outbox and GET /events: events commit with their change, the feed is scoped and shaped by role,
and a reader paging concurrently with out-of-order committers sees every committed event exactly once."""

from __future__ import annotations

import asyncio
import random
from uuid import UUID, uuid4

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from inspect_api.auth.principal import Principal
from inspect_api.events import queries
from inspect_api.events.service import emit
from inspect_api.settings import Settings
from tests.integration.factories import World, login_as

Client = AsyncTestClient[Litestar]


async def _feed(client: Client, headers: dict[str, str], **params: object) -> list[dict]:
    events: list[dict] = []
    cursor = None
    while True:
        query = {**params, **({"after": cursor} if cursor else {})}
        response = await client.get("/events", params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        events += page["events"]
        if not page["events"]:
            return events
        cursor = page["next_cursor"]


async def test_branch_changes_reach_each_role_in_its_scope(client: Client, world: World) -> None:
    a = world.a
    admin = await login_as(client, a.admin)
    for branch_id, name in ((a.b11, "Renamed 11"), (a.b12, "Renamed 12"), (a.b21, "Renamed 21")):
        response = await client.patch(f"/branches/{branch_id}", json={"name_en": name}, headers=admin)
        assert response.status_code == 200, response.text
    response = await client.patch(f"/branches/{a.b11}", json={"name_en": "Again 11"}, headers=admin)
    assert response.status_code == 200

    everything = await _feed(client, admin)
    assert [(e["type"], e["payload"]["name_en"]) for e in everything] == [
        ("branch.updated", "Renamed 11"), ("branch.updated", "Renamed 12"), ("branch.updated", "Renamed 21"),
        ("branch.updated", "Again 11"),
    ]
    assert [e["subject_seq"] for e in everything if e["subject_id"] == str(a.b11)] == [1, 2]

    lead = await _feed(client, await login_as(client, a.lead))  # region r1: b11, b12
    assert {e["branch_id"] for e in lead} == {str(a.b11), str(a.b12)}
    manager = await _feed(client, await login_as(client, a.manager))  # b11 only
    assert [e["payload"]["name_en"] for e in manager] == ["Renamed 11", "Again 11"]
    other_org = await _feed(client, await login_as(client, world.b.admin))
    assert other_org == []
    response = await client.get("/events", headers=await login_as(client, a.inspector))
    assert response.status_code == 403


async def test_user_visit_and_form_events_are_for_admins_only(client: Client, world: World) -> None:
    a = world.a
    admin = await login_as(client, a.admin)
    created = await client.post(
        "/users", headers=admin,
        json={"email": "new@alpha.test", "display_name": "New", "role": "inspector",
              "password": "a-long-pass-phrase-9"},
    )
    assert created.status_code == 201, created.text
    cancelled = await client.post(f"/visits/{a.v11}/cancel", headers=admin)
    assert cancelled.status_code == 200, cancelled.text

    types = [(e["type"], e["subject_id"]) for e in await _feed(client, admin)]
    assert types == [("user.created", created.json()["id"]), ("visit.cancelled", str(a.v11))]
    only_users = await _feed(client, admin, types=["user.created"])
    assert [e["type"] for e in only_users] == ["user.created"]
    assert "password" not in str(only_users) and "hash" not in str(only_users)
    # The visit was at b11: the lead sees it (as GET /visits does), its branch manager does not.
    assert [e["type"] for e in await _feed(client, await login_as(client, a.lead))] == ["visit.cancelled"]
    assert await _feed(client, await login_as(client, a.manager)) == []


async def test_a_refused_change_writes_no_event(client: Client, world: World) -> None:
    admin = await login_as(client, world.a.admin)
    response = await client.patch(f"/branches/{world.a.b11}", json={"timezone": "Mars/Olympus"}, headers=admin)
    assert response.status_code in (400, 422)
    response = await client.patch(f"/branches/{world.a.b11}", json={"region_id": str(uuid4())}, headers=admin)
    assert response.status_code == 422
    assert await _feed(client, admin) == []


async def test_a_malformed_cursor_is_a_400_naming_it(client: Client, world: World) -> None:
    admin = await login_as(client, world.a.admin)
    for bad in ("7", "x-1", "1-2-3", "99999999999999999999-1"):
        response = await client.get("/events", params={"after": bad}, headers=admin)
        assert response.status_code == 400, (bad, response.text)
        assert "after" in response.text


def _admin(world: World) -> Principal:
    return Principal(user_id=world.a.admin.id, org_id=world.a.id, role="admin", display_name="admin")


async def _read_all(
    conn: asyncpg.Connection, p: Principal, cursor: tuple[int, int]
) -> tuple[list[int], tuple[int, int]]:
    seen: list[int] = []
    while page := await queries.feed_page(conn, p, *cursor, None, 50):
        seen += [e.id for e in page]
        xid, _, event_id = page[-1].cursor.partition("-")
        cursor = (int(xid), int(event_id))
    return seen, cursor


async def test_an_event_committed_after_a_later_one_is_not_skipped(db: asyncpg.Pool, world: World) -> None:
    """Transaction A writes first (smaller id and xid) and commits last; a reader that read B's commit
    in between must still be shown A's event. Paging by id alone would have skipped it."""
    p = _admin(world)
    async with db.acquire() as first, db.acquire() as second, db.acquire() as reader:
        slow = first.transaction()
        await slow.start()
        early = await emit(first, p.org_id, "branch.updated", uuid4(), {"n": 1})
        async with second.transaction():
            late = await emit(second, p.org_id, "branch.updated", uuid4(), {"n": 2})
        assert early < late
        seen, cursor = await _read_all(reader, p, (0, 0))
        assert seen == []  # held back behind the open transaction, not skipped past
        await slow.commit()
        seen, _ = await _read_all(reader, p, cursor)
        assert seen == [early, late]


async def test_concurrent_writers_and_a_paging_reader_lose_nothing(
    db: asyncpg.Pool, world: World, settings: Settings
) -> None:
    """Jepsen-style set check: writers commit (or roll back) in a shuffled order while a reader pages;
    the reader sees exactly the committed events, each once."""
    p = _admin(world)
    committed: set[int] = set()
    rolled_back: set[int] = set()
    writers_done = asyncio.Event()
    rng = random.Random(16)
    subjects = [uuid4() for _ in range(4)]  # shared subjects: per-subject numbering under contention

    async def writer(n: int) -> None:
        for i in range(8):
            async with db.acquire() as conn:
                tx = conn.transaction()
                await tx.start()
                event_id = await emit(conn, p.org_id, "branch.updated", subjects[(n + i) % 4], {"w": n, "i": i})
                await asyncio.sleep(rng.random() / 50)
                if rng.random() < 0.2:
                    await tx.rollback()
                    rolled_back.add(event_id)
                else:
                    await tx.commit()
                    committed.add(event_id)

    async def reader() -> list[int]:
        seen: list[int] = []
        cursor = (0, 0)
        conn = await asyncpg.connect(settings.database_url)
        try:
            while not writers_done.is_set():
                more, cursor = await _read_all(conn, p, cursor)
                seen += more
                await asyncio.sleep(0.005)
            more, cursor = await _read_all(conn, p, cursor)
        finally:
            await conn.close()
        return seen + more

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(n) for n in range(4)))
    writers_done.set()
    seen = await reading
    assert committed and rolled_back
    lost = committed - set(seen)
    assert lost == set()
    assert len(seen) == len(set(seen))  # no duplicates
    assert set(seen) <= committed  # nothing rolled back is ever shown
    # Each subject's events are numbered 1, 2, 3... in commit order, whatever the interleaving.
    rows = await db.fetch("SELECT subject_id, subject_seq FROM events ORDER BY subject_id, subject_seq")
    by_subject: dict[UUID, list[int]] = {}
    for row in rows:
        by_subject.setdefault(row["subject_id"], []).append(row["subject_seq"])
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in by_subject.values())
