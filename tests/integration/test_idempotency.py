"""Idempotent intake under retries: a phone's resends never make a second row or a different answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import httpx
import msgspec
import pytest_asyncio
from litestar.testing import AsyncTestClient

from inspect_api.forms.loader import load_seed_dir
from inspect_api.forms.service import seed_catalogue
from inspect_api.settings import Settings
from inspect_api.submissions.intake import request_hash
from inspect_api.submissions.schemas import SubmissionIn
from tests.integration.factories import World, fast_settings, login_as
from tests.integration.live_server import ThreadedServer
from tests.integration.phone import answers_for, get_slots, submission_body, upload
from tests.unit.photos.samples import jpeg

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_forms"


@pytest_asyncio.fixture
async def adhoc_body(client: AsyncTestClient, db: asyncpg.Pool, world: World) -> dict:
    """An ad-hoc submission with two photos in S3, from the factory org's inspector."""
    forms = {f.key: f for f in load_seed_dir(SEED_DIR)}
    async with db.acquire() as conn:
        await seed_catalogue(conn, list(forms.values()))
        version_id = await conn.fetchval(
            "SELECT v.id FROM form_versions v JOIN forms f ON f.id = v.form_id "
            "WHERE f.key = 'fuel-attendant' AND f.org_id IS NULL AND v.version = 1")
        await conn.execute("UPDATE orgs SET settings = settings || '{\"allow_adhoc_submissions\": true}' WHERE id = $1",
                           world.a.id)
    headers = await login_as(client, world.a.inspector)
    slots = await get_slots(client, headers, "image/jpeg", "image/jpeg")
    async with httpx.AsyncClient(timeout=30) as s3:
        for n, slot in enumerate(slots):
            assert (await upload(s3, slot, jpeg(n, latitude=31.2302, longitude=121.4701))).status_code in (200, 204)
    photos = [UUID(slot["photo_id"]) for slot in slots]
    answers = answers_for(forms["fuel-attendant"], failing={"p1_greeting"}, photos={"p1_greeting": photos})
    return submission_body(answers, branch_id=str(world.a.b11), form_version_id=str(version_id))


@pytest_asyncio.fixture
async def inspector(client: AsyncTestClient, world: World) -> AsyncIterator[dict[str, str]]:
    yield await login_as(client, world.a.inspector)


async def stored_rows(db: asyncpg.Pool) -> dict[str, int]:
    """What intake stored (actions: none before the release, #19 item 3)."""
    tables = ("submissions", "submission_revisions", "actions")
    counts = {t: await db.fetchval(f"SELECT count(*) FROM {t}") for t in tables}
    counts["attached_photos"] = await db.fetchval("SELECT count(*) FROM photos WHERE status = 'attached'")
    return counts


async def test_fifty_sequential_retries_make_one_row_and_identical_answers(
    client: AsyncTestClient, db: asyncpg.Pool, adhoc_body: dict, inspector: dict[str, str]
) -> None:
    answers = [await client.post("/submissions", json=adhoc_body, headers=inspector) for _ in range(50)]
    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    assert await stored_rows(db) == {"submissions": 1, "submission_revisions": 1, "actions": 0,
                                      "attached_photos": 2}


async def test_twenty_concurrent_same_uuid_requests_make_one_row_and_no_5xx(
    settings: Settings, db: asyncpg.Pool, adhoc_body: dict, inspector: dict[str, str]
) -> None:
    """20 connections to a real server, each request sent before any is answered: they race through
    intake together, so all but one lose at the database's idempotency key and answer the winner's receipt."""
    with ThreadedServer(fast_settings(settings)) as live:
        limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
        async with httpx.AsyncClient(base_url=live.url, timeout=60, limits=limits) as http:
            start = asyncio.Event()

            async def resend() -> httpx.Response:
                await start.wait()
                return await http.post("/submissions", json=adhoc_body, headers=inspector)

            sending = [asyncio.create_task(resend()) for _ in range(20)]
            await asyncio.sleep(0)
            start.set()
            answers = await asyncio.gather(*sending)
    statuses = [a.status_code for a in answers]
    assert not [s for s in statuses if s >= 500], statuses
    assert set(statuses) == {201}, statuses
    assert len({a.content for a in answers}) == 1
    assert await stored_rows(db) == {"submissions": 1, "submission_revisions": 1, "actions": 0,
                                      "attached_photos": 2}


async def test_a_retry_with_reordered_json_is_the_same_request(
    client: AsyncTestClient, db: asyncpg.Pool, adhoc_body: dict, inspector: dict[str, str]
) -> None:
    first = await client.post("/submissions", json=adhoc_body, headers=inspector)
    reordered = dict(reversed(list(adhoc_body.items())))
    again = await client.post("/submissions", json=reordered, headers=inspector)
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert (await stored_rows(db))["submission_revisions"] == 1


# ---- a client_id belongs to its inspector (#14 item 7) -----------------------------------------------

def claimed_elsewhere(response: httpx.Response, client_id: str) -> None:
    """A 409 problem that names the client id and nothing of the stored submission."""
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert client_id in problem["detail"] and "make a new client_id" in problem["detail"]
    assert not {"submission_id", "score", "revision", "received_at", "actions_opened"} & set(problem)


async def test_another_inspector_resending_the_same_body_gets_a_409_not_the_receipt(
    client: AsyncTestClient, db: asyncpg.Pool, world: World, adhoc_body: dict, inspector: dict[str, str]
) -> None:
    first = await client.post("/submissions", json=adhoc_body, headers=inspector)
    assert first.status_code == 201, first.text
    other = await login_as(client, world.a.inspector2)
    for body in (adhoc_body, {**adhoc_body, "comment": "a different body"}):  # alike: says nothing of the body
        answer = await client.post("/submissions", json=body, headers=other)
        claimed_elsewhere(answer, adhoc_body["client_id"])
        assert first.json()["submission_id"] not in answer.text
    # The owner's resend still answers the stored receipt, and nothing more was written.
    again = await client.post("/submissions", json=adhoc_body, headers=inspector)
    assert again.status_code == 201 and again.content == first.content
    assert await stored_rows(db) == {"submissions": 1, "submission_revisions": 1, "actions": 0,
                                      "attached_photos": 2}


WAITING_INSERT = """
SELECT count(*) FROM pg_stat_activity
WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO submission_revisions%'
"""


async def test_another_inspector_losing_the_race_for_a_client_id_gets_a_409_not_the_receipt(
    settings: Settings, client: AsyncTestClient, db: asyncpg.Pool, world: World, adhoc_body: dict,
    inspector: dict[str, str],
) -> None:
    """The other inspector's intake reads no revision under the client id, then its insert waits on the
    owner's uncommitted one and fails on the key: that path too answers the 409."""
    first = await client.post("/submissions", json=adhoc_body, headers=inspector)
    assert first.status_code == 201, first.text
    forms = {f.key: f for f in load_seed_dir(SEED_DIR)}
    contested = str(uuid4())
    theirs = submission_body(answers_for(forms["fuel-attendant"]), client_id=contested,
                             branch_id=adhoc_body["branch_id"], form_version_id=adhoc_body["form_version_id"])
    other = await login_as(client, world.a.inspector2)
    with ThreadedServer(fast_settings(settings)) as live:
        async with db.acquire() as owner, httpx.AsyncClient(base_url=live.url, timeout=60) as http:
            claim = owner.transaction()
            await claim.start()
            # The owner's revision takes the contested key, as if stored from the very body the other
            # sends (same hash), not yet committed: invisible to the other's read.
            await owner.execute(
                "UPDATE submission_revisions SET client_id = $1, request_hash = $3 WHERE client_id = $2",
                UUID(contested), UUID(adhoc_body["client_id"]),
                request_hash(msgspec.json.decode(msgspec.json.encode(theirs), type=SubmissionIn)))
            sending = asyncio.create_task(http.post("/submissions", json=theirs, headers=other))
            while not await db.fetchval(WAITING_INSERT):  # the other's insert waits on the owner's key
                assert not sending.done(), sending.result().text
                await asyncio.sleep(0.02)
            await claim.commit()
            answer = await sending
    claimed_elsewhere(answer, contested)
    assert first.json()["submission_id"] not in answer.text
    assert await stored_rows(db) == {"submissions": 1, "submission_revisions": 1, "actions": 0,
                                      "attached_photos": 2}
