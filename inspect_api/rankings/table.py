"""Turning roll-up rows into a ranking table (pure): stats per period, ranks among the branches with
enough visits, deltas against the previous period, the scope's distribution, name hiding."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from inspect_api.rankings.queries import BranchPeriodsRow
from inspect_api.rankings.schemas import BranchRef, Distribution, PeriodStats, RankingRow
from inspect_api.rankings.stats import Moments, competition_ranks, confidence_interval, mean, percentiles, quantile


def _unranked(visits: int, passes: int, moments: Moments) -> PeriodStats:
    centre = mean(moments)
    interval = confidence_interval(moments)
    return PeriodStats(
        visits=visits,
        mean=None if centre is None else float(centre),
        ci_low=None if interval is None else interval[0],
        ci_high=None if interval is None else interval[1],
        pass_rate=None if visits == 0 else round(passes / visits, 4),
        ranked=False,
        rank=None,
        percentile=None,
    )


def rank_period(entries: Sequence[tuple[int, int, Moments]], min_visits: int) -> list[PeriodStats]:
    """Stats for each (visits, passes, moments); branches with >= min_visits visits and a mean are ranked
    among themselves."""
    stats = [_unranked(visits, passes, m) for visits, passes, m in entries]
    eligible = [i for i, (visits, _, m) in enumerate(entries) if visits >= min_visits and mean(m) is not None]
    means: list[Decimal] = [mean(entries[i][2]) for i in eligible]  # type: ignore[misc]
    for i, rank, pct in zip(eligible, competition_ranks(means), percentiles(means) if means else [], strict=True):
        s = stats[i]
        stats[i] = PeriodStats(visits=s.visits, mean=s.mean, ci_low=s.ci_low, ci_high=s.ci_high,
                               pass_rate=s.pass_rate, ranked=True, rank=rank, percentile=pct)
    return stats


def _order(row: RankingRow, code: str) -> tuple:
    current = row.current
    if current.ranked:
        return (0, current.rank, code)
    if current.mean is not None:
        return (1, -current.mean, code)
    return (2, 0, code)


def build_table(
    rows: Sequence[BranchPeriodsRow], min_visits: int, reveal: Callable[[BranchPeriodsRow], bool]
) -> tuple[list[RankingRow], Distribution]:
    """The whole table in display order, and the distribution of ranked means. `reveal(row)` says whether
    the caller may see that branch's identity."""
    current = rank_period([(r.visits, r.passes, Moments(r.scored, r.score_sum, r.score_sq_sum)) for r in rows],
                          min_visits)
    previous = rank_period(
        [(r.prev_visits, r.prev_passes, Moments(r.prev_scored, r.prev_score_sum, r.prev_score_sq_sum))
         for r in rows],
        min_visits,
    )
    table: list[tuple[tuple, RankingRow]] = []
    for row, now, before in zip(rows, current, previous, strict=True):
        delta_mean = None if now.mean is None or before.mean is None else round(now.mean - before.mean, 4)
        delta_rank = None if now.rank is None or before.rank is None else before.rank - now.rank
        branch = BranchRef(id=row.branch_id, code=row.code, name_zh=row.name_zh, name_en=row.name_en) \
            if reveal(row) else None
        ranking_row = RankingRow(branch=branch, region_id=row.region_id, own=row.own, current=now,
                                 previous=before, delta_mean=delta_mean, delta_rank=delta_rank)
        table.append((_order(ranking_row, row.code), ranking_row))
    table.sort(key=lambda pair: pair[0])
    ranked_means = sorted(s.mean for s in current if s.ranked and s.mean is not None)
    visits = sum(r.visits for r in rows)
    passes = sum(r.passes for r in rows)

    def q(value: float) -> float | None:
        return round(quantile(ranked_means, value), 4) if ranked_means else None

    distribution = Distribution(
        branches=len(rows), ranked=len(ranked_means), visits=visits,
        pass_rate=round(passes / visits, 4) if visits else None,
        min=q(0.0), p25=q(0.25), median=q(0.5), p75=q(0.75), max=q(1.0),
    )
    return [row for _, row in table], distribution
