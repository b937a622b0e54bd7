"""Turning roll-up rows into a ranking table (pure): ranks among the branches with enough visits,
percentiles, deltas against the previous period, the scope's distribution, name hiding.

Ranks, percentiles and the distribution need every row of the scope; the response Structs (with their
confidence intervals) are built for the requested page only, so a 2,000-branch org costs a sort of
2,000 floats, not 2,000 objects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from inspect_api.rankings.queries import BranchPeriodsRow
from inspect_api.rankings.schemas import BranchRef, Distribution, PeriodStats, RankingRow
from inspect_api.rankings.stats import interval, quantile, rank_and_percentile


@dataclass(frozen=True, slots=True)
class Figures:
    """One branch in one period, as read from the roll-ups."""

    visits: int
    scored: int
    mean: float | None
    variance: float | None
    passes: int


def rank_period(
    visits: Sequence[int], means: Sequence[float | None], min_visits: int
) -> list[tuple[int, float] | None]:
    """(rank, percentile) of each branch with at least `min_visits` visits and a mean, else None."""
    eligible = [m for v, m in zip(visits, means, strict=True) if v >= min_visits and m is not None]
    table = rank_and_percentile(eligible)  # type: ignore[type-var]
    return [table[m] if v >= min_visits and m is not None else None  # type: ignore[index]
            for v, m in zip(visits, means, strict=True)]


def period_stats(f: Figures, rank: int | None, percentile: float | None) -> PeriodStats:
    low, high = (None, None) if f.mean is None else interval(f.mean, f.variance, f.scored)
    return PeriodStats(
        visits=f.visits,
        mean=f.mean,
        ci_low=low,
        ci_high=high,
        pass_rate=None if f.visits == 0 else round(f.passes / f.visits, 4),
        ranked=rank is not None,
        rank=rank,
        percentile=percentile,
    )


def _current(r: BranchPeriodsRow) -> Figures:
    return Figures(r.visits, r.scored, r.mean, r.variance, r.passes)


def _previous(r: BranchPeriodsRow) -> Figures:
    return Figures(r.prev_visits, r.prev_scored, r.prev_mean, r.prev_variance, r.prev_passes)


def build_table(
    rows: Sequence[BranchPeriodsRow],
    min_visits: int,
    reveal: Callable[[BranchPeriodsRow], bool],
    page: slice = slice(None),
) -> tuple[list[RankingRow], Distribution, int]:
    """The `page` of the table in display order (ranked by rank, then unranked by mean, then not
    inspected; ties by branch code), the distribution of ranked means, and the number of rows.
    `reveal(row)` says whether the caller may see that branch's identity."""
    ranks = rank_period([r.visits for r in rows], [r.mean for r in rows], min_visits)
    prev_ranks = rank_period([r.prev_visits for r in rows], [r.prev_mean for r in rows], min_visits)

    def order(i: int) -> tuple:
        ranked, mean = ranks[i], rows[i].mean
        if ranked is not None:
            return (0, ranked[0], rows[i].code)
        return (1, -mean, rows[i].code) if mean is not None else (2, 0, rows[i].code)

    table = []
    for i in sorted(range(len(rows)), key=order)[page]:
        row, ranked, prev_ranked = rows[i], ranks[i], prev_ranks[i]
        current = period_stats(_current(row), *(ranked or (None, None)))
        previous = period_stats(_previous(row), *(prev_ranked or (None, None)))
        delta_mean = None if current.mean is None or previous.mean is None else round(current.mean - previous.mean, 4)
        delta_rank = None if current.rank is None or previous.rank is None else previous.rank - current.rank
        branch = BranchRef(id=row.branch_id, code=row.code, name_zh=row.name_zh, name_en=row.name_en) \
            if reveal(row) else None
        table.append(RankingRow(branch=branch, region_id=row.region_id, own=row.own, current=current,
                                previous=previous, delta_mean=delta_mean, delta_rank=delta_rank))

    ranked_means = sorted(r.mean for r, ranked in zip(rows, ranks, strict=True) if ranked is not None)  # type: ignore[type-var]
    visits = sum(r.visits for r in rows)
    passes = sum(r.passes for r in rows)

    def q(value: float) -> float | None:
        return round(quantile(ranked_means, value), 4) if ranked_means else None  # type: ignore[arg-type]

    distribution = Distribution(
        branches=len(rows), ranked=len(ranked_means), visits=visits,
        pass_rate=round(passes / visits, 4) if visits else None,
        min=q(0.0), p25=q(0.25), median=q(0.5), p75=q(0.75), max=q(1.0),
    )
    return table, distribution, len(rows)
