"""Webhook endpoint secrets at rest (#16, webhooks/secret_box.py): stored AES-GCM encrypted, never the
shown secret; the worker opens them and the reference verifier accepts its signatures; a row written
before encryption still signs; a worker with another key signs nothing and records why."""

from __future__ import annotations

import asyncpg
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from inspect_api.app import create_app
from inspect_api.settings import Settings
from inspect_api.webhooks.secret_box import PREFIX, SecretBoxError, derive_key, open_secret, seal
from inspect_api.webhooks.signing import new_secret
from tests.integration.factories import World, login_as
from tests.integration.shared import fast_settings
from tests.integration.test_webhooks import NO_WAIT, _endpoint, _rename, drain
from tests.integration.webhook_receiver import receiver

Client = AsyncTestClient[Litestar]


@pytest.fixture
def app(settings: Settings, db: asyncpg.Pool) -> Litestar:
    return create_app(fast_settings(settings, webhook_allow_loopback=True))


async def test_secrets_are_stored_encrypted_and_still_sign(client: Client, world: World, db: asyncpg.Pool) -> None:
    admin = await login_as(client, world.a.admin)
    with receiver() as hook:
        endpoint_id, secret = await _endpoint(client, admin, hook.url, event_types=["branch.updated"])
        stored = await db.fetchval("SELECT secret FROM webhook_endpoints WHERE id = $1", endpoint_id)
        assert stored.startswith(PREFIX) and secret not in stored and secret.removeprefix("whsec_") not in stored
        rotated = await client.post(f"/webhooks/endpoints/{endpoint_id}/rotate-secret",
                                    json={"overlap_seconds": 3600}, headers=admin)
        new = rotated.json()["secret"]
        row = await db.fetchrow("SELECT secret, previous_secret FROM webhook_endpoints WHERE id = $1", endpoint_id)
        assert row["secret"].startswith(PREFIX) and row["previous_secret"] == stored  # kept as it was
        await _rename(client, admin, world.a.b11, "Encrypted")
        await drain(db)
        message = hook.received[-1]
        for each in (secret, new):  # both sign during the overlap
            assert Webhook(each).verify(message.body, message.headers)["type"] == "branch.updated"


async def test_a_plaintext_row_from_before_still_signs(client: Client, world: World, db: asyncpg.Pool) -> None:
    admin = await login_as(client, world.a.admin)
    with receiver() as hook:
        endpoint_id, _ = await _endpoint(client, admin, hook.url, event_types=["branch.updated"])
        legacy = new_secret()
        await db.execute("UPDATE webhook_endpoints SET secret = $2 WHERE id = $1", endpoint_id, legacy)
        await _rename(client, admin, world.a.b11, "Legacy")
        await drain(db)
        Webhook(legacy).verify(hook.received[-1].body, hook.received[-1].headers)


async def test_a_worker_with_another_key_signs_nothing_and_says_why(
    client: Client, world: World, db: asyncpg.Pool
) -> None:
    admin = await login_as(client, world.a.admin)
    with receiver() as hook:
        endpoint_id, _ = await _endpoint(client, admin, hook.url, event_types=["branch.updated"])
        await _rename(client, admin, world.a.b11, "Wrong key")
        wrong = msgspec.structs.replace(NO_WAIT, secret_key=derive_key("another key of at least 32 bytes....", ""),
                                        retry_delays=())
        await drain(db, wrong)
        assert hook.received == []
        log = (await client.get(f"/webhooks/endpoints/{endpoint_id}/deliveries", headers=admin)).json()
        assert log[0]["status"] == "failed" and "cannot decrypt" in (log[0]["last_error"] or "")


def test_seal_and_open() -> None:
    key = derive_key("", "jwt-secret-" + "y" * 40)
    secret = new_secret()
    sealed = seal(key, secret)
    assert sealed != seal(key, secret)  # a fresh nonce each time
    assert open_secret(key, sealed) == secret and open_secret(key, secret) == secret
    with pytest.raises(SecretBoxError):
        open_secret(derive_key("", "another-jwt-secret-" + "z" * 40), sealed)
    tampered = sealed[:-4] + ("AAAA" if sealed[-4:] != "AAAA" else "BBBB")
    with pytest.raises(SecretBoxError):
        open_secret(key, tampered)
    assert derive_key("k" * 32, "a") == derive_key("k" * 32, "b") != derive_key("", "a")
    with pytest.raises(ValueError, match="WEBHOOK_SECRET_KEY"):
        derive_key("short", "x")


async def test_an_idle_worker_wakes_on_the_notification(client: Client, world: World, db: asyncpg.Pool) -> None:
    """An idle worker whose poll is an hour away still delivers a new change: emit_event's NOTIFY
    webhook_due wakes it (webhooks/worker.py)."""
    import asyncio

    from inspect_api.webhooks.worker import run_worker

    admin = await login_as(client, world.a.admin)
    with receiver() as hook:
        await _endpoint(client, admin, hook.url, event_types=["branch.updated"])
        stop = asyncio.Event()
        sleepy = msgspec.structs.replace(NO_WAIT, idle_seconds=3600.0)
        worker = asyncio.create_task(run_worker(db, sleepy, stop))
        try:
            await asyncio.sleep(0.5)  # let it find nothing and go idle
            await _rename(client, admin, world.a.b11, "Woken")
            for _ in range(600):
                if hook.received:
                    break
                await asyncio.sleep(0.1)
            assert [m.json["data"]["payload"]["name_en"] for m in hook.received] == ["Woken"]
        finally:
            stop.set()
            await asyncio.wait_for(worker, 30)
