"""Fair rankings (issue 18): a branch's rank should reflect its service, not its luck of the draw. Pure maths,
no I/O, beside rankings/stats.py; the service feeds it rows it already read (a page's branches, their visits).

Four parts:

* **Small-sample shrinkage** (`shrink`): an empirical-Bayes normal-normal model. A branch's visit scores are
  y ~ N(θ_b, σ²) and its true score θ_b ~ N(μ_g, τ²) around its peer group's mean. With n_b visits and
  raw mean ȳ_b the posterior mean is μ_g + B_b (ȳ_b − μ_g), B_b = τ² / (τ² + σ²/n_b): few visits pull
  hard toward the peer mean, many visits hardly at all.
  - σ² is pooled within branches: Σ (n_b − 1) s²_b / Σ (n_b − 1) (branches with one visit add nothing).
  - μ_g is the unweighted mean of the group's branch means. A group with fewer than `min_peers` branches
    is too small to be its own reference: its branches use the mean of all branches instead.
  - τ² by the method of moments, floored at 0: E[(ȳ_b − μ)²] = (1 − 1/K)(τ² + σ²/n_b) for an unweighted
    mean μ over K branches, so τ² = [Σ (ȳ_b − μ)² − Σ (1 − 1/K) σ²/n_b] / Σ (1 − 1/K).
  - The interval is adjusted ± z·sd with the posterior variance B_b σ²/n_b plus (1 − B_b)² Var(μ_g)
    (the peer mean is estimated too), clipped to [0, 100]. It still treats σ² and τ² as known
    (plug-in), so it is a little narrow when there are few branches.
  - No branch with two visits → σ² cannot be estimated: nothing is shrunk (adjusted = raw, B = 1) and the
    interval is the whole range, as stats.interval does for one visit.
* **Inspector leniency** (`fit_leniency`): score_v = branch_b + inspector_i + ε, fitted by alternating
  least squares with a ridge penalty λ Σ a_i² on the inspector effects (an inspector with n visits keeps
  n / (n + λ) of what their visits suggest, so one visit says little). Effects are only identifiable within
  a connected component of the branch–inspector graph (who visited whom): within each component the
  effects sum to zero, i.e. the component's average inspector is taken as neutral, and effects of different
  components are not comparable. An inspector alone in a component (only they visited those branches) gets
  0: nothing separates their leniency from the branches' service. Positive effect = lenient (scores higher
  than peers at the same branches). Corrected branch score = mean over its visits of (score − effect).
* **Peer groups** (`peer_ranks`): competition rank and percentile within any grouping (region, format,
  size, or one group for overall), same rules as stats.competition_ranks / percentiles.
* **Inspector calibration** (`calibration_pairs`, `agreement`, `calibration_report`): two inspectors at the
  same branch within a window; per item, per inspector pair and per inspector: percent agreement and
  Cohen's kappa over the item outcomes (pass / fail / partial / na). Kappa is None when chance agreement
  is 1 (every answer in one category): it is undefined there; percent agreement still says 100%.

Rank agreement helpers (`spearman_rho`, `top_overlap`) are used by bench/fairness_sim.py.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import date
from itertools import combinations
from typing import Final, Generic, Literal, TypeVar

import msgspec

from inspect_api.rankings.stats import SCORE_MAX, SCORE_MIN, competition_ranks, percentiles

K = TypeVar("K", bound=Hashable)
G = TypeVar("G", bound=Hashable)
T = TypeVar("T")

Z_95: Final = 1.959963984540054  # two-sided 95% normal quantile
DEFAULT_MIN_PEERS: Final = 3
DEFAULT_RIDGE: Final = 3.0  # ≈ noise variance / inspector-bias variance (8² / 5²): a few visits' worth of doubt
DEFAULT_TOLERANCE: Final = 1e-6
DEFAULT_MAX_ITERATIONS: Final = 1000
Outcome = Literal["pass", "fail", "partial", "na"]
OUTCOMES: Final[tuple[Outcome, ...]] = ("pass", "fail", "partial", "na")


# ---- small-sample shrinkage ----------------------------------------------------------------------


class BranchSample(msgspec.Struct, Generic[K, G], frozen=True, kw_only=True):
    """One branch's scores in a period: n visits with a score, their mean and sample variance
    (None for n = 1). `group` is its peer group (region, format, ... or one value for overall)."""

    key: K
    group: G
    n: int
    mean: float
    variance: float | None


class ShrinkageModel(msgspec.Struct, frozen=True, kw_only=True):
    """The fitted hyper-parameters: within-branch variance σ², between-branch variance τ², peer means."""

    sigma2: float | None
    tau2: float
    grand_mean: float
    group_means: dict[str, float]  # str(group) -> μ_g, only groups with at least min_peers branches


class ShrunkScore(msgspec.Struct, Generic[K, G], frozen=True, kw_only=True):
    """Raw mean, the adjusted (posterior) score, its 95% interval and the weight B on the raw mean."""

    key: K
    group: G
    n: int
    raw_mean: float
    peer_mean: float
    weight: float  # B_b in [0, 1]: 1 = raw mean kept, 0 = peer mean
    adjusted: float
    low: float
    high: float


def pooled_within_variance(samples: Iterable[BranchSample[K, G]]) -> float | None:
    """Σ (n − 1) s² / Σ (n − 1); None when no branch has two scored visits."""
    df = 0
    total = 0.0
    for s in samples:
        if s.n >= 2 and s.variance is not None:
            df += s.n - 1
            total += (s.n - 1) * max(0.0, s.variance)
    return None if df == 0 else total / df


_ALL: Final = object()  # reference key of branches whose group is too small to be its own peer set


def _peer_centres(samples: Sequence[BranchSample[K, G]], min_peers: int) -> tuple[list[float], list[Hashable],
                                                                                  float, dict[G, float]]:
    """Each branch's reference mean and reference key (its group, or _ALL for the mean of all branches)."""
    by_group: dict[G, list[float]] = defaultdict(list)
    for s in samples:
        by_group[s.group].append(s.mean)
    grand = math.fsum(s.mean for s in samples) / len(samples)
    group_means = {g: math.fsum(v) / len(v) for g, v in by_group.items() if len(v) >= min_peers}
    refs: list[Hashable] = [s.group if s.group in group_means else _ALL for s in samples]
    centres = [group_means[s.group] if s.group in group_means else grand for s in samples]
    return centres, refs, grand, group_means


def between_variance(samples: Sequence[BranchSample[K, G]], sigma2: float, centres: Sequence[float],
                     sizes: Sequence[int]) -> float:
    """Method-of-moments τ² (see the module docstring), floored at 0. `sizes`: how many branches each
    branch's reference mean averages."""
    spread = 0.0
    noise = 0.0
    factor_sum = 0.0
    for s, centre, size in zip(samples, centres, sizes, strict=True):
        factor = 1.0 - 1.0 / size
        spread += (s.mean - centre) ** 2
        noise += factor * sigma2 / s.n
        factor_sum += factor
    if factor_sum <= 0.0:
        return 0.0
    return max(0.0, (spread - noise) / factor_sum)


def shrink(
    samples: Sequence[BranchSample[K, G]],
    *,
    min_peers: int = DEFAULT_MIN_PEERS,
    sigma2: float | None = None,
    tau2: float | None = None,
    z: float = Z_95,
) -> tuple[list[ShrunkScore[K, G]], ShrinkageModel]:
    """Empirical-Bayes adjusted scores, in the order of `samples` (branches with n >= 1).
    `sigma2` / `tau2` override the estimates (tests, or a service that keeps them from a wider scope)."""
    if not samples:
        return [], ShrinkageModel(sigma2=None, tau2=0.0, grand_mean=0.0, group_means={})
    if any(s.n < 1 for s in samples):
        raise ValueError("every branch needs at least one scored visit")
    centres, refs, grand, group_means = _peer_centres(samples, min_peers)
    members: dict[Hashable, list[BranchSample[K, G]]] = defaultdict(list)
    for s, ref in zip(samples, refs, strict=True):
        members[ref].append(s)
    members[_ALL] = list(samples)  # the grand mean averages every branch, not just the small groups'
    sizes = [len(members[ref]) for ref in refs]
    within = pooled_within_variance(samples) if sigma2 is None else sigma2
    if within is None:
        model = ShrinkageModel(sigma2=None, tau2=0.0, grand_mean=grand,
                               group_means={str(g): m for g, m in group_means.items()})
        return [
            ShrunkScore(key=s.key, group=s.group, n=s.n, raw_mean=s.mean, peer_mean=centre, weight=1.0,
                        adjusted=s.mean, low=SCORE_MIN, high=SCORE_MAX)
            for s, centre in zip(samples, centres, strict=True)
        ], model
    between = between_variance(samples, within, centres, sizes) if tau2 is None else max(0.0, tau2)
    # Var of a reference mean: the average over its K branches of (τ² + σ²/n), i.e. Σ (τ² + σ²/n) / K².
    centre_variance = {
        ref: 0.0 if math.isinf(between) else math.fsum(between + within / m.n for m in group) / len(group) ** 2
        for ref, group in members.items()
    }
    out: list[ShrunkScore[K, G]] = []
    for s, centre, ref in zip(samples, centres, refs, strict=True):
        noise = within / s.n
        if math.isinf(between):
            weight = 1.0
        else:
            weight = 1.0 if between + noise == 0.0 else between / (between + noise)
        adjusted = weight * s.mean + (1.0 - weight) * centre  # = μ + B(ȳ − μ), exact at B = 0 and B = 1
        variance = weight * noise + (1.0 - weight) ** 2 * centre_variance[ref]
        half = z * math.sqrt(max(0.0, variance))
        out.append(ShrunkScore(
            key=s.key, group=s.group, n=s.n, raw_mean=s.mean, peer_mean=centre, weight=weight, adjusted=adjusted,
            low=max(SCORE_MIN, min(adjusted, adjusted - half)), high=min(SCORE_MAX, max(adjusted, adjusted + half)),
        ))
    model = ShrinkageModel(sigma2=within, tau2=between, grand_mean=grand,
                           group_means={str(g): m for g, m in group_means.items()})
    return out, model


def samples_from_scores(scores: Mapping[K, Sequence[float]], group_of: Callable[[K], G]) -> list[BranchSample[K, G]]:
    """BranchSample per branch from its visit scores (branches without scores are left out)."""
    out: list[BranchSample[K, G]] = []
    for key, values in scores.items():
        n = len(values)
        if n == 0:
            continue
        centre = math.fsum(values) / n
        variance = None if n < 2 else math.fsum((v - centre) ** 2 for v in values) / (n - 1)
        out.append(BranchSample(key=key, group=group_of(key), n=n, mean=centre, variance=variance))
    return out


# ---- inspector leniency --------------------------------------------------------------------------


class Visit(msgspec.Struct, Generic[K, T], frozen=True, kw_only=True):
    """One scored visit: which branch, which inspector (any hashable ids), the score."""

    branch: K
    inspector: T
    score: float


class LeniencyFit(msgspec.Struct, Generic[K, T], frozen=True, kw_only=True):
    """`inspector_effects`: + lenient, − harsh, relative to the average inspector of their component.
    `corrected`: branch score with the effects taken out; `raw`: the plain mean of its visits.
    `component_of_branch` / `component_of_inspector`: index of the connected component (effects compare
    only within one)."""

    inspector_effects: dict[T, float]
    inspector_visits: dict[T, int]
    corrected: dict[K, float]
    raw: dict[K, float]
    component_of_branch: dict[K, int]
    component_of_inspector: dict[T, int]
    iterations: int
    converged: bool


def connected_components(visits: Sequence[Visit[K, T]]) -> tuple[dict[K, int], dict[T, int]]:
    """Components of the bipartite branch–inspector graph, numbered 0.. in order of first appearance."""
    parent: dict[tuple[int, Hashable], tuple[int, Hashable]] = {}

    def find(node: tuple[int, Hashable]) -> tuple[int, Hashable]:
        parent.setdefault(node, node)
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    for v in visits:
        a, b = find((0, v.branch)), find((1, v.inspector))
        if a != b:
            parent[b] = a
    numbers: dict[tuple[int, Hashable], int] = {}
    branches: dict[K, int] = {}
    inspectors: dict[T, int] = {}
    for v in visits:
        root = find((0, v.branch))
        number = numbers.setdefault(root, len(numbers))
        branches.setdefault(v.branch, number)
        inspectors.setdefault(v.inspector, number)
    return branches, inspectors


def fit_leniency(
    visits: Sequence[Visit[K, T]],
    *,
    ridge: float = DEFAULT_RIDGE,
    tolerance: float = DEFAULT_TOLERANCE,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
) -> LeniencyFit[K, T]:
    """Two-way fit score = branch + inspector + noise (module docstring). Alternates: branch values given the
    effects (mean of score − effect), then effects given the branches (ridge-shrunk mean residual), then
    centres the effects within each component (moving the shift into its branches, which changes no fitted
    value and only lowers the penalty). Stops when no effect moves more than `tolerance`."""
    if ridge < 0:
        raise ValueError("ridge must be >= 0")
    if not visits:  # nothing to fit (a period nobody inspected)
        return LeniencyFit(inspector_effects={}, inspector_visits={}, corrected={}, raw={}, component_of_branch={},
                           component_of_inspector={}, iterations=0, converged=True)
    branch_of_component, inspector_of_component = connected_components(visits)
    by_branch: dict[K, list[Visit[K, T]]] = defaultdict(list)
    by_inspector: dict[T, list[Visit[K, T]]] = defaultdict(list)
    for v in visits:
        by_branch[v.branch].append(v)
        by_inspector[v.inspector].append(v)
    raw = {b: math.fsum(v.score for v in vs) / len(vs) for b, vs in by_branch.items()}
    inspectors_in: dict[int, list[T]] = defaultdict(list)
    for inspector, component in inspector_of_component.items():
        inspectors_in[component].append(inspector)
    effects: dict[T, float] = dict.fromkeys(by_inspector, 0.0)
    branch_values = dict(raw)
    converged = False
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 (reported)
        branch_values = {b: math.fsum(v.score - effects[v.inspector] for v in vs) / len(vs)
                         for b, vs in by_branch.items()}
        updated = {i: math.fsum(v.score - branch_values[v.branch] for v in vs) / (len(vs) + ridge)
                   for i, vs in by_inspector.items()}
        for members in inspectors_in.values():
            shift = math.fsum(updated[i] for i in members) / len(members)
            for i in members:
                updated[i] -= shift
        change = max(abs(updated[i] - effects[i]) for i in updated)
        effects = updated
        if change <= tolerance:
            converged = True
            break
    corrected = {b: math.fsum(v.score - effects[v.inspector] for v in vs) / len(vs) for b, vs in by_branch.items()}
    return LeniencyFit(
        inspector_effects=effects, inspector_visits={i: len(vs) for i, vs in by_inspector.items()},
        corrected=corrected, raw=raw, component_of_branch=branch_of_component,
        component_of_inspector=inspector_of_component, iterations=iterations, converged=converged,
    )


def corrected_scores(visits: Sequence[Visit[K, T]], effects: Mapping[T, float]) -> dict[K, list[float]]:
    """Each branch's visit scores with the inspector's effect taken out (input for `shrink`, so the two
    corrections compose: leniency first, then small-sample shrinkage)."""
    out: dict[K, list[float]] = defaultdict(list)
    for v in visits:
        out[v.branch].append(v.score - effects.get(v.inspector, 0.0))
    return dict(out)


class RankedBranch(msgspec.Struct, Generic[K], frozen=True, kw_only=True):
    key: K
    raw_mean: float
    corrected: float
    raw_rank: int
    corrected_rank: int


def with_and_without(fit: LeniencyFit[K, T]) -> list[RankedBranch[K]]:
    """Every branch with its rank on the raw mean and on the corrected score, best corrected first."""
    keys = list(fit.raw)
    raw_ranks = competition_ranks([fit.raw[k] for k in keys])
    corrected_ranks = competition_ranks([fit.corrected[k] for k in keys])
    rows = [RankedBranch(key=k, raw_mean=fit.raw[k], corrected=fit.corrected[k], raw_rank=r, corrected_rank=c)
            for k, r, c in zip(keys, raw_ranks, corrected_ranks, strict=True)]
    return sorted(rows, key=lambda row: (row.corrected_rank, row.raw_rank))


# ---- peer groups ---------------------------------------------------------------------------------


class PeerRank(msgspec.Struct, Generic[G], frozen=True, kw_only=True):
    """Rank (competition, best first) and percentile of one row among the `of` rows of its group."""

    group: G
    rank: int
    of: int
    percentile: float


def peer_ranks(
    rows: Sequence[T], score: Callable[[T], float | None], group: Callable[[T], G],
) -> list[PeerRank[G] | None]:
    """Rank of each row within its group (e.g. `lambda r: r.region_id`; `lambda r: None` for overall), in the
    order of `rows`; None for a row without a score (it is listed, not ranked)."""
    values: dict[G, list[float]] = defaultdict(list)
    positions: dict[G, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        value = score(row)
        if value is not None:
            key = group(row)
            values[key].append(value)
            positions[key].append(index)
    out: list[PeerRank[G] | None] = [None] * len(rows)
    for key, group_values in values.items():
        ranks = competition_ranks(group_values)
        shares = percentiles(group_values)
        for index, rank, share in zip(positions[key], ranks, shares, strict=True):
            out[index] = PeerRank(group=key, rank=rank, of=len(group_values), percentile=share)
    return out


# ---- rank agreement ------------------------------------------------------------------------------


def average_ranks(values: Sequence[float]) -> list[float]:
    """Ranks 1..n ascending, ties sharing the average of their positions (Spearman's convention)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2.0 + 1.0
        start = end + 1
    return ranks


def spearman_rho(a: Sequence[float], b: Sequence[float]) -> float:
    """Pearson correlation of the average ranks; 0 when either side is constant."""
    if len(a) != len(b):
        raise ValueError("sequences differ in length")
    if len(a) < 2:
        raise ValueError("need at least two values")
    ra, rb = average_ranks(a), average_ranks(b)
    ma, mb = math.fsum(ra) / len(ra), math.fsum(rb) / len(rb)
    cov = math.fsum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    va = math.fsum((x - ma) ** 2 for x in ra)
    vb = math.fsum((y - mb) ** 2 for y in rb)
    if va == 0.0 or vb == 0.0:
        return 0.0
    return max(-1.0, min(1.0, cov / math.sqrt(va * vb)))


def top_overlap(truth: Mapping[K, float], estimate: Mapping[K, float], k: int) -> int:
    """How many of the true top k are in the estimated top k (ties broken by key order, deterministic)."""

    def top(values: Mapping[K, float]) -> set[K]:
        ordered = sorted(values, key=lambda key: (-values[key], str(key)))
        return set(ordered[:k])

    return len(top(truth) & top(estimate))


# ---- inspector calibration -----------------------------------------------------------------------


class CalibrationVisit(msgspec.Struct, Generic[K, T], frozen=True, kw_only=True):
    """A visit's item outcomes (item key -> outcome), for pairing with another inspector's visit."""

    visit_id: str
    branch: K
    inspector: T
    visited_on: date
    outcomes: dict[str, Outcome]


class CalibrationPair(msgspec.Struct, Generic[K, T], frozen=True, kw_only=True):
    """Two inspectors' visits to one branch within the window, inspectors in a canonical order."""

    branch: K
    first: CalibrationVisit[K, T]
    second: CalibrationVisit[K, T]


def calibration_pairs(visits: Sequence[CalibrationVisit[K, T]], window_days: int = 0) -> list[CalibrationPair[K, T]]:
    """Every pair of visits by two different inspectors to the same branch at most `window_days` apart
    (0 = same day). Within a pair the inspector with the smaller str() comes first, so pairs are symmetric."""
    if window_days < 0:
        raise ValueError("window_days must be >= 0")
    by_branch: dict[K, list[CalibrationVisit[K, T]]] = defaultdict(list)
    for v in visits:
        by_branch[v.branch].append(v)
    pairs: list[CalibrationPair[K, T]] = []
    for branch, group in by_branch.items():
        group = sorted(group, key=lambda v: (v.visited_on, str(v.inspector), str(v.visit_id)))
        for a, b in combinations(group, 2):
            if a.inspector == b.inspector or abs((b.visited_on - a.visited_on).days) > window_days:
                continue
            first, second = (a, b) if str(a.inspector) <= str(b.inspector) else (b, a)
            pairs.append(CalibrationPair(branch=branch, first=first, second=second))
    return pairs


class Agreement(msgspec.Struct, frozen=True, kw_only=True):
    """`observed`: share of items both answered alike; `expected`: agreement by chance from each side's
    category shares; `kappa` = (observed − expected) / (1 − expected), None when expected is 1."""

    n: int
    observed: float | None
    expected: float | None
    kappa: float | None


def agreement(pairs: Iterable[tuple[str, str]]) -> Agreement:
    """Percent agreement and Cohen's kappa of paired categorical answers."""
    pairs = list(pairs)
    n = len(pairs)
    if n == 0:
        return Agreement(n=0, observed=None, expected=None, kappa=None)
    same = sum(1 for a, b in pairs if a == b)
    left: dict[str, int] = defaultdict(int)
    right: dict[str, int] = defaultdict(int)
    for a, b in pairs:
        left[a] += 1
        right[b] += 1
    observed = same / n
    expected = math.fsum(left[c] * right.get(c, 0) for c in left) / (n * n)
    if expected >= 1.0 - 1e-12:
        return Agreement(n=n, observed=observed, expected=1.0, kappa=None)
    kappa = (observed - expected) / (1.0 - expected)
    return Agreement(n=n, observed=observed, expected=expected, kappa=max(-1.0, min(1.0, kappa)))


class PairAgreement(msgspec.Struct, Generic[T], frozen=True, kw_only=True):
    first: T
    second: T
    visits: int  # calibration pairs of visits
    agreement: Agreement


class CalibrationReport(msgspec.Struct, Generic[T], frozen=True, kw_only=True):
    """QA's view: agreement per item (over all pairs), per inspector pair, and per inspector (their answers
    against whoever they were paired with). Items only one side answered are left out."""

    pairs: int
    by_item: dict[str, Agreement]
    by_pair: list[PairAgreement[T]]
    by_inspector: dict[T, Agreement]


def calibration_report(pairs: Sequence[CalibrationPair[K, T]]) -> CalibrationReport[T]:
    item_answers: dict[str, list[tuple[str, str]]] = defaultdict(list)
    pair_answers: dict[tuple[T, T], list[tuple[str, str]]] = defaultdict(list)
    pair_visits: dict[tuple[T, T], int] = defaultdict(int)
    inspector_answers: dict[T, list[tuple[str, str]]] = defaultdict(list)
    for pair in pairs:
        key = (pair.first.inspector, pair.second.inspector)
        pair_visits[key] += 1
        for item in sorted(pair.first.outcomes.keys() & pair.second.outcomes.keys()):
            a, b = pair.first.outcomes[item], pair.second.outcomes[item]
            item_answers[item].append((a, b))
            pair_answers[key].append((a, b))
            inspector_answers[pair.first.inspector].append((a, b))
            inspector_answers[pair.second.inspector].append((b, a))
    return CalibrationReport(
        pairs=len(pairs),
        by_item={item: agreement(answers) for item, answers in sorted(item_answers.items())},
        by_pair=[
            PairAgreement(first=a, second=b, visits=pair_visits[(a, b)], agreement=agreement(pair_answers[(a, b)]))
            for a, b in sorted(pair_visits, key=lambda k: (str(k[0]), str(k[1])))
        ],
        by_inspector={
            i: agreement(answers) for i, answers in sorted(inspector_answers.items(), key=lambda kv: str(kv[0]))
        },
    )
