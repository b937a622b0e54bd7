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

from collections.abc import Iterable, Mapping
from datetime import date, datetime
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


def page_of(
    held: Mapping[UUID, BranchFigures], *, region_id: UUID | None, threshold: int, limit: int | None, offset: int,
) -> RankingPage:
    """The page the ranking query would answer for an admin (every region visible; `own` everywhere): the
    scope's branches that are active or were inspected in either period, ranked ones by mean (highest
    first), then unranked by mean, then not inspected; ties by code (the database's C collation = str order)."""
    listed = [r for r in held.values()
              if (region_id is None or r.region_id == region_id) and (r.active or r.visits > 0 or r.prev_visits > 0)]
    ranked_means = sorted(r.mean for r in listed if _ranked(r.visits, r.mean, threshold))  # type: ignore[type-var]
    prev_ranked_means = sorted(
        r.prev_mean for r in listed if _ranked(r.prev_visits, r.prev_mean, threshold))  # type: ignore[type-var]

    def order(r: BranchFigures) -> tuple[bool, bool, float, str]:
        ranked = _ranked(r.visits, r.mean, threshold)
        return (not ranked, r.mean is None, -r.mean if r.mean is not None else 0.0, r.code)

    listed.sort(key=order)
    end = None if limit is None else offset + limit
    rows = [
        BranchPeriodsRow(
            branch_id=r.branch_id, code=r.code, name_zh=r.name_zh, name_en=r.name_en, region_id=r.region_id,
            own=True, visits=r.visits, scored=r.scored, mean=r.mean, variance=r.variance, passes=r.passes,
            ranked=_ranked(r.visits, r.mean, threshold), prev_visits=r.prev_visits, prev_scored=r.prev_scored,
            prev_mean=r.prev_mean, prev_variance=r.prev_variance, prev_passes=r.prev_passes,
            prev_ranked=_ranked(r.prev_visits, r.prev_mean, threshold),
        )
        for r in listed[offset:end]
    ]
    return RankingPage(
        total=len(listed), visits=sum(r.visits for r in listed), passes=sum(r.passes for r in listed),
        ranked_means=ranked_means, prev_ranked_means=prev_ranked_means, rows=rows,
    )


def scored_of(held: Mapping[UUID, BranchFigures], *, region_id: UUID | None) -> list[ScoredBranchRow]:
    """What adjust=shrinkage reads (queries.SELECT_ORG_SCOPE_SCORES): the scope's branches with scored
    visits in the period, by code."""
    rows = [ScoredBranchRow(branch_id=r.branch_id, region_id=r.region_id, scored=r.scored, mean=r.mean,
                            variance=r.variance, format=r.format)
            for r in held.values()
            if (region_id is None or r.region_id == region_id) and r.scored > 0 and r.mean is not None]
    rows.sort(key=lambda r: held[r.branch_id].code)
    return rows
