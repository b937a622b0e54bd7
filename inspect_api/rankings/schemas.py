"""Response bodies of rankings, trends and weakness maps."""

from __future__ import annotations

from datetime import date
from typing import Final, Literal
from uuid import UUID

import msgspec

from inspect_api.rankings.stats import PeriodKind

Scope = Literal["org", "region"]
Adjust = Literal["none", "shrinkage"]  # GET /rankings?adjust=: adjusted figures beside the raw ones
# GET /rankings/inspectors?exclude_integrity=: leave out visits whose proof-of-visit integrity reaches it.
ExcludeIntegrity = Literal["suspect", "review", "none"]
# GET /rankings?adjust=shrinkage&peer=: whose mean a branch is shrunk toward and ranked among (peer_rank):
# its region's branches, its format's (the branch attribute; branches without one form their own group)
# or all the scope's.
Peer = Literal["region", "format", "all"]
MIN_VISITS_LIMITS: Final = (1, 50)  # a query may set min_visits within these bounds
DEFAULT_MIN_RANKED_VISITS: Final = 3


class PeriodOut(msgspec.Struct, frozen=True, kw_only=True):
    kind: PeriodKind
    first_day: date
    last_day: date  # inclusive


class BranchRef(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    code: str
    name_zh: str
    name_en: str


class PeriodStats(msgspec.Struct, frozen=True, kw_only=True):
    """One branch in one period. `mean` is over visits with a score; the 95% interval uses Student's t
    (clipped to 0..100; one visit gives 0..100). `pass_rate`: share of visits with no critical failure."""

    visits: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    pass_rate: float | None
    ranked: bool
    rank: int | None
    percentile: float | None


class AdjustedStats(msgspec.Struct, frozen=True, kw_only=True):
    """The current period on the empirical-Bayes adjusted score (rankings/fairness.py: shrink), beside the raw
    mean: `adjusted_mean` = peer_mean + weight · (raw_mean − peer_mean), weight = τ² / (τ² + σ²/n), so a
    branch with few visits is pulled toward its peer group (its region; the whole scope for a region with
    fewer than 3 scored branches). Every branch with a scored visit is ranked on it (no min_visits: few
    visits already count for less); `rank` / `percentile` over the scope, `region_rank` / `region_percentile`
    within the branch's region. The 95% interval is the posterior one (normal), clipped to 0..100.
    With peer=format (or all) the peer group is the branch's format (or the whole scope) instead of its
    region, for peer_mean and the shrinkage; `peer_rank` / `peer_percentile` rank it within that group
    (with peer=region they equal region_rank / region_percentile, with all rank / percentile)."""

    raw_mean: float
    adjusted_mean: float
    ci_low: float
    ci_high: float
    peer_mean: float
    weight: float
    rank: int
    percentile: float
    region_rank: int
    region_percentile: float
    peer_rank: int = 0  # 0 only in pages cached before the field existed
    peer_percentile: float = 0.0


class Shrinkage(msgspec.Struct, frozen=True, kw_only=True):
    """The fitted model: pooled within-branch variance σ² (null: no branch has two scored visits, so nothing
    is shrunk) and between-branch variance τ² (method of moments, floored at 0), over `branches` scored ones."""

    method: Literal["empirical_bayes"] = "empirical_bayes"
    peer_group: Peer = "region"
    branches: int
    sigma2: float | None
    tau2: float


class RankingRow(msgspec.Struct, frozen=True, kw_only=True):
    """`branch` is null for a peer a branch manager may not see by name (org setting show_peer_names).
    `own`: a branch in the caller's own scope. `delta_mean` = mean - previous mean; `delta_rank` =
    previous rank - rank (positive: moved up); both null unless both periods have the figure."""

    branch: BranchRef | None
    region_id: UUID
    own: bool
    current: PeriodStats
    previous: PeriodStats
    delta_mean: float | None
    delta_rank: int | None
    adjusted: AdjustedStats | None = None  # with adjust=shrinkage and a scored visit this period


class Distribution(msgspec.Struct, frozen=True, kw_only=True):
    """Means of the ranked branches of the scope (null figures when none is ranked)."""

    branches: int  # listed
    ranked: int
    visits: int
    pass_rate: float | None  # over all visits of the scope
    min: float | None
    p25: float | None
    median: float | None
    p75: float | None
    max: float | None


class RankingsOut(msgspec.Struct, frozen=True, kw_only=True):
    form_key: str
    scope: Scope
    region_id: UUID | None
    period: PeriodOut
    previous_period: PeriodOut
    min_visits: int  # branches with fewer visits are listed but unranked
    distribution: Distribution
    total: int  # rows in all pages
    rows: list[RankingRow]  # ranked by rank, then unranked by mean, then not inspected
    adjustment: Shrinkage | None = None  # with adjust=shrinkage; the page order stays the raw ranking's


class InspectorLeniency(msgspec.Struct, frozen=True, kw_only=True):
    """`effect`: points an inspector scores above (+, lenient) or below (−, harsh) the average inspector of
    their component at the same branches (ridge-shrunk: few visits, small effect). `component`: effects
    compare only within one component of the who-visited-which-branch graph; alone in one: effect 0."""

    inspector_id: UUID
    email: str
    visits: int
    effect: float
    component: int


class BranchLeniency(msgspec.Struct, frozen=True, kw_only=True):
    """A branch ranked on its raw mean and on its score with inspector effects taken out."""

    branch: BranchRef
    visits: int
    raw_mean: float
    corrected_mean: float
    raw_rank: int
    corrected_rank: int


class AgreementOut(msgspec.Struct, frozen=True, kw_only=True):
    """Paired answers: share alike (`observed`), by chance (`expected`), Cohen's kappa (null when chance
    agreement is 1: every answer in one category)."""

    answers: int
    observed: float | None
    expected: float | None
    kappa: float | None


class ItemAgreement(msgspec.Struct, frozen=True, kw_only=True):
    item_key: str
    agreement: AgreementOut


class PairAgreement(msgspec.Struct, frozen=True, kw_only=True):
    first: UUID
    second: UUID
    pairs: int  # calibration visit pairs of these two inspectors
    agreement: AgreementOut


class InspectorAgreement(msgspec.Struct, frozen=True, kw_only=True):
    inspector_id: UUID
    agreement: AgreementOut  # their answers against whoever they were paired with


class CalibrationOut(msgspec.Struct, frozen=True, kw_only=True):
    """QA's inspector report for one form and period (admins only: it names inspectors). Leniency from every
    released scored visit of the period; calibration from pairs of visits by two inspectors to one branch at
    most `window_days` apart, over item outcomes (pass / fail / partial / na) both recorded."""

    form_key: str
    period: PeriodOut
    visits: int
    converged: bool
    inspectors: list[InspectorLeniency]  # most lenient first
    branches: list[BranchLeniency]  # by corrected rank
    window_days: int
    calibration_pairs: int
    by_item: list[ItemAgreement]
    by_pair: list[PairAgreement]
    by_inspector: list[InspectorAgreement]
    # Visits whose proof-of-visit integrity reached this level were left out of every figure above
    # (`visits` counts those kept); "none": every released scored visit counts.
    exclude_integrity: ExcludeIntegrity = "suspect"
    excluded_visits: int = 0


class TrendPoint(msgspec.Struct, frozen=True, kw_only=True):
    period: PeriodOut
    visits: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    pass_rate: float | None


class TrendOut(msgspec.Struct, frozen=True, kw_only=True):
    branch: BranchRef
    form_key: str
    points: list[TrendPoint]  # oldest first, one per period (visits 0 where none)


class Label(msgspec.Struct, frozen=True, kw_only=True):
    zh: str
    en: str


class ItemWeakness(msgspec.Struct, frozen=True, kw_only=True):
    """`applicable`: visits where the item was judged (pass, fail, partial); `repeat_failures`: failures
    whose previous visit to the same branch (same form) failed the item too; `recurring` when any."""

    item_key: str
    section_key: str | None
    label: Label | None
    applicable: int
    failures: int
    partials: int
    failure_rate: float | None
    repeat_failures: int
    branches_recurring: int
    recurring: bool


class WeaknessOut(msgspec.Struct, frozen=True, kw_only=True):
    form_key: str
    scope: Literal["org", "region", "branch"]
    region_id: UUID | None
    branch: BranchRef | None
    period: PeriodOut
    visits: int
    items: list[ItemWeakness]  # most failed first
