"""Pure checks shared by the API and the CSV import."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone_problem(name: str) -> str | None:
    """None for a known IANA zone name (e.g. Asia/Shanghai), else a message."""
    if name in _zones():
        return None
    return f"{name!r} is not an IANA time zone (e.g. Asia/Shanghai)"


def coordinates_problem(latitude: float | None, longitude: float | None) -> str | None:
    if (latitude is None) != (longitude is None):
        return "give both latitude and longitude, or neither"
    return None
