"""Stateless API replicas (issue #20): two live API servers (real uvicorn, each with its own pool, caches
and change feed) and webhook workers against one Postgres and one S3, as behind a load balancer.

* the login limit per client address and the per-account throttle count across replicas (both in
  Postgres: kv_store, migration 0042, and login_attempts);
* a user disabled through replica A is refused by replica B from its first request after B's change
  feed delivered the notification (B's cache is watched, so no sleep decides the outcome);
* a release through A shows in B's next ranking page (generation read with the request);
* deliveries written through both replicas and claimed by two worker processes reach the receiver once
  each.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, Final

import asyncpg
import httpx
import pytest

from inspect_api.settings import Settings
from tests.integration.factories import PASSWORD, World
from tests.integration.live_server import ThreadedServer
from tests.integration.releases import (
    FUEL,
    Catalogue,
    Inspections,
    fuel_catalogue,  # noqa: F401  (fixture)
    reference_month,
)
from tests.integration.shared import fast_settings
from tests.integration.webhook_receiver import receiver

pytestmark = pytest.mark.asyncio

WAIT_SECONDS: Final = 30.0


def _replicas(settings: Settings, **changes: Any) -> tuple[ThreadedServer, ThreadedServer]:
    replica_settings = fast_settings(settings, principal_cache_seconds=3600, webhook_allow_loopback=True, **changes)
    # Free ports, not fixed ones: bench/scale_bench.py's engines sit on 18600-18620 by default.
    return ThreadedServer(replica_settings), ThreadedServer(replica_settings)


class Pair:
    def __init__(self, a: ThreadedServer, b: ThreadedServer) -> None:
        self.a_server, self.b_server = a, b
        self.a = httpx.AsyncClient(base_url=a.url, timeout=30, trust_env=False)
        self.b = httpx.AsyncClient(base_url=b.url, timeout=30, trust_env=False)

    async def close(self) -> None:
        await self.a.aclose()
        await self.b.aclose()


@pytest.fixture
def pair_of(settings: Settings, db: asyncpg.Pool) -> Iterator[Any]:
    opened: list[tuple[ThreadedServer, ThreadedServer]] = []

    def start(**changes: Any) -> Pair:
        a, b = _replicas(settings, **changes)
        a.__enter__()
        try:
            b.__enter__()
        except BaseException:
            a.__exit__(None, None, None)
            raise
        opened.append((a, b))
        return Pair(a, b)

    yield start
    for a, b in opened:
        b.__exit__(None, None, None)
        a.__exit__(None, None, None)


async def _login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/auth/login", json={"email": email, "password": password})


async def _token(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await _login(client, email)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_the_login_limit_per_address_is_shared(pair_of, world: World) -> None:
    pair = pair_of(login_rate_per_minute=4)
    try:
        statuses = []
        for n in range(4):  # two on each replica, every one from 127.0.0.1
            replica = pair.a if n % 2 == 0 else pair.b
            statuses.append((await _login(replica, f"nobody{n}@alpha.test", "wrong-password-1")).status_code)
        assert statuses == [401] * 4
        for replica in (pair.a, pair.b):  # the fifth is refused whichever replica it reaches
            refused = await _login(replica, world.a.admin.email)
            assert refused.status_code == 429, refused.text
    finally:
        await pair.close()


async def test_the_per_account_throttle_is_shared(pair_of, world: World) -> None:
    pair = pair_of(login_account_attempts=3)
    try:
        for n in range(3):
            replica = pair.a if n % 2 == 0 else pair.b
            assert (await _login(replica, world.a.lead.email, "wrong-password-1")).status_code == 401
        for replica in (pair.a, pair.b):  # even the right password, on either replica
            refused = await _login(replica, world.a.lead.email)
            assert refused.status_code == 429 and refused.headers.get("retry-after"), refused.text
        assert (await _login(pair.b, world.a.admin.email)).status_code == 200  # another account is not held
    finally:
        await pair.close()


async def test_a_user_disabled_on_a_is_refused_on_b(pair_of, world: World) -> None:
    pair = pair_of()
    try:
        admin = await _token(pair.a, world.a.admin.email)
        inspector = await _token(pair.b, world.a.inspector.email)
        for replica in (pair.a, pair.b):  # both replicas now hold the inspector (cached for an hour)
            assert (await replica.get("/me", headers=inspector)).status_code == 200
        b_cache = pair.b_server.server.config.app.state.resources.principals
        assert b_cache.get(world.a.inspector.id) is not None
        disabled = await pair.a.patch(f"/users/{world.a.inspector.id}", json={"active": False}, headers=admin)
        assert disabled.status_code == 200, disabled.text
        assert (await pair.a.get("/me", headers=inspector)).status_code == 401  # the writing replica: at once
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        while b_cache.get(world.a.inspector.id) is not None:  # B's change feed drops the cached caller
            assert loop.time() < deadline, "replica B never heard of the change"
            await asyncio.sleep(0.01)
        assert (await pair.b.get("/me", headers=inspector)).status_code == 401  # B's first request after
    finally:
        await pair.close()


async def test_rankings_cached_on_b_follow_a_release_through_a(
    pair_of, world: World, fuel_catalogue: Catalogue,  # noqa: F811
) -> None:
    pair = pair_of()
    try:
        run_a = Inspections(pair.a, world, fuel_catalogue)  # type: ignore[arg-type]  (httpx: the same calls)
        month = reference_month()
        for day in range(2):
            await run_a.released(world.a.b11, month + timedelta(days=3 + day))
        admin = await run_a.headers("admin")
        query = {"form_key": FUEL, "on": month.isoformat(), "min_visits": "1"}

        async def visits(replica: httpx.AsyncClient) -> int:
            response = await replica.get("/rankings", params=query, headers=admin)
            assert response.status_code == 200, response.text
            row = next(r for r in response.json()["rows"] if (r["branch"] or {}).get("code") == "B11")
            return row["current"]["visits"]

        assert await visits(pair.b) == 2 and await visits(pair.b) == 2  # cached on B
        assert await visits(pair.a) == 2  # and on A
        receipt = await run_a.submit(world.a.b11, month + timedelta(days=10))
        await run_a.release(receipt["submission_id"])
        assert await visits(pair.b) == 3  # B's very next page: no stale copy
        assert await visits(pair.a) == 3
    finally:
        await pair.close()


def _worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "WEBHOOK_ALLOW_LOOPBACK": "true",
           "JWT_SECRET": settings.jwt_secret}  # the app's: webhook secrets may be sealed with a key from it
    return subprocess.Popen([sys.executable, "-m", "inspect_api.cli", "worker", "--batch", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def test_each_delivery_is_claimed_once_by_two_workers(
    pair_of, world: World, db: asyncpg.Pool, settings: Settings
) -> None:
    pair = pair_of()
    try:
        admin = await _token(pair.a, world.a.admin.email)
        with receiver() as hook:
            created = await pair.a.post("/webhooks/endpoints", json={"url": hook.url}, headers=admin)
            assert created.status_code == 201, created.text
            for n in range(12):  # changes through both replicas, each one delivery
                replica = pair.a if n % 2 == 0 else pair.b
                branch = (world.a.b11, world.a.b12, world.a.b21)[n % 3]
                renamed = await replica.patch(f"/branches/{branch}", json={"name_en": f"rename {n}"}, headers=admin)
                assert renamed.status_code == 200, renamed.text
            message_ids = {str(r["message_id"]) for r in await db.fetch("SELECT message_id FROM webhook_deliveries")}
            assert len(message_ids) == 12
            workers = [_worker(settings), _worker(settings)]
            try:
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 60
                while await db.fetchval("SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'"):
                    assert loop.time() < deadline, "the workers did not deliver everything"
                    await asyncio.sleep(0.05)
            finally:
                for worker in workers:
                    worker.send_signal(signal.SIGTERM)
                for worker in workers:
                    try:
                        worker.wait(15)
                    except subprocess.TimeoutExpired:
                        worker.kill()
            received = [r.headers["webhook-id"] for r in hook.received]
            assert sorted(received) == sorted(message_ids)  # every message once: none lost, none twice
            attempts = await db.fetchval("SELECT sum(attempts) FROM webhook_deliveries")
            assert attempts == 12
    finally:
        await pair.close()

