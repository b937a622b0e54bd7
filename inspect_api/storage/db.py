"""asyncpg pool creation and the row -> Struct conversion every feature uses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Final, TypeVar

import asyncpg
import msgspec

T = TypeVar("T")

Pool = asyncpg.Pool
Connection = asyncpg.Connection


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb in and out through msgspec: faster than json and keeps Structs encodable as-is.
    await conn.set_type_codec(
        "jsonb",
        schema="pg_catalog",
        encoder=lambda value: msgspec.json.encode(value).decode(),
        decoder=msgspec.json.decode,
        format="text",
    )


async def _keep_session_state(conn: asyncpg.Connection) -> None:
    """Pool reset hook. asyncpg still rolls back a stray transaction and drops listeners on release;
    this skips its default reset query (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL): one round trip
    per acquire, and the app never sets session state, holds session locks, cursors or LISTENs on a
    pooled connection (migrations use their own connection)."""


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session_state,
        command_timeout=30,
        timeout=5,  # connect timeout: an unreachable database fails fast
    )


CUSTOM_PLANS: Final = "SET LOCAL plan_cache_mode = force_custom_plan"


@asynccontextmanager
async def custom_plans(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """Statements inside are planned for their parameters every time, in a transaction of their own.
    After five runs of a prepared statement PostgreSQL may keep one generic plan, which cannot fold an
    optional filter (`$4::uuid IS NULL OR a.branch_id = $4`) away: it guesses each such filter keeps few
    rows, so a list that should walk an index in order and stop at its page reads and sorts every match
    (GET /actions/overdue: 5 ms for the first five calls, then 25 ms at 300k submissions, 150 ms at 1M).
    Costs a planning per call and two round trips (BEGIN, SET LOCAL; COMMIT)."""
    async with conn.transaction():
        await conn.execute(CUSTOM_PLANS)
        yield


def row_to(type_: type[T], row: asyncpg.Record | None) -> T | None:
    return None if row is None else msgspec.convert(dict(row), type_, from_attributes=False)


def rows_to(type_: type[T], rows: Iterable[asyncpg.Record]) -> list[T]:
    return msgspec.convert([dict(r) for r in rows], list[type_])  # type: ignore[valid-type]


def one_to(type_: type[T], row: asyncpg.Record | None) -> T:
    if row is None:
        raise LookupError(f"expected a {type_.__name__} row, got none")
    return msgspec.convert(dict(row), type_)
