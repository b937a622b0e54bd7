"""Admins' ranking pages from a held, patched scope (#20): the service side of rankings/scope_state.py.

Per view, one small statement (queries.changes_since) reads the org's generation and the change log since
what the worker holds. Same generation: the held page (or a page cut from the held scope). Newer, with a
whole log of roll-up changes only: the named branches' figures come with it, replace theirs in a copy of
the held scope, and the page is re-ranked in Python (2,000 branches: about a millisecond). Anything else (no
scope held yet, an `everything` change: branches, regions, org settings, a backfill; a log pruned or a
generation from before the log; a read older than what is held, as from a lagging replica) reads the whole
scope again in one repeatable-read snapshot with the settings and time zones.

The figures read are the ranking query's own (queries.SELECT_ORG_RANKING_PAGE: same joins, same generated
mean and variance), so a patched page equals a recomputed one: tests/integration/test_rankings_incremental.py.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import date
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.rankings import queries
from inspect_api.rankings.cache import HeldContext, RankingsCache
from inspect_api.rankings.scope_state import BranchFigures, HeldScope, ScopeContext, today_in
from inspect_api.rankings.stats import PeriodKind, period_start, previous_period_start


class Held(msgspec.Struct, frozen=True):
    """What a page is cut from: the scope's figures and the context, both valid at `generation`."""

    generation: int | None
    context: ScopeContext
    start: date
    previous: date
    scope: HeldScope

    @property
    def figures(self) -> Mapping[UUID, BranchFigures]:
        return self.scope.figures


def periods(kind: PeriodKind, on: date | None, context: ScopeContext) -> tuple[date, date]:
    start = period_start(kind, on or today_in(context.timezones) or date.today())
    return start, previous_period_start(kind, start)


async def _read_whole(
    conn: asyncpg.Connection, org_id: UUID, form_key: str, kind: PeriodKind, on: date | None,
) -> Held:
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        row = await queries.scope_context(conn, org_id)
        context = ScopeContext(min_ranked_visits=row.min_ranked_visits, show_peer_names=row.show_peer_names,
                               timezones=tuple(row.timezones))
        start, previous = periods(kind, on, context)
        records = await queries.scope_figures(conn, org_id, form_key, kind, start, previous)
    figures = {r["branch_id"]: BranchFigures(**dict(r)) for r in records}
    scope = HeldScope(-1 if row.generation is None else row.generation, figures)
    return Held(generation=row.generation, context=context, start=start, previous=previous, scope=scope)


async def held_scope(
    conn: asyncpg.Connection, cache: RankingsCache, org_id: UUID, form_key: str, kind: PeriodKind, on: date | None,
) -> Held:
    """The scope's figures and context at the org's current generation (as this connection sees it), from
    what the worker holds, patched, or read whole; kept for the next view."""

    def count(what: str) -> None:
        cache.counters[what] = cache.counters.get(what, 0) + 1

    context = cache.context(org_id)
    if context is not None:
        start, previous = periods(kind, on, context.context)
        key: Hashable = (form_key, kind, start)
        scope = cache.scope(org_id, key)
        if scope is not None:
            since = min(scope.generation, context.generation)
            found = await queries.changes_since(conn, org_id, form_key, kind, start, previous, since)
            if (found.generation is not None and found.generation >= scope.generation
                    and found.logged == found.generation - since and not found.everything):
                cache.put_context(org_id, HeldContext(found.generation, context.context))
                if found.generation == scope.generation:
                    count("held")
                    return Held(generation=scope.generation, context=context.context, start=start,
                                previous=previous, scope=scope)
                now = scope.patched(found.generation, msgspec.convert(found.rows or [], list[BranchFigures]))
                cache.put_scope(org_id, key, now)
                count("patched")
                return Held(generation=found.generation, context=context.context, start=start,
                            previous=previous, scope=now)
    count("whole")
    whole = await _read_whole(conn, org_id, form_key, kind, on)
    if whole.generation is not None:
        cache.put_context(org_id, HeldContext(whole.generation, whole.context))
        cache.put_scope(org_id, (form_key, kind, whole.start), whole.scope)
    return whole

