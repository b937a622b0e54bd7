"""Incremental roll-ups (one release at a time, in any order, with retractions) equal a recomputation
from the final set of released visits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_api.rankings.deltas import APPLICABLE, BranchDelta, ItemDelta, SeriesVisit, release_deltas
from inspect_api.rankings.stats import PERIOD_KINDS, period_start

Branch = dict[tuple[str, date], list]
Items = dict[tuple[str, date, str], list[int]]
ITEMS = ("p1", "p2", "p3")
STATUSES = ("pass", "fail", "partial", "na", "inapplicable")

visit_strategy = st.builds(
    lambda offset, cents, passed, statuses: SeriesVisit(
        visited_on=date(2026, 1, 1) + timedelta(days=offset),
        score=None if cents is None else Decimal(cents) / 100,
        passed=passed,
        items=dict(zip(ITEMS, statuses, strict=True)),
    ),
    st.integers(min_value=0, max_value=120),
    st.one_of(st.none(), st.integers(min_value=0, max_value=10_000)),
    st.booleans(),
    st.tuples(*(st.sampled_from(STATUSES) for _ in ITEMS)),
)


def fold(branch: Branch, items: Items, deltas: tuple[Iterable[BranchDelta], Iterable[ItemDelta]]) -> None:
    """What the SQL upserts do."""
    for d in deltas[0]:
        row = branch.setdefault((d.kind, d.start), [0, 0, Decimal(0), Decimal(0), 0])
        for index, value in enumerate((d.visits, d.scored, d.score_sum, d.score_sq_sum, d.passes)):
            row[index] += value
    for d in deltas[1]:
        cells = items.setdefault((d.kind, d.start, d.item_key), [0, 0, 0, 0])
        for index, value in enumerate((d.applicable, d.failures, d.partials, d.repeat_failures)):
            cells[index] += value


def recompute(visits: list[tuple[int, SeriesVisit]]) -> tuple[Branch, Items]:
    """The backfill's definition, written out directly. Series order: visited_on, then release order."""
    ordered = sorted(visits, key=lambda pair: (pair[1].visited_on, pair[0]))
    branch: Branch = {}
    items: Items = {}
    previous: SeriesVisit | None = None
    for _, v in ordered:
        for kind in PERIOD_KINDS:
            start = period_start(kind, v.visited_on)
            row = branch.setdefault((kind, start), [0, 0, Decimal(0), Decimal(0), 0])
            score = v.score or Decimal(0)
            row[0] += 1
            row[1] += v.score is not None
            row[2] += score
            row[3] += score * score
            row[4] += v.passed
            for key, status in v.items.items():
                if status not in APPLICABLE:
                    continue
                cells = items.setdefault((kind, start, key), [0, 0, 0, 0])
                cells[0] += 1
                cells[1] += status == "fail"
                cells[2] += status == "partial"
                cells[3] += status == "fail" and previous is not None and previous.items.get(key) == "fail"
        previous = v
    return branch, items


def neighbours(released: list[tuple[int, SeriesVisit]], me: tuple[int, SeriesVisit]):
    key = (me[1].visited_on, me[0])
    before = [p for p in released if (p[1].visited_on, p[0]) < key]
    after = [p for p in released if (p[1].visited_on, p[0]) > key]
    previous = max(before, key=lambda p: (p[1].visited_on, p[0]), default=None)
    following = min(after, key=lambda p: (p[1].visited_on, p[0]), default=None)
    return (previous[1] if previous else None), (following[1] if following else None)


def nonzero(branch: Branch, items: Items) -> tuple[Branch, Items]:
    return ({k: v for k, v in branch.items() if v[0] != 0}, {k: v for k, v in items.items() if any(v)})


@settings(max_examples=300)
@given(st.lists(visit_strategy, min_size=1, max_size=12), st.randoms(use_true_random=False), st.data())
def test_releases_in_any_order_then_retractions_equal_recomputation(visits, rng, data) -> None:
    # Each visit gets its release number: ties on visited_on are ordered by release, like released_at.
    numbered = list(enumerate(visits))
    rng.shuffle(numbered)
    released: list[tuple[int, SeriesVisit]] = []
    branch: Branch = {}
    items: Items = {}
    for position, (_, visit) in enumerate(numbered):
        me = (position, visit)  # released_at order == release order
        previous, following = neighbours(released, me)
        fold(branch, items, release_deltas(visit, previous, following))
        released.append(me)
        assert nonzero(branch, items) == nonzero(*recompute(released))

    retract = data.draw(st.lists(st.sampled_from(released), unique_by=lambda p: p[0], max_size=len(released)))
    for me in retract:
        released.remove(me)
        previous, following = neighbours(released, me)
        fold(branch, items, release_deltas(me[1], previous, following, sign=-1))
        assert nonzero(branch, items) == nonzero(*recompute(released))


def test_a_repeat_is_a_failure_after_a_failure_of_the_same_item() -> None:
    first = SeriesVisit(visited_on=date(2026, 3, 2), score=Decimal(50), passed=False, items={"p1": "fail"})
    second = SeriesVisit(visited_on=date(2026, 3, 9), score=Decimal(60), passed=False,
                         items={"p1": "fail", "p2": "na"})
    _, items = release_deltas(second, first, None)
    week = [d for d in items if d.kind == "week"]
    assert [(d.item_key, d.applicable, d.failures, d.repeat_failures) for d in week] == [("p1", 1, 1, 1)]


def test_an_earlier_visit_released_late_corrects_the_later_ones_repeat() -> None:
    early = SeriesVisit(visited_on=date(2026, 3, 2), score=Decimal(50), passed=False, items={"p1": "pass"})
    late = SeriesVisit(visited_on=date(2026, 3, 16), score=Decimal(60), passed=False, items={"p1": "fail"})
    middle = SeriesVisit(visited_on=date(2026, 3, 9), score=Decimal(40), passed=False, items={"p1": "fail"})
    _, items = release_deltas(middle, early, late)
    fixes = [d for d in items if d.kind == "week" and d.start == date(2026, 3, 16)]
    assert [(d.item_key, d.applicable, d.repeat_failures) for d in fixes] == [("p1", 0, 1)]
