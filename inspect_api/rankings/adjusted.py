"""Fairness figures for responses (pure, rankings/fairness.py does the maths): a ranking page's empirical-Bayes
adjusted scores (every scored branch of the scope shrunk toward its region's mean; ranks on them over the scope
and within each region; read only when adjust=shrinkage is asked for), and QA's inspector report (leniency
with and without ranks, calibration agreement)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Hashable, Sequence
from uuid import UUID

import msgspec

from inspect_api.rankings.fairness import (
    OUTCOMES,
    Agreement,
    BranchSample,
    CalibrationVisit,
    Outcome,
    ShrunkScore,
    Visit,
    calibration_pairs,
    calibration_report,
    fit_leniency,
    peer_ranks,
    shrink,
    with_and_without,
)
from inspect_api.rankings.queries import PeriodVisitRow, ScoredBranchRow, VisitItemRow
from inspect_api.rankings.schemas import (
    AdjustedStats,
    AgreementOut,
    BranchLeniency,
    BranchRef,
    InspectorAgreement,
    InspectorLeniency,
    ItemAgreement,
    PairAgreement,
    Peer,
    Shrinkage,
)
from inspect_api.rankings.stats import percentile_in, rank_in

PLACES = 4  # adjusted scores are compared (and shown) at the means' precision, so equal ones tie exactly


def peer_key(row: ScoredBranchRow, peer: Peer) -> Hashable:
    """The peer group of a branch: its region, its format (None, not set, is a group of its own) or one
    group for the whole scope."""
    if peer == "region":
        return row.region_id
    if peer == "format":
        return row.format
    return None


def shrinkage_by_branch(
    rows: Sequence[ScoredBranchRow], peer: Peer = "region", only: Collection[UUID] | None = None,
) -> tuple[dict[UUID, AdjustedStats], Shrinkage]:
    """Every scored branch of the scope shrunk toward its peer group's mean (`peer`), ranked over the scope,
    within its region and within its peer group. `only`: figures for these branches alone (a page's), ranked
    all the same among every branch of the scope (stats.rank_in / percentile_in on each group's sorted
    adjusted scores, as peer_ranks' competition ranks and percentiles)."""
    # Groups as small ints: the maths hashes groups often, and UUID hashing is slow in Python.
    group_index: dict[Hashable, int] = {}
    region_index: dict[UUID, int] = {}
    samples = [BranchSample(key=index, group=group_index.setdefault(peer_key(r, peer), len(group_index)),
                            n=r.scored, mean=r.mean, variance=r.variance) for index, r in enumerate(rows)]
    regions = [region_index.setdefault(r.region_id, len(region_index)) for r in rows]
    shrunk, model = shrink(samples)
    adjusted = [round(s.adjusted, PLACES) for s in shrunk]
    summary = Shrinkage(branches=len(rows), sigma2=None if model.sigma2 is None else round(model.sigma2, PLACES),
                        tau2=round(model.tau2, PLACES), peer_group=peer)
    out: dict[UUID, AdjustedStats] = {}
    if only is not None:
        overall_sorted = sorted(adjusted)
        by_region: dict[int, list[float]] = defaultdict(list)
        by_group: dict[int, list[float]] = defaultdict(list)
        for s, value, region in zip(shrunk, adjusted, regions, strict=True):
            by_region[region].append(value)
            by_group[s.group].append(value)
        for values in (*by_region.values(), *by_group.values()):
            values.sort()
        for s, value, region in zip(shrunk, adjusted, regions, strict=True):
            if rows[s.key].branch_id not in only:
                continue
            in_region, in_group = by_region[region], by_group[s.group]
            out[rows[s.key].branch_id] = _adjusted_stats(
                s, value, rank_in(value, overall_sorted), percentile_in(value, overall_sorted),
                rank_in(value, in_region), percentile_in(value, in_region), rank_in(value, in_group),
                percentile_in(value, in_group))
        return out, summary
    overall = peer_ranks(range(len(shrunk)), adjusted.__getitem__, lambda _: None)
    regional = peer_ranks(range(len(shrunk)), adjusted.__getitem__, regions.__getitem__)
    peers = peer_ranks(range(len(shrunk)), adjusted.__getitem__, lambda index: shrunk[index].group)
    for s, value, whole, region, group in zip(shrunk, adjusted, overall, regional, peers, strict=True):
        if whole is None or region is None or group is None:  # cannot happen: every row has a score
            continue
        out[rows[s.key].branch_id] = _adjusted_stats(s, value, whole.rank, whole.percentile, region.rank,
                                                     region.percentile, group.rank, group.percentile)
    return out, summary


def _adjusted_stats(s: ShrunkScore[int, int], value: float, rank: int, percentile: float, region_rank: int,
                    region_percentile: float, peer_rank: int, peer_percentile: float) -> AdjustedStats:
    return AdjustedStats(
        raw_mean=s.raw_mean, adjusted_mean=value, ci_low=round(s.low, 2), ci_high=round(s.high, 2),
        peer_mean=round(s.peer_mean, PLACES), weight=round(s.weight, PLACES), rank=rank, percentile=percentile,
        region_rank=region_rank, region_percentile=region_percentile, peer_rank=peer_rank,
        peer_percentile=peer_percentile,
    )


# ---- the inspector report (leniency + calibration), admins only --------------------------------------------


def calibration_candidates(visits: Sequence[PeriodVisitRow], window_days: int) -> list[UUID]:
    """Submissions in at least one calibration pair (two inspectors, one branch, <= window_days apart): the
    only ones whose item outcomes the report needs."""
    paired = calibration_pairs([_calibration_visit(v, {}) for v in visits], window_days)
    return sorted({UUID(p.first.visit_id) for p in paired} | {UUID(p.second.visit_id) for p in paired})


def _calibration_visit(v: PeriodVisitRow, outcomes: dict[str, Outcome]) -> CalibrationVisit[UUID, UUID]:
    return CalibrationVisit(visit_id=str(v.submission_id), branch=v.branch_id, inspector=v.inspector_id,
                            visited_on=v.visited_on, outcomes=outcomes)


def _agreement_out(a: Agreement) -> AgreementOut:
    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 4)

    return AgreementOut(answers=a.n, observed=r(a.observed), expected=r(a.expected), kappa=r(a.kappa))


class InspectorFigures(msgspec.Struct, frozen=True, kw_only=True):
    converged: bool
    inspectors: list[InspectorLeniency]
    branches: list[BranchLeniency]
    calibration_pairs: int
    by_item: list[ItemAgreement]
    by_pair: list[PairAgreement]
    by_inspector: list[InspectorAgreement]


def inspector_figures(visits: Sequence[PeriodVisitRow], items: Sequence[VisitItemRow],
                      window_days: int) -> InspectorFigures:
    """Leniency fitted on every visit, with and without ranks of the branches; agreement over the pairs."""
    fit = fit_leniency([Visit(branch=v.branch_id, inspector=v.inspector_id, score=v.score) for v in visits])
    emails = {v.inspector_id: v.email for v in visits}
    refs: dict[UUID, BranchRef] = {}
    counts: dict[UUID, int] = defaultdict(int)
    for v in visits:
        refs.setdefault(v.branch_id, BranchRef(id=v.branch_id, code=v.code, name_zh=v.name_zh, name_en=v.name_en))
        counts[v.branch_id] += 1
    inspectors = sorted(
        (InspectorLeniency(inspector_id=i, email=emails[i], visits=fit.inspector_visits[i], effect=round(e, 2),
                           component=fit.component_of_inspector[i]) for i, e in fit.inspector_effects.items()),
        key=lambda row: (-row.effect, row.email),
    )
    branches = [
        BranchLeniency(branch=refs[r.key], visits=counts[r.key], raw_mean=round(r.raw_mean, 4),
                       corrected_mean=round(r.corrected, 4), raw_rank=r.raw_rank, corrected_rank=r.corrected_rank)
        for r in with_and_without(fit)
    ]
    outcomes: dict[UUID, dict[str, Outcome]] = defaultdict(dict)
    for item in items:
        if item.status in OUTCOMES:
            outcomes[item.submission_id][item.item_key] = item.status  # type: ignore[assignment]
    paired = calibration_pairs([_calibration_visit(v, outcomes.get(v.submission_id, {})) for v in visits],
                               window_days)
    report = calibration_report(paired)
    return InspectorFigures(
        converged=fit.converged, inspectors=inspectors, branches=branches, calibration_pairs=report.pairs,
        by_item=[ItemAgreement(item_key=k, agreement=_agreement_out(a)) for k, a in report.by_item.items()],
        by_pair=[PairAgreement(first=p.first, second=p.second, pairs=p.visits, agreement=_agreement_out(p.agreement))
                 for p in report.by_pair],
        by_inspector=[InspectorAgreement(inspector_id=i, agreement=_agreement_out(a))
                      for i, a in report.by_inspector.items()],
    )
