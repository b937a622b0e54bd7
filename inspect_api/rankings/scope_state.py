"""An org's whole ranking scope for one form and period pair, held per worker and patched (pure; #20).

A ranking page needs every branch of the scope (ranks and percentiles are over all of them), so a worker
keeps, per (form, period kind, period start), every branch of the org with both periods' roll-up figures
(`BranchFigures`, read by queries.scope_figures). A release changes one branch's rows: the worker re-reads
only the branches the change log names (queries.changes_since) and replaces them (`patched`), then cuts
any page from the held scope in Python (`page_of`), in the same order and with the same counts as the SQL
ranking query (queries.SELECT_ORG_RANKING_PAGE): tests/unit/rankings/test_scope_state.py and the
randomized integration test (tests/integration/test_rankings_incremental.py) compare the two.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

from inspect_api.rankings.queries import BranchPeriodsRow, RankingPage, ScoredBranchRow


class BranchFigures(msgspec.Struct, frozen=True, kw_only=True):
    """One branch of the org and its roll-up figures in the period (`visits`...) and the one before (`prev_`)."""

    branch_id: UUID
    code: str
    name_zh: str
    name_en: str
    region_id: UUID
    active: bool
    format: str | None
    visits: int
    scored: int
    mean: float | None
    variance: float | None
    passes: int
    prev_visits: int
    prev_scored: int
    prev_mean: float | None
    prev_variance: float | None
    prev_passes: int


class ScopeContext(msgspec.Struct, frozen=True, kw_only=True):
    """What a ranking takes from the org besides the roll-ups: valid while no `everything` change is logged."""

    min_ranked_visits: int | None
    show_peer_names: bool | None
    timezones: tuple[str, ...]  # the org's branches' time zones


def today_in(timezones: Iterable[str], now: datetime | None = None) -> date | None:
    """The latest local date among the time zones (as SQL's max((now() AT TIME ZONE tz)::date)); None: none."""
    moment = now or datetime.now(ZoneInfo("UTC"))
    days = [moment.astimezone(ZoneInfo(zone)).date() for zone in timezones]
    return max(days) if days else None


def patched(held: Mapping[UUID, BranchFigures], changed: Iterable[BranchFigures]) -> dict[UUID, BranchFigures]:
    """A new scope with the changed branches' rows replaced (the held one is shared: never mutated)."""
    out = dict(held)
    for row in changed:
        out[row.branch_id] = row
    return out


def _ranked(visits: int, mean: float | None, threshold: int) -> bool:
    return visits >= threshold and mean is not None


OrderKey = tuple[bool, bool, float, str, UUID]


def _key(r: BranchFigures, threshold: int) -> OrderKey:
    """The ranking query's ORDER BY: ranked first, then by mean (highest first, none last), then by code (the
    database's C collation = str order); the id only breaks ties the query leaves to chance (codes are unique)."""
    mean = r.mean
    return (not (r.visits >= threshold and mean is not None), mean is None, 0.0 if mean is None else -mean,
            r.code, r.branch_id)


def _listed(r: BranchFigures, region_id: UUID | None) -> bool:
    return (region_id is None or r.region_id == region_id) and (r.active or r.visits > 0 or r.prev_visits > 0)


class Ordering(msgspec.Struct, frozen=True, kw_only=True):
    """The scope's listed branches in page order for one (region, threshold), and what ranks need."""

    keys: list[OrderKey]
    ranked_means: list[float]  # ascending
    prev_ranked_means: list[float]
    total: int
    visits: int
    passes: int


def ordering(held: Mapping[UUID, BranchFigures], *, region_id: UUID | None, threshold: int) -> Ordering:
    listed = [r for r in held.values() if _listed(r, region_id)]
    return Ordering(
        keys=sorted(_key(r, threshold) for r in listed),
        ranked_means=sorted(r.mean for r in listed if _ranked(r.visits, r.mean, threshold)),  # type: ignore[misc]
        prev_ranked_means=sorted(r.prev_mean for r in listed  # type: ignore[misc]
                                 if _ranked(r.prev_visits, r.prev_mean, threshold)),
        total=len(listed), visits=sum(r.visits for r in listed), passes=sum(r.passes for r in listed),
    )


def _take(values: list[Any], value: Any) -> None:
    del values[bisect_left(values, value)]


def reordered(
    old: Ordering, before: Mapping[UUID, BranchFigures], changed: Iterable[BranchFigures], *,
    region_id: UUID | None, threshold: int,
) -> Ordering:
    """`ordering` of the patched scope, from the held scope's (`before`) by moving only the changed branches:
    each leaves its place (if it was listed) and takes its new one (if it is)."""
    keys, means, prev_means = list(old.keys), list(old.ranked_means), list(old.prev_ranked_means)
    total, visits, passes = old.total, old.visits, old.passes
    for row in changed:
        was = before.get(row.branch_id)
        if was is not None and _listed(was, region_id):
            _take(keys, _key(was, threshold))
            if _ranked(was.visits, was.mean, threshold):
                _take(means, was.mean)
            if _ranked(was.prev_visits, was.prev_mean, threshold):
                _take(prev_means, was.prev_mean)
            total, visits, passes = total - 1, visits - was.visits, passes - was.passes
        if _listed(row, region_id):
            insort(keys, _key(row, threshold))
            if _ranked(row.visits, row.mean, threshold):
                insort(means, row.mean)
            if _ranked(row.prev_visits, row.prev_mean, threshold):
                insort(prev_means, row.prev_mean)
            total, visits, passes = total + 1, visits + row.visits, passes + row.passes
    return Ordering(keys=keys, ranked_means=means, prev_ranked_means=prev_means, total=total, visits=visits,
                    passes=passes)


class HeldScope:
    """A scope's figures at one generation, with its orderings worked out when first asked for: from the
    scope it was patched from (`reordered`, when that one had it) or from scratch. Never mutated but for
    that memo, so requests share it."""

    __slots__ = ("_changed", "_parent", "figures", "generation", "orderings")

    def __init__(self, generation: int, figures: Mapping[UUID, BranchFigures],
                 parent: HeldScope | None = None, changed: tuple[BranchFigures, ...] = ()) -> None:
        self.generation = generation
        self.figures = figures
        self.orderings: dict[tuple[UUID | None, int], Ordering] = {}
        self._parent = parent
        self._changed = changed

    def patched(self, generation: int, changed: Iterable[BranchFigures]) -> HeldScope:
        rows = tuple({r.branch_id: r for r in changed}.values())  # a branch once, its last figures
        child = HeldScope(generation, patched(self.figures, rows), parent=self, changed=rows)
        self._parent = None  # one step back at most: no chain of old scopes kept alive
        return child

    def ordering(self, region_id: UUID | None, threshold: int) -> Ordering:
        key = (region_id, threshold)
        found = self.orderings.get(key)
        if found is None:
            parent = self._parent
            earlier = None if parent is None else parent.orderings.get(key)
            found = ordering(self.figures, region_id=region_id, threshold=threshold) if earlier is None else \
                reordered(earlier, parent.figures, self._changed,  # type: ignore[union-attr]
                          region_id=region_id, threshold=threshold)
            self.orderings[key] = found
        return found


def page_of(
    held: Mapping[UUID, BranchFigures] | HeldScope, *, region_id: UUID | None, threshold: int, limit: int | None,
    offset: int,
) -> RankingPage:
    """The page the ranking query would answer for an admin (every region visible; `own` everywhere): the
    scope's branches that are active or were inspected in either period, ranked ones by mean (highest
    first), then unranked by mean, then not inspected; ties by code."""
    if isinstance(held, HeldScope):
        order, figures = held.ordering(region_id, threshold), held.figures
    else:
        order, figures = ordering(held, region_id=region_id, threshold=threshold), held
    end = None if limit is None else offset + limit
    rows = []
    for key in order.keys[offset:end]:
        r = figures[key[4]]
        rows.append(BranchPeriodsRow(
            branch_id=r.branch_id, code=r.code, name_zh=r.name_zh, name_en=r.name_en, region_id=r.region_id,
            own=True, visits=r.visits, scored=r.scored, mean=r.mean, variance=r.variance, passes=r.passes,
            ranked=not key[0], prev_visits=r.prev_visits, prev_scored=r.prev_scored,
            prev_mean=r.prev_mean, prev_variance=r.prev_variance, prev_passes=r.prev_passes,
            prev_ranked=_ranked(r.prev_visits, r.prev_mean, threshold),
        ))
    return RankingPage(total=order.total, visits=order.visits, passes=order.passes,
                       ranked_means=order.ranked_means, prev_ranked_means=order.prev_ranked_means, rows=rows)


def scored_of(held: Mapping[UUID, BranchFigures], *, region_id: UUID | None) -> list[ScoredBranchRow]:
    """What adjust=shrinkage reads (queries.SELECT_ORG_SCOPE_SCORES): the scope's branches with scored
    visits in the period, by code."""
    rows = [ScoredBranchRow(branch_id=r.branch_id, region_id=r.region_id, scored=r.scored, mean=r.mean,
                            variance=r.variance, format=r.format)
            for r in held.values()
            if (region_id is None or r.region_id == region_id) and r.scored > 0 and r.mean is not None]
    rows.sort(key=lambda r: held[r.branch_id].code)
    return rows
