"""Fair rankings on simulated data with known truth (issue 18): does the corrected ranking recover the true
branch order better than the raw mean?

World per seed: regions with their own level, branches with a true score (region level + branch deviation),
inspectors with a true bias (+ lenient), each branch visited a few times by inspectors drawn at random (or,
in the "regional" scenario, mostly by its own region's inspectors, which ties inspector bias to region),
each visit's score = true score + bias + noise, clipped to 0..100 as the score card is.

Rankings compared against the true scores, by Spearman's ρ and by how many of the true top 10 are in the
estimated top 10:
  raw        mean of the branch's visits (what the rankings page shows today)
  shrunk     empirical-Bayes shrinkage toward the region mean (fairness.shrink)
  leniency   inspector effects fitted and taken out (fairness.fit_leniency)
  both       leniency first, then shrinkage of the corrected visit scores

    .venv/bin/python -m bench.fairness_sim                # 10 seeds from 1, both scenarios, prints tables
    .venv/bin/python -m bench.fairness_sim --seeds 20 --first-seed 100 --branches 500
Pure Python, deterministic per seed (random.Random(seed)); a few seconds.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from inspect_api.rankings.fairness import (
    LeniencyFit,
    Visit,
    corrected_scores,
    fit_leniency,
    samples_from_scores,
    shrink,
    spearman_rho,
    top_overlap,
)

METHODS: Final = ("raw", "shrunk", "leniency", "both")
TOP_K: Final = 10


@dataclass(frozen=True, kw_only=True)
class World:
    """Knobs of one simulated world (defaults: the issue's brief)."""

    branches: int = 200
    regions: int = 10
    inspectors: int = 40
    region_sd: float = 3.0
    branch_sd: float = 6.0
    centre: float = 75.0
    bias_sd: float = 5.0
    noise_sd: float = 8.0
    min_visits: int = 2
    max_visits: int = 8
    own_region_share: float = 0.0  # share of visits done by one of the branch's region's inspectors


@dataclass(frozen=True, kw_only=True)
class Simulated:
    truth: dict[int, float]
    region_of: dict[int, int]
    bias: dict[int, float]
    visits: list[Visit[int, int]]


def simulate(seed: int, world: World = World()) -> Simulated:
    rng = random.Random(seed)
    region_level = [rng.gauss(0.0, world.region_sd) for _ in range(world.regions)]
    region_of = {b: b % world.regions for b in range(world.branches)}
    truth = {b: world.centre + region_level[region_of[b]] + rng.gauss(0.0, world.branch_sd)
             for b in range(world.branches)}
    bias = {i: rng.gauss(0.0, world.bias_sd) for i in range(world.inspectors)}
    inspectors_of_region: dict[int, list[int]] = defaultdict(list)
    for i in range(world.inspectors):
        inspectors_of_region[i % world.regions].append(i)
    visits: list[Visit[int, int]] = []
    for b in range(world.branches):
        for _ in range(rng.randint(world.min_visits, world.max_visits)):
            local = inspectors_of_region[region_of[b]]
            if local and rng.random() < world.own_region_share:
                inspector = rng.choice(local)
            else:
                inspector = rng.randrange(world.inspectors)
            score = truth[b] + bias[inspector] + rng.gauss(0.0, world.noise_sd)
            visits.append(Visit(branch=b, inspector=inspector, score=min(100.0, max(0.0, score))))
    return Simulated(truth=truth, region_of=region_of, bias=bias, visits=visits)


def estimates(sim: Simulated, fit: LeniencyFit[int, int]) -> dict[str, dict[int, float]]:
    """Each method's branch scores."""
    raw_scores: dict[int, list[float]] = defaultdict(list)
    for v in sim.visits:
        raw_scores[v.branch].append(v.score)
    shrunk, _ = shrink(samples_from_scores(raw_scores, sim.region_of.__getitem__))
    both, _ = shrink(samples_from_scores(corrected_scores(sim.visits, fit.inspector_effects),
                                         sim.region_of.__getitem__))
    return {
        "raw": dict(fit.raw),
        "shrunk": {s.key: s.adjusted for s in shrunk},
        "leniency": dict(fit.corrected),
        "both": {s.key: s.adjusted for s in both},
    }


@dataclass(frozen=True, kw_only=True)
class Scores:
    rho: dict[str, float]
    top: dict[str, int]
    bias_rho: float  # Spearman ρ of fitted vs true inspector effects
    bias_rmse: float  # after centring the true biases the way the fit is centred (sum zero)


def score(sim: Simulated) -> Scores:
    fit = fit_leniency(sim.visits)
    found = estimates(sim, fit)
    keys = sorted(sim.truth)
    truth = [sim.truth[k] for k in keys]
    inspectors = sorted(fit.inspector_effects)
    true_bias = [sim.bias[i] for i in inspectors]
    centre = statistics.fmean(true_bias)
    fitted = [fit.inspector_effects[i] for i in inspectors]
    return Scores(
        rho={m: spearman_rho(truth, [found[m][k] for k in keys]) for m in METHODS},
        top={m: top_overlap(sim.truth, found[m], TOP_K) for m in METHODS},
        bias_rho=spearman_rho(true_bias, fitted),
        bias_rmse=math.sqrt(statistics.fmean((f - (t - centre)) ** 2 for f, t in zip(fitted, true_bias, strict=True))),
    )


def summarise(runs: Sequence[Scores]) -> list[str]:
    lines = [
        f"| ranking | Spearman ρ vs truth: mean | min | max | top-{TOP_K} overlap: mean | min | max |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in METHODS:
        rhos = [r.rho[m] for r in runs]
        tops = [r.top[m] for r in runs]
        lines.append(f"| {m} | {statistics.fmean(rhos):.3f} | {min(rhos):.3f} | {max(rhos):.3f} "
                     f"| {statistics.fmean(tops):.1f} | {min(tops)} | {max(tops)} |")
    wins = sum(1 for r in runs if r.rho["leniency"] > r.rho["raw"])
    both_wins = sum(1 for r in runs if r.rho["both"] > r.rho["raw"])
    lines.append("")
    lines.append(f"leniency ρ > raw ρ in {wins}/{len(runs)} seeds; both ρ > raw ρ in {both_wins}/{len(runs)}. "
                 f"Inspector effects vs true biases: Spearman ρ mean "
                 f"{statistics.fmean(r.bias_rho for r in runs):.3f}, RMSE mean "
                 f"{statistics.fmean(r.bias_rmse for r in runs):.2f} points.")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--branches", type=int, default=World.branches)
    parser.add_argument("--inspectors", type=int, default=World.inspectors)
    parser.add_argument("--regional-share", type=float, default=0.8,
                        help="own-region visit share in the 'regional' scenario (default 0.8)")
    args = parser.parse_args()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    scenarios = {
        "random inspectors": World(branches=args.branches, inspectors=args.inspectors),
        f"regional inspectors ({args.regional_share:.0%} of visits by the region's own)":
            World(branches=args.branches, inspectors=args.inspectors, own_region_share=args.regional_share),
    }
    for name, world in scenarios.items():
        started = time.perf_counter()
        runs = [score(simulate(seed, world)) for seed in seeds]
        elapsed = time.perf_counter() - started
        print(f"### {name}: {world.branches} branches in {world.regions} regions, {world.inspectors} inspectors "
              f"(bias sd {world.bias_sd:g}), {world.min_visits}-{world.max_visits} visits per branch, noise sd "
              f"{world.noise_sd:g}; seeds {seeds.start}-{seeds.stop - 1} ({elapsed:.1f} s)")
        print()
        print("\n".join(summarise(runs)))
        print()


if __name__ == "__main__":
    main()
