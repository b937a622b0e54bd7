"""FeedCache rules without a database: serve only while the feed is live, never store a load that
raced a change, expire, stay bounded."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inspect_api.storage import changes
from inspect_api.storage.changes import FeedCache


class FakeFeed:
    def __init__(self) -> None:
        self.live = True
        self.on_change: dict[str, Callable[[str], None]] = {}
        self.on_reset: list[Callable[[], None]] = []

    def subscribe(self, channel: str, on_change: Callable[[str], None], on_reset: Callable[[], None]) -> None:
        self.on_change[channel] = on_change
        self.on_reset.append(on_reset)

    def notify(self, channel: str, payload: str) -> None:
        self.on_change[channel](payload)

    def reset(self) -> None:
        for on_reset in self.on_reset:
            on_reset()


def cache(feed: FakeFeed, *, ttl: float = 60, max_entries: int = 100) -> FeedCache[int, str]:
    return FeedCache(feed, "ch", int, ttl=ttl, max_entries=max_entries)  # type: ignore[arg-type]


def test_a_stored_entry_is_served_until_its_key_is_notified() -> None:
    feed = FakeFeed()
    c = cache(feed)
    c.put(1, "one", c.begin())
    c.put(2, "two", c.begin())
    assert c.get(1) == "one"
    feed.notify("ch", "1")
    assert c.get(1) is None and c.get(2) == "two"


def test_a_load_that_raced_a_change_is_not_stored() -> None:
    feed = FakeFeed()
    c = cache(feed)
    epoch = c.begin()          # a request starts loading user 1 ...
    feed.notify("ch", "1")     # ... user 1 changes and commits meanwhile ...
    c.put(1, "stale", epoch)   # ... the load finishes with what it read before
    assert c.get(1) is None


def test_nothing_is_served_or_stored_while_the_feed_is_down_and_a_reset_empties_it() -> None:
    feed = FakeFeed()
    c = cache(feed)
    c.put(1, "one", c.begin())
    feed.live = False
    assert c.get(1) is None
    assert c.begin() is None
    c.put(2, "two", c.begin())
    feed.live = True
    assert c.get(2) is None
    feed.reset()
    assert c.get(1) is None


def test_unreadable_payload_clears_everything() -> None:
    feed = FakeFeed()
    c = cache(feed)
    c.put(1, "one", c.begin())
    feed.notify("ch", "not a number")
    assert c.get(1) is None


def test_entries_expire_and_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(changes.time, "monotonic", lambda: now[0])
    feed = FakeFeed()
    c = cache(feed, ttl=30, max_entries=2)
    c.put(1, "one", c.begin())
    now[0] += 29
    assert c.get(1) == "one"
    now[0] += 2
    assert c.get(1) is None
    for key in (1, 2, 3):
        c.put(key, str(key), c.begin())
    assert c.get(1) is None and c.get(2) == "2" and c.get(3) == "3"


def test_a_zero_time_limit_caches_nothing() -> None:
    feed = FakeFeed()
    c = cache(feed, ttl=0)
    c.put(1, "one", c.begin())
    assert c.get(1) is None
