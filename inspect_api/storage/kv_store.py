"""A Litestar Store in Postgres, for state every API replica must share (issue #20).

Litestar's default MemoryStore lives in one process: behind a load balancer each replica kept its own
login rate-limit history, so N replicas allowed N times LOGIN_RATE_PER_MINUTE per address. This store
keeps entries in the UNLOGGED table `kv_store` (migrations/0042: not replicated, not in the WAL, lost on
a crash, which for rate-limit windows of a minute is harmless), so every replica reads and writes the
same history.

Limits: Litestar's rate-limit middleware reads the history, then writes it back (two statements, a
per-process lock between them), so requests racing on different replicas within those few milliseconds
can each count once where they should count twice; the limit may be passed by the number of requests
in flight at that instant, never by the number of replicas. The per-account throttle (auth/service.py,
`login_attempts`) is one atomic statement and has no such gap.

The pool is resolved lazily (the app's pool opens in its lifespan, after the store is built). Expired
entries are never served and are swept now and then by a write.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Final

import asyncpg
from litestar.stores.base import NamespacedStore

SWEEP_EVERY: Final = 200  # about one write in this many also deletes expired entries (at most 1,000)

SET: Final = """
INSERT INTO kv_store (key, value, expires_at)
VALUES ($1, $2, CASE WHEN $3::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $3) END)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
"""
GET: Final = "SELECT value FROM kv_store WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())"
RENEW: Final = """
UPDATE kv_store SET expires_at = now() + make_interval(secs => $2)
WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())
RETURNING value
"""
DELETE: Final = "DELETE FROM kv_store WHERE key = $1"
DELETE_PREFIX: Final = "DELETE FROM kv_store WHERE starts_with(key, $1)"
EXPIRES_IN: Final = """
SELECT CASE WHEN expires_at IS NULL THEN -1 ELSE greatest(0, ceil(extract(epoch FROM expires_at - now())))::int END
FROM kv_store WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())
"""
SWEEP: Final = """
DELETE FROM kv_store WHERE key IN (SELECT key FROM kv_store WHERE expires_at <= now() LIMIT 1000)
"""


def _seconds(value: int | timedelta | None) -> float | None:
    if value is None:
        return None
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PostgresStore(NamespacedStore):
    def __init__(self, pool_of: Callable[[], asyncpg.Pool], namespace: str = "") -> None:
        super().__init__()
        self._pool_of = pool_of
        self.namespace = namespace

    def with_namespace(self, namespace: str) -> PostgresStore:
        return PostgresStore(self._pool_of, f"{self.namespace}{namespace}/")

    def _key(self, key: str) -> str:
        return f"{self.namespace}{key}"

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        pool = self._pool_of()
        await pool.execute(SET, self._key(key), data, _seconds(expires_in))
        if random.randrange(SWEEP_EVERY) == 0:
            await pool.execute(SWEEP)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        pool = self._pool_of()
        if renew_for is not None:
            return await pool.fetchval(RENEW, self._key(key), _seconds(renew_for))
        return await pool.fetchval(GET, self._key(key))

    async def delete(self, key: str) -> None:
        await self._pool_of().execute(DELETE, self._key(key))

    async def delete_all(self) -> None:
        await self._pool_of().execute(DELETE_PREFIX, self.namespace)

    async def exists(self, key: str) -> bool:
        return await self._pool_of().fetchval(GET, self._key(key)) is not None

    async def expires_in(self, key: str) -> int | None:
        seconds = await self._pool_of().fetchval(EXPIRES_IN, self._key(key))
        return None if seconds is None or seconds < 0 else int(seconds)
