"""The delivery worker: claim due deliveries (SKIP LOCKED + a lease), POST them signed, record the
outcome. Run any number at once (`inspect-api worker`; `inspect-api dev` starts one in-process)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Final

import asyncpg
import httpx
import msgspec

from inspect_api.webhooks import queries
from inspect_api.webhooks.schedule import RETRY_DELAYS, next_delay
from inspect_api.webhooks.secret_box import SecretBoxError, open_secret
from inspect_api.webhooks.signing import signed_headers
from inspect_api.webhooks.ssrf import resolve_problem

log = logging.getLogger(__name__)

EXCERPT_CHARS: Final = 500


class WorkerOptions(msgspec.Struct, frozen=True, kw_only=True):
    allow_loopback: bool = False
    batch: int = 20
    lease_seconds: float = 60.0  # longer than timeout_seconds: a live delivery keeps its lease
    timeout_seconds: float = 10.0
    idle_seconds: float = 0.5  # sleep when nothing is due
    retry_delays: tuple[timedelta, ...] = RETRY_DELAYS
    secret_key: bytes = b""  # opens the stored secrets (webhooks/secret_box.py); the CLI derives it


def message_body(d: queries.Claimed) -> bytes:
    """The Standard Webhooks envelope: type, timestamp, data."""
    return msgspec.json.encode({
        "type": d.event_type,
        "timestamp": d.occurred_at,
        "data": {"event_id": d.event_id, "subject_id": d.subject_id, "subject_seq": d.subject_seq,
                 "branch_id": d.branch_id, "payload": d.payload},
    })


def signing_secrets(d: queries.Claimed, now: datetime, key: bytes = b"") -> list[str]:
    """The secrets in the clear (secret_box: stored encrypted, or plaintext from before encryption)."""
    if d.previous_secret and d.previous_secret_until and d.previous_secret_until > now:
        return [open_secret(key, d.secret), open_secret(key, d.previous_secret)]
    return [open_secret(key, d.secret)]


async def deliver_one(pool: asyncpg.Pool, http: httpx.AsyncClient, d: queries.Claimed, options: WorkerOptions) -> None:
    now = datetime.now(UTC)
    body = message_body(d)
    status: int | None = None
    error: str | None = None
    excerpt = ""
    started = time.monotonic()
    secrets_: list[str] = []
    try:
        secrets_ = signing_secrets(d, now, options.secret_key)
    except (SecretBoxError, ValueError) as exc:  # no key, or another key: nothing can be signed (retried)
        error = str(exc)[:EXCERPT_CHARS]
    if error is not None:
        pass
    elif problem := await resolve_problem(d.url, allow_loopback=options.allow_loopback):
        error = f"refused: {problem}"
    else:
        try:
            response = await http.post(d.url, content=body,
                                       headers=signed_headers(str(d.message_id), now, body, secrets_))
            status = response.status_code
            excerpt = response.text[:EXCERPT_CHARS]
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:EXCERPT_CHARS]
    latency_ms = int((time.monotonic() - started) * 1000)
    async with pool.acquire() as conn, conn.transaction():
        await queries.record_attempt(conn, d.org_id, d.id, status_code=status, error=error, latency_ms=latency_ms,
                                     excerpt=excerpt)
        if status is not None and 200 <= status < 300:
            await queries.mark_delivered(conn, d.org_id, d.id, status)
        elif status == 410:
            # Gone: the subscriber wants no more. The message waits for the endpoint to be enabled again.
            await queries.disable_endpoint(conn, d.org_id, d.endpoint_id, "the endpoint answered 410 Gone")
            await queries.mark_failed_attempt(conn, d.org_id, d.id, status, None, datetime.now(UTC))
        else:
            delay = next_delay(d.attempts, options.retry_delays)
            next_at = None if delay is None else datetime.now(UTC) + delay
            await queries.mark_failed_attempt(conn, d.org_id, d.id, status, error, next_at)


async def run_once(pool: asyncpg.Pool, http: httpx.AsyncClient, options: WorkerOptions) -> int:
    """Claim one batch and deliver it; the number delivered or tried."""
    async with pool.acquire() as conn:
        batch = await queries.claim(conn, options.batch, options.lease_seconds)
    await asyncio.gather(*(deliver_one(pool, http, d, options) for d in batch))
    return len(batch)


NOTIFY_CHANNEL: Final = "webhook_due"  # emit_event() notifies it when it queued a delivery


async def _listen(pool: asyncpg.Pool, wake: asyncio.Event) -> asyncpg.pool.PoolConnectionProxy | None:
    """Hold one pooled connection LISTENing on webhook_due; None (poll only) when that fails. The pool
    drops the listener when the connection goes back (asyncpg does on release)."""
    try:
        conn = await pool.acquire()
    except (OSError, asyncpg.PostgresError) as exc:
        log.warning("webhook worker: no LISTEN connection, polling only: %s", exc)
        return None
    try:
        await conn.add_listener(NOTIFY_CHANNEL, lambda *_: wake.set())  # type: ignore[arg-type]
    except (OSError, asyncpg.PostgresError) as exc:
        log.warning("webhook worker: LISTEN failed, polling only: %s", exc)
        await pool.release(conn)
        return None
    return conn


async def _idle(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    """Until a delivery is queued (NOTIFY), `stop` is set, or `seconds` pass (the poll: retries come due
    without a notification)."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def run_worker(pool: asyncpg.Pool, options: WorkerOptions, stop: asyncio.Event | None = None) -> None:
    """Deliver until `stop` is set (or the task is cancelled). Idle, it wakes on NOTIFY webhook_due (a new
    delivery committed) or after `idle_seconds`, whichever comes first."""
    stop = stop or asyncio.Event()
    wake = asyncio.Event()
    listener = await _listen(pool, wake)
    try:
        async with httpx.AsyncClient(timeout=options.timeout_seconds, follow_redirects=False,
                                     trust_env=False) as http:
            while not stop.is_set():
                wake.clear()  # a notification from here on wakes the idle wait below
                try:
                    done = await run_once(pool, http, options)
                except (OSError, asyncpg.PostgresError) as exc:  # the database went away: try again shortly
                    log.warning("webhook worker: %s", exc)
                    done = 0
                if not done:
                    await _idle(stop, wake, options.idle_seconds)
    finally:
        if listener is not None:
            await pool.release(listener)


async def run_from_dsn(dsn: str, options: WorkerOptions, stop: asyncio.Event | None = None) -> None:
    """`inspect-api worker` and the worker `inspect-api dev` starts: its own small pool."""
    from inspect_api.storage.db import create_pool

    pool = await create_pool(dsn, min_size=1, max_size=max(2, options.batch // 4) + 1)  # + the LISTEN one
    try:
        await run_worker(pool, options, stop)
    finally:
        await pool.close()
