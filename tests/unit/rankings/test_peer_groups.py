"""Peer groups for the adjusted ranking (#18): rankings/adjusted.py shrinkage_by_branch with peer=region,
format or all (pure; property tests)."""

from __future__ import annotations

import math
from collections import defaultdict
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_api.rankings.adjusted import peer_key, shrinkage_by_branch
from inspect_api.rankings.fairness import BranchSample, shrink
from inspect_api.rankings.queries import ScoredBranchRow

REGIONS = [UUID(int=1), UUID(int=2), UUID(int=3)]
FORMATS = [None, "forecourt", "highway"]
PEERS = ("region", "format", "all")


@st.composite
def scored_rows(draw: st.DrawFn) -> list[ScoredBranchRow]:
    count = draw(st.integers(min_value=1, max_value=14))
    rows = []
    for _ in range(count):
        scored = draw(st.integers(min_value=1, max_value=8))
        rows.append(ScoredBranchRow(
            branch_id=uuid4(), region_id=draw(st.sampled_from(REGIONS)), format=draw(st.sampled_from(FORMATS)),
            scored=scored, mean=draw(st.floats(min_value=0, max_value=100, allow_nan=False)),
            variance=None if scored == 1 else draw(st.floats(min_value=0, max_value=400, allow_nan=False)),
        ))
    return rows


@given(scored_rows(), st.sampled_from(PEERS))
def test_peer_ranks_are_competition_ranks_within_each_peer_group(rows: list[ScoredBranchRow], peer: str) -> None:
    out, summary = shrinkage_by_branch(rows, peer)  # type: ignore[arg-type]
    assert summary.peer_group == peer and summary.branches == len(rows) and set(out) == {r.branch_id for r in rows}
    groups: dict[object, list[ScoredBranchRow]] = defaultdict(list)
    for row in rows:
        groups[peer_key(row, peer)].append(row)  # type: ignore[arg-type]
    for members in groups.values():
        stats = [out[r.branch_id] for r in members]
        assert min(s.peer_rank for s in stats) == 1
        for a in stats:
            # competition rank: 1 + how many in the group score strictly higher
            assert a.peer_rank == 1 + sum(b.adjusted_mean > a.adjusted_mean for b in stats)
            assert 0.0 <= a.peer_percentile <= 100.0


@given(scored_rows(), st.sampled_from(PEERS))
def test_each_adjusted_score_lies_between_its_raw_mean_and_its_peer_mean(rows: list[ScoredBranchRow], peer: str) -> None:
    out, _ = shrinkage_by_branch(rows, peer)  # type: ignore[arg-type]
    for row in rows:
        s = out[row.branch_id]
        low, high = sorted((s.raw_mean, s.peer_mean))
        assert low - 1e-3 <= s.adjusted_mean <= high + 1e-3
        assert 0.0 <= s.weight <= 1.0


@given(scored_rows())
def test_all_is_one_group_and_region_repeats_the_region_ranks(rows: list[ScoredBranchRow]) -> None:
    every, _ = shrinkage_by_branch(rows, "all")
    assert len({s.peer_mean for s in every.values()}) == 1
    assert all((s.peer_rank, s.peer_percentile) == (s.rank, s.percentile) for s in every.values())
    regional, _ = shrinkage_by_branch(rows, "region")
    assert all((s.peer_rank, s.peer_percentile) == (s.region_rank, s.region_percentile) for s in regional.values())


@given(scored_rows())
def test_format_shrinks_as_the_pure_model_does_with_formats_as_groups(rows: list[ScoredBranchRow]) -> None:
    out, summary = shrinkage_by_branch(rows, "format")
    expected, model = shrink([BranchSample(key=r.branch_id, group=r.format, n=r.scored, mean=r.mean,
                                           variance=r.variance) for r in rows])
    for s in expected:
        assert out[s.key].adjusted_mean == pytest.approx(s.adjusted, abs=1e-3)
        assert out[s.key].peer_mean == pytest.approx(s.peer_mean, abs=1e-3)
    assert summary.tau2 == pytest.approx(model.tau2, abs=1e-3)


def test_a_format_with_three_branches_is_their_own_peer_group() -> None:
    def row(fmt: str | None, region: UUID, mean: float) -> ScoredBranchRow:
        return ScoredBranchRow(branch_id=uuid4(), region_id=region, format=fmt, scored=4, mean=mean, variance=25.0)

    rows = [row("highway", REGIONS[0], 90), row("highway", REGIONS[1], 80), row("highway", REGIONS[2], 85),
            row("urban", REGIONS[0], 60), row("urban", REGIONS[1], 70), row("urban", REGIONS[2], 65)]
    out, _ = shrinkage_by_branch(rows, "format")
    assert [out[r.branch_id].peer_mean for r in rows] == [85.0] * 3 + [65.0] * 3
    assert sorted(out[r.branch_id].peer_rank for r in rows[:3]) == [1, 2, 3]
    # Within regions each pairs a highway with an urban branch: the highway one is first in every region.
    assert [out[r.branch_id].region_rank for r in rows] == [1, 1, 1, 2, 2, 2]
    regional, _ = shrinkage_by_branch(rows, "region")
    assert math.isclose(regional[rows[0].branch_id].peer_mean, 75.0)  # the region's three branches' mean
    for stats in (out, regional):  # adjusted = peer mean + weight * (raw - peer mean), toward its own peers
        s = stats[rows[0].branch_id]
        assert s.adjusted_mean == pytest.approx(s.peer_mean + s.weight * (s.raw_mean - s.peer_mean), abs=1e-3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 8), st.sampled_from([60.0, 72.5, 80.0, 91.0]),
                          st.one_of(st.none(), st.floats(0, 80))), min_size=1, max_size=25),
       st.sampled_from(["region", "format", "all"]), st.data())
def test_figures_for_a_page_alone_equal_those_for_every_branch(  # type: ignore[no-untyped-def]
    rows, peer, data,
) -> None:
    """shrinkage_by_branch(only=...) (a page's branches) ranks them exactly as the whole computation does (#20)."""
    scored = [ScoredBranchRow(branch_id=UUID(int=n + 1), region_id=UUID(int=1000 + region), scored=n_visits,
                              mean=mean, variance=None if n_visits < 2 else variance,
                              format=None if region == 0 else f"f{region % 2}")
              for n, (region, n_visits, mean, variance) in enumerate(rows)]
    page = set(data.draw(st.lists(st.sampled_from([r.branch_id for r in scored]), max_size=6)))
    every, summary = shrinkage_by_branch(scored, peer)
    some, summary_some = shrinkage_by_branch(scored, peer, page)
    assert summary_some == summary and some == {b: every[b] for b in page}
