"""Postgres LISTEN/NOTIFY as a change feed for in-process caches.

One dedicated connection per process LISTENs on the channels caches subscribe to (triggers in
auth/sql/principal_changed.sql NOTIFY at commit). While that connection is down, notifications
are lost, so the feed reports `live = False` (caches must then not serve entries) and, once it is
back, tells every subscriber to drop everything it holds before reporting live again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Final, Generic, TypeVar

import asyncpg

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")

RETRY_SECONDS: Final = (0.05, 0.2, 0.5, 1.0, 2.0)
# A silently dead connection (half-open TCP) sends no termination: ping it this often.
PING_SECONDS: Final = 5.0
PING_TIMEOUT: Final = 2.0

OnChange = Callable[[str], None]  # called with the NOTIFY payload
OnReset = Callable[[], None]  # called when notifications may have been missed


class ChangeFeed:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._subscribers: dict[str, list[OnChange]] = {}
        self._resets: list[OnReset] = []
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self._closing = False
        self.reconnects = 0  # how often the listening connection was re-established (observability, tests)

    @property
    def live(self) -> bool:
        """True while every committed change is being delivered to the subscribers."""
        return self._conn is not None and not self._conn.is_closed() and not self._lost.is_set()

    @property
    def backend_pid(self) -> int | None:
        """The Postgres backend of the listening connection."""
        return None if self._conn is None else self._conn.get_server_pid()

    def subscribe(self, channel: str, on_change: OnChange, on_reset: OnReset) -> None:
        """Register before start()."""
        self._subscribers.setdefault(channel, []).append(on_change)
        self._resets.append(on_reset)

    async def start(self) -> None:
        """Connect once (failing start-up like the pool would), then keep reconnecting in the background."""
        await self._connect()
        self._task = asyncio.create_task(self._watch(), name="change-feed")

    async def close(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None and not self._conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._conn.close(), timeout=2)

    async def _connect(self) -> None:
        conn = await asyncpg.connect(self._dsn, timeout=5)
        try:
            for channel in self._subscribers:
                await conn.add_listener(channel, self._dispatch)
        except BaseException:
            conn.terminate()
            raise
        conn.add_termination_listener(lambda _conn: self._lost.set())
        # Whatever happened while nobody listened is unknown: start from empty caches.
        self._reset_all()
        self._conn = conn
        self._lost.clear()

    async def _ping(self) -> None:
        try:
            assert self._conn is not None
            await self._conn.execute("SELECT 1", timeout=PING_TIMEOUT)
        except Exception as exc:  # any failure means deliveries can no longer be trusted
            log.warning("change feed ping failed: %s", exc)
            self._lost.set()
            if self._conn is not None:
                self._conn.terminate()

    def _dispatch(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        for on_change in self._subscribers.get(channel, ()):
            on_change(payload)

    def _reset_all(self) -> None:
        for on_reset in self._resets:
            on_reset()

    async def _watch(self) -> None:
        while not self._closing:
            try:
                await asyncio.wait_for(self._lost.wait(), timeout=PING_SECONDS)
            except TimeoutError:
                await self._ping()
                continue
            self._reset_all()
            self._conn = None
            attempt = 0
            while not self._closing:
                try:
                    await self._connect()
                    self.reconnects += 1
                    log.info("change feed reconnected")
                    break
                except Exception as exc:  # refused, starting up, timed out: all mean retry
                    delay = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
                    log.warning("change feed down (%s); retrying in %.2f s", exc, delay)
                    attempt += 1
                    await asyncio.sleep(delay)


class FeedCache(Generic[K, V]):
    """A bounded, time-limited cache kept correct by a ChangeFeed.

    Entries are served only while the feed is live. A load that races a change must not store what it
    read before the change: `begin()` hands out the current epoch, any invalidation moves the epoch on,
    and `put()` stores only under the epoch its load began in.
    """

    def __init__(self, feed: ChangeFeed, channel: str, key_of: Callable[[str], K], *, ttl: float,
                 max_entries: int) -> None:
        self._feed = feed
        self._key_of = key_of
        self._ttl = ttl
        self._max_entries = max_entries
        self._entries: dict[K, tuple[float, V]] = {}
        self._epoch = 0
        feed.subscribe(channel, self._changed, self.clear)

    def get(self, key: K) -> V | None:
        if not self._feed.live:
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < time.monotonic():
            self._entries.pop(key, None)
            return None
        return value

    def begin(self) -> int | None:
        """The epoch a load starts in, or None when what it reads may not be cached."""
        return self._epoch if self._feed.live else None

    def put(self, key: K, value: V, epoch: int | None) -> None:
        if epoch is None or epoch != self._epoch or not self._feed.live or self._ttl <= 0:
            return
        if len(self._entries) >= self._max_entries:
            self._entries.pop(next(iter(self._entries)))  # oldest insertion first
        self._entries[key] = (time.monotonic() + self._ttl, value)

    def invalidate(self, key: K) -> None:
        self._epoch += 1
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._epoch += 1
        self._entries.clear()

    def _changed(self, payload: str) -> None:
        try:
            key = self._key_of(payload)
        except ValueError:
            self.clear()  # a payload we cannot read: be safe
            return
        self.invalidate(key)
