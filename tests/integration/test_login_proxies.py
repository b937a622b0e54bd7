"""X-Forwarded-For is believed only from TRUSTED_PROXIES, on a real uvicorn (the header is read by
uvicorn, before the app): rotating it must not walk past the per-address login limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import httpx
import uvicorn

from inspect_api.app import create_app
from inspect_api.cli import uvicorn_proxy_options
from inspect_api.settings import Settings
from inspect_api.storage.embedded import free_port
from tests.integration.factories import PASSWORD, World, fast_settings


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """uvicorn in a thread, configured as `inspect-api serve` configures it; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                            **uvicorn_proxy_options(settings))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def attempts(base_url: str, bodies: list[dict[str, Any]]) -> list[int]:
    """One login per body, each claiming another client address."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        return [
            http.post("/auth/login", json=body, headers={"X-Forwarded-For": f"203.0.113.{n + 1}"}).status_code
            for n, body in enumerate(bodies)
        ]


def strangers(count: int) -> list[dict[str, Any]]:
    # A different e-mail each time: only the per-address limit can refuse.
    return [{"email": f"nobody{n}@alpha.test", "password": "wrong guess"} for n in range(count)]


def test_by_default_a_rotated_forwarded_for_header_does_not_escape_the_address_limit(
    settings: Settings, db: asyncpg.Pool
) -> None:
    with served(fast_settings(settings, login_rate_per_minute=3)) as url:
        assert attempts(url, strangers(4)) == [401, 401, 401, 429]


def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_limit(
    settings: Settings, db: asyncpg.Pool
) -> None:
    """The control: what uvicorn's own default (trust loopback) did for anyone on loopback."""
    with served(fast_settings(settings, login_rate_per_minute=3, trusted_proxies=("127.0.0.1",))) as url:
        assert attempts(url, strangers(4)) == [401, 401, 401, 401]


def test_the_account_throttle_holds_whatever_address_the_guesses_come_from(
    settings: Settings, world: World
) -> None:
    limited = fast_settings(settings, login_account_attempts=3, trusted_proxies=("127.0.0.1",))
    guesses = [{"email": world.a.admin.email, "password": f"guess {n}"} for n in range(4)]
    with served(limited) as url:
        assert attempts(url, [*guesses, {"email": world.a.admin.email, "password": PASSWORD}]) == [
            401, 401, 401, 429, 429]
