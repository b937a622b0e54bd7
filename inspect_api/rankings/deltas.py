"""What one release changes in the roll-ups: pure, so "adding releases one by one in any order equals
recomputing from all of them" is a property test (tests/unit/rankings), not a hope.

A *series* is one branch × one form key; its released visits are ordered by (visited_on, released_at,
id). Per period kind and period start the roll-ups keep, for the branch: visits, scored visits, score
sum, score sum of squares, passes; and per item: applicable (pass, fail or partial), failures,
partials, and repeat failures (a failure whose previous visit in the series failed the same item too).

Releasing visit S between its neighbours P (previous) and N (next) adds S's own counts, S's repeat
failures judged against P, and corrects N: N's repeat failures were judged against P, now against S.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

import msgspec

from inspect_api.rankings.stats import PERIOD_KINDS, PeriodKind, period_start

APPLICABLE: Final = frozenset({"pass", "fail", "partial"})


class SeriesVisit(msgspec.Struct, frozen=True, kw_only=True):
    """A released submission as the roll-ups see it. `items` maps item key -> item status."""

    visited_on: date
    score: Decimal | None
    passed: bool
    items: dict[str, str]

    def failed(self) -> frozenset[str]:
        return frozenset(key for key, status in self.items.items() if status == "fail")


class BranchDelta(msgspec.Struct, frozen=True, kw_only=True):
    kind: PeriodKind
    start: date
    visits: int
    scored: int
    score_sum: Decimal
    score_sq_sum: Decimal
    passes: int


class ItemDelta(msgspec.Struct, frozen=True, kw_only=True):
    kind: PeriodKind
    start: date
    item_key: str
    applicable: int
    failures: int
    partials: int
    repeat_failures: int


def _failed(visit: SeriesVisit | None) -> frozenset[str]:
    return frozenset() if visit is None else visit.failed()


def release_deltas(
    visit: SeriesVisit, previous: SeriesVisit | None, following: SeriesVisit | None, *, sign: int = 1
) -> tuple[list[BranchDelta], list[ItemDelta]]:
    """The changes when `visit` joins its series between `previous` and `following` (sign=1), or
    leaves it (sign=-1: the exact inverse)."""
    if sign not in (1, -1):
        raise ValueError("sign is 1 (release) or -1 (retraction)")
    scored = visit.score is not None
    score = visit.score if visit.score is not None else Decimal(0)
    before = _failed(previous)
    branch = [
        BranchDelta(kind=kind, start=period_start(kind, visit.visited_on), visits=sign, scored=sign * scored,
                    score_sum=sign * score, score_sq_sum=sign * score * score, passes=sign * visit.passed)
        for kind in PERIOD_KINDS
    ]
    items = [
        ItemDelta(kind=kind, start=period_start(kind, visit.visited_on), item_key=key, applicable=sign,
                  failures=sign * (status == "fail"), partials=sign * (status == "partial"),
                  repeat_failures=sign * (status == "fail" and key in before))
        for key, status in sorted(visit.items.items())
        if status in APPLICABLE
        for kind in PERIOD_KINDS
    ]
    if following is not None:
        now_failed = visit.failed()
        for key in sorted(following.failed()):
            change = (key in now_failed) - (key in before)
            if change:
                items.extend(
                    ItemDelta(kind=kind, start=period_start(kind, following.visited_on), item_key=key,
                              applicable=0, failures=0, partials=0, repeat_failures=sign * change)
                    for kind in PERIOD_KINDS
                )
    return branch, items

