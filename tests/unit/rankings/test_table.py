"""Turning a ranking page into the response: thresholds, ties, deltas, hiding, distribution. Pages are
built here the way the SQL builds them (order, cut, ranked means of the whole scope)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st

from inspect_api.rankings.queries import BranchPeriodsRow, RankingPage
from inspect_api.rankings.service import item_labels
from inspect_api.rankings.stats import (
    competition_ranks,
    mean,
    moments_of,
    percentile_in,
    percentiles,
    rank_in,
    sample_variance,
)
from inspect_api.rankings.table import build_page, distribution

REGION = uuid4()


def row(code: str, scores: list[int], previous: list[int] = (), passes: int | None = None, own: bool = True,
        min_visits: int = 3) -> BranchPeriodsRow:
    now, before = moments_of([Decimal(s) for s in scores]), moments_of([Decimal(s) for s in previous])

    def fl(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    return BranchPeriodsRow(
        branch_id=UUID(int=abs(hash(code)) % 2**64), code=code, name_zh=f"{code}店", name_en=code, region_id=REGION,
        own=own, visits=len(scores), scored=now.n, mean=fl(mean(now)), variance=fl(sample_variance(now)),
        passes=len(scores) if passes is None else passes, ranked=len(scores) >= min_visits and now.n > 0,
        prev_visits=len(previous), prev_scored=before.n, prev_mean=fl(mean(before)),
        prev_variance=fl(sample_variance(before)), prev_passes=len(previous),
        prev_ranked=len(previous) >= min_visits and before.n > 0,
    )


def page_of(rows: list[BranchPeriodsRow], cut: slice = slice(None)) -> RankingPage:
    """What SELECT_*_RANKING_PAGE returns."""
    ordered = sorted(rows, key=lambda r: (not r.ranked, r.mean is None, -(r.mean or 0.0), r.code))
    return RankingPage(
        total=len(rows), visits=sum(r.visits for r in rows), passes=sum(r.passes for r in rows),
        ranked_means=sorted(r.mean for r in rows if r.ranked),  # type: ignore[type-var]
        prev_ranked_means=sorted(r.prev_mean for r in rows if r.prev_ranked),  # type: ignore[type-var]
        rows=ordered[cut],
    )


def test_ties_share_a_rank_unranked_are_listed_after_and_deltas_compare_periods() -> None:
    rows = [
        row("A", [90, 90, 90], previous=[70, 70, 70]),
        row("B", [80, 100, 90], previous=[95, 95, 95], passes=2),
        row("C", [70, 70, 70, 70]),
        row("D", [100]),  # one visit: unranked
        row("E", []),  # not inspected this period
    ]
    page = page_of(rows)
    table = build_page(page, lambda r: True)
    assert [r.branch.code for r in table] == ["A", "B", "C", "D", "E"]  # type: ignore[union-attr]
    a, b, c, d, e = table
    assert (a.current.rank, b.current.rank, c.current.rank) == (1, 1, 3)
    assert a.current.percentile == b.current.percentile == 75.0 and c.current.percentile == 0.0
    assert (d.current.ranked, d.current.rank, d.current.mean) == (False, None, 100.0)
    assert (d.current.ci_low, d.current.ci_high) == (0.0, 100.0)
    assert e.current.visits == 0 and e.current.mean is None and e.current.pass_rate is None
    assert b.current.pass_rate == round(2 / 3, 4)
    assert (a.previous.rank, b.previous.rank) == (2, 1)
    assert a.delta_mean == 20.0 and a.delta_rank == 1 and b.delta_rank == 0 and b.delta_mean == -5.0
    assert c.delta_mean is None and c.delta_rank is None
    spread = distribution(page)
    assert spread.ranked == 3 and spread.branches == 5 and spread.visits == 11
    assert (spread.min, spread.median, spread.max) == (70.0, 90.0, 90.0)


def test_peers_are_anonymised_when_not_revealed() -> None:
    table = build_page(page_of([row("MINE", [80, 80, 80], own=True), row("PEER", [90, 90, 90], own=False)]),
                       lambda r: r.own)
    assert table[0].branch is None and table[0].current.rank == 1 and not table[0].own
    assert table[1].branch is not None and table[1].branch.code == "MINE" and table[1].current.rank == 2


@given(st.lists(st.lists(st.integers(0, 4).map(lambda v: v * 25), max_size=5), min_size=1, max_size=12),
       st.integers(1, 4), st.integers(0, 12), st.integers(1, 12))
def test_a_page_ranks_like_the_whole_table(scores, threshold, first, size) -> None:
    rows = [row(f"B{i:02d}", s, min_visits=threshold) for i, s in enumerate(scores)]
    whole = build_page(page_of(rows), lambda r: True)
    assert build_page(page_of(rows, slice(first, first + size)), lambda r: True) == whole[first:first + size]
    ranked = [r for r in whole if r.current.ranked]
    assert all(r.current.visits >= threshold for r in ranked)
    assert all(not r.current.ranked for r in whole if r.current.visits < threshold)
    means = [r.current.mean for r in ranked]
    assert [r.current.rank for r in ranked] == competition_ranks(means)  # type: ignore[arg-type]
    assert [r.current.percentile for r in ranked] == percentiles(means)  # type: ignore[arg-type]
    assert [r.current.rank for r in ranked] == sorted(r.current.rank for r in ranked)  # type: ignore[type-var]


@given(st.lists(st.integers(0, 40).map(lambda v: v * 2.5), min_size=1, max_size=40))
def test_rank_and_percentile_from_the_sorted_means_match_the_whole_list(values: list[float]) -> None:
    ascending = sorted(values)
    assert [rank_in(v, ascending) for v in values] == competition_ranks(values)
    assert [percentile_in(v, ascending) for v in values] == percentiles(values)


def test_item_labels_read_any_document_shape() -> None:
    document = {"sections": [{"key": "s1", "items": [{"key": "p1", "label": {"zh": "问候", "en": "Greeting"}},
                                                      {"key": "p2"}, "junk"]}, None]}
    labels = item_labels(document)
    assert labels["p1"][0] == "s1" and labels["p1"][1] is not None and labels["p1"][1].zh == "问候"
    assert labels["p2"] == ("s1", None)
    assert item_labels(None) == {} and item_labels({"title": "x"}) == {}
