"""Pure maths of roll-ups and rankings: periods, moments, the t-based confidence interval, ranks and
percentiles. No I/O: the service feeds it rows read from the roll-up tables.

* Periods are calendar periods of the branch's local date (submissions.visited_on is already local):
  ISO weeks (Monday first), months, quarters. A period is [start, end) with `end` the next start.
* A branch's period keeps sufficient statistics: n (visits with a score), sum, sum of squares (exact
  decimals, so adding visits one at a time equals summing them all at once). Mean = sum / n; sample
  variance = (sumsq - sum^2 / n) / (n - 1).
* The 95% interval of the mean is mean ± t(0.975, n - 1) · s / sqrt(n), clipped to the score range
  [0, 100]. With one visit it is the whole range [0, 100]: one visit is not a verdict.
* Ranks are competition ranks on the mean, best first ("1224": ties share the rank, the next rank
  skips). Percentile = share of the *other* ranked branches a branch beats, ties counting half:
  100 · (below + (equal - 1) / 2) / (n - 1); the best is 100, the worst 0, a lone branch 100.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Final, Literal, TypeVar

import msgspec

PeriodKind = Literal["week", "month", "quarter"]
Number = TypeVar("Number", float, Decimal)
PERIOD_KINDS: Final[tuple[PeriodKind, ...]] = ("week", "month", "quarter")
SCORE_MIN: Final = 0.0
SCORE_MAX: Final = 100.0
MEAN_PLACES: Final = Decimal("0.0001")  # means are compared at this precision, so equal scores tie exactly


# ---- periods -----------------------------------------------------------------------------------


def period_start(kind: PeriodKind, day: date) -> date:
    """First day of the period holding `day` (same as SQL `date_trunc(kind, day)::date`)."""
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    if kind == "quarter":
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    raise ValueError(f"unknown period kind {kind!r}")


def next_period_start(kind: PeriodKind, start: date) -> date:
    """The first day after the period that starts on `start` (its exclusive end)."""
    start = period_start(kind, start)
    if kind == "week":
        return start + timedelta(days=7)
    months = 1 if kind == "month" else 3
    month_index = start.year * 12 + start.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def previous_period_start(kind: PeriodKind, start: date) -> date:
    return period_start(kind, period_start(kind, start) - timedelta(days=1))


def last_periods(kind: PeriodKind, day: date, count: int) -> list[date]:
    """Starts of the `count` periods ending with the one holding `day`, oldest first."""
    starts = [period_start(kind, day)]
    for _ in range(count - 1):
        starts.append(previous_period_start(kind, starts[-1]))
    return starts[::-1]


# ---- Student's t -------------------------------------------------------------------------------


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """Lentz's method for the continued fraction of the regularized incomplete beta function."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def regularized_beta(a: float, b: float, x: float) -> float:
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    tail = 0.5 * regularized_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


@lru_cache(maxsize=1024)
def t_quantile(p: float, df: int) -> float:
    """The t value with P(T <= t) = p for `df` degrees of freedom (bisection on the CDF)."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must lie strictly between 0 and 1")
    if df < 1:
        raise ValueError("df must be at least 1")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2.0
    for _ in range(200):
        mid = (low + high) / 2.0
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12:
            break
    return (low + high) / 2.0


# ---- moments -----------------------------------------------------------------------------------


class Moments(msgspec.Struct, frozen=True):
    """Sufficient statistics of a set of scores: count, sum and sum of squares (exact decimals)."""

    n: int = 0
    total: Decimal = Decimal(0)
    squares: Decimal = Decimal(0)

    def add(self, score: Decimal, sign: int = 1) -> Moments:
        return Moments(self.n + sign, self.total + sign * score, self.squares + sign * score * score)

    def merge(self, other: Moments) -> Moments:
        return Moments(self.n + other.n, self.total + other.total, self.squares + other.squares)


def moments_of(scores: Sequence[Decimal]) -> Moments:
    return Moments(len(scores), sum(scores, Decimal(0)), sum((s * s for s in scores), Decimal(0)))


def mean(m: Moments) -> Decimal | None:
    """sum / n rounded half-up to 4 places: the same as SQL `round(score_sum / scored, 4)`."""
    return None if m.n <= 0 else (m.total / m.n).quantize(MEAN_PLACES, rounding=ROUND_HALF_UP)


def sample_variance(m: Moments) -> Decimal | None:
    if m.n < 2:
        return None
    return max(Decimal(0), (m.squares - m.total * m.total / m.n) / (m.n - 1))


@lru_cache(maxsize=16384)  # pure, and ranking pages ask again for the same branches' figures
def interval(centre: float, variance: float | None, n: int, level: float = 0.95) -> tuple[float, float]:
    """Two-sided t interval of a mean of n >= 1 scores, clipped to [0, 100]; the whole range for n = 1."""
    if n <= 1 or variance is None:
        return (SCORE_MIN, SCORE_MAX)
    half = t_quantile(0.5 + level / 2.0, n - 1) * math.sqrt(max(0.0, variance) / n)
    low = max(SCORE_MIN, min(centre, centre - half))
    high = min(SCORE_MAX, max(centre, centre + half))
    return (round(low, 2), round(high, 2))


def confidence_interval(m: Moments, level: float = 0.95) -> tuple[float, float] | None:
    """The interval of the mean of these moments; None with no scores."""
    centre = mean(m)
    if centre is None:
        return None
    variance = sample_variance(m)
    return interval(float(centre), None if variance is None else float(variance), m.n, level)


# ---- ranks -------------------------------------------------------------------------------------


def rank_in(value: Number, ascending: Sequence[Number]) -> int:
    """Competition rank of `value` (one of `ascending`, sorted ascending), highest first:
    1 + how many are strictly higher."""
    return 1 + len(ascending) - bisect_right(ascending, value)


def percentile_in(value: Number, ascending: Sequence[Number]) -> float:
    """Percentile of `value` (one of `ascending`) as in the module docstring, rounded to 0.1."""
    n = len(ascending)
    if n == 1:
        return 100.0
    below = bisect_left(ascending, value)
    equal = bisect_right(ascending, value) - below
    return round(100.0 * (below + (equal - 1) / 2.0) / (n - 1), 1)


def competition_ranks(values: Sequence[Number]) -> list[int]:
    """Rank of each value, highest first; equal values share the best rank of their group."""
    ascending = sorted(values)
    return [rank_in(v, ascending) for v in values]


def percentiles(values: Sequence[Number]) -> list[float]:
    """Percentile of each value among `values` (see the module docstring), rounded to 0.1."""
    ascending = sorted(values)
    return [percentile_in(v, ascending) for v in values]


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile of already sorted values (numpy's default)."""
    if not sorted_values:
        raise ValueError("no values")
    position = q * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)
