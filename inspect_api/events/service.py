"""Writing events (inside the caller's transaction) and reading the feed."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Final
from uuid import UUID

import asyncpg

from inspect_api.auth.principal import Principal
from inspect_api.events import queries
from inspect_api.events.schemas import EventPage

POLL_INTERVAL_SECONDS: Final = 0.25


async def emit(
    conn: asyncpg.Connection, org_id: UUID, type_: str, subject_id: UUID, payload: Any, *,
    branch_id: UUID | None = None, region_id: UUID | None = None, branch_payload: Any | None = None,
) -> int:
    """Write one event in `conn`'s open transaction. `payload` is a snapshot (a Struct or plain data)
    of what changed as of this commit; `branch_payload` the branch manager's shape of it, or None when
    branch managers do not see this event."""
    if not conn.is_in_transaction():
        raise RuntimeError("events are written inside the transaction that makes the change")
    return await queries.emit_event(conn, org_id, type_, subject_id, branch_id, region_id, payload, branch_payload)


def parse_cursor(cursor: str | None) -> tuple[int, int]:
    """`<xid>-<id>` (the route checks the pattern); no cursor: from the beginning."""
    if not cursor:
        return 0, 0
    xid, _, event_id = cursor.partition("-")
    return int(xid), int(event_id)


async def feed(
    pool: asyncpg.Pool, p: Principal, *, after: str | None, types: list[str] | None, limit: int, wait_seconds: float
) -> EventPage:
    """One page after the cursor. With `wait_seconds`, an empty page waits (polling) until an event
    arrives or the time is up: a long poll."""
    after_xid, after_id = parse_cursor(after)
    deadline = time.monotonic() + wait_seconds
    while True:
        async with pool.acquire() as conn:
            events = await queries.feed_page(conn, p, after_xid, after_id, types, limit)
        if events or time.monotonic() >= deadline:
            break
        await asyncio.sleep(POLL_INTERVAL_SECONDS)
    next_cursor = events[-1].cursor if events else f"{after_xid}-{after_id}"
    return EventPage(events=events, next_cursor=next_cursor)
