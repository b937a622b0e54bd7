"""Fair rankings (issue 18): shrinkage, inspector leniency, peer groups, rank agreement, calibration kappa."""

from __future__ import annotations

import math
import random
import statistics
from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bench.fairness_sim import World, score, simulate
from inspect_api.rankings.fairness import (
    OUTCOMES,
    BranchSample,
    CalibrationVisit,
    Visit,
    agreement,
    average_ranks,
    calibration_pairs,
    calibration_report,
    connected_components,
    corrected_scores,
    fit_leniency,
    peer_ranks,
    pooled_within_variance,
    samples_from_scores,
    shrink,
    spearman_rho,
    top_overlap,
    with_and_without,
)
from inspect_api.rankings.stats import competition_ranks, percentiles

means = st.floats(min_value=0, max_value=100, allow_nan=False)
variances = st.floats(min_value=0, max_value=400, allow_nan=False)


@st.composite
def branch_samples(draw: st.DrawFn, min_size: int = 1) -> list[BranchSample[int, str]]:
    size = draw(st.integers(min_value=min_size, max_value=30))
    out = []
    for key in range(size):
        n = draw(st.integers(min_value=1, max_value=12))
        variance = None if n == 1 else draw(variances)
        out.append(BranchSample(key=key, group=draw(st.sampled_from("abc")), n=n, mean=draw(means),
                                variance=variance))
    return out


# ---- shrinkage -----------------------------------------------------------------------------------


def test_shrinkage_by_hand_with_given_variances() -> None:
    # σ² = 100, τ² = 25; group a (3 branches) has mean (60 + 80 + 70) / 3 = 70.
    samples = [
        BranchSample(key="x", group="a", n=4, mean=60.0, variance=90.0),  # σ²/n = 25 -> B = 0.5
        BranchSample(key="y", group="a", n=1, mean=80.0, variance=None),  # σ²/n = 100 -> B = 0.2
        BranchSample(key="z", group="a", n=100, mean=70.0, variance=110.0),
    ]
    out, model = shrink(samples, sigma2=100.0, tau2=25.0)
    assert model.group_means == {"a": pytest.approx(70.0)}
    x, y, z = out
    assert (x.weight, x.adjusted) == (pytest.approx(0.5), pytest.approx(65.0))
    assert (y.weight, y.adjusted) == (pytest.approx(0.2), pytest.approx(72.0))
    assert z.adjusted == pytest.approx(70.0)
    # Posterior variance of x: B σ²/n + (1 − B)² Var(μ_a); Var(μ_a) = Σ(τ² + σ²/n) / 9 = (50 + 125 + 26) / 9.
    variance = 0.5 * 25 + 0.25 * (50 + 125 + 26) / 9
    half = 1.959963984540054 * math.sqrt(variance)
    assert (x.low, x.high) == (pytest.approx(65.0 - half), pytest.approx(65.0 + half))


def test_estimated_variances_by_hand() -> None:
    samples = [
        BranchSample(key=1, group="g", n=3, mean=50.0, variance=10.0),
        BranchSample(key=2, group="g", n=5, mean=70.0, variance=20.0),
        BranchSample(key=3, group="g", n=1, mean=90.0, variance=None),
    ]
    assert pooled_within_variance(samples) == pytest.approx((2 * 10 + 4 * 20) / 6)
    sigma2 = (2 * 10 + 4 * 20) / 6
    _, model = shrink(samples)
    # μ = 70; Σ(ȳ − μ)² = 800; factor 1 − 1/3 each; noise Σ factor σ²/n.
    factor = 2 / 3
    expected_tau2 = (800 - factor * sigma2 * (1 / 3 + 1 / 5 + 1)) / (3 * factor)
    assert model.sigma2 == pytest.approx(sigma2)
    assert model.tau2 == pytest.approx(expected_tau2)


def test_between_variance_is_floored_at_zero_and_then_everyone_gets_the_peer_mean() -> None:
    # Means closer together than the noise allows: τ² estimate negative -> 0 -> all at the peer mean.
    samples = [BranchSample(key=k, group="g", n=2, mean=70.0 + k * 0.1, variance=100.0) for k in range(5)]
    out, model = shrink(samples)
    assert model.tau2 == 0.0
    assert {round(s.adjusted, 9) for s in out} == {round(statistics.fmean(70.0 + k * 0.1 for k in range(5)), 9)}


def test_without_any_repeat_visit_nothing_is_shrunk_and_the_interval_is_the_whole_range() -> None:
    samples = [BranchSample(key=k, group="g", n=1, mean=50.0 + k, variance=None) for k in range(4)]
    out, model = shrink(samples)
    assert model.sigma2 is None
    assert [(s.adjusted, s.weight, s.low, s.high) for s in out] == [(50.0 + k, 1.0, 0.0, 100.0) for k in range(4)]


def test_a_group_smaller_than_min_peers_is_shrunk_toward_the_mean_of_all_branches() -> None:
    samples = [BranchSample(key=k, group="big", n=2, mean=60.0 + 10 * k, variance=50.0) for k in range(3)]
    samples.append(BranchSample(key=9, group="tiny", n=2, mean=100.0, variance=50.0))
    out, model = shrink(samples, sigma2=50.0, tau2=25.0, min_peers=3)
    assert "tiny" not in model.group_means
    assert out[-1].peer_mean == pytest.approx((60 + 70 + 80 + 100) / 4)
    assert out[0].peer_mean == pytest.approx(70.0)


@given(branch_samples())
def test_adjusted_lies_between_raw_and_peer_mean_inside_its_interval(samples: list[BranchSample[int, str]]) -> None:
    out, _ = shrink(samples)
    for s in out:
        low, high = sorted((s.raw_mean, s.peer_mean))
        assert low - 1e-9 <= s.adjusted <= high + 1e-9
        assert 0.0 <= s.weight <= 1.0
        assert 0.0 <= s.low <= s.adjusted + 1e-9 and s.adjusted - 1e-9 <= s.high <= 100.0


@given(branch_samples(), st.integers(min_value=1, max_value=50),
       st.floats(min_value=1, max_value=400), st.floats(min_value=0.01, max_value=400))
def test_more_visits_move_the_adjusted_score_closer_to_the_raw_mean(
    samples: list[BranchSample[int, str]], extra: int, sigma2: float, tau2: float,
) -> None:
    first = samples[0]
    more = [BranchSample(key=first.key, group=first.group, n=first.n + extra, mean=first.mean, variance=first.variance),
            *samples[1:]]
    before, _ = shrink(samples, sigma2=sigma2, tau2=tau2)
    after, _ = shrink(more, sigma2=sigma2, tau2=tau2)
    assert after[0].weight > before[0].weight
    assert abs(after[0].adjusted - first.mean) <= abs(before[0].adjusted - first.mean) + 1e-9


@given(branch_samples())
def test_infinite_between_variance_keeps_raw_means_and_zero_gives_the_peer_mean(
    samples: list[BranchSample[int, str]],
) -> None:
    keep, _ = shrink(samples, sigma2=50.0, tau2=math.inf)
    assert [s.adjusted for s in keep] == [s.mean for s in samples]
    pooled, _ = shrink(samples, sigma2=50.0, tau2=0.0)
    assert [s.adjusted for s in pooled] == pytest.approx([s.peer_mean for s in pooled])


@given(st.integers(min_value=1, max_value=10), st.lists(means, min_size=2, max_size=30))
def test_equal_visit_counts_and_a_huge_between_variance_rank_as_the_raw_means(n: int, raw: list[float]) -> None:
    samples = [BranchSample(key=k, group="g", n=n, mean=m, variance=30.0) for k, m in enumerate(raw)]
    out, _ = shrink(samples, sigma2=30.0, tau2=1e12)
    assert [s.adjusted for s in out] == pytest.approx(raw, abs=1e-6)


def test_the_moment_estimates_find_known_variances() -> None:
    # 400 branches from the model itself: τ = 6, σ = 8, 2..8 visits; the estimates land near the truth.
    rng = random.Random(7)
    scores: dict[int, list[float]] = {}
    for b in range(400):
        theta = rng.gauss(70, 6)
        scores[b] = [rng.gauss(theta, 8) for _ in range(rng.randint(2, 8))]
    _, model = shrink(samples_from_scores(scores, lambda _: "all"))
    assert model.sigma2 == pytest.approx(64, rel=0.1)
    assert model.tau2 == pytest.approx(36, rel=0.25)


# ---- inspector leniency --------------------------------------------------------------------------


def test_noiseless_scores_give_back_the_true_effects_and_branch_scores() -> None:
    truth = {"b1": 80.0, "b2": 60.0, "b3": 70.0}
    bias = {"kind": 6.0, "fair": 0.0, "harsh": -6.0}  # sums to zero, as the fit reports them
    design = [("b1", "kind"), ("b1", "harsh"), ("b2", "kind"), ("b2", "fair"), ("b3", "fair"), ("b3", "harsh"),
              ("b3", "harsh"), ("b1", "kind")]
    visits = [Visit(branch=b, inspector=i, score=truth[b] + bias[i]) for b, i in design]
    fit = fit_leniency(visits, ridge=0.0, tolerance=1e-10, max_iterations=10_000)
    assert fit.converged
    assert fit.inspector_effects == pytest.approx(bias, abs=1e-6)
    assert fit.corrected == pytest.approx(truth, abs=1e-6)
    assert fit.raw["b1"] == pytest.approx((86 + 74 + 86) / 3)  # the lenient inspector came twice
    ranked = with_and_without(fit)
    assert [(r.key, r.corrected_rank) for r in ranked] == [("b1", 1), ("b3", 2), ("b2", 3)]


def test_effects_are_centred_within_each_component_and_a_lone_inspector_gets_zero() -> None:
    visits = [
        Visit(branch=1, inspector="a", score=80.0), Visit(branch=1, inspector="b", score=70.0),
        Visit(branch=2, inspector="a", score=60.0), Visit(branch=2, inspector="b", score=50.0),
        Visit(branch=3, inspector="c", score=95.0), Visit(branch=3, inspector="c", score=85.0),  # alone
        Visit(branch=4, inspector="d", score=40.0), Visit(branch=4, inspector="e", score=44.0),
    ]
    branches, inspectors = connected_components(visits)
    assert branches[1] == branches[2] != branches[3] != branches[4]
    assert inspectors == {"a": branches[1], "b": branches[1], "c": branches[3], "d": branches[4], "e": branches[4]}
    fit = fit_leniency(visits, ridge=0.0)
    assert fit.inspector_effects["a"] == pytest.approx(5.0) and fit.inspector_effects["b"] == pytest.approx(-5.0)
    assert fit.inspector_effects["c"] == 0.0 and fit.corrected[3] == pytest.approx(90.0)
    assert fit.inspector_effects["d"] + fit.inspector_effects["e"] == pytest.approx(0.0)


def test_no_visits_fit_to_nothing() -> None:
    fit = fit_leniency([])
    assert (fit.inspector_effects, fit.corrected, fit.converged) == ({}, {}, True)
    assert with_and_without(fit) == []


def test_the_ridge_shrinks_an_inspector_with_few_visits_more() -> None:
    visits = [Visit(branch=b, inspector="busy", score=70.0) for b in range(10)]
    visits += [Visit(branch=b, inspector="other", score=70.0) for b in range(10)]
    visits.append(Visit(branch=0, inspector="once", score=90.0))
    unshrunk = fit_leniency(visits, ridge=0.0, max_iterations=5000, tolerance=1e-9).inspector_effects["once"]
    shrunk = fit_leniency(visits, ridge=3.0).inspector_effects["once"]
    assert 0.0 < shrunk < unshrunk


visit_lists = st.lists(
    st.builds(lambda b, i, s: Visit(branch=b, inspector=i, score=s),
              st.integers(0, 8), st.integers(0, 5), st.floats(0, 100, allow_nan=False)),
    min_size=1, max_size=40,
)


@given(visit_lists, st.floats(min_value=-20, max_value=20))
def test_a_constant_added_to_every_score_moves_branches_not_inspectors(
    visits: list[Visit[int, int]], shift: float,
) -> None:
    fit = fit_leniency(visits)
    moved = fit_leniency([Visit(branch=v.branch, inspector=v.inspector, score=v.score + shift) for v in visits])
    assert fit.converged and moved.converged
    assert moved.inspector_effects == pytest.approx(fit.inspector_effects, abs=1e-4)
    assert moved.corrected == pytest.approx({b: s + shift for b, s in fit.corrected.items()}, abs=1e-4)
    for component in set(fit.component_of_inspector.values()):
        members = [i for i, c in fit.component_of_inspector.items() if c == component]
        assert math.fsum(fit.inspector_effects[i] for i in members) == pytest.approx(0.0, abs=1e-6)


@given(visit_lists)
def test_corrected_scores_are_the_branch_means_of_score_minus_effect(visits: list[Visit[int, int]]) -> None:
    fit = fit_leniency(visits)
    per_branch = corrected_scores(visits, fit.inspector_effects)
    assert {b: statistics.fmean(v) for b, v in per_branch.items()} == pytest.approx(fit.corrected)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("regional", [0.0, 0.8])
def test_on_simulated_data_the_corrected_ranking_recovers_the_truth_better(seed: int, regional: float) -> None:
    result = score(simulate(seed, World(own_region_share=regional)))
    assert result.rho["leniency"] > result.rho["raw"]
    assert result.rho["both"] > result.rho["raw"]
    assert result.bias_rho > 0.7  # the fitted effects themselves track the true biases


def test_simulation_is_reproducible_per_seed() -> None:
    assert simulate(3).visits == simulate(3).visits
    assert simulate(3).visits != simulate(4).visits


# ---- peer groups ---------------------------------------------------------------------------------


def test_ranks_within_region_and_format_and_overall() -> None:
    rows = [("n1", "north", "big", 80.0), ("n2", "north", "small", 70.0), ("n3", "north", "big", None),
            ("s1", "south", "small", 90.0), ("s2", "south", "big", 70.0)]
    by_region = peer_ranks(rows, lambda r: r[3], lambda r: r[1])
    assert [(p.rank, p.of, p.percentile) if p else None for p in by_region] == [
        (1, 2, 100.0), (2, 2, 0.0), None, (1, 2, 100.0), (2, 2, 0.0)]
    by_format = peer_ranks(rows, lambda r: r[3], lambda r: r[2])
    assert [p.rank if p else None for p in by_format] == [1, 2, None, 1, 2]
    overall = peer_ranks(rows, lambda r: r[3], lambda r: None)
    assert [p.rank if p else None for p in overall] == [2, 3, None, 1, 3]


@given(st.lists(st.tuples(st.sampled_from("xyz"), st.one_of(st.none(), st.integers(0, 10).map(float))), max_size=30))
def test_peer_ranks_are_the_stats_ranks_of_each_group(rows: list[tuple[str, float | None]]) -> None:
    ranked = peer_ranks(rows, lambda r: r[1], lambda r: r[0])
    for group in "xyz":
        positions = [k for k, r in enumerate(rows) if r[0] == group and r[1] is not None]
        values = [rows[k][1] for k in positions]
        assert [ranked[k].rank for k in positions] == competition_ranks(values)  # type: ignore[union-attr]
        assert [ranked[k].percentile for k in positions] == percentiles(values)  # type: ignore[union-attr]
    assert all((p is None) == (r[1] is None) for p, r in zip(ranked, rows, strict=True))


# ---- rank agreement ------------------------------------------------------------------------------


def test_spearman_by_hand() -> None:
    assert spearman_rho([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman_rho([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # d = (0, 1, -1, 0) -> 1 − 6·2 / (4·15) = 0.8 (no ties)
    assert spearman_rho([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert average_ranks([5, 1, 5, 3]) == [3.5, 1.0, 3.5, 2.0]
    assert top_overlap({"a": 3, "b": 2, "c": 1}, {"a": 1, "b": 2, "c": 3}, 2) == 1


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=2, max_size=40))
def test_spearman_is_bounded_and_symmetric(pairs: list[tuple[int, int]]) -> None:
    a, b = [float(p[0]) for p in pairs], [float(p[1]) for p in pairs]
    rho = spearman_rho(a, b)
    assert -1.0 <= rho <= 1.0
    assert spearman_rho(b, a) == pytest.approx(rho)
    assume(len(set(a)) > 1)
    assert spearman_rho(a, a) == pytest.approx(1.0)


# ---- inspector calibration -----------------------------------------------------------------------


def test_kappa_by_hand() -> None:
    # Textbook 2x2: 20 both pass, 5 pass/fail, 10 fail/pass, 15 both fail of 50:
    # p_o = 35/50 = 0.7; p_e = 0.5·0.6 + 0.5·0.4 = 0.5; κ = 0.2 / 0.5 = 0.4.
    pairs = [("pass", "pass")] * 20 + [("pass", "fail")] * 5 + [("fail", "pass")] * 10 + [("fail", "fail")] * 15
    result = agreement(pairs)
    assert (result.n, result.observed, result.expected) == (50, pytest.approx(0.7), pytest.approx(0.5))
    assert result.kappa == pytest.approx(0.4)
    # Three categories: p_o = 2/4; left shares pass 2/4, fail 1/4, na 1/4; right pass 1/4, fail 2/4, partial 1/4.
    three = agreement([("pass", "pass"), ("pass", "fail"), ("fail", "fail"), ("na", "partial")])
    assert three.expected == pytest.approx((2 * 1 + 1 * 2) / 16)
    assert three.kappa == pytest.approx((0.5 - 0.25) / 0.75)
    assert agreement([("pass", "fail"), ("fail", "pass")]).kappa == pytest.approx(-1.0)


def test_kappa_is_undefined_when_everything_is_one_category() -> None:
    result = agreement([("pass", "pass")] * 4)
    assert (result.observed, result.kappa) == (1.0, None)
    assert agreement([]).n == 0 and agreement([]).kappa is None


outcome_pairs = st.lists(st.tuples(st.sampled_from(OUTCOMES), st.sampled_from(OUTCOMES)), min_size=1, max_size=60)


@given(outcome_pairs)
def test_kappa_is_bounded_symmetric_and_one_for_identical_answers(pairs: list[tuple[str, str]]) -> None:
    result = agreement(pairs)
    swapped = agreement([(b, a) for a, b in pairs])
    assert result.kappa == (None if swapped.kappa is None else pytest.approx(swapped.kappa))
    assert 0.0 <= result.observed <= 1.0  # type: ignore[operator]
    if result.kappa is not None:
        assert -1.0 <= result.kappa <= 1.0
    same = agreement([(a, a) for a, _ in pairs])
    assert same.observed == 1.0
    assert same.kappa == (None if len({a for a, _ in pairs}) == 1 else 1.0)


def calibration_visit(visit_id: str, branch: str, inspector: str, day: date, **outcomes: str) -> CalibrationVisit:
    return CalibrationVisit(visit_id=visit_id, branch=branch, inspector=inspector, visited_on=day,
                            outcomes=outcomes)  # type: ignore[arg-type]


def test_calibration_pairs_and_report() -> None:
    day = date(2026, 11, 2)
    visits = [
        calibration_visit("v1", "B1", "zed", day, greet="pass", safety="fail", queue="na"),
        calibration_visit("v2", "B1", "amy", day, greet="pass", safety="pass"),
        calibration_visit("v3", "B1", "amy", day, greet="fail"),  # same inspector as v2: never paired with v2
        calibration_visit("v4", "B2", "amy", day, greet="pass", safety="fail"),
        calibration_visit("v5", "B2", "bob", day + timedelta(days=2), greet="pass", safety="fail"),
        calibration_visit("v6", "B3", "bob", day, greet="pass"),  # alone at B3
    ]
    same_day = calibration_pairs(visits)
    assert [(p.branch, p.first.visit_id, p.second.visit_id) for p in same_day] == [
        ("B1", "v2", "v1"), ("B1", "v3", "v1")]  # amy sorts before zed
    windowed = calibration_pairs(visits, window_days=2)
    assert ("B2", "v4", "v5") in [(p.branch, p.first.visit_id, p.second.visit_id) for p in windowed]
    report = calibration_report(windowed)
    assert report.pairs == 3
    # greet: (pass, pass) B1 v2/v1, (fail, pass) B1 v3/v1, (pass, pass) B2; safety: (pass, fail), (fail, fail).
    assert report.by_item["greet"].n == 3 and report.by_item["greet"].observed == pytest.approx(2 / 3)
    assert report.by_item["safety"].observed == pytest.approx(0.5)
    assert "queue" not in report.by_item  # only one side answered it
    assert [(p.first, p.second, p.visits) for p in report.by_pair] == [("amy", "bob", 1), ("amy", "zed", 2)]
    assert report.by_pair[0].agreement.observed == 1.0
    assert report.by_inspector["zed"].n == 3 and report.by_inspector["amy"].n == 5


def test_a_negative_window_is_refused() -> None:
    with pytest.raises(ValueError, match="window_days"):
        calibration_pairs([], window_days=-1)
