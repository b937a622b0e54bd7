"""Pure maths of rankings: periods, Student's t, moments, intervals, ranks, percentiles."""

from __future__ import annotations

import math
import statistics
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspect_api.rankings.stats import (
    PERIOD_KINDS,
    Moments,
    competition_ranks,
    confidence_interval,
    last_periods,
    mean,
    moments_of,
    next_period_start,
    percentiles,
    period_start,
    previous_period_start,
    quantile,
    sample_variance,
    t_quantile,
)

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
kinds = st.sampled_from(PERIOD_KINDS)
# Scores as stored: numeric(5, 2) in 0..100.
scores = st.integers(min_value=0, max_value=10_000).map(lambda cents: Decimal(cents) / 100)


# ---- periods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "day", "start", "end"),
    [
        ("week", date(2026, 11, 23), date(2026, 11, 23), date(2026, 11, 30)),  # a Monday
        ("week", date(2026, 11, 29), date(2026, 11, 23), date(2026, 11, 30)),  # the Sunday after
        ("week", date(2027, 1, 1), date(2026, 12, 28), date(2027, 1, 4)),  # ISO week across years
        ("month", date(2024, 2, 29), date(2024, 2, 1), date(2024, 3, 1)),
        ("month", date(2026, 12, 31), date(2026, 12, 1), date(2027, 1, 1)),
        ("quarter", date(2026, 11, 23), date(2026, 10, 1), date(2027, 1, 1)),
        ("quarter", date(2026, 3, 31), date(2026, 1, 1), date(2026, 4, 1)),
    ],
)
def test_period_boundaries(kind: str, day: date, start: date, end: date) -> None:
    assert period_start(kind, day) == start  # type: ignore[arg-type]
    assert next_period_start(kind, day) == end  # type: ignore[arg-type]


@given(kinds, days)
def test_a_day_lies_in_its_period_and_periods_tile_the_calendar(kind: str, day: date) -> None:
    start = period_start(kind, day)  # type: ignore[arg-type]
    end = next_period_start(kind, start)  # type: ignore[arg-type]
    assert start <= day < end
    assert period_start(kind, end) == end  # type: ignore[arg-type]
    assert period_start(kind, end - timedelta(days=1)) == start  # type: ignore[arg-type]
    assert next_period_start(kind, previous_period_start(kind, day)) == start  # type: ignore[arg-type]
    if kind == "week":
        assert start.weekday() == 0 and (end - start).days == 7
    else:
        assert start.day == 1 and start.month % (1 if kind == "month" else 3) in (0, 1)


@given(kinds, days, st.integers(min_value=1, max_value=30))
def test_last_periods_are_consecutive_and_end_with_today(kind: str, day: date, count: int) -> None:
    starts = last_periods(kind, day, count)  # type: ignore[arg-type]
    assert len(starts) == count
    assert starts[-1] == period_start(kind, day)  # type: ignore[arg-type]
    for earlier, later in pairwise(starts):
        assert next_period_start(kind, earlier) == later  # type: ignore[arg-type]


# ---- Student's t -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("df", "expected"),
    [(1, 12.7062), (2, 4.3027), (3, 3.1824), (5, 2.5706), (10, 2.2281), (30, 2.0423), (120, 1.9799),
     (100_000, 1.9600)],
)
def test_t_quantile_matches_the_tables(df: int, expected: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=5e-4)


@given(st.floats(min_value=0.5001, max_value=0.999), st.integers(min_value=1, max_value=500))
def test_t_quantile_is_symmetric_and_shrinks_with_more_data(p: float, df: int) -> None:
    assert t_quantile(1 - p, df) == pytest.approx(-t_quantile(p, df), rel=1e-9)
    assert t_quantile(p, df + 1) <= t_quantile(p, df) + 1e-9


# ---- moments and intervals ---------------------------------------------------------------------


@given(st.lists(scores, min_size=2, max_size=40))
def test_moments_give_the_textbook_mean_and_variance(values: list[Decimal]) -> None:
    m = moments_of(values)
    assert float(mean(m)) == pytest.approx(float(statistics.fmean(values)), abs=1e-4)  # type: ignore[arg-type]
    assert float(sample_variance(m)) == pytest.approx(float(statistics.variance(values)), rel=1e-9, abs=1e-9)  # type: ignore[arg-type]


@given(st.lists(scores, max_size=40), st.lists(scores, max_size=40))
def test_adding_one_at_a_time_equals_merging_equals_recomputing(first: list[Decimal], second: list[Decimal]) -> None:
    one_by_one = Moments()
    for value in first + second:
        one_by_one = one_by_one.add(value)
    assert one_by_one == moments_of(first).merge(moments_of(second)) == moments_of(first + second)
    for value in second:
        one_by_one = one_by_one.add(value, sign=-1)
    assert one_by_one == moments_of(first)


@given(st.lists(scores, min_size=1, max_size=60))
def test_the_interval_contains_the_mean_and_stays_in_range(values: list[Decimal]) -> None:
    m = moments_of(values)
    interval = confidence_interval(m)
    assert interval is not None
    low, high = interval
    centre = float(mean(m))  # type: ignore[arg-type]
    assert 0.0 <= low <= centre + 0.005 and centre - 0.005 <= high <= 100.0


def test_one_visit_is_not_a_verdict_and_none_has_no_interval() -> None:
    assert confidence_interval(moments_of([Decimal("87.5")])) == (0.0, 100.0)
    assert confidence_interval(Moments()) is None
    assert mean(Moments()) is None


def test_the_interval_uses_t_for_small_samples() -> None:
    values = [Decimal(v) for v in (50, 60, 70)]
    low, high = confidence_interval(moments_of(values))  # type: ignore[misc]
    half = 4.3027 * 10 / math.sqrt(3)  # t(0.975, 2) * s / sqrt(n), not 1.96 * ...
    assert low == pytest.approx(60 - half, abs=0.01) and high == pytest.approx(60 + half, abs=0.01)


@given(st.lists(scores, min_size=2, max_size=30))
def test_identical_scores_have_a_zero_width_interval(values: list[Decimal]) -> None:
    same = moments_of([values[0]] * len(values))
    low, high = confidence_interval(same)  # type: ignore[misc]
    assert low == high == float(values[0])


# ---- ranks and percentiles ---------------------------------------------------------------------

means = st.lists(st.integers(min_value=0, max_value=40).map(lambda v: Decimal(v) * Decimal("2.5")),
                 min_size=1, max_size=40)


def test_competition_ranks_share_ties_and_skip() -> None:
    values = [Decimal(v) for v in (90, 95, 90, 80, 95)]
    assert competition_ranks(values) == [3, 1, 3, 5, 1]
    # 90 beats 80 and ties the other 90 (half): (1 + 0.5) / 4
    assert percentiles(values) == [37.5, 87.5, 37.5, 0.0, 87.5]


@given(means)
def test_rank_is_one_plus_the_number_strictly_better(values: list[Decimal]) -> None:
    ranks = competition_ranks(values)
    for value, rank in zip(values, ranks, strict=True):
        assert rank == 1 + sum(1 for other in values if other > value)
    assert min(ranks) == 1
    for a, ra in zip(values, ranks, strict=True):
        for b, rb in zip(values, ranks, strict=True):
            assert (a == b) == (ra == rb)
            assert (a > b) == (ra < rb)


@given(means)
def test_percentiles_are_ordered_bounded_and_tie_aware(values: list[Decimal]) -> None:
    pct = percentiles(values)
    assert all(0.0 <= p <= 100.0 for p in pct)
    for a, pa in zip(values, pct, strict=True):
        for b, pb in zip(values, pct, strict=True):
            assert (a == b) == (pa == pb) and (a > b) == (pa > pb)
    if len(set(values)) == len(values):  # no ties: the best is 100, the worst 0
        assert max(pct) == 100.0 and (min(pct) == 0.0 or len(values) == 1)


@given(st.lists(st.floats(min_value=0, max_value=100), min_size=1, max_size=50), st.floats(0, 1))
def test_quantile_is_within_the_data(values: list[float], q: float) -> None:
    ordered = sorted(values)
    value = quantile(ordered, q)
    assert ordered[0] - 1e-9 <= value <= ordered[-1] + 1e-9
    assert quantile(ordered, 0.0) == ordered[0] and quantile(ordered, 1.0) == ordered[-1]
