"""Rankings, trends and weakness maps, read from the roll-up tables (never recomputed from submissions).

Who sees what:
    admin            any scope: the whole org, one region, one branch
    regional_lead    the regions assigned to them (scope=region), their branches by name
    branch_manager   their branches' regions: their own rows by name, peers anonymised (branch = null)
                     unless the org setting show_peer_names is true; weakness maps of their branches
                     and (aggregated) of their region
An unknown or out-of-scope region or branch is a 404; scope=org for anyone but an admin is a 403.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any, Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.auth.principal import Principal
from inspect_api.errors import Forbidden, InvalidInput, NotFound
from inspect_api.rankings import incremental, queries
from inspect_api.rankings.adjusted import calibration_candidates, inspector_figures, shrinkage_by_branch
from inspect_api.rankings.cache import Page, RankingsCache
from inspect_api.rankings.queries import BranchPeriodsRow, OrgContext
from inspect_api.rankings.schemas import (
    DEFAULT_MIN_RANKED_VISITS,
    MIN_VISITS_LIMITS,
    Adjust,
    BranchRef,
    CalibrationOut,
    ExcludeIntegrity,
    ItemWeakness,
    Label,
    Peer,
    PeriodOut,
    RankingsOut,
    Scope,
    TrendOut,
    TrendPoint,
    WeaknessOut,
)
from inspect_api.rankings.scope_state import ScopeContext, page_of, scored_of
from inspect_api.rankings.stats import (
    Moments,
    PeriodKind,
    confidence_interval,
    last_periods,
    mean,
    next_period_start,
    period_start,
    previous_period_start,
)
from inspect_api.rankings.table import build_page, distribution

MAX_PAGE_SIZE: Final = 500
MAX_TREND_PERIODS: Final = 104
MAX_CALIBRATION_WINDOW_DAYS: Final = 31


def period_out(kind: PeriodKind, start: date) -> PeriodOut:
    return PeriodOut(kind=kind, first_day=start, last_day=next_period_start(kind, start) - timedelta(days=1))


def _min_visits(configured: int | None, requested: int | None) -> int:
    if requested is not None:
        return requested
    if configured is None:
        return DEFAULT_MIN_RANKED_VISITS
    low, high = MIN_VISITS_LIMITS
    return max(low, min(high, configured))


def _reveal(p: Principal, show_peer_names: bool):
    def reveal(row: BranchPeriodsRow) -> bool:
        return row.own or p.role in ("admin", "regional_lead") or show_peer_names

    return reveal


async def _resolve_scope(
    conn: asyncpg.Connection, p: Principal, scope: Scope | None, region_id: UUID | None
) -> tuple[Scope, UUID | None]:
    """Admins default to the org; others to a region they may see (their only one, else name it).
    Whether a named region is visible is settled by the ranking query itself (see rankings())."""
    if scope is None:
        scope = "region" if region_id is not None or p.role != "admin" else "org"
    if scope == "org":
        if p.role != "admin":
            raise Forbidden("only admins rank across the whole org; ask for scope=region")
        if region_id is not None:
            raise InvalidInput("region_id goes with scope=region",
                               extra={"errors": [{"field": "region_id", "message": "omit with scope=org"}]})
        return scope, None
    if region_id is None:
        regions = await queries.visible_regions(conn, p.org_id, p.user_id, p.role)
        if len(regions) != 1:
            raise InvalidInput("name the region to rank",
                               extra={"errors": [{"field": "region_id", "message": "required for this caller"}]})
        region_id = regions[0]
    return scope, region_id


def _day(context: OrgContext, on: date | None) -> date:
    return on or context.today or date.today()


async def rankings(pool: asyncpg.Pool, p: Principal, **query: Any) -> RankingsOut:
    """The ranking as a value (exports, reports); rankings_page says what it is."""
    return (await rankings_page(pool, p, **query)).out


async def rankings_page(
    pool: asyncpg.Pool,
    p: Principal,
    *,
    form_key: str,
    kind: PeriodKind,
    on: date | None = None,
    scope: Scope | None = None,
    region_id: UUID | None = None,
    min_visits: int | None = None,
    limit: int | None = 100,
    offset: int = 0,
    cache: RankingsCache | None = None,
    adjust: Adjust = "none",
    peer: Peer | None = None,
) -> Page:
    """The ranking of one form in the period holding `on` (default: today, the branches' local date).
    `limit=None` returns every row (exports). With a cache, a page computed under the org's current
    roll-up generation is served again (see rankings/cache.py). adjust=shrinkage adds the empirical-Bayes
    figures (schemas.AdjustedStats) from one more read of the scope's scored roll-up rows; page order unchanged.
    `peer` (with adjust=shrinkage only; default region) is the group each branch is shrunk toward and ranked in."""
    if peer is not None and adjust == "none":
        raise InvalidInput("peer groups rank the adjusted scores: ask for adjust=shrinkage too",
                           extra={"errors": [{"field": "peer", "message": "goes with adjust=shrinkage"}]})
    peer = peer or "region"
    if cache is not None and p.role == "admin":
        return await _admin_page(pool, p, cache, form_key=form_key, kind=kind, on=on, scope=scope,
                                 region_id=region_id, min_visits=min_visits, limit=limit, offset=offset,
                                 adjust=adjust, peer=peer)
    async with pool.acquire() as conn:
        context = await queries.org_context(conn, p.org_id)
        scope, region_id = await _resolve_scope(conn, p, scope, region_id)
        start = period_start(kind, _day(context, on))
        previous = previous_period_start(kind, start)
        threshold = _min_visits(context.min_ranked_visits, min_visits)
        size = None if limit is None else max(1, min(limit, MAX_PAGE_SIZE))
        # Admins all see the same page; anyone else's depends on their own scope.
        viewer = None if p.role == "admin" else (p.user_id, p.role, p.region_ids, p.branch_ids)
        key = (form_key, kind, start, threshold, size, max(0, offset), region_id, viewer,
               bool(context.show_peer_names), adjust, peer)
        if cache is not None and (hit := cache.get(p.org_id, context.generation, key)) is not None:
            return hit
        page = await queries.ranking_page(
            conn, p.org_id, p.user_id, p.role, form_key, kind, start, previous, threshold, size, max(0, offset),
            region_id,
        )
        # The query lists only visible regions' branches: none means an empty or an invisible region.
        if region_id is not None and page.total == 0 and not await queries.region_visible(
            conn, p.org_id, p.user_id, p.role, region_id
        ):
            raise NotFound(f"region {region_id} not found")
        scored = None if adjust == "none" else await queries.scope_scores(
            conn, p.org_id, p.user_id, p.role, form_key, kind, start, region_id)
    out = await _answer(p, page, scored, form_key=form_key, scope=scope, region_id=region_id, kind=kind,
                        start=start, previous=previous, threshold=threshold, show_peer_names=context.show_peer_names,
                        peer=peer)
    if cache is not None:
        return cache.put(p.org_id, context.generation, key, out)
    return Page(out)


async def _admin_page(
    pool: asyncpg.Pool, p: Principal, cache: RankingsCache, *, form_key: str, kind: PeriodKind, on: date | None,
    scope: Scope | None, region_id: UUID | None, min_visits: int | None, limit: int | None, offset: int,
    adjust: Adjust, peer: Peer,
) -> Page:
    """An admin's page (every region visible, every row named) cut from the held scope (rankings/incremental.py):
    after a release the worker re-reads the changed branch, not the org (#20)."""
    size = None if limit is None else max(1, min(limit, MAX_PAGE_SIZE))

    def key_for(context: ScopeContext, start: date) -> tuple[Any, ...]:
        return (form_key, kind, start, _min_visits(context.min_ranked_visits, min_visits), size, max(0, offset),
                region_id, None, bool(context.show_peer_names), adjust, peer)

    async with pool.acquire() as conn:
        scope, region_id = await _resolve_scope(conn, p, scope, region_id)
        # A warm view: the generation alone. A page held under it was computed from a scope and context valid
        # at it, and its key names the period and threshold it was cut for, so a held, possibly stale,
        # context can only name a page that is right or none.
        known = cache.context(p.org_id)
        if known is not None:
            key = key_for(known.context, incremental.periods(kind, on, known.context)[0])
            if (hit := cache.get(p.org_id, await queries.generation(conn, p.org_id), key)) is not None:
                return hit
        held = await incremental.held_scope(conn, cache, p.org_id, form_key, kind, on)
        threshold = _min_visits(held.context.min_ranked_visits, min_visits)
        key = key_for(held.context, held.start)
        if (hit := cache.get(p.org_id, held.generation, key)) is not None:
            return hit
        page = page_of(held.scope, region_id=region_id, threshold=threshold, limit=size, offset=max(0, offset))
        if region_id is not None and page.total == 0 and not await queries.region_visible(
            conn, p.org_id, p.user_id, p.role, region_id
        ):
            raise NotFound(f"region {region_id} not found")
    scored = None if adjust == "none" else scored_of(held.figures, region_id=region_id)
    out = await _answer(p, page, scored, form_key=form_key, scope=scope, region_id=region_id, kind=kind,
                        start=held.start, previous=held.previous, threshold=threshold,
                        show_peer_names=held.context.show_peer_names, peer=peer)
    return cache.put(p.org_id, held.generation, key, out)


async def _answer(
    p: Principal, page: queries.RankingPage, scored: list[queries.ScoredBranchRow] | None, *, form_key: str,
    scope: Scope, region_id: UUID | None, kind: PeriodKind, start: date, previous: date, threshold: int,
    show_peer_names: bool | None, peer: Peer,
) -> RankingsOut:
    rows = build_page(page, _reveal(p, bool(show_peer_names)))
    shrinkage = None
    if scored is not None:
        # Pure Python over the scope's branches (thousands at most): off the loop all the same.
        adjusted, shrinkage = await asyncio.to_thread(shrinkage_by_branch, scored, peer,
                                                      {r.branch_id for r in page.rows})
        rows = [msgspec.structs.replace(row, adjusted=adjusted.get(source.branch_id))
                for row, source in zip(rows, page.rows, strict=True)]
    out = RankingsOut(
        form_key=form_key, scope=scope, region_id=region_id, period=period_out(kind, start),
        previous_period=period_out(kind, previous), min_visits=threshold, distribution=distribution(page),
        total=page.total, rows=rows, adjustment=shrinkage,
    )
    return out


async def inspector_report(
    pool: asyncpg.Pool, p: Principal, *, form_key: str, kind: PeriodKind, on: date | None = None,
    window_days: int = 0, exclude_integrity: ExcludeIntegrity = "suspect",
) -> CalibrationOut:
    """QA's inspector report for the period holding `on` (the route admits admins only: it names inspectors):
    leniency fitted on the period's released scored visits, branches ranked with and without it, and agreement
    of calibration pairs (two inspectors at one branch at most `window_days` apart). Visits whose proof of
    visit reaches the integrity level `exclude_integrity` are left out of all of it ("none": none are)."""
    window = max(0, min(window_days, MAX_CALIBRATION_WINDOW_DAYS))
    async with pool.acquire() as conn:
        context = await queries.org_context(conn, p.org_id)
        start = period_start(kind, _day(context, on))
        every = await queries.period_visits(conn, p.org_id, form_key, start, next_period_start(kind, start),
                                            exclude_from=None if exclude_integrity == "none" else exclude_integrity)
        visits = [v for v in every if v.counts]
        # Pure Python over up to tens of thousands of visits: in a thread, not on the loop.
        paired = await asyncio.to_thread(calibration_candidates, visits, window)
        items = await queries.visit_items(conn, p.org_id, paired) if paired else []
    figures = await asyncio.to_thread(inspector_figures, visits, items, window)
    return CalibrationOut(
        form_key=form_key, period=period_out(kind, start), visits=len(visits), converged=figures.converged,
        inspectors=figures.inspectors, branches=figures.branches, window_days=window,
        calibration_pairs=figures.calibration_pairs, by_item=figures.by_item, by_pair=figures.by_pair,
        by_inspector=figures.by_inspector, exclude_integrity=exclude_integrity,
        excluded_visits=len(every) - len(visits),
    )


def _branch_ref(row: queries.BranchRow) -> BranchRef:
    return BranchRef(id=row.id, code=row.code, name_zh=row.name_zh, name_en=row.name_en)


async def trend(
    pool: asyncpg.Pool, p: Principal, *, branch_id: UUID, form_key: str, kind: PeriodKind, periods: int = 12,
    on: date | None = None,
) -> TrendOut:
    """The branch's score per period over the last `periods` periods, oldest first."""
    count = max(1, min(periods, MAX_TREND_PERIODS))
    async with pool.acquire() as conn:
        branch = await queries.visible_branch(conn, p.org_id, p.user_id, p.role, branch_id)
        if branch is None:
            raise NotFound(f"branch {branch_id} not found")
        context = await queries.org_context(conn, p.org_id)
        starts = last_periods(kind, _day(context, on), count)
        rows = {r.period_start: r for r in await queries.trend(conn, p.org_id, branch_id, form_key, kind,
                                                              starts[0], starts[-1])}
    points = []
    for start in starts:
        row = rows.get(start)
        moments = Moments() if row is None else Moments(row.scored, row.score_sum, row.score_sq_sum)
        visits = 0 if row is None else row.visits
        centre, interval = mean(moments), confidence_interval(moments)
        points.append(TrendPoint(
            period=period_out(kind, start), visits=visits,
            mean=None if centre is None else float(centre),
            ci_low=None if interval is None else interval[0], ci_high=None if interval is None else interval[1],
            pass_rate=None if row is None or visits == 0 else round(row.passes / visits, 4),
        ))
    return TrendOut(branch=_branch_ref(branch), form_key=form_key, points=points)


def item_labels(document: dict[str, Any] | None) -> dict[str, tuple[str, Label | None]]:
    """item key -> (section key, label) from a form document, read leniently (any version's shape)."""
    found: dict[str, tuple[str, Label | None]] = {}
    if not isinstance(document, dict):
        return found
    for section in document.get("sections") or []:
        if not isinstance(section, dict):
            continue
        for item in section.get("items") or []:
            if not isinstance(item, dict) or not isinstance(item.get("key"), str):
                continue
            label = item.get("label")
            text = None
            if isinstance(label, dict) and isinstance(label.get("zh"), str) and isinstance(label.get("en"), str):
                text = Label(zh=label["zh"], en=label["en"])
            found[item["key"]] = (str(section.get("key", "")), text)
    return found


async def weakness(
    pool: asyncpg.Pool,
    p: Principal,
    *,
    form_key: str,
    kind: PeriodKind,
    on: date | None = None,
    branch_id: UUID | None = None,
    region_id: UUID | None = None,
) -> WeaknessOut:
    """Failure rate per item for one branch, one region or (admins) the org, most failed first."""
    if branch_id is not None and region_id is not None:
        raise InvalidInput("name a branch or a region, not both",
                           extra={"errors": [{"field": "region_id", "message": "omit with branch_id"}]})
    async with pool.acquire() as conn:
        branch = None
        if branch_id is not None:
            branch = await queries.visible_branch(conn, p.org_id, p.user_id, p.role, branch_id)
            if branch is None:
                raise NotFound(f"branch {branch_id} not found")
        elif region_id is not None:
            if not await queries.region_visible(conn, p.org_id, p.user_id, p.role, region_id):
                raise NotFound(f"region {region_id} not found")
        elif p.role != "admin":
            raise Forbidden("only admins see the whole org's weakness map; name a branch_id or region_id")
        context = await queries.org_context(conn, p.org_id)
        start = period_start(kind, _day(context, on))
        rows = await queries.items(conn, p.org_id, form_key, kind, start, branch_id, region_id)
        visits = await queries.visits(conn, p.org_id, form_key, kind, start, branch_id, region_id)
        labels = item_labels(await queries.latest_document(conn, p.org_id, form_key))
    items = [
        ItemWeakness(
            item_key=r.item_key,
            section_key=labels[r.item_key][0] if r.item_key in labels else None,
            label=labels[r.item_key][1] if r.item_key in labels else None,
            applicable=r.applicable, failures=r.failures, partials=r.partials,
            failure_rate=round(r.failures / r.applicable, 4) if r.applicable else None,
            repeat_failures=r.repeat_failures, branches_recurring=r.branches_recurring,
            recurring=r.repeat_failures > 0,
        )
        for r in rows
    ]
    items.sort(key=lambda i: (-(i.failure_rate or 0.0), -i.failures, i.item_key))
    scope = "branch" if branch is not None else "region" if region_id is not None else "org"
    return WeaknessOut(
        form_key=form_key, scope=scope, region_id=branch.region_id if branch else region_id,
        branch=_branch_ref(branch) if branch else None, period=period_out(kind, start), visits=visits, items=items,
    )
