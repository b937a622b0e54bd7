"""Adjusted figures for a ranking page (pure): empirical-Bayes shrinkage of every scored branch of the scope
toward its region's mean (rankings/fairness.py), ranks on the adjusted score over the scope and within each
region. The service reads the scope's scored branches only when adjust=shrinkage is asked for."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from inspect_api.rankings.fairness import BranchSample, peer_ranks, shrink
from inspect_api.rankings.queries import ScoredBranchRow
from inspect_api.rankings.schemas import AdjustedStats, Shrinkage

PLACES = 4  # adjusted scores are compared (and shown) at the means' precision, so equal ones tie exactly


def shrinkage_by_branch(rows: Sequence[ScoredBranchRow]) -> tuple[dict[UUID, AdjustedStats], Shrinkage]:
    samples = [BranchSample(key=r.branch_id, group=r.region_id, n=r.scored, mean=r.mean, variance=r.variance)
               for r in rows]
    shrunk, model = shrink(samples)
    adjusted = [round(s.adjusted, PLACES) for s in shrunk]
    overall = peer_ranks(range(len(shrunk)), adjusted.__getitem__, lambda _: None)
    regional = peer_ranks(range(len(shrunk)), adjusted.__getitem__, lambda index: shrunk[index].group)
    out: dict[UUID, AdjustedStats] = {}
    for s, value, whole, region in zip(shrunk, adjusted, overall, regional, strict=True):
        if whole is None or region is None:  # cannot happen: every row has a score
            continue
        out[s.key] = AdjustedStats(
            raw_mean=s.raw_mean, adjusted_mean=value, ci_low=round(s.low, 2), ci_high=round(s.high, 2),
            peer_mean=round(s.peer_mean, PLACES), weight=round(s.weight, PLACES), rank=whole.rank,
            percentile=whole.percentile, region_rank=region.rank, region_percentile=region.percentile,
        )
    summary = Shrinkage(branches=len(rows), sigma2=None if model.sigma2 is None else round(model.sigma2, PLACES),
                        tau2=round(model.tau2, PLACES))
    return out, summary
