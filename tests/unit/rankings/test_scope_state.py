"""A held scope patched step by step cuts the same pages as the scope built from scratch (#20)."""

from __future__ import annotations

from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_api.rankings.scope_state import BranchFigures, HeldScope, ordering, page_of

REGIONS = (UUID(int=1), UUID(int=2), UUID(int=3))
BRANCHES = tuple(UUID(int=100 + n) for n in range(12))
# Few distinct means, so ties (broken by code) and equal ranked means are common.
MEANS = st.one_of(st.none(), st.sampled_from([55.0, 70.5, 70.5, 81.25, 90.0, 100.0]))


@st.composite
def figures(draw: st.DrawFn, branch: UUID) -> BranchFigures:
    n = BRANCHES.index(branch)
    visits, prev_visits = draw(st.integers(0, 4)), draw(st.integers(0, 4))
    mean = draw(MEANS) if visits else None
    prev_mean = draw(MEANS) if prev_visits else None
    return BranchFigures(
        branch_id=branch, code=f"B{n:02d}", name_zh="店", name_en="Shop", region_id=REGIONS[n % 3],
        active=draw(st.booleans()), format=None, visits=visits, scored=visits if mean is not None else 0,
        mean=mean, variance=None if visits < 2 else 4.0, passes=draw(st.integers(0, visits)),
        prev_visits=prev_visits, prev_scored=prev_visits if prev_mean is not None else 0, prev_mean=prev_mean,
        prev_variance=None, prev_passes=0,
    )


scopes = st.tuples(*(figures(b) for b in BRANCHES)).map(lambda rows: {r.branch_id: r for r in rows})
patches = st.lists(st.lists(st.sampled_from(BRANCHES).flatmap(figures), min_size=1, max_size=3), max_size=6)


@settings(max_examples=150, deadline=None)
@given(scopes, patches, st.sampled_from([None, *REGIONS]), st.integers(1, 3), st.integers(0, 5),
       st.sampled_from([None, 1, 4]))
def test_patched_orderings_and_pages_equal_the_scratch_ones(
    start: dict[UUID, BranchFigures], steps: list[list[BranchFigures]], region: UUID | None, threshold: int,
    offset: int, limit: int | None,
) -> None:
    held = HeldScope(1, start)
    held.ordering(region, threshold)  # held from the start, so every step patches it (reordered)
    for generation, changed in enumerate(steps, start=2):
        held = held.patched(generation, changed)
        scratch = ordering(held.figures, region_id=region, threshold=threshold)
        assert held.ordering(region, threshold) == scratch
        assert page_of(held, region_id=region, threshold=threshold, limit=limit, offset=offset) == \
            page_of(dict(held.figures), region_id=region, threshold=threshold, limit=limit, offset=offset)


def test_a_page_ranks_by_mean_then_code_and_lists_unranked_then_uninspected() -> None:
    def row(n: int, visits: int, mean: float | None, active: bool = True) -> BranchFigures:
        return BranchFigures(branch_id=BRANCHES[n], code=f"B{n:02d}", name_zh="店", name_en="Shop",
                             region_id=REGIONS[0], active=active, format=None, visits=visits, scored=visits,
                             mean=mean, variance=None, passes=0, prev_visits=0, prev_scored=0, prev_mean=None,
                             prev_variance=None, prev_passes=0)

    rows = [row(0, 1, 99.0), row(1, 3, 80.0), row(2, 3, 90.0), row(3, 0, None), row(4, 3, 80.0),
            row(5, 0, None, active=False)]
    page = page_of({r.branch_id: r for r in rows}, region_id=None, threshold=2, limit=None, offset=0)
    assert [r.code for r in page.rows] == ["B02", "B01", "B04", "B00", "B03"]  # B05: inactive, not inspected
    assert page.ranked_means == [80.0, 80.0, 90.0] and page.total == 5 and page.visits == 10
