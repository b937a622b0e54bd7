"""Turning a ranking page read from the roll-ups into the response (pure): rank and percentile of each
row among the scope's ranked means, t intervals, deltas against the previous period, the scope's
distribution, name hiding. Postgres has already ordered and cut the page (rankings/queries.py)."""

from __future__ import annotations

from collections.abc import Callable

from inspect_api.rankings.queries import BranchPeriodsRow, RankingPage
from inspect_api.rankings.schemas import BranchRef, Distribution, PeriodStats, RankingRow
from inspect_api.rankings.stats import interval, percentile_in, quantile, rank_in


def period_stats(
    visits: int, scored: int, mean: float | None, variance: float | None, passes: int, ranked: bool,
    ranked_means: list[float],
) -> PeriodStats:
    """A branch's figures in one period; rank and percentile among `ranked_means` (ascending) if ranked."""
    low, high = (None, None) if mean is None else interval(mean, variance, scored)
    rank = rank_in(mean, ranked_means) if ranked and mean is not None else None
    return PeriodStats(
        visits=visits,
        mean=mean,
        ci_low=low,
        ci_high=high,
        pass_rate=None if visits == 0 else round(passes / visits, 4),
        ranked=rank is not None,
        rank=rank,
        percentile=None if rank is None else percentile_in(mean, ranked_means),  # type: ignore[arg-type]
    )


def ranking_row(row: BranchPeriodsRow, page: RankingPage, reveal: Callable[[BranchPeriodsRow], bool]) -> RankingRow:
    current = period_stats(row.visits, row.scored, row.mean, row.variance, row.passes, row.ranked,
                           page.ranked_means)
    previous = period_stats(row.prev_visits, row.prev_scored, row.prev_mean, row.prev_variance, row.prev_passes,
                            row.prev_ranked, page.prev_ranked_means)
    delta_mean = None if current.mean is None or previous.mean is None else round(current.mean - previous.mean, 4)
    delta_rank = None if current.rank is None or previous.rank is None else previous.rank - current.rank
    branch = BranchRef(id=row.branch_id, code=row.code, name_zh=row.name_zh, name_en=row.name_en) \
        if reveal(row) else None
    return RankingRow(branch=branch, region_id=row.region_id, own=row.own, current=current, previous=previous,
                      delta_mean=delta_mean, delta_rank=delta_rank)


def distribution(page: RankingPage) -> Distribution:
    """Spread of the ranked branches' means over the whole scope."""
    means = page.ranked_means

    def q(value: float) -> float | None:
        return round(quantile(means, value), 4) if means else None

    return Distribution(
        branches=page.total, ranked=len(means), visits=page.visits,
        pass_rate=round(page.passes / page.visits, 4) if page.visits else None,
        min=q(0.0), p25=q(0.25), median=q(0.5), p75=q(0.75), max=q(1.0),
    )


def build_page(page: RankingPage, reveal: Callable[[BranchPeriodsRow], bool]) -> list[RankingRow]:
    return [ranking_row(row, page, reveal) for row in page.rows]
