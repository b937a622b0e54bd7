"""Webhooks end to end against a real loopback receiver: Standard Webhooks signatures verified by the
reference verifier, retries in order per subject, 410, rotation, role shape, SSRF refusals, and a worker
killed mid-delivery (SIGKILL) and restarted: every message delivered, duplicates only by webhook-id."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from uuid import UUID

import asyncpg
import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from inspect_api.app import create_app
from inspect_api.settings import Settings
from inspect_api.webhooks.secret_box import derive_key
from inspect_api.webhooks.worker import WorkerOptions, run_once
from tests.integration.conftest import TEST_JWT_SECRET
from tests.integration.factories import World, login_as
from tests.integration.shared import fast_settings
from tests.integration.webhook_receiver import receiver

Client = AsyncTestClient[Litestar]
NO_WAIT = WorkerOptions(allow_loopback=True, retry_delays=(timedelta(0),) * 4, idle_seconds=0.05,
                        secret_key=derive_key("", TEST_JWT_SECRET))  # the app's key (webhooks/secret_box.py)


@pytest.fixture
def app(settings: Settings, db: asyncpg.Pool) -> Litestar:
    return create_app(fast_settings(settings, webhook_allow_loopback=True))


async def drain(pool: asyncpg.Pool, options: WorkerOptions = NO_WAIT) -> None:
    """Run the worker until nothing is due."""
    async with httpx.AsyncClient(timeout=5, trust_env=False) as http:
        while await run_once(pool, http, options):
            pass


async def _endpoint(client: Client, headers: dict[str, str], url: str, **fields: object) -> tuple[UUID, str]:
    response = await client.post("/webhooks/endpoints", json={"url": url, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return UUID(response.json()["endpoint"]["id"]), response.json()["secret"]


async def _rename(client: Client, headers: dict[str, str], branch_id: UUID, name: str) -> None:
    response = await client.patch(f"/branches/{branch_id}", json={"name_en": name}, headers=headers)
    assert response.status_code == 200, response.text


async def test_a_change_arrives_signed_and_the_secret_is_shown_once(client: Client, world: World, db: asyncpg.Pool
                                                                   ) -> None:
    admin = await login_as(client, world.a.admin)
    with receiver() as hook:
        endpoint_id, secret = await _endpoint(client, admin, hook.url, event_types=["branch.updated"])
        assert secret.startswith("whsec_")
        listed = await client.get(f"/webhooks/endpoints/{endpoint_id}", headers=admin)
        assert secret not in listed.text and "secret\"" not in listed.text
        await _rename(client, admin, world.a.b11, "Signed")
        await client.post("/users", headers=admin, json={  # not subscribed: not sent
            "email": "x@alpha.test", "display_name": "X", "role": "inspector", "password": "a-long-pass-phrase-9"})
        await drain(db)
        assert len(hook.received) == 1
        message = hook.received[0]
        verified = Webhook(secret).verify(message.body, message.headers)
        assert verified["type"] == "branch.updated"
        assert verified["data"]["payload"]["name_en"] == "Signed"
        assert verified["data"]["subject_id"] == str(world.a.b11)
        log = (await client.get(f"/webhooks/endpoints/{endpoint_id}/deliveries", headers=admin)).json()
        assert [(d["status"], d["attempts"], d["message_id"]) for d in log] == [
            ("delivered", 1, message.headers["webhook-id"])]
        assert log[0]["log"][0]["status_code"] == 200


async def test_a_receiver_down_for_a_while_is_caught_up_in_order(client: Client, world: World, db: asyncpg.Pool
                                                                  ) -> None:
    admin = await login_as(client, world.a.admin)
    with receiver() as hook:
        hook.answer = lambda n, r: 503 if n < 3 else 200
        endpoint_id, _ = await _endpoint(client, admin, hook.url)
        for i in range(3):
            await _rename(client, admin, world.a.b11, f"b11 #{i}")
            await _rename(client, admin, world.a.b12, f"b12 #{i}")
        await drain(db)
        delivered = [r.json for r in hook.received[3:]]
        for branch_id in (world.a.b11, world.a.b12):
            names = [m["data"]["payload"]["name_en"] for m in delivered if m["data"]["subject_id"] == str(branch_id)]
            code = "b11" if branch_id == world.a.b11 else "b12"
            assert names == [f"{code} #{i}" for i in range(3)]
        log = (await client.get(f"/webhooks/endpoints/{endpoint_id}/deliveries", headers=admin)).json()
        assert {d["status"] for d in log} == {"delivered"}
        assert sorted(a["status_code"] for d in log for a in d["log"]).count(503) == 3
        # The same message on every attempt: the first failed one and its retry share a webhook-id.
        assert hook.received[0].headers["webhook-id"] in {r.headers["webhook-id"] for r in hook.received[3:]}


async def test_gone_disables_the_endpoint_and_giving_up_unblocks_the_subject(
    client: Client, world: World, db: asyncpg.Pool
) -> None:
    admin = await login_as(client, world.a.admin)
    with receiver() as hook:
        hook.answer = lambda n, r: 410
        endpoint_id, _ = await _endpoint(client, admin, hook.url)
        await _rename(client, admin, world.a.b11, "gone")
        await drain(db)
        endpoint = (await client.get(f"/webhooks/endpoints/{endpoint_id}", headers=admin)).json()
        assert endpoint["enabled"] is False and "410" in endpoint["disabled_reason"]
        assert len(hook.received) == 1
        hook.answer = lambda n, r: 500  # enabled again, it keeps failing: given up after the schedule
        assert (await client.patch(f"/webhooks/endpoints/{endpoint_id}", json={"enabled": True},
                                   headers=admin)).status_code == 200
        await _rename(client, admin, world.a.b11, "after")
        await drain(db)
        statuses = [d["status"] for d in (await client.get(
            f"/webhooks/endpoints/{endpoint_id}/deliveries", headers=admin)).json()]
        assert statuses == ["failed", "failed"]
        # Five attempts each (the first, then one per retry delay), the first message's first being the
        # 410; the second waits for the first to be given up (order per subject).
        names = [r.json["data"]["payload"]["name_en"] for r in hook.received]
        assert names == ["gone"] * 5 + ["after"] * 5
        # A manual redeliver sends the same message again.
        hook.answer = lambda n, r: 200
        first = (await client.get(f"/webhooks/endpoints/{endpoint_id}/deliveries", headers=admin)).json()[-1]
        response = await client.post(f"/webhooks/endpoints/{endpoint_id}/deliveries/{first['id']}/redeliver",
                                     headers=admin)
        assert response.status_code == 202
        await drain(db)
        assert hook.received[-1].headers["webhook-id"] == first["message_id"]


async def test_rotation_signs_with_both_secrets_during_the_overlap(client: Client, world: World, db: asyncpg.Pool
                                                                   ) -> None:
    admin = await login_as(client, world.a.admin)
    with receiver() as hook:
        endpoint_id, old = await _endpoint(client, admin, hook.url)
        rotated = await client.post(f"/webhooks/endpoints/{endpoint_id}/rotate-secret",
                                    json={"overlap_seconds": 3600}, headers=admin)
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        ping = await client.post(f"/webhooks/endpoints/{endpoint_id}/ping", headers=admin)
        assert ping.status_code == 202
        await drain(db)
        now_rotated = await client.post(f"/webhooks/endpoints/{endpoint_id}/rotate-secret",
                                        json={"overlap_seconds": 0}, headers=admin)
        newest = now_rotated.json()["secret"]
        await client.post(f"/webhooks/endpoints/{endpoint_id}/ping", headers=admin)
        await drain(db)
        during, after = hook.received
        assert during.json["type"] == "webhook.ping"
        for secret in (old, new):
            Webhook(secret).verify(during.body, during.headers)
        Webhook(newest).verify(after.body, after.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(new).verify(after.body, after.headers)
        # pings are the endpoint's own business: not in the feed
        assert (await client.get("/events", headers=admin)).json()["events"] == []


async def test_a_branch_level_endpoint_gets_only_what_its_managers_may_see(
    client: Client, world: World, db: asyncpg.Pool
) -> None:
    admin = await login_as(client, world.a.admin)
    with receiver() as hook:
        await _endpoint(client, admin, hook.url, shape="branch_manager", branch_ids=[str(world.a.b11)])
        await _rename(client, admin, world.a.b11, "mine")
        await _rename(client, admin, world.a.b12, "not mine")
        assert (await client.post(f"/visits/{world.a.v11}/cancel", headers=admin)).status_code == 200
        await drain(db)
        assert [(r.json["type"], r.json["data"]["payload"]["name_en"]) for r in hook.received] == [
            ("branch.updated", "mine")]


@pytest.mark.parametrize("url", ["http://10.0.0.1/x", "http://169.254.169.254/latest", "http://192.168.0.1/",
                                 "ftp://example.com/", "http://no-such-host.invalid/"])
async def test_internal_and_odd_urls_are_refused(client: Client, world: World, url: str) -> None:
    admin = await login_as(client, world.a.admin)
    response = await client.post("/webhooks/endpoints", json={"url": url}, headers=admin)
    assert response.status_code in (400, 422), response.text
    assert "url" in response.text


async def test_loopback_is_refused_without_the_setting(settings: Settings, db: asyncpg.Pool, world: World) -> None:
    async with AsyncTestClient(app=create_app(fast_settings(settings))) as client:
        admin = await login_as(client, world.a.admin)
        response = await client.post("/webhooks/endpoints", json={"url": "http://127.0.0.1:9/x"}, headers=admin)
        assert response.status_code == 422 and "loopback" in response.text


async def test_only_admins_manage_endpoints(client: Client, world: World) -> None:
    for user in (world.a.lead, world.a.manager, world.a.inspector):
        response = await client.get("/webhooks/endpoints", headers=await login_as(client, user))
        assert response.status_code == 403


def _worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "WEBHOOK_ALLOW_LOOPBACK": "true",
           "JWT_SECRET": settings.jwt_secret}  # the stored secrets' key derives from it (secret_box.py)
    return subprocess.Popen([sys.executable, "-m", "inspect_api.cli", "worker", "--lease-seconds", "2", "--batch", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _until(check, what: str, seconds: float = 60) -> None:
    for _ in range(int(seconds * 20)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"gave up waiting: {what}")


async def test_a_worker_killed_mid_delivery_loses_nothing(
    client: Client, world: World, db: asyncpg.Pool, settings: Settings
) -> None:
    admin = await login_as(client, world.a.admin)
    stuck = threading.Event()
    release = threading.Event()
    with receiver() as hook:
        def answer(n: int, r: object) -> int:
            if n == 2:  # the third message: the worker is killed while it waits for this answer
                stuck.set()
                release.wait(30)
            return 200
        hook.answer = answer
        await _endpoint(client, admin, hook.url)
        for i in range(4):
            await _rename(client, admin, world.a.b11, f"b11 #{i}")
            await _rename(client, admin, world.a.b21, f"b21 #{i}")
        message_ids = {str(r["message_id"]) for r in await db.fetch("SELECT message_id FROM webhook_deliveries")}
        first = _worker(settings)
        try:
            await _until(lambda: asyncio.to_thread(stuck.wait, 0.05), "a delivery in flight")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            release.set()
            if first.poll() is None:
                first.kill()
        second = _worker(settings)
        try:
            async def all_delivered() -> bool:
                return await db.fetchval("SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'") == 0
            await _until(all_delivered, "every delivery delivered")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(10)
        received_ids = [r.headers["webhook-id"] for r in hook.received]
        assert set(received_ids) == message_ids  # lost = 0
        by_id: dict[str, set[bytes]] = {}
        for r in hook.received:
            by_id.setdefault(r.headers["webhook-id"], set()).add(r.body)
        assert all(len(bodies) == 1 for bodies in by_id.values())  # a duplicate is the same message
        assert len(received_ids) > len(message_ids)  # the killed delivery was sent again
        for code in ("b11", "b21"):  # per subject, in order (a resend repeats, never overtakes)
            names = [r.json["data"]["payload"]["name_en"] for r in hook.received
                     if r.json["data"]["payload"]["code"] == code.upper()]
            deduped = [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]
            assert deduped == [f"{code} #{i}" for i in range(4)]
