"""Turning roll-up rows into a ranking table: thresholds, ties, deltas, hiding, distribution."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st

from inspect_api.rankings.queries import BranchPeriodsRow
from inspect_api.rankings.service import item_labels
from inspect_api.rankings.stats import mean, moments_of, sample_variance
from inspect_api.rankings.table import build_table

REGION = uuid4()


def row(code: str, scores: list[int], previous: list[int] = (), passes: int | None = None, own: bool = True):
    now, before = moments_of([Decimal(s) for s in scores]), moments_of([Decimal(s) for s in previous])

    def fl(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    return BranchPeriodsRow(
        branch_id=UUID(int=abs(hash(code)) % 2**64), code=code, name_zh=f"{code}店", name_en=code, region_id=REGION,
        own=own, visits=len(scores), scored=now.n, mean=fl(mean(now)), variance=fl(sample_variance(now)),
        passes=len(scores) if passes is None else passes, prev_visits=len(previous), prev_scored=before.n,
        prev_mean=fl(mean(before)), prev_variance=fl(sample_variance(before)), prev_passes=len(previous),
    )


def test_ties_share_a_rank_unranked_are_listed_after_and_deltas_compare_periods() -> None:
    rows = [
        row("A", [90, 90, 90], previous=[70, 70, 70]),
        row("B", [80, 100, 90], previous=[95, 95, 95], passes=2),
        row("C", [70, 70, 70, 70]),
        row("D", [100]),  # one visit: unranked
        row("E", []),  # not inspected this period
    ]
    table, distribution, total = build_table(rows, 3, lambda r: True)
    assert total == 5
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
    assert distribution.ranked == 3 and distribution.branches == 5
    assert (distribution.min, distribution.median, distribution.max) == (70.0, 90.0, 90.0)
    assert distribution.visits == 11


def test_peers_are_anonymised_when_not_revealed() -> None:
    rows = [row("MINE", [80, 80, 80], own=True), row("PEER", [90, 90, 90], own=False)]
    table, _, _ = build_table(rows, 3, lambda r: r.own)
    assert table[0].branch is None and table[0].current.rank == 1 and not table[0].own
    assert table[1].branch is not None and table[1].branch.code == "MINE" and table[1].current.rank == 2


@given(st.lists(st.lists(st.integers(0, 4).map(lambda v: v * 25), max_size=5), min_size=1, max_size=12),
       st.integers(1, 4))
def test_only_branches_with_enough_visits_are_ranked_and_ranks_follow_means(scores, threshold) -> None:
    rows = [row(f"B{i:02d}", s) for i, s in enumerate(scores)]
    table, distribution, _ = build_table(rows, threshold, lambda r: True)
    ranked = [r for r in table if r.current.ranked]
    assert all(r.current.visits >= threshold for r in ranked)
    assert all(not r.current.ranked for r in table if r.current.visits < threshold)
    assert distribution.ranked == len(ranked)
    for x in ranked:
        assert x.current.rank == 1 + sum(1 for y in ranked if y.current.mean > x.current.mean)  # type: ignore[operator]
    assert [r.current.rank for r in ranked] == sorted(r.current.rank for r in ranked)  # type: ignore[type-var]


def test_a_page_is_a_slice_of_the_whole_table() -> None:
    rows = [row(f"B{i:02d}", [i * 5] * 3) for i in range(12)]
    whole, distribution, total = build_table(rows, 3, lambda r: True)
    page, same, count = build_table(rows, 3, lambda r: True, slice(4, 8))
    assert page == whole[4:8] and same == distribution and count == total == 12
    assert [r.current.rank for r in whole] == list(range(1, 13))


def test_item_labels_read_any_document_shape() -> None:
    document = {"sections": [{"key": "s1", "items": [{"key": "p1", "label": {"zh": "问候", "en": "Greeting"}},
                                                      {"key": "p2"}, "junk"]}, None]}
    labels = item_labels(document)
    assert labels["p1"][0] == "s1" and labels["p1"][1] is not None and labels["p1"][1].zh == "问候"
    assert labels["p2"] == ("s1", None)
    assert item_labels(None) == {} and item_labels({"title": "x"}) == {}
